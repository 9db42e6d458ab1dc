#!/usr/bin/env bash
# emg-fatigue analyses EMG channels only: a force channel (unit %MVC) in a
# simulated sustained contraction is skipped with a warning unless chosen with -c.
. "$(dirname "$0")/lib.sh"
# awk prelude: columns are looked up by name from the header (c["feature"], ...).
COLS='FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }'
"$BIN/emg-synth" --scenario fatigue --seed 1 --duration 40 -o "$TMP/fatigue.h5" 2>/dev/null && pass || fail "emg-synth"
expect_exit 0 "fatigue on EMG and force" -- "$BIN/emg-fatigue" "$TMP/fatigue.h5"
awk -F"\t" "$COLS"' $c["channel"] == "Force" { found = 1 } END { exit !found }' "$TMP/out" && fail "force channel analysed as EMG" || pass
grep -q "channel 'Force' (unit %MVC) is not EMG" "$TMP/err" && pass || fail "warning names the skipped channel: $(cat "$TMP/err")"
awk -F"\t" "$COLS"' $c["feature"] == "mdf" && $c["slope"] < 0 && $c["ci_high"] < 0 { ok = 1 } END { exit !ok }' "$TMP/out" && pass || fail "MDF falls with CI below zero: $(cat "$TMP/out")"
expect_exit 0 "force chosen with -c" -- "$BIN/emg-fatigue" -c Force "$TMP/fatigue.h5"
awk -F"\t" "$COLS"' $c["channel"] == "Force" { found = 1 } END { exit !found }' "$TMP/out" && pass || fail "-c Force analyses the force channel"
finish
