#!/usr/bin/env bash
# Non-finite samples are gaps (docs/recording-model.md): a CSV channel with two
# NaN samples at 5.5 s and an infinity at 14 s, inside its two bursts (3-8 s,
# 12-16 s).  Every analysis keeps the rest of the channel: windows touching a
# gap are flagged "gap" with n/a features, no event spans a gap, fatigue
# trends stay defined; emg-convert keeps the gaps where the format can hold
# them and refuses integer formats (exit 4, one line naming the file).
. "$(dirname "$0")/lib.sh"
python3 - "$TMP/gap.csv" <<'PY'
import random, sys
random.seed(3)
with open(sys.argv[1], "w") as f:
    f.write("time,EMG\n")
    for i in range(20000):
        t = i / 1000
        sd = 0.5 if 3 <= t < 8 or 12 <= t < 16 else 0.02
        v = {5500: "nan", 5501: "nan", 14000: "inf"}.get(i, "%.6f" % random.gauss(0, sd))
        f.write("%.3f,%s\n" % (t, v))
PY
IN="$TMP/gap.csv"
# spans_gap FILE: 1 if an event row (onset, duration in columns 2-3, after file) covers 5.500-5.502 s or 14.000 s.
spans_gap() {
  awk -F'\t' 'NR > 1 && (($2 < 5.502 && $2 + $3 > 5.5) || ($2 < 14.001 && $2 + $3 > 14)) {bad=1} END {exit !bad}' "$1"
}

expect_exit 0 "features" -- "$BIN/emg-features" "$IN"
cp "$TMP/out" "$TMP/features.tsv"
gaps=$(awk -F'\t' 'NR > 1 && $NF ~ /gap/' "$TMP/features.tsv" | wc -l)
[ "$gaps" -eq 4 ] && pass || fail "features: $gaps windows flagged gap, expected 4 (5, 5.5, 13.5, 14 s)"
na=$(awk -F'\t' 'NR > 1 && $5 == "n/a"' "$TMP/features.tsv" | wc -l)
[ "$na" -eq 4 ] && pass || fail "features: $na windows with n/a rms, expected only the 4 gap windows"
awk -F'\t' 'NR > 1 && $2 == 7 && $5 > 0.3 {ok=1} END {exit !ok}' "$TMP/features.tsv" \
  && pass || fail "features: the burst after the gap has no rms"

for tool in emg-detect emg-label; do
  expect_exit 0 "$tool" -- "$BIN/$tool" "$IN"
  cp "$TMP/out" "$TMP/$tool.tsv"
  spans_gap "$TMP/$tool.tsv" && fail "$tool: an event spans a gap: $(cat "$TMP/$tool.tsv")" || pass
  n=$(awk -F'\t' 'NR > 1 && $3 > 1' "$TMP/$tool.tsv" | wc -l)
  [ "$n" -ge 4 ] && pass || fail "$tool: $n events longer than 1 s, expected the 4 burst pieces"
done

expect_exit 0 "fatigue" -- "$BIN/emg-fatigue" "$IN"
awk -F'\t' '$6 == "rms" && $9 != "n/a" && $13 != "n/a" {ok=1} END {exit !ok}' "$TMP/out" \
  && pass || fail "fatigue: the rms trend is n/a: $(grep rms "$TMP/out")"

expect_exit 0 "zero-phase filter" -- "$BIN/emg-filter" --default-chain "$IN" "$TMP/filtered.h5"
dump "$TMP/filtered.h5" >"$TMP/filtered.tsv" 2>/dev/null
bad=$(awk -F'\t' 'NR > 1 && $2 !~ /^-?[0-9]/' "$TMP/filtered.tsv" | wc -l)
[ "$bad" -eq 3 ] && pass || fail "filter: $bad non-numeric samples, expected the 3 gap samples"

# Formats that can hold NaN keep the gaps; integer ones refuse.
for ext in h5 emg csv wav; do
  expect_exit 0 "convert to .$ext" -- "$BIN/emg-convert" "$IN" "$TMP/kept.$ext"
  n=$(dump "$TMP/kept.$ext" 2>/dev/null | awk -F'\t' 'NR > 1 && $2 !~ /^-?[0-9]/' | wc -l)
  [ "$n" -eq 3 ] && pass || fail "convert to .$ext: $n gap samples kept, expected 3"
done
for ext in edf bdf hea flac; do
  expect_exit 4 "convert to .$ext" -- "$BIN/emg-convert" "$IN" "$TMP/refused.$ext"
  grep -v "warning" "$TMP/err" >"$TMP/err.lines"; mv "$TMP/err.lines" "$TMP/err"
  expect_one_error_line "refused.$ext"
  ls "$TMP"/refused.* "$TMP"/.refused.* >/dev/null 2>&1 && fail ".$ext: output left behind" || pass
done
finish
