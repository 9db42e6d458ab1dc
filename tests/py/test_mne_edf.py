#!/usr/bin/python3
"""test_mne_edf.py: EDF+ files written by emg-convert, read by MNE.

Two conversions, each checked against an independent reader (MNE-Python's
mne.io.read_raw_edf):

1. A 16-bit WAV made here with numpy, carrying the emgkit comment (names,
   full scale, unit, start time, three annotations, one of them for one
   channel), converted to EDF+.  MNE must see the channel names, the rate,
   the start time, the values (int16 / 32768 * full scale, in volts) within
   one quantisation step, and the annotations.  The recording lasts 4.5 s, so
   the last 1-s data record is padded and marked "Recording ends".
2. The Sleep-EDF excerpt (EDF, 100 Hz and 1 Hz signals) converted to EDF+:
   MNE must read the same names, rate and values from both files.

Prints what it compares; exits non-zero on any mismatch.
"""
import os
import shutil
import struct
import subprocess
import sys
import wave

import numpy as np

os.environ.setdefault("MNE_LOGGING_LEVEL", "ERROR")
import mne  # noqa: E402

BIN = os.environ.get("EMGKIT_BIN", "")
DATA = os.environ.get("EMGKIT_DATASETS", "")
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test_mne_edf")
CONVERT = os.path.join(BIN, "emg-convert")

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def make_wav(path):
    """Two channels at 2 kHz, 4.5 s, PCM16, with an emgkit LIST/INFO comment."""
    fs, n = 2000, 9000
    t = np.arange(n) / fs
    rng = np.random.default_rng(7)
    a = (12000 * np.sin(2 * np.pi * 60 * t) + rng.normal(0, 800, n)).round()
    b = (-20000 * np.sin(2 * np.pi * 35 * t) * np.exp(-t / 3)).round()
    codes = np.stack([a, b], axis=1).clip(-32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(fs)
        w.writeframes(codes.tobytes())
    comment = ("emgkit=1 fs=2000 full_scale=2.5,5 unit=mV names=EMG%20biceps,EMG%20triceps "
               "start=2024-03-05T10:20:30 "
               "ann=0.5:1.25:-1:contraction%201,2:0:-1:peak,3.2:0.4:1:triceps%20burst").encode()
    comment += b"\0" * (2 - len(comment) % 2)  # NUL-terminated, even length
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(comment)) + comment
    with open(path, "r+b") as f:
        f.seek(0, 2)
        f.write(b"LIST" + struct.pack("<I", len(info)) + info)
        size = f.tell()
        f.seek(4)
        f.write(struct.pack("<I", size - 8))
    full_scale = np.array([2.5, 5.0])
    volts = codes.astype(float).T / 32768.0 * full_scale[:, None] * 1e-3
    return fs, volts


def convert(src, dst):
    run = subprocess.run([CONVERT, src, dst], capture_output=True, text=True)
    print(f"$ emg-convert {os.path.basename(src)} {os.path.basename(dst)} -> {run.returncode}")
    if run.stderr:
        print(run.stderr.rstrip())
    check(run.returncode == 0, f"emg-convert {os.path.basename(src)} succeeded")
    return run.returncode == 0


def test_wav_to_edf():
    src = os.path.join(TMP, "annotated.wav")
    dst = os.path.join(TMP, "annotated.edf")
    fs, volts = make_wav(src)
    if not convert(src, dst):
        return
    raw = mne.io.read_raw_edf(dst, preload=True, verbose="ERROR")
    print("MNE channels:", raw.ch_names, "sfreq:", raw.info["sfreq"], "n_times:", raw.n_times)
    check(raw.ch_names == ["EMG biceps", "EMG triceps"], "channel names")
    check(raw.info["sfreq"] == fs, "sampling rate 2000 Hz")
    check(raw.n_times >= volts.shape[1], "all samples present (last record padded)")
    date = raw.info["meas_date"]
    check(date is not None and date.strftime("%Y-%m-%d %H:%M:%S") == "2024-03-05 10:20:30",
          f"start time {date}")
    data = raw.get_data()[:, : volts.shape[1]]
    for i, name in enumerate(raw.ch_names):
        step = 2 * [2.5, 5.0][i] * 1e-3 / 65535  # EDF step of the written range, in V
        worst = np.max(np.abs(data[i] - volts[i]))
        check(worst <= step, f"{name}: worst |MNE - source| = {worst:.3g} V <= step {step:.3g} V")
    got = [(round(o, 4), round(d, 4), s) for o, d, s in
           zip(raw.annotations.onset, raw.annotations.duration, raw.annotations.description)]
    print("MNE annotations:", got)
    expected = [(0.5, 1.25, "contraction 1"), (2.0, 0.0, "peak"),
                (3.2, 0.4, "triceps burst (EMG triceps)"), (4.5, 0.0, "Recording ends")]
    for e in expected:
        check(e in got, f"annotation {e}")
    check(len(got) == len(expected), f"{len(expected)} annotations, no others")


def read_edf_numpy(path):
    """Independent EDF reader: (fs, physical values) per signal, from the header."""
    with open(path, "rb") as f:
        raw = f.read()
    ns = int(raw[252:256])
    off = 0
    cols = {}
    for name, width in (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8),
                        ("dmin", 8), ("dmax", 8), ("prefilter", 80), ("spr", 8), ("reserved", 32)):
        cols[name] = [raw[256 + off + width * k:256 + off + width * (k + 1)] for k in range(ns)]
        off += width * ns
    n_records = int(raw[236:244])
    duration = float(raw[244:252])
    spr = [int(x) for x in cols["spr"]]
    record = np.frombuffer(raw[256 * (ns + 1):], dtype="<i2").reshape(n_records, sum(spr))
    out, at = [], 0
    for k in range(ns):
        pmin, pmax = float(cols["pmin"][k]), float(cols["pmax"][k])
        dmin, dmax = float(cols["dmin"][k]), float(cols["dmax"][k])
        d = record[:, at:at + spr[k]].reshape(-1).astype(float)
        unit = cols["unit"][k].decode("ascii").strip()
        out.append((spr[k] / duration, pmin + (d - dmin) * (pmax - pmin) / (dmax - dmin), unit))
        at += spr[k]
    return out


def unit_factor(unit):
    """MNE converts uV/mV to V; other units stay as they are."""
    return {"uV": 1e-6, "mV": 1e-3, "V": 1.0}.get(unit, 1.0)


def test_sleep_edf_round_trip():
    src = os.path.join(DATA, "sleepedf_excerpt", "short_psg.edf")
    dst = os.path.join(TMP, "sleep_plus.edf")
    if not convert(src, dst):
        return
    a = mne.io.read_raw_edf(src, preload=True, verbose="ERROR")
    b = mne.io.read_raw_edf(dst, preload=True, verbose="ERROR")
    check(a.ch_names == b.ch_names, f"Sleep-EDF names kept: {b.ch_names}")
    check(a.info["sfreq"] == b.info["sfreq"] == 100, "Sleep-EDF rate 100 Hz")
    check(a.n_times == b.n_times, f"Sleep-EDF length {b.n_times}")
    da, db = a.get_data(), b.get_data()
    native = read_edf_numpy(src)
    for i, name in enumerate(a.ch_names):
        fs, values, unit = native[i]
        if fs == 100:
            # Same data records' worth of samples: MNE returns them unchanged.
            worst = float(np.max(np.abs(da[i] - db[i])))
            scale = float(np.max(np.abs(da[i]))) or 1.0
            check(worst <= 1e-9 * scale, f"{name}: MNE reads identical values ({worst:.2g})")
        else:
            # MNE upsamples slow signals per data record; the source has 30-s
            # records, ours 1-s records of one sample each, which MNE holds
            # constant: compare those with the source's own samples.
            held = db[i][:: int(100 / fs)] / unit_factor(unit)
            worst = float(np.max(np.abs(held - values)))
            step = float(np.max(np.abs(values))) * 1e-6 + 1e-12
            check(worst <= step, f"{name} ({fs:g} Hz): held values = source samples ({worst:.2g})")
    check(a.info["meas_date"] == b.info["meas_date"], f"Sleep-EDF start {b.info['meas_date']}")


def main():
    if not os.path.exists(CONVERT):
        print(f"SKIP: {CONVERT} not built")
        return 77
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP, exist_ok=True)
    print("MNE", mne.__version__)
    test_wav_to_edf()
    test_sleep_edf_round_trip()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
