#!/usr/bin/env bash
# cmake --install gives another C project what it needs: headers, the library,
# a pkg-config file and a CMake package; both ways of linking are tried.
. "$(dirname "$0")/lib.sh"
build=$(dirname "$BIN")
prefix="$TMP/prefix"
cmake --install "$build" --prefix "$prefix" >"$TMP/install.log" 2>&1 && pass || fail "cmake --install: $(tail -3 "$TMP/install.log")"
for f in include/emgkit/emgkit.h lib/libemgkit.a lib/pkgconfig/emgkit.pc lib/cmake/emgkit/emgkitConfig.cmake bin/emg-convert share/man/man1/emg-convert.1; do
  [ -e "$prefix/$f" ] && pass || fail "installed $f"
done
flags=""
grep -q "EMGKIT_SANITIZE:BOOL=ON" "$build/CMakeCache.txt" && flags="-fsanitize=address,undefined"
cat >"$TMP/consumer.c" <<'C'
#include <emgkit/emgkit.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    emg_recording rec;
    emg_error err;
    if (argc < 2 || emg_recording_load(&rec, argv[1], NULL, &err) < 0)
        return 1;
    printf("%zu %lld\n", rec.header.n_channels, (long long)rec.header.channels[0].n_samples);
    emg_recording_free(&rec);
    return 0;
}
C
# pkg-config
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cc $flags "$TMP/consumer.c" -o "$TMP/consumer_pc" \
  $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs emgkit) 2>"$TMP/cc.log" && pass || fail "link via pkg-config: $(head -3 "$TMP/cc.log")"
[ "$("$TMP/consumer_pc" "$DATA/physionet_emgdb/emg_healthy.hea")" = "1 50860" ] && pass || fail "pkg-config consumer reads a record"
# CMake package
mkdir -p "$TMP/cmake_consumer"
cp "$TMP/consumer.c" "$TMP/cmake_consumer/main.c"
cat >"$TMP/cmake_consumer/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.18)
project(consumer C)
find_package(emgkit REQUIRED)
add_executable(consumer main.c)
target_compile_options(consumer PRIVATE $flags)
target_link_options(consumer PRIVATE $flags)
target_link_libraries(consumer emgkit::emgkit)
CM
cmake -S "$TMP/cmake_consumer" -B "$TMP/cmake_consumer/build" -DCMAKE_PREFIX_PATH="$prefix" >"$TMP/cm.log" 2>&1 &&
  cmake --build "$TMP/cmake_consumer/build" >>"$TMP/cm.log" 2>&1 && pass || fail "find_package(emgkit): $(tail -5 "$TMP/cm.log")"
[ "$("$TMP/cmake_consumer/build/consumer" "$DATA/physionet_emgdb/emg_healthy.hea")" = "1 50860" ] && pass || fail "CMake consumer reads a record"
finish
