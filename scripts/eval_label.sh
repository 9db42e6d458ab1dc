#!/usr/bin/env bash
# eval_label.sh: evaluate emg-label on scenes simulated by emg-synth.
#
#   scripts/eval_label.sh [-b BUILD/bin] [-s "1 2 3"] [-o OUTDIR] [-c "scenario ..."]
#                         [-y "SYNTH-OPTIONS"] [-- LABEL-OPTIONS]
#
# For every built-in scenario (each spasm type, the negatives and the mixed
# sessions) and every seed: simulate a recording, label it (roles and context
# are read from the file: channel transducers and annotations), score the
# labels against the ground truth with emg-score (same label, IoU >= 0.3;
# rest and artefact rows are not events to find), and print the per-class
# F1 over all scenes plus the macro-F1.  -y passes options to emg-synth
# (e.g. "--rate 4000 --mains 60 --snr 15" to test other recording conditions);
# extra arguments after -- go to emg-label.  Exit status 0; the numbers are
# the result.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
seeds="1 2 3"
out=${TMPDIR:-/tmp}/emgkit-eval-label
scenarios=""
synth_opts=""
while getopts "b:s:o:c:y:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    s) seeds=$OPTARG ;;
    o) out=$OPTARG ;;
    c) scenarios=$OPTARG ;;
    y) synth_opts=$OPTARG ;;
    h) sed -n 2,17p "$0"; exit 0 ;;
    *) exit 1 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
mkdir -p "$out"
[ -n "$scenarios" ] || scenarios=$("$bin/emg-synth" --list | awk '{print $1}')

# shellcheck source=scripts/pool_scores.sh
. "$here/scripts/pool_scores.sh"
pool_init "$out"
for sc in $scenarios; do
  for seed in $seeds; do
    base=$out/$sc-$seed
    # shellcheck disable=SC2086
    "$bin/emg-synth" --scenario "$sc" --seed "$seed" $synth_opts -o "$base.h5" 2>/dev/null
    "$bin/emg-label" "$@" -o "$base.labels.tsv" "$base.h5" 2>"$base.label.log" || {
      echo "$sc seed $seed: emg-label failed: $(cat "$base.label.log")" >&2; continue; }
    pool_add "$sc" "$base.events.tsv" "$base.labels.tsv"
    # A negative scene (rest) has no truth event: emg-score refuses an empty truth
    # table; its predictions still count as false positives in the pooled score.
    if ! "$bin/emg-score" -q --skip rest,artefact,prodrome --truth "$base.events.tsv" \
      --pred "$base.labels.tsv" -o "$base.score.tsv" --confusion "$base.confusion.tsv" 2>/dev/null; then
      printf '%-16s seed %-3s no truth event; %s predicted (pooled as false positives)\n' "$sc" \
        "$seed" "$(($(wc -l <"$base.labels.tsv") - 1))"
      continue
    fi
    printf '%-16s seed %-3s %s\n' "$sc" "$seed" \
      "$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
                     $c["class"]!="macro"{printf "%s:%s/%s/%s ", $c["class"], $c["tp"], $c["n_truth"], $c["n_pred"]}' "$base.score.tsv")"
  done
done
pool_report "$bin" rest,artefact,prodrome
