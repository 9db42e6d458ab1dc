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
# (e.g. "--fs 4000 --mains 60 --snr 15" to test other recording conditions);
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

all_truth=$out/all.truth.tsv
all_pred=$out/all.pred.tsv
: > "$all_truth"; : > "$all_pred"
offset=0
for sc in $scenarios; do
  for seed in $seeds; do
    base=$out/$sc-$seed
    # shellcheck disable=SC2086
    "$bin/emg-synth" --scenario "$sc" --seed "$seed" $synth_opts -o "$base.h5" 2>/dev/null
    "$bin/emg-label" "$@" -o "$base.labels.tsv" "$base.h5" 2>"$base.label.log" || {
      echo "$sc seed $seed: emg-label failed: $(cat "$base.label.log")" >&2; continue; }
    "$bin/emg-score" -q --skip rest,artefact,prodrome --truth "$base.events.tsv" \
      --pred "$base.labels.tsv" -o "$base.score.tsv" --confusion "$base.confusion.tsv"
    # Concatenate scenes on one timeline (offset by 10000 s each) for the pooled score.
    awk -F'\t' -v OFS='\t' -v off="$offset" -v sc="$sc" 'NR==1{next} {print $1+off,$2,sc":"$3,$4}' \
      "$base.events.tsv" >> "$all_truth"
    awk -F'\t' -v OFS='\t' -v off="$offset" -v sc="$sc" 'NR==1{next} {print $1+off,$2,sc":"$3,$4}' \
      "$base.labels.tsv" >> "$all_pred"
    offset=$((offset + 10000))
    printf '%-16s seed %-3s %s\n' "$sc" "$seed" \
      "$(awk -F'\t' 'NR>1 && $1!="macro"{printf "%s:%s/%s/%s ", $1, $4, $2, $3}' "$base.score.tsv")"
  done
done
for f in "$all_truth" "$all_pred"; do
  { printf 'onset\tduration\tchannel\tlabel\n'; cat "$f"; } > "$f.tmp" && mv "$f.tmp" "$f"
done
echo
echo "Pooled over all scenes (class  n_truth  n_pred  tp  precision  recall  F1  onset_err_ms):"
"$bin/emg-score" --skip rest,artefact,prodrome --truth "$all_truth" --pred "$all_pred" \
  -o "$out/pooled.score.tsv" --confusion "$out/pooled.confusion.tsv"
awk -F'\t' 'NR>1{printf "  %-14s %5s %5s %5s  %6.3f %6.3f %6.3f  %s\n", $1, $2, $3, $4, $7, $8, $9, $12}' \
  "$out/pooled.score.tsv"
echo
echo "Confusion (rows truth, columns predicted):"
column -t "$out/pooled.confusion.tsv"
