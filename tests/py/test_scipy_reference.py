#!/usr/bin/python3
"""emg-features MDF and MNF per window on the real recordings in datasets/
against scipy.signal.welch (scripts/reference_spectral.py): same Hann
window, 256-point segments, 128 overlap, 1 s windows every 0.5 s, band
20-450 Hz clipped at Nyquist, no filtering (the reference reads the files
itself).  Passes when every window agrees within 0.5%; prints the largest
relative deviation.  Also checks --periodogram and another Welch setting on
one file."""
import math
import os
import subprocess
import sys

SRC = os.environ.get("EMGKIT_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "scripts"))
import reference_spectral as ref  # noqa: E402

BIN = os.environ["EMGKIT_BIN"]
DATA = os.environ["EMGKIT_DATASETS"]
TOL = 0.005


def run_features(path, extra):
    cmd = [os.path.join(BIN, "emg-features"), "--no-filter", "--features", "mdf,mnf"] + extra + [path]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), res.stderr))
    lines = res.stdout.splitlines()
    cols = lines[0].split("\t")
    rows = [dict(zip(cols, l.split("\t"))) for l in lines[1:]]
    order = []
    for r in rows:
        if r["channel"] not in order:
            order.append(r["channel"])
    per = {c: [] for c in order}
    for r in rows:
        per[r["channel"]].append((float(r["onset"]), float(r["mdf"]) if r["mdf"] != "n/a" else math.nan,
                                  float(r["mnf"]) if r["mnf"] != "n/a" else math.nan))
    return [per[c] for c in order]


def compare(rel_path, extra=(), window=1.0, step=0.5, segment=256, overlap=128, periodogram=False):
    path = os.path.join(DATA, rel_path)
    ours = run_features(path, list(extra))
    fs, chans = ref.read_recording(path)
    if len(ours) != len(chans):
        raise AssertionError("%s: %d channels from emg-features, %d from the reference"
                             % (rel_path, len(ours), len(chans)))
    worst = 0.0
    n = 0
    for c, x in enumerate(chans):
        if periodogram:
            seg, ov = int(round(window * fs)), 0
        else:
            seg, ov = segment, overlap
        onsets, mdf, mnf = ref.window_features(x, fs, window, step, seg, ov)
        mine = ours[c]
        if len(mine) != len(onsets):
            raise AssertionError("%s ch %d: %d windows vs %d" % (rel_path, c + 1, len(mine), len(onsets)))
        for (t, m, f), t2, m2, f2 in zip(mine, onsets, mdf, mnf):
            assert abs(t - t2) < 1e-6, (rel_path, t, t2)
            for a, b in ((m, m2), (f, f2)):
                if math.isnan(a) or math.isnan(b):
                    assert math.isnan(a) and math.isnan(b), (rel_path, c, t, a, b)
                    continue
                d = abs(a - b) / abs(b)
                worst = max(worst, d)
                n += 1
                if d > TOL:
                    raise AssertionError("%s ch %d t=%g: %g vs SciPy %g (%.3g%%)"
                                         % (rel_path, c + 1, t, a, b, 100 * d))
    return worst, n


def compare_psd(rel_path):
    """emg-spectrum's whole-recording Welch PSD against scipy.signal.welch.  The
    reference reads raw counts, emgkit physical units: compare the PSD shapes
    (each normalised to unit sum), bin by bin."""
    import numpy as np
    import scipy.signal as ss
    path = os.path.join(DATA, rel_path)
    # --precision 17: the comparison below is tighter than the default 6 significant digits
    res = subprocess.run([os.path.join(BIN, "emg-spectrum"), "--precision", "17", path],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    cols = lines[0].split("\t")  # file, channel, frequency, psd: found by name
    rows = [dict(zip(cols, l.split("\t"))) for l in lines[1:]]
    assert all(r["file"] == path for r in rows), (rel_path, "file column")
    names = []
    for r in rows:
        if r["channel"] not in names:
            names.append(r["channel"])
    fs, chans = ref.read_recording(path)
    worst = 0.0
    for c, x in enumerate(chans):
        mine = np.array([float(r["psd"]) for r in rows if r["channel"] == names[c]])
        f, p = ss.welch(x, fs=fs, window="hann", nperseg=256, noverlap=128)
        a, b = mine / mine.sum(), p / p.sum()
        worst = max(worst, float(np.max(np.abs(a - b) / (b + 1e-9 * b.max()))))
    assert worst < 1e-6, (rel_path, worst)
    return worst


def compare_filtered(rel_path):
    """The default chain end to end: emg-features (filter on) against
    scipy.signal.sosfiltfilt of the same cascade (butter(4, [20, min(450, 0.9
    Nyquist)]) and iirnotch(50k, 30) for every harmonic whose upper -3 dB edge
    is below the band top) followed by welch."""
    import numpy as np
    import scipy.signal as ss
    path = os.path.join(DATA, rel_path)
    cmd = [os.path.join(BIN, "emg-features"), "--features", "mdf,mnf", path]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    cols = lines[0].split("\t")
    rows = [dict(zip(cols, l.split("\t"))) for l in lines[1:]]
    names = []
    for r in rows:
        if r["channel"] not in names:
            names.append(r["channel"])
    fs, chans = ref.read_recording(path)
    worst = 0.0
    for c, x in enumerate(chans):
        hi = min(450.0, 0.9 * fs / 2)
        parts = [ss.butter(4, [20, hi], btype="bandpass", fs=fs, output="sos")]
        k = 1
        while 50 * k + 50 * k / 30 / 2 < hi and 50 * k < fs / 2:
            b, a = ss.iirnotch(50.0 * k, 30.0, fs=fs)
            parts.append(np.concatenate([b, a])[None, :])
            k += 1
        y = ss.sosfiltfilt(np.vstack(parts), x)
        _, mdf, mnf = ref.window_features(y, fs)
        mine = [r for r in rows if r["channel"] == names[c]]
        for r, m, f in zip(mine, mdf, mnf):
            for a, b in ((float(r["mdf"]), m), (float(r["mnf"]), f)):
                d = abs(a - b) / abs(b)
                worst = max(worst, d)
                assert d < TOL, (rel_path, c, r["onset"], a, b)
    return worst


def main():
    overall = 0.0
    total = 0
    for rel in ref.RECORDINGS:
        w, n = compare(rel)
        print("%-62s %6d values  max rel. deviation %.3g" % (rel, n, w))
        overall = max(overall, w)
        total += n
    w, n = compare("plux_opensignals/emg_fatigue.h5", ["--periodogram"], periodogram=True)
    print("%-62s %6d values  max rel. deviation %.3g" % ("emg_fatigue.h5 --periodogram", n, w))
    overall = max(overall, w)
    w, n = compare("backyardbrains_wav/S8_EMG_bicep_sustained.wav",
                   ["-w", "0.5", "-s", "0.25", "--welch", "512:384"], 0.5, 0.25, 512, 384)
    print("%-62s %6d values  max rel. deviation %.3g" % ("S8 -w 0.5 -s 0.25 --welch 512:384", n, w))
    overall = max(overall, w)
    # step 256 = 2 hops: the segment cache shares segments between windows
    w, n = compare("plux_opensignals/emg_fatigue.h5", ["-w", "1", "-s", "0.256"], 1.0, 0.256)
    print("%-62s %6d values  max rel. deviation %.3g" % ("emg_fatigue.h5 -s 0.256 (shared segments)", n, w))
    overall = max(overall, w)
    for rel in ("plux_opensignals/emg_fatigue.h5", "backyardbrains_wav/S8_EMG_bicep_sustained.wav"):
        w = compare_filtered(rel)
        overall = max(overall, w)
        print("%-62s filtered chain vs sosfiltfilt+welch: max rel. deviation %.3g" % (rel, w))
    for rel in ("plux_opensignals/emg_fatigue.h5", "backyardbrains_wav/S1_EMG_bicepTricep2.wav"):
        print("%-62s emg-spectrum PSD shape vs welch: max rel. deviation %.3g" % (rel, compare_psd(rel)))
    print("MDF/MNF vs scipy.signal.welch: %d values, max relative deviation %.3g (limit %g)"
          % (total, overall, TOL))


if __name__ == "__main__":
    main()
