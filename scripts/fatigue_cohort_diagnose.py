#!/usr/bin/env python3
"""Why the cohort intervals of emg-fatigue --group missed their coverage (issue 11):
the per-recording stage, measured on paired simulations.

Each simulated recording (scripts/fatigue_calibration.py's generator, 30-60 s at 1 kHz)
is made twice from the same random stream: once with no trend and once with a nominal
MDF slope b.  emg-fatigue's slope and its standard error (from the interval, as the
group table recovers it) on both tell
  - the gain: slope(b) - slope(0) over b (is the measured slope linear in the nominal
    one, the same at every b and duration?);
  - the calibration of the standard error: the SD of z = slope(0) / se(0), which is 1
    when the standard errors are right, and E[se^2] against Var(slope), by duration;
  - whether se depends on b (a trend that widens its own interval gives the steeper
    recordings less weight in the pooling).

Usage: scripts/fatigue_cohort_diagnose.py [--recordings 400] [--bin build/bin] [--seed 5]
           [--out library.tsv]
Needs NumPy and SciPy (Debian packages).
"""
import argparse
import os
import sys
import tempfile

import numpy as np
from scipy import stats
from scipy.io import wavfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fatigue_calibration as cal  # noqa: E402

SLOPES_HZ_S = (-0.1, -0.2, -0.4)  # nominal slopes of the paired recordings
DURATIONS_S = (30.0, 60.0)
RATE_HZ = 1000
CHANNELS = 10


def se_of(row):
    """The slope's standard error implied by its interval (n_eff - 2 df)."""
    q = stats.t.ppf(0.975, float(row["n_eff"]) - 2)
    return (float(row["ci_high"]) - float(row["ci_low"])) / (2 * q)


def make_pairs(directory, seed, count):
    """Files at slope 0 and at each of SLOPES_HZ_S from the same streams; durations."""
    files = {b: [] for b in (0.0, *SLOPES_HZ_S)}
    durations = []
    for i in range((count + CHANNELS - 1) // CHANNELS):
        duration = float(np.random.default_rng([seed, i]).uniform(*DURATIONS_S))
        durations += [duration] * CHANNELS
        for b in files:
            x = np.stack([cal.simulate(np.random.default_rng([seed, i, c]), duration, RATE_HZ, b)
                          for c in range(CHANNELS)], axis=1)
            path = os.path.join(directory, f"b{b:+.2f}_{i:04d}.wav")
            wavfile.write(path, RATE_HZ, x)
            files[b].append(path)
    return files, np.array(durations)


def measure(bin_dir, files):
    """{b: (slopes, standard errors)} in file and channel order (Hz/s)."""
    out = {}
    for b, paths in files.items():
        rows = cal.run_fatigue(bin_dir, paths, 0.5)
        keyed = [rows[(p, ch)] for p in paths for ch in sorted({k[1] for k in rows if k[0] == p},
                                                               key=lambda c: int(c) if c.isdigit()
                                                               else c)]
        out[b] = (np.array([float(r["slope"]) for r in keyed]), np.array([se_of(r) for r in keyed]))
    return out


def report(res, durations):
    y0, s0 = res[0.0]
    z = y0 / s0
    print(f"recordings {len(y0)}, 30-60 s, 1 kHz, step 0.5 s")
    print(f"no trend: SD of slope/se {np.std(z, ddof=1):.3f} (1 if the se are right; "
          f"95% range +-{1.96 * np.sqrt(1 / (2 * (len(z) - 1))):.3f}); "
          f"share |z| > 1.96: {np.mean(abs(z) > 1.96):.3f}")
    print(f"  Var(slope) / E[se^2] = {np.var(y0, ddof=1) / np.mean(s0 ** 2):.3f}")
    for lo, hi in ((30, 40), (40, 50), (50, 60)):
        m = (durations >= lo) & (durations < hi)
        print(f"  {lo}-{hi} s: n {m.sum()}, SD(slope) {60 * np.std(y0[m], ddof=1):.2f} Hz/min, "
              f"rms se {60 * np.sqrt(np.mean(s0[m] ** 2)):.2f} Hz/min, "
              f"SD(z) {np.std(z[m], ddof=1):.3f}, CV(se) {np.std(s0[m]) / np.mean(s0[m]):.2f}")
    print(f"  corr(|slope|, se) {np.corrcoef(abs(y0), s0)[0, 1]:+.3f}")
    for b in SLOPES_HZ_S:
        yb, sb = res[b]
        g = (yb - y0) / b
        print(f"slope {b:+.2f} Hz/s: gain mean {g.mean():.4f} (SD {g.std(ddof=1):.4f}); "
              f"by duration 30-45 s {g[durations < 45].mean():.4f}, 45-60 s "
              f"{g[durations >= 45].mean():.4f}; se(b)/se(0) mean {np.mean(sb / s0):.3f}, "
              f"SD(z about gain*b) {np.std((yb - g.mean() * b) / sb, ddof=1):.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recordings", type=int, default=400)
    ap.add_argument("--bin", default=os.environ.get("EMGKIT_BIN", "build/bin"))
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", help="write the per-recording library (TSV)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fatigue_diag_") as tmp:
        files, durations = make_pairs(tmp, args.seed, args.recordings)
        res = measure(args.bin, files)
    report(res, durations)
    if args.out:
        cols = ["duration_s"] + [f"{k}{b:+.2f}" for b in res for k in ("slope", "se")]
        data = np.column_stack([durations] + [v for b in res for v in res[b]])
        np.savetxt(args.out, data, delimiter="\t", header="\t".join(cols), comments="",
                   fmt="%.10g")


if __name__ == "__main__":
    main()
