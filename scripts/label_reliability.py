#!/usr/bin/env python3
"""label_reliability.py: reliability of emg-label's confidence (issue 12 item 3).

    scripts/label_reliability.py DIR [DIR ...] [--bins 0.5,0.6,0.7,0.8,0.9,1.0] [--iou 0.3]

Reads the per-scene outputs that scripts/eval_label.sh, eval_altsim.sh and
eval_realsim.sh leave in their output directories (SCENE.labels.tsv from
emg-label, SCENE.events.tsv the truth), matches every predicted event to the
truth events of its scene with the same label (the same rule as emg-score:
same label, intersection over union >= 0.3; rest, artefact and prodrome rows
are not events), and prints, per confidence bin, how many predictions fell in
it and which fraction was correct: a Markdown table for the docs.  Confidence
is a ranking aid; a reliable one has a fraction correct that rises with the
bin.  Standard library only.
"""
import argparse
import csv
import glob
import os
import sys

NOT_EVENTS = {"rest", "artefact", "artifact", "prodrome"}


def rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def iou(a0, a1, b0, b1):
    inter = max(0.0, min(a1, b1) - max(a0, b0))
    union = max(a1, b1) - min(a0, b0)
    return inter / union if union > 0 else 0.0


def scene_pairs(directory):
    """(confidence, correct) for every prediction of every scene in directory."""
    out = []
    for labels in sorted(glob.glob(os.path.join(directory, "*.labels.tsv"))):
        truth_path = labels[: -len(".labels.tsv")] + ".events.tsv"
        if not os.path.exists(truth_path):
            continue
        truth = [(float(t["onset"]), float(t["onset"]) + float(t["duration"]), t["label"])
                 for t in rows(truth_path) if t["label"] not in NOT_EVENTS]
        for p in rows(labels):
            try:
                conf = float(p["confidence"])
            except (KeyError, ValueError):
                continue
            p0 = float(p["onset"])
            p1 = p0 + float(p["duration"])
            ok = any(lab == p["label"] and iou(p0, p1, t0, t1) >= ARGS.iou
                     for t0, t1, lab in truth)
            out.append((conf, ok))
    return out


def main():
    pairs = []
    for d in ARGS.dirs:
        pairs += scene_pairs(d)
    if not pairs:
        sys.exit("no SCENE.labels.tsv with SCENE.events.tsv found")
    edges = [float(x) for x in ARGS.bins.split(",")]
    print("| confidence | predictions | correct | fraction correct |")
    print("|---|---|---|---|")
    lo = 0.0
    for hi in edges:
        inbin = [ok for c, ok in pairs if lo <= c < hi or (hi == edges[-1] and c == hi)]
        frac = "%.2f" % (sum(inbin) / len(inbin)) if inbin else "-"
        print("| %.2f-%.2f | %d | %d | %s |" % (lo, hi, len(inbin), sum(inbin), frac))
        lo = hi
    print("\n%d predictions from %s" % (len(pairs), ", ".join(ARGS.dirs)))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--bins", default="0.5,0.6,0.7,0.8,0.9,1.0")
    ap.add_argument("--iou", type=float, default=0.3)
    ARGS = ap.parse_args()
    main()
