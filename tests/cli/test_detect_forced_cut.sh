#!/usr/bin/env bash
# emg-detect --memory: activity without a quiet stretch for longer than the
# largest block (64 MiB at 16 bytes a sample: 2^22 samples, 524 s of one
# 8 kHz channel; detect_internal.h, DETECT_GROW_LIMIT_BYTES) is cut where the block
# ends (a forced cut), as emg-label's (test_label_forced_cut.sh).  Under
# --memory 0 a 560 s contraction is cut once: one warning on stderr giving the
# count (emg_detect_result.forced_cuts), exit 0 (a warning,
# docs/exit-codes.md), the contraction's segment ends at the cut and the next
# starts there, so the segments still cover it without a gap from the same
# onset to the same end as under --memory 1024 (one block, no cut, no
# warning); the cramp after it is the same row; no temporary file left behind.
. "$(dirname "$0")/lib.sh"
DET="$BIN/emg-detect"
long_contraction 8000 "$TMP/long.pipe" && pass || fail "emg-synth"

# detect MIB: table in $TMP/MIB.tsv, stderr in $TMP/MIB.err.  The rest is
# given: the contraction fills most of the recording, so the quietest windows
# would be inside it.
detect() {
  TMPDIR="$TMP" "$DET" --memory "$1" --rest 1:19 "$TMP/long.pipe" >"$TMP/$1.tsv" 2>"$TMP/$1.err"
  local rc=$?
  [ "$rc" -eq 0 ] && pass || fail "--memory $1: exit $rc, expected 0: $(head -c 400 "$TMP/$1.err")"
}
detect 0
detect 1024

# One warning line naming the file, the channel, the budget and one cut;
# none when the block holds the whole recording; -q silences it.
[ "$(wc -l <"$TMP/0.err")" -eq 1 ] &&
  grep -q "^emg-detect: warning: $TMP/long.pipe: channel EMG1: activity longer than a block of --memory 0 MiB" \
    "$TMP/0.err" && grep -q ": 1 segment cut at block ends" "$TMP/0.err" && pass ||
  fail "--memory 0: expected one forced-cut warning with count 1, got: $(cat "$TMP/0.err")"
[ -s "$TMP/1024.err" ] && fail "--memory 1024 warned: $(cat "$TMP/1024.err")" || pass
"$DET" -q --memory 0 --rest 1:19 "$TMP/long.pipe" 2>"$TMP/q.err" >/dev/null
[ -s "$TMP/q.err" ] && fail "-q should silence the warning: $(cat "$TMP/q.err")" || pass

# The segments overlapping the contraction (20-580 s): one more under
# --memory 0 (the cut), one ending where the next starts inside the
# activity; together they cover it without a gap (0.01 s), from the same
# onset to the same end under both budgets (0.01 s), at least 95% of it.
read -r n0 on0 end0 gap0 meet0 <<<"$(contraction_span "$TMP/0.tsv")"
read -r n1 on1 end1 gap1 meet1 <<<"$(contraction_span "$TMP/1024.tsv")"
echo "contraction under --memory 0: $n0 segment(s) $on0-$end0 s, $meet0 meeting at a cut;" \
  "--memory 1024: $n1 $on1-$end1 s"
[ "$n0" -eq $((n1 + 1)) ] && [ "$meet0" -eq 1 ] && [ "$meet1" -eq 0 ] && pass ||
  fail "expected one segment more under --memory 0, two meeting at the cut: $n0 ($meet0) vs $n1 ($meet1)"
[ "$gap0" -eq 0 ] && [ "$gap1" -eq 0 ] && pass ||
  fail "contraction not covered whole: --memory 0: gap $gap0, 1024: gap $gap1"
awk -v a="$on0" -v b="$end0" -v c="$on1" -v d="$end1" 'BEGIN {
    exit !((a - c) ^ 2 <= 1e-4 && (b - d) ^ 2 <= 1e-4 && b - a >= 0.95 * 560) }' && pass ||
  fail "contraction covered $on0-$end0 s under --memory 0, $on1-$end1 s under 1024"
awk -F'\t' 'NR > 1 && $2 >= 580' "$TMP/0.tsv" >"$TMP/after0"
awk -F'\t' 'NR > 1 && $2 >= 580' "$TMP/1024.tsv" >"$TMP/after1"
[ -s "$TMP/after0" ] && cmp -s "$TMP/after0" "$TMP/after1" && pass ||
  fail "segments after the cut differ: $(diff "$TMP/after0" "$TMP/after1" | head -4)"
[ -z "$(find "$TMP" -name '.*tmp*' -o -name 'emgkit*')" ] && pass || fail "temporary files left"
rm -f "$TMP/long.pipe"
finish
