#!/bin/bash
# Benchmark of the filter | features pipeline against the single tool, NumPy/SciPy and
# the FFTW floor, with -j1 against -j2 (issue 13 items 2-4).
#
#   scripts/bench_pipeline.sh [BUILD_DIR]     (default build-bench, configured Release)
#
# On the 10-minute, 16-channel, 2 kHz float WAV of scripts/bench_features.sh (made
# by it when missing), times side by side in one run, the commands interleaved
# (round k runs every command once, in the same order) and repeated BENCH_REPEAT (5)
# times, reporting medians:
#   single tool: emg-features --filter-band 20:450 --mains 50 --notch-harmonics 1
#     -w 1 -s 0.5 --taper hann --welch 256:128 --features rms,mav,wl,zc,mdf,mnf
#   pipeline:    emg-filter --bandpass 20:450 --mains 50 --notch-harmonics 1 IN - |
#                emg-features --no-filter (same windows and features) -
#   emg-filter alone (its pipe stream into `wc -c`), and emg-features --no-filter on
#     that stream from a file (the two halves of the pipeline)
#   NumPy/SciPy: scripts/bench_features_numpy.py (the same chain, vectorised)
#   the floor: emg-features --floor (reading the file + the same FFTW transforms)
# each of the emgkit commands with -j1 and with -j2; wall and CPU (user + system, all
# processes) seconds and peak RSS (GNU time; for the pipeline, its larger process).
# The load average is printed before and after: on a shared machine wall times swing
# with it, and -j2 can only beat -j1 in wall time when a second core is free, so the
# table also gives CPU / wall (how many cores a command kept busy) and the -j2 / -j1
# ratios of both.  Then the pipe format's own speed: scripts/bench/pipe_throughput.c
# decodes and encodes the stream in memory against memcpy of the same bytes, and
# `cat` of the stream into a pipe.
# Environment: BENCH_DIR (scratch, default /tmp/emgkit-bench), BENCH_REPEAT.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build-bench}
BENCH_DIR=${BENCH_DIR:-/tmp/emgkit-bench}
REPEAT=${BENCH_REPEAT:-5}
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
WIN=(-w 1 -s 0.5 --taper hann --welch 256:128 --features rms,mav,wl,zc,mdf,mnf)
STREAM=$BENCH_DIR/bench_pipeline_filtered.emg
"$FILTER" -q "${BAND[@]}" "$WAV" - >"$STREAM"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# once NAME K CMD...: wall, CPU and peak RSS into $NAME.<k>
once() {
    local name=$1 k=$2; shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/$name.$k" "$@" >/dev/null 2>"$BENCH_DIR/$name.err" || {
        cat "$BENCH_DIR/$name.err" >&2; exit 1; }
}
# into_pipe NAME K CMD...: the same for a command writing a pipe stream, into a pipe
# (/dev/null may be a regular file in containers, which costs differently)
into_pipe() {
    local name=$1 k=$2; shift 2
    /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/$name.$k" "$@" 2>"$BENCH_DIR/$name.err" | wc -c >/dev/null
}
pipe_cmd() {  # pipe_cmd J: the pipeline with -jJ on both sides
    echo "set -o pipefail; '$FILTER' -q -j$1 ${BAND[*]} '$WAV' - | '$FEAT' -q -j$1 ${WIN[*]} --no-filter -o /dev/null -"
}
rm -f "$BENCH_DIR"/{single,pipeline,filter,nofilter,floor,numpy}_j*.[0-9]* "$BENCH_DIR"/numpy.[0-9]*
for k in $(seq "$REPEAT"); do
    cat "$WAV" "$STREAM" >/dev/null  # same page-cache state for everyone
    for j in 1 2; do
        once single_j$j "$k" "$FEAT" -q -j$j "${WIN[@]}" --filter-band 20:450 --mains 50 --notch-harmonics 1 -o /dev/null "$WAV"
        once pipeline_j$j "$k" bash -c "$(pipe_cmd $j)"
        into_pipe filter_j$j "$k" "$FILTER" -q -j$j "${BAND[@]}" "$WAV" -
        once nofilter_j$j "$k" "$FEAT" -q -j$j "${WIN[@]}" --no-filter -o /dev/null "$STREAM"
        once floor_j$j "$k" "$FEAT" -q -j$j --floor -w 1 -s 0.5 --welch 256:128 "$WAV"
    done
    once numpy "$k" env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 "$PY" \
        "$SRC/scripts/bench_features_numpy.py" "$WAV"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# median NAME FIELD: median over the repeats of wall (1), CPU (2 = user + system) or
# peak RSS in MB (3)
median() {
    for f in "$BENCH_DIR/$1".[0-9]*; do
        read -r wall user sys rss <"$f"
        case $2 in
            1) echo "$wall" ;;
            2) echo "$user + $sys" | bc ;;
            3) echo "$rss / 1024" | bc ;;
        esac
    done | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f\n", m }'
}
ratio() { echo "scale=2; $1 / $2" | bc | sed 's/^\./0./'; }
NPw=$(median numpy 1); NPc=$(median numpy 2)
echo
echo "10 min x 16 ch x 2 kHz float WAV: band-pass 20-450 (4th, zero-phase) + 50 Hz notch"
echo "+ 1 s windows / 0.5 s step + Welch 256 Hann 50% + rms mav wl zc mdf mnf;"
echo "medians of $REPEAT interleaved rounds; load average (1, 5, 15 min) $LOAD_BEFORE before,"
echo "$LOAD_AFTER after, on $(nproc) cores"
printf '%-42s %7s %7s %7s %8s %9s %9s %9s\n' "" "wall s" "CPU s" "RSS MB" "CPU/wall" "NumPy/this" "NumPy/this" "this/single"
printf '%-42s %7s %7s %7s %8s %9s %9s %9s\n' "" "" "" "" "(cores)" "(wall)" "(CPU)" "(wall, same -j)"
row() {  # row NAME LABEL SINGLE
    local w c
    w=$(median "$1" 1); c=$(median "$1" 2)
    printf '%-42s %7s %7s %7s %8s %9sx %9sx %9s\n' "$2" "$w" "$c" "$(median "$1" 3)" \
        "$(ratio "$c" "$w")" "$(ratio "$NPw" "$w")" "$(ratio "$NPc" "$c")" "${3:+$(ratio "$w" "$(median "$3" 1)")x}"
}
row numpy "NumPy/SciPy chain (vectorised, 1 thread)"
for j in 1 2; do
    row single_j$j "emg-features (one tool) -j$j" single_j$j
    row pipeline_j$j "emg-filter | emg-features -j$j" single_j$j
    row filter_j$j "emg-filter alone (into a pipe) -j$j" single_j$j
    row nofilter_j$j "emg-features --no-filter (file) -j$j" single_j$j
    row floor_j$j "floor: read + FFTW transforms -j$j" single_j$j
done
for j in 1 2; do
    echo "-j$j pipeline / single tool: wall $(ratio "$(median pipeline_j$j 1)" "$(median single_j$j 1)")x," \
         "CPU $(ratio "$(median pipeline_j$j 2)" "$(median single_j$j 2)")x;" \
         "single tool / floor: wall $(ratio "$(median single_j$j 1)" "$(median floor_j$j 1)")x"
done
echo
echo "Ratios (medians of wall times; CPU = user + system of all threads):"
echo "  NumPy/SciPy / emg-features -j1: wall $(ratio "$NPw" "$(median single_j1 1)")x," \
     "CPU $(ratio "$NPc" "$(median single_j1 2)")x  (issue 13 target: 20x)"
echo "  NumPy/SciPy / emg-features -j2: wall $(ratio "$NPw" "$(median single_j2 1)")x"
echo "  NumPy/SciPy / emg-filter | emg-features -j1: wall $(ratio "$NPw" "$(median pipeline_j1 1)")x," \
     "CPU $(ratio "$NPc" "$(median pipeline_j1 2)")x  (target: 10x)"
label() {
    case $1 in
        single) echo "emg-features (one tool, 16 ch)" ;;
        pipeline) echo "emg-filter | emg-features" ;;
        filter) echo "emg-filter (16 ch, into a pipe)" ;;
        nofilter) echo "emg-features --no-filter" ;;
    esac
}
for name in single filter pipeline nofilter; do
    echo "  $(label $name): -j2 speed-up (-j1 wall / -j2 wall)" \
         "$(ratio "$(median ${name}_j1 1)" "$(median ${name}_j2 1)")x (target 1.7x);" \
         "CPU -j2 / -j1 $(ratio "$(median ${name}_j2 2)" "$(median ${name}_j1 2)")x;" \
         "cores kept busy -j1 $(ratio "$(median ${name}_j1 2)" "$(median ${name}_j1 1)")," \
         "-j2 $(ratio "$(median ${name}_j2 2)" "$(median ${name}_j2 1)")"
done
echo "(-j2 can reach 2x -j1 in wall time only with a second core free: compare CPU/wall, and"
echo " rerun at a quiet moment, load average under 1, for the wall ratio)"

# The main thread's share of the CPU with -j2 (perf samples whose thread is the
# process's first): whatever the load, -j2 can be at most 1 / share faster
# than -j1, since the main thread's work does not spread.
if command -v perf >/dev/null 2>&1; then
    main_share() {  # main_share CMD...: percent of perf samples on the main thread
        perf record -q -F 1999 -o "$BENCH_DIR/perf.data" -- "$@" >/dev/null 2>&1 || return 1
        perf script -i "$BENCH_DIR/perf.data" -F comm,pid,tid 2>/dev/null | awk '
            $1 ~ /^emg-/ { split($2, id, "/"); n++; if (id[1] == id[2]) m++ }
            END { if (m) printf "%.0f%% (bound %.2fx)", 100 * m / n, n / m; else exit 1 }'
    }
    echo "Main thread's share of the CPU with -j2:" \
         "emg-features $(main_share "$FEAT" -q -j2 "${WIN[@]}" --filter-band 20:450 --mains 50 \
             --notch-harmonics 1 -o /dev/null "$WAV" || echo "n/a")," \
         "emg-filter $(main_share bash -c "'$FILTER' -q -j2 ${BAND[*]} '$WAV' - | wc -c" || echo "n/a")"
    rm -f "$BENCH_DIR/perf.data"
fi

# The pipe format itself: encode / decode in memory against memcpy, and cat.
LIBS=$(sed -e 's/^.* -o bin\/emg-info //' "$BUILD/CMakeFiles/emg-info.dir/link.txt")
(cd "$BUILD" && cc -O2 -I"$SRC/include" "$SRC/scripts/bench/pipe_throughput.c" -o "$BENCH_DIR/pipe_throughput" $LIBS)
{ "$BENCH_DIR/pipe_throughput" "$STREAM" | wc -c >/dev/null; } 2>&1
/usr/bin/time -f "cat of the stream into a pipe: %e s wall, %U + %S s CPU" cat "$STREAM" | wc -c >/dev/null
echo "($(du -m "$STREAM" | cut -f1) MB stream)"
