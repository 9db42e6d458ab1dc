"""test_emgkit.py: the Python package against the command-line tools.

Each function of the package must give the numbers of the tool that does the
same work, on the recordings in datasets/: the tools print 17 significant
digits here (--precision 17), so the comparison is to 1e-9 relative (the
tools and the package run the same library code; the slack only covers the
decimal round trip and summation order where blocks differ).  Run by ctest
(tests/CMakeLists.txt) with EMGKIT_BIN, EMGKIT_DATASETS, EMGKIT_TEST_TMP and
PYTHONPATH set to the build tree's package."""
import io
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import emgkit

BIN = os.environ["EMGKIT_BIN"]
DATA = os.environ["EMGKIT_DATASETS"]
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-python")
os.makedirs(TMP, exist_ok=True)
FATIGUE_H5 = os.path.join(DATA, "plux_opensignals", "emg_fatigue.h5")
BURSTS_H5 = os.path.join(DATA, "plux_opensignals", "emg_bursts.h5")
HEALTHY = os.path.join(DATA, "physionet_emgdb", "emg_healthy.hea")
INTERMITTENT = os.path.join(DATA, "backyardbrains_wav", "S10_EMG_bicep_intermittent.wav")
RTOL = 1e-9


def tool(name, *args):
    done = subprocess.run([os.path.join(BIN, name), *map(str, args)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def table(name, *args):
    return pd.read_csv(io.StringIO(tool(name, "--precision", "17", *args)), sep="\t",
                       na_values=["n/a"], keep_default_na=False)


def cell(x):
    """A text cell as the tools write it ("n/a" for a missing one)."""
    return "n/a" if isinstance(x, float) and np.isnan(x) else str(x)


def assert_columns_equal(ours, theirs, columns):
    assert len(ours) == len(theirs)
    for c in columns:
        a, b = ours[c].to_numpy(), theirs[c].to_numpy()
        if a.dtype.kind in "fi" and b.dtype.kind in "fi":
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=RTOL, atol=1e-12,
                                       equal_nan=True, err_msg=c)
        else:
            assert [cell(x) for x in a] == [cell(x) for x in b], c


def test_read_matches_convert():
    rec = emgkit.read(HEALTHY, channels="1", start=1, stop=3)
    csv = os.path.join(TMP, "healthy.csv")
    tool("emg-convert", "-c", "1", "-f", "1", "-t", "3", HEALTHY, "-o", csv)
    theirs = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert rec.fs[0] == 4000 and rec.units == ["mV"]
    np.testing.assert_allclose(rec.signals[0], theirs[:, 1], rtol=0, atol=1e-12)
    # the arrays are views of the library's memory, not copies
    assert not rec.signals[0].flags.owndata


def test_info_matches_emg_info():
    rec = emgkit.read(FATIGUE_H5)
    info = table("emg-info", FATIGUE_H5)
    assert rec.channel_names == list(info["name"])
    np.testing.assert_allclose(rec.fs, info["fs"])
    assert [len(x) for x in rec.signals] == list(info["samples"])
    assert rec.units == list(info["unit"])


def test_blocks_cover_the_recording():
    whole = emgkit.read(BURSTS_H5)
    parts = list(emgkit.blocks(BURSTS_H5, seconds=2))
    assert len(parts) > 3
    for c in range(whole.n_channels):
        np.testing.assert_array_equal(np.concatenate([b.signals[c] for b in parts]),
                                      whole.signals[c])
    assert parts[1].onset == pytest.approx(len(parts[0].signals[0]) / whole.fs[0])


def test_errors_carry_the_library_message():
    missing = os.path.join(TMP, "no-such-file.edf")
    with pytest.raises(emgkit.EmgkitError) as caught:
        emgkit.read(missing)
    done = subprocess.run([os.path.join(BIN, "emg-info"), missing], capture_output=True,
                          text=True)
    assert done.stderr.strip() == "emg-info: " + str(caught.value)
    assert caught.value.status < 0
    with pytest.raises(emgkit.EmgkitError, match="scenario"):
        emgkit.simulate("no-such-scenario")


def test_filter_matches_emg_filter():
    rec = emgkit.read(HEALTHY, channels="1", stop=4)
    csv = os.path.join(TMP, "healthy-filtered.csv")
    tool("emg-filter", "--default-chain", "-c", "1", "-t", "4", HEALTHY, "-o", csv)  # round-trip digits
    theirs = np.loadtxt(csv, delimiter=",", skiprows=1)[:, 1]
    ours = emgkit.filter(rec.signals[0], rec.fs[0])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    # in place: out=x writes over x and returns it
    x = rec.signals[0].copy()
    assert emgkit.filter(x, rec.fs[0], out=x) is x
    np.testing.assert_array_equal(x, ours)


def test_features_match_emg_features():
    ours = emgkit.features(HEALTHY)
    theirs = table("emg-features", HEALTHY)
    names = [c for c in theirs.columns if c not in ("file", "onset", "duration", "channel",
                                                    "flags")]
    assert_columns_equal(ours, theirs, ["onset", "duration", "channel", "flags"] + names)
    # the same from a Recording in memory (its arrays handed over without a copy)
    again = emgkit.features(emgkit.read(HEALTHY))
    assert_columns_equal(again, theirs, ["onset", "channel", "flags"] + names)


def test_fatigue_mdf_trend_matches_emg_fatigue():
    ours = emgkit.fatigue(FATIGUE_H5, jasa=True)
    theirs = table("emg-fatigue", "--jasa", FATIGUE_H5)
    columns = [c for c in theirs.columns if c != "file"]
    assert list(ours.columns) == columns
    assert_columns_equal(ours, theirs, columns)
    mdf = ours[ours.feature == "mdf"].iloc[0]
    assert mdf.slope < 0 and mdf.ci_high < 0  # the median frequency falls


def test_fatigue_per_contraction_matches_emg_fatigue():
    ours = emgkit.fatigue(INTERMITTENT, features="rms,mdf", per_contraction=True)
    theirs = table("emg-fatigue", "-q", "--features", "rms,mdf", "--per-contraction",
                   INTERMITTENT)
    columns = [c for c in theirs.columns if c != "file"]
    assert list(ours.columns) == columns
    assert ours.contraction.nunique() == 2  # the two holds of the biceps, one row set each
    assert_columns_equal(ours, theirs, columns)


def test_fatigue_segments_match_emg_fatigue():
    segments = os.path.join(TMP, "bursts_segments.tsv")
    tool("emg-detect", BURSTS_H5, "-o", segments)
    ours = emgkit.fatigue(BURSTS_H5, features="mdf", segments=segments)
    theirs = table("emg-fatigue", "--features", "mdf", "--segments", segments, BURSTS_H5)
    assert len(ours) == 9  # one row per contraction emg-detect found
    assert_columns_equal(ours, theirs, [c for c in theirs.columns if c != "file"])
    with pytest.raises(ValueError):
        emgkit.fatigue(BURSTS_H5, segments=segments, per_contraction=True)


def test_detect_matches_emg_detect():
    ours = emgkit.detect(BURSTS_H5)
    theirs = table("emg-detect", BURSTS_H5)
    assert len(ours) == 9  # the nine contractions of the recording
    assert_columns_equal(ours, theirs, [c for c in theirs.columns if c != "file"])
    burst = emgkit.detect(BURSTS_H5, method="tkeo", min_duration=0.2)
    assert_columns_equal(burst, table("emg-detect", "--method", "tkeo", "--min-duration",
                                      "0.2", BURSTS_H5), ["onset", "duration", "peak"])


def test_simulate_and_label_match_emg_synth_and_emg_label():
    scene, truth = emgkit.simulate("session", seed=7, duration=60)
    h5 = os.path.join(TMP, "scene.h5")
    tool("emg-synth", "--scenario", "session", "--seed", "7", "--duration", "60", "-o", h5)
    written = emgkit.read(h5)
    for ours, theirs in zip(scene.signals, written.signals):
        np.testing.assert_array_equal(ours, theirs)
    events = pd.read_csv(h5[:-3] + ".events.tsv", sep="\t", na_values=["n/a"],
                         keep_default_na=False)
    assert list(truth.label) == list(events.label)
    np.testing.assert_allclose(truth.onset, events.onset, atol=1e-6)

    ours = emgkit.label(scene)
    theirs = table("emg-label", h5)
    assert len(ours) > 0
    assert_columns_equal(ours, theirs, [c for c in theirs.columns if c != "file"])
    assert all(ours.explain.str.len() > 0)  # every event says why
    # a threshold by name changes what the tool's option changes
    option = sorted(emgkit.label_options())[0]
    default = emgkit.label_options()[option][0]
    assert emgkit.label(scene, **{option: default}).label.tolist() == ours.label.tolist()


def test_label_arrays_in_memory():
    scene, _ = emgkit.simulate("session", seed=7, duration=60)
    rec = emgkit.Recording.from_arrays(scene.signals, scene.fs, scene.channel_names,
                                       scene.units)
    by_arrays = emgkit.label(rec, context=emgkit.label(scene).attrs["context"])
    assert len(by_arrays) > 0
    with pytest.raises(emgkit.EmgkitError):
        emgkit.label(rec, context="no-such-context")
