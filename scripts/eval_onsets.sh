#!/usr/bin/env bash
# eval_onsets.sh: compare the onset detectors of emg-detect against the known
# onsets of simulated contractions and spasms (emg-synth ground truth).
#
#   scripts/eval_onsets.sh [-b BUILD/bin] [-s "1 2 3"] [-c "scenarios"] [-o DIR] [-y SYNTH-OPTIONS]
#
# Every event of the ground truth that is activity on the primary channel
# (voluntary contractions, cramps, tonic spasms, clonus episodes ...) is an
# "active" segment to find; each method's segments (min 0.3 s, gaps < 0.3 s
# merged) are matched with emg-score (IoU >= 0.3) and the median absolute
# onset and offset errors (ms), recall and precision are printed per method.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
seeds="1 2 3"
scenarios="voluntary cramp tonic clonic dystonic strain"
out=${TMPDIR:-/tmp}/emgkit-eval-onsets
synth_opts=""
while getopts "b:s:c:o:y:h" opt; do
  case $opt in
    b) bin=$OPTARG ;; s) seeds=$OPTARG ;; c) scenarios=$OPTARG ;; o) out=$OPTARG ;;
    y) synth_opts=$OPTARG ;; h) sed -n 2,12p "$0"; exit 0 ;; *) exit 1 ;;
  esac
done
mkdir -p "$out"
# awk prelude: look columns up by name in each table's header (c["onset"], ...)
cols='NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}'
methods="threshold bonato tkeo hodges lidierth aglr"
for m in $methods; do printf 'onset\tduration\tchannel\tlabel\n' > "$out/$m.pred.tsv"; done
printf 'onset\tduration\tchannel\tlabel\n' > "$out/truth.tsv"
off=0
for sc in $scenarios; do
  for seed in $seeds; do
    base=$out/$sc-$seed
    # shellcheck disable=SC2086
    "$bin/emg-synth" --scenario "$sc" --seed "$seed" $synth_opts -o "$base.h5" 2>/dev/null
    # columns by name (emg-detect's and emg-score's tables start with a file column)
    ch=$(awk -F'\t' "$cols"' $c["channel"]!="n/a" {print $c["channel"]; exit}' "$base.events.tsv")
    awk -F'\t' -v OFS='\t' -v off="$off" -v ch="$ch" \
      "$cols"' $c["channel"]==ch && $c["label"]!="ischemic" {print sprintf("%.6f", $c["onset"]+off),$c["duration"],"x","active"}' \
      "$base.events.tsv" >> "$out/truth.tsv"
    for m in $methods; do
      "$bin/emg-detect" -m "$m" -c "$ch" --min-duration 0.3 --merge-gap 0.3 "$base.h5" 2>/dev/null |
        awk -F'\t' -v OFS='\t' -v off="$off" "$cols"' {print sprintf("%.6f", $c["onset"]+off),$c["duration"],"x","active"}' >> "$out/$m.pred.tsv"
    done
    off=$((off + 10000))
  done
done
printf '%-10s %8s %8s %8s %10s %10s\n' method recall precision F1 onset_ms offset_ms
for m in $methods; do
  "$bin/emg-score" -q --truth "$out/truth.tsv" --pred "$out/$m.pred.tsv" -o "$out/$m.score.tsv"
  awk -F'\t' -v m="$m" "$cols"' $c["class"]=="active"{printf "%-10s %8.3f %8.3f %8.3f %10.1f %10.1f\n", m,
      $c["recall"], $c["precision"], $c["f1"], $c["onset_error_median_ms"], $c["offset_error_median_ms"]}' "$out/$m.score.tsv"
done
