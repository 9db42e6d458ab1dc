#!/usr/bin/env python3
"""Cohort studies with emg-fatigue --cohort --group, checked by simulation and against
statsmodels (issue 11).

A simulated cohort is 20 subjects, each recorded in two conditions, `rested` and
`fatigued` (a within-subject design).  Each recording is one sustained contraction
(30-60 s, 1 kHz) from scripts/fatigue_calibration.py's generator: surface-EMG-like
noise whose MDF is MDF0 + b t + OU(t), the wandering OU with SD 8 Hz and correlation
time 1 s, as in real sustained contractions.  The MDF slope b of subject i is
    rested:   b = u_i + e_i,            fatigued: b = delta + u_i + e'_i,
u_i ~ N(0, 0.1^2) (Hz/s; subjects differ in how fast they fatigue: SD 6 Hz/min),
e ~ N(0, 0.05^2) (the same subject differs between sessions).  A cohort `with` an
effect has delta = -0.2 Hz/s nominal, one `without` has delta = 0.  The rested
condition has mean 0 in both, so its pooled interval measures the false-positive
rate; the fatigued one (with) and the contrast fatigued - rested measure coverage
and power.

The generator's MDF follows the nominal slope with a gain below 1 (filter, Welch
estimate) that depends on the slope and the duration (~0.85 at -0.1 Hz/s, ~0.79 at
-0.4 Hz/s; scripts/fatigue_cohort_diagnose.py), so the truth in the tool's units is
measured, not converted: the design's mean of the slope emg-fatigue finds without the
wandering, from paired recordings (measure_truth).  Coverage and false-positive rates
carry Monte Carlo standard errors between calls (the cohorts of one call share their
recordings' durations).  --save writes every cohort's unit rows, which
scripts/fatigue_cohort_diagnose.py --units re-pools by other methods (hksj, dl, REML,
an unweighted t).

Several cohorts run in one call: every file holds C channels, channel c of all files
being cohort c (the group table pools per channel and feature).

Usage: scripts/fatigue_cohort.py [--cohorts 100] [--bin build/bin] [--seed 1] [--save FILE]
Needs Python 3 with NumPy, SciPy and statsmodels (Debian packages).
"""
import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats
from scipy.io import wavfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fatigue_calibration as cal  # noqa: E402

COHORT = {
    "subjects": 20,
    "conditions": ("rested", "fatigued"),
    "subject_sd_hz_s": 0.1,    # between-subject SD of the MDF slope
    "session_sd_hz_s": 0.05,   # a subject's slope between conditions/sessions
    "effect_hz_s": -0.2,       # nominal fatigued - rested, cohorts "with" an effect
    "durations_s": (30.0, 60.0),
    "rate_hz": 1000,
    "channels": 10,            # cohorts per call
}
CONFIDENCE = 0.95


def make_cohorts(directory, rng, effect, channels):
    """Files of one call (subject x condition, `channels` cohorts each), the cohort
    table's path, and the simulated slopes [channel][subject][condition] (Hz/s)."""
    n = COHORT["subjects"]
    slopes = np.stack(design_slopes(rng, effect, (channels, n)), axis=2)
    rows, paths = [], []
    for i in range(n):
        for k, condition in enumerate(COHORT["conditions"]):
            duration = float(rng.uniform(*COHORT["durations_s"]))
            fs = COHORT["rate_hz"]
            x = np.stack([cal.simulate(rng, duration, fs, slopes[c, i, k]) for c in range(channels)],
                         axis=1)
            path = os.path.join(directory, f"sub{i + 1:02d}_{condition}.wav")
            wavfile.write(path, fs, x if channels > 1 else x[:, 0])
            paths.append(path)
            rows.append(f"{path}\tS{i + 1:02d}\t{condition}")
    table = os.path.join(directory, "cohort.tsv")
    with open(table, "w") as f:
        f.write("file\tsubject\tcondition\n" + "\n".join(rows) + "\n")
    return paths, table, slopes


def run_group(bin_dir, paths, cohort, directory, extra=()):
    """(trend rows, group rows) of one emg-fatigue --cohort --group call (MDF)."""
    group = os.path.join(directory, "group.tsv")
    cmd = [os.path.join(bin_dir, "emg-fatigue"), "--features", "mdf", "-q", "-j", "2",
           "--noise-rms", str(cal.SIM["noise_rms"]), "--precision", "17",
           "--cohort", cohort, "--group", group, *extra, *paths]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"emg-fatigue exit {res.returncode}: {res.stderr[-2000:]}")
    trends = list(csv.DictReader(io.StringIO(res.stdout), delimiter="\t"))
    with open(group) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return trends, rows


def num(x):
    return float("nan") if x == "n/a" else float(x)


# ---- the independent implementation: statsmodels ---------------------------------

def sm_combine(y, se, pooling="dl"):
    """statsmodels' DerSimonian-Laird random effects: estimate, se, ci, p, tau2, i2, q;
    pooling "hksj": the Hartung-Knapp-Sidik-Jonkman se and t interval (k - 1 df);
    "mkh": the larger of statsmodels' HKSJ and DL standard errors, t interval (k - 1 df)
    (the modified Knapp-Hartung interval, which statsmodels does not offer itself)."""
    from statsmodels.stats.meta_analysis import combine_effects
    y, se = np.asarray(y, float), np.asarray(se, float)
    if len(y) == 1:
        z = stats.norm.isf((1 - CONFIDENCE) / 2)
        return dict(estimate=y[0], se=se[0], ci_low=y[0] - z * se[0], ci_high=y[0] + z * se[0],
                    p=2 * stats.norm.sf(abs(y[0] / se[0])))
    r = combine_effects(y, se ** 2, method_re="dl", alpha=1 - CONFIDENCE)
    hksj = pooling in ("hksj", "mkh")
    ci_fe, ci_re, ci_fe_hk, ci_re_hk = r.conf_int(alpha=1 - CONFIDENCE, use_t=hksj)
    # statsmodels 0.13.5 leaves DL's tau^2 negative when Q < k - 1; DerSimonian & Laird
    # (1986) truncate it at 0, where the random-effects result is the fixed-effect one.
    if r.tau2 < 0:
        m, tau2 = r.mean_effect_fe, 0.0
        sd, (lo, hi) = (r.sd_eff_w_fe_hksj, ci_fe_hk) if hksj else (r.sd_eff_w_fe, ci_fe)
    else:
        m, tau2 = r.mean_effect_re, r.tau2
        sd, (lo, hi) = (r.sd_eff_w_re_hksj, ci_re_hk) if hksj else (r.sd_eff_w_re, ci_re)
    if pooling == "mkh":
        sd_dl = r.sd_eff_w_fe if r.tau2 < 0 else r.sd_eff_w_re
        if sd_dl > sd:
            half = stats.t.isf((1 - CONFIDENCE) / 2, len(y) - 1) * sd_dl
            sd, lo, hi = sd_dl, m - half, m + half
    p = 2 * (stats.t.sf(abs(m / sd), len(y) - 1) if hksj else stats.norm.sf(abs(m / sd)))
    return dict(estimate=m, se=sd, ci_low=lo, ci_high=hi, p=p, tau2=tau2, i2=max(0.0, r.i2),
                q=r.q)


def sm_group(units, condition=None):
    """Two-stage pooling of units [(subject, condition, y, se)] of one condition."""
    by_subject = {}
    for s, c, y, se in units:
        if condition is None or c == condition:
            by_subject.setdefault(s, []).append((y, se))
    est = {s: sm_combine([y for y, _ in v], [e for _, e in v]) for s, v in by_subject.items()}
    return est


def sm_expected(group_rows, pooling="mkh"):
    """For every pooled and contrast row of the group table, statsmodels' numbers from
    the table's own unit rows: [(row, expected dict)].  A subject's units are combined
    by DL, the subjects by `pooling` (emg-fatigue --pooling)."""
    out = []
    keys = sorted({(r["channel"], r["feature"]) for r in group_rows})
    for key in keys:
        rows = [r for r in group_rows if (r["channel"], r["feature"]) == key]
        units = [(r["subject"], r["condition"], num(r["slope_per_min"]), num(r["se_per_min"]))
                 for r in rows if r["level"] == "unit"]
        for r in rows:
            if r["level"] == "pooled":
                est = sm_group(units, r["condition"])
                if len(est) >= 2:
                    out.append((r, sm_combine([e["estimate"] for e in est.values()],
                                              [e["se"] for e in est.values()], pooling)))
            elif r["level"] == "contrast" and r["design"] == "paired":
                a, b = sm_group(units, r["reference"]), sm_group(units, r["condition"])
                both = [s for s in a if s in b]
                d = [b[s]["estimate"] - a[s]["estimate"] for s in both]
                se = [np.hypot(a[s]["se"], b[s]["se"]) for s in both]
                out.append((r, sm_combine(d, se, pooling)))
    return out


def sm_disagreement(group_rows, pooling="mkh"):
    """Largest relative difference between the tool's pooled numbers and statsmodels'
    (relative to max(|value|, 1e-3 of the row's se) so that values near 0 compare
    absolutely), and the count of rows compared."""
    worst, n = 0.0, 0
    cols = {"estimate": "slope_per_min", "se": "se_per_min", "ci_low": "ci_low_per_min",
            "ci_high": "ci_high_per_min", "p": "p_value", "tau2": "tau2", "i2": "i2", "q": "q"}
    for row, exp in sm_expected(group_rows, pooling):
        n += 1
        scale = num(row["se_per_min"])
        for k, col in cols.items():
            if k not in exp:
                continue
            got, want = num(row[col]), float(exp[k])
            ref = max(abs(want), 1e-3 * scale if k != "p" and k != "i2" else 1e-6)
            worst = max(worst, abs(got - want) / ref)
    return worst, n


# ---- the simulation ------------------------------------------------------------------

def design_slopes(rng, effect, size):
    """Nominal MDF slopes (Hz/s) of `size` subjects' rested and fatigued recordings."""
    u = rng.normal(0, COHORT["subject_sd_hz_s"], size)
    return (u + rng.normal(0, COHORT["session_sd_hz_s"], size),
            effect + u + rng.normal(0, COHORT["session_sd_hz_s"], size))


def measure_truth(bin_dir, seed, directory, effect, count=400):
    """The group effect in the tool's units (Hz/min), measured: the population mean of
    m(b, T), the slope emg-fatigue finds on average on a recording of nominal slope b
    and duration T.

    The generator's measured MDF is not linear in the nominal one (gain ~0.85 at
    -0.1 Hz/s, ~0.79 at -0.4 Hz/s, lower on longer recordings:
    scripts/fatigue_cohort_diagnose.py), so no single gain converts delta.  `count`
    draws (b, T) from the design, half rested and half fatigued, are each simulated
    twice from the same random stream, with the slope and with none; the paired
    difference d is m(b, T) plus a small noise (the wandering cancels; its own slope
    has mean 0 by symmetry).  d is fitted by
        m(b, T) = b (c1 + c2 b + c3 b^2 + c4 (T - mean T))
    (no intercept: m(0, T) = 0), and the truth of a condition is that polynomial's
    mean over the design, from the design's exact moments of b (normal) and T
    (uniform, independent of b).  Returns {condition: (truth, standard error)} with
    "contrast" = fatigued - rested."""
    rng = np.random.default_rng([seed, 7])
    half = count // 2
    nominal = dict(zip(("rested", "fatigued"), design_slopes(rng, effect, half)))
    fs, ch = COHORT["rate_hz"], COHORT["channels"]
    mid_t = float(np.mean(COHORT["durations_s"]))
    b_all, t_all, d_all = [], [], []
    for n_cond, (condition, slopes) in enumerate(nominal.items()):
        paths = {0: [], 1: []}
        durations = []
        for i in range(0, half, ch):
            k = min(ch, half - i)
            duration = float(rng.uniform(*COHORT["durations_s"]))
            durations += [duration] * k
            for with_slope in (0, 1):
                x = np.stack([cal.simulate(np.random.default_rng([seed, n_cond, i + c]),
                                           duration, fs, slopes[i + c] * with_slope)
                              for c in range(k)], axis=1)
                path = os.path.join(directory, f"truth_{condition}_{with_slope}_{i:04d}.wav")
                wavfile.write(path, fs, x)
                paths[with_slope].append(path)
        rows = [cal.run_fatigue(bin_dir, paths[w], 0.5) for w in (0, 1)]
        channels = sorted({c for _, c in rows[0]}, key=lambda c: (len(c), c))
        d_all += [60 * (float(rows[1][(p1, c)]["slope"]) - float(rows[0][(p0, c)]["slope"]))
                  for p0, p1 in zip(paths[0], paths[1]) for c in channels[:ch]
                  if (p0, c) in rows[0]]
        b_all += list(slopes)
        t_all += durations
        for p in paths[0] + paths[1]:
            os.remove(p)
    b, t, d = np.array(b_all), np.array(t_all), np.array(d_all)
    x = np.column_stack([b, b ** 2, b ** 3, b * (t - mid_t)])
    coef = np.linalg.pinv(x) @ d  # minimum norm: a constant duration leaves the T term 0
    resid = d - x @ coef
    cov = np.linalg.pinv(x.T @ x) * (resid @ resid) / (len(d) - x.shape[1])
    sd2 = COHORT["subject_sd_hz_s"] ** 2 + COHORT["session_sd_hz_s"] ** 2
    moments = {"rested": np.array([0.0, sd2, 0.0, 0.0]),  # E[b], E[b^2], E[b^3], E[b (T - mid)]
               "fatigued": np.array([effect, effect ** 2 + sd2, effect ** 3 + 3 * effect * sd2,
                                     0.0])}
    moments["contrast"] = moments["fatigued"] - moments["rested"]
    return {k: (float(m @ coef), float(np.sqrt(m @ cov @ m))) for k, m in moments.items()}


def add_cohorts(results, rows, truth):
    """One entry per channel (cohort) of a group table: the pooled and contrast rows
    with their truths (Hz/min), and the unit rows (subject, condition, y, se)."""
    for ch in sorted({r["channel"] for r in rows}):
        mine = {(r["level"], r["condition"]): r for r in rows
                if r["channel"] == ch and r["level"] in ("pooled", "contrast")}
        results.append({"rested": (mine[("pooled", "rested")], truth["rested"][0]),
                        "fatigued": (mine[("pooled", "fatigued")], truth["fatigued"][0]),
                        "contrast": (mine[("contrast", "fatigued")], truth["contrast"][0]),
                        "units": [(r["subject"], r["condition"], num(r["slope_per_min"]),
                                   num(r["se_per_min"])) for r in rows
                                  if r["channel"] == ch and r["level"] == "unit"]})


def simulate_cohorts(bin_dir, n_cohorts, seed, effect, truth, channels=None, log=None,
                     poolings=("mkh",)):
    """{pooling: per cohort the group rows (rested, fatigued, contrast) and the truth
    (Hz/min)}, the same recordings analysed with each --pooling; the largest
    disagreement with statsmodels and the rows compared."""
    channels = channels or COHORT["channels"]
    rng = np.random.default_rng(seed)
    results, worst, compared = {p: [] for p in poolings}, 0.0, 0
    with tempfile.TemporaryDirectory(prefix="fatigue_cohort_") as tmp:
        done = 0
        while done < n_cohorts:
            c = min(channels, n_cohorts - done)
            paths, table, _ = make_cohorts(tmp, rng, effect, c)
            for pooling in poolings:
                _, rows = run_group(bin_dir, paths, table, tmp, ("--pooling", pooling))
                w, n = sm_disagreement(rows, pooling)
                worst, compared = max(worst, w), compared + n
                add_cohorts(results[pooling], rows, truth)
            for p in paths:
                os.remove(p)
            done += c
            if log:
                print(f"effect {effect:+.2f} Hz/s: {done}/{n_cohorts} cohorts", file=log, flush=True)
    return results, worst, compared


def cluster_se(hits, cluster):
    """Monte Carlo standard error of a share over cohorts that come in calls of
    `cluster` (the cohorts of one call share their recordings' durations, so they are
    not independent): the cluster-robust (between-call) standard error."""
    hits = np.asarray(hits, float)
    groups = [hits[i:i + cluster] for i in range(0, len(hits), cluster)]
    if len(groups) < 2:
        return float("nan")
    p = hits.mean()
    dev = np.array([g.sum() - p * len(g) for g in groups])
    return float(np.sqrt((dev ** 2).sum() * len(groups) / (len(groups) - 1)) / len(hits))


def summarize(results, what, cluster=None):
    """Coverage of the truth and share of intervals excluding 0, each with its Monte
    Carlo standard error; mean estimate, mean tau2."""
    cover, excl, est, tau2 = [], [], [], []
    for r in results:
        row, truth = r[what]
        lo, hi = num(row["ci_low_per_min"]), num(row["ci_high_per_min"])
        cover.append(lo <= truth <= hi)
        excl.append(lo > 0 or hi < 0)
        est.append(num(row["slope_per_min"]))
        tau2.append(num(row["tau2"]))
    cluster = cluster or COHORT["channels"]
    return dict(n=len(results), coverage=float(np.mean(cover)),
                coverage_se=cluster_se(cover, cluster), excludes_zero=float(np.mean(excl)),
                excludes_zero_se=cluster_se(excl, cluster), mean=float(np.mean(est)),
                truth=results[0][what][1], tau2=float(np.nanmean(tau2)))


def markdown(summaries):
    lines = ["| cohorts | quantity | truth (Hz/min) | mean estimate | mean tau² | pooling | "
             "coverage of the truth (± MC se) | CI excludes 0 (± MC se) |",
             "|---|---|---|---|---|---|---|---|"]
    for label, what, pooling, s in summaries:
        lines.append(f"| {label} (N={s['n']}) | {what} | {s['truth']:+.2f} | {s['mean']:+.2f} | "
                     f"{s['tau2']:.1f} | {pooling} | {100 * s['coverage']:.1f}% ± "
                     f"{100 * s['coverage_se']:.1f} | {100 * s['excludes_zero']:.1f}% ± "
                     f"{100 * s['excludes_zero_se']:.1f} |")
    return "\n".join(lines)


def save_units(path, runs):
    """Every cohort's unit rows, for re-analysis with other pooling methods."""
    with open(path, "w") as f:
        f.write("effect\tcohort\tsubject\tcondition\tslope_per_min\tse_per_min\ttruth_rested"
                "\ttruth_fatigued\ttruth_contrast\n")
        for label, results in runs:
            for c, r in enumerate(results):
                t = [r[w][1] for w in ("rested", "fatigued", "contrast")]
                for s, cond, y, se in r["units"]:
                    f.write(f"{label}\t{c}\t{s}\t{cond}\t{y!r}\t{se!r}\t{t[0]!r}\t{t[1]!r}\t{t[2]!r}\n")


POOLINGS = ("mkh",)  # hksj, dl and others: scripts/fatigue_cohort_diagnose.py --units


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohorts", type=int, default=100, help="cohorts with and without (100)")
    ap.add_argument("--bin", default=os.environ.get("EMGKIT_BIN", "build/bin"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--truth-draws", type=int, default=400,
                    help="paired recordings measuring each truth (400)")
    ap.add_argument("--save", help="write every cohort's unit rows here (TSV)")
    ap.add_argument("--arms", default="without,with",
                    help="cohorts without and/or with the effect (without,with)")
    args = ap.parse_args()
    summaries, worst, compared, runs = [], 0.0, 0, []
    for label, effect, seed in (("without", 0.0, args.seed + 1),
                                ("with", COHORT["effect_hz_s"], args.seed + 2)):
        if label not in args.arms.split(","):
            continue
        with tempfile.TemporaryDirectory(prefix="fatigue_truth_") as tmp:
            truth = measure_truth(args.bin, seed, tmp, effect, args.truth_draws)
        print(f"effect {effect:+.2f} Hz/s: truth " + ", ".join(
            f"{k} {v:+.3f} +- {e:.3f}" for k, (v, e) in truth.items()) + " Hz/min",
            file=sys.stderr, flush=True)
        res, w, n = simulate_cohorts(args.bin, args.cohorts, seed, effect, truth, log=sys.stderr,
                                     poolings=POOLINGS)  # the same recordings each way
        worst, compared = max(worst, w), compared + n
        runs.append((label, res[POOLINGS[0]]))
        for what in ("rested", "fatigued", "contrast"):
            for pooling in POOLINGS:
                summaries.append((label, what, pooling, summarize(res[pooling], what)))
    if args.save:
        save_units(args.save, runs)
    print(markdown(summaries))
    print(f"\nstatsmodels agreement: largest relative difference {worst:.2e} over {compared} "
          f"pooled and contrast rows")


if __name__ == "__main__":
    main()
