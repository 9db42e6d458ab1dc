#!/usr/bin/env bash
# Damaged HDF5 metadata that makes libhdf5 itself crash or loop (variable-length
# strings whose global-heap entries are corrupt): the tools end with exit 3 and
# one line naming the file, in bounded time (docs/fault-handling.md).
. "$(dirname "$0")/lib.sh"

"$BIN/emg-synth" --duration 2 -o "$TMP/good.h5" --events "$TMP/good.events.tsv"
command -v python3 >/dev/null || { echo "skipped: python3 is needed to damage the file" >&2; finish; exit; }

# Each byte of a stretch of the first global heap collection (where the
# strings live) overwritten in turn; some of these made libhdf5 copy
# megabytes from a wild address.
python3 - "$TMP" <<'PY'
import sys
tmp = sys.argv[1]
data = open(tmp + "/good.h5", "rb").read()
heap = data.find(b"GCOL")
assert heap > 0, "no global heap in the file"
n = 0
for offset in range(heap + 100, heap + 160):
    for value in (0x3c,):
        d = bytearray(data)
        d[offset] = value
        open("%s/heap-%03d.h5" % (tmp, n), "wb").write(d)
        n += 1
PY
crashes=0
for f in "$TMP"/heap-*.h5; do
  timeout 120 "$BIN/emg-info" "$f" >/dev/null 2>"$TMP/err"
  code=$?
  lines=$(wc -l <"$TMP/err")
  if [ "$code" -ne 0 ] && { [ "$code" -ne 3 ] || [ "$lines" -ne 1 ] || ! grep -qF "$f" "$TMP/err"; }; then
    fail "$(basename "$f"): exit $code, stderr: $(head -c 300 "$TMP/err")"
  else
    pass
  fi
  grep -q "crashed the library" "$TMP/err" && crashes=$((crashes + 1))
done
echo "damaged heaps that crash libhdf5 when read unguarded: $crashes"
finish
