#!/bin/bash
# Benchmark of the filter | features pipeline against the single tool and NumPy/SciPy
# (issue 13 item 2: pipelines at single-tool speed).
#
#   scripts/bench_pipeline.sh [BUILD_DIR]     (default build-bench, configured Release)
#
# On the 10-minute, 16-channel, 2 kHz float WAV of scripts/bench_features.sh (made
# by it when missing), times side by side in one run, best of BENCH_REPEAT (3):
#   single tool: emg-features --filter-band 20:450 --mains 50 --notch-harmonics 1
#     -w 1 -s 0.5 --taper hann --welch 256:128 --features rms,mav,wl,zc,mdf,mnf
#   pipeline:    emg-filter --bandpass 20:450 --mains 50 --notch-harmonics 1 IN - |
#                emg-features --no-filter (same windows and features) -
#   emg-filter alone (its pipe stream into `wc -c`), and emg-features --no-filter on
#     that stream from a file (the two halves of the pipeline)
#   NumPy/SciPy: scripts/bench_features_numpy.py (the same chain, vectorised)
#   the floor: emg-features --floor (reading the file + the same FFTW transforms)
# all -j1, with wall and CPU (user + system, all processes) seconds and peak RSS
# (GNU time; for the pipeline, its larger process).  Then the pipe format's own
# speed: scripts/bench/pipe_throughput.c decodes and encodes the stream in memory
# against memcpy of the same bytes, and `cat` of the stream into a pipe.
# Environment: BENCH_DIR (scratch, default /tmp/emgkit-bench), BENCH_REPEAT.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-bench}
BENCH_DIR=${BENCH_DIR:-/tmp/emgkit-bench}
REPEAT=${BENCH_REPEAT:-3}
PY=/usr/bin/python3
mkdir -p "$BENCH_DIR"
if [ ! -x "$BUILD/bin/emg-filter" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DEMGKIT_SANITIZE=OFF -DEMGKIT_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" -j2 --target emg-filter emg-features >/dev/null
FILTER=$BUILD/bin/emg-filter
FEAT=$BUILD/bin/emg-features

WAV=$BENCH_DIR/bench_10min_16ch.wav
if [ ! -s "$WAV" ]; then
    echo "making $WAV with scripts/bench_features.sh" >&2
    BENCH_SKIP_HOUR=1 BENCH_DIR=$BENCH_DIR "$SRC/scripts/bench_features.sh" "$BUILD" >/dev/null
fi
BAND=(--bandpass 20:450 --mains 50 --notch-harmonics 1)
WIN=(-j1 -w 1 -s 0.5 --taper hann --welch 256:128 --features rms,mav,wl,zc,mdf,mnf)
STREAM=$BENCH_DIR/bench_pipeline_filtered.emg
"$FILTER" "${BAND[@]}" "$WAV" - 2>/dev/null >"$STREAM"

# once NAME CMD...: wall, CPU and peak RSS into $NAME.<k>
once() {
    local name=$1 k=$2; shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/$name.$k" "$@" >/dev/null 2>"$BENCH_DIR/$name.err" || {
        cat "$BENCH_DIR/$name.err" >&2; exit 1; }
}
PIPE_CMD="'$FILTER' ${BAND[*]} '$WAV' - 2>/dev/null | '$FEAT' ${WIN[*]} --no-filter -o /dev/null - 2>/dev/null"
for k in $(seq "$REPEAT"); do
    cat "$WAV" "$STREAM" >/dev/null  # same page-cache state for everyone
    once single "$k" "$FEAT" "${WIN[@]}" --filter-band 20:450 --mains 50 --notch-harmonics 1 -o /dev/null "$WAV"
    once pipeline "$k" bash -c "set -o pipefail; $PIPE_CMD"
    # its own time, writing into a pipe (/dev/null may be a regular file in containers)
    /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/filter.$k" "$FILTER" "${BAND[@]}" "$WAV" - 2>/dev/null | wc -c >/dev/null
    once nofilter "$k" "$FEAT" "${WIN[@]}" --no-filter -o /dev/null "$STREAM"
    once floor "$k" "$FEAT" --floor -w 1 -s 0.5 --welch 256:128 "$WAV"
    once numpy "$k" env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" \
        "$SRC/scripts/bench_features_numpy.py" "$WAV"
done

# best NAME FIELD: smallest wall (1), CPU (2 = user + system) or RSS in MB (3) over the repeats
best() {
    for f in "$BENCH_DIR/$1".[0-9]*; do
        read -r wall user sys rss <"$f"
        case $2 in
            1) echo "$wall" ;;
            2) echo "$user + $sys" | bc ;;
            3) echo "$rss / 1024" | bc ;;
        esac
    done | sort -g | head -1
}
ratio() { echo "scale=2; $1 / $2" | bc; }
NPw=$(best numpy 1); NPc=$(best numpy 2); Sw=$(best single 1); Sc=$(best single 2)
echo
echo "10 min x 16 ch x 2 kHz float WAV: band-pass 20-450 (4th, zero-phase) + 50 Hz notch"
echo "+ 1 s windows / 0.5 s step + Welch 256 Hann 50% + rms mav wl zc mdf mnf, -j1, best of $REPEAT"
echo "(load average: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores)"
printf '%-40s %8s %8s %8s %10s %10s %10s\n' "" "wall s" "CPU s" "RSS MB" "NumPy/this" "NumPy/this" "this/single"
printf '%-40s %8s %8s %8s %10s %10s %10s\n' "" "" "" "" "(wall)" "(CPU)" "(wall)"
for row in "numpy:NumPy/SciPy chain (vectorised)" "single:emg-features (one tool)" \
           "pipeline:emg-filter | emg-features" "filter:emg-filter alone (into a pipe)" \
           "nofilter:emg-features --no-filter (file)" "floor:floor: read + FFTW transforms"; do
    name=${row%%:*}; w=$(best "$name" 1); c=$(best "$name" 2)
    printf '%-40s %8s %8s %8s %9sx %9sx %9sx\n' "${row#*:}" "$w" "$c" "$(best "$name" 3)" \
        "$(ratio "$NPw" "$w")" "$(ratio "$NPc" "$c")" "$(ratio "$w" "$Sw")"
done
echo "pipeline / single tool: wall $(ratio "$(best pipeline 1)" "$Sw")x, CPU $(ratio "$(best pipeline 2)" "$Sc")x"

# The pipe format itself: encode / decode in memory against memcpy, and cat.
LIBS=$(sed -e 's/^.* -o bin\/emg-info //' "$BUILD/CMakeFiles/emg-info.dir/link.txt")
(cd "$BUILD" && cc -O2 -I"$SRC/include" "$SRC/scripts/bench/pipe_throughput.c" -o "$BENCH_DIR/pipe_throughput" $LIBS)
{ "$BENCH_DIR/pipe_throughput" "$STREAM" | wc -c >/dev/null; } 2>&1
/usr/bin/time -f "cat of the stream into a pipe: %e s wall, %U + %S s CPU" cat "$STREAM" | wc -c >/dev/null
echo "($(du -m "$STREAM" | cut -f1) MB stream)"
