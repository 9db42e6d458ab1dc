#!/usr/bin/env bash
# WFDB and text formats through the tools: broken records and tables give exit 3
# and one line naming the file, irregular time columns are reported on stderr,
# text output needs one rate, and WFDB/CSV round trips through the pipe.
. "$(dirname "$0")/lib.sh"

healthy="$DATA/physionet_emgdb/emg_healthy"
uci="$DATA/uci_gestures/S01_1_raw_data_13-12_22.03.16.txt"

# --- a truncated signal file: refused at open, expected vs actual count named
printf 'trunc 1 4000 50860\ntrunc.dat 16 10000/mV 16 0 -333 -29438 0 EMG\n' >"$TMP/trunc.hea"
head -c 100001 "$healthy.dat" >"$TMP/trunc.dat"
expect_exit 3 "truncated .dat" -- "$BIN/emg-info" "$TMP/trunc.hea"
expect_one_error_line "trunc.dat"
grep -q "50000.*50860" "$TMP/err" && pass || fail "counts in the message: $(cat "$TMP/err")"
expect_exit 3 "truncated .dat, convert" -- "$BIN/emg-convert" "$TMP/trunc.hea" "$TMP/out.csv"
[ ! -e "$TMP/out.csv" ] && pass || fail "a failed conversion left out.csv"

# --- a checksum that does not match the data: found at the end, nothing left behind
sed 's/-29438/-29437/' "$healthy.hea" | sed 's/emg_healthy/badsum/g' >"$TMP/badsum.hea"
cp "$healthy.dat" "$TMP/badsum.dat"
expect_exit 3 "bad checksum" -- "$BIN/emg-convert" "$TMP/badsum.hea" "$TMP/badsum.edf"
expect_one_error_line "badsum.dat"
[ -z "$(ls -A "$TMP" | grep 'badsum.edf')" ] && pass || fail "bad checksum left an output"

# --- a bad header line names the header and the line
printf 'bad 1 4000 10\nbad.dat 16 ten/mV 16 0 0 0 0 EMG\n' >"$TMP/bad.hea"
: >"$TMP/bad.dat"
expect_exit 3 "bad header line" -- "$BIN/emg-info" "$TMP/bad.hea"
expect_one_error_line "bad.hea:2"

# --- ragged and unparsable CSV rows name file:line
printf 'time,a,b\n0,1,2\n0.001,3\n' >"$TMP/ragged.csv"
expect_exit 3 "ragged CSV" -- "$BIN/emg-info" "$TMP/ragged.csv"
expect_one_error_line "ragged.csv:3"
printf 'a;b\n1,5;2\n2,5;x\n' >"$TMP/word.csv"
expect_exit 3 "unparsable number" -- "$BIN/emg-info" --fs 100 "$TMP/word.csv"
expect_one_error_line "word.csv:3"
printf 'a,b\n1,2\n' >"$TMP/norate.csv"
expect_exit 3 "no rate" -- "$BIN/emg-info" "$TMP/norate.csv"
grep -q -- "--fs" "$TMP/err" && pass || fail "no rate: should ask for --fs: $(cat "$TMP/err")"

# --- the UCI file: irregular time column reported, resampled only on request
expect_exit 0 "UCI info" -- "$BIN/emg-info" "$uci"
grep -q "warning:.*time column irregular (nominal 1000 Hz, 1924 of 63195" "$TMP/err" && pass ||
  fail "irregular time column not reported: $(cat "$TMP/err")"
awk -F'\t' 'NR > 1 && $6 != 63196 { bad = 1 } END { exit bad }' "$TMP/out" && pass || fail "UCI rows"
expect_exit 0 "UCI resample" -- "$BIN/emg-info" --resample "$uci"
awk -F'\t' 'NR > 1 && $6 != 65661 { bad = 1 } END { exit bad }' "$TMP/out" && pass || fail "UCI resampled samples"

# --- text output needs one rate
expect_exit 4 "multi-rate to CSV" -- "$BIN/emg-convert" "$DATA/sleepedf_excerpt/short_psg.edf" "$TMP/psg.csv"
grep -q -- "-c" "$TMP/err" && pass || fail "multi-rate message should suggest -c: $(cat "$TMP/err")"
expect_exit 0 "one rate to CSV" -- "$BIN/emg-convert" -c 1-3 "$DATA/sleepedf_excerpt/short_psg.edf" "$TMP/psg.csv"
[ "$(wc -l <"$TMP/psg.csv")" -eq 30001 ] && pass || fail "psg.csv: 30000 rows + header"

# --- multi-rate WFDB with frame multiplicity, then back
expect_exit 0 "multi-rate to WFDB" -- "$BIN/emg-convert" "$DATA/sleepedf_excerpt/short_psg.edf" "$TMP/psg.hea"
grep -q "^psg.dat 16x100 " "$TMP/psg.hea" && pass || fail "frame multiplicity: $(head -3 "$TMP/psg.hea")"
dump "$DATA/sleepedf_excerpt/short_psg.edf" -c 1-3 >"$TMP/psg_edf.tsv"
dump "$TMP/psg.hea" -c 1-3 >"$TMP/psg_hea.tsv"
# EDF baselines are fractional, WFDB's are integers: at most half a step (EOG: 0.49 uV).
expect_close "$TMP/psg_edf.tsv" "$TMP/psg_hea.tsv" 0.247 "EDF -> WFDB within half a step"

# --- WFDB -> pipe -> CSV -> WFDB: values, names, rate; CSV to stdout streams
"$BIN/emg-convert" "$healthy.hea" - | "$BIN/emg-convert" - "$TMP/h.csv" && pass || fail "pipe to CSV"
head -1 "$TMP/h.csv" | grep -qx "time (s),EMG (mV)" && pass || fail "CSV header: $(head -1 "$TMP/h.csv")"
"$BIN/emg-convert" "$TMP/h.csv" "$TMP/h.hea" && pass || fail "CSV to WFDB"
dump "$healthy.hea" >"$TMP/h1.tsv"
dump "$TMP/h.hea" >"$TMP/h2.tsv"
expect_close "$TMP/h1.tsv" "$TMP/h2.tsv" 0.0001 "WFDB -> CSV -> WFDB"
"$BIN/emg-convert" "$healthy.hea" - --to csv | head -2 | tail -1 | grep -qx "0,-0.0333" && pass ||
  fail "CSV on stdout"

finish
