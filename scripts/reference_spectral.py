#!/usr/bin/python3
"""SciPy reference for emgkit's spectral features (issue 3).

Two jobs:

  reference_spectral.py windows [--window S] [--step S] [--segment N] [--overlap N]
                                [--band LO-HI] [FILE ...]
      MDF and MNF per window of the real recordings in datasets/, from
      scipy.signal.welch (Hann, `segment`-point segments, `overlap` overlap,
      detrend='constant', scaling='density') over windows that start at
      k * round(step * fs) and span round(window * fs) samples; writes a TSV
      (file channel onset mdf mnf) on stdout.  The recordings are read here
      independently of emgkit's readers (scipy.io.wavfile, WFDB format 16 with
      numpy, h5py for OpenSignals).  MDF and MNF do not depend on the
      amplitude scale or offset, so raw ADC counts are used.

  reference_spectral.py unit-header OUT.h
      Writes the reference PSDs the C unit test test_spectrum.c compares with
      (deterministic test signals, several windows, segment lengths, overlaps).

Definitions shared with emgkit (docs/methods/features.md): in-band bins are
k = ceil(lo/df) .. floor(hi/df) (hi clipped at Nyquist); MNF = sum f P / sum P;
MDF: bin k holds its power spread evenly over [f_k - df/2, f_k + df/2] and the
median is interpolated linearly inside the bin where the cumulative power
crosses one half.
"""
import math
import os
import sys

import numpy as np
import scipy.signal as ss
from scipy.io import wavfile

DATASETS = os.environ.get("EMGKIT_DATASETS",
                          os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets"))

# (relative path, channels to use or None for all)
RECORDINGS = [
    "backyardbrains_wav/S8_EMG_bicep_sustained.wav",
    "backyardbrains_wav/S10_EMG_bicep_intermittent.wav",
    "backyardbrains_wav/S1_EMG_bicepTricep2.wav",
    "physionet_emgdb/emg_healthy.hea",
    "physionet_emgdb/emg_myopathy.hea",
    "plux_opensignals/emg_fatigue.h5",
    "plux_opensignals/emg_bursts.h5",
    "physionet_grabmyo/session1_participant1_gesture11_trial1.hea",
]


def read_wfdb16(hea):
    """WFDB format-16 record: (fs, [channels]) in ADC counts."""
    with open(hea) as f:
        lines = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
    head = lines[0].split()
    nsig, fs = int(head[1]), float(head[2].split("/")[0])
    datfile = lines[1].split()[0]
    for l in lines[1:1 + nsig]:
        if l.split()[1].split("x")[0].split(":")[0].split("+")[0] != "16":
            raise ValueError("only format 16")
    raw = np.fromfile(os.path.join(os.path.dirname(hea), datfile), dtype="<i2")
    raw = raw[: len(raw) // nsig * nsig].reshape(-1, nsig).astype(np.float64)
    return fs, [raw[:, i] for i in range(nsig)]


def read_recording(path):
    if path.endswith(".wav"):
        fs, data = wavfile.read(path)
        data = np.asarray(data, dtype=np.float64)
        if data.ndim == 1:
            data = data[:, None]
        return float(fs), [data[:, i] for i in range(data.shape[1])]
    if path.endswith(".hea"):
        return read_wfdb16(path)
    if path.endswith(".h5"):
        import h5py
        with h5py.File(path, "r") as f:
            dev = f[list(f.keys())[0]]
            fs = float(dev.attrs["sampling rate"])
            raw = dev["raw"]
            chans = [np.asarray(raw[k][:, 0] if raw[k].ndim == 2 else raw[k][:], dtype=np.float64)
                     for k in sorted(raw.keys()) if k.startswith("channel_")]
        return fs, chans
    raise ValueError(path)


def band_bins(df, nbins, lo, hi):
    k0 = math.ceil(lo / df - 1e-9)
    k1 = min(math.floor(hi / df + 1e-9), nbins - 1)
    return k0, k1


def mdf_mnf(f, p, lo, hi):
    """MDF and MNF of PSD p at frequencies f (rows = windows)."""
    df = f[1] - f[0]
    k0, k1 = band_bins(df, len(f), lo, hi)
    pb = p[..., k0:k1 + 1]
    fb = f[k0:k1 + 1]
    total = pb.sum(axis=-1)
    mnf = (pb * fb).sum(axis=-1) / total
    cum = np.cumsum(pb, axis=-1)
    half = total / 2
    idx = np.argmax(cum >= half[..., None], axis=-1)
    before = np.take_along_axis(cum, idx[..., None], -1)[..., 0] - np.take_along_axis(pb, idx[..., None], -1)[..., 0]
    pk = np.take_along_axis(pb, idx[..., None], -1)[..., 0]
    mdf = (k0 + idx - 0.5) * df + df * (half - before) / pk
    return mdf, mnf


def windows_of(x, fs, window_s, step_s):
    win, step = int(round(window_s * fs)), int(round(step_s * fs))
    n = (len(x) - win) // step + 1 if len(x) >= win else 0
    if n <= 0:
        return np.empty((0, win)), win, step
    view = np.lib.stride_tricks.as_strided(x, shape=(n, win), strides=(x.strides[0] * step, x.strides[0]))
    return view, win, step


def window_features(x, fs, window_s=1.0, step_s=0.5, segment=256, overlap=128, band=(20.0, 450.0)):
    w, win, step = windows_of(np.ascontiguousarray(x, dtype=np.float64), fs, window_s, step_s)
    seg = min(segment, win)
    f, p = ss.welch(w, fs=fs, window="hann", nperseg=seg, noverlap=min(overlap, seg - 1),
                    detrend="constant", scaling="density", axis=-1)
    hi = min(band[1], fs / 2)
    mdf, mnf = mdf_mnf(f, p, band[0], hi)
    onsets = np.arange(len(w)) * step / fs
    return onsets, mdf, mnf


def cmd_windows(args):
    import argparse
    ap = argparse.ArgumentParser(prog="reference_spectral.py windows")
    ap.add_argument("--window", type=float, default=1.0)
    ap.add_argument("--step", type=float, default=0.5)
    ap.add_argument("--segment", type=int, default=256)
    ap.add_argument("--overlap", type=int, default=128)
    ap.add_argument("--band", default="20-450")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args(args)
    lo, hi = (float(v) for v in a.band.split("-"))
    files = a.files or [os.path.join(DATASETS, r) for r in RECORDINGS]
    out = sys.stdout
    out.write("file\tchannel\tonset\tmdf\tmnf\n")
    for path in files:
        fs, chans = read_recording(path)
        for c, x in enumerate(chans):
            onsets, mdf, mnf = window_features(x, fs, a.window, a.step, a.segment, a.overlap, (lo, hi))
            for t, m, n in zip(onsets, mdf, mnf):
                out.write(f"{os.path.basename(path)}\t{c + 1}\t{t:.6f}\t{m:.10g}\t{n:.10g}\n")


def test_signal(n, variant):
    i = np.arange(n, dtype=np.float64)
    x = (np.sin(2 * np.pi * 0.0371 * i) + 0.3 * np.sin(2 * np.pi * 0.21 * i + 1.0)
         + 0.2 * np.sin(0.001 * i * i) + 0.05 * i / n + 0.7)
    if variant == 1:
        x = x * (1 + 0.5 * np.cos(2 * np.pi * 0.003 * i))
    return x


CASES = [
    # name, n, fs, window, nperseg, noverlap, variant
    ("hann_256_128", 2000, 1000.0, "hann", 256, 128, 0),
    ("hamming_256_128", 2000, 1000.0, "hamming", 256, 128, 0),
    ("blackman_200_50", 2000, 2000.0, "blackman", 200, 50, 1),
    ("boxcar_128_0", 1500, 500.0, "boxcar", 128, 0, 0),
    ("tukey25_255_100", 2000, 1024.0, ("tukey", 0.25), 255, 100, 1),
    ("hann_2000_0", 2000, 1000.0, "hann", 2000, 0, 1),
]


def cmd_unit_header(args):
    out = open(args[0], "w")
    out.write("/* Generated by scripts/reference_spectral.py unit-header: scipy.signal.welch\n"
              " * (detrend='constant', scaling='density') of test_signal() in test_spectrum.c.\n"
              " * SciPy %s, NumPy %s.  Do not edit. */\n" % (__import__("scipy").__version__, np.__version__))
    out.write("typedef struct welch_case { const char *name; size_t n; double fs; const char *taper;\n"
              "    size_t nperseg, noverlap; int variant; size_t bins; const double *psd; } welch_case;\n")
    for name, n, fs, win, nper, nov, var in CASES:
        f, p = ss.welch(test_signal(n, var), fs=fs, window=win, nperseg=nper, noverlap=nov,
                        detrend="constant", scaling="density")
        out.write("static const double ref_%s[%d] = {\n" % (name, len(p)))
        out.write(",\n".join("    %.17g" % v for v in p))
        out.write("};\n")
    out.write("static const welch_case welch_cases[] = {\n")
    for name, n, fs, win, nper, nov, var in CASES:
        tname = win if isinstance(win, str) else "%s:%g" % win
        tname = "rectangular" if tname == "boxcar" else tname
        out.write('    {"%s", %d, %.17g, "%s", %d, %d, %d, %d, ref_%s},\n'
                  % (name, n, fs, tname, nper, nov, var, nper // 2 + 1, name))
    out.write("};\n")
    out.close()


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "unit-header":
        cmd_unit_header(sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "windows":
        cmd_windows(sys.argv[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(1)
