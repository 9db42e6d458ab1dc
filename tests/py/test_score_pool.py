"""test_score_pool.py: emg-score over many recordings (--pairs, --by-class,
--calibration), checked against independent computations:

- the pooled per-class counts equal the sums of the per-recording rows, and
  precision, recall and F1 follow from them;
- the bootstrap intervals agree with a NumPy percentile bootstrap over
  recordings of the same per-recording counts (2000 replicates each: the
  endpoints differ by Monte Carlo error only, tolerance 0.03);
- coverage by simulation: recordings with a random number of true events,
  each found with a recording-specific probability (Beta, mean 0.7) and
  some false alarms; over 100 simulated studies of 25 recordings, the 95%
  interval of the pooled recall covers the true 0.7 in 0.90-0.99 of them
  (the percentile bootstrap is known to run slightly narrow at this size);
- calibration bins count predictions and correct ones as Python does, with
  Wilson intervals as statsmodels' formula (written out here).

Run by ctest with EMGKIT_BIN and EMGKIT_TEST_TMP set."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
from scipy.stats import norm

BIN = os.environ["EMGKIT_BIN"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-score-pool")
os.makedirs(TMP, exist_ok=True)
failures = []
rng = np.random.default_rng(7)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def write_recording(k, p_detect, labels=("cramp", "tonic")):
    """One recording's truth and prediction tables; returns (truth path, pred path)."""
    truth, pred = [], []
    t = 5.0
    for _ in range(rng.integers(3, 12)):
        label = labels[rng.integers(len(labels))]
        dur = rng.uniform(2, 8)
        truth.append((t, dur, label))
        if rng.uniform() < p_detect:
            conf = rng.uniform(0.7, 1.0)
            pred.append((t + rng.uniform(-0.3, 0.3), dur * rng.uniform(0.8, 1.2), label, conf))
        t += dur + rng.uniform(5, 20)
    for _ in range(rng.poisson(0.5)):  # false alarms, less confident
        pred.append((t, 3.0, labels[rng.integers(len(labels))], rng.uniform(0.4, 0.8)))
        t += 10
    tp = os.path.join(TMP, "r%d.truth.tsv" % k)
    pp = os.path.join(TMP, "r%d.pred.tsv" % k)
    with open(tp, "w") as f:
        f.write("onset\tduration\tlabel\n" + "".join("%r\t%r\t%s\n" % e for e in truth))
    with open(pp, "w") as f:
        f.write("onset\tduration\tlabel\tconfidence\n" + "".join("%r\t%r\t%s\t%r\n" % e for e in pred))
    return os.path.basename(tp), os.path.basename(pp)


def score(pairs, *extra):
    sheet = os.path.join(TMP, "pairs.tsv")
    pd.DataFrame(pairs, columns=["truth", "pred"]).to_csv(sheet, sep="\t", index=False)
    by_class, cal, out = (os.path.join(TMP, n) for n in ("by_class.tsv", "cal.tsv", "scores.tsv"))
    done = subprocess.run([os.path.join(BIN, "emg-score"), "-q", "--pairs", sheet, "--by-class",
                           by_class, "--calibration", cal, "-o", out, *extra],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit("FAIL: emg-score: %s" % done.stderr)
    read = lambda p: pd.read_csv(p, sep="\t", na_values="n/a")
    return read(out), read(by_class), read(cal)


# A pool of i.i.d. recordings; studies draw from it.
pool = [write_recording(k, rng.beta(7, 3)) for k in range(400)]

# 1. Agreement with the per-recording rows and a NumPy bootstrap.
study = pool[:40]
rows, by_class, cal = score(study, "--bootstrap", "2000", "--seed", "3")
per = rows[(rows["file"] != "all") & (rows["class"] != "macro")]
for _, c in by_class[by_class["class"] != "macro"].iterrows():
    mine = per[per["class"] == c["class"]]
    check(c["tp"] == mine.tp.sum() and c["n_truth"] == mine.n_truth.sum() and
          c["n_pred"] == mine.n_pred.sum(), "%s: pooled counts" % c["class"])
    check(np.isclose(c["recall"], mine.tp.sum() / mine.n_truth.sum()), "%s: recall" % c["class"])
    counts = {}
    for f, g in per.groupby("file"):
        counts[f] = g.set_index("class")[["tp", "n_truth", "n_pred"]].reindex([c["class"]]).fillna(0).values[0]
    files = sorted(counts)
    arr = np.array([counts[f] for f in files])
    boot = np.random.default_rng(11).integers(0, len(files), size=(2000, len(files)))
    sums = arr[boot].sum(axis=1)
    rec = sums[:, 0] / sums[:, 1]
    lo, hi = np.percentile(rec[np.isfinite(rec)], [2.5, 97.5])
    check(abs(lo - c["recall_low"]) < 0.03 and abs(hi - c["recall_high"]) < 0.03,
          "%s: recall CI [%g, %g], numpy [%g, %g]" % (c["class"], c["recall_low"],
                                                      c["recall_high"], lo, hi))

# 2. Calibration table against Python.
preds = pd.concat([pd.read_csv(os.path.join(TMP, p), sep="\t") for _, p in study])
check(cal.n_pred.sum() == len(preds), "calibration: every prediction in a bin")
for _, b in cal.iterrows():
    inbin = preds[(preds.confidence >= b.bin_low) &
                  ((preds.confidence < b.bin_high) | (b.bin_high == cal.bin_high.max()))]
    check(len(inbin) == b.n_pred, "bin %g-%g: %d predictions, python %d" % (b.bin_low, b.bin_high,
                                                                          b.n_pred, len(inbin)))
    if b.n_pred:
        z, n, p = norm.ppf(0.975), b.n_pred, b.n_correct / b.n_pred
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        check(np.isclose(b.fraction_low, max(0, centre - half), atol=1e-5) and
              np.isclose(b.fraction_high, min(1, centre + half), atol=1e-5), "Wilson interval")
check(cal.n_correct.sum() == rows[(rows["file"] == "all") & (rows["class"] == "macro")].tp.iloc[0],
      "calibration: correct predictions are the true positives")

# 3. Coverage of the pooled-recall interval (true recall 0.7: mean of Beta(7, 3)).
covered = 0
studies = 100
for s in range(studies):
    pick = rng.choice(len(pool), size=25, replace=False)
    _, bc, _ = score([pool[i] for i in pick], "--bootstrap", "200", "--seed", str(s + 1))
    row = bc[bc["class"] == "cramp"].iloc[0]
    covered += row.recall_low <= 0.7 <= row.recall_high
coverage = covered / studies
print("coverage of the 95%% bootstrap interval of pooled recall: %.3f (%d studies)" %
      (coverage, studies))
check(0.90 <= coverage <= 0.99, "coverage %.3f outside 0.90-0.99" % coverage)

if failures:
    sys.exit("%d failures" % len(failures))
print("ok")
