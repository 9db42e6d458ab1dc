#!/usr/bin/python3
"""realsim.py: labelled EMG scenes assembled from REAL recordings (a blind test set for emg-label).

    realsim.py --seed N -o DIR [--type T[,T...]] [--digest]
    realsim.py --list

For every scene type (or those given with --type) writes DIR/TYPE-N.h5 (emgkit HDF5 layout,
docs/hdf5-layout.md), DIR/TYPE-N.events.tsv (truth: onset duration channel label context detail,
gaps as `rest` rows) and DIR/TYPE-N.args (the emg-label options a user would type: --pair, --force).
--digest prints one line per scene: "seed type sha256", the SHA-256 of the scene's content
(samples as float64 little-endian, channel names, rate, annotations, truth and args), which
scripts/realsim.frozen pins for the blind seeds (docs/methods/realsim.md).

Nothing here comes from emg-label's rules or from the two simulators' signal models: every
scene = real rest noise (quiet stretches of the shipped surface / needle recordings)
+ real contraction texture (active stretches of the same recording, unit-RMS pieces, time-scaled)
shaped by an envelope drawn from docs/spasm-criteria.md, or real needle motor-unit potentials
placed at drawn times. Only the grip-force channel of the ischemic scene is synthetic (no real
force recording is shipped; contracture is electrically silent, criteria line 21/42).
"""
import argparse
import hashlib
import os
import sys

import numpy as np


def _pin_simd_dispatch():
    """Give the same scenes on every x86-64 CPU: numpy >= 1.22 computes float64 exp, log, sin and
    cos with AVX-512 (SVML) code where the CPU has it, and with libm elsewhere; the two differ in
    the last bits, and scenes are frozen by digest (realsim.frozen).  Blind sets from 501 on were
    frozen on a CPU without AVX-512; on one with it, turn numpy's AVX-512 dispatch off and start
    again (NPY_DISABLE_CPU_FEATURES is read when numpy is imported)."""
    found = np.core._multiarray_umath.__cpu_features__
    avx512 = sorted(k for k, on in found.items() if on and k.startswith("AVX512"))
    if avx512 and "NPY_DISABLE_CPU_FEATURES" not in os.environ:
        os.environ["NPY_DISABLE_CPU_FEATURES"] = " ".join(avx512)
        os.execv(sys.executable, [sys.executable] + sys.argv)


_pin_simd_dispatch()
import scipy.io.wavfile as wavfile  # noqa: E402 (after the dispatch is pinned)
import scipy.signal as sg

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "datasets")
FS_SURF, FS_NEEDLE = 2000, 4000      # scene rates (Hz): surface sources resampled, needle at its own 4 kHz

# ----------------------------------------------------------------- parameter table
# "crit N" = line N of docs/spasm-criteria.md.  Ranges are drawn uniformly (U) or log-uniformly (L).
P = dict(
    rest_win=0.25, rest_factor=1.5, rest_quiet=0.2,  # rest: 0.25 s RMS <= 1.5 x median of the quietest 20 %
    active_factor=4.0, min_run=0.5,                  # active: 0.25 s RMS >= 4 x that floor, runs >= 0.5 s
    active_mv=(0.25, 0.6),      # U: mV RMS a source's 90th-percentile active window is scaled to
    lead=(5, 10), gap=(6, 15),  # U s: rest before the first event / between events / after the last
    stretch=(0.85, 1.2),        # U: time-scale of the contraction texture (1.2-1.6 for dystonic, crit 41 low MDF)
    xtalk=(0.03, 0.1),          # U: share of the agonist seen on the quiet neighbour, low-passed 80-200 Hz
    # cramp, crit 38/76: seconds to minutes, abrupt onset, waxing-waning, ends by itself, antagonist quiet
    cramp_dur=(8, 150), cramp_rise=(0.05, 0.5), cramp_fall=(1, 6), cramp_level=(0.6, 1.6),
    cramp_wax=(0.2, 0.5), cramp_wax_hz=(0.05, 0.4), cramp_pre=(2, 5), cramp_pre_s=(30, 50),
    # fasciculation, crit 39/62: isolated MUPs 3-24 ms, 1/90 s .. 40/min, random (Poisson)
    fasc_dur=(30, 120), fasc_rate=(2, 40), fasc_units=(1, 4),
    # tonic, crit 40/74: 30 s - 3 min plateau, no rhythm, stereotyped paroxysms
    tonic_dur=(30, 180), tonic_n=(1, 2), tonic_rise=(0.5, 4), tonic_fall=(1, 6), tonic_level=(0.4, 1.2),
    tonic_ant=(0.0, 0.15),
    # dystonic, crit 41/68/72: co-contraction up to a few s, 50-200 ms bursts at 4-7 Hz common drive
    dyst_n=(2, 4), dyst_dur=(1.2, 5), dyst_f=(4, 7), dyst_burst=(0.05, 0.2), dyst_ant=(0.6, 1.0),
    dyst_bg=(0.3, 0.6), dyst_lag=(0, 0.015), dyst_relax=(0.4, 1.5), dyst_stretch=(1.2, 1.6),
    # ischemic, crit 21/42/60: force rises, EMG silent
    isch_dur=(20, 90), isch_force=(10, 150), isch_rise=(3, 12),
    # clonic, crit 43/66: >= 3 regular bursts 3.8-8 Hz, 50-100 ms, reciprocal, seconds to minutes
    clon_n=(2, 3), clon_dur=(3, 40), clon_f=(3.8, 8), clon_cv=(0.02, 0.1), clon_burst=(0.05, 0.1),
    clon_ant=(0.2, 0.6), clon_phase=(0.35, 0.65),
    # myoclonic, crit 44/70: brief arrhythmic compound jerks; cortical 10-50 ms (antagonist within
    # 10-30 ms), subcortical 25-100 ms, brainstem > 100 ms (kept <= 250 ms, crit 65)
    myo_n=(4, 10), myo_span=(10, 45), myo_gap_min=0.5, myo_level=(2.0, 5.0),
    myo_dur={"cortical": (0.010, 0.050), "subcortical": (0.025, 0.100), "brainstem": (0.100, 0.250)},
    # ataxic, crit 45/67: 2-5 Hz, irregular alternation, first bursts 150-250 ms, agonist builds up
    atax_n=(2, 3), atax_dur=(2, 6), atax_f=(2, 5), atax_cv=(0.2, 0.4), atax_first=(0.15, 0.25),
    atax_phase=(0.35, 0.65),
    # tetanic, crit 46/63: multiplets of >= 4 spikes recurring for minutes (>= 1 min), becoming rhythmic
    tet_dur=(60, 180), tet_rate=(0.5, 3), tet_spikes=(4, 8), tet_isi=(0.004, 0.015), tet_cv=(0.4, 0.1),
    # strain, crit 47/78: injury context, sustained low-level activity
    strain_dur=(20, 120), strain_level=(0.06, 0.2),
    # voluntary, crit 30/79: movement context, smooth rise and fall, small antagonist co-activation
    vol_n=(2, 4), vol_rise=(0.4, 2.0), vol_hold=(1, 8), vol_level=(0.2, 1.0), vol_ant=(0.05, 0.2),
    # tremor, crit 31/69: 8-12 Hz physiological, 13-18 Hz orthostatic, grouped, on a postural background
    trem_n=(2, 3), trem_dur=(5, 20), trem_f=((8, 12), (13, 18)), trem_depth=(0.5, 1.0), trem_bg=(0.1, 0.3),
    # rest (negative): a long real rest, no event
    rest_dur=(60, 240),
)

# Channel sets: (name, transducer).  Names avoid role words: roles come only from .args.
LEG = (("L_GastrocMed", "surface Ag/AgCl, gastrocnemius medialis"), ("L_TibAnt", "surface Ag/AgCl, tibialis anterior"))
ARM = (("R_BicepsBr", "surface, biceps brachii"), ("R_TricepsBr", "surface, triceps brachii"))
WRIST = (("R_FlexCarpRad", "surface, flexor carpi radialis"), ("R_ExtCarpRad", "surface, extensor carpi radialis"))
THIGH = (("R_VastLat", "surface, vastus lateralis"), ("R_BicFem", "surface, biceps femoris"))
BACK = (("L_ErectSpin", "surface, erector spinae L3"),)
NEEDLE = (("TA_conc", "concentric needle, tibialis anterior"),)
GRIP = (("R_FlexDigSup", "surface, flexor digitorum superficialis"), ("GripDyn", "hand-grip dynamometer"))


def U(rng, r):
    return float(rng.uniform(r[0], r[1]))


def L(rng, r):
    return float(np.exp(rng.uniform(np.log(r[0]), np.log(r[1]))))


def I(rng, r):
    return int(rng.integers(r[0], r[1] + 1))


# ----------------------------------------------------------------- real sources

def _wav(name, ch=0):
    fs, x = wavfile.read(os.path.join(DATA, "backyardbrains_wav", name))
    return fs, (x[:, ch] if x.ndim > 1 else x).astype(float)


def _plux(name):
    import h5py
    with h5py.File(os.path.join(DATA, "plux_opensignals", name)) as f:
        dev = f[list(f.keys())[0]]
        raw = dev["raw"]
        key = next(k for k in raw if k.startswith("channel_"))
        return float(dev.attrs["sampling rate"]), raw[key][:, 0].astype(float)


def _bitalino():
    return 1000.0, np.loadtxt(os.path.join(DATA, "bitalino_txt", "emg_1.txt"), comments="#")


def _wfdb16(stem, ch=0):
    """WFDB format 16 (little-endian int16, interleaved); returns fs and channel ch in mV."""
    with open(stem + ".hea") as f:
        lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith("#")]
    head = lines[0].split()
    nsig, fs = int(head[1]), float(head[2])
    spec = lines[1 + ch].split()
    gain_s = spec[2].split("/")[0]
    gain = float(gain_s.split("(")[0])
    base = float(gain_s.split("(")[1].rstrip(")")) if "(" in gain_s else float(spec[4])
    x = np.fromfile(stem + ".dat", dtype="<i2").reshape(-1, nsig)[:, ch].astype(float)
    return fs, (x - base) / gain


# Surface sources: name -> loader.  Not used (docs/methods/realsim.md): uci_gestures (true rate
# 200 Hz held on a ~1 kHz grid: cannot carry the 20-450 Hz band), physionet_grabmyo (a 5 s weak
# wrist extension: the 0.25 s RMS varies only 2-3x, neither clean rest nor clear contraction),
# S8_EMG_bicep_sustained (the same: 0.25 s RMS within 0.2-3x of its floor throughout).
SURFACE = {
    "byb_bicep_intermittent": lambda: _wav("S10_EMG_bicep_intermittent.wav"),
    "byb_bicep_pair": lambda: _wav("S1_EMG_bicepTricep2.wav", 0),
    "byb_tricep_pair": lambda: _wav("S1_EMG_bicepTricep2.wav", 1),
    "byb_abs_leglift": lambda: _wav("S5_EMG_abs_legLift1.wav"),
    "plux_bursts": lambda: _plux("emg_bursts.h5"),
    "plux_fatigue": lambda: _plux("emg_fatigue.h5"),
    "bitalino": _bitalino,
}
_cache = {}


def runs(mask, min_len):
    """(start, stop) index pairs of True runs of at least min_len."""
    d = np.diff(np.concatenate(([0], mask.astype(int), [0])))
    return [(a, b) for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)) if b - a >= min_len]


def segment(x, fs):
    """Rest and active stretches of a recording, by a documented statistic: 0.25 s RMS windows;
    floor = median RMS of the quietest 20 % of windows; rest = RMS <= 1.5 x floor, active = RMS >=
    4 x floor; stretches are runs of >= 0.5 s (>= 2 windows), trimmed by one window at each end."""
    w = int(P["rest_win"] * fs)
    nw = x.size // w
    rms = np.sqrt(np.mean(x[:nw * w].reshape(nw, w) ** 2, axis=1))
    floor = np.median(np.sort(rms)[:max(1, int(P["rest_quiet"] * nw))])
    k = int(round(P["min_run"] / P["rest_win"]))
    rest = [(a * w, b * w) for a, b in runs(rms <= P["rest_factor"] * floor, k + 2)]
    rest = [(a + w, b - w) for a, b in rest]
    act = [(a * w, b * w) for a, b in runs(rms >= P["active_factor"] * floor, k)]
    return rest, act, floor, rms


def source(name, fs_out):
    """A surface source at fs_out in mV-like units: 10 Hz high-pass (removes the offsets of
    counts), resampled; scaled later per scene.  Returns dict(x, rest, act, act_rms)."""
    key = (name, fs_out)
    if key not in _cache:
        fs, x = SURFACE[name]()
        x = sg.sosfiltfilt(sg.butter(2, 10, "highpass", fs=fs, output="sos"), x - np.median(x))
        if fs != fs_out:
            g = np.gcd(int(fs), int(fs_out))
            x = sg.resample_poly(x, int(fs_out) // g, int(fs) // g)
        rest, act, floor, rms = segment(x, fs_out)
        w = int(P["rest_win"] * fs_out)
        act_w = np.concatenate([rms[a // w:b // w] for a, b in act]) if act else rms
        _cache[key] = dict(x=x, rest=rest, act=act, floor=floor, act_rms=np.percentile(act_w, 90))
    return _cache[key]


def tile(rng, x, spans, n, fs, unit_rms=False, stretch=1.0, fade=0.02, lens=(0.3, 3.0)):
    """n samples tiled from random pieces of x inside spans (equal-power crossfades of `fade` s,
    random polarity); each piece optionally normalised to unit RMS and time-scaled by `stretch`."""
    spans = [s for s in spans if s[1] - s[0] > int(lens[0] * fs)]
    out = np.zeros(n)
    nf = int(fade * fs)
    ramp = np.sin(0.5 * np.pi * np.arange(nf) / nf)
    pos = 0
    while pos < n:
        a, b = spans[int(rng.integers(len(spans)))]
        ln = int(min(b - a, rng.uniform(*lens) * fs))
        s0 = int(rng.integers(a, b - ln + 1))
        piece = x[s0:s0 + ln] * rng.choice((-1.0, 1.0))
        if stretch != 1.0:
            num = int(round(stretch * 20))
            piece = sg.resample_poly(piece, num, 20)
        if unit_rms:
            piece = piece / (np.sqrt(np.mean(piece ** 2)) + 1e-12)
        piece = piece.copy()
        piece[:nf] *= ramp[:min(nf, piece.size)]
        piece[-nf:] *= ramp[::-1][:min(nf, piece.size)]
        m = min(piece.size, n - pos + nf) if pos else min(piece.size, n)
        start = max(0, pos - nf) if pos else 0
        m = min(m, n - start)
        out[start:start + m] += piece[:m]
        pos = start + m
    return out


# ----------------------------------------------------------------- needle potentials

_needle = {}


def needle_parts():
    """Baseline and motor-unit potentials of the needle recordings (4 kHz, mV, 20 Hz high-pass).
    The needle files never fall silent (a unit always fires), so the baseline is the gaps between
    potentials: samples within 10 ms of |x| > 4 robust SD (MAD of the gaps, refined 4 times)
    excluded, gaps >= 40 ms kept.
    Potentials: peaks above 8 SD with no other peak above half their height within +-15 ms; 24 ms windows
    centred on the peak, linear baseline removed, Tukey-tapered, 0.1-2.5 mV peak-to-peak (the
    neuropathy file clips at 3.28 mV).
    emg_healthy gives small potentials, emg_neuropathy large (reinnervated) ones."""
    if _needle:
        return _needle
    xs, rest, muaps, off = [], [], {}, 0
    for stem in ("emg_healthy", "emg_neuropathy"):
        fs, x = _wfdb16(os.path.join(DATA, "physionet_emgdb", stem))
        x = sg.sosfiltfilt(sg.butter(2, 20, "highpass", fs=fs, output="sos"), x)
        near = np.zeros(x.size, bool)
        for _ in range(4):              # the SD of the gaps, refined: potentials inflate a global MAD
            sd = 1.4826 * np.median(np.abs(x[~near]))
            near = np.convolve(np.abs(x) > 4 * sd, np.ones(int(0.02 * fs)), "same") > 0
        rest += [(off + a, off + b) for a, b in runs(~near, int(0.04 * fs))]
        half, iso = int(0.012 * fs), int(0.015 * fs)
        pk, _ = sg.find_peaks(np.abs(x), height=8 * sd, distance=int(0.002 * fs))
        small, _ = sg.find_peaks(np.abs(x), height=4 * sd, distance=int(0.001 * fs))
        tw = sg.windows.tukey(2 * half, 0.3)
        got = []
        for p in pk:
            if p < 2 * half or p > x.size - 2 * half:
                continue
            other = (small > p - iso) & (small < p + iso) & (np.abs(small - p) > int(0.003 * fs))
            if np.any(np.abs(x[small[other]]) > 0.5 * abs(x[p])):
                continue
            seg = x[p - half:p + half].copy()
            seg -= np.linspace(seg[:8].mean(), seg[-8:].mean(), seg.size)
            seg *= tw
            if 0.1 <= np.ptp(seg) <= 2.5:
                got.append(seg)
        muaps[stem] = got
        xs.append(x)
        off += x.size
    _needle.update(x=np.concatenate(xs), rest=rest, muaps=muaps)
    return _needle


# Recording set-ups: (rest-noise source, contraction-texture source).  The 44.1 kHz biceps file
# rests at near-digital silence, so it lends only its contraction, over the same device's rest.
DEVICES = {
    "plux_fatigue": ("plux_fatigue", "plux_fatigue"), "plux_bursts": ("plux_bursts", "plux_bursts"),
    "byb_bicep": ("byb_bicep_pair", "byb_bicep_pair"), "byb_tricep": ("byb_tricep_pair", "byb_tricep_pair"),
    "bitalino": ("bitalino", "bitalino"), "byb_abs": ("byb_abs_leglift", "byb_abs_leglift"),
    "byb_intermittent": ("byb_bicep_pair", "byb_bicep_intermittent"),
}


# ----------------------------------------------------------------- envelopes (mV RMS of the texture)

def cos_ramp(n):
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / max(n, 1))


def put_trapezoid(env, fs, t0, rise, hold, fall, level):
    """Raised-cosine rise, hold, raised-cosine fall (times in s) added at t0."""
    r, h, f = int(rise * fs), int(hold * fs), int(fall * fs)
    shape = level * np.concatenate((cos_ramp(r), np.ones(h), cos_ramp(f)[::-1]))
    i0 = int(t0 * fs)
    env[i0:i0 + shape.size] += shape[:env.size - i0]


def put_burst(env, fs, t0, dur, level):
    """One burst: a Tukey window (taper 40 %) of dur s; overlapping bursts take the maximum."""
    n = max(int(round(dur * fs)), 3)
    i0 = int(round(t0 * fs))
    w = level * sg.windows.tukey(n, 0.4)[:env.size - i0]
    env[i0:i0 + w.size] = np.maximum(env[i0:i0 + w.size], w)


def slow_noise(rng, n, fs, fc):
    """Unit-SD noise low-passed at fc (waxing-waning, drifts)."""
    m = int(n * 100 / fs) + 4
    y = sg.sosfiltfilt(sg.butter(2, fc, fs=100, output="sos"), rng.standard_normal(m))
    y = np.interp(np.arange(n) / fs, np.arange(m) / 100, y)
    return y / (y.std() + 1e-12)


def beat_times(rng, t0, dur, f, cv):
    """Burst times from t0 for dur s at f Hz, intervals with coefficient of variation cv."""
    t, out = t0, []
    while t < t0 + dur:
        out.append(t)
        t += max(0.25 / f, (1 + cv * rng.standard_normal()) / f)
    return np.array(out)


# ----------------------------------------------------------------- the scene

class Scene:
    def __init__(self, rng, fs):
        self.rng, self.fs = rng, fs
        self.chans, self.rows, self.pair, self.force, self.ctx = [], [], None, None, "rest"

    def surface(self, chset, devices=None):
        for k, (name, tr) in enumerate(chset):
            dev = devices[k] if devices else str(self.rng.choice(sorted(DEVICES)))
            self.chans.append(dict(name=name, transducer=tr, unit="mV", kind="surface", dev=dev,
                                   A=U(self.rng, P["active_mv"])))
        if len(chset) == 2:
            self.pair = (chset[0][0], chset[1][0])

    def needle(self):
        self.chans.append(dict(name=NEEDLE[0][0], transducer=NEEDLE[0][1], unit="mV", kind="needle", spikes=[]))

    def alloc(self, total):
        self.total, self.n = total, int(round(total * self.fs))
        for c in self.chans:
            c["env"] = np.zeros(self.n)

    def event(self, t0, dur, label, detail):
        self.rows.append((t0, dur, self.chans[0]["name"], label, self.ctx, detail))

    def render(self, stretch):
        rng, fs, n = self.rng, self.fs, self.n
        for c in self.chans:
            if c["kind"] == "surface":
                bsrc, tsrc = DEVICES[c["dev"]]
                b, t = source(bsrc, fs), source(tsrc, fs)
                bg = tile(rng, b["x"], b["rest"], n, fs) * c["A"] / b["act_rms"]
                tex = tile(rng, t["x"], t["act"], n, fs, unit_rms=True, stretch=stretch) if c["env"].any() else 0
                c["own"] = c["env"] * tex
                c["data"] = bg + c["own"]
            elif c["kind"] == "needle":
                nd = needle_parts()
                x = tile(rng, nd["x"], nd["rest"], n, fs, fade=0.005, lens=(0.04, 0.5))
                for t, shape, gain in c["spikes"]:
                    i0 = int(round(t * fs)) - shape.size // 2
                    x[i0:i0 + shape.size] += gain * shape
                c["data"] = x
        # Crosstalk: the second surface channel sees the first, low-passed (volume conduction).
        surf = [c for c in self.chans if c["kind"] == "surface"]
        if len(surf) == 2 and surf[0]["own"] is not None:
            sos = sg.butter(2, U(rng, (80, 200)), fs=fs, output="sos")
            surf[1]["data"] += U(rng, P["xtalk"]) * sg.sosfiltfilt(sos, surf[0]["own"])


# ----------------------------------------------------------------- patterns
# Each plan_X(rng) returns (channel set, contexts, list of event specs with "dur" and optional "pre");
# render_X(sc, spec, t0) fills envelopes / spikes and the truth rows.

def plan_cramp(rng):
    return LEG, ("rest", "sleep"), [dict(dur=L(rng, P["cramp_dur"]))]


def render_cramp(sc, sp, t0):
    """crit 38/76: abrupt onset, irregular waxing-waning, ends by itself; neighbour quiet;
    asleep, the calf envelope rises 2-5x over ~40 s before the cramp."""
    rng, fs, ag = sc.rng, sc.fs, sc.chans[0]
    dur, rise, fall = sp["dur"], U(rng, P["cramp_rise"]), U(rng, P["cramp_fall"])
    level = U(rng, P["cramp_level"]) * ag["A"]
    env = np.zeros(int(dur * fs))
    put_trapezoid(env, fs, 0, rise, dur - rise - fall, fall, 1.0)
    wax = np.clip(1 + U(rng, P["cramp_wax"]) * slow_noise(rng, env.size, fs, U(rng, P["cramp_wax_hz"])), 0.25, None)
    i0 = int(t0 * fs)
    ag["env"][i0:i0 + env.size] += level * env * wax
    if sc.ctx == "sleep":            # pre-cramp rise of the rest level (crit 38)
        b = source(DEVICES[ag["dev"]][0], fs)
        rest_mv = b["floor"] * ag["A"] / b["act_rms"]
        pre = np.zeros(int(sp["pre"] * fs))
        pre[:] = np.sqrt(max(U(rng, P["cramp_pre"]) ** 2 - 1, 0)) * rest_mv * cos_ramp(pre.size)
        ag["env"][i0 - pre.size:i0] += pre
    sc.event(t0, dur, "cramp", "level_mV=%.3g wax=%.2f" % (level, wax.std()))


def plan_fasciculation(rng):
    return NEEDLE, ("rest",), [dict(dur=U(rng, P["fasc_dur"]), per_min=L(rng, P["fasc_rate"]))]


def render_fasciculation(sc, sp, t0):
    """crit 39/62: isolated single motor-unit potentials at random (Poisson) times."""
    rng, ch, nd = sc.rng, sc.chans[0], needle_parts()
    pool = nd["muaps"]["emg_healthy"] + nd["muaps"]["emg_neuropathy"]
    units = rng.choice(len(pool), I(rng, P["fasc_units"]), replace=False)
    n = max(3, int(rng.poisson(sp["per_min"] * sp["dur"] / 60)))
    times = np.sort(rng.uniform(0, sp["dur"], n)) + t0
    for t in times:
        ch["spikes"].append((t, pool[int(rng.choice(units))], U(rng, (0.9, 1.1))))
    sc.event(times[0] - 0.015, times[-1] - times[0] + 0.03, "fasciculation",
             "count=%d per_min=%.1f units=%d" % (n, sp["per_min"], units.size))


def plan_tonic(rng):
    k, d = I(rng, P["tonic_n"]), L(rng, P["tonic_dur"])
    return THIGH, ("cns-lesion",), [dict(dur=float(np.clip(d * U(rng, (0.9, 1.1)), *P["tonic_dur"])))
                                            for _ in range(k)]


def render_tonic(sc, sp, t0):
    """crit 40/74: a 30 s - 3 min sustained plateau without rhythm, stereotyped."""
    rng, fs = sc.rng, sc.fs
    if "tonic" not in sc.__dict__:      # stereotyped: one level, rise and fall per scene
        sc.tonic = (U(rng, P["tonic_level"]), U(rng, P["tonic_rise"]), U(rng, P["tonic_fall"]), U(rng, P["tonic_ant"]))
    level, rise, fall, ant = sc.tonic
    env = np.zeros(int(sp["dur"] * fs))
    put_trapezoid(env, fs, 0, rise, sp["dur"] - rise - fall, fall, 1.0)
    env *= 1 + 0.08 * slow_noise(rng, env.size, fs, 0.05)
    i0 = int(t0 * fs)
    for c, share in zip(sc.chans, (1.0, ant)):
        c["env"][i0:i0 + env.size] += share * level * c["A"] * env
    sc.event(t0, sp["dur"], "tonic", "level=%.2f antagonist=%.2f" % (level, ant))


def plan_dystonic(rng):
    return WRIST, ("movement", "rest"), [dict(dur=U(rng, P["dyst_dur"]), relax=U(rng, P["dyst_relax"]))
                                        for _ in range(I(rng, P["dyst_n"]))]


def render_dystonic(sc, sp, t0):
    """crit 41/68/72: agonist and antagonist together (zero lag) on a sustained background,
    50-200 ms bursts at 4-7 Hz on top, delayed relaxation; low median frequency (dyst_stretch)."""
    rng, fs = sc.rng, sc.fs
    f, ant = U(rng, P["dyst_f"]), U(rng, P["dyst_ant"])
    bg, lag = U(rng, P["dyst_bg"]), U(rng, P["dyst_lag"])
    times = beat_times(rng, t0 + 0.1, sp["dur"] - 0.2, f, 0.08)
    widths = [min(U(rng, P["dyst_burst"]), 0.7 / f) for _ in times]
    for c, share, dt in zip(sc.chans, (1.0, ant), (0.0, lag)):
        put_trapezoid(c["env"], fs, t0, 0.15, sp["dur"] - 0.15, sp["relax"], share * bg * c["A"])
        for t, w in zip(times, widths):
            env = np.zeros(int(w * fs) + 2)
            put_burst(env, fs, 0, w, share * c["A"] * U(rng, (0.7, 1.3)))
            i0 = int((t + dt) * fs)
            c["env"][i0:i0 + env.size] += env
    sc.event(t0, sp["dur"] + 0.7 * sp["relax"], "dystonic", "f=%.2f antagonist=%.2f lag_ms=%.0f" % (f, ant, 1e3 * lag))


def plan_ischemic(rng):
    return GRIP, ("ischemia",), [dict(dur=U(rng, P["isch_dur"]))]


def render_ischemic(sc, sp, t0):
    """crit 21/42/60: the muscle shortens (grip force rises) while the EMG stays silent."""
    rng = sc.rng
    rise = U(rng, P["isch_rise"])
    fall = U(rng, P["isch_rise"])
    sc.contracture = (t0, rise, sp["dur"] - rise - fall, fall, U(rng, P["isch_force"]))
    sc.event(t0, sp["dur"], "ischemic", "force_peak_N=%.0f emg=rest" % sc.contracture[-1])


def plan_clonic(rng):
    return LEG, ("cns-lesion",), [dict(dur=L(rng, P["clon_dur"])) for _ in range(I(rng, P["clon_n"]))]


def render_clonic(sc, sp, t0):
    """crit 43/66: >= 3 regular 50-100 ms bursts at 3.8-8 Hz, burst size varies with load
    (frequency does not), antagonist reciprocal (a good part of a cycle later)."""
    rng, fs = sc.rng, sc.fs
    f, cv = U(rng, P["clon_f"]), U(rng, P["clon_cv"])
    ant, ph, level = U(rng, P["clon_ant"]), U(rng, P["clon_phase"]), U(rng, (0.5, 1.5))
    times = beat_times(rng, t0, sp["dur"], f, cv)
    w = U(rng, P["clon_burst"])
    load = np.clip(1 + 0.15 * slow_noise(rng, times.size, f, 0.2 * f), 0.5, None) if times.size > 8 else np.ones(times.size)
    for k, t in enumerate(times):
        wk = w * U(rng, (0.9, 1.1))
        put_burst(sc.chans[0]["env"], fs, t, wk, level * load[k] * sc.chans[0]["A"])
        put_burst(sc.chans[1]["env"], fs, t + ph / f, wk, ant * level * load[k] * sc.chans[1]["A"])
    sc.event(t0, times[-1] - t0 + w * 1.1, "clonic", "f=%.2f beats=%d cv=%.3f" % (f, times.size, cv))


def plan_myoclonic(rng):
    kind = str(rng.choice(sorted(P["myo_dur"])))
    return ARM, ("rest",), [dict(dur=U(rng, P["myo_span"]), kind=kind)]


def render_myoclonic(sc, sp, t0):
    """crit 44/70: arrhythmic, brief, abrupt compound bursts, large; cortical ones hit agonist and
    antagonist together within 10-30 ms."""
    rng, fs = sc.rng, sc.fs
    n = I(rng, P["myo_n"])
    while True:                         # arrhythmic times, at least 0.5 s apart
        times = np.sort(rng.uniform(t0, t0 + sp["dur"], n))
        if np.all(np.diff(times) >= P["myo_gap_min"]):
            break
    times[0] = t0
    lo_hi = P["myo_dur"][sp["kind"]]
    last = t0
    for t in times:
        d, lev = U(rng, lo_hi), U(rng, P["myo_level"])
        put_burst(sc.chans[0]["env"], fs, t, d, lev * sc.chans[0]["A"])
        share = U(rng, (0.4, 1.0)) if sp["kind"] == "cortical" else U(rng, (0.0, 0.5))
        put_burst(sc.chans[1]["env"], fs, t + U(rng, (0.0, 0.03)), d, share * lev * sc.chans[1]["A"])
        last = t + d
    sc.event(t0, last - t0, "myoclonic", "%s jerks=%d" % (sp["kind"], n))


def plan_ataxic(rng):
    return ARM, ("movement",), [dict(dur=U(rng, P["atax_dur"])) for _ in range(I(rng, P["atax_n"]))]


def render_ataxic(sc, sp, t0):
    """crit 45/67: 2-5 Hz agonist/antagonist alternation, irregular timing, first bursts prolonged
    (150-250 ms), agonist building up gradually, antagonist delayed."""
    rng, fs = sc.rng, sc.fs
    f, cv = U(rng, P["atax_f"]), U(rng, P["atax_cv"])
    times = beat_times(rng, t0, sp["dur"], f, cv)
    end = t0
    for k, t in enumerate(times):
        w = U(rng, P["atax_first"]) if k == 0 else U(rng, (0.25, 0.45)) / f
        build = min(1.0, 0.35 + 0.65 * k / U(rng, (2, 4)))
        put_burst(sc.chans[0]["env"], fs, t, w, build * U(rng, (0.5, 1.0)) * sc.chans[0]["A"])
        ta = t + (U(rng, P["atax_phase"]) + 0.1 * rng.standard_normal()) / f
        put_burst(sc.chans[1]["env"], fs, ta, w, U(rng, (0.4, 0.9)) * sc.chans[1]["A"])
        end = max(end, t + w, ta + w)
    sc.event(t0, end - t0, "ataxic", "f=%.2f cv=%.2f bursts=%d" % (f, cv, times.size))


def plan_tetanic(rng):
    return NEEDLE, ("hyperventilation", "ischemia"), [dict(dur=U(rng, P["tet_dur"]))]


def render_tetanic(sc, sp, t0):
    """crit 46/63: one unit's multiplets of >= 4 spikes recurring for minutes, becoming rhythmic
    (interval CV falls 0.4 -> 0.1); another unit's occasional doublets."""
    rng, ch, nd = sc.rng, sc.chans[0], needle_parts()
    pool = nd["muaps"]["emg_healthy"] + nd["muaps"]["emg_neuropathy"]
    u1, u2 = rng.choice(len(pool), 2, replace=False)
    f = U(rng, P["tet_rate"])
    t, times = t0, []
    while t < t0 + sp["dur"]:
        times.append(t)
        cv = P["tet_cv"][0] + (P["tet_cv"][1] - P["tet_cv"][0]) * (t - t0) / sp["dur"]
        t += max(0.3 / f, (1 + cv * rng.standard_normal()) / f)
    for tm in times:
        isi = U(rng, (P["tet_isi"][0], 0.008))
        for _ in range(I(rng, P["tet_spikes"])):
            ch["spikes"].append((tm, pool[u1], U(rng, (0.92, 1.0))))
            tm += isi
            isi = min(isi * U(rng, (1.05, 1.15)), P["tet_isi"][1])
    for td in rng.uniform(t0, t0 + sp["dur"], int(rng.poisson(0.1 * sp["dur"]))):
        ch["spikes"] += [(td, pool[u2], 1.0), (td + U(rng, (0.003, 0.01)), pool[u2], 0.95)]
    last = max(s[0] for s in ch["spikes"])
    sc.event(t0 - 0.015, last - t0 + 0.03, "tetanic", "multiplet_rate=%.2f multiplets=%d" % (f, len(times)))


def plan_strain(rng):
    return BACK, ("injury",), [dict(dur=L(rng, P["strain_dur"]))]


def render_strain(sc, sp, t0):
    """crit 47/78: injury context and sustained low-level activity."""
    rng, fs, c = sc.rng, sc.fs, sc.chans[0]
    level = U(rng, P["strain_level"])
    env = np.zeros(int(sp["dur"] * fs))
    r = U(rng, (1, 3))
    put_trapezoid(env, fs, 0, r, sp["dur"] - 2 * r, r, 1.0)
    env *= np.clip(1 + 0.2 * slow_noise(rng, env.size, fs, 0.1), 0.3, None)
    i0 = int(t0 * fs)
    c["env"][i0:i0 + env.size] += level * c["A"] * env
    sc.event(t0, sp["dur"], "strain", "level=%.3f" % level)


def plan_voluntary(rng):
    return ARM, ("movement",), [dict(rise=U(rng, P["vol_rise"]), hold=U(rng, P["vol_hold"]), fall=U(rng, P["vol_rise"]))
                                for _ in range(I(rng, P["vol_n"]))]


def render_voluntary(sc, sp, t0):
    """crit 30/79: in movement context, smooth rise and fall; small antagonist co-activation."""
    rng, fs = sc.rng, sc.fs
    level, ant = U(rng, P["vol_level"]), U(rng, P["vol_ant"])
    dur = sp["rise"] + sp["hold"] + sp["fall"]
    env = np.zeros(int(dur * fs) + 1)
    put_trapezoid(env, fs, 0, sp["rise"], sp["hold"], sp["fall"], 1.0)
    env *= 1 + 0.05 * slow_noise(rng, env.size, fs, 1.0)
    i0 = int(t0 * fs)
    for c, share in zip(sc.chans, (1.0, ant)):
        c["env"][i0:i0 + env.size] += share * level * c["A"] * env
    sc.event(t0, dur, "voluntary", "level=%.2f antagonist=%.2f" % (level, ant))


def _plan_tremor(rng, band, chset):
    return chset, ("movement",), [dict(dur=U(rng, P["trem_dur"]), band=band) for _ in range(I(rng, P["trem_n"]))]


def plan_tremor(rng):
    return _plan_tremor(rng, 0, WRIST)


def plan_orthostatic(rng):
    return _plan_tremor(rng, 1, LEG)


def render_tremor(sc, sp, t0):
    """crit 31/69: regular grouped discharges at 8-12 Hz (orthostatic 13-18 Hz) on a postural
    background, modulation depth 50-100 %, antagonist synchronous or alternating."""
    rng, fs = sc.rng, sc.fs
    f, depth, bg = U(rng, P["trem_f"][sp["band"]]), U(rng, P["trem_depth"]), U(rng, P["trem_bg"])
    sync = sp["band"] == 1 or rng.random() < 0.5
    times = beat_times(rng, t0 + 0.5, sp["dur"] - 1.0, f, U(rng, (0.03, 0.08)))
    w = U(rng, (0.3, 0.5)) / f
    for c, share, ph in zip(sc.chans, (1.0, U(rng, (0.4, 0.9))), (0.0, 0.0 if sync else 0.5)):
        put_trapezoid(c["env"], fs, t0, 0.5, sp["dur"] - 1.0, 0.5, share * bg * (1 - depth) * c["A"])
        for t in times:
            put_burst(c["env"], fs, t + ph / f, w, share * bg * c["A"] * (1 + depth))
    sc.event(t0, sp["dur"], "tremor", "f=%.2f depth=%.2f %s" % (f, depth, "sync" if sync else "alternating"))


def plan_rest(rng):
    return LEG, ("rest", "sleep"), [dict(dur=L(rng, P["rest_dur"]), empty=True)]


TYPES = {   # type: (description, plan, render)
    "cramp": ("calf cramp at rest or asleep, neighbour quiet", plan_cramp, render_cramp),
    "fasciculation": ("isolated real needle potentials at random times", plan_fasciculation, render_fasciculation),
    "tonic": ("30 s - 3 min plateaus after a CNS lesion", plan_tonic, render_tonic),
    "dystonic": ("co-contraction with common 4-7 Hz bursts", plan_dystonic, render_dystonic),
    "ischemic": ("grip force rises while the EMG rests (force synthetic)", plan_ischemic, render_ischemic),
    "clonic": ("ankle clonus 3.8-8 Hz, reciprocal", plan_clonic, render_clonic),
    "myoclonic": ("a run of arrhythmic compound jerks", plan_myoclonic, render_myoclonic),
    "ataxic": ("mistimed 2-5 Hz alternation during movement", plan_ataxic, render_ataxic),
    "tetanic": ("one needle unit's multiplets after hyperventilation/ischemia", plan_tetanic, render_tetanic),
    "strain": ("low-level paraspinal activity after injury", plan_strain, render_strain),
    "voluntary": ("smooth contractions during a task (negative)", plan_voluntary, render_voluntary),
    "tremor": ("8-12 Hz postural tremor bouts (negative)", plan_tremor, render_tremor),
    "orthostatic": ("13-18 Hz orthostatic tremor, leg (negative, truth `tremor`)", plan_orthostatic, render_tremor),
    "rest": ("a long real rest, no event (negative)", plan_rest, None),
}


def spec_dur(sp):
    return sp.get("dur", sp.get("rise", 0) + sp.get("hold", 0) + sp.get("fall", 0)) + sp.get("relax", 0)


def build(kind, seed):
    """One scene; the generator is seeded from (seed, a hash of the type's name), so that a
    type's scene does not depend on which other types exist or are generated."""
    rng = np.random.default_rng([seed, int.from_bytes(hashlib.sha256(kind.encode()).digest()[:4], "little")])
    desc, plan, render = TYPES[kind]
    chset, contexts, eps = plan(rng)
    needle = chset is NEEDLE
    sc = Scene(rng, FS_NEEDLE if needle else FS_SURF)
    sc.ctx = str(rng.choice(contexts))
    if needle:
        sc.needle()
    elif chset is GRIP:
        sc.surface(chset[:1])
        sc.chans.append(dict(name=chset[1][0], transducer=chset[1][1], unit="N", kind="force"))
        sc.force = chset[1][0]
    else:
        devs = None
        if chset is ARM and rng.random() < 0.5:
            devs = ("byb_bicep", "byb_tricep")      # a real biceps/triceps pair (one recording)
        elif chset is BACK and rng.random() < 0.5:
            devs = ("byb_abs",)                     # a real trunk muscle
        sc.surface(chset, devs)
    t = U(rng, P["lead"])
    if kind == "cramp" and sc.ctx == "sleep":
        eps[0]["pre"] = U(rng, P["cramp_pre_s"])
        t += eps[0]["pre"]
    starts = []
    for k, sp in enumerate(eps):
        starts.append(t)
        t += spec_dur(sp) + (U(rng, P["gap"]) if k < len(eps) - 1 else 0)
    total = round(t if eps[0].get("empty") else t + U(rng, P["lead"]), 3)
    sc.alloc(total)
    if render:
        for sp, t0 in zip(eps, starts):
            render(sc, sp, t0)
    sc.render(U(rng, P["dyst_stretch"] if kind == "dystonic" else P["stretch"]))
    if sc.force:
        sc.chans[1]["data"] = grip_force(sc)
    return sc, desc


def grip_force(sc):
    """Synthetic hand-grip dynamometer (N): offset, slow drift, noise, and the contracture."""
    rng, fs, n = sc.rng, sc.fs, sc.n
    base = U(rng, (0.5, 3.0))
    y = base + 0.05 * base * slow_noise(rng, n, fs, 0.2) + 0.02 * rng.standard_normal(n)
    env = np.zeros(n)
    t0, r, h, f, peak = getattr(sc, "contracture", (0, 0, 0, 0, 0))
    put_trapezoid(env, fs, t0, r, h, f, peak)
    return y + env * (1 + 0.03 * slow_noise(rng, n, fs, 0.3))


def truth_rows(sc):
    rows, t = [], 0.0
    for r in sorted(sc.rows):
        if r[0] > t + 1e-6:
            rows.append((t, r[0] - t, "n/a", "rest", sc.ctx, "n/a"))
        rows.append(r)
        t = r[0] + r[1]
    if sc.total > t + 1e-6:
        rows.append((t, sc.total - t, "n/a", "rest", sc.ctx, "n/a"))
    return rows


# ----------------------------------------------------------------- output

def write(sc, kind, seed, desc, outdir):
    import h5py
    base = os.path.join(outdir, "%s-%d" % (kind, seed))
    s = h5py.string_dtype("utf-8")
    tsv = "onset\tduration\tchannel\tlabel\tcontext\tdetail\n" + "".join(
        "%.6f\t%.6f\t%s\t%s\t%s\t%s\n" % r for r in truth_rows(sc))
    args = []
    if sc.pair:
        args += ["--pair", "%s:%s" % sc.pair]
    if sc.force:
        args += ["--force", sc.force]
    args = " ".join(args) + "\n"
    h = hashlib.sha256()
    with h5py.File(base + ".h5", "w", track_order=False) as f:
        f.attrs["emgkit_format"] = "emgkit-hdf5"
        f.attrs["version"] = np.int32(1)
        f.attrs["created_by"] = "realsim.py 1"
        r = f.create_group("recording")
        r.attrs["start_time"] = "2001-01-01T00:00:00"
        r.attrs["subject"] = "assembled from real recordings (realsim)"
        r.attrs["description"] = "realsim %s: %s" % (kind, desc)
        r.attrs.create("provenance", np.array(["realsim.py --seed %d --type %s" % (seed, kind)], dtype=object), dtype=s)
        r.attrs.create("notes", np.array([], dtype=object), dtype=s)
        g = r.create_group("channels")
        for i, c in enumerate(sc.chans):
            x = np.asarray(c["data"], dtype="<f8")
            d = g.create_dataset(str(i), data=x, chunks=(min(x.size, 16384),), shuffle=True,
                                 compression="gzip", compression_opts=1, track_times=False)
            for k, v in (("name", c["name"]), ("fs", float(sc.fs)), ("unit", c["unit"]), ("gain", 0.0),
                         ("baseline", 0.0), ("digital_min", np.int32(0)), ("digital_max", np.int32(0)),
                         ("transducer", c["transducer"])):
                d.attrs[k] = v
            h.update(("%s|%g|%s|" % (c["name"], sc.fs, c["unit"])).encode() + x.tobytes())
        a = r.create_group("annotations")
        a.attrs.create("columns", np.array(["onset", "duration", "channel", "text"], dtype=object), dtype=s)
        a.create_dataset("onset", data=np.array([0.0]), track_times=False)
        a.create_dataset("duration", data=np.array([sc.total]), track_times=False)
        a.create_dataset("channel", data=np.array([-1], dtype=np.int32), track_times=False)
        a.create_dataset("text", data=np.array(["context=" + sc.ctx], dtype=object), dtype=s, track_times=False)
    h.update(("context=%s|%.6f|" % (sc.ctx, sc.total)).encode() + tsv.encode() + args.encode())
    with open(base + ".events.tsv", "w") as f:
        f.write(tsv)
    with open(base + ".args", "w") as f:
        f.write(args)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--type", help="comma-separated scene types (default: all)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--digest", action="store_true", help="print 'seed type sha256' per scene")
    ap.add_argument("-o", "--output", help="output directory")
    a = ap.parse_args()
    if a.list:
        for k, v in TYPES.items():
            print("%-14s %s" % (k, v[0]))
        return 0
    if not a.output:
        ap.error("-o DIR is required")
    kinds = a.type.split(",") if a.type else list(TYPES)
    bad = [k for k in kinds if k not in TYPES]
    if bad:
        ap.error("unknown type(s): " + ", ".join(bad))
    os.makedirs(a.output, exist_ok=True)
    for kind in kinds:
        sc, desc = build(kind, a.seed)
        digest = write(sc, kind, a.seed, desc, a.output)
        if a.digest:
            print("%d %s %s" % (a.seed, kind, digest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
