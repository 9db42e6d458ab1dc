#!/usr/bin/env bash
# emg-detect: every onset method on a real recording (PLUX biceps, 9
# contractions), the event-table columns, the rest interval option, the
# transient detector on a simulated fasciculation scene, and usage errors.
. "$(dirname "$0")/lib.sh"
DET="$BIN/emg-detect"
BURSTS="$DATA/plux_opensignals/emg_bursts.h5"
# awk prelude: columns are looked up by name from each file's header (c["onset"], ...).
COLS='FNR == 1 { delete c; for (i = 1; i <= NF; i++) c[$i] = i; next }'

expect_exit 0 "help" -- "$DET" --help
grep -q "^Usage: emg-detect" "$TMP/out" && pass || fail "help goes to stdout"
expect_exit 1 "unknown method" -- "$DET" --method magic "$BURSTS"
grep -q "unknown detection method 'magic'" "$TMP/err" && pass || fail "names the bad method"
expect_exit 1 "bad --rest" -- "$DET" --rest 5 "$BURSTS"
expect_exit 2 "missing input" -- "$DET" "$TMP/none.h5"

# The 9 contractions of emg_bursts.h5 (tests/data/emg_bursts.truth.tsv): every
# method finds each of them (a segment overlapping it) at --min-duration 0.3
# --merge-gap 0.1, with at most one extra segment for threshold, TKEO and
# Lidierth.  (The threshold method's extra is the last 0.4 s of the file, where
# the envelope rises to 3-5 x rest: a tenth contraction cut by the end of the
# recording, or a tail; scripts/detect_truth.py lists 9.)
TRUTH="$EMGKIT_SRC/tests/data/emg_bursts.truth.tsv"
# found TRUTH PRED: prints "found extras" (each truth row matched by the earliest unused overlapping segment)
found() {
  awk -F'\t' "$COLS"' NR==FNR{n++; on[n]=$c["onset"]; off[n]=$c["onset"]+$c["duration"]; next}
    {m++; pon[m]=$c["onset"]; poff[m]=$c["onset"]+$c["duration"]}
    END{for(i=1;i<=n;i++){b=0; for(j=1;j<=m;j++){lo=(pon[j]>on[i]?pon[j]:on[i]); hi=(poff[j]<off[i]?poff[j]:off[i]); if(hi>lo && !u[j] && (!b || pon[j]<pon[b])) b=j} if(b){u[b]=1; f++}}
        print f+0, m-f}' "$1" "$2"
}
expect_exit 0 "threshold" -- "$DET" --min-duration 0.3 --merge-gap 0.1 "$BURSTS"
cp "$TMP/out" "$TMP/threshold.tsv"
head -1 "$TMP/out" | grep -q "^file	onset	duration	channel	label	peak	area	rms	phases	turns$" \
  && pass || fail "event table header: $(head -1 "$TMP/out")"
awk -F'\t' -v f="$BURSTS" 'NR > 1 && $1 != f { bad = 1 } END { exit bad }' "$TMP/threshold.tsv" \
  && pass || fail "file column names the input as given"
awk -F'\t' "$COLS"' ($c["label"] != "active" || $c["duration"] < 0.3 || $c["duration"] > 2.5) {bad=1} END {exit bad}' "$TMP/threshold.tsv" \
  && pass || fail "segments are 'active' and last 0.3-2.5 s"
for m in threshold tkeo lidierth bonato hodges aglr; do
  expect_exit 0 "$m" -- "$DET" --method $m --min-duration 0.3 --merge-gap 0.1 "$BURSTS"
  read -r f x <<<"$(found "$TRUTH" "$TMP/out")"
  [ "$f" -eq 9 ] && pass || fail "$m: found $f of the 9 contractions"
  case $m in threshold|tkeo|lidierth)
    [ "$x" -le 1 ] && pass || fail "$m: $x extra segments (at most 1)" ;;
  esac
done

# A rest interval inside a contraction raises the threshold: fewer, shorter segments.
expect_exit 0 "rest interval" -- "$DET" --rest 1.5:2.0 --min-duration 0.3 --merge-gap 0.1 -v "$BURSTS"
grep -q "rest 1.500-2.000 s" "$TMP/err" && pass || fail "verbose names the rest interval"
n=$(($(wc -l <"$TMP/out") - 1))
[ "$n" -lt 9 ] && pass || fail "threshold from a contraction should find fewer segments ($n)"

# Burst mode and transients on a simulated needle fasciculation scene.
"$BIN/emg-synth" --scenario fasciculation --seed 3 --rate 10000 -o "$TMP/fasc.h5" 2>/dev/null
expect_exit 0 "transients" -- "$DET" --method transient "$TMP/fasc.h5"
n=$(($(wc -l <"$TMP/out") - 1))
truth=$(awk -F'\t' "$COLS"' $c["label"]=="fasciculation"{print $c["count"]}' "$TMP/fasc.events.tsv")
# every potential found, give or take two overlapping pairs
awk -v n="$n" -v t="$truth" 'BEGIN{exit !(n >= t - 2 && n <= t + 2)}' && pass \
  || fail "transients: $n found, $truth simulated"
# short, and (but for overlapping pairs) of few phases
awk -F'\t' "$COLS"' {n++; if ($c["label"] != "transient" || $c["duration"] > 0.03) bad=1; if ($c["phases"] > 5) many++}
             END{exit bad || n == 0 || many > 0.1 * n}' "$TMP/out" \
  && pass || fail "transients are short and have few phases"
expect_exit 0 "burst mode" -- "$DET" --burst "$TMP/fasc.h5"
[ "$(wc -l <"$TMP/out")" -gt 10 ] && pass || fail "burst mode finds the potentials"

finish
