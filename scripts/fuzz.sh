#!/usr/bin/env bash
# Fuzz every reader and table parser with libFuzzer (clang, ASan, UBSan).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Targets: pipe wfdb edf bdf sndfile hdf5 text csv events segments scenario
# (default: all), 60 s each.
# Seeds are the real and malformed recordings in datasets/ and tests/fuzz/corpus/
# (see EMGKIT_FUZZ_TARGETS in tests/CMakeLists.txt); crashes are written
# to build-fuzz/crashes/ and the run stops with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pipe wfdb edf bdf sndfile hdf5 text csv events segments scenario)
command -v clang >/dev/null || { apt-get update -qq && apt-get install -y -qq clang >/dev/null; }
scripts/setup.sh --deps-only
CC=clang cmake -S . -B build-fuzz -DEMGKIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
mkdir -p build-fuzz/crashes
for t in "${targets[@]}"; do
  cmake --build build-fuzz --target "fuzz_$t" -j "$(nproc)" >/dev/null
  corpus=build-fuzz/corpus-$t
  mkdir -p "$corpus"
  tr ';' '\n' <"build-fuzz/fuzz-seeds-$t.txt" | while read -r seed; do
    [ -n "$seed" ] && cp -n "$seed" "$corpus/" 2>/dev/null || true
  done
  echo "== fuzz_$t for ${seconds}s" >&2
  ASAN_OPTIONS=detect_leaks=1 build-fuzz/bin/fuzz_$t "$corpus" -max_total_time="$seconds" \
    -max_len=65536 -rss_limit_mb=2048 -timeout=10 -artifact_prefix=build-fuzz/crashes/"$t"- \
    -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss|#[0-9]+ *DONE)|ERROR|SUMMARY" || true
done
if ls build-fuzz/crashes/* >/dev/null 2>&1; then
  echo "fuzz.sh: crashes found in build-fuzz/crashes/" >&2
  exit 1
fi
