#!/usr/bin/python3
"""emg-filter against SciPy on real recordings.

Each case runs emg-filter on a file from datasets/ and compares its output
(HDF5, float64) with the same operations done by SciPy/NumPy on the input as
emgkit reads it (emg-convert to HDF5; for the WFDB record the input is also
checked against the .dat file decoded here with NumPy).  Zero-phase filters
must match scipy.signal.sosfiltfilt, causal ones sosfilt, within 1e-9 of the
signal's largest value.
"""
import os
import subprocess
import sys

import h5py
import numpy as np
import scipy.signal as sg

BIN = os.environ["EMGKIT_BIN"]
DATA = os.environ["EMGKIT_DATASETS"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-filter-scipy")
os.makedirs(TMP, exist_ok=True)
TOL = 1e-9
failures = []


def run(*args):
    proc = subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args), proc.returncode, proc.stderr))
    return proc


def channels(path):
    with h5py.File(path, "r") as f:
        g = f["recording/channels"]
        keys = sorted(g.keys(), key=int)
        return [np.array(g[k][...], dtype=float) for k in keys], [float(g[k].attrs["fs"]) for k in keys]


def notch_comb(f0, q, fs, top, count=0):
    rows, k = [], 1
    while True:
        f = f0 * k
        if count and k > count:
            break
        if f + f / (2 * q) >= min(top, fs / 2) and k > 1:
            break
        b, a = sg.iirnotch(f, q, fs=fs)
        rows.append(np.concatenate([b, a]))
        k += 1
    return np.array(rows)


def trailing_mean(v, w):
    c = np.cumsum(np.concatenate([[0.0], v]))
    n = np.arange(1, len(v) + 1)
    lo = np.maximum(n - w, 0)
    return (c[n] - c[lo]) / np.minimum(n, w)


def check(name, infile, options, reference, input_options=()):
    raw_path = os.path.join(TMP, name + "-in.h5")
    out_path = os.path.join(TMP, name + "-out.h5")
    # -o: these files are the test's own, replaced on every run
    run("emg-convert", *input_options, infile, "-o", raw_path)
    run("emg-filter", *input_options, *options, infile, "-o", out_path)
    xs, fss = channels(raw_path)
    ys, _ = channels(out_path)
    if len(xs) != len(ys):
        failures.append("%s: %d channels in, %d out" % (name, len(xs), len(ys)))
        return
    for i, (x, y, fs) in enumerate(zip(xs, ys, fss)):
        want = reference(x, fs)
        if len(y) != len(want):
            failures.append("%s ch%d: %d samples, expected %d" % (name, i + 1, len(y), len(want)))
            continue
        err = np.max(np.abs(y - want)) / max(np.max(np.abs(want)), 1e-300)
        print("%-22s ch%d fs %6g n %7d  max rel. error %.2e" % (name, i + 1, fs, len(y), err))
        if not err <= TOL:
            failures.append("%s ch%d: relative error %.3g > %g" % (name, i + 1, err, TOL))


def default_chain(x, fs):
    bp = sg.butter(4, [20, min(450, 0.9 * fs / 2)], "bandpass", fs=fs, output="sos")
    y = sg.sosfiltfilt(bp, x)
    return sg.sosfiltfilt(notch_comb(50, 30, fs, min(450, 0.9 * fs / 2)), y)


def main():
    wfdb = os.path.join(DATA, "physionet_emgdb", "emg_healthy.hea")
    # The input as emgkit reads it equals the .dat decoded here (format 16, 10000/mV).
    xs, _ = channels((run("emg-convert", wfdb, "-o", os.path.join(TMP, "healthy.h5")),
                      os.path.join(TMP, "healthy.h5"))[1])
    dat = np.fromfile(os.path.join(DATA, "physionet_emgdb", "emg_healthy.dat"), "<i2") / 10000.0
    if not np.array_equal(xs[0], dat):
        failures.append("emg_healthy: reader output differs from the .dat samples")

    check("default-chain", wfdb, ["--default-chain", "--mains", "50"], default_chain)

    wav = os.path.join(DATA, "backyardbrains_wav", "S8_EMG_bicep_sustained.wav")
    check("bandpass-causal-o6", wav, ["--bandpass", "10:500", "--order", "6", "--causal"],
          lambda x, fs: sg.sosfilt(sg.butter(6, [10, 500], "bandpass", fs=fs, output="sos"), x))

    check("linear-envelope", wav,
          ["--highpass", "20", "--rectify", "--envelope", "linear", "--envelope-cutoff", "6"],
          lambda x, fs: sg.sosfiltfilt(
              sg.butter(2, 6, "lowpass", fs=fs, output="sos"),
              np.abs(np.abs(sg.sosfiltfilt(sg.butter(4, 20, "highpass", fs=fs, output="sos"), x)))),
          input_options=["-t", "20"])

    grab = os.path.join(DATA, "physionet_grabmyo", "session1_participant1_gesture11_trial1.hea")
    check("notch60-q20-x3", grab, ["--mains", "60", "--notch-harmonics", "3", "--notch-q", "20"],
          lambda x, fs: sg.sosfiltfilt(notch_comb(60, 20, fs, fs / 2, 3), x),
          input_options=["-c", "1-3"])

    plux = os.path.join(DATA, "plux_opensignals", "emg_fatigue.h5")
    check("detrend-lowpass-rms", plux,
          ["--detrend", "--lowpass", "200", "--envelope", "rms", "--envelope-window", "0.05"],
          lambda x, fs: np.sqrt(trailing_mean(
              sg.sosfiltfilt(sg.butter(4, 200, "lowpass", fs=fs, output="sos"),
                             sg.detrend(x, type="linear")) ** 2, int(round(0.05 * fs)))))

    def tkeo(x, fs):
        xp = np.concatenate([[x[0]], x, [x[-1]]])
        return xp[1:-1] ** 2 - xp[:-2] * xp[2:]
    check("dc-bandstop-tkeo", plux, ["--dc", "--bandstop", "45:55", "--envelope", "tkeo"],
          lambda x, fs: tkeo(sg.sosfiltfilt(sg.butter(4, [45, 55], "bandstop", fs=fs, output="sos"),
                                            x - np.mean(x)), fs))

    if failures:
        print("\n".join("FAIL: " + f for f in failures))
        sys.exit(1)
    print("all cases agree with SciPy within %g" % TOL)


if __name__ == "__main__":
    main()
