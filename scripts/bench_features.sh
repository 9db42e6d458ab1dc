#!/bin/bash
# Benchmark of the emg-features chain (issue 3) against NumPy/SciPy and the floor.
#
#   scripts/bench_features.sh [BUILD_DIR]     (default build-bench, configured Release)
#
# Makes a 10-minute, 16-channel, 2 kHz float WAV (synthetic EMG: band-limited
# noise with slowly varying amplitude plus 50 Hz hum), then times, on the same
# file in one run:
#   emg-features -j1 and -j2: band-pass 20-450 Hz (4th order, zero-phase) +
#     50 Hz notch + 1 s windows every 0.5 s + Welch (256-point Hann, 50%) +
#     rms mav wl zc mdf mnf
#   scripts/bench_features_numpy.py: the same chain in vectorised NumPy/SciPy
#   the floor: emg-features --floor (reading the file + the same FFTW transforms)
# and prints a side-by-side table (wall time, peak RSS), then checks that memory
# stays flat: peak RSS of emg-features on 1 minute vs 1 hour (4 channels).
# Environment: BENCH_DIR (scratch, default /tmp/emgkit-bench), BENCH_SKIP_HOUR=1.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-bench}
BENCH_DIR=${BENCH_DIR:-/tmp/emgkit-bench}
PY=/usr/bin/python3
mkdir -p "$BENCH_DIR"

if [ ! -x "$BUILD/bin/emg-features" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEMGKIT_SANITIZE=OFF -DEMGKIT_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j2 --target emg-features >/dev/null
FEAT=$BUILD/bin/emg-features

# synth SECONDS CHANNELS OUT.wav: float32 WAV of synthetic surface EMG
synth() {
    "$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys
import numpy as np
import scipy.signal as ss
from scipy.io import wavfile
seconds, chans, out = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fs = 2000
n = int(seconds * fs)
rng = np.random.default_rng(1)
sos = ss.butter(4, [30, 300], btype="bandpass", fs=fs, output="sos")
t = np.arange(n) / fs
with open(out, "wb") as f:
    pass
data = np.empty((n, chans), dtype=np.float32)
for c in range(chans):
    x = ss.sosfilt(sos, rng.standard_normal(n))
    env = 0.2 + 0.8 * (0.5 + 0.5 * np.sin(2 * np.pi * t / (7 + c)))
    data[:, c] = (1e-4 * env * x + 2e-5 * np.sin(2 * np.pi * 50 * t + c)).astype(np.float32)
wavfile.write(out, fs, data)
PYEOF
}

WAV=$BENCH_DIR/bench_10min_16ch.wav
[ -s "$WAV" ] || synth 600 16 "$WAV"
CHAIN=(--filter-band 20:450 --mains 50 --notch-harmonics 1 -w 1 -s 0.5 --taper hann
       --welch 256:128 --features rms,mav,wl,zc,mdf,mnf)

# run NAME CMD...: wall seconds and peak RSS (MB) into $NAME.time
run() {
    local name=$1; shift
    cat "$WAV" >/dev/null  # same page-cache state for everyone
    /usr/bin/time -f "%e %M %U %S" -o "$BENCH_DIR/$name.time" "$@" >/dev/null 2>"$BENCH_DIR/$name.err" || {
        cat "$BENCH_DIR/$name.err" >&2; exit 1; }
}
run emgkit_j1 "$FEAT" -j1 "${CHAIN[@]}" -o "$BENCH_DIR/emgkit.tsv" "$WAV"
run emgkit_j2 "$FEAT" -j2 "${CHAIN[@]}" -o "$BENCH_DIR/emgkit_j2.tsv" "$WAV"
run floor "$FEAT" --floor -w 1 -s 0.5 --welch 256:128 "$WAV"
run numpy env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" "$SRC/scripts/bench_features_numpy.py" "$WAV" "$BENCH_DIR/numpy.tsv"

t() { cut -d' ' -f1 "$BENCH_DIR/$1.time"; }
m() { echo "$(cut -d' ' -f2 "$BENCH_DIR/$1.time") / 1024" | bc; }
cpu() { echo "$(cut -d' ' -f3 "$BENCH_DIR/$1.time") + $(cut -d' ' -f4 "$BENCH_DIR/$1.time")" | bc; }
NP=$(t numpy); J1=$(t emgkit_j1); J2=$(t emgkit_j2); FL=$(t floor)
NPc=$(cpu numpy); J1c=$(cpu emgkit_j1); J2c=$(cpu emgkit_j2); FLc=$(cpu floor)
echo
echo "10 min x 16 ch x 2 kHz float WAV ($(du -m "$WAV" | cut -f1) MB): band-pass 20-450 (4th, zero-phase) + 50 Hz notch"
echo "+ 1 s windows / 0.5 s step + Welch 256 Hann 50% + rms mav wl zc mdf mnf   (load average: $(cut -d' ' -f1 /proc/loadavg))"
printf '%-34s %9s %9s %9s %11s %11s\n' "implementation" "wall [s]" "CPU [s]" "RSS [MB]" "wall ratio" "CPU ratio"
row() { printf '%-34s %9s %9s %9s %11s %11s\n' "$1" "$2" "$3" "$4" "$(echo "scale=1; $NP / $2" | bc)x" "$(echo "scale=1; $NPc / $3" | bc)x"; }
row "NumPy/SciPy (vectorised, 1 thread)" "$NP" "$NPc" "$(m numpy)"
row "emg-features -j1" "$J1" "$J1c" "$(m emgkit_j1)"
row "emg-features -j2" "$J2" "$J2c" "$(m emgkit_j2)"
row "floor: read + FFTW transforms" "$FL" "$FLc" "$(m floor)"
echo "(ratios: NumPy time / this time)"
echo "emg-features / floor: -j1 wall $(echo "scale=2; $J1 / $FL" | bc)x, CPU $(echo "scale=2; $J1c / $FLc" | bc)x;  -j2 wall $(echo "scale=2; $J2 / $FL" | bc)x"
grep -h "numpy:" "$BENCH_DIR/numpy.err" || true
# The two tables agree (same windows): largest relative MDF difference
"$PY" - "$BENCH_DIR/emgkit.tsv" "$BENCH_DIR/numpy.tsv" <<'PYEOF'
import sys, numpy as np
a = np.genfromtxt(sys.argv[1], delimiter="\t", names=True, dtype=None, encoding=None)
b = np.genfromtxt(sys.argv[2], delimiter="\t", names=True, dtype=None, encoding=None)
for col in ("rms", "mdf", "mnf"):
    d = np.max(np.abs(a[col] - b[col]) / np.abs(b[col]))
    print("emg-features vs numpy: max relative difference in %s %.2e over %d rows" % (col, d, len(a)))
PYEOF
cmp -s "$BENCH_DIR/emgkit.tsv" "$BENCH_DIR/emgkit_j2.tsv" && echo "-j2 table identical to -j1"

# Memory stays flat: 1 minute vs 1 hour of 4 channels.
if [ "${BENCH_SKIP_HOUR:-0}" != 1 ]; then
    [ -s "$BENCH_DIR/bench_1min_4ch.wav" ] || synth 60 4 "$BENCH_DIR/bench_1min_4ch.wav"
    [ -s "$BENCH_DIR/bench_1h_4ch.wav" ] || synth 3600 4 "$BENCH_DIR/bench_1h_4ch.wav"
    WAV=$BENCH_DIR/bench_1min_4ch.wav run min1 "$FEAT" "${CHAIN[@]}" -o /dev/null "$BENCH_DIR/bench_1min_4ch.wav"
    WAV=$BENCH_DIR/bench_1h_4ch.wav run hour1 "$FEAT" "${CHAIN[@]}" -o /dev/null "$BENCH_DIR/bench_1h_4ch.wav"
    WAV=$BENCH_DIR/bench_1h_4ch.wav run hour1_all "$FEAT" -o /dev/null "$BENCH_DIR/bench_1h_4ch.wav"
    echo "peak RSS, 4 channels: 1 min $(m min1) MB, 1 h $(m hour1) MB (1 h, default features and chain: $(m hour1_all) MB, $(t hour1_all) s)"
fi
