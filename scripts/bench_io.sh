#!/usr/bin/env bash
# Reading speed and memory of emg-convert against the libraries it builds on.
# Makes a 1-hour, 16-channel, 2 kHz recording as WAV (PCM16) and EDF+, then
# times side by side, best of 3:
#   peer:    libsndfile / EDFlib reading the whole file into memory and writing it raw
#   emgkit:  emg-convert FILE - (the pipe format, float64, streamed) > /dev/null
# and the peak RSS of emg-convert for a 1-minute and the 1-hour file.
# Usage: scripts/bench_io.sh [BUILD_DIR]   (default build, made by scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
[ -x "$build/bin/emg-convert" ] || scripts/setup.sh
bin=$build/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -o "$work/peer_read" scripts/bench/peer_read.c $(pkg-config --cflags --libs sndfile) -ledf

make_wav() { # seconds path
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, wave, numpy as np
seconds, path = float(sys.argv[1]), sys.argv[2]
fs, ch = 2000, 16
rng = np.random.default_rng(1)
with wave.open(path, "wb") as w:
    w.setnchannels(ch); w.setsampwidth(2); w.setframerate(fs)
    for _ in range(int(seconds / 60) or 1):
        n = int(min(seconds, 60) * fs)
        w.writeframes((rng.standard_normal((n, ch)) * 3000).astype("<i2").tobytes())
PY
}
make_wav 3600 "$work/hour.wav"
make_wav 60 "$work/minute.wav"
"$bin/emg-convert" "$work/hour.wav" "$work/hour.edf"
"$bin/emg-convert" "$work/minute.wav" "$work/minute.edf"

best_of_3() { # command... ; prints seconds
  local best=999999
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    best=$(awk -v a="$best" -v t0="$t0" -v t1="$t1" 'BEGIN { b = t1 - t0; print (b < a) ? b : a }')
  done
  echo "$best"
}
peak_rss_mb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }

printf '%-8s %12s %14s %8s %16s %16s\n' format peer_s emg-convert_s ratio rss_1min_MB rss_1h_MB
for ext in wav edf; do
  peer=$(best_of_3 "$work/peer_read" "$work/hour.$ext")
  ours=$(best_of_3 "$bin/emg-convert" "$work/hour.$ext" -)
  rss_min=$(peak_rss_mb "$bin/emg-convert" "$work/minute.$ext" -)
  rss_hour=$(peak_rss_mb "$bin/emg-convert" "$work/hour.$ext" -)
  printf '%-8s %12.2f %14.2f %8.2f %16s %16s\n' "$ext" "$peer" "$ours" \
    "$(awk -v a="$ours" -v b="$peer" 'BEGIN { print a / b }')" "$rss_min" "$rss_hour"
done
