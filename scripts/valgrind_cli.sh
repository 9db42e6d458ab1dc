#!/usr/bin/env bash
# Run the CLI tests with every tool under valgrind (memcheck), on a build without
# sanitizers: scripts/valgrind_cli.sh [CTEST_REGEX]   (default: every cli/ test).
# Each tool is replaced by a wrapper that runs it under valgrind and turns any
# memcheck error into exit 99 and a log in build-valgrind/valgrind-logs/; the
# script ends by listing the logs that hold errors (none: exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
regex=${1:-cli/}
command -v valgrind >/dev/null || { scripts/setup.sh --deps-only; apt-get install -y -qq valgrind >/dev/null; }
cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMGKIT_SANITIZE=OFF >/dev/null
cmake --build build-valgrind -j "$(nproc)" >/dev/null

real=$PWD/build-valgrind/bin
wrap=$PWD/build-valgrind/valgrind-bin
logs=$PWD/build-valgrind/valgrind-logs
rm -rf "$wrap" "$logs" && mkdir -p "$wrap" "$logs"
for tool in "$real"/emg-*; do
  name=$(basename "$tool")
  cat >"$wrap/$name" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
  --trace-children=yes --log-file="$logs/$name.%p.log" "$tool" "\$@"
EOF
  chmod +x "$wrap/$name"
done

# The CLI tests read the tools from EMGKIT_BIN: point it at the wrappers.
cd build-valgrind
ctest -R "$regex" -N | grep -c "Test *#" | xargs echo "valgrind_cli.sh: tests:"
sed -i "s|EMGKIT_BIN=$real|EMGKIT_BIN=$wrap|g" tests/CTestTestfile.cmake
ctest -R "$regex" -j "$(nproc)" --timeout 7200 || true
sed -i "s|EMGKIT_BIN=$wrap|EMGKIT_BIN=$real|g" tests/CTestTestfile.cmake
bad=$(grep -l . "$logs"/*.log 2>/dev/null || true)
if [ -n "$bad" ]; then
  echo "valgrind_cli.sh: memcheck errors in:" $bad >&2
  exit 1
fi
echo "valgrind_cli.sh: no memcheck error in $(ls "$logs" | wc -l) tool runs"
