#!/usr/bin/env bash
# eval_altsim.sh: measure emg-label on scenes from the independent simulator
# scripts/altsim.py (different MUAP family, firing statistics, noise spectrum,
# sampling rates and mains from emg-synth; docs/methods/altsim.md).
#
#   scripts/eval_altsim.sh [-b BUILD/bin] [-s "1 2 3"] [-f "1000 2000 4000"]
#                          [-t "TYPE ..."] [-o OUTDIR] [-r] [-- LABEL-OPTIONS]
#
# For every scene type, seed and sampling rate: simulate (mains 50 or 60 Hz and
# an SNR of 26-36 dB, both drawn from the seed), label with the roles a user
# would give (OUT.args; the context comes from the file's annotations), score
# with emg-score (same label, IoU >= 0.3; rest rows are not events to find),
# then pool all scenes on one timeline (each scene offset by 10000 s, channels
# prefixed by the scene) and print per-class precision/recall/F1 and the
# confusion matrix.  -r reuses the scenes already simulated in OUTDIR (only
# the labelling and scoring run again).  Exit status 0; the numbers are the
# result.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
seeds="1 2 3"
rates="1000 2000 4000"
types=""
out=${TMPDIR:-/tmp}/emgkit-eval-altsim
py=/usr/bin/python3
reuse=""
while getopts "b:s:f:t:o:rh" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    s) seeds=$OPTARG ;;
    f) rates=$OPTARG ;;
    t) types=$OPTARG ;;
    o) out=$OPTARG ;;
    r) reuse=1 ;;
    h) sed -n 2,18p "$0"; exit 0 ;;
    *) exit 1 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
mkdir -p "$out"
[ -n "$types" ] || types=$("$py" "$here/scripts/altsim.py" --list | awk '{print $1}')

# shellcheck source=scripts/pool_scores.sh
. "$here/scripts/pool_scores.sh"
pool_init "$out"
for ty in $types; do
  for seed in $seeds; do
    # Recording conditions drawn from the seed, the same for every type and rate.
    # (a multiplicative hash of the seed: seeds 1-3 give 60/50/50 Hz and 31/36/30 dB)
    mains=$(( (seed * 2654435761 % 4294967296) >> 16 & 1 ? 60 : 50 ))
    snr=$(( 26 + (seed * 5) % 11 ))
    for fs in $rates; do
      base=$out/$ty-$seed-$fs
      [ -n "$reuse" ] && [ -s "$base.h5" ] && [ -s "$base.args" ] ||
        "$py" "$here/scripts/altsim.py" --type "$ty" --seed "$seed" --fs "$fs" --mains "$mains" \
          --snr "$snr" -o "$base.h5"
      # shellcheck disable=SC2046
      "$bin/emg-label" $(cat "$base.args") "$@" -o "$base.labels.tsv" "$base.h5" \
        2>"$base.label.log" || { echo "$ty seed $seed fs $fs: emg-label failed: $(cat "$base.label.log")" >&2; continue; }
      "$bin/emg-score" -q --skip rest --truth "$base.events.tsv" --pred "$base.labels.tsv" \
        -o "$base.score.tsv" --confusion "$base.confusion.tsv"
      pool_add "$ty-$seed-$fs" "$base.events.tsv" "$base.labels.tsv"
      printf '%-13s seed %-2s %4s Hz %2s Hz %2s dB  truth: %-28s pred: %s\n' "$ty" "$seed" "$fs" "$mains" "$snr" \
        "$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["label"]!="rest"{n[$c["label"]]++}
                       END{for(k in n) printf "%s:%d ", k, n[k]}' "$base.events.tsv")" \
        "$(awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {n[$c["label"]]++}
                       END{for(k in n) printf "%s:%d ", k, n[k]}' "$base.labels.tsv")"
    done
  done
done
pool_report "$bin" rest
