#!/usr/bin/env bash
# Set up (installing what is missing), build with AddressSanitizer and
# UndefinedBehaviorSanitizer, and run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --sanitize
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-sanitize
ctest --output-on-failure -j "$(nproc)" "$@"
