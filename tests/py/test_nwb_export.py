#!/usr/bin/python3
"""test_nwb_export.py: emg-convert --to nwb read back by h5py against the NWB 2.x schema
rules (nwb-schema core: NWBFile, TimeSeries, TimeIntervals, Subject; hdmf-common:
VectorData, ElementIdentifiers), and by emgkit (docs/formats/nwb.md).

pynwb is not packaged in Debian (bookworm: no python3-pynwb), so the rules of the
schema that a file must meet are written out here:
- root: attributes nwb_version (2.x), neurodata_type NWBFile, namespace core; datasets
  identifier, session_description, session_start_time and timestamps_reference_time
  (ISO 8601), file_create_date (1-D array of ISO 8601); groups general, acquisition,
  analysis, processing, stimulus/presentation, stimulus/templates;
- every group under /acquisition a TimeSeries (neurodata_type, namespace, description,
  comments) with data (unit, conversion, resolution attributes) and a scalar
  starting_time with rate and unit "seconds";
- /intervals/annotations a TimeIntervals table: colnames naming its columns, id an
  ElementIdentifiers, each column a VectorData with a description, all the same length,
  stop_time >= start_time;
- /general/subject a Subject with subject_id; /general/session_id.
Then: the samples are the source's exactly (float64); emgkit reads the file back with the
same channels, units, rates, samples and annotations; two runs with the same
SOURCE_DATE_EPOCH give byte-identical files; `--to nwb x.h5` writes NWB (not emgkit's
layout); `--to hdf5 x.nwb` is refused.
`--events TABLE` (ground truth and emg-label output): /intervals/NAME a TimeIntervals table
with the table's rows and columns, each column's unit (docs/event-tables.md's units table)
in its description, the label vocabulary in the label column's, `channels` ragged
(VectorData + VectorIndex whose target references it); bad tables (unknown column, events
outside the recording, bad onset, rows of two recordings) exit 3 with one line naming the
table and no output.
"""
import os
import re
import shutil
import subprocess
import sys

import numpy as np

try:
    import h5py
except ImportError as e:  # scripts/setup.sh installs python3-h5py
    print("skip: " + str(e))
    sys.exit(77)

BIN = os.environ.get("EMGKIT_BIN", "")
SRC = os.environ.get("EMGKIT_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test_nwb_export")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?$")

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def tool(*args, env=None):
    return subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), capture_output=True,
                          text=True, env=env)


def text(x):
    x = x[()] if hasattr(x, "shape") else x
    return x.decode() if isinstance(x, bytes) else str(x)


def emgkit_channels(path):
    with h5py.File(path, "r") as f:
        g = f["recording/channels"]
        keys = sorted(g, key=int)
        chans = [(text(g[k].attrs["name"]), text(g[k].attrs["unit"]),
                  float(g[k].attrs["fs"]), g[k][:]) for k in keys]
        a = f["recording/annotations"]
        ann = sorted(zip(np.round(a["onset"][:], 9), np.round(a["duration"][:], 9),
                         a["channel"][:], [text(t) for t in a["text"][:]]))
    return chans, ann


shutil.rmtree(TMP, ignore_errors=True)
os.makedirs(TMP)
os.chdir(TMP)
env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
tool("emg-synth", "--seed", "9", "--duration", "15", "-o", "scene.h5")
r = tool("emg-convert", "--to", "nwb", "--subject", "P07", "--session", "night2",
         "scene.h5", "-o", "scene.nwb", env=env)
check(r.returncode == 0, "emg-convert --to nwb exits 0 (%s)" % r.stderr.strip())

with h5py.File("scene.nwb", "r") as f:
    check(re.fullmatch(r"2\.\d+\.\d+", text(f.attrs.get("nwb_version", ""))) is not None,
          "nwb_version 2.x (%s)" % text(f.attrs.get("nwb_version", "")))
    check(text(f.attrs.get("neurodata_type", "")) == "NWBFile"
          and text(f.attrs.get("namespace", "")) == "core", "root is a core NWBFile")
    for name in ("identifier", "session_description", "session_start_time",
                 "timestamps_reference_time"):
        check(name in f and f[name].shape == (), "/%s a scalar dataset" % name)
    for name in ("session_start_time", "timestamps_reference_time"):
        check(ISO.match(text(f[name])) is not None, "/%s ISO 8601: %s" % (name, text(f[name])))
    dates = [text(d) for d in f["file_create_date"][:]]
    check(f["file_create_date"].ndim == 1 and all(ISO.match(d) for d in dates),
          "/file_create_date 1-D ISO 8601 %s" % dates)
    check(dates == ["2023-11-14T22:13:20+00:00"], "file_create_date from SOURCE_DATE_EPOCH")
    for name in ("general", "acquisition", "analysis", "processing", "stimulus/presentation",
                 "stimulus/templates"):
        check(isinstance(f.get(name), h5py.Group), "/%s group" % name)
    series = list(f["acquisition"])
    check(len(series) > 0, "/acquisition holds %d series" % len(series))
    for name in series:
        g = f["acquisition"][name]
        ok = (text(g.attrs.get("neurodata_type", "")) == "TimeSeries"
              and text(g.attrs.get("namespace", "")) == "core"
              and "description" in g.attrs and "comments" in g.attrs
              and all(a in g["data"].attrs for a in ("unit", "conversion", "resolution"))
              and g["starting_time"].shape == ()
              and text(g["starting_time"].attrs["unit"]) == "seconds"
              and float(g["starting_time"].attrs["rate"]) > 0)
        check(ok, "/acquisition/%s: TimeSeries with data, unit, conversion, resolution, "
                  "starting_time, rate" % name)
    t = f["intervals/annotations"]
    cols = [text(c) for c in t.attrs["colnames"]]
    check(text(t.attrs["neurodata_type"]) == "TimeIntervals" and "description" in t.attrs,
          "/intervals/annotations a TimeIntervals with a description")
    check(cols[:2] == ["start_time", "stop_time"] and all(c in t for c in cols),
          "colnames %s name its columns" % cols)
    check(text(t["id"].attrs["neurodata_type"]) == "ElementIdentifiers", "id ElementIdentifiers")
    check(all(text(t[c].attrs["neurodata_type"]) == "VectorData"
              and text(t[c].attrs["namespace"]) == "hdmf-common" and "description" in t[c].attrs
              for c in cols), "columns are VectorData with descriptions")
    check(len({t[c].shape[0] for c in cols + ["id"]}) == 1, "columns of one length")
    check(bool(np.all(t["stop_time"][:] >= t["start_time"][:])), "stop_time >= start_time")
    check(text(f["general/subject"].attrs["neurodata_type"]) == "Subject"
          and text(f["general/subject/subject_id"]) == "P07", "/general/subject Subject P07")
    check(text(f["general/session_id"]) == "night2", "/general/session_id night2")
    ids = [text(o.attrs["object_id"]) for o in [f, f["general/subject"], t]]
    check(len(set(ids)) == 3, "object_id per typed object")
    source, source_ann = emgkit_channels("scene.h5")
    same = all(np.array_equal(f["acquisition"][n]["data"][:], x)
               and text(f["acquisition"][n]["data"].attrs["unit"]) == u
               and float(f["acquisition"][n]["starting_time"].attrs["rate"]) == fs
               for n, u, fs, x in source)
    check(same, "h5py reads the source's samples exactly, with its units and rates")

r = tool("emg-convert", "scene.nwb", "-o", "back.h5")
check(r.returncode == 0, "emgkit reads the NWB file back")
back, back_ann = emgkit_channels("back.h5")
check([c[:3] for c in back] == [c[:3] for c in source]
      and all(np.array_equal(a[3], b[3]) for a, b in zip(back, source)),
      "emgkit reads the same channels (order, names, units, rates) and samples")
check(back_ann == source_ann, "emgkit reads the same %d annotations (onset, duration, "
      "channel, text)" % len(source_ann))

# The same command again (the provenance holds the command line, output name included).
first = open("scene.nwb", "rb").read()
tool("emg-convert", "--to", "nwb", "--subject", "P07", "--session", "night2", "scene.h5",
     "-o", "scene.nwb", env=env)
check(first == open("scene.nwb", "rb").read(),
      "same command, same SOURCE_DATE_EPOCH: byte-identical NWB files")

r = tool("emg-convert", "--to", "nwb", "scene.h5", "y.h5")
with h5py.File("y.h5", "r") as f:
    check(r.returncode == 0 and "nwb_version" in f.attrs and "recording" not in f,
          "--to nwb x.h5 y.h5 writes NWB, not the emgkit layout")
r = tool("emg-convert", "--to", "hdf5", "scene.h5", "z.nwb")
check(r.returncode == 1 and not os.path.exists("z.nwb"),
      "--to hdf5 z.nwb refused (exit %d: %s)" % (r.returncode, r.stderr.strip()))


# --events TABLE: the event table as the TimeIntervals table /intervals/NAME (truth and
# emg-label output), every column a VectorData whose description gives its unit (the
# units table of docs/event-tables.md), `channels` ragged (VectorData + VectorIndex).
def units_table():
    """{column: unit} of the evidence table in docs/event-tables.md."""
    units = {}
    doc = open(os.path.join(SRC, "docs", "event-tables.md")).read()
    for line in doc.split("## Evidence columns")[1].split("\n## ")[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            for name in re.findall(r"`([a-z_]+)`", cells[0]):
                units[name] = cells[1]
    return units


def read_tsv(path):
    lines = open(path).read().splitlines()
    head = lines[0].split("\t")
    return head, [dict(zip(head, line.split("\t"))) for line in lines[1:]]


def number(cell):
    return float("nan") if cell == "n/a" else float(cell)


UNIT_WORDS = {"Hz": "unit: Hz", "ms": "unit: ms", "s": "unit: s", "mV": "unit: mV",
              "m/s": "unit: m/s", "%": "unit: %"}
TEXT_COLUMNS = {"kind", "context", "channels", "partner", "detail", "rule", "note"}
units = units_table()
check(units.get("burst_ms") == "ms" and units.get("rate_hz") == "Hz",
      "docs/event-tables.md units table read (%d columns)" % len(units))

tool("emg-label", "-q", "scene.h5", "-o", "scene.labels.tsv")
for table, name in (("scene.events.tsv", "scene_events"), ("scene.labels.tsv", "scene_labels")):
    out = name + ".nwb"
    r = tool("emg-convert", "--to", "nwb", "--events", table, "scene.h5", "-o", out, env=env)
    check(r.returncode == 0, "--to nwb --events %s exits 0 (%s)" % (table, r.stderr.strip()))
    head, rows = read_tsv(table)
    with h5py.File(out, "r") as f:
        check("intervals/" + name in f, "/intervals/%s written (%s)" % (name, list(f["intervals"])))
        t = f["intervals/" + name]
        cols = [text(c) for c in t.attrs["colnames"]]
        further = [c for c in head if c not in ("file", "onset", "duration", "label", "channel")]
        check(cols == ["start_time", "stop_time", "label", "channel"] + further,
              "%s: colnames start_time stop_time label channel + the table's further "
              "columns in order" % name)
        check(text(t.attrs["neurodata_type"]) == "TimeIntervals"
              and text(t.attrs["namespace"]) == "core" and "description" in t.attrs
              and "object_id" in t.attrs, "%s: a core TimeIntervals with a description" % name)
        check(text(t["id"].attrs["neurodata_type"]) == "ElementIdentifiers"
              and list(t["id"][:]) == list(range(len(rows))), "%s: id 0..%d" % (name, len(rows) - 1))
        check(all(text(t[c].attrs["neurodata_type"]) == "VectorData"
                  and text(t[c].attrs["namespace"]) == "hdmf-common"
                  and text(t[c].attrs["description"]) for c in cols),
              "%s: every column a VectorData with a description" % name)
        ragged = [c for c in cols if c + "_index" in t]
        check(all(t[c].shape[0] == len(rows) for c in cols if c not in ragged),
              "%s: %d rows in every column" % (name, len(rows)))
        start, stop = t["start_time"][:], t["stop_time"][:]
        check(np.allclose(start, [float(r["onset"]) for r in rows], atol=0, rtol=0)
              and np.allclose(stop, [float(r["onset"]) + number(r["duration"]) for r in rows]),
              "%s: start_time = onset, stop_time = onset + duration" % name)
        check([text(x) for x in t["label"][:]] == [r["label"] for r in rows]
              and [text(x) for x in t["channel"][:]] == [r["channel"] for r in rows],
              "%s: label and channel as in the table" % name)
        vocabulary = text(t["label"].attrs["description"])
        check(all(("%s = " % r["label"]) in vocabulary for r in rows),
              "%s: label description lists the vocabulary: %s" % (name, vocabulary[:120]))
        wrong = []
        for c in further:
            d = t[c]
            desc = text(d.attrs["description"])
            unit = units.get(c)
            if unit in UNIT_WORDS and UNIT_WORDS[unit] not in desc:
                wrong.append("%s unit %s not in %r" % (c, unit, desc))
            if c in ragged:
                index = t[c + "_index"]
                ok = (text(index.attrs["neurodata_type"]) == "VectorIndex"
                      and f[index.attrs["target"]].name == d.name)
                ends = [0] + list(index[:])
                lists = [[text(x) for x in d[ends[i]:ends[i + 1]]] for i in range(len(rows))]
                want = [[] if r[c] == "n/a" else r[c].split(",") for r in rows]
                if not ok or lists != want:
                    wrong.append("%s ragged %s != %s" % (c, lists, want))
            elif c in TEXT_COLUMNS:
                if [text(x) for x in d[:]] != [r[c] for r in rows]:
                    wrong.append(c + " texts")
            elif d.dtype.kind != "f" or not np.array_equal(
                    d[:], [number(r[c]) for r in rows], equal_nan=True):
                wrong.append("%s values %s" % (c, d[:]))
        check(not wrong, "%s: %d further columns: values as in the table, units in the "
              "descriptions, lists ragged %s" % (name, len(further), "; ".join(wrong)))
        if name == "scene_events":
            check(ragged == ["channels"], "truth: channels is ragged (VectorIndex channels_index)")
    first = open(out, "rb").read()
    tool("emg-convert", "--to", "nwb", "--events", table, "scene.h5", "-o", out, env=env)
    check(first == open(out, "rb").read(), "%s: the same command gives a byte-identical file" % name)

# Bad event tables: one line naming the file, a documented exit code, no output, no
# temporary file left.
bad_tables = {
    "unknown.tsv": ("onset\tduration\tlabel\tstrangeness\n1\t2\tcramp\t3\n", 3, "strangeness"),
    "late.tsv": ("onset\tduration\tlabel\n14.5\t2\tcramp\n", 3, "outside the recording"),
    "early.tsv": ("onset\tduration\tlabel\n-1\t2\tcramp\n", 3, "outside the recording"),
    "onset.tsv": ("onset\tduration\tlabel\nsoon\t2\tcramp\n", 3, "onset"),
    "batch.tsv": ("file\tonset\tduration\tlabel\na.h5\t1\t1\tcramp\nb.h5\t1\t1\tcramp\n", 3,
                  "several recordings"),
}
for table, (content, code, words) in bad_tables.items():
    open(table, "w").write(content)
    r = tool("emg-convert", "--to", "nwb", "--events", table, "scene.h5", "-o", "bad.nwb")
    lines = r.stderr.strip().splitlines()
    check(r.returncode == code and len(lines) == 1 and lines[0].startswith("emg-convert: " + table)
          and words in lines[0] and not os.path.exists("bad.nwb"),
          "bad event table %s: exit %d, one line naming it (%s), no output"
          % (table, r.returncode, r.stderr.strip()))
r = tool("emg-convert", "--to", "nwb", "--events", "absent.tsv", "scene.h5", "-o", "bad.nwb")
check(r.returncode == 2 and not os.path.exists("bad.nwb"), "missing event table: exit 2")
r = tool("emg-convert", "--to", "edf", "--events", "scene.labels.tsv", "scene.h5", "-o", "bad.edf")
check(r.returncode == 1 and not os.path.exists("bad.edf"), "--events with --to edf: usage error")
check(not [n for n in os.listdir(".") if ".tmp-" in n], "no temporary file left")

if failures:
    print("%d checks failed" % len(failures))
    sys.exit(1)
print("all checks passed")
