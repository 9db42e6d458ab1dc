#!/bin/bash
# Benchmark of emg-filter against SciPy on the issue-3 filter chain.
#
#   scripts/bench_filter.sh [BUILD_DIR]     (default build-bench, configured Release)
#
# On a 10-minute, 16-channel, 2 kHz float WAV (made here; the same file as
# scripts/bench_features.sh when BENCH_DIR is shared) times, in one run:
#   emg-filter --bandpass 20:450 --mains 50 --notch-harmonics 1 (4th order,
#     zero-phase, streaming), output in the pipe format to /dev/null;
#   SciPy: wavfile.read, one sosfiltfilt over the (16, n) array, one filtfilt
#     for the iirnotch (the strongest vectorised NumPy/SciPy form);
# and checks that the two outputs agree (max difference / max value < 1e-9).
# Environment: BENCH_DIR (scratch, default /tmp/emgkit-bench).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-bench}
BENCH_DIR=${BENCH_DIR:-/tmp/emgkit-bench}
PY=/usr/bin/python3
mkdir -p "$BENCH_DIR"
if [ ! -x "$BUILD/bin/emg-filter" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEMGKIT_SANITIZE=OFF -DEMGKIT_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j2 --target emg-filter >/dev/null

WAV=$BENCH_DIR/bench_filter_10min_16ch.wav
[ -s "$WAV" ] || "$PY" - "$WAV" <<'PYEOF'
import sys
import numpy as np
import scipy.signal as ss
from scipy.io import wavfile
fs, n, chans = 2000, 600 * 2000, 16
rng = np.random.default_rng(1)
sos = ss.butter(4, [30, 300], btype="bandpass", fs=fs, output="sos")
t = np.arange(n) / fs
data = np.empty((n, chans), dtype=np.float32)
for c in range(chans):
    data[:, c] = 0.1 * ss.sosfilt(sos, rng.standard_normal(n)) + 0.02 * np.sin(2 * np.pi * 50 * t + c)
wavfile.write(sys.argv[1], fs, data)
PYEOF

OUT=$BENCH_DIR/bench_filter_out.h5
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$BENCH_DIR/filter.rss" "$BUILD/bin/emg-filter" --bandpass 20:450 --mains 50 \
    --notch-harmonics 1 "$WAV" --to pipe - 2>/dev/null >/dev/null
end=$(date +%s.%N)
c_time=$(echo "$end - $start" | bc)
"$BUILD/bin/emg-filter" --bandpass 20:450 --mains 50 --notch-harmonics 1 "$WAV" -o "$OUT" 2>/dev/null

"$PY" - "$WAV" "$OUT" "$c_time" "$(tail -1 "$BENCH_DIR/filter.rss")" <<'PYEOF'
import resource, sys, time
import h5py
import numpy as np
import scipy.signal as ss
from scipy.io import wavfile
wav, out, c_time, c_rss = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
fs, data = wavfile.read(wav)
x = data.T.astype(np.float64)
sos = ss.butter(4, [20, 450], btype="bandpass", fs=fs, output="sos")
b, a = ss.iirnotch(50, 30, fs=fs)
y = ss.filtfilt(b, a, ss.sosfiltfilt(sos, x, axis=1), axis=1)
py_time = time.perf_counter() - t0
py_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with h5py.File(out) as f:
    g = f["recording/channels"]
    z = np.stack([g[str(i)][...] for i in range(len(g))])
err = np.max(np.abs(z - y)) / np.max(np.abs(y))
print("10 min x 16 ch x 2 kHz: band-pass 20-450 Hz (order 4) + 50 Hz notch, zero-phase")
print("%-34s %8s %10s" % ("", "wall s", "peak MB"))
print("%-34s %8.2f %10.0f" % ("emg-filter (read+filter+pipe out)", c_time, c_rss / 1024))
print("%-34s %8.2f %10.0f" % ("SciPy (read+sosfiltfilt+filtfilt)", py_time, py_rss / 1024))
print("speed-up %.1fx; max relative difference %.1e" % (py_time / c_time, err))
sys.exit(0 if err < 1e-9 else 1)
PYEOF
