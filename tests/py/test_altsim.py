#!/usr/bin/python3
"""test_altsim.py: quick self-test of scripts/altsim.py (the independent simulator).

- Determinism: the same --seed gives identical samples and truth; another seed differs.
- Clonus: over each clonic event, the autocorrelation of the agonist's envelope peaks
  at the beat rate altsim drew (truth column detail f=...), within 12 % (the beat rate
  drifts +-5 % inside an episode), and that rate lies in 3.8-8 Hz.
- Truth tables of every type are well-formed: BIDS columns, rows in time order that
  tile the recording, >= 5 s of rest first and last, known labels, channel names that
  exist in the file; the HDF5 file has the emgkit layout and a context annotation;
  emg-info reads it when EMGKIT_BIN is set.

Run by ctest (EMGKIT_SRC, EMGKIT_TEST_TMP, EMGKIT_BIN) or by hand."""
import csv
import os
import subprocess
import sys

import h5py
import numpy as np
import scipy.signal as sg

SRC = os.environ.get("EMGKIT_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ALTSIM = os.path.join(SRC, "scripts", "altsim.py")
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-altsim")
BIN = os.environ.get("EMGKIT_BIN")
os.makedirs(TMP, exist_ok=True)
failures = []
LABELS = {"rest", "cramp", "fasciculation", "tonic", "dystonic", "ischemic", "clonic", "myoclonic",
          "ataxic", "tetanic", "strain", "voluntary", "tremor"}


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def sim(kind, seed, fs=1000, mains=50, snr=32, name=None):
    out = os.path.join(TMP, "%s.h5" % (name or "%s-%d-%d" % (kind, seed, fs)))
    subprocess.run([sys.executable, ALTSIM, "--type", kind, "--seed", str(seed), "--fs", str(fs),
                    "--mains", str(mains), "--snr", str(snr), "-o", out], check=True)
    return out


def load(path):
    with h5py.File(path) as f:
        g = f["recording/channels"]
        chans = [(g[str(i)].attrs["name"], float(g[str(i)].attrs["fs"]), g[str(i)][:]) for i in range(len(g))]
        ann = f["recording/annotations"]
        texts = list(ann["text"].asstr()[:])
        fmt = f.attrs["emgkit_format"]
    with open(path[:-3] + ".events.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return chans, texts, fmt, rows


# --- determinism per seed
a, b, c = sim("clonic", 7, name="det-a"), sim("clonic", 7, name="det-b"), sim("clonic", 8, name="det-c")
ca, _, _, ra = load(a)
cb, _, _, rb = load(b)
cc, _, _, rc = load(c)
check(all(np.array_equal(x[2], y[2]) for x, y in zip(ca, cb)) and ra == rb, "same seed, same scene")
check(len(ca[0][2]) != len(cc[0][2]) or not np.array_equal(ca[0][2], cc[0][2]), "another seed, another scene")

# --- clonus: envelope autocorrelation at the drawn beat rate
for seed in (1, 2, 3):
    chans, _, _, rows = load(sim("clonic", seed, fs=2000))
    name, fs, x = chans[0]
    sos = sg.butter(4, [20, 450], "bandpass", fs=fs, output="sos")
    env = sg.sosfiltfilt(sg.butter(2, 20, fs=fs, output="sos"), np.abs(sg.sosfiltfilt(sos, x)))
    for r in rows:
        if r["label"] != "clonic":
            continue
        drawn = float(r["detail"].split()[0][2:])
        check(3.8 <= drawn <= 8, "clonic rate %.2f Hz in 3.8-8" % drawn)
        i0, i1 = int(float(r["onset"]) * fs), int((float(r["onset"]) + float(r["duration"])) * fs)
        e = env[i0:i1] - env[i0:i1].mean()
        ac = np.correlate(e, e, "full")[e.size - 1:]
        lags = np.arange(ac.size) / fs
        band = (lags > 1 / 12) & (lags < 1 / 3)
        peak = lags[band][np.argmax(ac[band])]
        check(abs(1 / peak - drawn) / drawn < 0.12,
              "seed %d clonic at %s s: autocorrelation %.2f Hz, drawn %.2f Hz" % (seed, r["onset"], 1 / peak, drawn))

# --- truth tables of every type
types = [l.split()[0] for l in subprocess.run([sys.executable, ALTSIM, "--list"], capture_output=True,
                                              text=True, check=True).stdout.splitlines()]
for kind in types:
    path = sim(kind, 3, fs=1000, mains=60)
    chans, texts, fmt, rows = load(path)
    check(fmt == "emgkit-hdf5", kind + ": emgkit layout")
    check(any(t.startswith("context=") for t in texts), kind + ": context annotation")
    with open(path[:-3] + ".events.tsv") as f:
        head = f.readline().rstrip("\n").split("\t")
    check(head[:4] == ["onset", "duration", "channel", "label"], kind + ": BIDS columns %r" % head)
    total = len(chans[0][2]) / chans[0][1]
    names = {c[0] for c in chans}
    t = 0.0
    for r in rows:
        on, d = float(r["onset"]), float(r["duration"])
        check(abs(on - t) < 1e-3 and d > 0, "%s: row at %.3f s follows %.3f s, duration %g" % (kind, on, t, d))
        check(r["label"] in LABELS, "%s: label %r" % (kind, r["label"]))
        check(r["channel"] in names or (r["channel"] == "n/a" and r["label"] == "rest"),
              "%s: channel %r" % (kind, r["channel"]))
        t = on + d
    check(abs(t - total) < 1e-2, "%s: rows end at %.3f s, recording at %.3f s" % (kind, t, total))
    check(rows[0]["label"] == "rest" and float(rows[0]["duration"]) >= 5, kind + ": >= 5 s rest first")
    check(rows[-1]["label"] == "rest" and float(rows[-1]["duration"]) >= 5, kind + ": >= 5 s rest last")
    check(any(r["label"] != "rest" for r in rows), kind + ": at least one event")
    if BIN:
        info = subprocess.run([os.path.join(BIN, "emg-info"), path], capture_output=True, text=True)
        check(info.returncode == 0, kind + ": emg-info reads it: " + info.stderr.strip())

if failures:
    print("%d failure(s)" % len(failures), file=sys.stderr)
    sys.exit(1)
print("altsim: determinism, clonic rates and %d truth tables ok" % len(types))
