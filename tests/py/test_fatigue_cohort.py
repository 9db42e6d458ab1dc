#!/usr/bin/env python3
"""emg-fatigue --cohort --group (issue 11), by a reduced run of scripts/fatigue_cohort.py:

- on simulated cohorts of 20 subjects x 2 conditions (rested, fatigued), every pooled
  and contrast row of the group table agrees with statsmodels' DerSimonian-Laird
  random-effects model (statsmodels.stats.meta_analysis.combine_effects) computed from
  the table's own unit rows, to a relative 1e-6: the default modified Knapp-Hartung
  interval (the larger of statsmodels' HKSJ and DL standard errors, t with k - 1 df),
  --pooling hksj (sd_eff_w_re_hksj, conf_int(use_t=True)) and --pooling dl;
- each unit row's standard error is the one implied by its trend row's interval
  (half-width over the Student quantile with n_eff - 2 df, scipy);
- with a clear effect (nominal -0.4 Hz/s) the fatigued condition and the contrast are
  found (interval below 0) in every cohort;
- coverage: 20 cohorts without and 20 with the effect (nominal -0.2 Hz/s), the truth
  in the tool's units measured by paired recordings (fatigue_cohort.measure_truth);
  of the 120 pooled and contrast 95% intervals at least the Monte Carlo band's lower
  end hold their truth, and of the 60 without an effect at most its upper end exclude 0
  (binomial bands at 0.5% per side, widened for the cohorts of one call sharing
  their recordings' durations; printed).
The full simulation (500 + 500 cohorts) is scripts/fatigue_cohort.py; its table is in
docs/methods/fatigue.md.

Run by ctest with EMGKIT_BIN and EMGKIT_SRC set."""
import os
import sys
import tempfile

BIN = os.environ["EMGKIT_BIN"]
sys.path.insert(0, os.path.join(os.environ["EMGKIT_SRC"], "scripts"))
try:
    import numpy as np
    from scipy import stats
    import statsmodels  # noqa: F401  (the independent implementation)
    import fatigue_cohort as fc
except ImportError as e:  # without NumPy/SciPy/statsmodels: skipped, as the other cross-checks
    print(f"skip: {e}")
    sys.exit(77)

TOLERANCE = 1e-6
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


fc.COHORT["durations_s"] = (30.0, 30.0)  # short recordings keep the sanitizer build quick

# statsmodels on the tool's own numbers, and the unit rows' standard errors.
with tempfile.TemporaryDirectory(prefix="fatigue_cohort_test_") as tmp:
    paths, table, _ = fc.make_cohorts(tmp, np.random.default_rng(21), -0.4, 2)
    trends, rows = fc.run_group(BIN, paths, table, tmp)
    by_pooling = {"mkh": rows}
    for pooling in ("hksj", "dl"):
        by_pooling[pooling] = fc.run_group(BIN, paths, table, tmp, ("--pooling", pooling))[1]
for pooling, got in by_pooling.items():
    worst, compared = fc.sm_disagreement(got, pooling)
    check(f"statsmodels agreement ({pooling}{', the default' if got is rows else ''}) on "
          f"{compared} pooled/contrast rows: largest relative difference {worst:.1e} <= "
          f"{TOLERANCE:g}", compared == 6 and worst <= TOLERANCE)
by_unit = {(t["file"], t["channel"]): t for t in trends}
se_worst = 0.0
for r in rows:
    if r["level"] != "unit":
        continue
    t = by_unit[(r["file"], r["channel"])]
    q = stats.t.ppf(0.975, float(t["n_eff"]) - 2)
    want = 60 * (float(t["ci_high"]) - float(t["ci_low"])) / (2 * q)
    se_worst = max(se_worst, abs(float(r["se_per_min"]) - want) / want)
check(f"unit standard errors from the trend intervals: relative difference {se_worst:.1e}",
      se_worst <= TOLERANCE)
subjects = {r["n_subjects"] for r in rows if r["level"] in ("pooled", "contrast")}
check(f"20 subjects in every pooled and contrast row ({subjects})", subjects == {"20"})
designs = {r["design"] for r in rows if r["level"] == "contrast"}
check(f"the contrast is paired within subjects ({designs})", designs == {"paired"})
for ch in sorted({r["channel"] for r in rows}):
    mine = {(r["level"], r["condition"]): r for r in rows if r["channel"] == ch}
    for key in (("pooled", "fatigued"), ("contrast", "fatigued")):
        r = mine[key]
        check(f"channel {ch}: {key[0]} {key[1]} {float(r['slope_per_min']):+.2f} Hz/min, CI "
              f"({float(r['ci_low_per_min']):+.2f}, {float(r['ci_high_per_min']):+.2f}) below 0",
              float(r["ci_high_per_min"]) < 0)

# Coverage of the truth, with and without an effect, and false positives without one.
COHORTS, CALL = 20, 10                       # cohorts per arm, cohorts per call
QUANTITIES = ("rested", "fatigued", "contrast")
covered = n_intervals = excluded = n_null = 0
for effect, seed in ((0.0, 22), (fc.COHORT["effect_hz_s"], 23)):
    with tempfile.TemporaryDirectory(prefix="fatigue_cohort_truth_") as tmp:
        truth = fc.measure_truth(BIN, seed, tmp, effect, count=100)
    res, w, n = fc.simulate_cohorts(BIN, COHORTS, seed, effect, truth, channels=CALL)
    check(f"effect {effect:+.1f} Hz/s: statsmodels agreement {w:.1e} over {n} rows",
          w <= TOLERANCE)
    for what in QUANTITIES:
        s = fc.summarize(res["mkh"], what, CALL)
        covered += round(s["coverage"] * s["n"])
        n_intervals += s["n"]
        print(f"  effect {effect:+.1f}: {what} truth {s['truth']:+.2f} Hz/min, mean estimate "
              f"{s['mean']:+.2f}, coverage {100 * s['coverage']:.0f}%, excludes 0 "
              f"{100 * s['excludes_zero']:.0f}%")
        if effect == 0:
            excluded += round(s["excludes_zero"] * s["n"])
            n_null += s["n"]
# Binomial bands at 0.5% per side, their width doubled in variance (design effect 2:
# the cohorts of one call share durations, and a cohort's three quantities its units).
design_effect = 2.0
low = n_intervals * 0.95 - stats.norm.isf(0.005) * np.sqrt(design_effect * n_intervals * 0.95 * 0.05)
high = n_null * 0.05 + stats.norm.isf(0.005) * np.sqrt(design_effect * n_null * 0.95 * 0.05)
check(f"{covered} of {n_intervals} 95% intervals hold their truth (>= {low:.1f}, band of 95%)",
      covered >= low)
check(f"without an effect {excluded} of {n_null} intervals exclude 0 (<= {high:.1f}, band of 5%)",
      excluded <= high)

sys.exit(1 if failures else 0)
