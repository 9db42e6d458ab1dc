#!/usr/bin/env bash
# emg-dataset: builds, rebuilds to the same bytes, appends without touching
# existing rows, pairs recordings with their events by suffix or sample sheet,
# and fails cleanly (one line, documented exit code, no file left) on bad input.
. "$(dirname "$0")/lib.sh"

for s in 1 2 3 4; do
  "$BIN/emg-synth" -q --seed "$s" --duration 12 --rate 1000 -o "$TMP/sc$s.edf" || fail "synth $s"
done

expect_exit 0 "build" -- "$BIN/emg-dataset" -o "$TMP/a.h5" "$TMP"/sc1.edf "$TMP"/sc2.edf "$TMP"/sc3.edf
grep -q "rows, 3 subjects" "$TMP/err" && pass || fail "summary line: $(cat "$TMP/err")"
expect_exit 0 "rebuild" -- "$BIN/emg-dataset" -q -o "$TMP/b.h5" "$TMP"/sc1.edf "$TMP"/sc2.edf "$TMP"/sc3.edf
cmp -s "$TMP/a.h5" "$TMP/b.h5" && pass || fail "rebuild from the same inputs is not byte-identical"
[ -z "$(ls -A "$TMP" | grep tmp-)" ] && pass || fail "temporary file left: $(ls -A "$TMP")"

# Append: the old rows stay, the new recording is added, a repeated one is not.
cp "$TMP/a.h5" "$TMP/c.h5"
inode=$(stat -c %i "$TMP/c.h5")
expect_exit 0 "append" -- "$BIN/emg-dataset" --append -o "$TMP/c.h5" "$TMP/sc4.edf" "$TMP/sc1.edf"
grep -q "sc1.edf: already in the dataset" "$TMP/err" && pass || fail "duplicate not reported: $(cat "$TMP/err")"
grep -q "4 subjects" "$TMP/err" && pass || fail "append summary: $(cat "$TMP/err")"
# In place (the same file), old rows unchanged, and the rows one build of all four gives.
[ "$(stat -c %i "$TMP/c.h5")" = "$inode" ] && pass || fail "append rewrote the file (new inode)"
"$BIN/emg-dataset" -q -o "$TMP/all.h5" "$TMP"/sc1.edf "$TMP"/sc2.edf "$TMP"/sc3.edf "$TMP"/sc4.edf ||
  fail "build of all four"
/usr/bin/python3 - "$TMP/a.h5" "$TMP/c.h5" "$TMP/all.h5" <<'PY' && pass || fail "append content"
import h5py, numpy as np, sys
old, app, one = (h5py.File(p, "r") for p in sys.argv[1:])
n = len(old["labels"])
same = lambda a, b: np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f" else list(a) == list(b)
assert app.attrs["builds"] == 2
assert np.array_equal(app["samples"][:n], old["samples"][:], equal_nan=True), "old samples changed"
for c in old["rows"].attrs["columns"].split(","):
    assert same(app["rows"][c][:n], old["rows"][c][:]), "old rows/" + c
assert app["rows"].attrs["committed_rows"] == len(app["labels"]) == len(one["labels"])
assert np.array_equal(app["samples"][:], one["samples"][:], equal_nan=True), "samples differ from one build"
vocab = lambda f: f["classes/label"].asstr()[:]
assert [vocab(app)[k] for k in app["labels"][:]] == [vocab(one)[k] for k in one["labels"][:]]
for c in ("file", "onset", "label", "rms"):
    g = "features" if c == "rms" else "rows"
    if c in one[g]:
        assert same(app[g][c][:], one[g][c][:]), c
PY
# A failed append (a bad event table after a good recording) rolls back to the committed rows.
# (emg-synth writes late.events.tsv: replaced after)
"$BIN/emg-synth" -q --seed 9 --duration 6 --rate 1000 -o "$TMP/late.edf" || fail "synth late"
printf 'onset\tduration\tlabel\nx\t1\tcramp\n' > "$TMP/late.events.tsv"
cp "$TMP/c.h5" "$TMP/c0.h5"
"$BIN/emg-synth" -q --seed 8 --duration 6 --rate 1000 -o "$TMP/good.edf" || fail "synth good"
expect_exit 3 "failed append" -- "$BIN/emg-dataset" --append -o "$TMP/c.h5" "$TMP/good.edf" "$TMP/late.edf"
/usr/bin/python3 -c 'import h5py, sys; a, b = (h5py.File(p, "r") for p in sys.argv[1:])
assert all(len(a[d]) == len(b[d]) for d in ("samples", "labels", "rows/file", "features/row",
           "provenance/inputs/file")) and "append_in_progress" not in a.attrs' "$TMP/c.h5" "$TMP/c0.h5" &&
  pass || fail "failed append left rows"
expect_exit 0 "append after a failed one" -- "$BIN/emg-dataset" -q --append -o "$TMP/c.h5" "$TMP/good.edf"
expect_exit 1 "append with other options" -- "$BIN/emg-dataset" --append -w 2 -o "$TMP/c.h5" "$TMP/sc4.edf"
grep -q "built with other options" "$TMP/err" && pass || fail "option mismatch message: $(cat "$TMP/err")"

# A sample sheet: subjects from the sheet (two recordings of one subject).
printf 'file\tevents\tsubject\tsession\nsc1.edf\tsc1.events.tsv\tS01\t1\nsc2.edf\tsc2.events.tsv\tS01\t2\nsc3.edf\tsc3.events.tsv\tS02\t1\n' \
  > "$TMP/sheet.tsv"
expect_exit 0 "sheet" -- "$BIN/emg-dataset" -o "$TMP/s.h5" --sample-sheet "$TMP/sheet.tsv" --cut events --skip rest
grep -q "2 subjects" "$TMP/err" && pass || fail "sheet subjects: $(cat "$TMP/err")"

# emg-label output as the event table (--events-suffix).
"$BIN/emg-label" -q -o "$TMP/sc1.labels.tsv" "$TMP/sc1.edf" || fail "label"
expect_exit 0 "label output" -- "$BIN/emg-dataset" -q -o "$TMP/l.h5" --events-suffix .labels.tsv "$TMP/sc1.edf"

# A BIDS dataset as the input: each recording with its _events.tsv (trial_type the label,
# context markers left out), subject and session from the names; the rows the sources give.
printf 'file\tsubject\tsession\ttask\tevents\n%s\tA\tn/a\tspasm\t%s\n%s\tB\tnight\tspasm\t%s\n' \
  "$TMP/sc1.edf" "$TMP/sc1.events.tsv" "$TMP/sc2.edf" "$TMP/sc2.events.tsv" > "$TMP/bids.tsv"
"$BIN/emg-convert" -q --to bids --sample-sheet "$TMP/bids.tsv" -o "$TMP/study" || fail "BIDS export"
expect_exit 0 "BIDS root" -- "$BIN/emg-dataset" -o "$TMP/bids.h5" --cut events "$TMP/study"
grep -q "2 subjects" "$TMP/err" && pass || fail "BIDS summary: $(cat "$TMP/err")"
expect_exit 0 "BIDS sources" -- "$BIN/emg-dataset" -q -o "$TMP/direct.h5" --cut events \
  "$TMP/sc1.edf" "$TMP/sc2.edf"
h5values() { h5dump -d "$2" "$1" | sed -n '/DATA {/,/}/p' | sed 's/^ *([0-9,]*)://'; }
for d in /labels /classes/label /rows/onset /rows/burst_ms; do
  [ "$(h5values "$TMP/bids.h5" $d)" = "$(h5values "$TMP/direct.h5" $d)" ] && pass ||
    fail "BIDS input: $d differs from the sources'"
done
h5values "$TMP/bids.h5" /rows/subject | grep -q '"A"' && h5values "$TMP/bids.h5" /rows/subject |
  grep -q '"B"' && h5values "$TMP/bids.h5" /rows/session | grep -q '"night"' && pass ||
  fail "BIDS subjects and sessions: $(h5values "$TMP/bids.h5" /rows/subject | head -3)"

# Resampling to a common rate.
expect_exit 0 "resample" -- "$BIN/emg-dataset" -q -o "$TMP/r.h5" --rate 500 "$TMP/sc1.edf"
h5dump -A "$TMP/r.h5" | grep -A5 'ATTRIBUTE "length"' | grep -q "(0): 500" && pass || fail "length at 500 Hz"

# Failures: one line naming the file, the documented code, no output left.
expect_exit 2 "missing events" -- "$BIN/emg-dataset" -o "$TMP/m.h5" --events-suffix .none.tsv "$TMP/sc1.edf"
expect_one_error_line "sc1.none.tsv"
[ ! -e "$TMP/m.h5" ] && [ -z "$(ls -A "$TMP" | grep tmp-)" ] && pass || fail "output or temporary left after failure"
printf 'onset\tduration\tlabel\nx\t1\tcramp\n' > "$TMP/bad.events.tsv"
cp "$TMP/sc1.edf" "$TMP/bad.edf"
expect_exit 3 "bad events" -- "$BIN/emg-dataset" -o "$TMP/m.h5" "$TMP/bad.edf"
expect_one_error_line "bad.events.tsv"
expect_exit 1 "bad split" -- "$BIN/emg-dataset" -o "$TMP/m.h5" --split 0.5,0.5,0.5 "$TMP/sc1.edf"
expect_exit 1 "no output" -- "$BIN/emg-dataset" "$TMP/sc1.edf"
expect_exit 1 "standard input as a recording" -- "$BIN/emg-dataset" -o "$TMP/m.h5" - < "$TMP/sc1.edf"
expect_one_error_line "not '-'"
[ ! -e "$TMP/m.h5" ] && pass || fail "output left after refusing standard input"
expect_exit 3 "rate not whole" -- "$BIN/emg-dataset" -o "$TMP/m.h5" --rate 333.3 "$TMP/sc1.edf"
expect_one_error_line "sc1.edf"
cp "$TMP/sc1.events.tsv" "$TMP/notdata.h5"
expect_exit 3 "append to a non-dataset" -- "$BIN/emg-dataset" --append -o "$TMP/notdata.h5" "$TMP/sc1.edf"
cmp -s "$TMP/sc1.events.tsv" "$TMP/notdata.h5" && pass || fail "failed append changed its file"

finish
