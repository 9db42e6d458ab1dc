#!/usr/bin/env bash
# Time emg-plot signal on an hour of 16 channels at 2 kHz (230 MB of 16-bit WAV,
# 115 million samples), to PNG, SVG and PDF: wall time, CPU time (user + sys)
# and peak memory, three runs each.  The claim in docs/plotting.md: under 2 s.
#   scripts/bench_plot.sh [BUILD_DIR]      (default build)
# The machine's load is printed with the times: on a shared machine the wall
# time is the CPU time stretched by the load.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/hour16.wav" <<'EOF'
import sys, wave
import numpy as np
fs, ch = 2000, 16
rng = np.random.default_rng(1)
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(ch); w.setsampwidth(2); w.setframerate(fs)
    for minute in range(60):
        t = (minute * 60 + np.arange(60 * fs)) / fs
        x = rng.standard_normal((60 * fs, ch)) * 3000 * (1.2 + np.sin(2 * np.pi * t / 600))[:, None]
        w.writeframes(x.clip(-32767, 32767).astype("<i2").tobytes())
EOF
echo "input: 1 h x 16 channels x 2000 Hz ($(stat -c %s "$tmp/hour16.wav") bytes); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$tmp/hour16.wav" >/dev/null # in the page cache, as a recording just written
for ext in png svg pdf; do
  for run in 1 2 3; do
    /usr/bin/time -f "$ext run $run: %e s wall, %U s user + %S s sys, %M KB peak" \
      "$bin/emg-plot" signal -q "$tmp/hour16.wav" -o "$tmp/hour.$ext"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
