#!/usr/bin/env bash
# emg-convert and emg-info on the real recordings: formats, round trips, the
# pipe, channel and time selection, and the error scheme on broken files.
. "$(dirname "$0")/lib.sh"

# --- help and usage
expect_exit 0 "help" -- "$BIN/emg-convert" --help
grep -q "^Usage: emg-convert" "$TMP/out" && pass || fail "help goes to stdout"
expect_exit 1 "no arguments" -- "$BIN/emg-convert"
expect_exit 1 "unknown option" -- "$BIN/emg-convert" --bogus x y
expect_exit 1 "unknown output extension" -- "$BIN/emg-convert" "$DATA/physionet_emgdb/emg_healthy.hea" "$TMP/x.xyz"
expect_exit 1 "unknown channel" -- "$BIN/emg-convert" -c nosuch "$DATA/physionet_emgdb/emg_healthy.hea" "$TMP/x.tsv"
expect_one_error_line "nosuch"
expect_exit 2 "missing input" -- "$BIN/emg-convert" "$TMP/does-not-exist.edf" "$TMP/x.tsv"
expect_one_error_line "does-not-exist.edf"

# --- broken files: exit 3, one line naming the file, no output left behind
for f in S1_EMG_bicepTricep5.wav S1_EMG_bicepTricep9.wav S3_EMG.wav bids_emg_Multimodal_short_header.edf; do
  expect_exit 3 "malformed $f" -- "$BIN/emg-convert" "$DATA/malformed/$f" "$TMP/broken.edf"
  expect_one_error_line "$f"
  [ -z "$(ls -A "$TMP" | grep broken)" ] && pass || fail "$f left an output file: $(ls -A "$TMP")"
  expect_exit 3 "emg-info on malformed $f" -- "$BIN/emg-info" "$DATA/malformed/$f"
done
grep -q "truncated" "$TMP/err" || true
expect_exit 3 "truncated WAV" -- "$BIN/emg-info" "$DATA/malformed/S3_EMG.wav"
grep -qi "truncat\|declares\|holds" "$TMP/err" && pass || fail "S3_EMG.wav message should say truncated: $(cat "$TMP/err")"

# --- emg-info on every real recording: rate, channels, samples
expect_exit 0 "emg-info" -- "$BIN/emg-info" "$DATA/physionet_emgdb/emg_healthy.hea" \
  "$DATA/physionet_grabmyo/session1_participant1_gesture11_trial1.hea" \
  "$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav" "$DATA/plux_opensignals/emg_bursts.h5" \
  "$DATA/sleepedf_excerpt/short_psg.edf" "$DATA/sleepedf_excerpt/short_psg.bdf"
head -1 "$TMP/out" | grep -q "^file	format	channel	name	fs	samples	duration	unit" && pass || fail "emg-info header"
awk -F'\t' '$4 == "EMG" && $5 == 4000 && $6 == 50860 { ok = 1 } END { exit !ok }' "$TMP/out" && pass || fail "emg_healthy: 4000 Hz, 50860 samples"
[ "$(grep -c session1_participant1 "$TMP/out")" -eq 32 ] && pass || fail "GRABMyo has 32 channels"
awk -F'\t' '/short_psg.edf/ { rates[$5] = 1 } END { exit !(rates[100] && rates[1]) }' "$TMP/out" && pass || fail "sleep EDF has 100 Hz and 1 Hz channels"
expect_exit 0 "emg-info --json" -- "$BIN/emg-info" --json "$DATA/physionet_emgdb/emg_healthy.hea"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["channels"][0]["samples"]==50860' "$TMP/out" && pass || fail "emg-info --json is valid JSON"

# emg-info writes its header with the first readable file: none readable, nothing on
# stdout (and no -o file); some readable, their rows and the highest exit code.
expect_exit 2 "emg-info, no readable file" -- "$BIN/emg-info" "$TMP/nope.edf"
[ ! -s "$TMP/out" ] && pass || fail "emg-info printed for an unreadable file: $(cat "$TMP/out")"
expect_one_error_line "nope.edf"
expect_exit 3 "emg-info -o, no readable file" -- "$BIN/emg-info" -o "$TMP/none.tsv" "$DATA/malformed/S3_EMG.wav"
[ ! -e "$TMP/none.tsv" ] && pass || fail "emg-info left an output for no readable file"
expect_exit 3 "emg-info, one readable, one corrupt" -- "$BIN/emg-info" "$DATA/malformed/S3_EMG.wav" \
  "$DATA/physionet_emgdb/emg_healthy.hea" "$TMP/nope.edf"
[ "$(head -1 "$TMP/out" | cut -f1)" = file ] && [ "$(wc -l <"$TMP/out")" -eq 2 ] && pass ||
  fail "emg-info: header then the readable file's row: $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/err")" -eq 2 ] && grep -q S3_EMG.wav "$TMP/err" && grep -q nope.edf "$TMP/err" && pass ||
  fail "emg-info: one line per failed file: $(cat "$TMP/err")"
expect_exit 2 "emg-info --json, one unreadable" -- "$BIN/emg-info" --json "$TMP/nope.edf" "$DATA/physionet_emgdb/emg_healthy.hea"
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==1' "$TMP/out" && pass || fail "emg-info --json valid with a failed file"
expect_exit 0 "emg-info -o, --inputs" -- "$BIN/emg-info" -o "$TMP/info.tsv" "$DATA/physionet_emgdb/emg_healthy.hea" \
  "$DATA/physionet_emgdb/emg_healthy.hea" --inputs <(printf '%s\n' "$DATA/physionet_emgdb/emg_myopathy.hea")
[ "$(wc -l <"$TMP/info.tsv")" -eq 3 ] && [ ! -s "$TMP/out" ] && grep -q emg_myopathy "$TMP/info.tsv" && pass ||
  fail "emg-info -o: a record named twice is one row, --inputs adds its list: $(cat "$TMP/info.tsv")"
expect_exit 1 "emg-info: -j is --jobs, not --json" -- "$BIN/emg-info" -j "$DATA/physionet_emgdb/emg_healthy.hea"
awk -F'\t' 'NR == 2 { exit !($7 == "12.715") }' "$TMP/info.tsv" && pass || fail "duration in seconds: $(sed -n 2p "$TMP/info.tsv")"

# --- a pipeline gives the same result as the direct conversion
src="$DATA/physionet_emgdb/emg_neuropathy.hea"
"$BIN/emg-convert" "$src" - | "$BIN/emg-convert" - "$TMP/piped.edf" && pass || fail "pipeline"
"$BIN/emg-convert" "$src" "$TMP/direct.edf" && pass || fail "direct"
dump "$TMP/piped.edf" >"$TMP/piped.tsv"
dump "$TMP/direct.edf" >"$TMP/direct.tsv"
cmp -s "$TMP/piped.tsv" "$TMP/direct.tsv" && pass || fail "pipeline and direct EDF+ differ"

# --- round trip WFDB -> EDF+ -> HDF5 -> FLAC -> CSV -> WFDB within one quantisation step
dump "$src" >"$TMP/orig.tsv"
"$BIN/emg-convert" "$src" "$TMP/rt.edf" &&
  "$BIN/emg-convert" "$TMP/rt.edf" "$TMP/rt.h5" &&
  "$BIN/emg-convert" "$TMP/rt.h5" "$TMP/rt.flac" &&
  "$BIN/emg-convert" "$TMP/rt.flac" "$TMP/rt.csv" &&
  "$BIN/emg-convert" "$TMP/rt.csv" "$TMP/rt.hea" && pass || fail "round-trip chain"
dump "$TMP/rt.hea" >"$TMP/rt.tsv"
step=0.0001  # 10000 adu/mV in the source header: the coarsest step on the way
expect_close "$TMP/orig.tsv" "$TMP/rt.tsv" "$step" "WFDB->EDF+->HDF5->FLAC->CSV->WFDB"
"$BIN/emg-info" "$TMP/rt.hea" >"$TMP/rt.info"
awk -F'\t' 'NR == 2 && $4 == "EMG" && $5 == 4000 && $6 == 147858 && $8 == "mV" { ok = 1 } END { exit !ok }' "$TMP/rt.info" && pass || fail "round trip keeps name, rate, length, unit: $(cat "$TMP/rt.info")"

# --- multi-channel, multi-rate: GRABMyo through EDF+ and HDF5; sleep EDF multi-rate to HDF5
grab="$DATA/physionet_grabmyo/session1_participant1_gesture11_trial1.hea"
dump "$grab" >"$TMP/grab.tsv"
for ext in edf h5 hea; do
  "$BIN/emg-convert" "$grab" "$TMP/grab.$ext" && dump "$TMP/grab.$ext" >"$TMP/grab_$ext.tsv"
  expect_close "$TMP/grab.tsv" "$TMP/grab_$ext.tsv" 0.0001 "GRABMyo via $ext"
done
"$BIN/emg-convert" "$DATA/sleepedf_excerpt/short_psg.edf" "$TMP/psg.h5" && pass || fail "multi-rate EDF to HDF5"
"$BIN/emg-info" "$TMP/psg.h5" | awk -F'\t' '{ r[$5] = 1 } END { exit !(r[100] && r[1]) }' && pass || fail "multi-rate kept in HDF5"
expect_exit 4 "multi-rate to WAV is refused" -- "$BIN/emg-convert" "$DATA/sleepedf_excerpt/short_psg.edf" "$TMP/psg.wav"
[ ! -e "$TMP/psg.wav" ] && pass || fail "refused WAV left a file"

# --- channel and time selection: same option letters everywhere
"$BIN/emg-convert" -c F2,F1 -f 1 -t 2.5 "$grab" "$TMP/cut.tsv" && pass || fail "cut"
head -1 "$TMP/cut.tsv" | grep -q "F2.*F1" && pass || fail "channel order F2,F1"
[ "$(($(wc -l <"$TMP/cut.tsv") - 1))" -eq 3072 ] && pass || fail "1.5 s at 2048 Hz = 3072 rows, got $(($(wc -l <"$TMP/cut.tsv") - 1))"

# --- never overwrite the input
cp "$src" "$TMP/self.hea"; cp "${src%.hea}.dat" "$TMP/emg_neuropathy.dat"
expect_exit 1 "output is the input" -- "$BIN/emg-convert" "$TMP/self.hea" "$TMP/self.hea"
expect_exit 1 "output is the input, with -o" -- "$BIN/emg-convert" "$TMP/self.hea" -o "$TMP/self.hea"
# ... nor an existing recording named as OUT (emg-convert *.h5 would take the last
# for the output): only -o replaces one
expect_exit 1 "OUT holds a recording" -- "$BIN/emg-convert" "$src" "$TMP/direct.edf"
expect_one_error_line "direct.edf"
expect_exit 0 "-o replaces a recording" -- "$BIN/emg-convert" "$src" -o "$TMP/direct.edf"
expect_exit 1 "OUT and -o" -- "$BIN/emg-convert" "$src" -o "$TMP/a.edf" "$TMP/b.edf"
expect_exit 1 "two inputs" -- "$BIN/emg-convert" "$src" "$grab" "$TMP/b.edf"

# --- --precision: digits of text samples when given; else they read back exactly
"$BIN/emg-convert" -c 1 -t 0.01 "$grab" - --to csv >"$TMP/full.csv"
"$BIN/emg-convert" -c 1 -t 0.01 --precision 3 "$grab" - --to csv >"$TMP/p3.csv"
awk -F, 'NR > 1 { v = $2; sub(/^-/, "", v); sub(/e.*/, "", v); gsub(/[.]/, "", v); sub(/^0+/, "", v); if (length(v) > 3) bad = 1 }
  END { exit bad }' "$TMP/p3.csv" && pass || fail "--precision 3: $(sed -n 2,4p "$TMP/p3.csv")"
awk -F, 'NR > 1 { v = $2; sub(/^-/, "", v); sub(/e.*/, "", v); gsub(/[.]/, "", v); sub(/^0+/, "", v); if (length(v) > 6) long = 1 }
  END { exit !long }' "$TMP/full.csv" && pass || fail "default: round-trip digits: $(sed -n 2,4p "$TMP/full.csv")"

# --- provenance travels
"$BIN/emg-convert" "$src" - | "$BIN/emg-convert" -c 1 - "$TMP/prov.h5"
"$BIN/emg-info" --json "$TMP/prov.h5" | grep -q 'emg-convert -c 1' && pass || fail "provenance in HDF5"

# --- what a format cannot hold is said, not dropped silently: EDF+ labels are 16 characters
printf 'EMG_biceps_brachii_long_head,EMG_triceps\n' >"$TMP/long.csv"
awk 'BEGIN{for (i = 0; i < 500; i++) printf "%g,%g\n", sin(i / 7), cos(i / 5)}' >>"$TMP/long.csv"
expect_exit 0 "long label to EDF+" -- "$BIN/emg-convert" --fs 500 "$TMP/long.csv" "$TMP/long.edf"
grep -q "long.edf: channel 'EMG_biceps_brachii_long_head' is labelled 'EMG_biceps_brach'" \
  "$TMP/err" && pass || fail "EDF+ label note: $(cat "$TMP/err")"

finish
