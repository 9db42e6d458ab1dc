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

With --units FILE (the unit rows of simulated cohorts, scripts/fatigue_cohort.py
--save), the second stage instead: every cohort's pooled and contrast intervals
recomputed by several methods from the same unit rows -- DerSimonian-Laird normal
(dl), Hartung-Knapp-Sidik-Jonkman (hksj), HKSJ with the Knapp-Hartung floor (mkh),
HKSJ on REML's tau^2 (Viechtbauer 2005), and the unweighted mean with a Student t
interval on k - 1 df (the summary-statistics approach, Holmes & Friston 1998) -- and
their coverage of the measured truth, with the share of cohorts whose Q < k - 1.

Usage: scripts/fatigue_cohort_diagnose.py [--recordings 400] [--bin build/bin] [--seed 5]
           [--out library.tsv]
       scripts/fatigue_cohort_diagnose.py --units units.tsv
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
import fatigue_cohort as fc  # noqa: E402

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


def tau2_dl(y, v):
    w = 1 / v
    fe = (w * y).sum() / w.sum()
    q = (w * (y - fe) ** 2).sum()
    return max(0.0, (q - (len(y) - 1)) / (w.sum() - (w ** 2).sum() / w.sum())), q


def tau2_reml(y, v):
    """REML by Viechtbauer's (2005, J Educ Behav Stat 30:261, eq. 12) fixed point."""
    t2 = tau2_dl(y, v)[0]
    for _ in range(200):
        w = 1 / (v + t2)
        mu = (w * y).sum() / w.sum()
        new = max(0.0, (w ** 2 * ((y - mu) ** 2 - v)).sum() / (w ** 2).sum() + 1 / w.sum())
        if abs(new - t2) < 1e-12 * max(1.0, t2):
            return new
        t2 = new
    return t2


def interval(y, se, method, confidence=0.95):
    """(lo, hi) of the pooled mean of y by method."""
    k, v = len(y), se ** 2
    tq = stats.t.ppf(0.5 + confidence / 2, k - 1)
    if method == "t":
        half = tq * y.std(ddof=1) / np.sqrt(k)
        return y.mean() - half, y.mean() + half
    t2 = tau2_reml(y, v) if method == "reml-hksj" else tau2_dl(y, v)[0]
    w = 1 / (v + t2)
    mu = (w * y).sum() / w.sum()
    if method == "dl":
        half = stats.norm.ppf(0.5 + confidence / 2) / np.sqrt(w.sum())
        return mu - half, mu + half
    q_star = (w * (y - mu) ** 2).sum() / (k - 1)
    if method == "mkh":
        q_star = max(q_star, 1.0)
    half = tq * np.sqrt(q_star / w.sum())
    return mu - half, mu + half


METHODS = ("dl", "hksj", "mkh", "reml-hksj", "t")


def reanalyse(path):
    import csv
    cohorts = {}
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            c = cohorts.setdefault((r["effect"], int(r["cohort"])), {"units": {}, "truth": r})
            c["units"][(r["subject"], r["condition"])] = (float(r["slope_per_min"]),
                                                          float(r["se_per_min"]))
    print("| cohorts | quantity | method | coverage (± MC se) | CI excludes 0 (± MC se) | "
          "Q < k-1 |")
    print("|---|---|---|---|---|---|")
    for effect in ("without", "with"):
        mine = [c for (e, _), c in sorted(cohorts.items()) if e == effect]
        if not mine:
            continue
        for what in ("rested", "fatigued", "contrast"):
            cover = {m: [] for m in METHODS}
            excl = {m: [] for m in METHODS}
            low_q = 0
            for c in mine:  # in cohort order: calls of fc.COHORT["channels"] cohorts
                u = c["units"]
                subjects = sorted({s for s, _ in u})
                if what == "contrast":
                    y = np.array([u[(s, "fatigued")][0] - u[(s, "rested")][0] for s in subjects])
                    se = np.array([np.hypot(u[(s, "fatigued")][1], u[(s, "rested")][1])
                                   for s in subjects])
                else:
                    y = np.array([u[(s, what)][0] for s in subjects])
                    se = np.array([u[(s, what)][1] for s in subjects])
                truth = float(c["truth"][f"truth_{what}"])
                low_q += tau2_dl(y, se ** 2)[1] < len(y) - 1
                for m in METHODS:
                    lo, hi = interval(y, se, m)
                    cover[m].append(lo <= truth <= hi)
                    excl[m].append(lo > 0 or hi < 0)
            n, call = len(mine), fc.COHORT["channels"]
            for m in METHODS:
                print(f"| {effect} ({n}) | {what} | {m} | {100 * np.mean(cover[m]):.1f}% ± "
                      f"{100 * fc.cluster_se(cover[m], call):.1f} | "
                      f"{100 * np.mean(excl[m]):.1f}% ± {100 * fc.cluster_se(excl[m], call):.1f} | "
                      f"{100 * low_q / n:.0f}% |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recordings", type=int, default=400)
    ap.add_argument("--bin", default=os.environ.get("EMGKIT_BIN", "build/bin"))
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", help="write the per-recording library (TSV)")
    ap.add_argument("--units", help="re-analyse the unit rows of simulated cohorts instead")
    args = ap.parse_args()
    if args.units:
        reanalyse(args.units)
        return
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
