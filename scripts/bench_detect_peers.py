#!/usr/bin/env python3
"""bench_detect_peers.py: emg-detect with its default options next to the
onset detectors of BioSPPy and NeuroKit2, on recordings with known
contractions, in one run.

    EMGKIT_PEERS=/work/peers scripts/bench_detect_peers.py [-b BUILD/bin] [--no-synth]

EMGKIT_PEERS names a folder holding the peers' source trees `BioSPPy/` and
`NeuroKit/` (see the project's peers notes); without it the script says so
and exits 77 (the skip code of the test suite; CI has no peers).  Peer code
is imported from there, never copied.  Needs numpy, scipy and pandas.

Recordings: the real ones with reference tables in tests/data (made by
scripts/detect_truth.py) and three simulated scenes (emg-synth voluntary,
cramp and tonic, seed 1; the truth is the simulator's event table).  Every
recording is read through emg-convert, so all tools see the same samples.

Per recording and detector: contractions found (a reference contraction is
found by the earliest unused detected segment overlapping it), extra
segments, median |onset error| (ms) over the found ones, run time and its
ratio to emg-detect's (emg-detect: the whole process, reading included;
peers: their processing of the samples in memory).

Detectors and parameters:
  emg-detect   defaults (no --rest: the rest level is estimated);
  BioSPPy      band-passed 20-450 Hz (zero-phase Butterworth, order 4) as
               emg-detect does; they need a rest segment: they get the
               longest stretch between reference contractions (an oracle the
               estimate of emg-detect does not get).  Parameters from the
               papers: Hodges & Bui 1996 25 ms window, 3 SD; Bonato 1998
               zeta 17.03, m 5, r0 1, shortest active state 30 ms; Lidierth
               1986 25 ms window, 3 SD, T1 25 ms, T2 10 ms; Abbink 1998
               (window 25 ms, 3 SD, transition threshold 3 SD, alarm window
               25 ms: our choice, the paper's values are not in BioSPPy),
               only on recordings of at most 50 000 samples (its search
               grows with the square of the time since the last alarm);
  NeuroKit2    emg_clean + emg_amplitude + emg_activation(method="threshold")
               with its default threshold (a tenth of the amplitude's SD) and
               minimum duration.
BioSPPy returns onsets and offsets as one sorted list: pairs are taken in
order (a last unpaired onset runs to the end).
"""
import argparse
import io
import os
import subprocess
import sys
import time
import types
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))

REAL = [
    ("emg_bursts", "datasets/plux_opensignals/emg_bursts.h5", 1),
    ("S10_EMG_bicep_intermittent", "datasets/backyardbrains_wav/S10_EMG_bicep_intermittent.wav", 1),
    ("S8_EMG_bicep_sustained", "datasets/backyardbrains_wav/S8_EMG_bicep_sustained.wav", 1),
]
SYNTH = [("voluntary", 1), ("cramp", 1), ("tonic", 1)]


def read_table(text):
    lines = [l.rstrip("\n").split("\t") for l in io.StringIO(text) if l.strip()]
    if not lines:
        return []
    head = lines[0]
    return [dict(zip(head, r)) for r in lines[1:]]


def load_samples(binp, path, ch):
    out = subprocess.run([os.path.join(binp, "emg-convert"), "-q", path, "-c", str(ch), "--to", "tsv", "-"],
                         check=True, capture_output=True, text=True).stdout
    d = np.loadtxt(io.StringIO(out), skiprows=1, ndmin=2)
    t, x = d[:, 0], d[:, 1]
    return 1.0 / np.median(np.diff(t[:1000])), x


def score(truth, pred):
    used = set()
    errs = []
    for on, off in truth:
        best = None
        for j, (a, b) in enumerate(pred):
            if j in used or min(b, off) <= max(a, on):
                continue
            if best is None or a < pred[best][0]:
                best = j
        if best is not None:
            used.add(best)
            errs.append(abs(pred[best][0] - on))
    med = 1000 * float(np.median(errs)) if errs else float("nan")
    return len(errs), len(pred) - len(used), med


def pairs(idx, n, fs):
    idx = sorted(int(i) for i in idx)
    out = []
    for k in range(0, len(idx), 2):
        a = idx[k]
        b = idx[k + 1] if k + 1 < len(idx) else n
        if b > a:
            out.append((a / fs, b / fs))
    return out


def rest_segment(truth, n, fs):
    """The longest stretch between reference contractions, 50 ms in from each side."""
    edges = [0.0] + [x for on, off in truth for x in (on, off)] + [n / fs]
    best = (0, 0)
    for k in range(0, len(edges), 2):
        a, b = edges[k] + 0.05, edges[k + 1] - 0.05
        if b - a > best[1] - best[0]:
            best = (a, b)
    return [int(best[0] * fs), int(best[1] * fs)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-b", "--bin", default=os.environ.get("EMGKIT_BIN", os.path.join(ROOT, "build", "bin")))
    ap.add_argument("--no-synth", action="store_true")
    ap.add_argument("--tmp", default=os.environ.get("TMPDIR", "/tmp") + "/emgkit-bench-detect")
    args = ap.parse_args()
    peers = os.environ.get("EMGKIT_PEERS")
    if not peers or not os.path.isdir(os.path.join(peers, "BioSPPy")) or not os.path.isdir(os.path.join(peers, "NeuroKit")):
        print("bench_detect_peers: skipped: set EMGKIT_PEERS to the folder holding BioSPPy/ and NeuroKit/")
        return 77
    sys.path[:0] = [os.path.join(peers, "NeuroKit"), os.path.join(peers, "BioSPPy")]
    # NeuroKit2 imports PyWavelets at the top level for time-frequency code the
    # EMG functions do not use; an empty stand-in lets it load without it.
    try:
        import pywt  # noqa: F401
    except ImportError:
        sys.modules["pywt"] = types.ModuleType("pywt")
    warnings.simplefilter("ignore")
    import neurokit2 as nk
    from biosppy.signals import emg as bemg
    from scipy.signal import butter, sosfiltfilt

    os.makedirs(args.tmp, exist_ok=True)
    recs = []
    for name, rel, ch in REAL:
        t = read_table(open(os.path.join(ROOT, "tests", "data", name + ".truth.tsv")).read())
        recs.append((name, os.path.join(ROOT, rel), str(ch),
                     [(float(r["onset"]), float(r["onset"]) + float(r["duration"])) for r in t]))
    if not args.no_synth:
        for sc, seed in SYNTH:
            h5 = os.path.join(args.tmp, "%s-%d.h5" % (sc, seed))
            subprocess.run([os.path.join(args.bin, "emg-synth"), "-q", "--scenario", sc, "--seed", str(seed), "-o", h5],
                           check=True, capture_output=True)
            ev = read_table(open(h5[:-3] + ".events.tsv").read())
            chn = next(r["channel"] for r in ev if r["channel"] != "n/a")
            truth = [(float(r["onset"]), float(r["onset"]) + float(r["duration"]))
                     for r in ev if r["channel"] == chn and r["label"] != "ischemic"]
            recs.append(("synth-%s-%d" % (sc, seed), h5, chn, truth))

    rows = []
    for name, path, ch, truth in recs:
        fs, x = load_samples(args.bin, path, ch)
        n = len(x)
        t0 = time.perf_counter()
        out = subprocess.run([os.path.join(args.bin, "emg-detect"), "-q", "-c", ch, path],
                             check=True, capture_output=True, text=True).stdout
        t_det = time.perf_counter() - t0
        pred = [(float(r["onset"]), float(r["onset"]) + float(r["duration"])) for r in read_table(out)]
        results = [("emg-detect", pred, t_det)]
        sos = butter(4, [20, min(450, 0.45 * fs)], "bandpass", fs=fs, output="sos")
        y = sosfiltfilt(sos, x)
        rest = rest_segment(truth, n, fs)
        w25 = max(1, int(round(0.025 * fs)))
        runs = [
            ("biosppy-hodges", lambda: bemg.hodges_bui_onset_detector(
                signal=y, rest=rest, sampling_rate=fs, size=w25, threshold=3)),
            ("biosppy-bonato", lambda: bemg.bonato_onset_detector(
                signal=y, rest=rest, sampling_rate=fs, threshold=17.03,
                active_state_duration=max(1, int(round(0.030 * fs / 2))), samples_above_fail=1, fail_size=5)),
            ("biosppy-lidierth", lambda: bemg.lidierth_onset_detector(
                signal=y, rest=rest, sampling_rate=fs, size=w25, threshold=3,
                active_state_duration=w25, fail_size=max(1, int(round(0.010 * fs))))),
        ]
        if n <= 50000:
            runs.append(("biosppy-abbink", lambda: bemg.abbink_onset_detector(
                signal=y, rest=rest, sampling_rate=fs, size=w25, alarm_size=w25, threshold=3,
                transition_threshold=3)))
        for label, fn in runs:
            t0 = time.perf_counter()
            try:
                res = fn()
                p = pairs(res["onsets"], n, fs)
            except Exception as e:  # a peer failing on a recording is a result too
                print("%s: %s: %s" % (name, label, e), file=sys.stderr)
                p = None
            results.append((label, p, time.perf_counter() - t0))
        t0 = time.perf_counter()
        try:
            cleaned = nk.emg_clean(x, sampling_rate=int(round(fs)))
            amp = nk.emg_amplitude(cleaned)
            _, info = nk.emg_activation(emg_amplitude=amp, sampling_rate=int(round(fs)), method="threshold")
            p = [(a / fs, b / fs) for a, b in zip(info["EMG_Onsets"], info["EMG_Offsets"])]
        except Exception as e:
            print("%s: neurokit2: %s" % (name, e), file=sys.stderr)
            p = None
        results.append(("neurokit2-threshold", p, time.perf_counter() - t0))
        for label, p, secs in results:
            if p is None:
                rows.append((name, label, len(truth), None, None, None, secs, secs / t_det))
                continue
            f, extra, med = score(truth, p)
            rows.append((name, label, len(truth), f, extra, med, secs, secs / t_det))
        sys.stdout.flush()

    print("| recording | detector | found | extra | median onset error (ms) | time (s) | time / emg-detect |")
    print("|---|---|---|---|---|---|---|")
    for name, label, nt, f, extra, med, secs, ratio in rows:
        if f is None:
            print("| %s | %s | failed | | | %.2f | %.1f |" % (name, label, secs, ratio))
        else:
            print("| %s | %s | %d/%d | %d | %s | %.2f | %.1f |" % (
                name, label, f, nt, extra, "-" if med != med else "%.0f" % med, secs, ratio))
    return 0


if __name__ == "__main__":
    sys.exit(main())
