#!/usr/bin/env python3
"""Calibration of emg-fatigue's slope interval by simulation (issue 11).

Stationary surface-EMG-like recordings with no trend, but with the slow spectral
wandering of real sustained contractions, should give a 95% interval of the MDF slope
that excludes zero in 5% of recordings, whatever the window step; recordings with a
known MDF decline measure the power.

Signal: Gaussian noise shaped in the short-time Fourier domain (overlap-add of Hann
frames, 64 ms, hop 16 ms) by an EMG power spectrum (Shwedyk, Balasubramanian & Scott
1977: P(f) ~ f^2 fh^4 / ((f^2 + fl^2)(f^2 + fh^2)^2), fl = 60, fh = 120 Hz) whose
frequency axis is scaled by s(t): every spectral frequency, the MDF too, is
scaled with it.  s(t) is the scale at which the shape's MDF in the analysis band is
MDF0 + decline * t + OU(t), with OU an Ornstein-Uhlenbeck process (SD 8 Hz, correlation
time 1 s) and MDF0 the MDF of the unscaled shape (~96 Hz).  Durations 30-120 s, rates 1 or 2 kHz, float
WAV files; emg-fatigue runs on them in batches (--inputs - -j 2) at each window step.

Usage: scripts/fatigue_calibration.py [--recordings 400] [--bin build/bin] [--seed 1]
Needs only Python 3 with NumPy and SciPy (Debian packages).
"""
import argparse
import csv
import functools
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.io import wavfile
from scipy.signal import lfilter

# The simulation's parameters, in one place.
SIM = {
    "mdf_sd_hz": 8.0,          # SD of the MDF's wandering (sustained contractions: ~8 Hz)
    "correlation_time_s": 1.0,  # of the wandering (OU time constant)
    "shape_fl_hz": 60.0,       # Shwedyk et al. 1977 spectrum corners
    "shape_fh_hz": 120.0,
    "band_hz": (20.0, 450.0),  # emg-fatigue's default analysis band
    "frame_s": 0.064,          # STFT synthesis frame and hop
    "hop_s": 0.016,
    "rms": 0.1,                # signal RMS (float WAV, peaks well below 1)
    "noise_rms": 0.001,        # --noise-rms: every window is active, none is "rest"
    "durations_s": (30.0, 120.0),
    "rates_hz": (1000, 2000),
}
STEPS_S = (1.0, 0.5, 0.1)
DECLINES_HZ_PER_S = (0.0, -0.1, -0.2, -0.5)


def shape_power(f):
    fl, fh = SIM["shape_fl_hz"], SIM["shape_fh_hz"]
    return f * f * fh ** 4 / ((f * f + fl * fl) * (f * f + fh * fh) ** 2)


def shape_mdf(scale=1.0):
    """MDF within the analysis band of the shape with its frequencies scaled by scale."""
    f = np.linspace(*SIM["band_hz"], 20001)
    c = np.cumsum(shape_power(f / scale))
    return float(f[np.searchsorted(c, c[-1] / 2)])


@functools.lru_cache(maxsize=1)
def mdf_of_scale_grid():
    grid = np.linspace(0.25, 2.5, 400)
    return np.array([shape_mdf(g) for g in grid]), grid


def scale_for_mdf(mdf):
    """The frequency scale that gives these MDFs in the band (the band's edges make
    MDF not quite proportional to the scale)."""
    return np.interp(mdf, *mdf_of_scale_grid())


def ornstein_uhlenbeck(rng, n, dt, sd, tau):
    a = np.exp(-dt / tau)
    e = rng.standard_normal(n) * sd * np.sqrt(1 - a * a)
    e[0] = rng.standard_normal() * sd  # stationary from the start
    return lfilter([1.0], [1.0, -a], e)


def simulate(rng, duration, fs, decline):
    """One recording: samples whose MDF is MDF0 + decline * t + OU(t) (or MDF0 +
    decline(t) + OU(t) for a function)."""
    hop = int(round(SIM["hop_s"] * fs))
    frame = hop * int(round(SIM["frame_s"] / SIM["hop_s"]))
    n = int(duration * fs)
    n_frames = n // hop + frame // hop + 1
    t = (np.arange(n_frames) * hop + frame / 2 - frame) / fs
    mdf0 = shape_mdf()
    wander = ornstein_uhlenbeck(rng, n_frames, hop / fs, SIM["mdf_sd_hz"], SIM["correlation_time_s"])
    # decline: Hz/s, or a function of t giving the MDF's change from MDF0 (Hz)
    change = decline(np.clip(t, 0, None)) if callable(decline) else decline * np.clip(t, 0, None)
    scale = scale_for_mdf(mdf0 + change + wander)
    f = np.fft.rfftfreq(frame, 1 / fs)
    amp = np.sqrt(shape_power(f[None, :] / scale[:, None]))
    coef = amp * (rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape))
    frames = np.fft.irfft(coef, frame, axis=1) * np.hanning(frame)[None, :]
    out = np.zeros((n_frames + frame // hop) * hop)
    for j in range(frame // hop):  # overlap-add: frame k's part j lands in hop block k + j
        blocks = frames[:, j * hop:(j + 1) * hop].reshape(-1)
        out[j * hop:j * hop + blocks.size] += blocks
    x = out[frame:frame + n]
    return (x * SIM["rms"] / np.std(x)).astype(np.float32)


def make_recordings(directory, rng, count, decline, durations=None, rates=None, channels=1):
    """count recordings, as files of `channels` independent channels each (one
    duration and rate per file; more channels per file, fewer processes)."""
    durations = durations or SIM["durations_s"]
    rates = rates or SIM["rates_hz"]
    paths = []
    for i in range((count + channels - 1) // channels):
        duration = float(rng.uniform(*durations))
        fs = int(rng.choice(rates))
        k = min(channels, count - i * channels)
        x = np.stack([simulate(rng, duration, fs, decline) for _ in range(k)], axis=1)
        path = os.path.join(directory, f"d{decline:+.2f}_{i:04d}.wav")
        wavfile.write(path, fs, x if k > 1 else x[:, 0])
        paths.append(path)
    return paths


def run_fatigue(bin_dir, paths, step, extra=()):
    """{(path, channel): row} of emg-fatigue's mdf trends, the inputs given in one batch."""
    cmd = [os.path.join(bin_dir, "emg-fatigue"), "--features", "mdf", "-s", str(step),
           "--noise-rms", str(SIM["noise_rms"]), "-q", "-j", "2", "--inputs", "-", *extra]
    res = subprocess.run(cmd, input="\n".join(paths) + "\n", capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"emg-fatigue exit {res.returncode}: {res.stderr[-2000:]}")
    rows = csv.DictReader(io.StringIO(res.stdout), delimiter="\t")
    return {(r["file"], r["channel"]): r for r in rows}


def rejection_rate(rows):
    """Share of trends whose interval excludes zero, the median n_eff and the mean slope."""
    ci = [(float(r["ci_low"]), float(r["ci_high"])) for r in rows.values()]
    excluded = sum(1 for lo, hi in ci if lo > 0 or hi < 0)
    n_eff = np.median([float(r["n_eff"]) for r in rows.values()])
    slope = np.mean([float(r["slope"]) for r in rows.values()])
    return excluded / len(ci), float(n_eff), float(slope), len(ci)


def calibrate(bin_dir, count, seed, steps=STEPS_S, declines=DECLINES_HZ_PER_S,
              durations=None, rates=None, extra=(), log=None, channels=1):
    """[(decline, step, rate, n_eff, mean slope, recordings)]: rate = FPR for decline 0,
    power otherwise."""
    rng = np.random.default_rng(seed)
    table = []
    with tempfile.TemporaryDirectory(prefix="fatigue_cal_") as tmp:
        for decline in declines:
            paths = make_recordings(tmp, rng, count, decline, durations, rates, channels)
            for step in steps:
                rate, n_eff, slope, n = rejection_rate(run_fatigue(bin_dir, paths, step, extra))
                table.append((decline, step, rate, n_eff, slope, n))
                if log:
                    print(f"decline {decline:+.2f} Hz/s  step {step:g} s  "
                          f"{'FPR' if decline == 0 else 'power'} {100 * rate:.1f}%  "
                          f"median n_eff {n_eff:.1f}  mean slope {slope:+.3f}  "
                          f"({n} recordings)", file=log, flush=True)
            for p in paths:
                os.remove(p)
    return table


def markdown(table):
    steps = sorted({row[1] for row in table}, reverse=True)
    lines = ["| MDF slope (Hz/s) | " + " | ".join(f"step {s:g} s" for s in steps) + " |",
             "|---|" + "---|" * len(steps)]
    for decline in sorted({row[0] for row in table}, reverse=True):
        cells = []
        for s in steps:
            (rate, n_eff, slope, n), = [r[2:] for r in table if r[0] == decline and r[1] == s]
            cells.append(f"{100 * rate:.1f}% (slope {slope:+.2f}, n_eff {n_eff:.0f}, N={n})")
        label = "0 (false positives)" if decline == 0 else f"{decline:g} (power)"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recordings", type=int, default=400, help="recordings per cell (400)")
    ap.add_argument("--bin", default=os.environ.get("EMGKIT_BIN", "build/bin"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--inference", default=None, help="pass --inference to emg-fatigue")
    args = ap.parse_args()
    extra = ("--inference", args.inference) if args.inference else ()
    table = calibrate(args.bin, args.recordings, args.seed, extra=extra, log=sys.stderr)
    print(markdown(table))


if __name__ == "__main__":
    main()
