#!/usr/bin/python3
"""test_realsim.py: cheap self-test of scripts/realsim.py (scenes assembled from real recordings).

- Determinism: two runs of the same seed and types give the same content digests and the
  same truth tables.
- Freeze: the digests of the current blind set's first seed (fasciculation and voluntary
  scenes) equal the ones in scripts/realsim.frozen.  When numpy/scipy are not the versions the
  set was frozen with (its header), or the CPU has AVX-512 (the set was frozen without it and
  realsim.py pins numpy's dispatch; not yet checked on such a CPU), a mismatch is reported and
  the test skips (77) instead of failing.
- The truth tables tile the recording and the HDF5 file has the emgkit layout and a context
  annotation; emg-info reads it when EMGKIT_BIN is set.
It never runs emg-label (the realsim seeds are a blind test set, docs/methods/realsim.md).

Run by ctest (EMGKIT_SRC, EMGKIT_TEST_TMP, EMGKIT_BIN) or by hand."""
import csv
import os
import re
import subprocess
import sys

try:
    import h5py
    import numpy as np
    import scipy
except ImportError as e:
    print("skip: %s" % e)
    sys.exit(77)

SRC = os.environ.get("EMGKIT_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REALSIM = os.path.join(SRC, "scripts", "realsim.py")
FROZEN = os.path.join(SRC, "scripts", "realsim.frozen")
TMP = os.environ.get("EMGKIT_TEST_TMP", "/tmp/emgkit-test-realsim")
BIN = os.environ.get("EMGKIT_BIN")
with open(FROZEN) as f:
    FROZEN_TEXT = f.read()
SEED = int([l for l in FROZEN_TEXT.splitlines() if l.startswith("blind ")][-1].split()[1])
TYPES = ("fasciculation", "voluntary")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(out):
    r = subprocess.run([sys.executable, REALSIM, "--seed", str(SEED), "--type", ",".join(TYPES), "--digest",
                        "-o", out], capture_output=True, text=True, check=True)
    return dict((l.split()[1], l.split()[2]) for l in r.stdout.splitlines())


a, b = run(os.path.join(TMP, "a")), run(os.path.join(TMP, "b"))
check(a == b and len(a) == len(TYPES), "same seed, same digests: %r %r" % (a, b))
for t in TYPES:
    with open(os.path.join(TMP, "a", "%s-%d.events.tsv" % (t, SEED))) as f1, \
            open(os.path.join(TMP, "b", "%s-%d.events.tsv" % (t, SEED))) as f2:
        check(f1.read() == f2.read(), t + ": same truth table")

# --- the scenes are well-formed
for t in TYPES:
    path = os.path.join(TMP, "a", "%s-%d.h5" % (t, SEED))
    with h5py.File(path) as f:
        check(f.attrs["emgkit_format"] == "emgkit-hdf5", t + ": emgkit layout")
        g = f["recording/channels"]
        n, fs = g["0"].size, float(g["0"].attrs["fs"])
        texts = list(f["recording/annotations/text"].asstr()[:])
    check(any(x.startswith("context=") for x in texts), t + ": context annotation")
    with open(path[:-3] + ".events.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    end = 0.0
    for r in rows:
        check(abs(float(r["onset"]) - end) < 1e-3, "%s: rows tile the recording at %s" % (t, r["onset"]))
        end = float(r["onset"]) + float(r["duration"])
    check(abs(end - n / fs) < 1e-2, "%s: truth ends at %.3f s, recording at %.3f s" % (t, end, n / fs))
    check(any(r["label"] == t for r in rows), t + ": has its event")
    if BIN:
        info = subprocess.run([os.path.join(BIN, "emg-info"), path], capture_output=True, text=True)
        check(info.returncode == 0, t + ": emg-info reads it: " + info.stderr.strip())

# --- the frozen digests
frozen = dict((l.split()[1], l.split()[2]) for l in FROZEN_TEXT.splitlines() if l.startswith("%d " % SEED))
m = re.search(r"numpy (\S+), scipy (\S+),", FROZEN_TEXT)
same_env = m and (m.group(1), m.group(2)) == (np.__version__, scipy.__version__)
avx512 = np.core._multiarray_umath.__cpu_features__.get("AVX512F", False)
differ = [t for t in TYPES if frozen.get(t) != a.get(t)]
if differ and (avx512 or not same_env) and not failures:
    print("skip: digests of %s differ from scripts/realsim.frozen, frozen with numpy %s scipy %s on a CPU "
          "without AVX-512, running numpy %s scipy %s%s" % (differ, m and m.group(1), m and m.group(2),
                                                           np.__version__, scipy.__version__,
                                                           " on one with it" if avx512 else ""))
    sys.exit(77)
check(not differ, "digests of seed %d %s match scripts/realsim.frozen" % (SEED, differ))

if failures:
    print("%d failure(s)" % len(failures), file=sys.stderr)
    sys.exit(1)
print("realsim: determinism, frozen digests and truth tables of seed %d %s ok" % (SEED, "/".join(TYPES)))
