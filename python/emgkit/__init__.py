"""emgkit: EMG recordings, filtering, features, fatigue trends, detection,
spasm labelling and simulation, from Python, over the C library libemgkit
(ctypes; no compiled extension).  docs/python.md has examples.

    import emgkit
    rec = emgkit.read("datasets/plux_opensignals/emg_fatigue.h5")
    trends = emgkit.fatigue(rec)
    scene, truth = emgkit.simulate("session", seed=7)
    labels = emgkit.label(scene)

Every function gives the numbers of the command-line tool that does the same
(emg-features, emg-fatigue, emg-detect, emg-label, emg-synth) with the same
defaults; failures raise EmgkitError carrying the library's message."""
from ._analysis import (detect, emg_channels, fatigue, features, filter, flags_text, label,
                        label_options)
from ._capi import lib as _lib
from ._recording import EmgkitError, Recording, blocks, read, simulate

__version__ = _lib.emg_version().decode()
library_path = _lib._name

__all__ = ["read", "blocks", "Recording", "simulate", "filter", "features", "fatigue",
           "detect", "label", "label_options", "emg_channels", "flags_text", "EmgkitError",
           "__version__", "library_path"]
