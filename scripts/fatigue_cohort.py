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
estimate; ~0.78, docs/methods/fatigue.md, "Calibration"), so the truth in the tool's
units is gain * delta, the gain measured on separate recordings (60 s, -0.5 Hz/s).

Several cohorts run in one call: every file holds C channels, channel c of all files
being cohort c (the group table pools per channel and feature).

Usage: scripts/fatigue_cohort.py [--cohorts 100] [--bin build/bin] [--seed 1]
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
    u = rng.normal(0, COHORT["subject_sd_hz_s"], (channels, n))
    slopes = np.stack([u + rng.normal(0, COHORT["session_sd_hz_s"], (channels, n)),
                       effect + u + rng.normal(0, COHORT["session_sd_hz_s"], (channels, n))],
                      axis=2)
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
    pooling "hksj": the Hartung-Knapp-Sidik-Jonkman se and t interval (k - 1 df)."""
    from statsmodels.stats.meta_analysis import combine_effects
    y, se = np.asarray(y, float), np.asarray(se, float)
    if len(y) == 1:
        z = stats.norm.isf((1 - CONFIDENCE) / 2)
        return dict(estimate=y[0], se=se[0], ci_low=y[0] - z * se[0], ci_high=y[0] + z * se[0],
                    p=2 * stats.norm.sf(abs(y[0] / se[0])))
    r = combine_effects(y, se ** 2, method_re="dl", alpha=1 - CONFIDENCE)
    hksj = pooling == "hksj"
    ci_fe, ci_re, ci_fe_hk, ci_re_hk = r.conf_int(alpha=1 - CONFIDENCE, use_t=hksj)
    # statsmodels 0.13.5 leaves DL's tau^2 negative when Q < k - 1; DerSimonian & Laird
    # (1986) truncate it at 0, where the random-effects result is the fixed-effect one.
    if r.tau2 < 0:
        m, tau2 = r.mean_effect_fe, 0.0
        sd, (lo, hi) = (r.sd_eff_w_fe_hksj, ci_fe_hk) if hksj else (r.sd_eff_w_fe, ci_fe)
    else:
        m, tau2 = r.mean_effect_re, r.tau2
        sd, (lo, hi) = (r.sd_eff_w_re_hksj, ci_re_hk) if hksj else (r.sd_eff_w_re, ci_re)
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


def sm_expected(group_rows, pooling="hksj"):
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


def sm_disagreement(group_rows, pooling="hksj"):
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

def measure_gain(bin_dir, rng, directory, count=60, nominal=-0.5):
    """Mean estimated MDF slope over nominal, on separate 60 s recordings."""
    paths = cal.make_recordings(directory, rng, count, nominal, durations=(60.0, 60.0),
                                rates=(COHORT["rate_hz"],), channels=10)
    rows = cal.run_fatigue(bin_dir, paths, 0.5)
    for p in paths:
        os.remove(p)
    s = np.array([float(r["slope"]) for r in rows.values()])
    return float(s.mean() / nominal), float(s.std(ddof=1) / np.sqrt(len(s)) / abs(nominal))


def add_cohorts(results, rows, gain, effect):
    """One entry per channel (cohort) of a group table."""
    for ch in sorted({r["channel"] for r in rows}):
        mine = {(r["level"], r["condition"]): r for r in rows
                if r["channel"] == ch and r["level"] in ("pooled", "contrast")}
        results.append({"rested": (mine[("pooled", "rested")], 0.0),
                        "fatigued": (mine[("pooled", "fatigued")], 60 * gain * effect),
                        "contrast": (mine[("contrast", "fatigued")], 60 * gain * effect)})


def simulate_cohorts(bin_dir, n_cohorts, seed, effect, gain, channels=None, log=None,
                     poolings=("hksj",)):
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
                add_cohorts(results[pooling], rows, gain, effect)
            for p in paths:
                os.remove(p)
            done += c
            if log:
                print(f"effect {effect:+.2f} Hz/s: {done}/{n_cohorts} cohorts", file=log, flush=True)
    return results, worst, compared


def summarize(results, what):
    """Coverage of the truth, share of intervals excluding 0, mean estimate, mean tau2."""
    cover = excl = 0
    est, tau2 = [], []
    for r in results:
        row, truth = r[what]
        lo, hi = num(row["ci_low_per_min"]), num(row["ci_high_per_min"])
        cover += lo <= truth <= hi
        excl += lo > 0 or hi < 0
        est.append(num(row["slope_per_min"]))
        tau2.append(num(row["tau2"]))
    n = len(results)
    return dict(n=n, coverage=cover / n, excludes_zero=excl / n, mean=float(np.mean(est)),
                truth=results[0][what][1], tau2=float(np.nanmean(tau2)))


def markdown(summaries):
    lines = ["| cohorts | quantity | truth (Hz/min) | mean estimate | mean tau² | pooling | "
             "coverage of the truth | CI excludes 0 |", "|---|---|---|---|---|---|---|---|"]
    for label, what, pooling, s in summaries:
        lines.append(f"| {label} (N={s['n']}) | {what} | {s['truth']:+.2f} | {s['mean']:+.2f} | "
                     f"{s['tau2']:.1f} | {pooling} | {100 * s['coverage']:.1f}% | "
                     f"{100 * s['excludes_zero']:.1f}% |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohorts", type=int, default=100, help="cohorts with and without (100)")
    ap.add_argument("--bin", default=os.environ.get("EMGKIT_BIN", "build/bin"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fatigue_gain_") as tmp:
        gain, gain_se = measure_gain(args.bin, np.random.default_rng(args.seed), tmp)
    print(f"gain {gain:.3f} (se {gain_se:.3f})", file=sys.stderr)
    summaries, worst, compared = [], 0.0, 0
    for label, effect, seed in (("without", 0.0, args.seed + 1),
                                ("with", COHORT["effect_hz_s"], args.seed + 2)):
        res, w, n = simulate_cohorts(args.bin, args.cohorts, seed, effect, gain, log=sys.stderr,
                                     poolings=("hksj", "dl"))  # the same recordings both ways
        worst, compared = max(worst, w), compared + n
        for what in ("rested", "fatigued", "contrast"):
            for pooling in ("hksj", "dl"):
                summaries.append((label, what, pooling, summarize(res[pooling], what)))
    print(markdown(summaries))
    print(f"\nstatsmodels agreement: largest relative difference {worst:.2e} over {compared} "
          f"pooled and contrast rows; gain {gain:.3f} +- {gain_se:.3f}")


if __name__ == "__main__":
    main()
