#!/usr/bin/env python3
"""emg-fatigue --model exponential (issue 11): the curve a + b exp(-(t - t0)/tau) and the
curvature test agree with SciPy on the tool's own window series, and recover a simulated
decline that flattens.

- A simulated contraction (scripts/fatigue_calibration.py's generator, 120 s; MDF falling by 40 Hz
  with tau = 25 s towards a plateau, wandering SD 2 Hz) is analysed by emg-fatigue and its
  MDF window series by emg-features with the same options.  scipy.optimize.curve_fit on that
  series (ftol = xtol = gtol = 1e-15) must give the tool's plateau, amplitude and tau to a
  relative 1e-6 and, with --inference iid, their standard errors (sqrt(diag(pcov)), from the
  interval half-widths / t_{n-3}) to 1e-5; numpy least squares the quadratic term and its
  standard error to 1e-6.
- With the default inference the 95% interval of tau holds the simulated 25 s, and the
  curvature is positive with p < 0.01 (the decline flattens); a straight decline of
  -0.3 Hz/s shows no significant curvature (p > 0.01).

Run by ctest with EMGKIT_BIN and EMGKIT_SRC set; skipped (77) without NumPy/SciPy."""
import csv
import io
import os
import subprocess
import sys
import tempfile

BIN = os.environ["EMGKIT_BIN"]
sys.path.insert(0, os.path.join(os.environ["EMGKIT_SRC"], "scripts"))
try:
    import numpy as np
    from scipy import stats
    from scipy.optimize import curve_fit
    from scipy.io import wavfile
    import fatigue_calibration as cal
except ImportError as e:
    print(f"skip: {e}")
    sys.exit(77)

TAU_S, DROP_HZ, DURATION_S, FS = 25.0, 40.0, 120.0, 1000
OPTS = ["--features", "mdf", "-s", "0.5", "--noise-rms", "0.001", "--precision", "17", "-q"]
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def table(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return list(csv.DictReader(io.StringIO(res.stdout), delimiter="\t"))


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def curve(s, a, b, k):
    return a + b * np.exp(-k * s)


def compare_with_scipy(path):
    row = table([os.path.join(BIN, "emg-fatigue"), "--model", "exponential", "--inference",
                 "iid", *OPTS, path])[0]
    wins = table([os.path.join(BIN, "emg-features"), *OPTS, path])
    t = np.array([float(w["onset"]) + float(w["duration"]) / 2 for w in wins if w["flags"] == "ok"])
    y = np.array([float(w["mdf"]) for w in wins if w["flags"] == "ok"])
    s = t - t[0]
    n = len(s)
    check(f"n_windows {row['n_windows']} = {n} windows flagged ok", int(row["n_windows"]) == n)
    a, b, tau = float(row["plateau"]), float(row["amplitude"]), float(row["tau"])
    p, cov = curve_fit(curve, s, y, p0=(a * 1.02, b * 0.97, 1.05 / tau), ftol=1e-15,
                       xtol=1e-15, gtol=1e-15, maxfev=100000)
    se = np.sqrt(np.diag(cov))
    tq = stats.t.ppf(0.975, n - 3)
    tool_se = [(float(row[c + "_ci_high"]) - float(row[c + "_ci_low"])) / (2 * tq)
               for c in ("plateau", "amplitude")]
    for name, got, want in (("plateau", a, p[0]), ("amplitude", b, p[1]), ("tau", tau, 1 / p[2])):
        check(f"{name}: tool {got:.10g}, curve_fit {want:.10g}", rel(got, want) < 1e-6)
    for name, got, want in zip(("plateau", "amplitude"), tool_se, se[:2]):
        check(f"se({name}): tool {got:.8g}, curve_fit {want:.8g}", rel(got, want) < 1e-5)
    # tau's interval is the inverse of the rate's: 1 / (k + t se_k) .. 1 / (k - t se_k)
    check(f"tau_ci_low {row['tau_ci_low']} = 1 / (k + t se_k)",
          rel(float(row["tau_ci_low"]), 1 / (p[2] + tq * se[2])) < 1e-5)
    # the quadratic term, per minute^2, and its standard error
    u = s - s.mean()
    X = np.column_stack([np.ones(n), u, u * u])
    c, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ c
    se2 = np.sqrt(r @ r / (n - 3) * np.linalg.inv(X.T @ X)[2, 2])
    got_c2 = float(row["curvature_per_min2"]) / 3600
    got_se2 = (float(row["curvature_ci_high"]) - float(row["curvature_ci_low"])) / (2 * tq) / 3600
    check(f"curvature {got_c2:.8g} = numpy {c[2]:.8g}", rel(got_c2, c[2]) < 1e-6)
    check(f"se(curvature) {got_se2:.8g} = numpy {se2:.8g}", rel(got_se2, se2) < 1e-6)
    return n


def main():
    cal.SIM["mdf_sd_hz"] = 2.0
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as d:
        flat = os.path.join(d, "flattening.wav")
        wavfile.write(flat, FS, cal.simulate(
            rng, DURATION_S, FS, lambda t: -DROP_HZ * (1 - np.exp(-t / TAU_S))))
        straight = os.path.join(d, "straight.wav")
        wavfile.write(straight, FS, cal.simulate(rng, DURATION_S, FS, -0.3))
        compare_with_scipy(flat)
        row = table([os.path.join(BIN, "emg-fatigue"), "--model", "exponential", *OPTS, flat])[0]
        print("flattening:", {k: row[k] for k in ("plateau", "amplitude", "tau", "tau_ci_low",
                                                   "tau_ci_high", "exp_n_eff", "curvature_p")})
        lo, hi = float(row["tau_ci_low"]), row["tau_ci_high"]
        check(f"tau CI {lo:.3g}..{hi} holds {TAU_S:g} s",
              lo < TAU_S and (hi == "n/a" or float(hi) > TAU_S))
        check(f"curvature {row['curvature_per_min2']} > 0 with p {row['curvature_p']} < 0.01",
              float(row["curvature_per_min2"]) > 0 and float(row["curvature_p"]) < 0.01)
        row = table([os.path.join(BIN, "emg-fatigue"), "--model", "exponential", *OPTS, straight])[0]
        print("straight:", {k: row[k] for k in ("slope", "tau", "curvature_p")})
        check(f"straight decline: curvature p {row['curvature_p']} > 0.01",
              float(row["curvature_p"]) > 0.01)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
