#!/usr/bin/env bash
# emg-label --memory: a recording labelled block by block under a tiny budget
# (--memory 0: spooled to temporary files, 20 s blocks, the channels of a
# pair together) gives the same table and explanation as under a large one
# (one block), for a mixed session and for a night with an agonist/antagonist
# pair, and from standard input; no temporary file left behind; bad values
# are usage errors (exit 1); peak memory does not grow with the night's length.
. "$(dirname "$0")/lib.sh"
LAB="$BIN/emg-label"
"$BIN/emg-synth" --scenario session --seed 3 --duration 600 -o "$TMP/session.h5" 2>/dev/null \
  && pass || fail "emg-synth session"

# same REC OPTIONS...: --memory 0 and --memory 1024 give identical tables and explanations.
same() {
  local rec=$1; shift
  "$LAB" --memory 0 --explain="$TMP/small.txt" "$@" "$rec" >"$TMP/small.tsv" 2>/dev/null ||
    fail "--memory 0 $*"
  "$LAB" --memory 1024 --explain="$TMP/large.txt" "$@" "$rec" >"$TMP/large.tsv" 2>/dev/null ||
    fail "--memory 1024 $*"
  if cmp -s "$TMP/small.tsv" "$TMP/large.tsv" && [ "$(wc -l <"$TMP/small.tsv")" -gt 3 ]; then
    pass; else fail "--memory 0 vs 1024 ($*): $(diff "$TMP/small.tsv" "$TMP/large.tsv" | head -4)"; fi
  cmp -s "$TMP/small.txt" "$TMP/large.txt" && pass ||
    fail "--explain differs ($*): $(diff "$TMP/small.txt" "$TMP/large.txt" | head -4)"
}
same "$TMP/session.h5"
same "$TMP/session.h5" --rest 1:3

# A 20 min night (2 kHz, the cramp channel paired with its antagonist, two
# neighbours) in 20 s blocks, from standard input, and its peak memory
# against a 5 min night's under --memory 8.
# (ASan's quarantine would hold freed blocks and mask what the tool uses.)
for minutes in 5 20; do
  "$BIN/emg-synth" --scenario nocturnal-cramp --seed 1 --duration $((minutes * 60)) \
    --n-channels 4 --rate 2000 --to pipe -o "$TMP/night$minutes.pipe" 2>/dev/null ||
    fail "emg-synth $minutes min"
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
  TMPDIR="$TMP" /usr/bin/time -f %M -o "$TMP/night$minutes.rss" \
    "$LAB" --memory 8 - <"$TMP/night$minutes.pipe" >"$TMP/night$minutes.tsv" 2>"$TMP/err" ||
    fail "--memory 8 on $minutes min: $(cat "$TMP/err")"
done
short=$(tail -1 "$TMP/night5.rss"); long=$(tail -1 "$TMP/night20.rss")
echo "peak RSS under --memory 8: 5 min $short kB, 20 min $long kB"
[ $((long - short)) -lt 8192 ] && pass || fail "memory grows with length: $short kB vs $long kB"
"$LAB" --memory 1024 "$TMP/night20.pipe" >"$TMP/night20-large.tsv" 2>/dev/null
cut -f2- "$TMP/night20.tsv" >"$TMP/a" && cut -f2- "$TMP/night20-large.tsv" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" && [ "$(wc -l <"$TMP/a")" -gt 3 ] && pass ||
  fail "20 min: --memory 8 vs 1024: $(diff "$TMP/a" "$TMP/b" | head -4)"
[ -z "$(find "$TMP" -name '.*tmp*' -o -name 'emgkit*')" ] && pass || fail "temporary files left"
rm -f "$TMP"/night*.pipe

# Bad values: one line on stderr naming the option, exit 1 (usage error).
for bad in -1 abc ""; do
  expect_exit 1 "--memory '$bad'" -- "$LAB" --memory "$bad" "$TMP/session.h5"
  [ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q -- "--memory" "$TMP/err" && pass ||
    fail "--memory '$bad': stderr should be one line naming --memory: $(cat "$TMP/err")"
done
finish
