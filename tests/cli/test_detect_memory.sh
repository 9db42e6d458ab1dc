#!/usr/bin/env bash
# emg-detect --memory: a recording detected block by block under a tiny budget
# (--memory 0: spooled to temporary files, 20 s blocks) gives the same table
# as under a large one (one block, held in memory), for the threshold method,
# burst mode, a given rest interval and a whole-channel method; standard input
# too; no temporary file left behind.
. "$(dirname "$0")/lib.sh"
DET="$BIN/emg-detect"
REC="$TMP/session.h5"
"$BIN/emg-synth" --scenario session --seed 2 --duration 80 -o "$REC" 2>/dev/null \
  && pass || fail "emg-synth"

# same OPTIONS...: --memory 0 and --memory 1024 give identical tables.
same() {
  "$DET" --memory 0 -v "$@" "$REC" >"$TMP/small.tsv" 2>"$TMP/small.err" || fail "--memory 0 $*"
  "$DET" --memory 1024 "$@" "$REC" >"$TMP/large.tsv" 2>/dev/null || fail "--memory 1024 $*"
  if cmp -s "$TMP/small.tsv" "$TMP/large.tsv" && [ "$(wc -l <"$TMP/small.tsv")" -gt 3 ]; then
    pass; else fail "--memory 0 vs 1024 ($*): $(diff "$TMP/small.tsv" "$TMP/large.tsv" | head -4)"; fi
}
same
# many blocks under the tiny budget (the verbose line counts them)
blocks=$(grep -o '[0-9]* blocks' "$TMP/small.err" | awk '$1 > m { m = $1 } END { print m + 0 }')
[ "$blocks" -ge 3 ] && pass || fail "--memory 0 should detect in several blocks, got $blocks"
grep -q "cut at block ends" "$TMP/small.err" && fail "a contraction was cut" || pass
same --burst
same --rest 0:2
same --method tkeo

# Standard input (spooled by the channel store) gives the same table.
"$BIN/emg-synth" --scenario session --seed 2 --duration 80 -o - 2>/dev/null |
  TMPDIR="$TMP" "$DET" --memory 0 - >"$TMP/stdin.tsv" 2>/dev/null || fail "stdin"
cut -f2- "$TMP/stdin.tsv" >"$TMP/a" && cut -f2- "$TMP/large.tsv" >"$TMP/b"
"$DET" --memory 1024 "$REC" | cut -f2- >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && pass || fail "stdin differs: $(diff "$TMP/a" "$TMP/b" | head -4)"
[ -z "$(find "$TMP" -name '.*tmp*' -o -name 'emgkit*')" ] && pass || fail "temporary files left"

expect_exit 1 "negative --memory" -- "$DET" --memory -1 "$REC"
finish
