"""_analysis.py: filtering, features, fatigue trends, detection and labelling
over libemgkit, each with the defaults of the tool that does the same
(emg-filter, emg-features, emg-fatigue, emg-detect, emg-label)."""
import ctypes
import math
import os
from ctypes import POINTER, byref, c_char, c_double, c_int, c_size_t, c_void_p

import numpy as np
import pandas as pd

from . import _capi
from ._capi import lib
from ._recording import (EmgkitError, Recording, as_samples, check, open_reader, pointer, read,
                         text)

EMG_PHASE_ZERO, EMG_PHASE_CAUSAL = 0, 1
EMG_WINDOW_REST, EMG_WINDOW_CLIPPED, EMG_WINDOW_FLAT = 1, 2, 4
EMG_WINDOW_LOW_SNR, EMG_WINDOW_GAP = 8, 16
EMG_WINDOW_UNUSABLE = 31
_BANDS = {"lowpass": 0, "highpass": 1, "bandpass": 2, "bandstop": 3}


def _by_name(parse, name, what):
    err, out = _capi.Error(), c_int()
    check(parse(name.encode(), byref(out), byref(err)), err)
    return out.value


# ---- filtering ----------------------------------------------------------

def _mains(value):
    """--mains: 50, 60, "auto" (detect) or None / "none" -> 50, 60, 0, -1."""
    if value is None or value == "none":
        return -1.0
    if value == "auto":
        return 0.0
    if value in (50, 60, "50", "60"):
        return float(value)
    raise ValueError("mains: expected 50, 60, 'auto' or None, got %r" % (value,))


def filter(x, fs, band=(20.0, 450.0), mains="auto", order=4, causal=False, rectify=False,
           envelope=None, envelope_window=0.05, default_chain=True, out=None):
    """Filter one channel x sampled at fs Hz with the filter module
    (include/emgkit/filter.h), zero-phase unless causal.

    default_chain  the surface-EMG chain of emg-filter --default-chain
                   (4th-order Butterworth 20-450 Hz, clipped for low rates, plus a
                   mains notch comb); otherwise band=(lo, hi) Butterworth of `order`
                   (lo None: low-pass; hi None: high-pass) and a notch at mains
    mains          50, 60, "auto" (detect; emg-filter's default) or None (no notch)
    rectify, envelope ("rms", "arv", "linear", "tkeo") and envelope_window
                   (s, or Hz for linear) as emg-filter's --rectify / --envelope
    out            the output array (may be x itself for in-place work); a new
                   one when None.  x is read where it lies when it is C-contiguous
                   float64."""
    x = as_samples(x)
    y = np.empty_like(x) if out is None else out
    if y.dtype != np.float64 or not y.flags.c_contiguous or y.shape != x.shape:
        raise ValueError("out must be a C-contiguous float64 array shaped like x")
    err, chain = _capi.Error(), c_void_p()
    phase = EMG_PHASE_CAUSAL if causal else EMG_PHASE_ZERO
    check(lib.emg_chain_create(byref(chain), float(fs), byref(err)), err)
    try:
        _build_chain(chain, band, mains, order, phase, rectify, envelope, envelope_window,
                     default_chain, err)
        check(lib.emg_chain_push(chain, pointer(x), len(x), byref(err)), err)
        check(lib.emg_chain_finish(chain, byref(err)), err)
        got = lib.emg_chain_pull(chain, pointer(y), len(y))
        if got != len(x):
            raise EmgkitError("filter: %d of %d samples came out" % (got, len(x)), -6)
    finally:
        lib.emg_chain_destroy(chain)
    return y


def _build_chain(chain, band, mains, order, phase, rectify, envelope, window, default_chain,
                 err):
    notch = _mains(mains)
    if default_chain:
        check(lib.emg_chain_add_default(chain, notch, phase, byref(err)), err)
    else:
        lo, hi = band
        kind = ("bandpass" if lo and hi else "highpass" if lo else "lowpass")
        f1, f2 = (lo, hi) if kind == "bandpass" else ((lo or hi), 0.0)
        check(lib.emg_chain_add_butter(chain, _BANDS[kind], int(order), float(f1), float(f2),
                                       phase, byref(err)), err)
        if mains is not None:
            check(lib.emg_chain_add_notch(chain, notch, 30.0, 0, float(hi or 0.0), 10.0, phase,
                                          byref(err)), err)
    if rectify:
        check(lib.emg_chain_add_rectify(chain, byref(err)), err)
    if envelope:
        kind = _by_name(lambda n, o, e: lib.emg_envelope_from_name(n, o, e), envelope, "envelope")
        check(lib.emg_chain_add_envelope(chain, kind, float(window), phase, byref(err)), err)


# ---- features -----------------------------------------------------------

def _feature_ids(spec):
    err, ids, n = _capi.Error(), POINTER(c_size_t)(), c_size_t()
    check(lib.emg_feature_list_parse(spec.encode(), byref(ids), byref(n), byref(err)), err)
    try:
        return [ids[i] for i in range(n.value)]
    finally:
        _capi.libc.free(ctypes.cast(ids, c_void_p))


def _analysis_options(window, step, threads, band, noise_rms, filter_on, filter_band, mains,
                      causal, taper, welch, periodogram):
    fo, so = _capi.FeatureOptions(), _capi.SpectrumOptions()
    wo, fso = _capi.WindowOptions(), _capi.FilterStageOptions()
    lib.emg_feature_options_init(byref(fo))
    lib.emg_spectrum_options_init(byref(so))
    lib.emg_window_options_init(byref(wo))
    lib.emg_filter_stage_options_init(byref(fso))
    wo.window_s, wo.step_s, wo.threads = float(window), float(step), int(threads)
    if band:
        fo.band_low, fo.band_high = band
    if noise_rms:
        fo.noise_rms = float(noise_rms)
    if filter_band:
        fso.band_low, fso.band_high = filter_band
    fso.mains = _mains(mains)
    fso.causal = int(bool(causal))
    if taper:
        err, t, alpha = _capi.Error(), c_int(), c_double()
        check(lib.emg_taper_from_name(taper.encode(), byref(t), byref(alpha), byref(err)), err)
        so.taper, so.taper_alpha = t.value, alpha.value
    if welch:
        so.segment, so.overlap = welch
    if periodogram:
        so.method = 1
    return fo, so, wo, fso, bool(filter_on or filter_band)


class _Rows:
    """The window engine's emit callback: collects rows in window order."""

    def __init__(self, n_ids):
        self.n_ids = n_ids
        self.onset, self.duration, self.channel, self.flags, self.values = [], [], [], [], []
        self.error = None
        self.callback = _capi.WindowEmit(self._emit)

    def _emit(self, ctx, result):
        try:
            w = result.contents
            self.onset.append(w.onset)
            self.duration.append(w.duration)
            self.channel.append(w.channel)
            self.flags.append(w.flags)
            self.values.append(w.values[:self.n_ids])
            return 0
        except BaseException as e:  # never unwind through C
            self.error = e
            return -5


_flag_texts = {}


def flags_text(bits):
    """"ok", "rest", "rest,low_snr"... for a window's flag bits."""
    if bits not in _flag_texts:
        buf = (c_char * 64)()
        _flag_texts[bits] = text(lib.emg_window_flags_text(bits, buf, 64))
    return _flag_texts[bits]


def _run_engine(source, ids, opts, channels=None, noise_floors=None):
    """The window engine over a path (streamed) or a Recording (its arrays,
    not copied); returns (rows, noise RMS per channel, names, skipped)."""
    fo, so, wo, fso, filter_on = opts
    stage = _capi.ChannelStage()
    lib.emg_channel_stage_filter(byref(stage), byref(fso))
    rows = _Rows(len(ids))
    ids_c = (c_size_t * len(ids))(*ids)
    err, eng = _capi.Error(), c_void_p()
    reader = None
    if isinstance(source, Recording):
        header = source._header
    else:
        reader = open_reader(source, channels=channels, block_seconds=4.0)
        header = lib.emg_reader_header(reader).contents
    try:
        check(lib.emg_window_engine_create(byref(eng), byref(header), ids_c, len(ids), byref(fo),
                                           byref(so), byref(wo),
                                           byref(stage) if filter_on else None, rows.callback,
                                           None, byref(err)), err)
        try:
            for c, floor in enumerate(noise_floors or []):
                if floor and floor > 0:
                    lib.emg_window_engine_set_noise_rms(eng, c, floor)
            if reader is not None:
                rc = lib.emg_window_engine_run(eng, reader, byref(err))
            else:
                rc = _push_recording(eng, source, err)
            if rows.error is not None:
                raise rows.error
            check(rc, err)
            n = header.n_channels
            noise = [lib.emg_window_engine_noise_rms(eng, c) for c in range(n)]
            skipped = {text(header.channels[c].name): text(lib.emg_window_engine_skipped(eng, c))
                       for c in range(n) if lib.emg_window_engine_skipped(eng, c)}
            names = [text(header.channels[c].name) for c in range(n)]
        finally:
            lib.emg_window_engine_destroy(eng)
    finally:
        if reader is not None:
            lib.emg_reader_close(reader)
    return rows, noise, names, skipped


def _push_recording(eng, rec, err):
    """One block holding every channel's whole array (pointers, no copy)."""
    signals = [as_samples(x) for x in rec.signals]
    n = len(signals)
    block = _capi.Block()
    block.n_channels = n
    counts = (c_size_t * n)(*[len(x) for x in signals])
    data = (POINTER(c_double) * n)(*[pointer(x) for x in signals])
    block.count, block.data, block.capacity = counts, data, counts
    rc = lib.emg_window_engine_push(eng, byref(block), byref(err))
    if rc < 0:
        return rc
    return lib.emg_window_engine_finish(eng, byref(err))


def features(source, features="default", window=1.0, step=0.5, threads=1, band=None,
             noise_rms=None, filter=True, filter_band=None, mains=50.0, causal=False,
             taper=None, welch=None, periodogram=False, channels=None):
    """Features of every window of every channel, as emg-features computes
    them: a DataFrame onset duration channel <one column per feature> flags.

    source   a path (streamed in 4 s blocks, any length; channels as read()'s)
             or a Recording
    features "default", "all", "time", "freq", "fatigue" or a list "rms,mdf,..."
    window, step  s; band (lo, hi) Hz for the spectral features; filter=False
    as --no-filter; mains 50, 60, "auto" or None; welch (segment, overlap)
    df.attrs["noise_rms"]: the noise floor used per channel; df.attrs["skipped"]:
    channels left out and why."""
    ids = _feature_ids(features if isinstance(features, str) else ",".join(features))
    opts = _analysis_options(window, step, threads, band, noise_rms, filter, filter_band, mains,
                             causal, taper, welch, periodogram)
    if channels is not None and isinstance(source, Recording):
        source = _subset(source, channels)
    rows, noise, names, skipped = _run_engine(source, ids, opts, channels)
    return _feature_frame(rows, ids, names, noise, skipped)


def _feature_frame(rows, ids, names, noise, skipped):
    cols = [text(lib.emg_feature_name(i)) for i in ids]
    values = np.array(rows.values, dtype=float).reshape(len(rows.values), len(ids))
    df = pd.DataFrame(values, columns=cols)
    df.insert(0, "onset", np.array(rows.onset))
    df.insert(1, "duration", np.array(rows.duration))
    df.insert(2, "channel", pd.Categorical([names[c] for c in rows.channel], categories=names))
    df["flags"] = [flags_text(f) for f in rows.flags]
    df["flag_bits"] = np.array(rows.flags, dtype=np.uint32)
    df.attrs["noise_rms"] = dict(zip(names, noise))
    df.attrs["skipped"] = skipped
    return df


_features_of = features  # for fatigue(), whose argument `features` hides the function


def _subset(rec, channels):
    """A Recording of some channels of rec (the -c syntax or indices / names)."""
    if isinstance(channels, str):
        err, idx, n = _capi.Error(), POINTER(c_int)(), c_size_t()
        check(lib.emg_header_select(byref(rec._header), channels.encode(), byref(idx),
                                    byref(n), byref(err)), err)
        keep = [idx[i] for i in range(n.value)]
        _capi.libc.free(ctypes.cast(idx, c_void_p))
    else:
        keep = [c if isinstance(c, (int, np.integer)) else rec.channel_names.index(c)
                for c in channels]
    if keep == list(range(rec.n_channels)):
        return rec
    return Recording.from_arrays([rec.signals[i] for i in keep], rec.fs[keep],
                                 [rec.channel_names[i] for i in keep],
                                 [rec.units[i] for i in keep])


# ---- fatigue ------------------------------------------------------------

_TREND_COLUMNS = ["intercept", "slope", "ci_low", "ci_high", "r2", "p_value", "n",
                  "change_pct_per_min", "initial", "first_mean", "last_mean",
                  "first_last_change_pct"]


def emg_channels(path_or_rec):
    """The channels the fatigue analysis keeps by default (as emg-fatigue):
    a voltage unit (or none) and no other modality in name or transducer."""
    if isinstance(path_or_rec, Recording):
        h = path_or_rec._header
        return _emg_indices(h)
    reader = open_reader(path_or_rec)
    try:
        return _emg_indices(lib.emg_reader_header(reader).contents)
    finally:
        lib.emg_reader_close(reader)


def _emg_indices(h):
    return [i for i in range(h.n_channels)
            if lib.emg_unit_is_voltage(h.channels[i].unit)
            and not lib.emg_channel_other_modality(byref(h.channels[i]))]


def fatigue(source, features="rms,mdf,mnf,fi_nsm5", regression="ols", inference="n_eff",
            confidence=0.95, first_last=0.1, jasa=False, all_windows=False, channels=None,
            segments=None, per_contraction=False, max_gap=1.0, min_contraction=3.0,
            **analysis):
    """Fatigue trends as emg-fatigue gives them: per channel and feature, the
    regression on time (window centre, s) over the active windows, with the
    interval and p-value for autocorrelated windows (n_eff).  Returns a
    DataFrame channel contraction onset duration feature method intercept
    slope ci_low ci_high r2 p_value n_windows change_pct_per_min initial
    first_mean last_mean first_last_change_pct inference n_eff residual_ac1
    slope_per_min change_pct status [jasa].

    segments         an event table (path; onset, duration, optional file and
                     channel columns) of contractions: one row set per
                     contraction over the windows inside it (--segments)
    per_contraction  contractions found from the windows' flags, bridging gaps
                     up to max_gap s, at least min_contraction s long
                     (--per-contraction)
    **analysis: the options of features() (window, step, mains, filter, ...)."""
    if segments is not None and per_contraction:
        raise ValueError("segments and per_contraction exclude each other")
    if channels is None:
        channels = emg_channels(source)
        if not channels:
            raise ValueError("%s: no EMG channel (unit V, mV, uV or none); choose channels "
                             "with channels=" % getattr(source, "format", source))
    segs = _segments_read(segments, source if isinstance(source, (str, os.PathLike)) else None)
    df = _features_of(source, features=features, channels=channels, **analysis)
    method = _by_name(lib.emg_regression_from_name, regression, "regression")
    infer = _by_name(lib.emg_inference_from_name, inference, "inference")
    names = [c for c in df.columns if c not in ("onset", "duration", "channel", "flags",
                                                "flag_bits")]
    fit = (method, infer, confidence, first_last, jasa, all_windows)
    out = []
    for index, ch in enumerate(df["channel"].cat.categories, 1):
        if ch in df.attrs["skipped"]:
            continue
        w = df[df["channel"] == ch]
        floor_known = math.isfinite(df.attrs["noise_rms"].get(ch, math.nan))
        if segs is not None:
            spans = [(str(k), on, on + dur) for k, (on, dur, c) in enumerate(segs, 1)
                     if c in ("", ch, str(index))]
        elif per_contraction:
            spans = _contractions(w, max_gap, min_contraction)
        else:
            spans = [("all", -math.inf, math.inf)]
        for label, start, end in spans:
            out += _fit_span(ch, label, start, end, w, names, fit, floor_known)
    cols = (["channel", "contraction", "onset", "duration", "feature", "method"] +
            _TREND_COLUMNS[:6] + ["n_windows"] + _TREND_COLUMNS[7:] +
            ["inference", "n_eff", "residual_ac1", "slope_per_min", "change_pct", "status"] +
            (["jasa"] if jasa else []))
    return pd.DataFrame(out, columns=cols)


def _segments_read(path, recording):
    """(onset, duration, channel) of the rows of an event table about
    recording (None: every row), as emg-fatigue --segments reads them."""
    if path is None:
        return None
    segs, n, err = POINTER(_capi.Segment)(), c_size_t(), _capi.Error()
    check(lib.emg_segments_read(byref(segs), byref(n), os.fsencode(path),
                                None if recording is None else os.fsencode(recording),
                                byref(err)), err)
    try:
        return [(segs[i].onset, segs[i].duration, text(segs[i].channel)) for i in range(n.value)]
    finally:
        _capi.libc.free(ctypes.cast(segs, c_void_p))


def _contractions(w, max_gap, min_contraction):
    """A channel's contractions from its windows' flags (runs of windows not
    at rest, flat, clipped or in a gap), as emg-fatigue --per-contraction."""
    inactive = EMG_WINDOW_REST | EMG_WINDOW_FLAT | EMG_WINDOW_CLIPPED | EMG_WINDOW_GAP
    onset = as_samples(w["onset"].to_numpy())
    active = np.ascontiguousarray((w["flag_bits"].to_numpy() & inactive) == 0, dtype=np.intc)
    window = w["duration"].iloc[0] if len(w) else 0.0
    segs, n, err = POINTER(_capi.Segment)(), c_size_t(), _capi.Error()
    check(lib.emg_contractions_from_windows(byref(segs), byref(n), pointer(onset),
                                            active.ctypes.data_as(POINTER(c_int)), len(w),
                                            window, max_gap, min_contraction, byref(err)), err)
    try:
        return [(str(k + 1), segs[k].onset, segs[k].onset + segs[k].duration)
                for k in range(n.value)]
    finally:
        _capi.libc.free(ctypes.cast(segs, c_void_p))


def _fit_span(ch, label, start, end, w, names, fit, floor_known):
    """One row per feature: the trend over the windows of w that lie inside
    [start, end] (the whole channel: -inf, inf), as emg-fatigue fits a span."""
    method, infer, confidence, first_last, jasa, all_windows = fit
    if len(w) and math.isfinite(start):
        inside = ((w["onset"] >= start - 1e-9) &
                  (w["onset"] + w["duration"] <= end + 1e-9)).to_numpy()
        w = w[inside]
    bits = w["flag_bits"].to_numpy()
    census = _capi.WindowCensus(len(w), int(np.sum((bits & EMG_WINDOW_UNUSABLE) == 0)),
                                int(np.sum((bits & (EMG_WINDOW_REST | EMG_WINDOW_LOW_SNR)) != 0)),
                                int(floor_known))
    status = lib.emg_trend_status_of(byref(census))
    fitted = lib.emg_trend_status_fits(status) or all_windows
    use = np.ones(len(w), bool) if all_windows else (bits & EMG_WINDOW_UNUSABLE) == 0
    t = as_samples((w["onset"] + w["duration"] / 2).to_numpy()[use] if fitted else [])
    trends = {}
    for name in names:
        y = as_samples(w[name].to_numpy()[use] if fitted else [])
        tr, err = _capi.Trend(), _capi.Error()
        rc = lib.emg_trend_fit(byref(tr), pointer(t), pointer(y), len(t), method, infer,
                               confidence, first_last, byref(err))
        if rc < 0 and err.status != -1:  # fewer than 3 points: every statistic n/a
            check(rc, err)
        trends[name] = tr
    label_jasa = None
    if jasa:
        label_jasa = (text(lib.emg_jasa_name(lib.emg_jasa_classify(byref(trends["rms"]),
                                                                   byref(trends["mdf"]), 1)))
                      if "rms" in trends and "mdf" in trends else "n/a")
    if math.isfinite(start):
        onset, stop = start, end
    else:
        onset = w["onset"].iloc[0] if len(w) else math.nan
        stop = (w["onset"].iloc[-1] + w["duration"].iloc[-1]) if len(w) else math.nan
    rows = []
    for name, tr in trends.items():
        rows.append([ch, label, onset, stop - onset, name,
                     text(lib.emg_regression_name(method))] +
                    [getattr(tr, c) for c in _TREND_COLUMNS] +
                    [text(lib.emg_inference_name(tr.inference)), tr.n_eff, tr.residual_ac1,
                     tr.slope_per_min, tr.change_pct, text(lib.emg_trend_status_name(status))] +
                    ([label_jasa] if jasa else []))
    return rows


# ---- detection ----------------------------------------------------------

def detect(source, fs=None, method="threshold", burst=False, channels=None, **options):
    """Activity onsets and offsets as emg-detect finds them: a DataFrame onset
    duration channel label peak area rms phases turns.

    source   a Recording, a path, or one channel's samples (then fs is needed)
    method   threshold, bonato, tkeo, hodges, lidierth, aglr, transient
    burst    burst mode (3 ms envelope) for brief events
    **options  fields of emg_detect_options (k, k_off, min_duration, merge_gap,
             rest_from, rest_to, envelope, band_low, band_high, ...)
    df.attrs["rest"]: the rest level, threshold and noise RMS per channel."""
    if not isinstance(source, Recording):
        if fs is not None:
            source = Recording.from_arrays([source], fs)
        else:
            source = read(source, channels=channels)
    o = _capi.DetectOptions()
    lib.emg_detect_options_init(byref(o))
    o.method = _by_name(lib.emg_detect_method_from_name, method, "method")
    if burst:
        lib.emg_detect_options_burst(byref(o))
    for key, value in options.items():
        if key not in dict(o._fields_):
            raise TypeError("detect: unknown option %r" % key)
        setattr(o, key, value)
    label = "transient" if method == "transient" else "active"
    rows, rest = [], {}
    for name, x, rate in zip(source.channel_names, source.signals, source.fs):
        if len(x) == 0:
            continue
        x = as_samples(x)
        res, err = _capi.DetectResult(), _capi.Error()
        rc = lib.emg_detect_run(byref(res), pointer(x), len(x), float(rate), byref(o), byref(err))
        if rc < 0:
            raise EmgkitError("channel %s: %s" % (name, text(err.message)), rc)
        try:
            for k in range(res.n_events):
                e = res.events[k]
                rows.append((e.onset, e.duration, name, label, e.peak, e.area, e.rms, e.phases,
                             e.turns))
            rest[name] = {"from": res.rest.from_, "to": res.rest.to, "mean": res.rest.mean,
                          "sd": res.rest.sd, "unsure": bool(res.rest.unsure),
                          "threshold": res.threshold, "noise_rms": res.noise_rms,
                          "gaps": res.gaps.count}
        finally:
            lib.emg_detect_result_free(byref(res))
    df = pd.DataFrame(rows, columns=["onset", "duration", "channel", "label", "peak", "area",
                                     "rms", "phases", "turns"])
    df.attrs["rest"] = rest
    return df


# ---- labelling ----------------------------------------------------------

_LABEL_COLUMNS = ["onset", "duration", "channel", "label", "confidence", "n_bursts",
                  "burst_ms", "rate_hz", "interval_cv", "cocon", "partner", "lag", "mdf",
                  "amp_over_rest", "rise_time", "phases", "spikes", "context", "rule", "note",
                  "explain"]


def label_options():
    """The labeller's thresholds: name -> (default, unit, rule, source, help),
    names as label()'s keywords (emg-label's options with _ for -)."""
    n = c_size_t()
    table = lib.emg_label_params(byref(n))
    return {text(p.option).replace("-", "_"): (p.def_, text(p.unit), text(p.rule), text(p.source),
                                               text(p.help))
            for p in (table[i] for i in range(n.value))}


def label(source, context=None, pairs=(), force=(), explain=True, mains=None, rest=None,
          **thresholds):
    """Spasm labels per event, as emg-label gives them, with the evidence,
    the rule that fired and (explain=True) why: a DataFrame onset duration
    channel label confidence ... context rule note explain.

    source   a Recording (its arrays are handed to the labeller, not copied) or a path
    context  rest, sleep, exercise, movement, cns_lesion, ischemia, ... (None:
             from the recording's annotations)
    pairs    [(agonist, antagonist)] by name or 0-based index; force: channels
    **thresholds  any labeller threshold by name (label_options())
    df.attrs: "missing" (sentences naming inputs that would decide
    unclassified events), "unlabelled" and "not_labelled" (explanations)."""
    rec = source if isinstance(source, Recording) else read(source)
    o = _capi.LabelOptions()
    lib.emg_label_options_init(byref(o))
    if context:
        o.context = _by_name(lib.emg_context_from_name, context, "context")
    if mains is not None:
        o.mains = _mains(mains)
    if rest is not None:
        o.rest_from, o.rest_to = rest
    index = (lambda c: c if isinstance(c, (int, np.integer))
             else rec.channel_names.index(c))
    for k, (a, b) in enumerate(pairs):
        o.pairs[k][0], o.pairs[k][1] = index(a), index(b)
    o.n_pairs = len(pairs)
    for k, c in enumerate(force):
        o.force[k] = index(c)
    o.n_force = len(force)
    o.explain = int(bool(explain))
    known = label_options()
    for key, value in thresholds.items():
        if key not in known:
            raise TypeError("label: unknown threshold %r" % key)
        setattr(o, key, value)
    return _label_run(rec, o)


def _label_run(rec, o):
    signals = [as_samples(x) for x in rec.signals]

    def fetch(source, channel, data, err):
        data[0] = pointer(signals[channel])
        return 0

    callback = _capi.LabelFetch(fetch)
    res, err = _capi.LabelResult(), _capi.Error()
    check(lib.emg_label_channels(byref(res), byref(rec._header), callback, None, byref(o),
                                 byref(err)), err)
    try:
        names = rec.channel_names
        rows = []
        for k in range(res.n_events):
            e = res.events[k]
            row = [getattr(e, c) if hasattr(e, c) else None for c in _LABEL_COLUMNS]
            row = [text(v) if isinstance(v, bytes) else v for v in row]
            row[2] = names[e.channel]
            row[4] = round(e.confidence * 100) / 100
            row[6] = 1e3 * e.burst_duration  # ms, as emg-label and the truth tables
            row[7] = e.burst_rate            # Hz
            row[10] = names[e.partner] if e.partner >= 0 else "n/a"
            row[19] = text(e.note) or "n/a"
            row[20] = text(e.explain) if e.explain else ""
            rows.append(row)
        df = pd.DataFrame(rows, columns=_LABEL_COLUMNS)
        df.attrs["missing"] = [text(lib.emg_label_missing_text(1 << b)) for b in range(4)
                               if res.missing & (1 << b)]
        df.attrs["unlabelled"] = text(res.unlabelled) or ""
        df.attrs["not_labelled"] = text(res.not_labelled) or ""
        df.attrs["context"] = text(lib.emg_context_name(res.context_used))
        return df
    finally:
        lib.emg_label_result_free(byref(res))
