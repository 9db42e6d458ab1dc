#!/usr/bin/env bash
# Pipe streams (docs/pipe-format.md) that end or proceed wrongly: bytes after
# the end marker, and DATA blocks whose counts do not follow the channel rates,
# are input errors (exit 3, one line naming the stream), never silently read.
. "$(dirname "$0")/lib.sh"

REC="$DATA/physionet_emgdb/emg_healthy.hea"
"$BIN/emg-convert" "$REC" "$TMP/one.emg"

# --- a stream holds one recording
expect_exit 0 "one stream" -- "$BIN/emg-info" - <"$TMP/one.emg"
cat "$TMP/one.emg" "$TMP/one.emg" >"$TMP/two.emg"
expect_exit 3 "two streams concatenated, on stdin" -- sh -c "cat '$TMP/two.emg' | '$BIN/emg-info' -"
expect_one_error_line "end marker"
expect_exit 3 "two streams concatenated, as a file" -- "$BIN/emg-convert" "$TMP/two.emg" "$TMP/x.csv"
expect_one_error_line "two.emg"
[ ! -e "$TMP/x.csv" ] && pass || fail "a rejected stream left an output"
(cat "$TMP/one.emg"; printf x) >"$TMP/extra.emg"
expect_exit 3 "one byte after the end marker" -- "$BIN/emg-convert" "$TMP/extra.emg" "$TMP/x.csv"
expect_one_error_line "extra.emg"

# --- DATA block counts must follow the channel rates
# write_stream FILE COUNTS...: two channels at 100 Hz, one DATA block per
# "A,B" pair (A samples of channel 1, B of channel 2), then a correct END!.
write_stream() {
  python3 - "$@" <<'PY'
import struct, sys
path, blocks = sys.argv[1], [tuple(map(int, b.split(","))) for b in sys.argv[2:]]
out = bytearray(b"EMGPIPE1\nstart_time\t\nsubject\t\nrecording\t\n")
for name in ("a", "b"):
    out += ("channel\t%s\tuV\t100\t-1\t0\t0\t0\t0\t\n" % name).encode()
out += b"end\n"
totals = [0, 0]
for counts in blocks:
    payload = struct.pack("<I", 2) + struct.pack("<2I", *counts)
    for c in counts:
        payload += struct.pack("<%dd" % c, *([0.5] * c))
    out += b"DATA" + struct.pack("<I", len(payload)) + payload
    totals = [t + c for t, c in zip(totals, counts)]
out += b"END!" + struct.pack("<I", 16) + struct.pack("<2Q", *totals)
open(path, "wb").write(out)
PY
}
if command -v python3 >/dev/null; then
  write_stream "$TMP/even.emg" 10,10 10,10 7,7
  expect_exit 0 "blocks in proportion" -- "$BIN/emg-convert" "$TMP/even.emg" "$TMP/even.h5"
  write_stream "$TMP/ragged.emg" 10,10 10,9 10,11 4,4
  expect_exit 0 "a sample of rounding between blocks" -- "$BIN/emg-convert" "$TMP/ragged.emg" "$TMP/ragged.h5"
  write_stream "$TMP/shorter.emg" 10,10 10,3 10,0 10,0
  expect_exit 0 "a channel that ends early" -- "$BIN/emg-convert" "$TMP/shorter.emg" "$TMP/shorter.h5"
  write_stream "$TMP/skewed.emg" 10,10 10,5 10,5 10,5
  expect_exit 3 "a channel given half its samples" -- "$BIN/emg-convert" "$TMP/skewed.emg" "$TMP/skewed.h5"
  expect_one_error_line "skewed.emg"
  grep -q "rates" "$TMP/err" && pass || fail "message should say the blocks do not follow the rates: $(cat "$TMP/err")"
  expect_exit 3 "skewed blocks on stdin" -- sh -c "'$BIN/emg-info' - <'$TMP/skewed.emg'"
  write_stream "$TMP/late.emg" 10,0 10,0 10,20
  expect_exit 3 "a channel that catches up late" -- "$BIN/emg-convert" "$TMP/late.emg" "$TMP/late.h5"
  expect_one_error_line "late.emg"
else
  echo "skipped the DATA block checks: python3 is needed to write the streams" >&2
fi

finish
