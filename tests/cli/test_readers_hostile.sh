#!/usr/bin/env bash
# Hostile headers through the tools: each gets exit 3 and one line naming the
# file, never a crash, a hang, an "out of memory" or a file outside the
# recording read as samples (docs/fault-handling.md, "Readers").
. "$(dirname "$0")/lib.sh"

healthy="$DATA/physionet_emgdb/emg_healthy"
: >"$TMP/empty.dat"
head -c 8 /dev/zero >"$TMP/r.dat"

# --- WFDB signal files outside the record's folder, or not regular files
printf 'r 1 1 1\n/etc/passwd 8 100/mV\n' >"$TMP/passwd.hea"
expect_exit 3 "absolute signal file" -- "$BIN/emg-convert" "$TMP/passwd.hea" "$TMP/leak.csv"
expect_one_error_line "outside the record's folder"
[ ! -e "$TMP/leak.csv" ] && pass || fail "/etc/passwd was converted"
mkdir -p "$TMP/rec"
printf 'r 1 100 4\n../r.dat 16 200/mV 16 0 0 0 0 a\n' >"$TMP/rec/up.hea"
expect_exit 3 "signal file in the parent folder" -- "$BIN/emg-info" "$TMP/rec/up.hea"
expect_one_error_line "up.hea"
mkfifo "$TMP/fifo.dat"
printf 'r 1 100 4\nfifo.dat 16 200/mV 16 0 0 0 0 a\n' >"$TMP/fifo.hea"
expect_exit 3 "FIFO as signal file (no hang)" -- timeout 20 "$BIN/emg-info" "$TMP/fifo.hea"
expect_one_error_line "FIFO"

# --- absurd sampling rates: refused by the model for every reader
printf 'r 1 4.6e21 4\nr.dat 16 200/mV 16 0 0 0 0 a\n' >"$TMP/fast.hea"
expect_exit 3 "WFDB at 4.6e21 Hz" -- "$BIN/emg-detect" "$TMP/fast.hea"
expect_one_error_line "outside 0.0001-1e+07 Hz"
printf 'time,a\n0,1\n1e-300,2\n2e-300,3\n' >"$TMP/fast.csv"
expect_exit 3 "CSV at 1e300 Hz" -- "$BIN/emg-info" "$TMP/fast.csv"
expect_one_error_line "fast.csv"
"$BIN/emg-convert" "$healthy.hea" -c 1 -t 0.001 - >"$TMP/p.emg"
perl -pe 's/\t4000\t4\t/\t1e300\t4\t/' "$TMP/p.emg" >"$TMP/fast.emg"
expect_exit 3 "pipe at 1e300 Hz (heap overflow in the band-pass)" -- "$BIN/emg-detect" "$TMP/fast.emg"
expect_one_error_line "fast.emg"

# --- absurd declared lengths: "declares N, holds M", not "out of memory"
printf 'r 1 1000 1000000000000\nr.dat 16 200/mV 16 0 0 0 0 a\n' >"$TMP/long.hea"
expect_exit 3 "WFDB declaring 1e12 samples" -- "$BIN/emg-detect" "$TMP/long.hea"
expect_one_error_line "1000000000000"
perl -pe 's/\t4000\t4\t/\t4000\t1000000000000\t/' "$TMP/p.emg" >"$TMP/long.emg"
expect_exit 3 "pipe declaring 1e12 samples" -- "$BIN/emg-detect" "$TMP/long.emg"
expect_one_error_line "declares 1000000000000"
expect_exit 3 "pipe on stdin declaring 1e12 samples" -- "$BIN/emg-detect" - <"$TMP/long.emg"
expect_one_error_line "declares 1000000000000"

# --- Latin-1 names and units (WFDB description, CSV header): valid UTF-8 JSON
printf 'l 1 100 4\nl.dat 16 200/\xb5V 16 0 0 0 0 Mu\xdfkel\n' >"$TMP/l.hea"
head -c 8 /dev/zero >"$TMP/l.dat"
printf 'time,Mu\xdfkel\n0,1\n0.01,2\n' >"$TMP/l.csv"
expect_exit 0 "Latin-1 names" -- "$BIN/emg-info" --json "$TMP/l.hea" "$TMP/l.csv"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1],"rb").read().decode("utf-8")); assert [c["name"] for f in d for c in f["channels"]] == ["Mu\u00dfkel"] * 2; assert d[0]["channels"][0]["unit"] == "\u00b5V"' "$TMP/out" && pass || fail "emg-info --json is not valid UTF-8 JSON with the names: $(head -c 300 "$TMP/out")"

# --- a FIFO as the input (<(...)) is read once, whole; a device is refused
"$BIN/emg-convert" "$healthy.hea" -t 0.5 --to csv - >"$TMP/h.csv"
mkfifo "$TMP/in.fifo"
cat "$TMP/h.csv" >"$TMP/in.fifo" &
expect_exit 0 "FIFO input" -- timeout 20 "$BIN/emg-convert" "$TMP/in.fifo" --to csv -
cmp -s "$TMP/out" "$TMP/h.csv" && pass || fail "FIFO input: different samples"
wait
expect_exit 2 "a device as input" -- timeout 20 "$BIN/emg-info" /dev/zero
expect_one_error_line "/dev/zero"

finish
