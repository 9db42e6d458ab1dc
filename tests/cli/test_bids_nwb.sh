#!/usr/bin/env bash
# emg-convert --to bids and --to nwb: usage errors, failures that leave nothing
# half-written, curated dataset files kept, sidecars applied by every tool
# (docs/formats/bids.md, docs/formats/nwb.md).  The specification's rules, MNE and
# the read-back are checked in tests/py/test_bids_export.py and test_nwb_export.py.
. "$(dirname "$0")/lib.sh"
C="$BIN/emg-convert"
HEALTHY="$DATA/physionet_emgdb/emg_healthy.hea"
MYO="$DATA/physionet_emgdb/emg_myopathy.hea"
cd "$TMP" || exit 1

# --- usage errors (exit 1), nothing written
expect_exit 1 "--to bids without -o" -- "$C" --to bids --task rest "$HEALTHY"
expect_exit 1 "--to bids without a task" -- "$C" --to bids "$HEALTHY" -o ds
grep -q "task" err && pass || fail "the message should ask for a task: $(cat err)"
expect_exit 1 "subject label with _" -- "$C" --to bids --task rest --subject a_b "$HEALTHY" -o ds
expect_exit 1 "--events with two inputs" -- "$C" --to bids --task rest --events x.tsv "$HEALTHY" "$MYO" -o ds
expect_exit 1 "--task without --to bids" -- "$C" --task rest "$HEALTHY" -o x.edf
expect_exit 1 "--session for EDF output" -- "$C" --session s1 "$HEALTHY" -o x.edf
expect_exit 1 "--data-format xyz" -- "$C" --to bids --task rest --data-format xyz "$HEALTHY" -o ds
expect_exit 1 "--mains auto" -- "$C" --to bids --task rest --mains auto "$HEALTHY" -o ds
expect_exit 1 "same subject, task and run twice" -- "$C" --to bids --task rest --subject 01 --run 1 "$HEALTHY" "$MYO" -o ds
expect_exit 1 "--run 0" -- "$C" --to bids --task rest --run 0 "$HEALTHY" -o ds
printf 'file\tsubject\n%s\t01\n' "$HEALTHY" >sheet.tsv
expect_exit 1 "sheet and arguments" -- "$C" --to bids --task rest --sample-sheet sheet.tsv "$MYO" -o ds
printf 'path\tsubject\n%s\t01\n' "$HEALTHY" >badsheet.tsv
expect_exit 3 "sheet without a file column" -- "$C" --to bids --task rest --sample-sheet badsheet.tsv -o ds
expect_one_error_line "badsheet.tsv"
[ ! -e ds ] && pass || fail "a refused export created $(find ds)"

# --- two subjects of one run; runs numbered for a shared subject
expect_exit 0 "export" -- "$C" --to bids --task rest --sample-sheet sheet.tsv -o ds
expect_exit 0 "export, same subject twice" -- "$C" --to bids --task mvc --subject 02 "$HEALTHY" "$MYO" -o ds
[ -f ds/sub-02/emg/sub-02_task-mvc_run-1_emg.bdf ] && [ -f ds/sub-02/emg/sub-02_task-mvc_run-2_emg.bdf ] \
  && pass || fail "runs 1 and 2 expected: $(find ds -name '*.bdf')"
[ "$(cut -f1 ds/participants.tsv | tr '\n' ' ')" = "participant_id sub-01 sub-02 " ] && pass \
  || fail "participants.tsv: $(cat ds/participants.tsv)"

# --- curated files kept: dataset_description.json, participants.tsv columns
printf '{"Name": "curated", "BIDSVersion": "1.11.0"}\n' >ds/dataset_description.json
printf 'participant_id\tage\nsub-01\t54\nsub-02\t61\n' >ds/participants.tsv
expect_exit 0 "export a third subject" -- "$C" --to bids --task rest --subject 03 "$MYO" -o ds
grep -q curated ds/dataset_description.json && pass || fail "dataset_description.json replaced"
[ "$(cat ds/participants.tsv)" = "$(printf 'participant_id\tage\nsub-01\t54\nsub-02\t61\nsub-03\tn/a')" ] \
  && pass || fail "participants.tsv columns and rows kept: $(cat ds/participants.tsv)"

# --- a dataset root is read by the batch tools, refused by a one-input tool
expect_exit 0 "emg-info on the root" -- "$BIN/emg-info" ds
[ "$(cut -f1 out | sort -u | grep -c _emg.bdf)" -eq 4 ] && pass || fail "4 recordings expected: $(cut -f1 out | sort -u)"
expect_exit 1 "emg-convert on a root of 4" -- "$C" ds x.h5
expect_one_error_line "4 recordings"
expect_exit 1 "export over an input" -- "$C" --to bids --task rest --subject 01 -o ds ds/sub-01/emg/sub-01_task-rest_emg.bdf

# --- sidecars: a channel typed ECG is left out of the EMG analyses; a bad events.tsv is an error
REC=ds/sub-03/emg/sub-03_task-rest_emg.bdf
sed -i '2s/\tEMG\t/\tECG\t/' ds/sub-03/emg/sub-03_task-rest_channels.tsv
expect_exit 1 "emg-fatigue: only channel is ECG" -- "$BIN/emg-fatigue" "$REC"
grep -q "ECG" err && pass || fail "the message should name the ECG type: $(cat err)"
printf 'onset\tduration\ttrial_type\nabc\t1\tcramp\n' >ds/sub-03/emg/sub-03_task-rest_events.tsv
expect_exit 3 "unreadable onset in events.tsv" -- "$BIN/emg-info" "$REC"
expect_one_error_line "sub-03_task-rest_events.tsv"
printf 'onset\tduration\ttrial_type\tchannel\n1.5\t2\tcramp\tEMG EMG\n3\tn/a\trest\tn/a\n' \
  >ds/sub-03/emg/sub-03_task-rest_events.tsv
expect_exit 0 "events.tsv read as annotations" -- "$BIN/emg-info" -a "$REC"
grep -q "1.5	2	EMG EMG	cramp" out && grep -q "3	0	n/a	rest" out && pass \
  || fail "annotations from events.tsv: $(cat out)"

# --- a failing recording: one line, the others written, no temporary file left
printf 'time,EMG\n0,0.1\n0.001,nan\n0.002,0.3\n0.003,0.2\n' >gap.csv
expect_exit 4 "samples with gaps cannot go to BDF" -- "$C" --to bids --task rest gap.csv "$HEALTHY" -o ds2
[ -f ds2/sub-emghealthy/emg/sub-emghealthy_task-rest_emg.bdf ] && [ ! -e ds2/sub-gap/emg/sub-gap_task-rest_emg.bdf ] \
  && pass || fail "the good recording written, the bad one absent: $(find ds2)"
[ -z "$(find ds ds2 -name '.*tmp*')" ] && pass || fail "temporary files left: $(find ds ds2 -name '.*tmp*')"
grep -c "sub-" ds2/participants.tsv | grep -qx 1 && pass || fail "only the written subject listed"

# --- NWB: --to nwb never writes another layout; .nwb with --to hdf5 refused
expect_exit 0 "--to nwb to .h5" -- "$C" --to nwb "$HEALTHY" y.h5
h5dump -A -N nwb_version y.h5 >/dev/null 2>&1 && pass || fail "y.h5 should hold an NWB file"
expect_exit 1 "--to hdf5 to .nwb" -- "$C" --to hdf5 "$HEALTHY" z.nwb
[ ! -e z.nwb ] && pass || fail "z.nwb written"
expect_exit 0 "NWB with gaps" -- "$C" gap.csv gap.nwb
expect_exit 0 "NWB read back" -- "$BIN/emg-info" gap.nwb
expect_exit 0 "NWB dumped" -- "$C" gap.nwb --to tsv -
grep -qi "nan" out && pass || fail "the gap reads back as NaN: $(cat out)"

# --- an EDF+ source whose annotations repeat its event table (emg-synth writes both; EDF+
# keeps 100-us times): each event once in events.tsv, beside the context markers
"$BIN/emg-synth" -q --seed 2 --duration 12 --rate 1000 -o synth.edf || fail "synth"
expect_exit 0 "EDF+ source with its events" -- "$C" --to bids --task spasm --subject s \
  --events synth.events.tsv synth.edf -o edfds
events=edfds/sub-s/emg/sub-s_task-spasm_events.tsv
got=$(awk -F'\t' 'NR>1 && $3 !~ /^context /' "$events" | wc -l)
want=$(($(wc -l < synth.events.tsv) - 1))
[ "$got" = "$want" ] && pass || fail "events.tsv has $got events for the table's $want: $(cut -f1-4 "$events")"

finish
