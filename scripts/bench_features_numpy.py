#!/usr/bin/python3
"""The strongest NumPy/SciPy form of the emg-features benchmark chain
(scripts/bench_features.sh, issue 3):

  band-pass 20-450 Hz (4th-order Butterworth, zero-phase: whole-array
  sosfiltfilt) + 50 Hz notch (iirnotch Q 30, whole-array filtfilt)
  + 1 s windows every 0.5 s (strided views, no copies)
  + Welch spectra (256-point Hann, 50% overlap): one vectorised welch call
    per channel over all its windows
  + RMS, MAV, WL, ZC, MDF, MNF, vectorised over windows.

  bench_features_numpy.py IN.wav [OUT.tsv]

Prints the wall time of each stage on stderr; writes the same table as
emg-features (onset duration channel rms mav wl zc mdf mnf) when OUT is given.
"""
import sys
import time

import numpy as np
import scipy.signal as ss
from scipy.io import wavfile


def main():
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else None
    t0 = time.perf_counter()
    fs, data = wavfile.read(path, mmap=False)
    fs = float(fs)
    x = np.asarray(data, dtype=np.float64)          # (n, channels)
    t1 = time.perf_counter()
    sos = ss.butter(4, [20, 450], btype="bandpass", fs=fs, output="sos")
    b, a = ss.iirnotch(50.0, 30.0, fs=fs)
    y = ss.sosfiltfilt(sos, x, axis=0)
    y = ss.filtfilt(b, a, y, axis=0)
    y = np.ascontiguousarray(y.T)                   # (channels, n)
    t2 = time.perf_counter()
    win, step = int(round(fs)), int(round(0.5 * fs))
    w = np.lib.stride_tricks.sliding_window_view(y, win, axis=1)[:, ::step, :]  # (ch, nwin, win)
    rms = np.sqrt(np.mean(w * w, axis=2))
    mav = np.mean(np.abs(w), axis=2)
    d = np.diff(w, axis=2)
    wl = np.sum(np.abs(d), axis=2)
    s = np.signbit(w)
    zc = np.sum(s[:, :, 1:] != s[:, :, :-1], axis=2)
    t3 = time.perf_counter()
    mdf = np.empty(rms.shape)
    mnf = np.empty(rms.shape)
    for c in range(w.shape[0]):
        f, p = ss.welch(w[c], fs=fs, window="hann", nperseg=256, noverlap=128,
                        detrend="constant", scaling="density", axis=-1)
        df = f[1] - f[0]
        k0, k1 = int(np.ceil(20 / df - 1e-9)), min(int(np.floor(450 / df + 1e-9)), len(f) - 1)
        pb, fb = p[:, k0:k1 + 1], f[k0:k1 + 1]
        tot = pb.sum(axis=1)
        mnf[c] = (pb * fb).sum(axis=1) / tot
        cum = np.cumsum(pb, axis=1)
        idx = np.argmax(cum >= (tot / 2)[:, None], axis=1)
        rows = np.arange(len(idx))
        mdf[c] = (k0 + idx - 0.5) * df + df * (tot / 2 - (cum[rows, idx] - pb[rows, idx])) / pb[rows, idx]
    t4 = time.perf_counter()
    if out:
        with open(out, "w") as fo:
            fo.write("onset\tduration\tchannel\trms\tmav\twl\tzc\tmdf\tmnf\n")
            for k in range(rms.shape[1]):
                for c in range(rms.shape[0]):
                    fo.write("%g\t1\t%d\t%.9g\t%.9g\t%.9g\t%d\t%.9g\t%.9g\n"
                             % (k * step / fs, c + 1, rms[c, k], mav[c, k], wl[c, k], zc[c, k], mdf[c, k], mnf[c, k]))
    sys.stderr.write("numpy: read %.2f s, filter %.2f s, time features %.2f s, welch+mdf/mnf %.2f s, total %.2f s\n"
                     % (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0))


if __name__ == "__main__":
    main()
