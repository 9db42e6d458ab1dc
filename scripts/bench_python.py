#!/usr/bin/python3
"""bench_python.py: the Python package beside the same work in NumPy/SciPy, one run.

  PYTHONPATH=build/python scripts/bench_python.py [--duration S] [--channels N]

The recording is simulated once (emgkit.simulate, scenario "session", 2 kHz;
not timed).  Each task is then done both ways on the same arrays and timed
(wall clock, best of --repeat runs):

  filter    surface-EMG chain, zero-phase: emgkit.filter (the library's
            4th-order 20-450 Hz band-pass + 50 Hz notch comb, one channel per
            call) against SciPy sosfiltfilt over the same sections (butter +
            iirnotch at each harmonic), all channels in one call
  features  filter + 1 s windows every 0.5 s + RMS MAV WL ZC MDF MNF (Welch
            256/128), as LibEMG's and NeuroKit2's extractors compute them, in
            the strongest vectorised NumPy form (strided windows, one welch
            call per channel; scripts/bench_features_numpy.py) against
            emgkit.features
  detect    onsets: rectified band-passed signal, 50 ms moving RMS, threshold
            rest mean + 3 SD (NeuroKit2's emg_activation "threshold" style,
            quietest 20 % of 1 s windows as rest) against emgkit.detect

Prints one row per task: seconds each way and the ratio NumPy / emgkit, and
how far the two agree (the methods differ in details: the agreement is a
sanity check, not a test)."""
import argparse
import time

import numpy as np
import scipy.signal as ss

import emgkit


def best_of(repeat, fn):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def numpy_filter(x, fs):
    """The same cascade as emgkit's chain: 4th-order Butterworth 20-450 Hz and
    an iirnotch (Q 30) at each 50 Hz harmonic whose upper -3 dB edge lies
    below 450 Hz, as second-order sections, one zero-phase pass."""
    sections = [ss.butter(4, [20, 450], btype="bandpass", fs=fs, output="sos")]
    f0 = 50.0
    while f0 + f0 / 60 < 450:
        b, a = ss.iirnotch(f0, 30.0, fs=fs)
        sections.append(np.concatenate([b, a])[None, :])
        f0 += 50.0
    return ss.sosfiltfilt(np.vstack(sections), x, axis=-1)


def numpy_features(x, fs):
    y = numpy_filter(x, fs)
    win, step = int(round(fs)), int(round(0.5 * fs))
    w = np.lib.stride_tricks.sliding_window_view(y, win, axis=1)[:, ::step, :]
    out = {"rms": np.sqrt(np.mean(w * w, axis=2)), "mav": np.mean(np.abs(w), axis=2),
           "wl": np.sum(np.abs(np.diff(w, axis=2)), axis=2)}
    s = np.signbit(w)
    out["zc"] = np.sum(s[:, :, 1:] != s[:, :, :-1], axis=2)
    out["mdf"], out["mnf"] = np.empty(out["rms"].shape), np.empty(out["rms"].shape)
    for c in range(w.shape[0]):
        f, p = ss.welch(w[c], fs=fs, window="hann", nperseg=256, noverlap=128, axis=-1)
        band = (f >= 20) & (f <= 450)
        pb, fb = p[:, band], f[band]
        total = pb.sum(axis=1)
        out["mnf"][c] = (pb * fb).sum(axis=1) / total
        half = np.argmax(np.cumsum(pb, axis=1) >= (total / 2)[:, None], axis=1)
        out["mdf"][c] = fb[half]
    return out


def numpy_detect(x, fs):
    sos = ss.butter(4, [20, 450], btype="bandpass", fs=fs, output="sos")
    n = int(round(0.05 * fs))
    onsets = []
    for ch in ss.sosfiltfilt(sos, x, axis=-1):
        env = np.sqrt(np.convolve(ch * ch, np.ones(n) / n, mode="same"))
        sec = int(fs)
        means = env[:len(env) // sec * sec].reshape(-1, sec).mean(axis=1)
        quiet = np.argsort(means)[:max(1, len(means) // 5)]
        rest = np.concatenate([env[i * sec:(i + 1) * sec] for i in quiet])
        active = np.concatenate([[0], (env > rest.mean() + 3 * rest.std()).astype(np.int8), [0]])
        starts = np.flatnonzero(np.diff(active) == 1)
        ends = np.flatnonzero(np.diff(active) == -1)
        keep = np.concatenate([[True], starts[1:] - ends[:-1] >= 0.2 * fs])  # merge gaps < 0.2 s
        starts, ends = starts[keep], np.concatenate([ends[1:][keep[1:]], ends[-1:]])
        onsets.append(starts[ends - starts >= 0.1 * fs] / fs)  # drop events < 0.1 s
    return onsets


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=300.0, help="seconds (300)")
    ap.add_argument("--channels", type=int, default=8, help="channels (8)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per task, best kept (1)")
    args = ap.parse_args()
    rec, _ = emgkit.simulate("session", seed=1, duration=args.duration, channels=args.channels,
                             mains=0)  # no hum: both filters then see the same signal
    fs = float(rec.fs[0])
    x = rec.to_array()
    print("emgkit %s (%s); %d channels x %.0f s at %.0f Hz" % (
        emgkit.__version__, emgkit.library_path, x.shape[0], args.duration, fs))
    print("%-9s %10s %10s %8s  %s" % ("task", "emgkit_s", "numpy_s", "ratio", "agreement"))

    t_e, ye = best_of(args.repeat, lambda: [emgkit.filter(c, fs, mains=50) for c in x])
    t_n, yn = best_of(args.repeat, lambda: numpy_filter(x, fs))
    edge = int(fs)  # the two pad the ends differently: compare away from them
    err = max(np.max(np.abs(a - b)[edge:-edge]) / np.sqrt(np.mean(b * b))
              for a, b in zip(ye, yn))
    report("filter", t_e, t_n, "max |diff| %.2g of the RMS (1 s from the ends)" % err)

    cols = "rms,mav,wl,zc,mdf,mnf"
    t_e, fe = best_of(args.repeat, lambda: emgkit.features(rec, features=cols))
    t_n, fn = best_of(args.repeat, lambda: numpy_features(x, fs))
    first = fe[fe["channel"] == rec.channel_names[0]]
    k = min(len(first), fn["rms"].shape[1])
    rel = np.nanmedian(np.abs(first["rms"].to_numpy()[:k] / fn["rms"][0, :k] - 1))
    report("features", t_e, t_n, "RMS median rel. diff %.2g (channel 1)" % rel)

    t_e, de = best_of(args.repeat, lambda: emgkit.detect(rec))
    t_n, dn = best_of(args.repeat, lambda: numpy_detect(x, fs))
    report("detect", t_e, t_n, "%d events vs %d threshold crossings" % (
        len(de), sum(len(o) for o in dn)))


def report(task, t_emgkit, t_numpy, agreement):
    print("%-9s %10.3f %10.3f %8.2f  %s" % (task, t_emgkit, t_numpy, t_numpy / t_emgkit,
                                            agreement))


if __name__ == "__main__":
    main()
