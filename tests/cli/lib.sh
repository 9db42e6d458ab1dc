# lib.sh: helpers for the CLI tests (sourced).  Environment from ctest:
# EMGKIT_BIN (tools), EMGKIT_DATASETS (real recordings), EMGKIT_TEST_TMP (scratch).
set -u
BIN=${EMGKIT_BIN:?}
DATA=${EMGKIT_DATASETS:?}
TMP=${EMGKIT_TEST_TMP:?}
rm -rf "$TMP" && mkdir -p "$TMP"
failures=0
checks=0

pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*" >&2; }

# expect_exit CODE DESCRIPTION -- COMMAND...: run, keep stdout/stderr in $TMP/out,err.
expect_exit() {
  local want=$1 what=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then pass; else
    fail "$what: exit $got, expected $want; stderr: $(head -c 400 "$TMP/err")"
  fi
}

# expect_one_error_line FILE_NAME: stderr is exactly one line and names the file.
expect_one_error_line() {
  local lines
  lines=$(wc -l <"$TMP/err")
  if [ "$lines" -eq 1 ] && grep -qF -- "$1" "$TMP/err"; then pass; else
    fail "stderr should be one line naming $1, got: $(cat "$TMP/err")"
  fi
}

# Dump a recording as TSV (time + channels) for comparisons.
dump() { "$BIN/emg-convert" "$@" --to tsv -; }

# max_abs_diff A.tsv B.tsv: largest absolute difference over all sample cells
# (header and time column skipped); fails if the shapes differ.
max_abs_diff() {
  paste "$1" "$2" | awk -F'\t' '
    NR == 1 { half = NF / 2; next }
    NF != 2 * half { print "shape"; exit }
    { for (i = 2; i <= half; i++) { d = $i - $(i + half); if (d < 0) d = -d; if (d > m) m = d } }
    END { if (m == "") m = 0; printf "%.9g\n", m }'
}

# expect_close A.tsv B.tsv TOL DESCRIPTION
expect_close() {
  local d
  d=$(max_abs_diff "$1" "$2")
  if [ "$(wc -l <"$1")" -ne "$(wc -l <"$2")" ] || [ "$d" = shape ]; then
    fail "$4: different shapes ($(wc -l <"$1") vs $(wc -l <"$2") lines)"
  elif awk -v d="$d" -v t="$3" 'BEGIN { exit !(d <= t) }'; then pass; else
    fail "$4: max difference $d > $3"
  fi
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}

# The streaming block caps (test_label_forced_cut.sh, test_detect_forced_cut.sh):
# long_contraction RATE OUT writes to OUT (a pipe file) one EMG channel at RATE
# Hz with a 560 s contraction (20-580 s) and no quiet stretch in it, then a
# 15 s cramp (610-625 s).
long_contraction() {
  cat >"$TMP/long.scn" <<SCN
fs $1
mains 0
channel agonist EMG1
rest 20
voluntary 560 level=0.2 ramp=1
rest 30
cramp 15 level=0.4
rest 20
SCN
  "$BIN/emg-synth" --scenario "$TMP/long.scn" --seed 1 --to pipe -o "$2" 2>/dev/null
}

# contraction_span TABLE: of the event-table rows (onset in column 2, duration
# in 3) that overlap the contraction (20-580 s), "N ONSET END GAP MEET": their
# count, the earliest onset, the latest end, 1 when one starts more than
# 0.01 s after the ones before it end (a gap), and how many start where the
# ones before end (within 0.01 s) inside the activity (25-575 s: a cut).
contraction_span() {
  awk -F'\t' 'NR > 1 && $2 < 580 && $2 + $3 > 20 {
      if (n && $2 > end + 0.01) gap = 1
      if (n && $2 > 25 && $2 < 575 && ($2 - end) ^ 2 <= 1e-4) meet++
      if (!n || $2 < on) on = $2; if (!n || $2 + $3 > end) end = $2 + $3; n++ }
    END { printf "%d %.3f %.3f %d %d\n", n, on, end, gap, meet }' "$1"
}
