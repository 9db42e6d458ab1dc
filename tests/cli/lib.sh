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
