#!/usr/bin/env bash
# emg-score on damaged and foreign event tables: impossible rows are an error
# naming the file and line (exit 3), old-Mac CR and Windows CRLF line endings
# and a UTF-8 byte order mark read like plain LF, and an empty truth is an
# error rather than a macro-F1 of 0 (docs/fault-handling.md, "Values").
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
finish
