#!/usr/bin/python3
"""altsim.py: an independent EMG simulator for testing emg-label on unseen data.

    altsim.py --type TYPE --seed N [--fs HZ] [--mains HZ] [--snr DB] -o OUT.h5|OUT.csv
    altsim.py --list

Writes one scene per call: the recording (emgkit HDF5 layout, docs/hdf5-layout.md,
or CSV), OUT.events.tsv (ground truth: onset duration channel label ..., one row
per event, rest rows labelled `rest`) and OUT.args (the emg-label options a user
would give: channel roles, plus --fs/--context for CSV, which carries neither).

The model is deliberately *not* emg-synth's (see docs/methods/altsim.md):
- MUAPs: a line-source (tripole) model: Rosenfalck intracellular action potentials
  travelling from scattered end-plates to both fibre ends at 3-5 m/s, seen through
  an anisotropic volume conductor by a bipolar surface electrode (fibres 3-15 mm
  deep; 11-21 ms potentials) or a needle (0.2-2 mm; 5-10 ms), random polarity
  (end-plate on either side of the electrodes), one shape per unit.
- Firing: recruitment thresholds skewed to low values and "onion-skin" peak
  rates (De Luca & Hostage 2010); gamma-renewal inter-spike intervals by time
  rescaling of the rate (CV set per pattern); a common drive of low-pass noise
  shared by all units of a muscle (De Luca & Erim 1994).
- Noise: white plus 1/f ("pink") electrode/amplifier noise, baseline wander
  below 0.5 Hz, mains at 50 or 60 Hz (up to 0.05 Hz off nominal) with 2nd, 3rd
  and 5th harmonics of random amplitude and phase; crosstalk between neighbouring
  surface channels, low-passed (volume conduction attenuates high frequencies,
  Farina et al. 2004).
Everything is drawn from numpy.random.default_rng(seed): same seed, same files.
"""
import argparse
import sys

import numpy as np

FC = 1000.0          # control rate (Hz) of drives and firing rates
REF_RMS = 0.3        # mV: surface RMS of the reference contraction (drive 0.5) --snr refers to
NEEDLE_REF = 0.5     # mV: the needle reference (a typical MUAP peak)
RATES = (1000, 1024, 2000, 2048, 4000)


# ----------------------------------------------------------------- small signals

def lowpass_noise(rng, n, fs, fc):
    """Gaussian noise band-limited to [0, fc] Hz (FFT mask), unit SD."""
    if n < 4:
        return np.zeros(n)
    x = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / fs)
    x[f > fc] = 0
    x[0] = 0
    y = np.fft.irfft(x, n)
    s = y.std()
    return y / s if s > 0 else y


def pink_noise(rng, n, fs, f0=1.0):
    """1/f power spectrum above f0 (flat below), unit SD: electrode-skin noise."""
    x = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / fs)
    x /= np.sqrt(np.maximum(f, f0))
    x[0] = 0
    y = np.fft.irfft(x, n)
    return y / y.std()


def ramp(t, t0, dur):
    """Raised-cosine step from 0 (t <= t0) to 1 (t >= t0 + dur)."""
    u = np.clip((t - t0) / max(dur, 1e-9), 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def trapezoid(t, rise, hold, fall):
    """Smooth rise / hold / fall envelope starting at t = 0."""
    return ramp(t, 0, rise) * (1 - ramp(t, rise + hold, fall))


def hann_pulses(t, centres, widths, heights):
    """Sum of Hann-shaped pulses (burst drives)."""
    y = np.zeros_like(t)
    for c, w, h in zip(centres, widths, heights):
        m = np.abs(t - c) < w / 2
        y[m] += h * (0.5 + 0.5 * np.cos(2 * np.pi * (t[m] - c) / w))
    return y


# ----------------------------------------------------------------- motor units

def rosenfalck(s):
    """Intracellular action potential behind the wavefront, s in mm (Rosenfalck 1969):
    96 s^3 exp(-s) mV of depolarisation, 0 ahead of the front."""
    s = np.maximum(s, 0)
    return 96 * s ** 3 * np.exp(-s)


def muap(rng, fs, needle):
    """One motor unit's potential from a line-source model: each fibre carries two
    Rosenfalck wavefronts from its end-plate towards both tendons, generated at the
    end-plate and extinguished at the fibre ends; the transmembrane current
    (second spatial derivative of the IAP) is seen through an anisotropic volume
    conductor (sigma_z / sigma_r = 5; Andreassen & Rosenfalck 1981; Dimitrov &
    Dimitrova 1998). Surface: bipolar electrodes 10-20 mm apart over fibres 3-15 mm
    deep; needle: a point 0.2-2 mm from fibres scattered around it. Returns the
    waveform at fs with peak 1 and random polarity, and its duration (s)."""
    fs_int = 20000.0 if needle else 5000.0       # surface MUAPs hold little power above 1 kHz
    dz = 0.1 if needle else 0.5                            # mm
    v = rng.uniform(3.0, 5.0)                              # conduction velocity, mm/ms = m/s
    l1, l2 = rng.uniform(40, 80, 2)                        # mm, end-plate to each tendon
    ze0 = -rng.uniform(5, 25) if not needle else rng.uniform(-15, 15)
    n_fib = int(rng.integers(10, 20)) if needle else int(rng.integers(4, 8))
    z = np.arange(ze0 - l1 - 5, ze0 + l2 + 5, dz)
    t = np.arange(0, (max(l1, l2) + 15) / v, 1000 / fs_int)   # ms
    ied = rng.uniform(10, 20)
    elec = [0.0] if needle else [ied / 2, -ied / 2]
    wave = np.zeros(t.size)
    for _ in range(n_fib):
        ze = ze0 + rng.normal(0, 3)                        # end-plate scatter
        h = rng.uniform(0.2, 2.0) if needle else rng.uniform(3, 15)
        inside = (z > ze - l1) & (z < ze + l2)
        V = rosenfalck(v * t[:, None] - np.abs(z[None, :] - ze)) * inside[None, :]
        I = np.gradient(np.gradient(V, dz, axis=1), dz, axis=1)
        phi = [I @ (dz / np.sqrt((z - x) ** 2 + 5 * h ** 2)) for x in elec]
        w = phi[0] - phi[1] if len(phi) == 2 else phi[0]
        wave += w * rng.uniform(0.5, 1.5)                  # fibre diameter differences
    # Resample to fs (FFT resampling band-limits the shape: no aliasing at 1 kHz).
    from scipy.signal import resample
    y = resample(np.pad(wave, 64), int(round((wave.size + 128) * fs / fs_int)))
    keep = np.nonzero(np.abs(y) > 0.02 * np.abs(y).max())[0]
    y = y[max(keep[0] - 2, 0):keep[-1] + 3]
    return rng.choice([-1.0, 1.0]) * y / np.abs(y).max(), keep[-1] - keep[0] + 1


class Pool:
    """The motor units one electrode sees."""

    def __init__(self, rng, fs, kind, n=None):
        self.kind, self.fs = kind, fs
        needle = kind == "needle"
        # A needle sees a few units; a surface electrode many (the needle pool is small
        # because its line-source shapes are costly and only a few units fire at rest).
        self.n = n or (int(rng.integers(6, 11)) if needle else int(rng.integers(50, 81)))
        i = np.arange(self.n) / self.n
        # Most units have low thresholds (exponential spacing, Henneman size principle).
        self.thr = 0.01 + 0.69 * (np.exp(3 * i) - 1) / (np.exp(3) - 1)
        # Onion skin: later-recruited units reach lower peak rates (De Luca & Hostage 2010).
        self.rpeak = 35 - 17 * i
        self.rmin = rng.uniform(6, 8)
        # Larger units are recruited later: amplitude grows ~10-fold across the pool.
        amp = np.exp(np.log(10) * i) * rng.lognormal(0, 0.25, self.n)
        if needle:
            amp = rng.uniform(0.1, 1.5, self.n)          # needle MUAPs 0.1-1.5 mV peak
        shapes = [muap(rng, fs, needle) for _ in range(self.n)]
        self.kernels = [a * k for a, (k, _) in zip(amp, shapes)]
        self.dur = np.array([d for _, d in shapes]) / fs
        self.gain = 1.0
        if not needle:
            self.gain = REF_RMS / self._reference_rms(rng)

    def _reference_rms(self, rng):
        """RMS of 2 s at drive 0.5, to put the pool on an mV scale."""
        x = np.zeros(int(2 * self.fs) + 1)
        tr = self.fire(rng, 0.0, np.full(int(2 * FC), 0.5), cv=0.2)
        self.render(x, 0.0, tr, gain=1.0)
        return float(np.sqrt(np.mean(x ** 2)))

    def rates(self, drive):
        """Firing rate of each unit (units x samples) for a drive in [0, 1]."""
        d = drive[None, :]
        excess = d - self.thr[:, None]
        r = np.minimum(self.rmin + 40 * excess, self.rpeak[:, None])
        return np.where(excess > 0, r, 0.0)

    def fire(self, rng, t0, drive, cv, rate_override=None, doublets=0.0):
        """Spike times (s) per unit: gamma-renewal process in rescaled time.
        drive is sampled at FC from t0. Returns a list of (unit, times)."""
        r = self.rates(drive) if rate_override is None else rate_override
        k = 1 / cv ** 2
        out = []
        for u in range(self.n):
            lam = np.concatenate([[0.0], np.cumsum(r[u]) / FC])
            total = lam[-1]
            if total < 0.5:
                continue
            isi = rng.gamma(k, 1 / k, int(total * 1.5 + 20))
            isi[0] *= rng.uniform()                       # random phase at the start
            c = np.cumsum(isi)
            c = c[c < total]
            j = np.searchsorted(lam, c, side="right")     # lam[j-1] <= c < lam[j]
            frac = (c - lam[j - 1]) / (lam[j] - lam[j - 1])
            times = t0 + (j - 1 + frac) / FC
            if doublets > 0:                              # cramp: ~4% doublets, 3-10 ms
                m = rng.uniform(size=times.size) < doublets
                times = np.concatenate([times, times[m] + rng.uniform(3e-3, 10e-3, m.sum())])
            out.append((u, np.sort(times)))
        return out

    def render(self, x, t_origin, trains, gain=None):
        """Add each unit's MUAP at its spike times into x (x[0] is at t_origin)."""
        g = self.gain if gain is None else gain
        for u, times in trains:
            ker = self.kernels[u] * g
            L = ker.size
            idx = np.round((np.asarray(times) - t_origin) * self.fs).astype(np.int64) - L // 2
            pos = (idx[:, None] + np.arange(L)[None, :]).ravel()
            w = np.tile(ker, idx.size)
            ok = (pos >= 0) & (pos < x.size)
            if ok.any():
                lo = pos[ok].min()
                acc = np.bincount(pos[ok] - lo, weights=w[ok])
                x[lo:lo + acc.size] += acc


# ----------------------------------------------------------------- the scene

class Scene:
    def __init__(self, rng, fs, mains, snr):
        self.rng, self.fs, self.mains, self.snr = rng, fs, mains, snr
        self.chans = []          # dicts: name unit transducer kind pool spikes force
        self.rows = []           # truth rows (onset, duration, channel, label, context, detail)
        self.contexts = []       # (onset, duration, context)
        self.pair = None
        self.force = None

    def add_channel(self, name, kind, transducer, unit="mV"):
        ch = dict(name=name, kind=kind, transducer=transducer, unit=unit, trains=[], force=[])
        if kind in ("surface", "needle"):
            ch["pool"] = Pool(self.rng, self.fs, kind)
        self.chans.append(ch)
        return ch

    def ch(self, name):
        return next(c for c in self.chans if c["name"] == name)

    def synthesize(self, total):
        """Render spikes, crosstalk, noise, wander and mains into sample arrays."""
        rng, fs = self.rng, self.fs
        n = int(round(total * fs))
        t = np.arange(n) / fs
        mu = {}
        for c in self.chans:
            if "pool" in c:
                x = np.zeros(n)
                for trains in c["trains"]:
                    c["pool"].render(x, 0.0, trains)
                mu[c["name"]] = x
        from scipy.signal import butter, sosfiltfilt
        surf = [c["name"] for c in self.chans if c["kind"] == "surface"]
        out = {k: v.copy() for k, v in mu.items()}
        # Crosstalk: each surface channel sees its neighbours at 3-12 %, low-passed at 80-200 Hz.
        for a in surf:
            for b in surf:
                if a != b:
                    sos = butter(2, rng.uniform(80, 200), fs=fs, output="sos")
                    out[b] += rng.uniform(0.03, 0.12) * sosfiltfilt(sos, mu[a])
        f_mains = self.mains + rng.uniform(-0.05, 0.05)     # grid frequency wanders off nominal
        for c in self.chans:
            name = c["name"]
            if c["kind"] == "force":
                y = np.zeros(n)
                for t0, prof in c["force"]:
                    i0 = int(round(t0 * fs))
                    seg = np.interp(np.arange(n - i0) / fs, np.arange(prof.size) / FC, prof, right=0)
                    y[i0:] += seg
                base = rng.uniform(0.5, 3.0)
                c["data"] = base + y + 0.05 * base * lowpass_noise(rng, n, fs, 0.2) \
                    + 0.02 * pink_noise(rng, n, fs) + 0.01 * rng.standard_normal(n)
                continue
            ref = NEEDLE_REF if c["kind"] == "needle" else REF_RMS
            noise_rms = ref / 10 ** (self.snr / 20)
            # White (amplifier) plus pink (electrode) noise, share drawn per channel.
            pink_share = rng.uniform(0.3, 0.7)
            noise = noise_rms * (np.sqrt(1 - pink_share) * rng.standard_normal(n)
                                 + np.sqrt(pink_share) * pink_noise(rng, n, fs))
            wander = rng.uniform(0.02, 0.1) * lowpass_noise(rng, n, fs, 0.5)
            hum = np.zeros(n)
            a1 = noise_rms * rng.uniform(0.5, 4.0)
            for h in (1, 2, 3, 5):
                if h * f_mains < fs / 2 - 5:
                    amp = a1 if h == 1 else a1 * rng.uniform(0.05, 0.5)
                    hum += amp * np.sin(2 * np.pi * h * f_mains * t + rng.uniform(0, 2 * np.pi))
            c["data"] = out[name] + noise + wander + hum
        return n

    # --------------------------------------------------------- truth helpers
    def event(self, onset, dur, channel, label, context, detail=""):
        self.rows.append((onset, dur, channel, label, context, detail or "n/a"))


# ----------------------------------------------------------------- episodes
# Each pattern: plan(rng) -> list of spec dicts with "dur"; render(scene, spec, t0, ctx)
# adds spikes/force to the scene's channels and returns the truth rows' detail.

def grid(dur):
    return np.arange(int(np.ceil(dur * FC))) / FC


def plan_cramp(rng):
    return [dict(dur=rng.uniform(20, 120))]


def render_cramp(sc, sp, t0, ctx):
    """Cramp: abrupt onset, waxing-waning, irregular ~14.5 pps (CV ~0.45, ~4 % doublets),
    ends by itself; antagonist quiet (Minetto et al. 2008; Ross & Thomas 1995)."""
    rng, ag = sc.rng, sc.ch(sc.pair[0])
    pool, dur = ag["pool"], sp["dur"]
    t = grid(dur)
    rise, fall = rng.uniform(0.1, 0.5), rng.uniform(1, 4)
    level = rng.uniform(0.35, 0.8)
    wax = 1 + rng.uniform(0.2, 0.4) * lowpass_noise(rng, t.size, FC, 0.3)
    drive = np.clip(level * trapezoid(t, rise, dur - rise - fall, fall) * wax, 0, 1)
    # Cramp units fire at their own irregular rate, not the voluntary rate coding.
    mean_rate = np.clip(rng.lognormal(np.log(14.5), 0.3, pool.n), 6, 25)
    recruited = (drive[None, :] > pool.thr[:, None])
    r = recruited * mean_rate[:, None] * (0.75 + 0.25 * drive / level)[None, :]
    cv = rng.uniform(0.38, 0.52)
    ag["trains"].append(pool.fire(rng, t0, drive, cv, rate_override=r, doublets=0.04))
    sc.event(t0, dur, ag["name"], "cramp", ctx, "rate=14.5 cv=%.2f" % cv)


def plan_fasciculation(rng):
    return [dict(dur=rng.uniform(30, 120), per_min=rng.uniform(5, 40))]


def render_fasciculation(sc, sp, t0, ctx):
    """Fasciculations: isolated single-unit potentials at Poisson times, 5-40/min,
    from 1-4 different units (Mills 2010; de Carvalho & Swash 2013)."""
    rng, ch = sc.rng, sc.chans[0]
    pool, dur = ch["pool"], sp["dur"]
    n = max(3, rng.poisson(sp["per_min"] * dur / 60))
    times = np.sort(rng.uniform(0, dur, n)) + t0
    units = rng.choice(min(pool.n, int(rng.integers(1, 5))), n)
    ch["trains"].append([(u, times[units == u]) for u in np.unique(units)])
    first, last = times[0], times[-1]
    sc.event(first - 0.01, last - first + 0.03, ch["name"], "fasciculation", ctx,
             "count=%d per_min=%.1f" % (n, sp["per_min"]))


def plan_tonic(rng):
    return [dict(dur=rng.uniform(30, 180))]


def render_tonic(sc, sp, t0, ctx):
    """Tonic spasm: stereotyped 30 s - 3 min plateau, regular discharge (Twomey & Espir 1980)."""
    rng, dur = sc.rng, sp["dur"]
    t = grid(dur)
    rise, fall = rng.uniform(1, 4), rng.uniform(2, 6)
    level = rng.uniform(0.3, 0.7)
    env = trapezoid(t, rise, dur - rise - fall, fall)
    common = 1 + 0.08 * lowpass_noise(rng, t.size, FC, 2.0)   # common drive
    ag = sc.ch(sc.pair[0])
    ag["trains"].append(ag["pool"].fire(rng, t0, np.clip(level * env * common, 0, 1),
                                        cv=rng.uniform(0.15, 0.25)))
    ant = sc.ch(sc.pair[1])
    co = rng.uniform(0, 0.12)                                 # slight spread to the antagonist
    ant["trains"].append(ant["pool"].fire(rng, t0, np.clip(co * level * env * common, 0, 1), cv=0.2))
    sc.event(t0, dur, ag["name"], "tonic", ctx, "level=%.2f" % level)


def plan_dystonic(rng):
    return [dict(dur=rng.uniform(1.5, 5)) for _ in range(rng.integers(2, 5))]


def render_dystonic(sc, sp, t0, ctx):
    """Dystonic co-contraction: agonist and antagonist driven together on a sustained
    background with 50-200 ms bursts at a common 4-7 Hz (Farmer et al. 1998),
    relaxation delayed."""
    rng, dur = sc.rng, sp["dur"]
    t = grid(dur)
    f = rng.uniform(4, 7)
    k = int(dur * f)
    centres = (np.arange(k) + 0.5) / f + rng.normal(0, 0.04 / f, k)
    widths = rng.uniform(0.05, 0.2, k)
    relax = rng.uniform(0.4, 1.0)
    env = trapezoid(t, rng.uniform(0.2, 0.5), max(dur - 0.5 - relax, 0.1), relax)
    base = rng.uniform(0.15, 0.35)
    bursts = hann_pulses(t, centres, widths, rng.uniform(0.3, 0.6, k))
    ant_share = rng.uniform(0.6, 1.0)
    lag = rng.uniform(0, 0.015)                      # together: lag well under a cycle
    for name, share, shift in ((sc.pair[0], 1.0, 0.0), (sc.pair[1], ant_share, lag)):
        c = sc.ch(name)
        d = np.clip(share * env * (base + bursts), 0, 1)
        c["trains"].append(c["pool"].fire(rng, t0 + shift, d, cv=0.25))
    sc.event(t0, dur, sc.pair[0], "dystonic", ctx, "f=%.2f" % f)


def plan_ischemic(rng):
    return [dict(dur=rng.uniform(20, 70))]


def render_ischemic(sc, sp, t0, ctx):
    """Ischemic contracture: force rises while the EMG stays silent (McArdle 1951;
    Rowland et al. 1965)."""
    rng, dur = sc.rng, sp["dur"]
    t = grid(dur)
    rise, fall = rng.uniform(3, 10), rng.uniform(5, 15)
    peak = rng.uniform(20, 150)                      # N, hand dynamometer
    prof = peak * trapezoid(t, rise, dur - rise - fall, fall) * (1 + 0.05 * lowpass_noise(rng, t.size, FC, 0.3))
    sc.ch(sc.force)["force"].append((t0, prof))
    emg = next(c for c in sc.chans if c["kind"] == "surface")
    sc.event(t0, dur, emg["name"], "ischemic", ctx, "force_peak_N=%.0f emg=silent" % peak)


def beats(rng, dur, f, cv):
    """Beat times at rate f with interval CV cv and a slow +-5 % drift."""
    times, tb = [], 0.0
    while tb < dur:
        times.append(tb)
        drift = 1 + 0.05 * np.sin(2 * np.pi * tb / max(dur, 1))
        tb += (1 / (f * drift)) * (1 + cv * rng.standard_normal())
    return np.array(times)


def burst_trains(rng, pool, times, widths, levels, extra=0.1, reliab=0.85):
    """Each recruited unit fires about once per burst (clonus, tremor beats), at a time
    spread over the burst; sometimes a second spike 5-15 ms later."""
    per = [[] for _ in range(pool.n)]
    for tb, w, lv in zip(times, widths, levels):
        units = np.nonzero((pool.thr < lv) & (rng.uniform(size=pool.n) < reliab))[0]
        spk = tb + rng.uniform(0, w, units.size)
        for u, s in zip(units, spk):
            per[u].append(s)
            if rng.uniform() < extra:
                per[u].append(s + rng.uniform(5e-3, 15e-3))
    return [(u, np.sort(np.array(p))) for u, p in enumerate(per) if p]


def plan_clonic(rng):
    return [dict(dur=rng.uniform(3, 30), f=rng.uniform(3.8, 8)) for _ in range(rng.integers(2, 4))]


def render_clonic(sc, sp, t0, ctx):
    """Clonus: >= 3 regular bursts at 3.8-8 Hz, 50-100 ms each, each unit once per beat,
    reciprocal antagonist (Dimitrijevic et al. 1980; Beres-Jones et al. 2003)."""
    rng, f = sc.rng, sp["f"]
    tb = beats(rng, sp["dur"], f, rng.uniform(0.03, 0.08))
    w = rng.uniform(0.05, 0.1, tb.size)
    lv = np.clip(rng.uniform(0.3, 0.7) * (1 + 0.15 * rng.standard_normal(tb.size)), 0.05, 1)
    ag, ant = sc.ch(sc.pair[0]), sc.ch(sc.pair[1])
    ag["trains"].append(burst_trains(rng, ag["pool"], t0 + tb, w, lv))
    phase = rng.uniform(0.4, 0.6) / f
    ant["trains"].append(burst_trains(rng, ant["pool"], t0 + tb + phase, w,
                                      lv * rng.uniform(0.2, 0.5)))
    end = tb[-1] + w[-1]
    sc.event(t0, end, ag["name"], "clonic", ctx, "f=%.2f beats=%d" % (f, tb.size))


def plan_myoclonic(rng):
    return [dict(dur=rng.uniform(10, 40), n=int(rng.integers(4, 11)),
                 kind=rng.choice(["cortical", "subcortical", "brainstem"]))]


def render_myoclonic(sc, sp, t0, ctx):
    """A run of arrhythmic compound jerks (Shibasaki & Hallett 2005): cortical 10-50 ms
    (agonist and antagonist together within 10-30 ms), subcortical 25-100 ms,
    brainstem 100-300 ms."""
    rng, dur, n = sc.rng, sp["dur"], sp["n"]
    lo, hi = dict(cortical=(0.01, 0.05), subcortical=(0.025, 0.1), brainstem=(0.1, 0.3))[sp["kind"]]
    gaps = rng.lognormal(0, 0.6, n - 1)                         # arrhythmic
    onsets = np.concatenate([[0], np.cumsum(gaps / gaps.sum() * (dur - hi))])
    widths = rng.uniform(lo, hi, n)
    ag, ant = sc.ch(sc.pair[0]), sc.ch(sc.pair[1])
    for name, share, lag in ((ag["name"], 1.0, 0.0),
                             (ant["name"], rng.uniform(0.4, 0.8) if sp["kind"] == "cortical" or rng.uniform() < 0.5 else 0.0,
                              rng.uniform(0.01, 0.03))):
        if share == 0:
            continue
        pool = sc.ch(name)["pool"]
        per = [[] for _ in range(pool.n)]
        for on, w in zip(onsets, widths):
            lv = share * rng.uniform(0.6, 1.0)
            for u in np.nonzero(pool.thr < lv)[0]:               # synchronous compound jerk
                per[u].extend(t0 + lag + on + rng.uniform(0, w, 1 + rng.poisson(w * 40)))
        sc.ch(name)["trains"].append([(u, np.sort(p)) for u, p in enumerate(per) if p])
    end = onsets[-1] + widths[-1]
    sc.event(t0, end, ag["name"], "myoclonic", ctx, "%s jerks=%d" % (sp["kind"], n))


def plan_ataxic(rng):
    return [dict(dur=rng.uniform(2, 6), f=rng.uniform(2, 5)) for _ in range(rng.integers(2, 4))]


def render_ataxic(sc, sp, t0, ctx):
    """Ataxic movement: mistimed 2-5 Hz alternation, first bursts prolonged to 150-250 ms,
    agonist building up gradually, antagonist delayed (Hallett et al. 1975, 1991)."""
    rng, dur, f = sc.rng, sp["dur"], sp["f"]
    tb = beats(rng, dur - 0.3, f, rng.uniform(0.2, 0.35))
    k = tb.size
    w_ag = np.where(np.arange(k) < 2, rng.uniform(0.15, 0.25, k), rng.uniform(0.1, 0.2, k))
    build = np.minimum(1, 0.35 + 0.25 * np.arange(k))           # gradual build-up
    h = rng.uniform(0.3, 0.6) * build
    delay = (rng.uniform(0.35, 0.65) + rng.normal(0, 0.08, k)) / f
    t = grid(dur + 0.5)
    for name, cen, w, hh in ((sc.pair[0], tb + w_ag / 2, w_ag, h),
                             (sc.pair[1], tb + delay + 0.1, rng.uniform(0.1, 0.25, k), h * rng.uniform(0.6, 1.0))):
        c = sc.ch(name)
        d = np.clip(0.02 + hann_pulses(t, cen, w, hh), 0, 1)
        c["trains"].append(c["pool"].fire(rng, t0, d, cv=0.25))
    sc.event(t0, dur, sc.pair[0], "ataxic", ctx, "f=%.2f bursts=%d" % (f, k))


def plan_tetanic(rng):
    return [dict(dur=rng.uniform(30, 120), f=rng.uniform(0.5, 3))]


def render_tetanic(sc, sp, t0, ctx):
    """Latent tetany: one unit fires multiplets of >= 4 spikes (intervals 5-15 ms)
    recurring at 0.5-3 Hz and becoming more rhythmic (Kugelberg 1948; Turner 1981)."""
    rng, dur, f = sc.rng, sp["dur"], sp["f"]
    ch = sc.chans[0]
    times, tm = [], 0.0
    while tm < dur:
        n = max(4, 4 + rng.poisson(1.5))
        isi = rng.uniform(5e-3, 15e-3) * np.linspace(1, 1.4, n - 1)   # intervals lengthen
        times.extend(tm + np.concatenate([[0], np.cumsum(isi)]))
        cv = 0.35 - 0.25 * tm / dur                                   # becomes rhythmic
        tm += max(0.15, (1 / f) * (1 + cv * rng.standard_normal()))
    times = t0 + np.array(times)
    other = t0 + np.sort(rng.uniform(0, dur, rng.poisson(dur * 0.1)))  # healthy doublets
    other = np.sort(np.concatenate([other, other + rng.uniform(5e-3, 10e-3, other.size)]))
    ch["trains"].append([(0, times), (1, other)])
    sc.event(t0, times[-1] - t0 + 0.02, ch["name"], "tetanic", ctx, "multiplet_rate=%.2f" % f)


def plan_strain(rng):
    return [dict(dur=rng.uniform(20, 90))]


def render_strain(sc, sp, t0, ctx):
    """Muscle strain: raised low-level resting activity (Geisser et al. 2005) - a few
    low-threshold units firing slowly."""
    rng, dur = sc.rng, sp["dur"]
    t = grid(dur)
    level = rng.uniform(0.03, 0.08)
    d = level * trapezoid(t, rng.uniform(2, 5), dur - 7, rng.uniform(1, 2)) \
        * (1 + 0.15 * lowpass_noise(rng, t.size, FC, 0.5))
    c = sc.ch(sc.pair[0]) if sc.pair else sc.chans[0]
    c["trains"].append(c["pool"].fire(rng, t0, np.clip(d, 0, 1), cv=0.2))
    sc.event(t0, dur, c["name"], "strain", ctx, "level=%.3f" % level)


def plan_voluntary(rng):
    return [dict(rise=rng.uniform(0.8, 3), hold=rng.uniform(1, 8), fall=rng.uniform(0.8, 3),
                 level=rng.uniform(0.1, 0.6)) for _ in range(rng.integers(2, 5))]


def render_voluntary(sc, sp, t0, ctx):
    """Voluntary ramp-hold-ramp contraction with a little antagonist co-activation."""
    rng = sc.rng
    dur = sp["rise"] + sp["hold"] + sp["fall"]
    t = grid(dur)
    env = sp["level"] * trapezoid(t, sp["rise"], sp["hold"], sp["fall"]) \
        * (1 + 0.05 * lowpass_noise(rng, t.size, FC, 2.0))
    ag, ant = sc.ch(sc.pair[0]), sc.ch(sc.pair[1])
    ag["trains"].append(ag["pool"].fire(rng, t0, np.clip(env, 0, 1), cv=rng.uniform(0.15, 0.22)))
    ant["trains"].append(ant["pool"].fire(rng, t0, np.clip(rng.uniform(0.05, 0.15) * env, 0, 1), cv=0.2))
    sc.event(t0, dur, ag["name"], "voluntary", ctx, "level=%.2f" % sp["level"])


def _plan_tremor(rng, lo, hi):
    return [dict(dur=rng.uniform(5, 20), f=rng.uniform(lo, hi)) for _ in range(rng.integers(2, 4))]


def plan_tremor(rng):
    return _plan_tremor(rng, 8, 12)


def plan_orthostatic(rng):
    return _plan_tremor(rng, 13, 18)


def render_tremor(sc, sp, t0, ctx):
    """Tremor: regular bursts at 8-12 Hz (physiological / essential, alternating or
    synchronous) or 13-18 Hz (orthostatic, synchronous in the legs; Deuschl et al.
    1998) on a low postural background."""
    rng, dur, f = sc.rng, sp["dur"], sp["f"]
    tb = beats(rng, dur, f, rng.uniform(0.03, 0.08))
    w = rng.uniform(0.3, 0.5) / f * np.ones(tb.size)
    lv = rng.uniform(0.2, 0.5) * np.ones(tb.size)
    sync = f > 12.5 or rng.uniform() < 0.5
    t = grid(dur)
    post = rng.uniform(0.03, 0.1) * ramp(t, 0, 0.5) * (1 - ramp(t, dur - 0.5, 0.5))
    for name, share, shift in ((sc.pair[0], 1.0, 0.0),
                               (sc.pair[1], rng.uniform(0.5, 1.0), 0.0 if sync else 0.5 / f)):
        c = sc.ch(name)
        c["trains"].append(burst_trains(rng, c["pool"], t0 + tb + shift, w, lv * share))
        c["trains"].append(c["pool"].fire(rng, t0, share * post, cv=0.2))
    sc.event(t0, dur, sc.pair[0], "tremor", ctx, "f=%.2f %s" % (f, "sync" if sync else "alternating"))


# ----------------------------------------------------------------- scene types

LEG = (("EMG_GM", "surface", "bipolar Ag/AgCl surface, medial gastrocnemius"),
       ("EMG_TA", "surface", "bipolar Ag/AgCl surface, tibialis anterior"))
ARM = (("EMG_BB", "surface", "bipolar Ag/AgCl surface, biceps brachii"),
       ("EMG_TB", "surface", "bipolar Ag/AgCl surface, triceps brachii lateral head"))
WRIST = (("EMG_FCR", "surface", "bipolar Ag/AgCl surface, flexor carpi radialis"),
         ("EMG_ECR", "surface", "bipolar Ag/AgCl surface, extensor carpi radialis"))
THIGH = (("EMG_VL", "surface", "bipolar Ag/AgCl surface, vastus lateralis"),
         ("EMG_BF", "surface", "bipolar Ag/AgCl surface, biceps femoris"))
NEEDLE = (("nEMG_FDI", "needle", "concentric needle, first dorsal interosseous"),)
BACK = (("EMG_LES", "surface", "bipolar Ag/AgCl surface, left lumbar erector spinae"),)
GRIP = (("EMG_FDS", "surface", "bipolar Ag/AgCl surface, flexor digitorum superficialis"),
        ("Dyn_grip", "force", "hand-grip dynamometer"))

# type: (description, plan, render, channels, contexts, paired)
TYPES = {
    "cramp": ("calf cramp at rest or asleep, antagonist quiet", plan_cramp, render_cramp, LEG, ("rest", "sleep"), True),
    "fasciculation": ("isolated single-unit potentials, needle", plan_fasciculation, render_fasciculation, NEEDLE, ("rest",), False),
    "tonic": ("tonic spasm plateau 30-180 s after a CNS lesion", plan_tonic, render_tonic, THIGH, ("cns-lesion",), True),
    "dystonic": ("co-contraction with common 4-7 Hz bursts", plan_dystonic, render_dystonic, WRIST, ("movement", "rest"), True),
    "ischemic": ("contracture: grip force rises, EMG silent", plan_ischemic, render_ischemic, GRIP, ("ischemia",), False),
    "clonic": ("ankle clonus 3.8-8 Hz, reciprocal", plan_clonic, render_clonic, LEG, ("cns-lesion",), True),
    "myoclonic": ("a run of arrhythmic compound jerks", plan_myoclonic, render_myoclonic, ARM, ("rest",), True),
    "ataxic": ("mistimed 2-5 Hz alternation during movement", plan_ataxic, render_ataxic, ARM, ("movement",), True),
    "tetanic": ("multiplets of one unit after hyperventilation/ischemia, needle", plan_tetanic, render_tetanic, NEEDLE, ("hyperventilation", "ischemia"), False),
    "strain": ("raised low-level paraspinal activity after injury", plan_strain, render_strain, BACK, ("injury",), False),
    "voluntary": ("ramp-hold-ramp contractions during a task (negative)", plan_voluntary, render_voluntary, ARM, ("movement",), True),
    "tremor": ("8-12 Hz postural tremor bouts (negative)", plan_tremor, render_tremor, WRIST, ("movement",), True),
    "orthostatic": ("13-18 Hz orthostatic tremor while standing (negative)", plan_orthostatic, render_tremor, LEG, ("movement",), True),
    "session": ("several patterns with rests between, 2 leg channels, per-event contexts", None, None, LEG, (), True),
}
# Patterns a 2-channel leg session can hold, with their context and a duration cap (s).
SESSION = {"cramp": ("rest", 40), "clonic": ("cns-lesion", 30), "myoclonic": ("rest", 40),
           "voluntary": ("movement", 30), "dystonic": ("movement", 10), "ataxic": ("movement", 10),
           "tonic": ("cns-lesion", 45), "strain": ("injury", 30), "orthostatic": ("movement", 20)}


def spec_duration(sp):
    return sp.get("dur", sp.get("rise", 0) + sp.get("hold", 0) + sp.get("fall", 0))


def build(kind, seed, fs, mains, snr):
    rng = np.random.default_rng(seed)
    sc = Scene(rng, fs, mains, snr)
    desc, plan, render, chans, contexts, paired = TYPES[kind]
    for name, k, tr in chans:
        sc.add_channel(name, k, tr, unit="N" if k == "force" else "mV")
        if k == "force":
            sc.force = name
    if paired:
        sc.pair = (chans[0][0], chans[1][0])
    # Episodes: (type, spec, context) in time order.
    if kind == "session":
        picks = rng.choice(sorted(SESSION), int(rng.integers(4, 7)), replace=False)
        eps = []
        for p in picks:
            ctx, cap = SESSION[p]
            sp = TYPES[p][1](rng)[0]
            if "dur" in sp:
                sp["dur"] = min(sp["dur"], cap)
            eps.append((p, sp, ctx))
    else:
        ctx = str(rng.choice(contexts))
        eps = [(kind, sp, ctx) for sp in plan(rng)]
    # Timeline: >= 5 s rest before, between and after the events.
    t = rng.uniform(5, 10)
    starts = []
    for p, sp, ctx in eps:
        starts.append(t)
        t += spec_duration(sp) + rng.uniform(5, 12)
    total = t
    for (p, sp, ctx), t0 in zip(eps, starts):
        TYPES[p][2](sc, sp, t0, ctx)
        if kind == "session":   # per-event context annotation, 1 s margins
            last = sc.rows[-1]
            sc.contexts.append((last[0] - 1, last[1] + 2, ctx))
    if kind != "session":
        sc.contexts.append((0.0, total, eps[0][2]))
    else:
        sc.contexts.insert(0, (0.0, total, "rest"))      # the recording-wide context
    sc.synthesize(total)
    add_rest_rows(sc, total)
    return sc, total, desc


def add_rest_rows(sc, total):
    """Rest rows fill the gaps between events (channel n/a)."""
    ev = sorted(r for r in sc.rows if r[3] != "rest")
    rows, t = [], 0.0
    for r in ev:
        if r[0] > t + 1e-6:
            rows.append((t, r[0] - t, "n/a", "rest", context_at(sc, t, r[0]), "n/a"))
        rows.append(r)
        t = max(t, r[0] + r[1])
    if total > t + 1e-6:
        rows.append((t, total - t, "n/a", "rest", context_at(sc, t, total), "n/a"))
    sc.rows = rows


def context_at(sc, a, b):
    """Innermost context annotation covering the middle of [a, b]."""
    m = 0.5 * (a + b)
    best = None
    for on, d, c in sc.contexts:
        if on <= m <= on + d and (best is None or d < best[0]):
            best = (d, c)
    return best[1] if best else "n/a"


# ----------------------------------------------------------------- output

def write_h5(path, sc, total, desc, argv):
    import h5py
    s = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f.attrs["emgkit_format"] = "emgkit-hdf5"
        f.attrs["version"] = np.int32(1)
        f.attrs["created_by"] = "altsim.py 1"
        r = f.create_group("recording")
        r.attrs["start_time"] = "2001-01-01T00:00:00"
        r.attrs["subject"] = "simulated (altsim)"
        r.attrs["description"] = "altsim %s: %s" % (argv.type, desc)
        r.attrs.create("provenance", np.array(["altsim.py " + " ".join(sys.argv[1:])], dtype=object), dtype=s)
        r.attrs.create("notes", np.array([], dtype=object), dtype=s)
        g = r.create_group("channels")
        for i, c in enumerate(sc.chans):
            x = c["data"]
            d = g.create_dataset(str(i), data=x, maxshape=(None,), chunks=(max(1, min(x.size, 16384)),),
                                 shuffle=True, compression="gzip", compression_opts=1)
            d.attrs["name"] = c["name"]
            d.attrs["fs"] = float(sc.fs)
            d.attrs["unit"] = c["unit"]
            d.attrs["gain"] = 0.0
            d.attrs["baseline"] = 0.0
            d.attrs["digital_min"] = np.int32(0)
            d.attrs["digital_max"] = np.int32(0)
            d.attrs["transducer"] = c["transducer"]
        a = r.create_group("annotations")
        a.attrs.create("columns", np.array(["onset", "duration", "channel", "text"], dtype=object), dtype=s)
        ann = sorted(sc.contexts)
        a.create_dataset("onset", data=np.array([x[0] for x in ann], dtype=np.float64))
        a.create_dataset("duration", data=np.array([x[1] for x in ann], dtype=np.float64))
        a.create_dataset("channel", data=np.full(len(ann), -1, dtype=np.int32))
        a.create_dataset("text", data=np.array(["context=" + x[2] for x in ann], dtype=object), dtype=s)


def write_csv(path, sc):
    names = ["time (s)"] + ["%s (%s)" % (c["name"], c["unit"]) for c in sc.chans]
    n = sc.chans[0]["data"].size
    cols = np.column_stack([np.arange(n) / sc.fs] + [c["data"] for c in sc.chans])
    np.savetxt(path, cols, delimiter=",", header=",".join(names), comments="", fmt="%.9g")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--type", choices=sorted(TYPES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fs", type=float, default=2000)
    ap.add_argument("--mains", type=float, choices=(50, 60), default=50)
    ap.add_argument("--snr", type=float, default=34,
                    help="dB of the reference contraction (0.3 mV RMS surface, 0.5 mV needle) "
                         "over the noise floor (34: ~6 uV RMS)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    if a.list:
        for k, v in TYPES.items():
            print("%-14s %s" % (k, v[0]))
        return 0
    if not a.type or not a.output:
        ap.error("--type and -o are required")
    if int(a.fs) not in RATES:
        print("altsim: note: --fs %g is not one of %s" % (a.fs, RATES), file=sys.stderr)
    sc, total, desc = build(a.type, a.seed, a.fs, a.mains, a.snr)
    base = a.output.rsplit(".", 1)[0]
    csv = a.output.lower().endswith((".csv", ".txt"))
    if csv:
        write_csv(a.output, sc)
    else:
        write_h5(a.output, sc, total, desc, a)
    with open(base + ".events.tsv", "w") as f:
        f.write("onset\tduration\tchannel\tlabel\tcontext\tdetail\n")
        for on, d, ch, lab, ctx, det in sc.rows:
            f.write("%.6f\t%.6f\t%s\t%s\t%s\t%s\n" % (on, d, ch, lab, ctx, det))
    args = []
    if sc.pair:
        args += ["--pair", "%s:%s" % sc.pair]
    if sc.force:
        args += ["--force", sc.force]
    if csv:
        args += ["--fs", "%g" % a.fs]
        if a.type != "session":
            args += ["--context", sc.contexts[0][2]]
    with open(base + ".args", "w") as f:
        f.write(" ".join(args) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
