#!/usr/bin/env bash
# emg-detect --memory: a recording detected block by block under a tiny budget
# (--memory 0: spooled to temporary files, 20 s blocks) gives the same table
# as under a large one (one block, held in memory), for the threshold method,
# burst mode, a given rest interval and a whole-channel method; standard input
# too; no temporary file left behind; bad values are usage errors (exit 1,
# docs/exit-codes.md); peak memory does not grow with the recording's length.
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

# Bad values: one line on stderr naming the option, exit 1 (usage error).
for bad in -1 abc 1.5 "" 1073741825; do
  expect_exit 1 "--memory '$bad'" -- "$DET" --memory "$bad" "$REC"
  [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "--memory" "$TMP/err" && pass ||
    fail "--memory '$bad': stderr should be one line naming --memory: $(cat "$TMP/err")"
  [ -s "$TMP/out" ] && fail "--memory '$bad' wrote rows" || pass
done

# Peak memory: a 30 min night (2 channels, 2 kHz) within 8 MiB of a 10 min
# one under --memory 8, where holding the channels would take 80 MiB more
# (about 17 bytes a sample); by 10 min the blocks and the store's memory
# have reached their bounds, and the rest windows' sums add ~1 MiB.  The same
# segments as with a budget that holds the whole recording.
# (ASan's quarantine would hold freed blocks and mask what the tool uses.)
for minutes in 10 30; do
  "$BIN/emg-synth" --scenario nocturnal-cramp --seed 1 --duration $((minutes * 60)) \
    --rate 2000 --to pipe -o "$TMP/night$minutes.pipe" 2>/dev/null || fail "emg-synth $minutes min"
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
  TMPDIR="$TMP" /usr/bin/time -f %M -o "$TMP/night$minutes.rss" \
    "$DET" --memory 8 "$TMP/night$minutes.pipe" >"$TMP/night$minutes.tsv" 2>"$TMP/err" ||
    fail "--memory 8 on $minutes min: $(cat "$TMP/err")"
done
short=$(tail -1 "$TMP/night10.rss"); long=$(tail -1 "$TMP/night30.rss")
echo "peak RSS under --memory 8: 10 min $short kB, 30 min $long kB"
[ $((long - short)) -lt 8192 ] && pass || fail "memory grows with length: $short kB vs $long kB"
"$DET" --memory 1024 "$TMP/night30.pipe" >"$TMP/night30-large.tsv" 2>/dev/null
cmp -s "$TMP/night30.tsv" "$TMP/night30-large.tsv" && [ "$(wc -l <"$TMP/night30.tsv")" -gt 10 ] &&
  pass || fail "30 min: --memory 8 vs 1024: $(diff "$TMP/night30.tsv" "$TMP/night30-large.tsv" | head -4)"
[ -z "$(find "$TMP" -name '.*tmp*' -o -name 'emgkit*')" ] && pass || fail "temporary files left"
rm -f "$TMP"/night*.pipe
finish
