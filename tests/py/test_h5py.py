"""test_h5py.py: HDF5 files written by emg-convert, read back with h5py.

Each source recording is read here independently of emgkit (WFDB .hea/.dat and
EDF with numpy, PLUX OpenSignals with h5py and the PLUX EMG transfer function),
converted with emg-convert to the emgkit HDF5 layout (docs/hdf5-layout.md),
and the h5py view of the output must carry the same channel names, rates,
units, calibration and values.

Run by ctest with EMGKIT_BIN, EMGKIT_DATASETS and EMGKIT_TEST_TMP set."""
import os
import re
import subprocess
import sys

import h5py
import numpy as np

BIN = os.environ["EMGKIT_BIN"]
DATA = os.environ["EMGKIT_DATASETS"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-h5py")
os.makedirs(TMP, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def convert(src, dst, *extra):
    cmd = [os.path.join(BIN, "emg-convert"), *extra, src, "-o", dst]  # -o: replaced every run
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit("FAIL: %s exited %d: %s" % (" ".join(cmd), done.returncode, done.stderr))
    return done


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def channels(h5):
    """The channel datasets of an emgkit file, in channel order."""
    group = h5["recording/channels"]
    return [group[str(i)] for i in range(len(group))]


def check_layout(h5, path):
    check(text(h5.attrs["emgkit_format"]) == "emgkit-hdf5", path + ": emgkit_format")
    check(int(h5.attrs["version"]) == 1, path + ": version")
    prov = [text(p) for p in h5["recording"].attrs["provenance"]]
    check(any(p.startswith("emg-convert") for p in prov), path + ": provenance %r" % prov)
    ann = h5["recording/annotations"]
    lengths = {len(ann[c]) for c in ("onset", "duration", "channel", "text")}
    check(len(lengths) == 1, path + ": annotation columns of equal length")


# ------------------------------------------------------------------ WFDB

def read_wfdb(hea):
    """Signals of a format-16 WFDB record in physical units, parsed here."""
    lines = [l for l in open(hea) if l.strip() and not l.startswith("#")]
    name, n_sig, fs, n_samples = lines[0].split()[:4]
    n_sig, fs, n_samples = int(n_sig), float(fs), int(n_samples)
    sigs = []
    for line in lines[1:1 + n_sig]:
        f = line.split()
        m = re.match(r"([-\d.eE+]+)(?:\(([-\d]+)\))?(?:/(\S+))?", f[2])
        gain = float(m.group(1))
        baseline = int(m.group(2)) if m.group(2) is not None else int(f[4])
        unit = m.group(3) or "mV"
        sigs.append(dict(file=f[0], fmt=f[1], gain=gain, baseline=baseline, unit=unit,
                         desc=" ".join(f[8:]) if len(f) > 8 else ""))
    assert all(s["fmt"] == "16" and s["file"] == sigs[0]["file"] for s in sigs)
    raw = np.fromfile(os.path.join(os.path.dirname(hea), sigs[0]["file"]), dtype="<i2")
    raw = raw[: n_samples * n_sig].reshape(n_samples, n_sig).astype(np.float64)
    return fs, sigs, raw


def test_wfdb(record):
    hea = os.path.join(DATA, record + ".hea")
    fs, sigs, raw = read_wfdb(hea)
    out = os.path.join(TMP, os.path.basename(record) + ".h5")
    convert(hea, out)
    with h5py.File(out, "r") as h5:
        check_layout(h5, out)
        chans = channels(h5)
        check(len(chans) == len(sigs), out + ": %d channels, expected %d" % (len(chans), len(sigs)))
        for i, (d, s) in enumerate(zip(chans, sigs)):
            where = "%s channel %d" % (out, i)
            check(text(d.attrs["name"]) == s["desc"], where + ": name %r vs %r" % (d.attrs["name"], s["desc"]))
            check(float(d.attrs["fs"]) == fs, where + ": fs")
            check(text(d.attrs["unit"]).lower() == s["unit"].lower(), where + ": unit %r" % d.attrs["unit"])
            check(abs(float(d.attrs["gain"]) - s["gain"]) <= 1e-9 * s["gain"], where + ": gain")
            check(float(d.attrs["baseline"]) == s["baseline"], where + ": baseline")
            check(d.dtype == np.float64 and d.shape == (raw.shape[0],), where + ": shape")
            expected = (raw[:, i] - s["baseline"]) / s["gain"]
            err = np.max(np.abs(d[:] - expected))
            check(err <= 1e-9 / s["gain"], where + ": values differ by %g" % err)
    print("ok: %s -> %s (%d channels x %d samples)" % (record, out, len(sigs), raw.shape[0]))
    return out


# ------------------------------------------------------------------- EDF

def read_edf(path):
    """Signals of an EDF file in physical units (header and records parsed here)."""
    blob = open(path, "rb").read()
    ns = int(blob[252:256])
    n_rec = int(blob[236:244])
    dur = float(blob[244:252])
    h = blob[256:256 + 256 * ns]

    def field(offset, width):
        return [h[offset + i * width: offset + (i + 1) * width].decode("latin-1").strip() for i in range(ns)]

    o = 0
    labels = field(o, 16); o += 16 * ns
    o += 80 * ns  # transducer
    units = field(o, 8); o += 8 * ns
    pmin = [float(x) for x in field(o, 8)]; o += 8 * ns
    pmax = [float(x) for x in field(o, 8)]; o += 8 * ns
    dmin = [float(x) for x in field(o, 8)]; o += 8 * ns
    dmax = [float(x) for x in field(o, 8)]; o += 8 * ns
    o += 80 * ns  # prefiltering
    spr = [int(x) for x in field(o, 8)]
    data = np.frombuffer(blob[256 * (ns + 1):], dtype="<i2")[: n_rec * sum(spr)].reshape(n_rec, sum(spr))
    sigs, start = [], 0
    for i in range(ns):
        d = data[:, start:start + spr[i]].reshape(-1).astype(float)
        start += spr[i]
        scale = (pmax[i] - pmin[i]) / (dmax[i] - dmin[i])
        sigs.append(dict(label=labels[i], unit=units[i], fs=spr[i] / dur,
                         values=(d - dmin[i]) * scale + pmin[i], step=scale))
    return sigs


def test_edf():
    src = os.path.join(DATA, "sleepedf_excerpt", "short_psg.edf")
    sigs = [s for s in read_edf(src) if s["label"] != "EDF Annotations"]
    out = os.path.join(TMP, "short_psg.h5")
    convert(src, out)
    with h5py.File(out, "r") as h5:
        check_layout(h5, out)
        chans = channels(h5)
        check(len(chans) == len(sigs), out + ": channel count")
        for d, s in zip(chans, sigs):
            where = "%s %s" % (out, s["label"])
            check(text(d.attrs["name"]) == s["label"], where + ": name %r" % d.attrs["name"])
            check(abs(float(d.attrs["fs"]) - s["fs"]) < 1e-9, where + ": fs %g vs %g" % (d.attrs["fs"], s["fs"]))
            check(text(d.attrs["unit"]) == s["unit"], where + ": unit %r vs %r" % (d.attrs["unit"], s["unit"]))
            check(d.shape == s["values"].shape, where + ": %s samples vs %s" % (d.shape, s["values"].shape))
            if d.shape == s["values"].shape:
                err = np.max(np.abs(d[:] - s["values"]))
                check(err <= 1e-6 * abs(s["step"]), where + ": values differ by %g" % err)
    rates = sorted({round(s["fs"], 6) for s in sigs})
    print("ok: %s -> %s (rates %s Hz)" % (src, out, rates))


# --------------------------------------------------------- PLUX OpenSignals

def test_plux(name, n_expected):
    src = os.path.join(DATA, "plux_opensignals", name)
    with h5py.File(src, "r") as f:
        mac = next(k for k in f if "sampling rate" in f[k].attrs)
        dev = f[mac]
        number = int(dev.attrs["channels"][0])
        bits = int(dev.attrs["resolution"][0])
        raw = dev["raw/channel_%d" % number][:, 0].astype(float)
        label = text(dev["raw/channel_%d" % number].attrs["label"])
        fs = float(dev.attrs["sampling rate"])
    # PLUX EMG sensor datasheet: EMG(mV) = (ADC / 2^n - 1/2) * VCC / G_EMG * 1000, VCC 3 V, G 1000.
    expected = (raw / 2 ** bits - 0.5) * 3.0 / 1000.0 * 1000.0
    out = os.path.join(TMP, name)
    convert(src, out)
    with h5py.File(out, "r") as h5:
        check_layout(h5, out)
        (d,) = channels(h5)
        check(text(d.attrs["name"]) == label, out + ": name")
        check(float(d.attrs["fs"]) == fs == 1000.0, out + ": fs")
        check(text(d.attrs["unit"]) == "mV", out + ": unit")
        check(d.shape == (n_expected,), out + ": %s samples" % (d.shape,))
        check(float(d.attrs["baseline"]) == 2 ** (bits - 1), out + ": baseline")
        check(int(d.attrs["digital_max"]) == 2 ** bits - 1, out + ": digital_max")
        check(np.max(np.abs(d[:] - expected)) < 1e-12, out + ": values vs transfer function")
    print("ok: %s -> %s (%d samples, %d-bit)" % (src, out, n_expected, bits))
    return out


def test_h5_to_h5(src):
    """emgkit HDF5 in, emgkit HDF5 out through the pipe: identical samples, provenance grows."""
    out = src.replace(".h5", "-again.h5")
    cmd = "%s %s - | %s - -o %s" % (os.path.join(BIN, "emg-convert"), src, os.path.join(BIN, "emg-convert"), out)
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    check(done.returncode == 0, cmd + ": " + done.stderr)
    if done.returncode:
        return
    with h5py.File(src, "r") as a, h5py.File(out, "r") as b:
        for da, db in zip(channels(a), channels(b)):
            check(np.array_equal(da[:], db[:]), out + ": samples of " + text(da.attrs["name"]))
            check(text(da.attrs["unit"]) == text(db.attrs["unit"]), out + ": unit")
        pa = list(a["recording"].attrs["provenance"])
        pb = list(b["recording"].attrs["provenance"])
        check(len(pb) == len(pa) + 2 and [text(p) for p in pb[: len(pa)]] == [text(p) for p in pa],
              out + ": provenance %r" % pb)
    print("ok: %s -> pipe -> %s" % (src, out))


# ------------------------------------------------------------------- NWB

def test_nwb_from_h5py():
    """An NWB-shaped file written by h5py (its own attribute and string types) read by emgkit."""
    src = os.path.join(TMP, "h5py_session.nwb")
    rng = np.random.default_rng(3)
    emg = rng.normal(0, 2e-4, size=(3000, 3)).astype(np.float32)
    with h5py.File(src, "w") as f:
        f.attrs["nwb_version"] = "2.6.0"
        f["session_start_time"] = "2022-11-03T14:05:10.5+01:00"
        f["session_description"] = "h5py-written NWB"
        el = f.create_group("general/extracellular_ephys/electrodes")
        el["location"] = np.array(["biceps", "triceps", "deltoid"], dtype=h5py.string_dtype())
        es = f.create_group("acquisition/ElectricalSeries")
        es.attrs["neurodata_type"] = "ElectricalSeries"
        d = es.create_dataset("data", data=emg, chunks=(1000, 3), compression="gzip")
        d.attrs["unit"] = "volts"
        d.attrs["conversion"] = 1.0
        d.attrs["offset"] = 0.0
        d.attrs["resolution"] = -1.0
        st = es.create_dataset("starting_time", data=2.0)
        st.attrs["rate"] = 1000.0
        st.attrs["unit"] = "seconds"
        es["electrodes"] = np.array([2, 0, 1], dtype=np.int64)
    out = os.path.join(TMP, "h5py_session.h5")
    convert(src, out)
    with h5py.File(out, "r") as h5:
        check_layout(h5, out)
        chans = channels(h5)
        names = [text(c.attrs["name"]) for c in chans]
        check(names == ["deltoid", "biceps", "triceps"], out + ": names %r" % names)
        for i, c in enumerate(chans):
            check(float(c.attrs["fs"]) == 1000.0, out + ": fs")
            check(text(c.attrs["unit"]) == "V", out + ": unit")
            check(np.array_equal(c[:], emg[:, i].astype(np.float64)), out + ": values of " + names[i])
        # session start + starting_time 2.0 s, time zone dropped
        start = text(h5["recording"].attrs["start_time"])
        check(start == "2022-11-03T14:05:12.500000", out + ": start_time %r" % start)
    print("ok: h5py-written NWB %s -> %s" % (src, out))


def main():
    if not os.access(os.path.join(BIN, "emg-convert"), os.X_OK):
        raise SystemExit("FAIL: %s/emg-convert not built" % BIN)
    grabmyo = test_wfdb("physionet_grabmyo/session1_participant1_gesture11_trial1")
    test_wfdb("physionet_emgdb/emg_healthy")
    test_edf()
    test_plux("emg_fatigue.h5", 126900)
    test_plux("emg_bursts.h5", 28519)
    test_h5_to_h5(grabmyo)
    test_nwb_from_h5py()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("all h5py checks passed")


if __name__ == "__main__":
    main()
