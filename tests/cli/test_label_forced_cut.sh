#!/usr/bin/env bash
# emg-label --memory: activity without a quiet stretch for longer than the
# largest block (64 MiB at 32 bytes a sample: 2^21 samples, 524 s of one
# 4 kHz channel) is cut where the block ends (a forced cut, issue 13).  Under
# --memory 0 a 560 s contraction is cut once: one warning on stderr giving the
# count (emg_label_result.forced_cuts), exit 0 (a warning, docs/exit-codes.md),
# the explanation shows the two episodes meeting at the cut, and the table
# still covers the contraction from its onset to its end, as under --memory
# 1024 (one block, no cut, no warning); the cramp after it is labelled the
# same; no temporary file left behind.
. "$(dirname "$0")/lib.sh"
LAB="$BIN/emg-label"
long_contraction 4000 "$TMP/long.pipe" && pass || fail "emg-synth"

# label MIB: table in $TMP/MIB.tsv, explanation in $TMP/MIB.txt, stderr in $TMP/MIB.err.
# The rest is given: the contraction fills most of the recording, so the
# quietest windows would be inside it.
label() {
  TMPDIR="$TMP" "$LAB" --memory "$1" --rest 1:19 --explain="$TMP/$1.txt" "$TMP/long.pipe" \
    >"$TMP/$1.tsv" 2>"$TMP/$1.err"
  local rc=$?
  [ "$rc" -eq 0 ] && pass || fail "--memory $1: exit $rc, expected 0: $(head -c 400 "$TMP/$1.err")"
}
label 0
label 1024

# One warning line naming the file, the budget and one forced cut; none
# when the block holds the whole recording.
[ "$(wc -l <"$TMP/0.err")" -eq 1 ] &&
  grep -q "^emg-label: warning: $TMP/long.pipe: activity longer than a block of --memory 0 MiB" \
    "$TMP/0.err" && grep -q ": 1 block ended inside an episode" "$TMP/0.err" && pass ||
  fail "--memory 0: expected one forced-cut warning with count 1, got: $(cat "$TMP/0.err")"
[ -s "$TMP/1024.err" ] && fail "--memory 1024 warned: $(cat "$TMP/1024.err")" || pass
"$LAB" -q --memory 0 --rest 1:19 "$TMP/long.pipe" 2>"$TMP/q.err" >/dev/null
[ -s "$TMP/q.err" ] && fail "-q should silence the warning: $(cat "$TMP/q.err")" || pass

# The explanation: the contraction's episode ends at the cut, inside the
# activity (20-580 s), and the next one starts there.
cuts=$(awk '/^EMG1 [0-9.]+-[0-9.]+ s:$/ {
    split($2, t, "-"); if (t[1] == prev && t[1] > 25 && t[1] < 575) n++; prev = t[2] + 0 }
  END { print n + 0 }' "$TMP/0.txt")
[ "$cuts" -eq 1 ] && pass || fail "--memory 0: expected one episode ending where the next starts, got $cuts: $(grep '^EMG1' "$TMP/0.txt")"
cuts=$(grep -c '^EMG1 ' "$TMP/1024.txt")
[ "$cuts" -eq $(($(grep -c '^EMG1 ' "$TMP/0.txt") - 1)) ] && pass ||
  fail "--memory 1024 should have one episode fewer: $(grep '^EMG1' "$TMP/1024.txt")"

# The table: the events overlapping the contraction (20-580 s) cover it without
# a gap from the same onset to the same end under both budgets (0.01 s), and
# cover at least 95% of it; the events after it are the same rows.
read -r n0 on0 end0 gap0 _ <<<"$(contraction_span "$TMP/0.tsv")"
read -r n1 on1 end1 gap1 _ <<<"$(contraction_span "$TMP/1024.tsv")"
echo "contraction under --memory 0: $n0 event(s) $on0-$end0 s; --memory 1024: $n1 $on1-$end1 s"
[ "$n0" -ge 1 ] && [ "$gap0" -eq 0 ] && [ "$n1" -ge 1 ] && pass ||
  fail "contraction not labelled whole: --memory 0: $n0 events (gap $gap0), 1024: $n1"
awk -v a="$on0" -v b="$end0" -v c="$on1" -v d="$end1" 'BEGIN {
    exit !((a - c) ^ 2 <= 1e-4 && (b - d) ^ 2 <= 1e-4 && b - a >= 0.95 * 560) }' && pass ||
  fail "contraction covered $on0-$end0 s under --memory 0, $on1-$end1 s under 1024"
awk -F'\t' 'NR > 1 && $2 >= 580' "$TMP/0.tsv" >"$TMP/after0"
awk -F'\t' 'NR > 1 && $2 >= 580' "$TMP/1024.tsv" >"$TMP/after1"
[ -s "$TMP/after0" ] && cmp -s "$TMP/after0" "$TMP/after1" && pass ||
  fail "events after the cut differ: $(diff "$TMP/after0" "$TMP/after1" | head -4)"
[ -z "$(find "$TMP" -name '.*tmp*' -o -name 'emgkit*')" ] && pass || fail "temporary files left"
rm -f "$TMP/long.pipe"
finish
