#!/usr/bin/python3
"""test_bids_export.py: emg-convert --to bids against the BIDS 1.11 EMG rules, MNE, and
emgkit's own re-import (docs/formats/bids.md).

Exports three recordings -- two simulated scenes (emg-synth, with their ground-truth
event tables, one of them in a session and as 16-bit EDF) and a real one
(datasets/physionet_emgdb/emg_healthy, WFDB) -- through a sample sheet, then checks:

1. The specification's rules, written out here from the BIDS schema
   (src/schema/rules/files/raw/emg.yaml, sidecars/emg.yaml, tabular_data/emg.yaml,
   tabular_data/events.yaml, json/dataset.yaml, tabular_data/modality_agnostic.yaml,
   objects/metadata.yaml): file names (entities, their order, labels), required files,
   required and recommended _emg.json fields with their types and enumerations, the
   channels.tsv columns and type keywords, the events.tsv columns, every events.tsv
   column described in _events.json (with Levels for trial_type),
   dataset_description.json and participants.tsv.
2. MNE (mne.io.read_raw_edf / read_raw_bdf with infer_types=True) types the channels
   as channels.tsv says (EMG -> emg, MISC -> misc) and reads the same samples as
   emgkit within one quantisation step.
3. Re-import: the exported data file read back by emgkit (sidecars applied) has the
   source's samples within half a quantisation step of the written file (EDF/BDF store
   integers: step = physical range / digital range, the "resolution" column of emg-info),
   the source's channel units, and the ground-truth events (onset, duration, label,
   channel) to the microsecond.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

os.environ.setdefault("MNE_LOGGING_LEVEL", "ERROR")
try:
    import h5py
    import mne
except ImportError as e:  # scripts/setup.sh installs python3-h5py and python3-mne
    print("skip: " + str(e))
    sys.exit(77)

BIN = os.environ.get("EMGKIT_BIN", "")
DATA = os.environ.get("EMGKIT_DATASETS", "")
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test_bids_export")
SRC = os.environ.get("EMGKIT_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                "..", ".."))

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args, **kw):
    return subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), check=True,
                          capture_output=True, text=True, **kw)


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def h5_channels(path):
    """(names, units, samples) of an emgkit HDF5 recording."""
    with h5py.File(path, "r") as f:
        g = f["recording/channels"]
        keys = sorted(g, key=int)
        names = [g[k].attrs["name"] for k in keys]
        units = [g[k].attrs["unit"] for k in keys]
        data = [g[k][:] for k in keys]
        a = f["recording/annotations"]
        ann = list(zip(a["onset"][:], a["duration"][:], a["channel"][:],
                       [t.decode() if isinstance(t, bytes) else t for t in a["text"][:]]))
    return names, units, data, ann


# ---------------------------------------------------------------- the export

shutil.rmtree(TMP, ignore_errors=True)
os.makedirs(TMP)
os.chdir(TMP)
run("emg-synth", "--seed", "5", "--duration", "30", "-o", "scene1.h5")
run("emg-synth", "--seed", "6", "--duration", "20", "--scenario", "clonic", "-o", "scene2.h5")
real = os.path.join(DATA, "physionet_emgdb", "emg_healthy.hea")
with open("sheet.tsv", "w") as f:
    f.write("file\tsubject\tsession\ttask\trun\tevents\n")
    f.write("scene1.h5\tsim01\tn/a\tspasm\tn/a\tscene1.events.tsv\n")
    f.write("scene2.h5\tsim02\tnight1\tspasm\t1\tscene2.events.tsv\n")
    f.write("%s\thealthy\tn/a\tneedle\tn/a\tn/a\n" % real)
run("emg-convert", "--to", "bids", "--sample-sheet", "sheet.tsv", "--mains", "50",
    "-o", "ds")
# The second scene again as 16-bit EDF, run 2 of its session.
run("emg-convert", "--to", "bids", "--subject", "sim02", "--session", "night1", "--task",
    "spasm", "--run", "2", "--data-format", "edf", "--events", "scene2.events.tsv",
    "scene2.h5", "-o", "ds")

# Filtered samples are floating point: EDF quantises them (16 bits over each channel's
# range), and the filter is a software filter of _emg.json.
run("emg-filter", "--default-chain", "--mains", "50", "-c", "1,2", "scene1.h5",
    "-o", "filtered.h5")
run("emg-convert", "--to", "bids", "--subject", "filt01", "--task", "spasm", "--data-format",
    "edf", "filtered.h5", "-o", "ds")

# --------------------------------------------------------- 1. the spec's rules

def evidence_units():
    """Column -> BIDS Units (None: a ratio, count or fraction) from the units table of
    docs/event-tables.md, the one vocabulary of every event table."""
    units = {}
    for line in open(os.path.join(SRC, "docs", "event-tables.md")):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        unit = cells[1] if cells[1] in ("s", "ms", "Hz", "mV", "m/s", "%") else None
        for column in re.findall(r"`([a-z_]+)`", cells[0]):
            units[column] = unit
    return units


EVIDENCE_UNITS = evidence_units()
evidence_seen = set()

ENTITY = r"sub-(?P<sub>[A-Za-z0-9]+)(?:_ses-(?P<ses>[A-Za-z0-9]+))?_task-[A-Za-z0-9]+" \
         r"(?:_acq-[A-Za-z0-9]+)?(?:_run-[0-9]+)?(?:_recording-[A-Za-z0-9]+)?"
DATA_FILE = re.compile("^" + ENTITY + r"_emg\.(edf|bdf)$")
CHANNEL_TYPES = {"ECG", "EMG", "EOG", "HEOG", "LATENCY", "MISC", "REF", "SYSCLOCK", "TRIG",
                 "VEOG"}

data_files = []
for dirpath, dirs, files in os.walk("ds"):
    for name in files:
        if name.endswith(("_emg.edf", "_emg.bdf")):
            data_files.append(os.path.join(dirpath, name))
data_files.sort()
check(len(data_files) == 5, "5 data files: %s" % [os.path.basename(p) for p in data_files])

desc = json.load(open("ds/dataset_description.json"))
check(isinstance(desc.get("Name"), str) and desc["Name"], "dataset_description Name")
check(re.fullmatch(r"1\.(1[1-9]|[2-9][0-9])\.\d+", desc.get("BIDSVersion", "")) is not None,
      "BIDSVersion %s >= 1.11 (EMG joined BIDS in 1.11)" % desc.get("BIDSVersion"))
check(desc.get("DatasetType") == "raw", "DatasetType raw (recommended)")
check(isinstance(desc.get("GeneratedBy"), list), "GeneratedBy (recommended)")

cols, participants = read_tsv("ds/participants.tsv")
check(cols[0] == "participant_id", "participants.tsv starts with participant_id")
ids = [p["participant_id"] for p in participants]
subject_dirs = sorted(d for d in os.listdir("ds") if d.startswith("sub-"))
check(sorted(ids) == subject_dirs and len(set(ids)) == len(ids),
      "participants.tsv: exactly one row per subject folder %s" % subject_dirs)

for path in data_files:
    name = os.path.basename(path)
    m = DATA_FILE.match(name)
    check(m is not None, "%s: entities in the spec's order, labels alphanumeric" % name)
    if not m:
        continue
    folder = os.path.join("ds", "sub-" + m.group("sub"))
    if m.group("ses"):
        folder = os.path.join(folder, "ses-" + m.group("ses"))
    check(os.path.dirname(path) == os.path.join(folder, "emg"),
          "%s: in sub-<label>/[ses-<label>/]emg/ of its entities" % name)
    stem = path[:-len("_emg.edf")]
    for suffix in ("_emg.json", "_channels.tsv", "_events.tsv", "_events.json"):
        check(os.path.exists(stem + suffix), "%s: %s beside it" % (name, suffix))

    side = json.load(open(stem + "_emg.json"))
    for field in ("TaskName", "EMGPlacementScheme", "EMGReference", "SamplingFrequency",
                  "PowerLineFrequency", "RecordingType", "SoftwareFilters"):
        check(field in side, "%s: required field %s" % (name, field))
    check(side.get("TaskName") == re.search(r"_task-([A-Za-z0-9]+)", name).group(1),
          "%s: TaskName is the task label" % name)
    check(side.get("EMGPlacementScheme") in ("ChannelSpecific", "Measured", "Other"),
          "%s: EMGPlacementScheme in its enumeration" % name)
    if side.get("EMGPlacementScheme") == "Other":
        check(isinstance(side.get("EMGPlacementSchemeDescription"), str),
              "%s: EMGPlacementSchemeDescription required with Other" % name)
    check(isinstance(side.get("EMGReference"), str), "%s: EMGReference a string" % name)
    check(isinstance(side.get("SamplingFrequency"), (int, float))
          and side["SamplingFrequency"] > 0, "%s: SamplingFrequency a number" % name)
    plf = side.get("PowerLineFrequency")
    check(plf == "n/a" or (isinstance(plf, (int, float)) and plf > 0),
          "%s: PowerLineFrequency > 0 or n/a (%r)" % (name, plf))
    check(side.get("RecordingType") in ("continuous", "epoched", "discontinuous"),
          "%s: RecordingType in its enumeration" % name)
    sf = side.get("SoftwareFilters")
    check(sf == "n/a" or (isinstance(sf, dict) and all(isinstance(v, dict)
                                                       for v in sf.values())),
          "%s: SoftwareFilters an object of objects or n/a" % name)
    for field in ("EMGChannelCount", "HardwareFilters", "RecordingDuration"):
        check(field in side, "%s: recommended field %s" % (name, field))

    ccols, channels = read_tsv(stem + "_channels.tsv")
    check(ccols[:3] == ["name", "type", "units"], "%s: channels.tsv name type units first" % name)
    check(all(c["type"] in CHANNEL_TYPES for c in channels),
          "%s: channel types from the keyword list, upper-case" % name)
    check(len({c["name"] for c in channels}) == len(channels), "%s: channel names unique" % name)
    check(side.get("EMGChannelCount") == sum(c["type"] == "EMG" for c in channels),
          "%s: EMGChannelCount = EMG rows of channels.tsv (check EMG_CHANNEL_COUNT_MISMATCH)"
          % name)
    check(all(float(c["sampling_frequency"]) > 0 for c in channels),
          "%s: sampling_frequency numbers" % name)

    ecols, events = read_tsv(stem + "_events.tsv")
    check(ecols[:2] == ["onset", "duration"], "%s: events.tsv onset duration first" % name)
    ok = all(float(e["onset"]) >= 0 and (e["duration"] == "n/a" or float(e["duration"]) >= 0)
             for e in events)
    check(ok, "%s: onsets numbers, durations >= 0 or n/a (%d events)" % (name, len(events)))
    channel_names = {c["name"] for c in channels} | {"n/a"}
    check(all(e["channel"] in channel_names for e in events),
          "%s: every event's channel is a channels.tsv name or n/a" % name)
    ej = json.load(open(stem + "_events.json"))
    check(set(ecols) <= set(ej), "%s: every events.tsv column described in _events.json" % name)
    check(all(isinstance(ej[c].get("Description"), str) for c in ecols if c in ej),
          "%s: each description a string" % name)
    check(ej["onset"].get("Units") == "s" and ej["duration"].get("Units") == "s",
          "%s: onset and duration in s" % name)
    levels = ej.get("trial_type", {}).get("Levels", {})
    check({e["trial_type"] for e in events} <= set(levels),
          "%s: every trial_type value is a described Level" % name)
    check(all(ej[c].get("Units") == "Hz" for c in ecols if c.endswith("_hz")),
          "%s: *_hz columns in Hz" % name)
    evidence = [c for c in ecols if c in EVIDENCE_UNITS]
    wrong = [(c, ej[c].get("Units"), EVIDENCE_UNITS[c]) for c in evidence
             if ej[c].get("Units") != EVIDENCE_UNITS[c]]
    evidence_seen.update(evidence)
    check(not wrong, "%s: the evidence columns (%s) in the units of docs/event-tables.md %s"
          % (name, " ".join(evidence) or "none", wrong or ""))

check({"rate_hz", "burst_ms", "interval_cv"} <= evidence_seen,
      "rate_hz, burst_ms and interval_cv among the exported evidence columns (%s)"
      % " ".join(sorted(evidence_seen)))

# ------------------------------------------------------------------ 2. MNE

for path in data_files:
    name = os.path.basename(path)
    stem = path[:-len("_emg.edf")]
    _, channels = read_tsv(stem + "_channels.tsv")
    reader = mne.io.read_raw_bdf if path.endswith(".bdf") else mne.io.read_raw_edf
    raw = reader(path, infer_types=True, preload=True, verbose="ERROR")
    types = raw.get_channel_types()
    want = [c["type"].lower() for c in channels]
    check(types == want, "%s: MNE channel types %s = channels.tsv" % (name, types))
    # With infer_types MNE drops the EDF+ type word: "EMG agonist" -> "agonist".
    stripped = [c["name"].split(" ", 1)[1] for c in channels]
    check(raw.ch_names == stripped, "%s: MNE names %s" % (name, raw.ch_names))
    run("emg-convert", path, "-o", name + ".h5")
    _, units, ours, _ = h5_channels(name + ".h5")
    scale = {"V": 1.0, "mV": 1e-3, "uV": 1e-6}
    worst = 0.0
    for i, c in enumerate(channels):
        # MNE also returns the padding of the last data record, which emgkit's
        # "Recording ends" annotation marks (docs/formats/edf.md): compare the recording.
        x = raw.get_data(picks=[i])[0][:len(ours[i])]
        y = ours[i] * scale.get(units[i], 1.0)  # MNE gives volts for voltage units
        worst = max(worst, float(np.max(np.abs(x - y))) / (np.ptp(y) or 1))
    check(worst < 1e-6, "%s: MNE and emgkit read the same samples (max diff %.2g of range)"
          % (name, worst))

# ------------------------------------------------------------- 3. re-import

info = {}
for line in run("emg-info", "ds").stdout.splitlines()[1:]:
    cells = line.split("\t")
    info.setdefault(cells[0], []).append(cells)
check(len(info) == 5, "emg-info reads the dataset root as its 5 recordings")
filt_side = json.load(open("ds/sub-filt01/emg/sub-filt01_task-spasm_emg.json"))
check(any("emg-filter" in v.get("Command", "")
          for v in filt_side["SoftwareFilters"].values()),
      "SoftwareFilters names the emg-filter command of the provenance")

SOURCES = {
    "ds/sub-sim01/emg/sub-sim01_task-spasm_emg.bdf": ("scene1.h5", "scene1.events.tsv"),
    "ds/sub-sim02/ses-night1/emg/sub-sim02_ses-night1_task-spasm_run-1_emg.bdf":
        ("scene2.h5", "scene2.events.tsv"),
    "ds/sub-sim02/ses-night1/emg/sub-sim02_ses-night1_task-spasm_run-2_emg.edf":
        ("scene2.h5", "scene2.events.tsv"),
    "ds/sub-healthy/emg/sub-healthy_task-needle_emg.bdf": (real, None),
    "ds/sub-filt01/emg/sub-filt01_task-spasm_emg.edf": ("filtered.h5", None),
}
for path, (source, truth) in SOURCES.items():
    name = os.path.basename(path)
    check(path in info, "%s exported" % name)
    if path not in info:
        continue
    back = name + ".back.h5"
    run("emg-convert", path, "-o", back)
    bnames, bunits, bdata, bann = h5_channels(back)
    if source.endswith(".h5"):
        snames, sunits, sdata, _ = h5_channels(source)
    else:
        run("emg-convert", source, "-o", "source.h5")
        snames, sunits, sdata, _ = h5_channels("source.h5")
    check(bunits == sunits, "%s: units %s as the source's" % (name, bunits))
    resolution = [float(row[8]) for row in info[path]]
    worst = max(float(np.max(np.abs(b - s)) / r)
                for b, s, r in zip(bdata, sdata, resolution))
    check(len(bdata) == len(sdata) and all(len(b) == len(s) for b, s in zip(bdata, sdata))
          and worst <= 0.5 + 1e-6,
          "%s: samples within half a quantisation step (worst %.3f step; steps %s)"
          % (name, worst, ["%.3g" % r for r in resolution]))
    if not truth:
        _, _, _, sann = h5_channels(source if source.endswith(".h5") else "source.h5")
        check(len(bann) == len(sann), "%s: the source's %d annotations read back"
              % (name, len(sann)))
        continue
    _, rows = read_tsv(truth)
    got = [(round(o, 6), round(d, 6), bnames[c] if c >= 0 else "n/a", t)
           for o, d, c, t in bann]
    label = {s: b for s, b in zip(snames, bnames)}
    missing = [r for r in rows
               if (round(float(r["onset"]), 6), round(float(r["duration"]), 6),
                   label.get(r["channel"], "n/a"), r["label"]) not in got]
    check(not missing, "%s: all %d ground-truth events read back (onset, duration, channel, "
          "label); missing %s" % (name, len(rows), missing[:2]))

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("all checks passed")
