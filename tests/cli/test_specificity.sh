#!/usr/bin/env bash
# Specificity of emg-label on real recordings (issue 17 item 3): runs
# scripts/eval_specificity.sh on the frozen manifest tests/data/specificity_stretches.tsv
# and prints its table.  Gates (all thresholds here, in one place):
GATE_REST_PER_HOUR=1        # false events per hour of real rest, rest and sleep contexts (stretches and long rest)
GATE_VOL_SPASM=0            # spasm labels (tremor, mixed included) on voluntary stretches, movement context
GATE_VOL_UNCLASSIFIED=0     # unclassified on voluntary stretches ("only voluntary or nothing")
GATE_S10_EVENTS=0           # events on S10 10.8-13.2 s, rest and sleep contexts
GATE_HEALTHY_TREMOR=0       # tremor events on emg_healthy.hea, default and movement contexts
# The rule fix of issue 17 meets these gates (before and after in
# docs/methods/specificity.md); EMGKIT_SPECIFICITY_GATES=report only prints them.
MODE=${EMGKIT_SPECIFICITY_GATES:-enforce}
. "$(dirname "$0")/lib.sh"
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then echo "numpy missing: skipped"; exit 0; fi
SRC=${EMGKIT_SRC:?}
if EMGKIT_BIN=$BIN bash "$SRC/scripts/eval_specificity.sh" run -b "$BIN" -o "$TMP" >"$TMP/table.md" 2>"$TMP/err.log"; then
  pass; else fail "eval_specificity.sh failed: $(head -c 600 "$TMP/err.log")"; finish; exit; fi
cat "$TMP/table.md"
S="$TMP/summary.tsv"
# value MEASURE SET CONTEXT KEY FIELD
value() { awk -F'\t' -v m="$1" -v s="$2" -v c="$3" -v k="$4" -v f="$5" '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  $col["measure"] == m && $col["set"] == s && $col["context"] == c && $col["key"] == k { print $col[f]; found = 1 }
  END { if (!found) print 0 }' "$S"; }
gate() {  # gate DESCRIPTION VALUE MAX
  if awk -v v="$2" -v t="$3" 'BEGIN { exit !(v <= t) }'; then pass; echo "gate ok: $1 = $2 (<= $3)"
  elif [ "$MODE" = enforce ]; then fail "$1 = $2 > $3"
  else echo "gate not met (report only, EMGKIT_SPECIFICITY_GATES=$MODE): $1 = $2 > $3"; fi
}
for set in stretches long; do
  for ctx in rest sleep; do
    gate "false events per hour of real rest ($set, $ctx)" "$(value false_rest $set $ctx ALL rate)" $GATE_REST_PER_HOUR
  done
done
gate "spasm labels on voluntary stretches (movement)" "$(value voluntary_spasm stretches movement ALL_SPASM events)" $GATE_VOL_SPASM
gate "unclassified on voluntary stretches (movement)" "$(value voluntary_spasm stretches movement unclassified events)" $GATE_VOL_UNCLASSIFIED
for ctx in rest sleep; do
  gate "events on S10 10.8-13.2 s ($ctx)" "$(value named 'S10 10.8-13.2 s' $ctx ALL events)" $GATE_S10_EVENTS
done
for ctx in default movement; do
  n=$(awk -F'\t' -v c="$ctx" '$1 == "named" && $2 == "emg_healthy.hea" && $3 == c && $4 ~ /^tremor\// { n++ } END { print n + 0 }' "$S")
  gate "tremor on emg_healthy.hea ($ctx)" "$n" $GATE_HEALTHY_TREMOR
done
finish
