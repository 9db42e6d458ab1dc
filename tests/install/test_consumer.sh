#!/usr/bin/env bash
# test_consumer.sh: the installed library as a consumer sees it.
# Installs the build into a temporary prefix, then builds the example program
# of docs/c-api.md against the installed headers and library four ways
# (shared and static; pkg-config and find_package), runs each on a real
# recording and compares its MDF slope with emg-fatigue's; checks what
# pkg-config hands to consumers, that libemgkit.so exports exactly the
# functions of the public headers (libemgkit.a defines no other global
# symbol either), and that the installed Python package
# loads the installed library.
# Environment (from ctest): EMGKIT_BUILD EMGKIT_SRC EMGKIT_DATASETS
# EMGKIT_TEST_TMP CC EMGKIT_SANITIZE_FLAGS EMGKIT_PRELOAD.
set -euo pipefail
tmp=$EMGKIT_TEST_TMP
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "FAIL: $*" >&2; exit 1; }
prefix=$tmp/prefix
cmake --install "$EMGKIT_BUILD" --prefix "$prefix" >/dev/null
so=$(find "$prefix" -name libemgkit.so | head -1)
[ -n "$so" ] || fail "libemgkit.so not installed"
libdir=$(dirname "$so")
for f in "$libdir/libemgkit.a" "$libdir/cmake/emgkit/emgkitConfig.cmake" \
         "$prefix/include/emgkit/version.h" "$prefix/bin/emg-convert" \
         "$prefix/share/man/man1/emg-convert.1"; do
  [ -f "$f" ] || fail "$f not installed"
done
# The installed tools run from the installed library.
"$prefix/bin/emg-info" "$EMGKIT_DATASETS/physionet_emgdb/emg_healthy.hea" >/dev/null ||
  fail "installed emg-info does not run"
soname=$(readelf -d "$libdir/libemgkit.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ -n "$soname" ] && [ -e "$libdir/$soname" ] || fail "libemgkit.so has no SONAME file ($soname)"

# The example program, exactly as docs/c-api.md prints it.
src=$tmp/mdf_trend.c
awk '/<!-- example: mdf_trend.c -->/{f=1;next} f&&/^```c/{g=1;next} g&&/^```/{exit} g' \
  "$EMGKIT_SRC/docs/c-api.md" > "$src"
[ -s "$src" ] || fail "no example in docs/c-api.md"
recording=$EMGKIT_DATASETS/plux_opensignals/emg_fatigue.h5
expected=$("$EMGKIT_BUILD/bin/emg-fatigue" --features mdf "$recording" 2>/dev/null |
  awk -F'\t' 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {print $c["slope_per_min"]}')
[ -n "$expected" ] || fail "emg-fatigue gave no mdf slope"
san=${EMGKIT_SANITIZE_FLAGS:-}

run_example() { # $1: program, $2: shared|static
  local needed
  needed=$(readelf -d "$1" | grep -c 'NEEDED.*libemgkit' || true)
  if [ "$2" = shared ] && [ "$needed" != 1 ]; then fail "$1 does not load libemgkit.so"; fi
  if [ "$2" = static ] && [ "$needed" != 0 ]; then fail "$1 loads libemgkit.so"; fi
  local got
  got=$("$1" "$recording" | awk -F'\t' 'NR==2{print $2}')
  [ "$got" = "$expected" ] || fail "$1: MDF slope $got, emg-fatigue says $expected"
}

# pkg-config: -lemgkit alone; the rest only with --static; no dependency's flags.
export PKG_CONFIG_PATH=$libdir/pkgconfig
libs=$(pkg-config --libs emgkit)
cflags=$(pkg-config --cflags emgkit)
set -- $libs
[ $# = 2 ] && [ "$2" = -lemgkit ] && [ "$(realpath "${1#-L}")" = "$(realpath "$libdir")" ] ||
  fail "pkg-config --libs emgkit: $libs"
set -- $cflags
[ $# = 1 ] && [ "$(realpath "${1#-I}")" = "$(realpath "$prefix/include")" ] ||
  fail "pkg-config --cflags emgkit: $cflags"
version=$(pkg-config --modversion emgkit)
[ "$version" = "$(grep -o 'EMGKIT_VERSION "[^"]*"' "$prefix/include/emgkit/version.h" |
  cut -d'"' -f2)" ] || fail "emgkit.pc and emgkit/version.h disagree on the version"
head -1 "$prefix/share/man/man1/emg-convert.1" | grep -q "\"emgkit $version\"" ||
  fail "installed man page does not say emgkit $version"
static_libs=$(pkg-config --static --libs emgkit)
case "$static_libs" in *-lfftw3*) ;; *) fail "pkg-config --static --libs lacks -lfftw3";; esac
case "$static_libs" in *.so*) fail "absolute .so path in pkg-config --static --libs";; esac
"$CC" $san -Wall -Wextra -Werror $cflags "$src" $libs -Wl,-rpath,"$libdir" -o "$tmp/pc-shared"
run_example "$tmp/pc-shared" shared
"$CC" $san -Wall -Wextra -Werror $cflags "$src" ${static_libs/-lemgkit/-l:libemgkit.a} \
  -o "$tmp/pc-static"
run_example "$tmp/pc-static" static

# find_package: emgkit::emgkit and emgkit::emgkit_static.
mkdir -p "$tmp/cmake"
cat > "$tmp/cmake/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(emgkit 0.1 REQUIRED)
add_executable(cm-shared "$src")
target_link_libraries(cm-shared PRIVATE emgkit::emgkit)
add_executable(cm-static "$src")
target_link_libraries(cm-static PRIVATE emgkit::emgkit_static)
CMAKE
cmake -S "$tmp/cmake" -B "$tmp/cmake/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$san -Wall -Wextra -Werror" \
  -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
cmake --build "$tmp/cmake/build" >/dev/null
run_example "$tmp/cmake/build/cm-shared" shared
run_example "$tmp/cmake/build/cm-static" static

# Exported symbols: exactly the functions the public headers declare, in the
# shared library's dynamic table and among the static library's globals.
sed -n 's/^EMGKIT_API .*[^a-z0-9_]\(emg_[a-z0-9_]*\)(.*/\1/p' "$prefix"/include/emgkit/*.h |
  sort > "$tmp/declared.txt"
nm -D --defined-only "$libdir/libemgkit.so" | awk '{print $3}' | sort > "$tmp/exported.txt"
nm -g --defined-only "$libdir/libemgkit.a" | awk 'NF == 3 {print $3}' | sort > "$tmp/archived.txt"
for list in exported archived; do
  if ! diff "$tmp/declared.txt" "$tmp/$list.txt" > "$tmp/$list.diff"; then
    cat "$tmp/$list.diff" >&2
    fail "$list symbols of libemgkit differ from the functions of include/emgkit/*.h"
  fi
done
n=$(wc -l < "$tmp/exported.txt")
[ "$n" -gt 200 ] || fail "only $n exported symbols"

# The installed Python package finds the installed library by itself.
site=$prefix/lib/python3/dist-packages
loaded=$(env -u EMGKIT_LIBRARY PYTHONPATH="$site" LD_PRELOAD="${EMGKIT_PRELOAD:-}" \
  ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 -c \
  'import os, emgkit; print(os.path.realpath(emgkit.library_path), emgkit.__version__)')
case "$loaded" in "$(realpath "$libdir")"/libemgkit.so.*) ;; *) fail "python loaded $loaded";; esac
echo "ok: $n exported symbols, example built 4 ways, MDF slope $expected Hz/min"
