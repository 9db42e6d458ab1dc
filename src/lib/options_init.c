/* options_init.c: every options struct's *_INIT defaults as a function, for
 * programs and bindings (Python ctypes) that cannot use a C macro; libgit2
 * offers git_*_options_init for the same reason. */
#include "emgkit/detect.h"
#include "emgkit/features.h"
#include "emgkit/io.h"
#include "emgkit/synth.h"

void emg_detect_options_init(emg_detect_options *o)
{
    const emg_detect_options d = EMG_DETECT_OPTIONS_INIT;
    *o = d;
}

void emg_feature_options_init(emg_feature_options *o)
{
    const emg_feature_options d = EMG_FEATURE_OPTIONS_INIT;
    *o = d;
}

void emg_spectrum_options_init(emg_spectrum_options *o)
{
    const emg_spectrum_options d = EMG_SPECTRUM_OPTIONS_INIT;
    *o = d;
}

void emg_filter_stage_options_init(emg_filter_stage_options *o)
{
    const emg_filter_stage_options d = EMG_FILTER_STAGE_OPTIONS_INIT;
    *o = d;
}

void emg_window_options_init(emg_window_options *o)
{
    const emg_window_options d = EMG_WINDOW_OPTIONS_INIT;
    *o = d;
}

void emg_read_options_init(emg_read_options *o)
{
    const emg_read_options d = EMG_READ_OPTIONS_INIT;
    *o = d;
}

void emg_synth_options_init(emg_synth_options *o)
{
    const emg_synth_options d = EMG_SYNTH_OPTIONS_INIT;
    *o = d;
}
