#!/usr/bin/python3
"""eval_specificity.py: specificity of emg-label on real recordings (issue 17).

  eval_specificity.py manifest [-b BIN] [-m MANIFEST] [--show]
  eval_specificity.py run      [-b BIN] [-m MANIFEST] [-o OUTDIR] [-j N]

`manifest` (run once; its output is committed as tests/data/specificity_stretches.tsv)
cuts every real recording in datasets/ into rest and voluntary stretches with a
statistic that owes nothing to the labeller:

  * each channel is band-passed 20-450 Hz (4th-order zero-phase Butterworth, the
    upper edge at most 0.45 fs) and its RMS taken over centred 0.25 s windows,
    every 0.05 s;
  * the channel's rest level R is the median of the quietest 10 % of those windows
    (the first and last 0.5 s of the recording are left out everywhere: filter edges);
  * rest: runs where the 0.25 s RMS stays within R/1.25 .. 1.25 R, cut 0.25 s short
    at both ends, that last at least 2 s;
  * voluntary: runs where the 0.25 s RMS is above 4 R for at least 0.5 s (runs closer
    than 0.5 s joined), widened by 1 s on each side (never past the middle of the gap
    to the next contraction, nor into the edges) so that the labeller sees the rise,
    the fall and some rest around the contraction.

`run` labels every stretch with emg-label (-c CHANNEL -f FROM -t TO, the reader
options of the manifest): rest stretches in the rest and sleep contexts, where every
event is a false alarm; voluntary stretches in the movement context, where only
`voluntary` (or nothing) is right.  It also assembles "long real rest": per source
sampling rate, the rest stretches laid end to end (each detrended, scaled to unit
rest RMS with the manifest's `rms`, joined by 0.1 s equal-power cross-fades)
into one recording, labelled in the rest and sleep contexts.  And it runs the two
cases named in issue 17 (S10 10.8-13.2 s in sleep and rest; emg_healthy.hea with no
context and in movement).  It writes OUTDIR/events.tsv (every event with its stretch),
OUTDIR/summary.tsv and OUTDIR/summary.md (also printed).

summary.tsv columns: measure set context key events denominator unit rate.
  measure false_rest: events in rest stretches (set `stretches`) or in the long rest
    recordings (set `long`), per hour of rest; key ALL or LABEL/RULE.
  measure voluntary_spasm: non-voluntary labels on voluntary stretches in movement
    context, per voluntary stretch; key ALL_SPASM (spasm labels, tremor and mixed
    count: anything but voluntary and unclassified), unclassified, STRETCHES (stretches
    with at least one spasm label), or LABEL/RULE.
  measure named: events of a named case (key ALL or LABEL/RULE), denominator 1.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
DEFAULT_MANIFEST = os.path.join(SRC, "tests", "data", "specificity_stretches.tsv")

# Every real recording in datasets/ (not malformed/ nor scenarios/), with reader options.
# WHOLE: the recording is one voluntary contraction from start to end (PhysioNet's needle
# records: "the patient was asked to dorsiflex the foot gently against resistance" while
# the data were collected), so it has no rest and is one voluntary stretch per channel.
WHOLE = "whole-voluntary"
# sleepedf_excerpt/ is left out: its only EMG channel ('EMG submental') is a 1 Hz
# envelope, not EMG (emg-label does not label it either).
SOURCES = [
    ("backyardbrains_wav/S10_EMG_bicep_intermittent.wav", ""),
    ("backyardbrains_wav/S1_EMG_bicepTricep2.wav", ""),
    ("backyardbrains_wav/S5_EMG_abs_legLift1.wav", ""),
    ("backyardbrains_wav/S8_EMG_bicep_sustained.wav", ""),
    ("bitalino_txt/emg_1.txt", ""),
    ("physionet_emgdb/emg_healthy.hea", "", WHOLE),
    ("physionet_emgdb/emg_myopathy.hea", "", WHOLE),
    ("physionet_emgdb/emg_neuropathy.hea", "", WHOLE),
    ("physionet_grabmyo/session1_participant1_gesture11_trial1.hea", ""),
    ("plux_opensignals/emg_bursts.h5", ""),
    ("plux_opensignals/emg_fatigue.h5", ""),
    ("uci_gestures/S01_1_raw_data_13-12_22.03.16.txt", "--resample"),
]
SKIP_CHANNELS = {"U1", "U2", "U3", "U4"}  # GRABMyo's unused inputs

WIN, STEP, EDGE = 0.25, 0.05, 0.5
QUIET_FRACTION, QUIET_MIN, QUIET_MAX, QUIET_SHARE = 0.10, 1.5, 3.0, 0.10
REST_BAND, REST_MIN, REST_TRIM = 2.0, 2.0, 0.125
VOL_K, VOL_MIN, VOL_JOIN, VOL_PAD = 2.0, 0.5, 1.0, 1.0
XFADE = 0.1

REST_CONTEXTS = ("rest", "sleep")
NOT_SPASM = ("voluntary", "unclassified")

COLUMNS = ["file", "channel", "name", "kind", "from", "to", "fs", "rms", "options"]


def read_pipe(blob):
    """An emgkit pipe stream (docs/pipe-format.md): (channel header fields, [float64 arrays])."""
    import numpy as np
    import struct
    assert blob[:9] == b"EMGPIPE1\n", "not a pipe stream"
    pos, chans = 9, []
    while True:
        nl = blob.index(b"\n", pos)
        line = blob[pos:nl].decode("utf-8")
        pos = nl + 1
        if line == "end":
            break
        f = line.split("\t")
        if f[0] == "channel":
            chans.append(f[1:])
    parts = [[] for _ in chans]
    while True:
        tag, n = blob[pos:pos + 4], struct.unpack("<I", blob[pos + 4:pos + 8])[0]
        body = blob[pos + 8:pos + 8 + n]
        pos += 8 + n
        if tag == b"END!":
            break
        if tag == b"DATA":
            nch = struct.unpack("<I", body[:4])[0]
            counts = struct.unpack("<%dI" % nch, body[4:4 + 4 * nch])
            off = 4 + 4 * nch
            for k, c in enumerate(counts):
                parts[k].append(np.frombuffer(body, "<f8", c, off))
                off += 8 * c
    return chans, [np.concatenate(p) if p else np.zeros(0) for p in parts]


def write_pipe(path, chan, x):
    """One channel (its header fields from read_pipe) as a pipe stream."""
    import struct
    f = list(chan)
    f[3] = str(len(x))
    head = "EMGPIPE1\nstart_time\t\nsubject\t\nrecording\t\nchannel\t%s\nend\n" % "\t".join(f)
    with open(path, "wb") as out:
        out.write(head.encode("utf-8"))
        out.write(b"DATA" + struct.pack("<III", 8 + 8 * len(x), 1, len(x)))
        out.write(x.astype("<f8").tobytes())
        out.write(b"END!" + struct.pack("<IQ", 8, len(x)))


def load(bin_dir, path, options):
    """Every channel of a recording, through emg-convert to the pipe format:
    (channel header fields, [samples])."""
    cmd = [os.path.join(bin_dir, "emg-convert"), "-q"] + \
        (options.split() if options not in ("", "-") else []) + [path, "--to", "emg", "-"]
    return read_pipe(subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout)


def dump(bin_dir, path, options, extra=()):
    """Samples of a recording (all channels): (names, fs, array samples x channels)."""
    import numpy as np
    chans, xs = load(bin_dir, path, options)
    n = min(len(x) for x in xs)
    return [c[0] for c in chans], float(chans[0][2]), np.stack([x[:n] for x in xs], axis=1)


def bandpass(x, fs):
    from scipy import signal
    sos = signal.butter(4, [20.0, min(450.0, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x - x.mean())


def rms_track(y, fs):
    """Centred 0.25 s RMS every 0.05 s: (centres in s, rms)."""
    import numpy as np
    n, w = len(y), int(round(WIN * fs))
    c = np.concatenate(([0.0], np.cumsum(y * y)))
    centres = np.arange(EDGE + WIN / 2, n / fs - EDGE - WIN / 2 + 1e-9, STEP)
    lo = np.round(centres * fs).astype(int) - w // 2
    return centres, np.sqrt((c[lo + w] - c[lo]) / w)


def runs(mask):
    """[(i0, i1)] inclusive index runs where mask is true."""
    out, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def stationary_runs(e):
    """Greedy maximal runs (left to right) in which every 0.25 s RMS lies within
    REST_BAND of the run's median: [(i0, i1, median)]."""
    import numpy as np
    out, i, n = [], 0, len(e)
    while i < n:
        j = i + 1
        while j < n:
            seg = e[i:j + 1]
            m = float(np.median(seg))
            if seg.max() > REST_BAND * m or seg.min() < m / REST_BAND:
                break
            j += 1
        out.append((i, j - 1, float(np.median(e[i:j]))))
        i = j
    return out


def stretches(y, fs):
    import numpy as np
    centres, e = rms_track(y, fs)
    rest = float(np.median(np.sort(e)[:max(1, int(len(e) * QUIET_FRACTION))]))
    act = float(np.percentile(e, 95))
    quiet = max(QUIET_MIN * rest, min(QUIET_MAX * rest, rest + QUIET_SHARE * (act - rest)))
    dur = len(y) / fs
    out = []
    for q0, q1 in runs(e <= quiet):
        for i0, i1, m in stationary_runs(e[q0:q1 + 1]):
            a, b = centres[q0 + i0] + REST_TRIM, centres[q0 + i1] - REST_TRIM
            if b - a >= REST_MIN:
                out.append(("rest", a, b, m))
    act = [(centres[i0] - WIN / 2, centres[i1] + WIN / 2) for i0, i1 in runs(e > VOL_K * quiet)]
    joined = []
    for a, b in act:
        if joined and a - joined[-1][1] < VOL_JOIN:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    joined = [(a, b) for a, b in joined if b - a >= VOL_MIN]
    for k, (a, b) in enumerate(joined):
        lo = max(EDGE, a - VOL_PAD)
        hi = min(dur - EDGE, b + VOL_PAD)
        if k > 0:
            lo = max(lo, (joined[k - 1][1] + a) / 2)
        if k + 1 < len(joined):
            hi = min(hi, (b + joined[k + 1][0]) / 2)
        sel = (centres >= lo) & (centres <= hi)
        out.append(("voluntary", lo, hi, float(np.median(e[sel]))))
    out.sort(key=lambda s: s[1])
    return rest, quiet, centres, e, out


def cmd_manifest(args):
    import numpy as np
    rows = []
    for rel, options, *how in SOURCES:
        names, fs, data = dump(args.bin, os.path.join(SRC, "datasets", rel), options)
        for ch, name in enumerate(names, start=1):
            if name in SKIP_CHANNELS:
                continue
            y = bandpass(data[:, ch - 1], fs)
            rest, quiet, centres, e, found = stretches(y, fs)
            if how == [WHOLE]:
                found = [("voluntary", EDGE, len(y) / fs - EDGE, float(np.median(e)))]
            for kind, a, b, m in found:
                rows.append([rel, str(ch), name, kind, "%.3f" % a, "%.3f" % b, "%g" % round(fs, 3),
                             "%.6g" % m, options or "-"])
            if args.show:
                show(rel, ch, name, quiet, centres, e, found)
    with open(args.manifest, "w", encoding="utf-8") as f:
        f.write("# Rest and voluntary stretches of the real recordings in datasets/, found by\n"
                "# scripts/eval_specificity.py manifest (0.25 s RMS of the 20-450 Hz band; see its\n"
                "# docstring). Frozen: regenerate only on purpose. rms: median 0.25 s RMS of the band over\n"
                "# the stretch, in the reader's units; options: reader options for the file (- for none).\n")
        f.write("\t".join(COLUMNS) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print("%d stretches written to %s" % (len(rows), args.manifest), file=sys.stderr)


def show(rel, ch, name, rest, centres, e, found):
    """Text picture of the envelope (one character per 0.25 s): . at most Q, # above
    2 Q, - between; below it, the stretches (r rest, V voluntary)."""
    import numpy as np
    step = int(round(0.25 / STEP))
    line, marks = [], []
    for i in range(0, len(e), step):
        v = e[i] / rest
        line.append("." if v <= 1 else ("#" if v > VOL_K else "-"))
        t = centres[i]
        m = " "
        for kind, a, b, _ in found:
            if a <= t <= b:
                m = "r" if kind == "rest" else "V"
        marks.append(m)
    print("%s ch%d %s Q=%.3g max=%.1fQ" % (rel, ch, name, rest, float(np.max(e)) / rest))
    for k in range(0, len(line), 100):
        print("  %6.1f %s" % (centres[k * step] if k * step < len(centres) else 0, "".join(line[k:k + 100])))
        print("         %s" % "".join(marks[k:k + 100]))


def read_manifest(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if not l.startswith("#")]
    head = lines[0].split("\t")
    for l in lines[1:]:
        if l:
            rows.append(dict(zip(head, l.split("\t"))))
    return rows


def read_table(text):
    lines = [l for l in text.splitlines() if l]
    if not lines:
        return []
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:]]


def label_batch(bin_dir, paths, options, extra, jobs):
    """emg-label over many inputs in one run (-j): {input path: [event rows]}."""
    cmd = [os.path.join(bin_dir, "emg-label"), "-q", "-j", str(jobs)] + \
        (options.split() if options not in ("", "-") else []) + list(extra) + ["--inputs", "-"]
    p = subprocess.run(cmd, input="\n".join(paths).encode("utf-8") + b"\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode()[:400]))
    out = {path: [] for path in paths}
    for ev in read_table(p.stdout.decode("utf-8")):
        out[ev["file"]].append(ev)
    return out


def cut_stretches(bin_dir, rows, out_dir):
    """Each stretch as a recording of its own, in the pipe format: samples
    [round(from fs), round(to fs)) of its channel, as emg-label -c -f -t reads them (each
    source is read once, by emg-convert with the manifest's reader options).  Returns the
    cut paths, in manifest order."""
    os.makedirs(os.path.join(out_dir, "cut"), exist_ok=True)
    sources, cuts = {}, []
    for k, r in enumerate(rows):
        key = (r["file"], r["options"])
        if key not in sources:
            sources = {key: load(bin_dir, os.path.join(SRC, "datasets", r["file"]), r["options"])}
        chans, xs = sources[key]
        ch = int(r["channel"]) - 1
        fs = float(chans[ch][2])
        x = xs[ch][int(round(float(r["from"]) * fs)):int(round(float(r["to"]) * fs))]
        dst = os.path.join(out_dir, "cut", "%03d_%s.emg" % (k, r["kind"]))
        write_pipe(dst, chans[ch], x)
        cuts.append(dst)
    return cuts


def assemble_long(bin_dir, rows, cuts, out_dir):
    """Per source rate, the rest stretches end to end; returns [(path, fs, seconds, n)]."""
    import numpy as np
    groups = {}
    for r, c in zip(rows, cuts):
        if r["kind"] == "rest":
            groups.setdefault(r["fs"], []).append((r, c))
    made = []
    for fs_key, members in sorted(groups.items(), key=lambda kv: -float(kv[0])):
        pieces = []
        for r, c in members:
            x = read_pipe(open(c, "rb").read())[1][0]
            t = np.arange(len(x))
            x = x - np.polyval(np.polyfit(t, x, 1), t)
            pieces.append(x / float(r["rms"]))
        fs = float(fs_key)
        n = int(round(XFADE * fs))
        ramp = np.sin(np.linspace(0, np.pi / 2, n))
        out = pieces[0]
        for p in pieces[1:]:
            mid = out[-n:] * ramp[::-1] + p[:n] * ramp
            out = np.concatenate((out[:-n], mid, p[n:]))
        path = os.path.join(out_dir, "long_rest_%s.tsv" % fs_key.replace(".", "_"))
        with open(path, "w") as f:
            f.write("EMG_rest_%s\n" % fs_key.replace(".", "_"))
            np.savetxt(f, out, fmt="%.6g")
        made.append((path, fs_key, len(out) / fs, len(pieces)))
    return made


def key(ev):
    return "%s/%s" % (ev.get("label", "?"), ev.get("rule", "?"))


def cmd_run(args):
    rows = read_manifest(args.manifest)
    os.makedirs(args.out, exist_ok=True)
    cuts = cut_stretches(args.bin, rows, args.out)
    jobs = []  # (set, id, kind, context, seconds, path, options, extra)
    for i, r in enumerate(rows):
        path = cuts[i]
        base = []
        secs = float(r["to"]) - float(r["from"])
        sid = "%s:%s:%s-%s" % (r["file"], r["channel"], r["from"], r["to"])
        ctxs = REST_CONTEXTS if r["kind"] == "rest" else ("movement",)
        for ctx in ctxs:
            jobs.append(("stretches", sid, r["kind"], ctx, secs, path, "", base + ["--context", ctx]))
    longs = assemble_long(args.bin, rows, cuts, args.out)
    for path, fs_key, secs, n in longs:
        for ctx in REST_CONTEXTS:
            jobs.append(("long", "long rest %s Hz (%d stretches)" % (fs_key, n), "rest", ctx, secs, path,
                         "--fs " + fs_key, ["--context", ctx]))
    s10 = os.path.join(SRC, "datasets", "backyardbrains_wav", "S10_EMG_bicep_intermittent.wav")
    healthy = os.path.join(SRC, "datasets", "physionet_emgdb", "emg_healthy.hea")
    for ctx in REST_CONTEXTS:
        jobs.append(("named", "S10 10.8-13.2 s", "rest", ctx, 2.4, s10, "", ["-f", "10.8", "-t", "13.2",
                                                                               "--context", ctx]))
    jobs.append(("named", "emg_healthy.hea", "voluntary", "default", 12.715, healthy, "", []))
    jobs.append(("named", "emg_healthy.hea", "voluntary", "movement", 12.715, healthy, "",
                 ["--context", "movement"]))

    batches = {}
    for j in jobs:
        batches.setdefault((j[6], tuple(j[7])), []).append(j[5])
    found = {}
    for (options, extra), paths in batches.items():
        got = label_batch(args.bin, list(dict.fromkeys(paths)), options, extra, args.jobs)
        for path, evs in got.items():
            found[(options, extra, path)] = evs
    results = [found[(j[6], tuple(j[7]), j[5])] for j in jobs]

    with open(os.path.join(args.out, "events.tsv"), "w", encoding="utf-8") as f:
        cols = ["set", "stretch", "kind", "context", "onset", "duration", "channel", "label",
                "confidence", "rule", "note"]
        f.write("\t".join(cols) + "\n")
        for j, evs in zip(jobs, results):
            for ev in evs:
                f.write("\t".join([j[0], j[1], j[2], j[3]] + [ev.get(c, "n/a") for c in cols[4:]]) + "\n")

    summary = []  # (measure, set, context, key, events, denominator, unit)
    for st in ("stretches", "long"):
        for ctx in REST_CONTEXTS:
            sel = [(j, evs) for j, evs in zip(jobs, results) if j[0] == st and j[3] == ctx and j[2] == "rest"]
            hours = sum(j[4] for j, _ in sel) / 3600.0
            counts = {}
            for _, evs in sel:
                for ev in evs:
                    counts[key(ev)] = counts.get(key(ev), 0) + 1
            summary.append(("false_rest", st, ctx, "ALL", sum(counts.values()), hours, "h"))
            for k in sorted(counts, key=lambda k: -counts[k]):
                summary.append(("false_rest", st, ctx, k, counts[k], hours, "h"))
    sel = [(j, evs) for j, evs in zip(jobs, results) if j[0] == "stretches" and j[2] == "voluntary"]
    nvol = len(sel)
    counts, spasm, uncl, hit = {}, 0, 0, 0
    for _, evs in sel:
        bad = [ev for ev in evs if ev.get("label") != "voluntary"]
        for ev in bad:
            counts[key(ev)] = counts.get(key(ev), 0) + 1
        s = sum(1 for ev in bad if ev.get("label") not in NOT_SPASM)
        spasm += s
        uncl += sum(1 for ev in bad if ev.get("label") == "unclassified")
        hit += 1 if s else 0
    summary.append(("voluntary_spasm", "stretches", "movement", "ALL_SPASM", spasm, nvol, "stretch"))
    summary.append(("voluntary_spasm", "stretches", "movement", "unclassified", uncl, nvol, "stretch"))
    summary.append(("voluntary_spasm", "stretches", "movement", "STRETCHES", hit, nvol, "stretch"))
    for k in sorted(counts, key=lambda k: -counts[k]):
        summary.append(("voluntary_spasm", "stretches", "movement", k, counts[k], nvol, "stretch"))
    for j, evs in zip(jobs, results):
        if j[0] != "named":
            continue
        summary.append(("named", j[1], j[3], "ALL", len(evs), 1, "case"))
        for ev in evs:
            summary.append(("named", j[1], j[3], key(ev) + " %ss" % ev.get("duration", "?"), 1, 1, "case"))

    with open(os.path.join(args.out, "summary.tsv"), "w", encoding="utf-8") as f:
        f.write("measure\tset\tcontext\tkey\tevents\tdenominator\tunit\trate\n")
        for m, st, ctx, k, n, d, u in summary:
            rate = (n / d) if d else float("nan")
            f.write("%s\t%s\t%s\t%s\t%d\t%.6g\t%s\t%.6g\n" % (m, st, ctx, k, n, d, u, rate))

    md = markdown(rows, jobs, results, summary, longs)
    with open(os.path.join(args.out, "summary.md"), "w", encoding="utf-8") as f:
        f.write(md)
    print(md)


def markdown(rows, jobs, results, summary, longs):
    L = []
    rest_h = sum(float(r["to"]) - float(r["from"]) for r in rows if r["kind"] == "rest") / 3600
    nvol = sum(1 for r in rows if r["kind"] == "voluntary")
    L.append("Manifest: %d rest stretches, %.4f h (%.1f min) of real rest; %d voluntary stretches." %
             (sum(1 for r in rows if r["kind"] == "rest"), rest_h, rest_h * 60, nvol))
    L.append("")
    L.append("| recording | channels | rest stretches | rest (s) | voluntary stretches |")
    L.append("|---|---|---|---|---|")
    per = {}
    for r in rows:
        p = per.setdefault(r["file"], [set(), 0, 0.0, 0])
        p[0].add(r["channel"])
        if r["kind"] == "rest":
            p[1] += 1
            p[2] += float(r["to"]) - float(r["from"])
        else:
            p[3] += 1
    for f, (chs, nr, sr, nv) in per.items():
        L.append("| %s | %d | %d | %.1f | %d |" % (f, len(chs), nr, sr, nv))
    L.append("")
    L.append("Long real rest: " + "; ".join("%s Hz %.1f s from %d stretches" % (fk, s, n)
                                              for _, fk, s, n in longs) + ".")
    L.append("")
    L.append("False events on real rest (every event is a false alarm), per hour of rest:")
    L.append("")
    L.append("| set | context | label/rule | events | hours | per hour |")
    L.append("|---|---|---|---|---|---|")
    for m, st, ctx, k, n, d, u in summary:
        if m == "false_rest":
            L.append("| %s | %s | %s | %d | %.4f | %.0f |" % (st, ctx, k, n, d, n / d if d else float("nan")))
    L.append("")
    L.append("Voluntary stretches in the movement context (%d stretches): labels other than `voluntary`:" % nvol)
    L.append("")
    L.append("| label/rule | events | per stretch |")
    L.append("|---|---|---|")
    for m, st, ctx, k, n, d, u in summary:
        if m == "voluntary_spasm":
            name = {"ALL_SPASM": "all spasm labels (tremor, mixed included)",
                    "STRETCHES": "stretches with a spasm label"}.get(k, k)
            L.append("| %s | %d | %.2f |" % (name, n, n / d if d else float("nan")))
    L.append("")
    L.append("Named cases of issue 17:")
    L.append("")
    L.append("| case | context | events (label/rule duration) |")
    L.append("|---|---|---|")
    for j, evs in zip(jobs, results):
        if j[0] == "named":
            L.append("| %s | %s | %s |" % (j[1], j[3], "; ".join(
                "%s/%s %ss" % (e.get("label"), e.get("rule"), e.get("duration")) for e in evs) or "none"))
    return "\n".join(L) + "\n"


def main():
    global REST_BAND
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=("manifest", "run"))
    ap.add_argument("-b", "--bin", default=os.environ.get("EMGKIT_BIN", os.path.join(SRC, "build", "bin")))
    ap.add_argument("-m", "--manifest", default=DEFAULT_MANIFEST)
    ap.add_argument("-o", "--out", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "emgkit-specificity"))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--show", action="store_true", help="manifest: print each channel's envelope")
    ap.add_argument("--rest-band", type=float, default=REST_BAND,
                    help="manifest: a rest stretch's 0.25 s RMS stays within this factor of its median")
    args = ap.parse_args()
    REST_BAND = args.rest_band
    (cmd_manifest if args.command == "manifest" else cmd_run)(args)


if __name__ == "__main__":
    main()
