#!/usr/bin/python3
"""emg-synth output checked by independent code: MNE reads the EDF+ and its
annotations, SciPy measures the rhythms and spectra.

- Every row of OUT.events.tsv is an EDF+ annotation with the same onset,
  duration and label (to the EDF+ annotation's 0.1 ms resolution).
- MNE's samples equal emgkit's TSV dump to the EDF quantisation step.
- Clonus: the Welch PSD of the rectified agonist over each clonic event peaks
  at the table's burst rate (within 12%), which lies in 3.8-8 Hz.
- Fatigue: scipy.signal.welch median frequency falls with the configured
  conduction-velocity decline (ratio within 0.05 of the velocity ratio).
"""
import csv
import os
import subprocess
import sys

import mne
import numpy as np
import scipy.signal as sg

BIN = os.environ["EMGKIT_BIN"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-synth-mne")
os.makedirs(TMP, exist_ok=True)
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def synth(*args):
    proc = subprocess.run([os.path.join(BIN, "emg-synth")] + list(args),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("emg-synth %s: %s" % (" ".join(args), proc.stderr))


def events(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def mdf(x, fs):
    f, p = sg.welch(x, fs, nperseg=512)
    band = (f >= 20) & (f <= 450)
    c = np.cumsum(p[band])
    return np.interp(c[-1] / 2, c, f[band])


# --- EDF+ annotations and samples, read by MNE
edf = os.path.join(TMP, "session.edf")
synth("--scenario", "session", "--seed", "21", "-o", edf)
rows = events(os.path.join(TMP, "session.events.tsv"))
raw = mne.io.read_raw_edf(edf, preload=True, verbose="error")
# A channel's annotation reads "cramp (EMG agonist)" (docs/event-tables.md, Annotations).
ann = [(a["onset"], a["duration"], a["description"]) for a in raw.annotations
       if not a["description"].startswith("context") and a["description"] != "Recording ends"]
check(len(ann) == len(rows), "%d annotations for %d events" % (len(ann), len(rows)))
for r, (onset, dur, label) in zip(rows, ann):
    want = r["label"] + ("" if r["channel"] == "n/a" else " (%s)" % r["channel"].replace("_", " "))
    check(label == want, "annotation %s for event %s" % (label, want))
    check(abs(onset - float(r["onset"])) < 1e-4 and abs(dur - float(r["duration"])) < 1e-4,
          "%s at %s+%s vs %s+%s" % (label, onset, dur, r["onset"], r["duration"]))
tsv = os.path.join(TMP, "session.tsv")
subprocess.run([os.path.join(BIN, "emg-convert"), edf, "-o", tsv], check=True)
ours = np.loadtxt(tsv, skiprows=1, delimiter="\t")[:, 1:].T
theirs = raw.get_data()
# MNE scales mV channels to volts; others stay in their unit.
for i, ch in enumerate(raw.ch_names):
    scale = 1e3 if raw._orig_units.get(ch) == "mV" else 1.0
    span = {"mV": 10.0, "%MVC": 200.0, "g": 16.0}.get(raw._orig_units.get(ch), 10.0)
    step = span / 65535 * 1.0001
    n = ours.shape[1]  # EDF pads the last data record; emgkit trims it
    d = np.max(np.abs(theirs[i, :n] * scale - ours[i]))
    check(d <= step, "%s: MNE and emgkit differ by %g (step %g)" % (ch, d, step))
fs = raw.info["sfreq"]

# --- clonus rhythm
clon = os.path.join(TMP, "clonic.tsv")
synth("--scenario", "clonic", "--seed", "22", "-o", clon)
data = np.loadtxt(clon, skiprows=1, delimiter="\t")
for r in events(os.path.join(TMP, "clonic.events.tsv")):
    if r["label"] != "clonic":
        continue
    rate = float(r["rate_hz"])
    check(3.8 <= rate <= 8.0, "clonic rate %g outside 3.8-8 Hz" % rate)
    a, b = int(float(r["onset"]) * 2000), int((float(r["onset"]) + float(r["duration"])) * 2000)
    seg = np.abs(data[a:b, 1])
    env = seg[:len(seg) // 10 * 10].reshape(-1, 10).sum(axis=1)  # 200 Hz envelope
    f, p = sg.welch(env - env.mean(), 200.0, nperseg=min(512, len(env)))
    band = (f >= 3) & (f <= 9)
    peak = f[band][np.argmax(p[band])]
    check(abs(peak - rate) < 0.12 * rate + 0.4, "clonic PSD peak %.2f Hz, table %.2f" % (peak, rate))

# --- fatigue
fat = os.path.join(TMP, "fatigue.tsv")
synth("--scenario", "fatigue", "--seed", "23", "--snr", "50", "--mains", "none", "-o", fat)
data = np.loadtxt(fat, skiprows=1, delimiter="\t")
ev = [r for r in events(os.path.join(TMP, "fatigue.events.tsv")) if r["label"] == "voluntary"][0]
on, dur, dec = float(ev["onset"]), float(ev["duration"]), float(ev["cv_decline"])
x = data[:, 1]
early = mdf(x[int((on + 2) * 2000):int((on + 5) * 2000)], 2000)
late = mdf(x[int((on + dur - 5) * 2000):int((on + dur - 2) * 2000)], 2000)
expected = (1 - dec * (dur - 3.5) / dur) / (1 - dec * 3.5 / dur)
print("fatigue: MDF %.1f -> %.1f Hz, ratio %.3f, velocity ratio %.3f" %
      (early, late, late / early, expected))
check(abs(late / early - expected) < 0.05, "MDF ratio %.3f vs %.3f" % (late / early, expected))

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
