#!/usr/bin/env bash
# bench_memory.sh: peak memory of emg-detect and emg-label against the
# recording's length (issue 13), with emg-features as the streaming reference.
#
#   scripts/bench_memory.sh [-b BUILD/bin] [-H "1 4"] [-n CHANNELS] [-t "detect label features"]
#                           [-m MIB] [-o DIR]
#
# For each duration in hours (-H, default "1 4") emg-synth simulates a night
# ("nocturnal-cramp" repeated to the duration, -n channels at 2 kHz, default 4,
# the extra ones neighbour EMG) and streams it in the pipe format straight into
# each tool (-t), whose peak resident memory (GNU time %M) and wall time are
# printed, one row per tool and duration, then for each tool the growth from the
# shortest to the longest duration (target: 4 h within 64 MiB of 1 h).  A tool
# that needs the whole recording spools standard input to temporary files in DIR
# (-o, default $TMPDIR/emgkit-bench-memory; up to 8 bytes per sample, removed as
# it goes).  -m passes --memory MIB to emg-detect and emg-label (default: theirs).
# 24 h x 16 channels: -H 24 -n 16 (about 22 GB of temporary files).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
hours="1 4"
nch=4
tools="detect label features"
mem=""
dir=${TMPDIR:-/tmp}/emgkit-bench-memory
while getopts "b:H:n:t:m:o:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    H) hours=$OPTARG ;;
    n) nch=$OPTARG ;;
    t) tools=$OPTARG ;;
    m) mem=$OPTARG ;;
    o) dir=$OPTARG ;;
    h) sed -n 2,17p "$0"; exit 0 ;;
    *) exit 1 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "bench_memory.sh: GNU time (/usr/bin/time) is needed" >&2; exit 1; }
mkdir -p "$dir"
results=$dir/results.tsv
printf 'tool\thours\tchannels\tpeak_mib\twall_s\trows\n' >"$results"
for h in $hours; do
  for tool in $tools; do
    opts=()
    if [ -n "$mem" ] && [ "$tool" != features ]; then opts=(--memory "$mem"); fi
    "$bin/emg-synth" --scenario nocturnal-cramp --seed 1 --duration "$((h * 3600))" \
      --n-channels "$nch" --rate 2000 -o - 2>/dev/null |
      TMPDIR=$dir /usr/bin/time -f '%M %e' -o "$dir/time.txt" \
        "$bin/emg-$tool" "${opts[@]}" - >"$dir/$tool.tsv" 2>"$dir/$tool.log" ||
      { echo "emg-$tool failed at $h h: $(head -c 400 "$dir/$tool.log")" >&2; exit 1; }
    read -r kib wall <"$dir/time.txt"
    printf '%s\t%s\t%s\t%d\t%s\t%s\n' "emg-$tool" "$h" "$nch" "$(((kib + 512) / 1024))" \
      "$wall" "$(($(wc -l <"$dir/$tool.tsv") - 1))" | tee -a "$results"
  done
done
echo "growth from the shortest to the longest duration (MiB):"
awk -F'\t' 'NR > 1 { if (!($1 in lo)) lo[$1] = $4; hi[$1] = $4 }
  END { for (t in lo) printf "%s\t%+d\n", t, hi[t] - lo[t] }' "$results"
