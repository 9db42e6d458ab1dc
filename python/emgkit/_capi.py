"""_capi.py: libemgkit loaded with ctypes, its structs and prototypes.

Only what the package uses is declared.  The struct layouts mirror the public
headers (include/emgkit/*.h); tests/python/test_layout.py compares every
size and field offset with what a C compiler gives.  The labeller's options
struct is built from the library's own table (emg_label_params), so its
thresholds are never listed twice.

The library is found, in order: the EMGKIT_LIBRARY environment variable (a
path), the path CMake wrote into _paths.py (the build tree's, or the
installed one relative to this package), then the loader's search path."""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_int, c_int32,
                    c_int64, c_long, c_longlong, c_size_t, c_uint, c_uint64, c_void_p)

try:
    from . import _paths
except ImportError:  # the source tree, not configured by CMake
    _paths = None

SONAME = getattr(_paths, "SONAME", "libemgkit.so")


def _library_path():
    env = os.environ.get("EMGKIT_LIBRARY")
    if env:
        return env
    if _paths is not None:
        path = _paths.LIBRARY
        if not os.path.isabs(path):
            path = os.path.normpath(os.path.join(os.path.dirname(__file__), path))
        if os.path.exists(path):
            return path
    return SONAME


lib = ctypes.CDLL(_library_path())

EMG_ERROR_MESSAGE_MAX = 512
EMG_NAME_MAX = 64
EMG_UNIT_MAX = 24
EMG_TEXT_MAX = 96


class Error(Structure):
    _fields_ = [("status", c_int), ("message", c_char * EMG_ERROR_MESSAGE_MAX)]


class Channel(Structure):
    _fields_ = [("name", c_char * EMG_NAME_MAX), ("unit", c_char * EMG_UNIT_MAX),
                ("transducer", c_char * EMG_TEXT_MAX), ("fs", c_double), ("n_samples", c_int64),
                ("gain", c_double), ("baseline", c_double), ("digital_min", c_int32),
                ("digital_max", c_int32)]


class Annotation(Structure):
    _fields_ = [("onset", c_double), ("duration", c_double), ("channel", c_int),
                ("text", c_char_p)]


class Header(Structure):
    _fields_ = [("n_channels", c_size_t), ("channels", POINTER(Channel)),
                ("start_time", c_char * 40), ("subject", c_char * EMG_TEXT_MAX),
                ("recording", c_char * EMG_TEXT_MAX), ("n_annotations", c_size_t),
                ("annotations", POINTER(Annotation)), ("n_provenance", c_size_t),
                ("provenance", POINTER(c_char_p)), ("n_notes", c_size_t),
                ("notes", POINTER(c_char_p))]


class Block(Structure):
    _fields_ = [("n_channels", c_size_t), ("count", POINTER(c_size_t)),
                ("data", POINTER(POINTER(c_double))), ("capacity", POINTER(c_size_t)),
                ("n_annotations", c_size_t), ("annotations", POINTER(Annotation))]


class Recording(Structure):
    _fields_ = [("header", Header), ("data", POINTER(POINTER(c_double)))]


class ReadOptions(Structure):
    _fields_ = [("format", c_int), ("fs", c_double), ("full_scale", c_double), ("unit", c_char_p),
                ("resample", c_int), ("block_seconds_hint_ms", c_size_t),
                ("allow_outside_paths", c_int)]


class GapCount(Structure):
    _fields_ = [("count", c_size_t), ("first", c_longlong)]


class FeatureOptions(Structure):
    _fields_ = [(name, c_double) for name in (
        "zc_threshold", "ssc_threshold", "wamp_threshold", "band_low", "band_high", "noise_rms",
        "rest_snr_db", "min_snr_db", "clip_high", "clip_low", "clip_fraction", "flat_rms")]


class SpectrumOptions(Structure):
    _fields_ = [("method", c_int), ("taper", c_int), ("taper_alpha", c_double),
                ("segment", c_size_t), ("overlap", c_size_t)]


class FilterStageOptions(Structure):
    _fields_ = [("band_low", c_double), ("band_high", c_double), ("mains", c_double),
                ("notch_harmonics", c_int), ("causal", c_int)]


class WindowOptions(Structure):
    _fields_ = [("window_s", c_double), ("step_s", c_double), ("threads", c_int),
                ("estimate_noise", c_int)]


class WindowResult(Structure):
    _fields_ = [("window", c_size_t), ("channel", c_size_t), ("onset", c_double),
                ("duration", c_double), ("values", POINTER(c_double)), ("flags", c_uint),
                ("power", c_double)]


class ChannelStage(Structure):
    """emg_channel_stage: seven pointers the library fills (emg_channel_stage_filter)."""
    _fields_ = [(name, c_void_p) for name in (
        "create", "process", "flush", "destroy", "ctx", "process_group", "flush_group")]


class Trend(Structure):
    _fields_ = ([("n", c_size_t)] +
                [(name, c_double) for name in ("intercept", "slope", "slope_se", "ci_low",
                                               "ci_high", "r2", "p_value")] +
                [("inference", c_int)] +
                [(name, c_double) for name in (
                    "n_eff", "residual_ac1", "initial", "slope_per_min", "change_pct",
                    "change_pct_per_min", "first_mean", "last_mean", "first_last_change_pct",
                    "t_first", "t_last")])


class Segment(Structure):
    _fields_ = [("onset", c_double), ("duration", c_double), ("channel", c_char * EMG_NAME_MAX)]


class WindowCensus(Structure):
    _fields_ = [("total", c_size_t), ("active", c_size_t), ("quiet", c_size_t),
                ("floor_known", c_int)]


class DetectOptions(Structure):
    _fields_ = ([("method", c_int)] +
                [(name, c_double) for name in (
                    "band_low", "band_high", "envelope", "k", "k_off", "rest_from", "rest_to",
                    "rest_window", "rest_fraction", "min_duration", "merge_gap")] +
                [("refine", c_int), ("bonato_m", c_int), ("bonato_r0", c_int)] +
                [(name, c_double) for name in (
                    "bonato_pfa", "hodges_lowpass", "hodges_window", "lidierth_t1",
                    "lidierth_t2", "aglr_window", "aglr_h", "transient_max")])


class RestLevel(Structure):
    _fields_ = ([(name, c_double) for name in ("mean", "sd", "median", "robust_sd", "from_",
                                               "to")] +
                [("n_samples", c_size_t), ("unsure", c_int), ("spread", c_double)])


class ActiveEvent(Structure):
    _fields_ = [("onset", c_double), ("duration", c_double), ("peak", c_double),
                ("area", c_double), ("rms", c_double), ("phases", c_int), ("turns", c_int)]


class DetectResult(Structure):
    _fields_ = [("n_events", c_size_t), ("events", POINTER(ActiveEvent)), ("rest", RestLevel),
                ("threshold", c_double), ("noise_rms", c_double), ("gaps", GapCount),
                ("n_blocks", c_size_t), ("forced_cuts", c_size_t)]


class LabelEvent(Structure):
    _fields_ = ([("onset", c_double), ("duration", c_double), ("channel", c_int),
                 ("partner", c_int), ("label", c_char * 24), ("confidence", c_double),
                 ("n_bursts", c_int)] +
                [(name, c_double) for name in (
                    "burst_duration", "burst_rate", "rhythm", "interval_cv", "cocon", "lag",
                    "mdf", "amp_over_rest", "rise_time")] +
                [("phases", c_int), ("spikes", c_double), ("context", c_char * 24),
                 ("rule", c_char * 32), ("note", c_char * 96), ("explain", c_char_p)])


class LabelResult(Structure):
    _fields_ = [("n_events", c_size_t), ("events", POINTER(LabelEvent)), ("missing", c_uint),
                ("context_used", c_int), ("unlabelled", c_char_p), ("not_labelled", c_char_p),
                ("n_channels", c_size_t), ("gaps", POINTER(GapCount)),
                ("forced_cuts", c_size_t)]


class LabelParam(Structure):
    _fields_ = [("option", c_char_p), ("unit", c_char_p), ("rule", c_char_p),
                ("source", c_char_p), ("help", c_char_p), ("def_", c_double), ("is_int", c_int),
                ("offset", c_size_t)]


EMG_LABEL_MAX_PAIRS = 32
EMG_LABEL_MAX_FORCE = 8


def _label_options_type():
    """emg_label_options: the thresholds of emgkit/label_params.def at the
    offsets the library reports, then the fields after them (label.h)."""
    n = c_size_t()
    lib.emg_label_params.restype = POINTER(LabelParam)
    table = lib.emg_label_params(ctypes.byref(n))
    fields, at = [], 0
    for k, p in enumerate(sorted((table[i] for i in range(n.value)), key=lambda p: p.offset)):
        ctype = c_int if p.is_int else c_double
        if p.offset > at:
            fields.append(("_pad%d" % k, c_char * (p.offset - at)))
        fields.append((p.option.decode().replace("-", "_"), ctype))
        at = p.offset + ctypes.sizeof(ctype)
    fields += [(name, c_double) for name in ("band_low", "band_high", "rest_from", "rest_to",
                                             "mains")]
    fields += [("context", c_int), ("n_pairs", c_size_t),
               ("pairs", (c_int * 2) * EMG_LABEL_MAX_PAIRS), ("n_force", c_size_t),
               ("force", c_int * EMG_LABEL_MAX_FORCE), ("auto_roles", c_int), ("explain", c_int)]
    return type("LabelOptions", (Structure,), {"_fields_": fields})


LabelOptions = _label_options_type()


class SynthOptions(Structure):
    _fields_ = [("seed", c_uint64), ("duration", c_double), ("fs", c_double),
                ("n_channels", c_int), ("mains", c_int), ("snr_db", c_double),
                ("block_seconds", c_double)]


class SynthEvent(Structure):
    _fields_ = ([("onset", c_double), ("duration", c_double), ("channel", c_int),
                 ("label", c_char * 24), ("kind", c_int), ("context", c_char * 24),
                 ("channels", c_char * 512), ("detail", c_char * 96)] +
                [(name, c_double) for name in (
                    "level", "rate_hz", "rate_min_hz", "rate_max_hz", "cv", "burst_ms",
                    "burst_min_ms", "burst_max_ms")] +
                [("count", c_long)] +
                [(name, c_double) for name in ("amplitude_mv", "conduction_mps", "cv_decline")])


WindowEmit = CFUNCTYPE(c_int, c_void_p, POINTER(WindowResult))
LabelFetch = CFUNCTYPE(c_int, c_void_p, c_size_t, POINTER(POINTER(c_double)), POINTER(Error))

# Every struct above by its C name, for the layout test.
STRUCTS = {
    "emg_error": Error, "emg_channel": Channel, "emg_annotation": Annotation,
    "emg_header": Header, "emg_block": Block, "emg_recording": Recording,
    "emg_read_options": ReadOptions, "emg_gap_count": GapCount,
    "emg_feature_options": FeatureOptions, "emg_spectrum_options": SpectrumOptions,
    "emg_filter_stage_options": FilterStageOptions, "emg_window_options": WindowOptions,
    "emg_window_result": WindowResult, "emg_channel_stage": ChannelStage, "emg_trend": Trend,
    "emg_window_census": WindowCensus, "emg_segment": Segment, "emg_detect_options": DetectOptions,
    "emg_rest_level": RestLevel, "emg_active_event": ActiveEvent,
    "emg_detect_result": DetectResult, "emg_label_event": LabelEvent,
    "emg_label_result": LabelResult, "emg_label_param": LabelParam,
    "emg_label_options": LabelOptions, "emg_synth_options": SynthOptions,
    "emg_synth_event": SynthEvent,
}

P = POINTER
_E = P(Error)
_D = P(c_double)
# name: (restype, argtypes)
_PROTOTYPES = {
    "emg_version": (c_char_p, []),
    "emg_status_name": (c_char_p, [c_int]),
    "emg_read_options_init": (None, [P(ReadOptions)]),
    "emg_format_name": (c_char_p, [c_int]),
    "emg_reader_open": (c_int, [P(c_void_p), c_char_p, P(ReadOptions), _E]),
    "emg_reader_header": (P(Header), [c_void_p]),
    "emg_reader_format": (c_int, [c_void_p]),
    "emg_reader_select": (c_int, [c_void_p, P(c_int), c_size_t, _E]),
    "emg_reader_set_range": (c_int, [c_void_p, c_double, c_double, _E]),
    "emg_reader_read": (c_int, [c_void_p, P(P(Block)), _E]),
    "emg_reader_read_all": (c_int, [c_void_p, P(Recording), _E]),
    "emg_reader_close": (None, [c_void_p]),
    "emg_header_select": (c_int, [P(Header), c_char_p, P(P(c_int)), P(c_size_t), _E]),
    "emg_recording_init": (None, [P(Recording)]),
    "emg_recording_free": (None, [P(Recording)]),
    "emg_recording_save": (c_int, [P(Recording), c_char_p, c_int, c_void_p, _E]),
    "emg_header_init": (None, [P(Header)]),
    "emg_header_free": (None, [P(Header)]),
    "emg_header_copy": (c_int, [P(Header), P(Header), _E]),
    "emg_header_add_channel": (c_int, [P(Header), P(Channel), _E]),
    "emg_header_add_annotation": (c_int, [P(Header), c_double, c_double, c_int, c_char_p, _E]),
    "emg_channel_init": (None, [P(Channel)]),
    "emg_channel_other_modality": (c_char_p, [P(Channel)]),
    "emg_unit_is_voltage": (c_int, [c_char_p]),
    "emg_chain_create": (c_int, [P(c_void_p), c_double, _E]),
    "emg_chain_add_butter": (c_int, [c_void_p, c_int, c_int, c_double, c_double, c_int, _E]),
    "emg_chain_add_notch": (c_int, [c_void_p, c_double, c_double, c_int, c_double, c_double,
                                    c_int, _E]),
    "emg_chain_add_default": (c_int, [c_void_p, c_double, c_int, _E]),
    "emg_chain_add_rectify": (c_int, [c_void_p, _E]),
    "emg_chain_add_envelope": (c_int, [c_void_p, c_int, c_double, c_int, _E]),
    "emg_chain_push": (c_int, [c_void_p, _D, c_size_t, _E]),
    "emg_chain_finish": (c_int, [c_void_p, _E]),
    "emg_chain_pull": (c_size_t, [c_void_p, _D, c_size_t]),
    "emg_chain_destroy": (None, [c_void_p]),
    "emg_envelope_from_name": (c_int, [c_char_p, P(c_int), _E]),
    "emg_feature_list_parse": (c_int, [c_char_p, P(P(c_size_t)), P(c_size_t), _E]),
    "emg_feature_name": (c_char_p, [c_size_t]),
    "emg_feature_count": (c_size_t, []),
    "emg_feature_options_init": (None, [P(FeatureOptions)]),
    "emg_spectrum_options_init": (None, [P(SpectrumOptions)]),
    "emg_filter_stage_options_init": (None, [P(FilterStageOptions)]),
    "emg_window_options_init": (None, [P(WindowOptions)]),
    "emg_channel_stage_filter": (None, [P(ChannelStage), P(FilterStageOptions)]),
    "emg_window_engine_create": (c_int, [P(c_void_p), P(Header), P(c_size_t), c_size_t,
                                         P(FeatureOptions), P(SpectrumOptions),
                                         P(WindowOptions), P(ChannelStage), WindowEmit,
                                         c_void_p, _E]),
    "emg_window_engine_push": (c_int, [c_void_p, P(Block), _E]),
    "emg_window_engine_finish": (c_int, [c_void_p, _E]),
    "emg_window_engine_run": (c_int, [c_void_p, c_void_p, _E]),
    "emg_window_engine_skipped": (c_char_p, [c_void_p, c_size_t]),
    "emg_window_engine_noise_rms": (c_double, [c_void_p, c_size_t]),
    "emg_window_engine_set_noise_rms": (None, [c_void_p, c_size_t, c_double]),
    "emg_window_engine_destroy": (None, [c_void_p]),
    "emg_window_flags_text": (c_char_p, [c_uint, P(c_char), c_size_t]),
    "emg_taper_from_name": (c_int, [c_char_p, P(c_int), P(c_double), _E]),
    "emg_regression_from_name": (c_int, [c_char_p, P(c_int), _E]),
    "emg_regression_name": (c_char_p, [c_int]),
    "emg_inference_from_name": (c_int, [c_char_p, P(c_int), _E]),
    "emg_inference_name": (c_char_p, [c_int]),
    "emg_trend_fit": (c_int, [P(Trend), _D, _D, c_size_t, c_int, c_int, c_double, c_double, _E]),
    "emg_trend_status_of": (c_int, [P(WindowCensus)]),
    "emg_segments_read": (c_int, [P(P(Segment)), P(c_size_t), c_char_p, c_char_p, _E]),
    "emg_contractions_from_windows": (c_int, [P(P(Segment)), P(c_size_t), _D, P(c_int),
                                              c_size_t, c_double, c_double, c_double, _E]),
    "emg_trend_status_fits": (c_int, [c_int]),
    "emg_trend_status_name": (c_char_p, [c_int]),
    "emg_jasa_classify": (c_int, [P(Trend), P(Trend), c_int]),
    "emg_jasa_name": (c_char_p, [c_int]),
    "emg_detect_options_init": (None, [P(DetectOptions)]),
    "emg_detect_options_burst": (None, [P(DetectOptions)]),
    "emg_detect_method_from_name": (c_int, [c_char_p, P(c_int), _E]),
    "emg_detect_run": (c_int, [P(DetectResult), _D, c_size_t, c_double, P(DetectOptions), _E]),
    "emg_detect_result_free": (None, [P(DetectResult)]),
    "emg_label_options_init": (None, [P(LabelOptions)]),
    "emg_label_params": (P(LabelParam), [P(c_size_t)]),
    "emg_context_from_name": (c_int, [c_char_p, P(c_int), _E]),
    "emg_context_name": (c_char_p, [c_int]),
    "emg_label_channels": (c_int, [P(LabelResult), P(Header), LabelFetch, c_void_p,
                                   P(LabelOptions), _E]),
    "emg_label_result_free": (None, [P(LabelResult)]),
    "emg_label_missing_text": (c_char_p, [c_uint]),
    "emg_header_find_channel": (c_int, [P(Header), c_char_p]),
    "emg_synth_options_init": (None, [P(SynthOptions)]),
    "emg_scenario_load": (c_int, [P(c_void_p), c_char_p, _E]),
    "emg_scenario_free": (None, [c_void_p]),
    "emg_synth_open": (c_int, [P(c_void_p), c_void_p, P(SynthOptions), _E]),
    "emg_synth_header": (P(Header), [c_void_p]),
    "emg_synth_read": (c_int, [c_void_p, P(P(Block)), _E]),
    "emg_synth_close": (None, [c_void_p]),
    "emg_synth_event_count": (c_size_t, [c_void_p]),
    "emg_synth_event_at": (P(SynthEvent), [c_void_p, c_size_t]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    _f = getattr(lib, _name)
    _f.restype = _restype
    _f.argtypes = _argtypes

libc = ctypes.CDLL(None)
libc.free.argtypes = [c_void_p]
libc.free.restype = None
