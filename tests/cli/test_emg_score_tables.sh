#!/usr/bin/env bash
# emg-score on damaged and foreign event tables: impossible rows are an error
# naming the file and line (exit 3), old-Mac CR and Windows CRLF line endings
# and a UTF-8 byte order mark read like plain LF, and an empty truth is an
# error rather than a macro-F1 of 0 (docs/fault-handling.md, "Values"), except
# for a rest recording among a dataset's pairs.
. "$(dirname "$0")/lib.sh"
SCORE="$BIN/emg-score"

printf 'onset\tduration\tlabel\n1\t2\tcramp\n10\t1\ttonic\n' >"$TMP/truth.tsv"
for bad in '10\t-1\ttonic' '10\tinf\ttonic' 'inf\t1\ttonic' 'nan\t1\ttonic' '10\t-inf\ttonic'; do
  printf "onset\tduration\tlabel\n1\t2\tcramp\n$bad\n" >"$TMP/pred.tsv"
  expect_exit 3 "pred row '$bad'" -- "$SCORE" --truth "$TMP/truth.tsv" --pred "$TMP/pred.tsv"
  expect_one_error_line "pred.tsv:3:"
done

# The same two events with every line ending and a byte order mark: macro-F1 1.
printf 'onset\tduration\tlabel\r1\t2\tcramp\r10\t1\ttonic\r' >"$TMP/cr.tsv"
printf 'onset\tduration\tlabel\r\n1\t2\tcramp\r\n10\t1\ttonic\r\n' >"$TMP/crlf.tsv"
printf '\xef\xbb\xbfonset\tduration\tlabel\n1\t2\tcramp\n10\t1\ttonic\n' >"$TMP/bom.tsv"
for f in cr crlf bom; do
  expect_exit 0 "$f table" -- "$SCORE" --truth "$TMP/$f.tsv" --pred "$TMP/truth.tsv"
  awk -F'\t' '$2 == "macro" && $10 == 1 {ok=1} END {exit !ok}' "$TMP/out" \
    && pass || fail "$f table: macro-F1 is not 1: $(tail -1 "$TMP/out")"
done

# No truth to score against: an error, not a score of 0.
printf 'onset\tduration\tlabel\n' >"$TMP/header_only.tsv"
expect_exit 3 "header-only truth" -- "$SCORE" --truth "$TMP/header_only.tsv" --pred "$TMP/truth.tsv"
expect_one_error_line "no ground-truth events"
expect_exit 3 "every truth row skipped" -- "$SCORE" --skip cramp,tonic --truth "$TMP/truth.tsv" \
  --pred "$TMP/truth.tsv"
# A header-only prediction is a detector that found nothing: recall 0.
expect_exit 0 "header-only pred" -- "$SCORE" --truth "$TMP/truth.tsv" --pred "$TMP/header_only.tsv"
awk -F'\t' '$2 == "macro" && $10 == 0 {ok=1} END {exit !ok}' "$TMP/out" \
  && pass || fail "no prediction: macro-F1 0"
# Missing columns and an empty file are errors too.
printf 'onset\tlabel\n1\tcramp\n' >"$TMP/nodur.tsv"
expect_exit 3 "no duration column" -- "$SCORE" --truth "$TMP/nodur.tsv" --pred "$TMP/truth.tsv"
expect_one_error_line "nodur.tsv"
: >"$TMP/empty.tsv"
expect_exit 3 "empty file" -- "$SCORE" --truth "$TMP/truth.tsv" --pred "$TMP/empty.tsv"
expect_one_error_line "empty.tsv"
# Dataset scoring: a --pairs sheet gives the rows of the same pairs named on the
# command line, the main table is the same with or without the pooled tables, and
# the pooled counts and calibration follow from the pairs.
printf 'onset\tduration\tlabel\tconfidence\n1.2\t2\tcramp\t0.95\n30\t1\ttonic\t0.55\n' >"$TMP/p1.tsv"
printf 'truth\tpred\ntruth.tsv\tp1.tsv\ncrlf.tsv\ttruth.tsv\n' >"$TMP/pairs.tsv"
expect_exit 0 "pairs named" -- "$SCORE" -q --truth "$TMP/truth.tsv" --pred "$TMP/p1.tsv" \
  --truth "$TMP/crlf.tsv" --pred "$TMP/truth.tsv"
cut -f2- "$TMP/out" >"$TMP/named.tsv"
expect_exit 0 "pairs sheet" -- "$SCORE" -q --pairs "$TMP/pairs.tsv" --by-class "$TMP/bc.tsv" \
  --calibration "$TMP/cal.tsv"
cut -f2- "$TMP/out" | cmp -s - "$TMP/named.tsv" && pass || fail "--pairs rows differ from named pairs"
awk -F'\t' '$1 == "cramp" && $3 == 2 && $5 == 2 && $2 == 2 {ok=1} END {exit !ok}' "$TMP/bc.tsv" \
  && pass || fail "by-class cramp counts: $(cat "$TMP/bc.tsv")"
awk -F'\t' '$1 == "tonic" && $5 == 1 && $6 == 1 {ok=1} END {exit !ok}' "$TMP/bc.tsv" \
  && pass || fail "by-class tonic counts: $(cat "$TMP/bc.tsv")"
awk -F'\t' '$1 == 0.5 && $3 == 1 && $4 == 0 {a=1} $1 == 0.9 && $3 == 1 && $4 == 1 {b=1} END {exit !(a && b)}' \
  "$TMP/cal.tsv" && pass || fail "calibration bins: $(cat "$TMP/cal.tsv")"
# A dataset's rest recording (no truth event) is scored: its predictions are
# false events in the pooled counts; a dataset of rest recordings only is an error.
printf 'truth\tpred\ntruth.tsv\ttruth.tsv\nheader_only.tsv\tp1.tsv\n' >"$TMP/restpairs.tsv"
expect_exit 0 "pairs with a rest recording" -- "$SCORE" -q --pairs "$TMP/restpairs.tsv" \
  --by-class "$TMP/bc.tsv"
awk -F'\t' '$1 == "cramp" && $3 == 1 && $4 == 2 && $6 == 1 {ok=1} END {exit !ok}' "$TMP/bc.tsv" \
  && pass || fail "rest recording's predictions are not false events: $(cat "$TMP/bc.tsv")"
printf 'truth\tpred\nheader_only.tsv\tp1.tsv\nheader_only.tsv\ttruth.tsv\n' >"$TMP/allrest.tsv"
expect_exit 3 "pairs of rest recordings only" -- "$SCORE" -q --pairs "$TMP/allrest.tsv"
expect_one_error_line "no ground-truth events"
expect_exit 1 "bad calibration bins" -- "$SCORE" --pairs "$TMP/pairs.tsv" --calibration-bins 0.5,0.4
printf 'truth\tprediction\ntruth.tsv\tp1.tsv\n' >"$TMP/badpairs.tsv"
expect_exit 3 "pairs sheet without pred" -- "$SCORE" --pairs "$TMP/badpairs.tsv"
expect_one_error_line "badpairs.tsv"

finish
