#!/usr/bin/env python3
"""Fatigue before events (issue 11): on simulated nights whose cramps follow 2 min of
falling conduction velocity (emg-synth --scenario nocturnal-cramp-fatigue), emg-fatigue
--events --lead 120 finds the MDF fall before the cramps and not in the control
windows; on the same nights without the fall (nocturnal-cramp-steady) it finds none.

Also checks the windows themselves: every lead window ends at its cramp's onset, and
no control window comes within the guard of a cramp or its lead window.

Run by ctest with EMGKIT_BIN set; the tables are printed (docs/methods/fatigue.md)."""
import csv
import io
import os
import subprocess
import sys
import tempfile

BIN = os.environ["EMGKIT_BIN"]
NIGHTS = (3, 4, 5)        # seeds
LEAD, GUARD = 120, 60     # s
failures = []


def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def tsv(text):
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def nights(tmp, scenario):
    """Simulate the nights; their paths and one event table of their cramps (file column)."""
    paths, rows = [], []
    for seed in NIGHTS:
        path = os.path.join(tmp, f"{scenario}-{seed}.wav")
        subprocess.run([os.path.join(BIN, "emg-synth"), "--scenario", scenario, "--seed",
                        str(seed), "--rate", "1000", "-o", path], check=True)
        with open(path[:-4] + ".events.tsv") as f:
            for e in csv.DictReader(f, delimiter="\t"):
                rows.append(f"{path}\t{e['onset']}\t{e['duration']}\t{e['channel']}\t{e['label']}")
        paths.append(path)
    table = os.path.join(tmp, f"{scenario}.events.tsv")
    with open(table, "w") as f:
        f.write("file\tonset\tduration\tchannel\tlabel\n" + "\n".join(rows) + "\n")
    return paths, table


def analyse(tmp, scenario):
    paths, table = nights(tmp, scenario)
    group = os.path.join(tmp, f"{scenario}.group.tsv")
    res = subprocess.run([os.path.join(BIN, "emg-fatigue"), "--features", "mdf", "-c", "1",
                          "--events", table, "--event-label", "cramp", "--lead", str(LEAD),
                          "--guard", str(GUARD), "--group", group, *paths],
                         capture_output=True, text=True)
    check(f"{scenario}: emg-fatigue exit 0 ({res.stderr.strip()[:300]})", res.returncode == 0)
    with open(group) as f:
        return tsv(res.stdout), list(csv.DictReader(f, delimiter="\t")), table


def check_windows(scenario, windows, table):
    with open(table) as f:
        cramps = [e for e in csv.DictReader(f, delimiter="\t") if e["label"] == "cramp"]
    for w in windows:
        on, end = float(w["onset"]), float(w["onset"]) + float(w["duration"])
        mine = [(float(e["onset"]), float(e["duration"])) for e in cramps if e["file"] == w["file"]]
        if w["window"] == "pre_event":
            ok = any(abs(end - o) < 1e-6 for o, _ in mine)
        else:
            ok = all(end + GUARD <= o - LEAD + 1e-6 or on >= o + d + GUARD - 1e-6 for o, d in mine)
        if not ok:
            check(f"{scenario}: {w['window']} window {on:g}-{end:g} s of {w['file']} placed "
                  f"by the rule", False)
    pre = sum(w["window"] == "pre_event" for w in windows)
    check(f"{scenario}: a lead window before each of the {len(cramps)} cramps ({pre})",
          pre == len(cramps))
    check(f"{scenario}: control windows ({sum(w['window'] == 'control' for w in windows)})",
          any(w["window"] == "control" for w in windows))


def show(scenario, windows, group):
    print(f"\n{scenario}: windows (MDF slope Hz/min, 95% CI, n_eff, status)")
    for w in windows:
        print(f"  {os.path.basename(w['file'])} {w['window']:9s} {float(w['onset']):8.1f} s "
              f"{60 * float(w['slope']):+7.2f} ({60 * float(w['ci_low']):+.2f}, "
              f"{60 * float(w['ci_high']):+.2f}) n_eff {w['n_eff']} {w['status']}")
    print(f"{scenario}: group rows")
    for r in group:
        if r["level"] in ("pooled", "contrast"):
            print(f"  {r['level']:8s} {r['condition']:9s} {r['reference']:8s} {r['design']:6s} "
                  f"k={r['n_subjects']} units={r['n_units']} {float(r['slope_per_min']):+.2f} "
                  f"({float(r['ci_low_per_min']):+.2f}, {float(r['ci_high_per_min']):+.2f}) "
                  f"p={r['p_value']} tau2={r['tau2']}")


def row(group, level, condition):
    (r,) = [r for r in group if r["level"] == level and r["condition"] == condition]
    return float(r["slope_per_min"]), float(r["ci_low_per_min"]), float(r["ci_high_per_min"])


with tempfile.TemporaryDirectory(prefix="fatigue_events_") as tmp:
    for scenario, fall in (("nocturnal-cramp-fatigue", True), ("nocturnal-cramp-steady", False)):
        windows, group, table = analyse(tmp, scenario)
        show(scenario, windows, group)
        check_windows(scenario, windows, table)
        pre, ctl, diff = (row(group, "pooled", "pre_event"), row(group, "pooled", "control"),
                          row(group, "contrast", "pre_event"))
        check(f"{scenario}: control windows: pooled MDF slope {ctl[0]:+.2f} Hz/min, CI "
              f"({ctl[1]:+.2f}, {ctl[2]:+.2f}) holds 0", ctl[1] <= 0 <= ctl[2])
        if fall:
            check(f"{scenario}: before the cramps MDF falls: {pre[0]:+.2f} Hz/min, CI below 0",
                  pre[2] < 0)
            check(f"{scenario}: pre-event minus control {diff[0]:+.2f} Hz/min, CI below 0",
                  diff[2] < 0)
        else:
            check(f"{scenario}: before the cramps no fall: {pre[0]:+.2f} Hz/min, CI "
                  f"({pre[1]:+.2f}, {pre[2]:+.2f}) holds 0", pre[1] <= 0 <= pre[2])
            check(f"{scenario}: pre-event minus control {diff[0]:+.2f} Hz/min, CI "
                  f"({diff[1]:+.2f}, {diff[2]:+.2f}) holds 0", diff[1] <= 0 <= diff[2])

sys.exit(1 if failures else 0)
