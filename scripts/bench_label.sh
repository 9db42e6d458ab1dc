#!/usr/bin/env bash
# bench_label.sh: time emg-label on 1 hour of 16-channel 2 kHz EMG.
#
#   scripts/bench_label.sh [-b BUILD/bin] [-d SECONDS] [-n CHANNELS] [-f EXT] [-o DIR]
#
# Simulates the mixed "session" scenario with emg-synth (repeated to the
# duration, extra channels are neighbours), writes it once (emgkit HDF5, or
# the format of extension EXT: edf, wav...), then times emg-label on it
# (single-threaded: CPU seconds are one core's) and prints the wall-clock and
# CPU seconds, the peak memory and the events found.  Target (issue 5): under 10 s for 3600 s x 16 channels at 2 kHz.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EMGKIT_BIN:-$here/build/bin}
dur=3600
nch=16
ext=h5
dir=${TMPDIR:-/tmp}/emgkit-bench-label
while getopts "b:d:n:f:o:h" opt; do
  case $opt in
    b) bin=$OPTARG ;;
    d) dur=$OPTARG ;;
    n) nch=$OPTARG ;;
    f) ext=$OPTARG ;;
    o) dir=$OPTARG ;;
    h) sed -n 2,11p "$0"; exit 0 ;;
    *) exit 1 ;;
  esac
done
mkdir -p "$dir"
rec=$dir/session-${dur}s-${nch}ch.$ext
if [ ! -s "$rec" ]; then
  echo "simulating ${dur} s x ${nch} channels at 2 kHz -> $rec" >&2
  "$bin/emg-synth" --scenario session --seed 1 --duration "$dur" --n-channels "$nch" --rate 2000 \
    -o "$rec" 2>/dev/null
fi
/usr/bin/time -f '%e %U %S %M' -o "$dir/time.txt" \
  "$bin/emg-label" -o "$dir/labels.tsv" "$rec" 2>"$dir/label.log" \
  || { cat "$dir/label.log" >&2; exit 1; }
read -r wall user sys maxkb < "$dir/time.txt"
events=$(($(wc -l < "$dir/labels.tsv") - 1))
printf 'emg-label: %s s x %s channels at 2 kHz (%s): %.2f s wall, %.2f s CPU, %.0f MB peak, %d events\n' \
  "$dur" "$nch" "$ext" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$maxkb / 1024" | bc)" "$events"
