#!/bin/bash
# Batch safety (docs/batch.md): every tool run the way a glob runs it leaves every
# recording byte-identical; analysis tools take many inputs into one table with a
# file column, keep going past bad files, take a WFDB record once, never write over
# an input; --inputs lists; -j; warnings collapsed; --version everywhere.
. "$(dirname "$0")/lib.sh"

TOOLS="emg-info emg-convert emg-filter emg-spectrum emg-features emg-fatigue emg-detect
       emg-label emg-score emg-synth emg-dataset"
ANALYSIS="emg-spectrum emg-features emg-fatigue emg-detect emg-label"

# A folder of recordings, as a user has it.
DIR=$TMP/folder
mkdir -p "$DIR"
cp "$DATA/plux_opensignals/emg_bursts.h5" "$DIR/a.h5"
cp "$DATA/plux_opensignals/emg_fatigue.h5" "$DIR/b.h5"
cp "$DATA/backyardbrains_wav/S10_EMG_bicep_intermittent.wav" "$DIR/c.wav"
cp "$DATA/physionet_emgdb/emg_healthy.hea" "$DATA/physionet_emgdb/emg_healthy.dat" "$DIR/"
(cd "$DIR" && md5sum -- * >"$TMP/before.md5")
unchanged() { (cd "$DIR" && md5sum --quiet -c "$TMP/before.md5" >/dev/null 2>&1); }

# 1. TOOL a.h5 b.h5 and TOOL a.h5 b.h5 c.wav, as a glob gives them, in the folder.
for tool in $TOOLS; do
  for args in "a.h5 b.h5" "a.h5 b.h5 c.wav"; do
    (cd "$DIR" && "$BIN/$tool" $args >"$TMP/out" 2>"$TMP/err" </dev/null)
    if unchanged; then pass; else
      fail "$tool $args changed a recording"
      (cd "$DIR" && md5sum -- * >"$TMP/before.md5") # go on from the new state
    fi
    case " $ANALYSIS " in
      *" $tool "*)
        files=$(awk -F'\t' 'NR == 1 { ok = ($1 == "file") } NR > 1 && ok { print $1 }' \
          "$TMP/out" | sort -u | tr '\n' ' ')
        want=$(echo $args | tr ' ' '\n' | sort | tr '\n' ' ')
        if [ "$files" = "$want" ]; then pass; else
          fail "$tool $args: file column holds '$files', expected '$want'"; fi ;;
    esac
  done
done
ls "$DIR" | grep -q tmp && fail "a temporary file was left in the folder" || pass

# 2. Converters: a positional OUT never replaces a recording; -o does, on purpose.
expect_exit 1 "emg-convert a.h5 b.h5 refuses to replace b.h5" -- "$BIN/emg-convert" "$DIR/a.h5" "$DIR/b.h5"
expect_one_error_line "b.h5"
expect_exit 1 "emg-filter a.h5 b.h5 refuses to replace b.h5" -- "$BIN/emg-filter" "$DIR/a.h5" "$DIR/b.h5"
cp "$DIR/b.h5" "$TMP/replace.h5"
expect_exit 0 "emg-convert -o replaces a recording named explicitly" -- \
  "$BIN/emg-convert" "$DIR/a.h5" -o "$TMP/replace.h5"
cmp -s "$TMP/replace.h5" "$DIR/b.h5" && fail "-o did not replace the file" || pass
expect_exit 0 "emg-convert to a new OUT" -- "$BIN/emg-convert" "$DIR/a.h5" "$TMP/new.h5"

# 3. No output over an input, compared as files (a link, another spelling).
cp "$DIR/c.wav" "$TMP/x.wav"
"$BIN/emg-convert" "$TMP/x.wav" "$TMP/x.csv" 2>/dev/null
ln -sf "$TMP/x.csv" "$TMP/link.csv"
for tool in emg-features emg-spectrum emg-fatigue emg-detect emg-label; do
  cp "$TMP/x.csv" "$TMP/x.csv.orig"
  expect_exit 1 "$tool -o over its input (through a link)" -- "$BIN/$tool" -o "$TMP/link.csv" "$TMP/x.csv"
  cmp -s "$TMP/x.csv" "$TMP/x.csv.orig" && pass || fail "$tool wrote over its input"
done
printf 'onset\tduration\tlabel\n1\t2\tcramp\n' >"$TMP/truth.tsv"
cp "$TMP/truth.tsv" "$TMP/truth.orig"
expect_exit 1 "emg-score -o over the truth table" -- \
  "$BIN/emg-score" --truth "$TMP/truth.tsv" --pred "$TMP/truth.tsv" -o "$TMP/./truth.tsv"
expect_exit 1 "emg-score --confusion over the truth table" -- \
  "$BIN/emg-score" --truth "$TMP/truth.tsv" --pred "$TMP/truth.tsv" --confusion "$TMP/truth.tsv"
cmp -s "$TMP/truth.tsv" "$TMP/truth.orig" && pass || fail "emg-score wrote over its truth table"
expect_exit 1 "emg-convert over the input's WFDB signal file" -- \
  "$BIN/emg-convert" "$DIR/emg_healthy.hea" "$DIR/emg_healthy.dat"
unchanged && pass || fail "the WFDB record changed"

# 4. A WFDB record named as .hea, .dat and record name is taken once.
# (--burst: the needle record holds motor-unit potentials, brief events; the
# default mode reports contractions and finds none in it, which gives no rows.)
"$BIN/emg-detect" --burst "$DIR/emg_healthy.hea" "$DIR/emg_healthy.dat" "$DIR/emg_healthy" \
  >"$TMP/wfdb.tsv" 2>"$TMP/err"
once=$(awk -F'\t' 'NR > 1 { print $1 }' "$TMP/wfdb.tsv" | sort -u | wc -l)
[ "$once" -eq 1 ] && pass || fail "a WFDB record given three ways was processed $once times"
"$BIN/emg-detect" --burst "$DIR/emg_healthy.hea" >"$TMP/wfdb1.tsv" 2>/dev/null
cmp -s "$TMP/wfdb.tsv" "$TMP/wfdb1.tsv" && pass || fail "the record's rows differ from a one-input run"

# 5. 200 mixed files, broken ones among them, through --inputs - -j 2.
LIST=$TMP/list.txt
: >"$LIST"
n_broken=0
for i in $(seq 1 200); do
  case $((i % 10)) in
    0) echo "$DATA/malformed/S3_EMG.wav" ;;                   # truncated
    5) echo "$TMP/missing-$i.h5" ;;                           # does not exist
    *) echo "$DIR/$(echo a.h5 b.h5 c.wav | cut -d' ' -f$((i % 3 + 1)))" ;;
  esac >>"$LIST"
done
# The same recording listed again is one input: make the good ones distinct copies.
awk -v d="$TMP/many" 'BEGIN { system("mkdir -p " d) }
  /folder/ { n++; split($0, p, "/"); f = d "/" n "_" p[length(p)]; system("cp " $0 " " f); print f; next }
  { print }' "$LIST" >"$LIST.2"
n_missing=$(grep -c missing "$LIST.2")
expect_exit 3 "200 inputs with broken ones: exit 3 (the highest failure)" -- \
  sh -c "'$BIN/emg-fatigue' --features rms,mdf -t 5 --inputs - -j 2 -o '$TMP/all.tsv' <'$LIST.2'"
errors=$(grep -v warning "$TMP/err" | wc -l)
# S3_EMG.wav (truncated) is named 20 times in the list but is one recording: one error.
[ "$errors" -eq $((n_missing + 1)) ] && pass || fail "expected $((n_missing + 1)) error lines, got $errors"
grep -q 'S3_EMG.wav: truncated' "$TMP/err" && pass || fail "the truncated file is not named"
good=$(awk -F'\t' 'NR > 1 { print $1 }' "$TMP/all.tsv" | sort -u | wc -l)
[ "$good" -eq 160 ] && pass || fail "expected rows from 160 good inputs, got $good"
head -1 "$TMP/all.tsv" | grep -q '^file	channel' && pass || fail "one header, file column first"
[ "$(grep -c '^file' "$TMP/all.tsv")" -eq 1 ] && pass || fail "the header is written once"
# Order: rows follow the inputs' order.
awk -F'\t' 'NR > 1 && $1 != last { print $1; last = $1 }' "$TMP/all.tsv" >"$TMP/order"
grep -v -e missing -e S3_EMG "$LIST.2" | cmp -s - "$TMP/order" && pass || fail "rows out of input order"
# The same rows with one job.
"$BIN/emg-fatigue" --features rms,mdf -t 5 --inputs - -o "$TMP/all1.tsv" <"$LIST.2" 2>/dev/null
cmp -s "$TMP/all.tsv" "$TMP/all1.tsv" && pass || fail "-j 2 and -j 1 give different tables"
# A repeated warning is printed once, with a count.
[ "$(grep -v 'the same for' "$TMP/err" | grep -c 'no physical scale')" -eq 1 ] && pass ||
  fail "the scale warning is not collapsed"
grep -q 'the same for [0-9]* more files: no physical scale' "$TMP/err" && pass || fail "no count of repeated warnings"
# Every input failed: no output file, the error line.
expect_exit 2 "only missing inputs" -- "$BIN/emg-features" -o "$TMP/none.tsv" "$TMP/no1.h5" "$TMP/no2.h5"
[ -e "$TMP/none.tsv" ] && fail "an output was written from no input" || pass

# 6. One option vocabulary at the edges: versions, abbreviations, one-line errors.
for tool in $TOOLS; do
  expect_exit 0 "$tool --version" -- "$BIN/$tool" --version
  grep -q "^$tool (emgkit) [0-9]" "$TMP/out" && pass || fail "$tool --version prints '$(cat "$TMP/out")'"
  expect_exit 0 "$tool -V" -- "$BIN/$tool" -V
  expect_exit 1 "$tool --no-such-option" -- "$BIN/$tool" --no-such-option
  expect_one_error_line "--no-such-option"
  expect_exit 4 "$tool --help to a full disk" -- sh -c "'$BIN/$tool' --help >/dev/full"
done
expect_exit 1 "emg-features --to 5 is not --to-time" -- "$BIN/emg-features" --to 5 "$DIR/a.h5"
expect_one_error_line "--to"
expect_exit 1 "emg-detect --meth is not --method" -- "$BIN/emg-detect" --meth bonato "$DIR/a.h5"
expect_exit 1 "-j ' 2' (leading blank) is not a number" -- "$BIN/emg-features" -j ' 2' "$DIR/a.h5"
expect_exit 1 "--step ' 1' (leading blank) is not a number" -- "$BIN/emg-features" -s ' 1' "$DIR/a.h5"
"$BIN/emg-features" --fs 2000 "$DIR/a.h5" >/dev/null 2>"$TMP/err"
grep -q 'a.h5: --fs ignored' "$TMP/err" && pass || fail "--fs on a file with its own rate is not reported"
expect_exit 0 "-q silences warnings" -- "$BIN/emg-features" -q --fs 2000 "$DIR/a.h5"
[ -s "$TMP/err" ] && fail "-q printed: $(cat "$TMP/err")" || pass

# 7. --precision: 6 significant digits by default, N on request; times to the microsecond.
"$BIN/emg-fatigue" --features mdf "$DIR/b.h5" 2>/dev/null | awk -F'\t' 'NR == 2 { print $9 }' >"$TMP/p6"
"$BIN/emg-fatigue" --features mdf --precision 12 "$DIR/b.h5" 2>/dev/null | awk -F'\t' 'NR == 2 { print $9 }' >"$TMP/p12"
digits() { tr -d -- '-.' <"$1" | sed 's/e.*//; s/^0*//' | tr -d '\n' | wc -c; }
[ "$(digits "$TMP/p6")" -le 6 ] && [ "$(digits "$TMP/p12")" -gt 6 ] && pass ||
  fail "--precision: default '$(cat "$TMP/p6")', 12 digits '$(cat "$TMP/p12")'"

finish
