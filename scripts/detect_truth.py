#!/usr/bin/env python3
"""detect_truth.py: reference contraction times of the real recordings that
tests/cli/test_detect_real.sh and scripts/bench_detect_peers.py score
emg-detect against (tests/data/*.truth.tsv).

The contractions were found by eye on the 50 ms RMS envelope (20-450 Hz
zero-phase band-pass, printed at 10 ms resolution with
`detect_truth.py --print FILE CH FROM:TO`), independently of emg-detect: for
each one the reader noted a quiet baseline stretch just before (and after)
it and the stretch of its main part (ANCHORS below).  The edges are then
placed by one rule: the onset is the end of the last run of three 10 ms
steps (30 ms), before the main part, at which the envelope is at most
1.5 x the median of the baseline before; the offset is the start of the
first such run after the main part (against the baseline after).  So a precursor
blip that falls back to the baseline before the rise is not the onset, and
a tail that stays above the baseline belongs to the contraction.

    detect_truth.py [--write DIR]          # write the truth tables
    detect_truth.py --print FILE CH FROM:TO [STEP]
Needs numpy, scipy and h5py (Debian python3-numpy, -scipy, -h5py).
"""
import os
import sys
import warnings

import numpy as np
from scipy.signal import butter, sosfiltfilt

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "datasets")

# file (under datasets/), channel index, channel name as emg-detect writes it,
# then one row per contraction: baseline before (s), main part (s), baseline after (s).
ANCHORS = {
    "plux_opensignals/emg_bursts.h5": (0, [
        ((0.50, 0.85), (1.47, 2.35), (2.90, 3.60)),
        ((4.00, 4.40), (4.56, 5.66), (5.90, 6.40)),
        ((7.20, 7.50), (7.90, 8.90), (9.45, 9.70)),
        ((10.80, 11.10), (11.64, 12.51), (12.80, 13.50)),
        ((13.80, 14.10), (14.50, 15.51), (16.60, 16.80)),
        ((16.80, 17.10), (17.37, 18.36), (18.80, 19.50)),
        ((19.90, 20.20), (20.39, 21.46), (21.70, 22.40)),
        ((22.80, 23.20), (23.32, 24.55), (24.70, 25.50)),
        ((25.90, 26.20), (26.67, 27.59), (27.80, 27.90)),
    ]),
    "backyardbrains_wav/S10_EMG_bicep_intermittent.wav": (0, [
        ((3.60, 5.90), (0.50, 2.70), (3.60, 5.90)),
        ((4.00, 5.90), (6.60, 9.90), (10.80, 13.00)),
        ((11.50, 13.00), (13.50, 16.60), (17.50, 19.30)),
    ]),
    # Biceps held to exhaustion: a brief contraction at 0.2-0.6 s, then the
    # hold, which the subject reaches in steps (the envelope touches the rest
    # level for 50-150 ms at 2.4, 4.45, 7.27, 8.19 and 9.1 s) and keeps to the
    # end of the file.  One contraction by the protocol; the table says so.
    "backyardbrains_wav/S8_EMG_bicep_sustained.wav": (0, [
        ((0.60, 1.10), (0.22, 0.55), (0.60, 1.10)),
        ((0.60, 1.10), (1.70, 44.50), None),
    ]),
}


def load(path):
    warnings.simplefilter("ignore")
    if path.endswith(".h5"):
        import h5py
        with h5py.File(path, "r") as f:
            g = list(f.values())[0]
            name = [k for k in g["raw"] if k.startswith("channel_")][0]
            return float(g.attrs["sampling rate"]), [g["raw"][name][:, 0].astype(float)]
    import scipy.io.wavfile as wav
    fs, x = wav.read(path)
    x = x.astype(float)
    return float(fs), [x] if x.ndim == 1 else [x[:, i] for i in range(x.shape[1])]


def envelope(x, fs, window=0.05):
    sos = butter(4, [20, min(450, 0.45 * fs)], "bandpass", fs=fs, output="sos")
    y = sosfiltfilt(sos, x - np.mean(x))
    n = int(round(window * fs))
    return np.sqrt(np.convolve(y * y, np.ones(n) / n, "same"))


def edges(e, fs, before, main, after):
    step = int(round(0.01 * fs))
    t = np.arange(0, len(e), step)
    v = e[t]
    ts = t / fs
    b0 = np.median(v[(ts >= before[0]) & (ts < before[1])])
    i = np.searchsorted(ts, main[0])
    while i > 2 and not np.all(v[i - 3:i] <= 1.5 * b0):
        i -= 1
    onset = ts[i]
    if after is None:
        return onset, len(e) / fs
    b1 = np.median(v[(ts >= after[0]) & (ts < after[1])])
    j = np.searchsorted(ts, main[1])
    while j + 3 <= len(v) and not np.all(v[j:j + 3] <= 1.5 * b1):
        j += 1
    return onset, min(ts[j] if j < len(v) else len(e) / fs, len(e) / fs)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--print"]:
        fs, xs = load(args[1])
        e = envelope(xs[int(args[2])], fs)
        a, b = map(float, args[3].split(":"))
        step = float(args[4]) if len(args) > 4 else 0.01
        for i in range(int(a * fs), min(len(e), int(b * fs)), int(round(step * fs))):
            print("%8.2f %10.3f" % (i / fs, e[i]))
        return 0
    out = args[1] if args[:1] == ["--write"] else None
    for rel, (ch, rows) in ANCHORS.items():
        fs, xs = load(os.path.join(DATA, rel))
        e = envelope(xs[ch], fs)
        lines = ["onset\tduration\tchannel\tlabel"]
        for before, main_part, after in rows:
            on, off = edges(e, fs, before, main_part, after)
            lines.append("%.2f\t%.2f\t%d\tactive" % (on, off - on, ch + 1))
        text = "\n".join(lines) + "\n"
        if out:
            name = os.path.splitext(os.path.basename(rel))[0] + ".truth.tsv"
            with open(os.path.join(out, name), "w") as f:
                f.write(text)
        print("# " + rel)
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
