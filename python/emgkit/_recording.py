"""_recording.py: recordings as NumPy arrays with their metadata; reading,
streaming in blocks and simulating."""
import ctypes
import math
from ctypes import POINTER, byref, c_double, c_int, c_size_t, c_void_p

import numpy as np
import pandas as pd

from . import _capi
from ._capi import lib


class EmgkitError(Exception):
    """A failure reported by libemgkit: str() is the library's one-line
    message ("FILE: problem"); status is its emg_status (negative) and
    status_name its short English name."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status
        self.status_name = lib.emg_status_name(status).decode()


def check(rc, err):
    """Raise EmgkitError with err's message when a call returned a negative status."""
    if rc < 0:
        raise EmgkitError(err.message.decode("utf-8", "replace"), rc)
    return rc


def text(value):
    return value.decode("utf-8", "replace") if value is not None else None


def as_samples(x):
    """x as a C-contiguous float64 array: the same memory when it already is one."""
    return np.ascontiguousarray(x, dtype=np.float64)


def pointer(x):
    return x.ctypes.data_as(POINTER(c_double))


class _CView:
    """A NumPy view of samples that C owns; keeps the owner alive."""

    def __init__(self, owner, address, n):
        self.owner = owner
        self.__array_interface__ = {"shape": (n,), "typestr": "<f8", "data": (address, True),
                                    "version": 3}


class _CRecording:
    """An emg_recording filled by the library, freed when no view needs it."""

    def __init__(self):
        self.rec = _capi.Recording()
        lib.emg_recording_init(byref(self.rec))

    def __del__(self):
        lib.emg_recording_free(byref(self.rec))


class _CHeader:
    """An emg_header owned here (a copy, or built from arrays)."""

    def __init__(self):
        self.header = _capi.Header()
        lib.emg_header_init(byref(self.header))

    def __del__(self):
        lib.emg_header_free(byref(self.header))


def _annotations(h):
    rows = [(a.onset, a.duration, a.channel, text(a.text))
            for a in (h.annotations[i] for i in range(h.n_annotations))]
    return pd.DataFrame(rows, columns=["onset", "duration", "channel", "text"])


class Recording:
    """A recording in memory: one float64 array per channel (physical units)
    and the metadata every reader fills (docs/recording-model.md).

    signals      list of 1-D arrays, one per channel (channels may differ in rate)
    fs           array of sampling rates (Hz)
    channel_names, units  lists of str
    annotations  DataFrame onset duration channel text (channel 0-based, -1 = all)
    start_time, subject, description, format  str
    notes        what the reader wants the user to know (warnings)
    """

    def __init__(self, header_owner, header, signals, fmt=""):
        self._owner = header_owner  # keeps header (a C struct) alive
        self._header = header
        self.signals = signals
        h = header
        chans = [h.channels[i] for i in range(h.n_channels)]
        self.channel_names = [text(c.name) for c in chans]
        self.units = [text(c.unit) for c in chans]
        self.fs = np.array([c.fs for c in chans])
        self.annotations = _annotations(h)
        self.start_time = text(h.start_time)
        self.subject = text(h.subject)
        self.description = text(h.recording)
        self.notes = [text(h.notes[i]) for i in range(h.n_notes)]
        self.format = fmt

    @classmethod
    def from_arrays(cls, signals, fs, names=None, units="mV"):
        """A recording from arrays (a 2-D array of channels x samples, or a
        list of 1-D arrays) at fs Hz (one rate or one per channel)."""
        signals = [as_samples(x) for x in signals]
        n = len(signals)
        rates = np.broadcast_to(np.asarray(fs, dtype=float), (n,))
        names = names or ["EMG%d" % (i + 1) for i in range(n)]
        units = [units] * n if isinstance(units, str) else list(units)
        owner = _CHeader()
        err = _capi.Error()
        for x, rate, name, unit in zip(signals, rates, names, units):
            ch = _capi.Channel()
            lib.emg_channel_init(byref(ch))
            ch.name = name.encode()
            ch.unit = unit.encode()
            ch.fs = float(rate)
            ch.n_samples = len(x)
            check(lib.emg_header_add_channel(byref(owner.header), byref(ch), byref(err)), err)
        return cls(owner, owner.header, signals)

    @property
    def n_channels(self):
        return len(self.signals)

    @property
    def duration(self):
        return max((len(x) / f for x, f in zip(self.signals, self.fs)), default=0.0)

    def channel(self, name_or_index):
        """A channel's samples by 0-based index or by name."""
        if isinstance(name_or_index, str):
            return self.signals[self.channel_names.index(name_or_index)]
        return self.signals[name_or_index]

    def to_array(self):
        """Channels x samples as one 2-D array (all channels at one rate and length)."""
        return np.vstack(self.signals)

    def info(self):
        """One row per channel, as emg-info prints it."""
        h = self._header
        rows = []
        for i in range(h.n_channels):
            c = h.channels[i]
            rows.append((text(c.name), c.fs, len(self.signals[i]), len(self.signals[i]) / c.fs,
                         text(c.unit), 1.0 / c.gain if c.gain else 0.0, text(c.transducer)))
        return pd.DataFrame(rows, columns=["name", "fs", "samples", "duration", "unit",
                                           "resolution", "transducer"])

    def __repr__(self):
        return "<emgkit.Recording %d channels, %.6g s%s>" % (
            self.n_channels, self.duration, ", " + self.format if self.format else "")


def _read_options(fs, unit, block_seconds=None):
    opts = _capi.ReadOptions()
    lib.emg_read_options_init(byref(opts))
    if fs:
        opts.fs = fs
    if unit:
        opts.unit = unit.encode()
    if block_seconds:
        opts.block_seconds_hint_ms = int(round(block_seconds * 1000))
    return opts


def open_reader(path, channels=None, start=0.0, stop=None, fs=None, unit=None,
                block_seconds=None):
    """An emg_reader (handle) with channel selection and time range applied."""
    err = _capi.Error()
    reader = c_void_p()
    opts = _read_options(fs, unit, block_seconds)
    check(lib.emg_reader_open(byref(reader), str(path).encode(), byref(opts), byref(err)), err)
    try:
        if channels is not None:
            _select(reader, channels, err)
        if start or stop is not None:
            check(lib.emg_reader_set_range(reader, float(start or 0.0),
                                           -1.0 if stop is None else float(stop), byref(err)),
                  err)
    except BaseException:
        lib.emg_reader_close(reader)
        raise
    return reader


def _select(reader, channels, err):
    """channels: the -c syntax ("1-3,EMG5"), or a list of 0-based indices or names."""
    if not isinstance(channels, str):
        channels = ",".join(str(c + 1) if isinstance(c, (int, np.integer)) else c
                            for c in channels)
    indices, n = POINTER(c_int)(), c_size_t()
    check(lib.emg_header_select(lib.emg_reader_header(reader), channels.encode(), byref(indices),
                                byref(n), byref(err)), err)
    try:
        check(lib.emg_reader_select(reader, indices, n, byref(err)), err)
    finally:
        _capi.libc.free(ctypes.cast(indices, c_void_p))


def read(path, channels=None, start=0.0, stop=None, fs=None, unit=None):
    """Read a recording in any format emgkit reads (format from the content).

    channels  -c syntax ("1-4", "EMG1,EMG3") or a list of 0-based indices / names
    start, stop  seconds (stop None: to the end)
    fs, unit  for text without a rate, audio without a unit (as the tools' --fs, --unit)
    The samples stay where the library put them: the arrays are views."""
    reader = open_reader(path, channels, start, stop, fs, unit)
    err = _capi.Error()
    owner = _CRecording()
    try:
        fmt = text(lib.emg_format_name(lib.emg_reader_format(reader)))
        check(lib.emg_reader_read_all(reader, byref(owner.rec), byref(err)), err)
    finally:
        lib.emg_reader_close(reader)
    h = owner.rec.header
    signals = []
    for i in range(h.n_channels):
        n = max(int(h.channels[i].n_samples), 0)
        address = ctypes.cast(owner.rec.data[i], c_void_p).value if n else None
        signals.append(np.asarray(_CView(owner, address, n)) if n else np.empty(0))
    return Recording(owner, h, signals, fmt)


class BlockOfSamples:
    """One block of a streamed recording: onset (s), signals (one copied
    array per channel), fs, channel_names, annotations (DataFrame)."""

    def __init__(self, onset, signals, fs, names, annotations):
        self.onset, self.signals, self.fs = onset, signals, fs
        self.channel_names, self.annotations = names, annotations


def blocks(path, seconds=10.0, channels=None, start=0.0, stop=None, fs=None, unit=None):
    """Iterate over a recording in blocks of about `seconds`, so that memory
    does not grow with its length."""
    reader = open_reader(path, channels, start, stop, fs, unit, block_seconds=seconds)
    err = _capi.Error()
    try:
        h = lib.emg_reader_header(reader).contents
        rates = np.array([h.channels[i].fs for i in range(h.n_channels)])
        names = [text(h.channels[i].name) for i in range(h.n_channels)]
        done = np.zeros(h.n_channels)
        block = POINTER(_capi.Block)()
        while check(lib.emg_reader_read(reader, byref(block), byref(err)), err) > 0:
            b = block.contents
            signals = [np.ctypeslib.as_array(b.data[i], (b.count[i],)).copy() if b.count[i]
                       else np.empty(0) for i in range(b.n_channels)]
            onset = float(done[0] / rates[0]) if len(rates) else 0.0
            done += [len(x) for x in signals]
            yield BlockOfSamples(onset, signals, rates, names, _annotations(b))
    finally:
        lib.emg_reader_close(reader)


_EVENT_COLUMNS = ["onset", "duration", "channel", "label", "kind", "context", "channels",
                  "detail", "level", "rate_hz", "rate_min_hz", "rate_max_hz", "cv", "burst_ms",
                  "burst_min_ms", "burst_max_ms", "count", "amplitude_mv", "conduction_mps",
                  "cv_decline"]
_EVENT_KINDS = ["spasm", "negative", "nuisance"]


def simulate(scenario="session", seed=1, duration=None, fs=None, channels=None, mains=None,
             snr_db=None):
    """Simulate a scenario (a built-in name or a scenario file, docs/formats/
    scenario.md) as emg-synth does: returns (Recording, truth), truth a
    DataFrame of the ground-truth events (channel as a name)."""
    err = _capi.Error()
    sc, synth = c_void_p(), c_void_p()
    opts = _capi.SynthOptions()
    lib.emg_synth_options_init(byref(opts))
    opts.seed = int(seed)
    opts.duration = float(duration or 0.0)
    opts.fs = float(fs or 0.0)
    opts.n_channels = int(channels or 0)
    opts.mains = -1 if mains is None else int(mains)
    opts.snr_db = math.nan if snr_db is None else float(snr_db)
    check(lib.emg_scenario_load(byref(sc), str(scenario).encode(), byref(err)), err)
    try:
        check(lib.emg_synth_open(byref(synth), sc, byref(opts), byref(err)), err)
        try:
            return _drain_synth(synth, err)
        finally:
            lib.emg_synth_close(synth)
    finally:
        lib.emg_scenario_free(sc)


def _drain_synth(synth, err):
    h = lib.emg_synth_header(synth).contents
    parts = [[] for _ in range(h.n_channels)]
    block = POINTER(_capi.Block)()
    while check(lib.emg_synth_read(synth, byref(block), byref(err)), err) > 0:
        b = block.contents
        for i in range(b.n_channels):
            if b.count[i]:
                parts[i].append(np.ctypeslib.as_array(b.data[i], (b.count[i],)).copy())
    signals = [np.concatenate(p) if p else np.empty(0) for p in parts]
    owner = _CHeader()
    check(lib.emg_header_copy(byref(owner.header), byref(h), byref(err)), err)
    for i, x in enumerate(signals):
        owner.header.channels[i].n_samples = len(x)
    names = [text(h.channels[i].name) for i in range(h.n_channels)]
    rows = []
    for k in range(lib.emg_synth_event_count(synth)):
        e = lib.emg_synth_event_at(synth, k).contents
        row = [getattr(e, c) for c in _EVENT_COLUMNS]
        row = [text(v) if isinstance(v, bytes) else v for v in row]
        row[2] = names[e.channel] if e.channel >= 0 else "n/a"
        row[4] = _EVENT_KINDS[e.kind]
        rows.append(row)
    truth = pd.DataFrame(rows, columns=_EVENT_COLUMNS)
    return Recording(owner, owner.header, signals, "synth"), truth
