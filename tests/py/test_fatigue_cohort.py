#!/usr/bin/env python3
"""emg-fatigue --cohort --group (issue 11), by a reduced run of scripts/fatigue_cohort.py:

- on simulated cohorts of 20 subjects x 2 conditions (rested, fatigued), every pooled
  and contrast row of the group table agrees with statsmodels' DerSimonian-Laird
  random-effects model (statsmodels.stats.meta_analysis.combine_effects, with the
  Hartung-Knapp-Sidik-Jonkman interval by default and the normal one with --pooling dl)
  computed from the table's own unit rows, to a relative 1e-6;
- each unit row's standard error is the one implied by its trend row's interval
  (half-width over the Student quantile with n_eff - 2 df, scipy);
- with a clear effect (nominal -0.4 Hz/s, ~ -19 Hz/min as measured; the power at
  -0.2 Hz/s is in the docs' table), the fatigued condition and the contrast are found
  (interval below 0) in every cohort;
- without one, the 95% intervals of the rested and fatigued pooled slopes and of the
  contrast exclude 0 in at most 2 of 12 (4 cohorts x 3; 5% expected, P(> 2) = 2%).
The full simulation (100 + 100 cohorts) is scripts/fatigue_cohort.py; its table is in
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
    _, rows_dl = fc.run_group(BIN, paths, table, tmp, ("--pooling", "dl"))
worst, compared = fc.sm_disagreement(rows)
check(f"statsmodels agreement (default, hksj) on {compared} pooled/contrast rows: largest "
      f"relative difference {worst:.1e} <= {TOLERANCE:g}", compared == 6 and worst <= TOLERANCE)
worst, compared = fc.sm_disagreement(rows_dl, "dl")
check(f"statsmodels agreement (--pooling dl) on {compared} rows: {worst:.1e}",
      compared == 6 and worst <= TOLERANCE)
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

# Without an effect: false positives of the pooled and contrast intervals.
null, w, n = fc.simulate_cohorts(BIN, 4, seed=22, effect=0.0, gain=1.0, channels=4)
null = null["hksj"]
check(f"statsmodels agreement without an effect: {w:.1e} over {n} rows", w <= TOLERANCE)
excluded = sum(fc.summarize([r], what)["excludes_zero"] for r in null
               for what in ("rested", "fatigued", "contrast"))
check(f"without an effect {excluded:.0f} of {3 * len(null)} intervals exclude 0 (<= 2)",
      excluded <= 2)

sys.exit(1 if failures else 0)
