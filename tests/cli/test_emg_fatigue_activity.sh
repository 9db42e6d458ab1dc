#!/usr/bin/env bash
# emg-fatigue gives no trend where nothing contracts (issue 11, "Nothing to fit";
# docs/methods/fatigue.md): rest stretches of a real recording (cut with -f/-t, whose noise
# floor is then measured on the whole recording, or given as --segments) and simulated rest
# get status no_activity, n/a statistics, and one warning naming the file and channel; a
# recording with no rest at all (no floor to compare with) is fitted but says so
# (no_rest_reference); the real declines keep their intervals below zero.
. "$(dirname "$0")/lib.sh"
COLS='FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
S10=$DATA/backyardbrains_wav/S10_EMG_bicep_intermittent.wav
S8=$DATA/backyardbrains_wav/S8_EMG_bicep_sustained.wav
PLUX=$DATA/plux_opensignals/emg_fatigue.h5

# row_is FEATURE STATUS: every row of $TMP/out of FEATURE has STATUS (and at least one row)
row_is() {
  awk -F'\t' -v f="$1" -v s="$2" "$COLS"' $c["feature"] == f { n++; if ($c["status"] != s) bad = 1 }
    END { exit bad || !n }' "$TMP/out"
}
# no_trend: every row has n/a slope, interval and p-value and 0 windows
no_trend() {
  awk -F'\t' "$COLS"' { n++; if ($c["slope"] != "n/a" || $c["ci_low"] != "n/a" || $c["ci_high"] != "n/a" ||
    $c["p_value"] != "n/a" || $c["n_windows"] != 0) bad = 1 } END { exit bad || !n }' "$TMP/out"
}
# warnings MATCH: how many stderr lines match (grep -c)
warnings() { grep -c -- "$1" "$TMP/err"; }

# 1. S10's rest stretch 3.4-6.3 s, cut with -f/-t: the floor of the whole recording says rest
expect_exit 0 "S10 rest stretch" -- "$BIN/emg-fatigue" -f 3.4 -t 6.3 --features mdf,rms "$S10"
head -1 "$TMP/out" | grep -q '	change_pct	status$' && pass || fail "header ends with status: $(head -1 "$TMP/out")"
row_is mdf no_activity && row_is rms no_activity && pass || fail "S10 rest: no_activity: $(cat "$TMP/out")"
no_trend && pass || fail "S10 rest: no trend: $(cat "$TMP/out")"
[ "$(warnings 'no activity')" -eq 1 ] && pass || fail "one no-activity warning: $(cat "$TMP/err")"
grep -q "S10_EMG_bicep_intermittent.wav: channel 'Micr.*': no activity: 4 of 4 windows" "$TMP/err" \
  && pass || fail "the warning names file and channel: $(cat "$TMP/err")"
# the second rest stretch too; a stretch of contraction is fitted
expect_exit 0 "S10 second rest stretch" -- "$BIN/emg-fatigue" -f 10.4 -t 13 --features mdf "$S10"
row_is mdf no_activity && pass || fail "S10 rest 2: $(cat "$TMP/out")"
expect_exit 0 "S10 contraction" -- "$BIN/emg-fatigue" -f 6 -t 10 --features mdf "$S10"
row_is mdf ok && pass || fail "S10 contraction fitted: $(cat "$TMP/out")"
[ "$(warnings 'no activity\|not verified\|needs 3')" -eq 0 ] && pass || fail "no status warning: $(cat "$TMP/err")"

# 2. the same stretches as --segments of the whole recording: one warning for the channel
printf 'onset\tduration\n3.5\t2.8\n10.5\t2.5\n13.5\t3.5\n' >"$TMP/segs.tsv"
expect_exit 0 "S10 segments" -- "$BIN/emg-fatigue" --segments "$TMP/segs.tsv" --features mdf "$S10"
st=$(awk -F'\t' "$COLS"' { printf "%s ", $c["status"] }' "$TMP/out")
[ "$st" = "no_activity no_activity ok " ] && pass || fail "segment statuses: $st"
[ "$(warnings "channel 'Micr.*': 2 of 3 contractions show no activity")" -eq 1 ] && pass \
  || fail "one warning for the channel: $(cat "$TMP/err")"
# --all-windows fits anyway but keeps the status
expect_exit 0 "S10 rest, --all-windows" -- "$BIN/emg-fatigue" --all-windows -f 3.4 -t 6.3 --features mdf "$S10"
awk -F'\t' "$COLS"' { exit !($c["status"] == "no_activity" && $c["n_windows"] == 4 && $c["slope"] != "n/a") }' \
  "$TMP/out" && pass || fail "--all-windows: fitted, status kept: $(cat "$TMP/out")"

# 3. simulated rest (electrode noise, mains, wander; 2 channels, ~4.6 uV RMS after the filter)
"$BIN/emg-synth" --scenario rest --seed 3 --duration 60 -o "$TMP/rest.h5" 2>/dev/null && pass || fail "emg-synth rest"
expect_exit 0 "simulated rest, floor given" -- "$BIN/emg-fatigue" --noise-rms 0.005 --features mdf,rms "$TMP/rest.h5"
row_is mdf no_activity && no_trend && pass || fail "simulated rest: no trend: $(cat "$TMP/out")"
[ "$(warnings 'no activity')" -eq 2 ] && grep -q "channel 'EMG_gastroc': no activity" "$TMP/err" \
  && grep -q "channel 'EMG_tibialis': no activity" "$TMP/err" && pass || fail "one warning per channel: $(cat "$TMP/err")"
# without a floor the tool cannot tell steady noise from a contraction held throughout: it
# fits, says so in the status, and warns once per channel
expect_exit 0 "simulated rest, no floor" -- "$BIN/emg-fatigue" --features mdf "$TMP/rest.h5"
row_is mdf no_rest_reference && pass || fail "no floor: no_rest_reference: $(cat "$TMP/out")"
[ "$(warnings 'not verified')" -eq 2 ] && pass || fail "one not-verified warning per channel: $(cat "$TMP/err")"
expect_exit 0 "quiet" -- "$BIN/emg-fatigue" -q --noise-rms 0.005 --features mdf "$TMP/rest.h5"
[ -s "$TMP/err" ] && fail "-q: no warning: $(cat "$TMP/err")" || pass

# 4. the real declines still have their MDF interval below zero, with a status
expect_exit 0 "PLUX" -- "$BIN/emg-fatigue" --features mdf "$PLUX"
awk -F'\t' "$COLS"' { exit !($c["status"] == "ok" && $c["ci_high"] < 0) }' "$TMP/out" && pass \
  || fail "PLUX: ok, CI below zero: $(cat "$TMP/out")"
expect_exit 0 "S8" -- "$BIN/emg-fatigue" --features mdf "$S8"
# channel 2 is held from the first window to the last: no rest, so not verified; interval below zero
awk -F'\t' "$COLS"' $c["n_windows"] > 50 { ok = ($c["status"] == "no_rest_reference" && $c["ci_high"] < 0) } END { exit !ok }' \
  "$TMP/out" && pass || fail "S8 channel 2: $(cat "$TMP/out")"
finish
