"""test_dataset_h5py.py: emg-dataset's HDF5 layout (docs/dataset-layout.md) read
with h5py and pandas, checked against independent computations:

- the layout: shapes, types, chunking and compression of /samples, the tables;
- samples equal the recording read with numpy (float32 rounding), and with
  --rate they equal scipy.signal.resample_poly of the whole channel (1e-5 of
  the channel's range: float32 plus summation order);
- every window's label is the event covering at least half of it, recomputed
  here from the truth table; codes index /classes/label;
- no subject in two splits; class counts per split recomputed from the rows;
- input checksums equal hashlib's SHA-256;
- a rebuild from the same inputs has the same content; an append keeps the
  old rows and subjects' splits and adds the new ones;
- the documented pandas one-liner gives a DataFrame per table.

Run by ctest with EMGKIT_BIN and EMGKIT_TEST_TMP set."""
import hashlib
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import scipy.signal

BIN = os.environ["EMGKIT_BIN"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-dataset")
os.makedirs(TMP, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    done = subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("FAIL: %s exited %d: %s" % (" ".join(args), done.returncode, done.stderr))
    return done


def table(group):
    """The documented one-liner (docs/dataset-layout.md)."""
    return pd.DataFrame({c: (group[c].asstr()[()] if group[c].dtype.kind == "O" else group[c][()])
                         for c in group.attrs["columns"].split(",")})


def content(path):
    """Every dataset and attribute, for comparing two files."""
    out = {}
    with h5py.File(path) as f:
        out["/"] = dict(f.attrs)

        def visit(name, obj):
            out[name + "@"] = dict(obj.attrs)
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()].tobytes() if obj.dtype.kind != "O" else list(obj[()])
        f.visititems(visit)
    return out


scenes = []
for seed in range(1, 6):
    stem = os.path.join(TMP, "scene%d" % seed)
    run("emg-synth", "-q", "--seed", str(seed), "--duration", "8", "--rate", "1000", "--to", "tsv",
        "-o", stem + ".tsv")
    scenes.append(stem)
recordings = [s + ".tsv" for s in scenes]
data = os.path.join(TMP, "data.h5")
run("emg-dataset", "-q", "-o", data, "--features", "rms,mdf", *recordings)

with h5py.File(data) as f:
    samples = f["samples"]
    n, C, L = samples.shape
    check(samples.dtype == np.float32 and samples.chunks is not None and
          samples.compression == "gzip", "samples: float32, chunked, compressed")
    check(C == 5 and L == 1000, "samples shape %s" % (samples.shape,))
    check(f.attrs["layout"] == "emgkit-dataset" and f.attrs["rate"] == 1000, "root attributes")
    rows = table(f["rows"])
    feats = table(f["features"])
    classes = table(f["classes"])
    subjects = table(f["subjects"])
    inputs = table(f["provenance/inputs"])
    labels = f["labels"][()]
    check(len(rows) == n and len(labels) == n, "one rows entry and one label per sample")
    check(list(feats.columns) == ["row", "channel", "rms", "mdf", "flags"], "feature columns")
    check(len(feats) == n * C, "a feature row per sample and channel")
    vocab = list(classes["label"])
    check(all(vocab[c] == lab for c, lab in zip(labels, rows["label"])), "codes index the vocabulary")

    # Samples against the recording read with numpy; labels against the truth.
    for k, stem in enumerate(scenes):
        x = np.loadtxt(stem + ".tsv", skiprows=1)[:, 1:].T
        truth = pd.read_csv(stem + ".events.tsv", sep="\t")
        mine = np.flatnonzero(rows["file"].values == recordings[k])
        check(len(mine) == (x.shape[1] - L) // 500 + 1, "%s: window count" % stem)
        worst = 0.0
        for r in mine:
            start = int(round(rows["onset"][r] * 1000))
            worst = max(worst, float(np.max(np.abs(samples[r] - x[:, start:start + L]))))
            t0, t1 = rows["onset"][r], rows["onset"][r] + rows["duration"][r]
            cover = np.minimum(t1, truth.onset + truth.duration) - np.maximum(t0, truth.onset)
            best = int(np.argmax(cover.values))
            want = truth.label[best] if cover[best] >= 0.5 * (t1 - t0) - 1e-12 else "rest"
            check(rows["label"][r] == want, "%s row %d: label %s, truth %s" % (stem, r, rows["label"][r], want))
        check(worst <= 1e-6 * max(1.0, np.abs(x).max()), "%s: samples differ by %g" % (stem, worst))
        check(np.allclose(feats["rms"][feats["row"] == mine[0]].values,
                          np.sqrt(np.mean(x[:, :L] ** 2, axis=1)), rtol=1e-6), "%s: rms" % stem)
        check(inputs["sha256"][k] == hashlib.sha256(open(recordings[k], "rb").read()).hexdigest(),
              "%s: checksum" % stem)

    # Splits: grouped by subject, counts consistent.
    per_subject = rows.groupby("subject")["split"].nunique()
    check((per_subject == 1).all(), "a subject in two splits: %s" % per_subject[per_subject > 1])
    check(set(rows["split"]) == {"train", "validation", "test"}, "every split used")
    for split in ("train", "validation", "test"):
        got = rows[rows["split"] == split]["label"].value_counts()
        for _, c in classes.iterrows():
            check(c["n_" + split] == got.get(c["label"], 0), "class count %s %s" % (c["label"], split))

# Events mode: one row per event, with the event's evidence under the same names.
ev = os.path.join(TMP, "events.h5")
run("emg-dataset", "-q", "-o", ev, "--cut", "events", "--skip", "rest", "--features", "rms",
    *recordings)
with h5py.File(ev) as f:
    rows = table(f["rows"])
    truth = pd.concat([pd.read_csv(s + ".events.tsv", sep="\t", na_values="n/a").assign(file=r)
                       for s, r in zip(scenes, recordings)])
    truth = truth[truth.label != "rest"].reset_index(drop=True)
    check(len(rows) == len(truth), "events: %d rows for %d events" % (len(rows), len(truth)))
    check(np.allclose(rows.onset, truth.onset) and np.allclose(rows.duration, truth.duration),
          "events: onsets and durations")
    for col in ("rate_hz", "interval_cv", "burst_ms"):
        check(np.allclose(rows[col], truth[col], rtol=1e-5, equal_nan=True), "events: evidence %s" % col)
    check(rows.confidence.isna().all(), "events: truth tables have no confidence")
    check((rows.units.str.split(",").str[0] == "mV").all(), "events: units column")

# The labeller's output as the event tables: every row carries the confidence and evidence
# of the event that gave its label (one vocabulary: docs/event-tables.md).
EVIDENCE = ["confidence", "rate_hz", "interval_cv", "burst_ms"]
to_label, labelled = [], []
for seed in (11, 12, 13):
    stem = os.path.join(TMP, "long%d" % seed)
    run("emg-synth", "-q", "--seed", str(seed), "--duration", "40", "-o", stem + ".h5")
    run("emg-label", "-q", "-o", stem + ".labels.tsv", stem + ".h5")
    to_label.append(stem + ".h5")
    lab = pd.read_csv(stem + ".labels.tsv", sep="\t", na_values="n/a", keep_default_na=False)
    labelled.append(lab.astype({c: float for c in EVIDENCE}))
for cut in ("events", "windows"):
    out = os.path.join(TMP, "labelled-%s.h5" % cut)
    run("emg-dataset", "-q", "-o", out, "--cut", cut, "--events-suffix", ".labels.tsv",
        "--features", "rms", *to_label)
    with h5py.File(out) as f:
        rows = table(f["rows"])
    if cut == "events":
        ev = pd.concat(labelled, ignore_index=True)
        check(len(rows) == len(ev) > 0, "labelled events: %d rows for %d events" % (len(rows), len(ev)))
        for col in EVIDENCE:
            check(np.allclose(rows[col], ev[col], rtol=1e-6, equal_nan=True),
                  "labelled events: %s as in emg-label's table" % col)
        continue
    found, wrong = 0, 0
    for rec, lab in zip(to_label, labelled):
        mine = rows[(rows.file == rec) & (rows.label != "rest")]
        for _, r in mine.iterrows():
            t0, t1 = r.onset, r.onset + r.duration
            cover = np.minimum(lab.onset + lab.duration, t1) - np.maximum(lab.onset, t0)
            cand = lab[(lab.label == r.label) & (cover >= 0.5 * (t1 - t0) - 1e-9)]
            ok = any(all(np.isclose(r[c], e[c], rtol=1e-6) or (np.isnan(r[c]) and np.isnan(e[c]))
                         for c in EVIDENCE) for _, e in cand.iterrows())
            found, wrong = found + 1, wrong + (not ok)
    check(found > 0 and wrong == 0,
          "labelled windows: %d of %d rows carry the evidence of an event covering half" % (found - wrong, found))
    check(rows[rows.label == "rest"][EVIDENCE].isna().all().all(),
          "labelled windows: background rows have no evidence")
    print("labeller's tables: %d events, %d labelled windows carry their evidence"
          % (sum(len(x) for x in labelled), found - wrong))

# Rebuild: the same content.
again = os.path.join(TMP, "again.h5")
run("emg-dataset", "-q", "-o", again, "--features", "rms,mdf", *recordings)
check(content(data) == content(again), "rebuild changed the content")

# Append: old rows and splits kept, new rows after them.
part = os.path.join(TMP, "part.h5")
run("emg-dataset", "-q", "-o", part, "--features", "rms,mdf", *recordings[:3])
with h5py.File(part) as f:
    old_samples, old_splits = f["samples"][()], dict(zip(f["subjects/subject"].asstr()[()],
                                                         f["subjects/split"].asstr()[()]))
run("emg-dataset", "-q", "--append", "-o", part, "--features", "rms,mdf", *recordings[3:])
with h5py.File(part) as f:
    check(f["samples"].shape[0] == n, "append: %d rows, full build %d" % (f["samples"].shape[0], n))
    check(np.array_equal(f["samples"][:len(old_samples)], old_samples), "append changed old rows")
    splits = dict(zip(f["subjects/subject"].asstr()[()], f["subjects/split"].asstr()[()]))
    check(all(splits[s] == old_splits[s] for s in old_splits), "append moved a subject")
    check(len(splits) == 5 and list(f["provenance/inputs/build"][()]) == [1, 1, 1, 2, 2],
          "append: subjects and builds")
    rows = table(f["rows"])
    check((rows.groupby("subject")["split"].nunique() == 1).all(), "append: subject in two splits")

# Resampling against scipy.signal.resample_poly (1000 Hz -> 256 Hz: up 32, down 125).
rs = os.path.join(TMP, "rs.h5")
run("emg-dataset", "-q", "-o", rs, "--rate", "256", "--features", "rms", recordings[0])
x = np.loadtxt(recordings[0], skiprows=1)[:, 1:].T
y = scipy.signal.resample_poly(x, 32, 125, axis=1)
with h5py.File(rs) as f:
    check(f["samples"].shape[1:] == (5, 256), "resampled shape %s" % (f["samples"].shape,))
    onsets = f["rows/onset"][()]
    worst = 0.0
    for r in range(f["samples"].shape[0]):
        start = int(round(onsets[r] * 256))
        worst = max(worst, float(np.max(np.abs(f["samples"][r] - y[:, start:start + 256]) /
                                        np.ptp(x, axis=1)[:, None])))
    check(worst <= 1e-5, "resample_poly differs by %g of the range" % worst)
    print("resample_poly 1000 -> 256 Hz: largest difference %.2g of the channel range" % worst)

if failures:
    sys.exit("%d failures" % len(failures))
print("ok")
