#!/usr/bin/env bash
# emg-fatigue --group / --cohort / --events (issue 11; docs/methods/fatigue.md,
# "Cohorts" and "Fatigue before events"): the group table's columns and levels, a BIDS
# participants.tsv as the cohort, recordings missing from the cohort named in one
# warning, usage errors for options that need each other, and a bad cohort table
# failing with one line and no output left behind.  The statistics themselves are
# checked against statsmodels in tests/py/test_fatigue_cohort.py and on simulated
# nights in tests/py/test_fatigue_events.py.
. "$(dirname "$0")/lib.sh"
COLS='FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
S8=$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav
S10=$DATA/backyardbrains_wav/S10_EMG_bicep_intermittent.wav
mkdir -p "$TMP/bids"
for s in 01 02 03 04; do
  "$BIN/emg-synth" --scenario fatigue --seed "$s" --rate 1000 -o "$TMP/bids/sub-${s}_task-hold_emg.wav" 2>/dev/null
done
printf 'participant_id\tcondition\nsub-01\trested\nsub-02\trested\nsub-03\trested\n' >"$TMP/bids/participants.tsv"

# 1. BIDS: three subjects, one condition: units, a pooled row of 3 subjects, no contrast
expect_exit 0 "BIDS cohort" -- "$BIN/emg-fatigue" --features mdf -c 1 --cohort "$TMP/bids/participants.tsv" \
  --group "$TMP/group.tsv" "$TMP"/bids/sub-0[123]_task-hold_emg.wav
head -1 "$TMP/group.tsv" | grep -q '^file	subject	condition	reference	channel	feature	contraction	level	design	n_units	n_subjects	slope_per_min	se_per_min	ci_low_per_min	ci_high_per_min	p_value	tau2	i2	q$' \
  && pass || fail "group header: $(head -1 "$TMP/group.tsv")"
awk -F'\t' "$COLS"' $c["level"] == "unit" { u++; if ($c["subject"] !~ /^0[123]$/ || $c["condition"] != "rested") bad = 1 }
  $c["level"] == "pooled" { p++; if ($c["n_subjects"] != 3 || $c["slope_per_min"] == "n/a" || $c["tau2"] == "n/a") bad = 1 }
  $c["level"] == "contrast" { bad = 1 } END { exit bad || u != 3 || p != 1 }' "$TMP/group.tsv" \
  && pass || fail "BIDS group rows: $(cat "$TMP/group.tsv")"
# the trend table on -o is the ordinary one
head -1 "$TMP/out" | grep -q '	change_pct	status$' && [ "$(wc -l <"$TMP/out")" -eq 4 ] && pass \
  || fail "trend table beside the group table: $(cat "$TMP/out")"

# 2. a recording missing from the cohort: one warning naming it, left out
printf 'participant_id\nsub-01\nsub-02\n' >"$TMP/two.tsv"
expect_exit 0 "cohort without sub-03" -- "$BIN/emg-fatigue" --features mdf -c 1 --cohort "$TMP/two.tsv" \
  --group "$TMP/group.tsv" "$TMP"/bids/sub-0[123]_task-hold_emg.wav
[ "$(grep -c 'no subject for .*sub-03_task-hold_emg.wav' "$TMP/err")" -eq 1 ] && pass || fail "one warning: $(cat "$TMP/err")"
awk -F'\t' "$COLS"' $c["level"] == "pooled" && $c["n_subjects"] == 2 { ok = 1 } END { exit !ok }' "$TMP/group.tsv" \
  && pass || fail "two subjects pooled: $(cat "$TMP/group.tsv")"

# 3. a file column and two conditions: a contrast row (independent: no subject has both)
printf 'file\tsubject\tcondition\n%s\tA\trested\n%s\tB\trested\n%s\tC\tfatigued\n%s\tD\tfatigued\n' \
  "$TMP/bids/sub-01_task-hold_emg.wav" "$TMP/bids/sub-02_task-hold_emg.wav" \
  "$TMP/bids/sub-03_task-hold_emg.wav" "$TMP/bids/sub-04_task-hold_emg.wav" >"$TMP/cohort.tsv"
expect_exit 0 "two conditions" -- "$BIN/emg-fatigue" --features mdf -c 1 --cohort "$TMP/cohort.tsv" \
  --group "$TMP/group.tsv" "$TMP"/bids/sub-0*_task-hold_emg.wav
awk -F'\t' "$COLS"' $c["level"] == "contrast" && $c["condition"] == "fatigued" && $c["reference"] == "rested" &&
  $c["design"] == "independent" && $c["slope_per_min"] != "n/a" { ok = 1 } END { exit !ok }' "$TMP/group.tsv" \
  && pass || fail "independent contrast: $(cat "$TMP/group.tsv")"

# 4. events: the trend table gains window and event; --guard and --event-label need --events
printf 'onset\tduration\tlabel\n60\t5\tcramp\n' >"$TMP/events.tsv"
expect_exit 0 "event table" -- "$BIN/emg-fatigue" --features mdf -c 1 --events "$TMP/events.tsv" \
  --event-label cramp --lead 20 --guard 5 "$TMP/bids/sub-01_task-hold_emg.wav"
head -1 "$TMP/out" | grep -q '	status	window	event$' && pass || fail "window columns: $(head -1 "$TMP/out")"
awk -F'\t' "$COLS"' $c["window"] == "pre_event" { p++; if ($c["onset"] != 40 || $c["event"] != 1) bad = 1 }
  $c["window"] == "control" { k++; if ($c["onset"] + 20 + 5 > 40 + 1e-6 && $c["onset"] < 65 + 5 - 1e-6) bad = 1 }
  END { exit bad || p != 1 || !k }' "$TMP/out" && pass || fail "lead and control windows: $(cat "$TMP/out")"
expect_exit 1 "--guard alone" -- "$BIN/emg-fatigue" --guard 5 "$S8"
expect_exit 1 "--lead alone" -- "$BIN/emg-fatigue" --lead 60 "$S8"
expect_exit 1 "--pooling without --group" -- "$BIN/emg-fatigue" --pooling dl "$S8"
expect_exit 1 "unknown pooling" -- "$BIN/emg-fatigue" --pooling xx --group "$TMP/g.tsv" "$S8"
expect_exit 1 "--cohort without --group" -- "$BIN/emg-fatigue" --cohort "$TMP/cohort.tsv" "$S8"
expect_exit 1 "--events with --segments" -- "$BIN/emg-fatigue" --events "$TMP/events.tsv" --segments "$TMP/events.tsv" "$S8"
expect_exit 1 "--lead 0" -- "$BIN/emg-fatigue" --events "$TMP/events.tsv" --lead 0 "$S8"

# 5. a cohort table without a subject column: one error line, no output files
printf 'file\tcondition\n%s\trested\n' "$S8" >"$TMP/bad.tsv"
rm -f "$TMP/group.tsv" "$TMP/trends.tsv"
expect_exit 3 "cohort without subject" -- "$BIN/emg-fatigue" -q --cohort "$TMP/bad.tsv" --group "$TMP/group.tsv" \
  -o "$TMP/trends.tsv" "$S8" "$S10"
expect_one_error_line "bad.tsv"
[ ! -e "$TMP/group.tsv" ] && [ ! -e "$TMP/trends.tsv" ] && [ -z "$(ls -A "$TMP" | grep '\.tmp-')" ] \
  && pass || fail "no output left: $(ls -A "$TMP")"
finish
