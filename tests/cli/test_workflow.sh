#!/usr/bin/env bash
# The Snakemake workflow (scripts/workflow/) over datasets/ run locally: every recording
# of the sample sheet in every aggregate table under its own name, the numbers the tools
# give on their own, nothing left half-written, a re-run that does nothing, and a bad
# recording that stops the aggregates with its own error line; the labelled dataset
# (h5py, rows of every recording, no subject in two splits, truth tables used where a
# recording has one); a folder, a BIDS dataset and a cohort (the group table) as inputs.
source "$(dirname "$0")/lib.sh"
SRC=${EMGKIT_SRC:?}
SNAKEFILE=$SRC/scripts/workflow/Snakefile
if ! command -v snakemake >/dev/null; then echo "snakemake is not installed"; exit 77; fi

targets=(all)
workflow() {  # workflow DIR ARGS...: make ${targets[@]} with its working directory DIR
  local dir=$1
  shift
  snakemake "${targets[@]}" -s "$SNAKEFILE" --directory "$dir" \
    --profile "$SRC/scripts/workflow/profiles/local" --quiet all \
    --config "bin=$BIN" "$@" >"$TMP/out" 2>"$TMP/err"
}

# check_dataset FILE EVENTS_PATTERN RECORDING...: the dataset opens with h5py in its
# documented layout, has rows from every recording named (its `file` column holds
# their absolute paths), every row's events table matches the pattern, and no subject
# is in two splits.
check_dataset() {
  /usr/bin/python3 - "$@" <<'PY' 2>"$TMP/py.err" && pass || fail "dataset $1: $(tail -3 "$TMP/py.err")"
import re, sys, h5py, numpy as np
path, pattern, recordings = sys.argv[1], sys.argv[2], sys.argv[3:]
with h5py.File(path, "r") as f:
    assert f.attrs["layout"] == "emgkit-dataset", "not the emgkit-dataset layout"
    rows = {c: f["rows"][c].asstr()[()] for c in ("file", "events", "subject", "split")}
    n = f["samples"].shape[0]
    assert n == len(f["labels"]) == len(rows["file"]) > 0, "samples, labels and rows differ in length"
    assert f["labels"][()].max() < len(f["classes/label"]), "a label code outside the vocabulary"
    files = set(rows["file"])
    missing = [r for r in recordings if not any(x.endswith("/" + r) for x in files)]
    assert not missing and len(files) == len(recordings), f"rows of {len(files)} files; none of {missing}"
    wrong = [e for e in set(rows["events"]) if not re.search(pattern, e)]
    assert not wrong, f"events tables not matching {pattern}: {wrong[:3]}"
    splits = {}
    for subject, split in zip(rows["subject"], rows["split"]):
        splits.setdefault(subject, set()).add(split)
    leaked = {s: v for s, v in splits.items() if len(v) > 1}
    assert not leaked, f"subjects in two splits: {leaked}"
PY
}

# 1. The sample sheet of datasets/, end to end.
sheet=$DATA/samples.tsv
if workflow "$TMP/wf" "inputs=$sheet" out=results; then pass; else
  fail "workflow on datasets/samples.tsv failed: $(tail -c 600 "$TMP/err")"
fi
out=$TMP/wf/results
recordings=$(tail -n +2 "$sheet" | cut -f1 | sort)
for table in features fatigue detect labels; do
  if [ -s "$out/all/$table.tsv" ]; then pass; else fail "no aggregate table $table.tsv"; fi
  named=$(tail -n +2 "$out/all/$table.tsv" | cut -f1 | sort -u)
  # Every recording has feature and fatigue rows, named as the sheet names it; detection
  # and label tables have rows only for recordings with activity.
  if [ "$table" = detect ] || [ "$table" = labels ]; then
    extra=$(comm -13 <(echo "$recordings") <(echo "$named"))
    [ -z "$extra" ] && [ -n "$named" ] && pass || fail "$table.tsv names files not in the sheet: $extra"
  elif [ "$named" = "$recordings" ]; then pass; else
    fail "$table.tsv rows name $(echo "$named" | wc -l) files, the sheet $(echo "$recordings" | wc -l)"
  fi
done

# The dataset: every recording of the sheet (none comes with an event table, so the
# labeller's tables label them all), one split per subject.
check_dataset "$out/all/dataset.h5" '/labels\.tsv$' $recordings

[ -s "$out/all/group.tsv" ] && grep -qP "^backyardbrains_wav/S8_EMG_bicep_sustained.wav\tbyb08\tsustained\t" \
  "$out/all/group.tsv" && pass || fail "group.tsv: no unit rows named and grouped as the sheet says"

# The numbers are the tools' own: the 9 contractions of emg_bursts.h5, the falling median
# frequency of emg_fatigue.h5 (slope and the whole CI below zero).
bursts=$(awk -F'\t' '$1 == "plux_opensignals/emg_bursts.h5"' "$out/all/detect.tsv" | wc -l)
[ "$bursts" -eq 9 ] && pass || fail "emg_bursts.h5: $bursts segments in detect.tsv, expected 9"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $1 == "plux_opensignals/emg_fatigue.h5" && $c["feature"] == "mdf" { n++; if ($c["ci_high"] < 0) ok++ }
  END { exit !(n >= 1 && ok == n) }' "$out/all/fatigue.tsv" && pass ||
  fail "emg_fatigue.h5: MDF trend's CI not below zero in fatigue.tsv"

# Nothing half-written, and a second run has nothing to do.
leftover=$(find "$out" -name '*.tmp' -o -name '.emg*' | head -3)
[ -z "$leftover" ] && pass || fail "temporary files left: $leftover"
snakemake -s "$SNAKEFILE" --directory "$TMP/wf" --cores 2 -n all --config "bin=$BIN" \
  "inputs=$sheet" out=results >"$TMP/out" 2>&1
grep -q "Nothing to be done" "$TMP/out" && pass || fail "a re-run would redo work: $(tail -5 "$TMP/out")"

# 2. A folder: every recording with a known extension below it is found.
mkdir -p "$TMP/folder/a" "$TMP/folder/b"
cp "$DATA/plux_opensignals/emg_bursts.h5" "$TMP/folder/a/"
cp "$DATA/physionet_emgdb/emg_healthy."{hea,dat} "$TMP/folder/b/"
echo "not a recording" >"$TMP/folder/notes.txt"
targets=(results/all/features.tsv)  # what finding is checked by; the chain is checked above
if workflow "$TMP/wf-folder" "inputs=$TMP/folder" out=results; then pass; else
  fail "workflow on a folder failed: $(tail -c 600 "$TMP/err")"
fi
found=$(tail -n +2 "$TMP/wf-folder/results/all/features.tsv" | cut -f1 | sort -u | tr '\n' ' ')
[ "$found" = "a/emg_bursts.h5 b/emg_healthy.hea " ] && pass || fail "folder mode found: $found"

# 3. A BIDS dataset (made by emg-convert --to bids): every _emg file is a recording.
"$BIN/emg-convert" -q --to bids --task rest --subject 01 "$DATA/physionet_emgdb/emg_healthy.hea" \
  -o "$TMP/bids" && "$BIN/emg-convert" -q --to bids --task bursts --subject 02 \
  "$DATA/plux_opensignals/emg_bursts.h5" -o "$TMP/bids" || fail "emg-convert --to bids"
targets=(results/all/features.tsv results/all/cohort.tsv results/all/dataset-sheet.tsv)
if workflow "$TMP/wf-bids" "inputs=$TMP/bids" out=results; then pass; else
  fail "workflow on a BIDS dataset failed: $(tail -c 600 "$TMP/err")"
fi
found=$(tail -n +2 "$TMP/wf-bids/results/all/features.tsv" | cut -f1 | sort -u | tr '\n' ' ')
[ "$found" = "sub-01/emg/sub-01_task-rest_emg.bdf sub-02/emg/sub-02_task-bursts_emg.bdf " ] && pass ||
  fail "BIDS mode found: $found"
# the subject is the BIDS label (01, as emg-dataset and emg-fatigue --cohort write it),
# not the entity sub-01, in the cohort table and the dataset's sample sheet
for t in cohort dataset-sheet; do
  subjects=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "subject") c = i; next }
    { printf "%s ", $c }' "$TMP/wf-bids/results/all/$t.tsv")
  [ "$subjects" = "01 02 " ] && pass || fail "BIDS subjects in $t.tsv: $subjects"
done

# 4. A cohort (sample sheet with subject and condition): the group table pools the
# recordings' slopes over subjects; three simulated fatiguing contractions give a
# pooled fall of the median frequency whose interval lies below zero. emg-synth writes
# each one's ground truth beside it (fN.events.tsv), which labels their dataset rows.
printf 'file\tsubject\tcondition\n' >"$TMP/cohort.tsv"
for i in 1 2 3; do
  "$BIN/emg-synth" -q --scenario fatigue --seed "$i" --duration 60 -o "$TMP/f$i.h5" || fail "emg-synth"
  printf 'f%s.h5\ts%s\tsustained\n' "$i" "$i" >>"$TMP/cohort.tsv"
done
targets=(results/all/group.tsv results/all/dataset.h5)
if workflow "$TMP/wf-cohort" "inputs=$TMP/cohort.tsv" out=results; then pass; else
  fail "workflow on a cohort failed: $(tail -c 600 "$TMP/err")"
fi
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $c["feature"] == "mdf" && $c["level"] == "unit" { units[$c["file"] " " $c["subject"]]++ }
  $c["feature"] == "mdf" && $c["level"] == "pooled" && $c["condition"] == "sustained" &&
    $c["n_subjects"] == 3 && $c["ci_high_per_min"] < 0 { pooled++ }
  END { exit !(pooled == 1 && units["f1.h5 s1"] && units["f2.h5 s2"] && units["f3.h5 s3"]) }' \
  "$TMP/wf-cohort/results/all/group.tsv" && pass ||
  fail "group.tsv: no pooled MDF fall over 3 subjects, or units not named as the sheet: $(head -3 "$TMP/wf-cohort/results/all/group.tsv")"
check_dataset "$TMP/wf-cohort/results/all/dataset.h5" '/f[123]\.events\.tsv$' f1.h5 f2.h5 f3.h5
# ...and with dataset_events=labels, the labeller's tables instead (only the sheet
# and the dataset are redone).
targets=(results/all/dataset.h5)
workflow "$TMP/wf-cohort" "inputs=$TMP/cohort.tsv" out=results dataset_events=labels &&
  check_dataset "$TMP/wf-cohort/results/all/dataset.h5" '/labels\.tsv$' f1.h5 f2.h5 f3.h5 ||
  fail "dataset_events=labels: $(tail -c 600 "$TMP/err")"

# 5. A broken recording in the sheet: its convert step fails with the tools' one error
# line in its log, and no aggregate table is written.
targets=(all)
printf 'file\tsubject\n%s\ts1\n%s\ts2\n' "$DATA/plux_opensignals/emg_bursts.h5" \
  "$DATA/malformed/S3_EMG.wav" >"$TMP/bad.tsv"
if workflow "$TMP/wf-bad" "inputs=$TMP/bad.tsv" out=results; then
  fail "a truncated recording did not fail the workflow"
else pass; fi
log=$(find "$TMP/wf-bad/results/logs" -name convert.log -path '*S3_EMG*')
[ -n "$log" ] && grep -q "S3_EMG.wav" "$log" && [ "$(wc -l <"$log")" -eq 1 ] && pass ||
  fail "the bad recording's convert log should be its one error line: $(cat "$log" 2>/dev/null)"
[ ! -e "$TMP/wf-bad/results/all/detect.tsv" ] && [ ! -e "$TMP/wf-bad/results/all/dataset.h5" ] && pass ||
  fail "an aggregate or the dataset was written despite a failed recording"
finish
