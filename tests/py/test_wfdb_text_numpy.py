#!/usr/bin/python3
"""WFDB and text input/output against independent NumPy decoders.

- The PhysioNet records in datasets/, decoded here with NumPy from the header(5)
  and signal(5) man pages (G. B. Moody, WFDB Programmer's Guide), equal what
  emgkit reads (emg-convert to TSV, whose numbers read back exactly).
- Records emgkit writes in formats 16, 212, 80, 24 and 32 pass the checks an
  original passes: the header parses, the signal file has the size the header
  implies, the checksum and initial value agree with the decoded samples, and
  the values lie within half a quantisation step of the source.
- A GRABMyo copy in format 16 keeps gains, baselines, initial values and
  checksums (compared mod 65536) and reproduces the .dat byte for byte.
- The UCI gesture file: emg-convert --resample equals numpy.interp on a 1 ms grid.
- CSV written by emgkit, read with numpy.loadtxt, equals the source.
"""
import os
import subprocess
import sys

import numpy as np

BIN = os.environ["EMGKIT_BIN"]
DATA = os.environ["EMGKIT_DATASETS"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-wfdb-text-numpy")
os.makedirs(TMP, exist_ok=True)
failures = []

EMGDB = os.path.join(DATA, "physionet_emgdb")
GRABMYO = os.path.join(DATA, "physionet_grabmyo", "session1_participant1_gesture11_trial1.hea")
UCI = os.path.join(DATA, "uci_gestures", "S01_1_raw_data_13-12_22.03.16.txt")
BITS = {"16": 16, "212": 12, "80": 8, "24": 24, "32": 32}


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    proc = subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), proc.returncode,
                                                     proc.stderr.decode(errors="replace")))
    return proc.stdout


def parse_header(path):
    """Record and signal lines of a single-segment header (header(5))."""
    lines = [l.split("#")[0].strip() for l in open(path)]
    lines = [l for l in lines if l]
    rec = lines[0].split()
    record = {"name": rec[0], "nsig": int(rec[1]), "fs": float(rec[2].split("/")[0]),
              "nsamp": int(rec[3]), "signals": []}
    for line in lines[1:1 + record["nsig"]]:
        tok = line.split(None, 8)
        fmt = tok[1].split("+")[0]
        gain_spec, _, unit = tok[2].partition("/")
        gain, _, base = gain_spec.partition("(")
        record["signals"].append({
            "file": tok[0], "fmt": fmt, "gain": float(gain),
            "baseline": int(base.rstrip(")")) if base else int(tok[4]), "unit": unit,
            "adcres": int(tok[3]), "adczero": int(tok[4]), "initval": int(tok[5]),
            "checksum": int(tok[6]), "desc": tok[8] if len(tok) > 8 else ""})
    return record


def decode(fmt, raw, n):
    """The first n samples of a signal file, in stream order (signal(5))."""
    if fmt == "16":
        return np.frombuffer(raw, "<i2")[:n].astype(np.int64)
    if fmt == "80":
        return np.frombuffer(raw, np.uint8)[:n].astype(np.int64) - 128
    if fmt == "24":
        b = np.frombuffer(raw[:3 * n], np.uint8).reshape(-1, 3).astype(np.int64)
        v = b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16
        return np.where(v >= 1 << 23, v - (1 << 24), v)
    if fmt == "32":
        return np.frombuffer(raw, "<i4")[:n].astype(np.int64)
    if fmt == "212":
        b = np.frombuffer(raw, np.uint8).astype(np.int64)
        b = np.concatenate([b, np.zeros((-len(b)) % 3, np.int64)]).reshape(-1, 3)
        v = np.empty(2 * len(b), np.int64)
        v[0::2] = b[:, 0] | (b[:, 1] & 0x0F) << 8
        v[1::2] = b[:, 2] | (b[:, 1] & 0xF0) << 4
        v = v[:n]
        return np.where(v >= 2048, v - 4096, v)
    raise ValueError(fmt)


def read_record(hea):
    """Digital and physical samples of a record whose signals share one file."""
    h = parse_header(hea)
    raw = open(os.path.join(os.path.dirname(hea), h["signals"][0]["file"]), "rb").read()
    fmt, nsig, n = h["signals"][0]["fmt"], h["nsig"], h["nsamp"]
    digital = decode(fmt, raw, n * nsig).reshape(n, nsig).T
    physical = []
    for s, d in zip(h["signals"], digital):
        invalid = d == -(1 << (BITS[fmt] - 1))
        physical.append(np.where(invalid, np.nan, (d - s["baseline"]) / s["gain"]))
    return h, raw, digital, np.array(physical)


def emgkit_table(path, *options, delimiter="\t"):
    """What emgkit reads from path: (header names, time column, channels x samples)."""
    out = run("emg-convert", *options, path, "-", "--to", "tsv" if delimiter == "\t" else "csv")
    text = out.decode()
    names = text.split("\n", 1)[0].split(delimiter)
    table = np.loadtxt(text.splitlines()[1:], delimiter=delimiter, ndmin=2)
    return names, table[:, 0], table[:, 1:].T


def test_originals():
    for rec in ("emg_healthy", "emg_myopathy", "emg_neuropathy"):
        hea = os.path.join(EMGDB, rec + ".hea")
        h, _, _, phys = read_record(hea)
        names, t, values = emgkit_table(hea)
        check(values.shape == phys.shape and np.array_equal(values, phys),
              "%s: emgkit samples equal the NumPy decoding (%d samples)" % (rec, h["nsamp"]))
        check(np.allclose(t, np.arange(h["nsamp"]) / h["fs"], rtol=0, atol=1e-9),
              "%s: time column k / %g Hz" % (rec, h["fs"]))
        check(names[1] == "EMG (mV)", "%s: column 'EMG (mV)' (got %r)" % (rec, names[1]))
    h, _, digital, phys = read_record(GRABMYO)
    _, _, values = emgkit_table(GRABMYO)
    check(np.array_equal(values, phys), "GRABMyo: 32 x 10240 samples equal the NumPy decoding")
    sums = digital.sum(axis=1) % 65536
    want = np.array([s["checksum"] % 65536 for s in h["signals"]])
    check(np.array_equal(sums, want), "GRABMyo: header checksums (unsigned) match the data")


def test_written_formats():
    src = os.path.join(EMGDB, "emg_neuropathy.hea")
    _, _, _, phys = read_record(src)
    for fmt in ("16", "212", "80", "24", "32"):
        out = os.path.join(TMP, "neuro_%s.hea" % fmt)
        run("emg-convert", "--wfdb-format", fmt, src, "-o", out)
        h = parse_header(out)
        s = h["signals"][0]
        dat = os.path.join(TMP, s["file"])
        n = h["nsamp"]
        size = os.path.getsize(dat)
        want_size = {"16": 2 * n, "80": n, "24": 3 * n, "32": 4 * n, "212": (3 * n + 1) // 2}[fmt]
        check(h["nsamp"] == 147858 and h["fs"] == 4000 and s["fmt"] == fmt,
              "format %s: record line 4000 Hz, 147858 samples" % fmt)
        check(size == want_size, "format %s: %s holds %d bytes (expected %d)" % (fmt, s["file"], size, want_size))
        check(s["adcres"] == BITS[fmt] and s["unit"] == "mV" and s["desc"] == "EMG",
              "format %s: ADC resolution, unit, description" % fmt)
        d = decode(fmt, open(dat, "rb").read(), n)
        check(int(d[0]) == s["initval"], "format %s: initial value %d" % (fmt, s["initval"]))
        check(int(d.sum()) % 65536 == s["checksum"] % 65536, "format %s: checksum" % fmt)
        back = (d - s["baseline"]) / s["gain"]
        err = np.max(np.abs(back - phys[0]))
        check(err <= 0.5 / s["gain"] + 1e-15,
              "format %s: max error %.3g <= half step %.3g" % (fmt, err, 0.5 / s["gain"]))
        if fmt in ("16", "24", "32"):
            check(s["gain"] == 10000 and np.array_equal(back, phys[0]),
                  "format %s: calibration 10000 adu/mV kept, samples exact" % fmt)


def test_grabmyo_copy():
    out = os.path.join(TMP, "grab_copy.hea")
    run("emg-convert", GRABMYO, "-o", out)
    a, b = parse_header(GRABMYO), parse_header(out)
    same = all(x[k] == y[k] for x, y in zip(a["signals"], b["signals"])
               for k in ("fmt", "gain", "baseline", "unit", "adcres", "adczero", "initval", "desc"))
    check(same and a["nsamp"] == b["nsamp"] and a["fs"] == b["fs"],
          "GRABMyo copy: same formats, gains, baselines, units, initial values, names")
    check(all(x["checksum"] % 65536 == y["checksum"] % 65536 for x, y in zip(a["signals"], b["signals"])),
          "GRABMyo copy: same checksums mod 65536")
    orig = open(GRABMYO[:-4] + ".dat", "rb").read()
    copy = open(os.path.join(TMP, "grab_copy.dat"), "rb").read()
    check(orig == copy, "GRABMyo copy: .dat identical byte for byte")


def test_uci_resample():
    d = np.loadtxt(UCI, skiprows=1)
    t = d[:, 0]
    grid = np.arange(t[0], t[-1] + 1)
    names, time, values = emgkit_table(UCI, "--resample")
    check(names[1:] == ["channel%d" % i for i in range(1, 9)], "UCI: 8 channels, no class column")
    check(len(time) == len(grid) == 65661, "UCI resampled: 65661 samples on a 1 ms grid")
    worst = max(np.max(np.abs(values[c] - np.interp(grid, t, d[:, 1 + c]))) for c in range(8))
    check(worst <= 1e-18, "UCI resampled: equals numpy.interp (max difference %.3g)" % worst)
    names, time, values = emgkit_table(UCI)
    check(np.array_equal(values, d[:, 1:9].T), "UCI as rows: equals numpy.loadtxt")


def test_csv_numpy():
    _, _, _, phys = read_record(GRABMYO)
    out = os.path.join(TMP, "grab.csv")
    run("emg-convert", GRABMYO, "-o", out)
    header = open(out).readline().strip().split(",")
    table = np.loadtxt(out, delimiter=",", skiprows=1)
    check(header[0] == "time (s)" and header[1] == "F1 (mV)" and len(header) == 33,
          "CSV header: time (s), F1 (mV) ... 32 channels")
    check(np.array_equal(table[:, 1:].T, phys), "CSV read by numpy.loadtxt equals the source exactly")
    check(np.allclose(table[:, 0], np.arange(10240) / 2048.0, rtol=0, atol=1e-12),
          "CSV time column k / 2048 Hz")


for test in (test_originals, test_written_formats, test_grabmyo_copy, test_uci_resample,
             test_csv_numpy):
    try:
        test()
    except Exception as e:  # a tool failure is a test failure with its message
        check(False, "%s: %s" % (test.__name__, e))
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
