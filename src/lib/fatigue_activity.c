/* fatigue_activity.c: whether a channel or contraction has anything to fit.
 *
 * A fatigue trend describes a contracting muscle.  Fitted to windows at the
 * noise floor it describes the amplifier: the MDF of band-limited noise sits
 * near the middle of the analysis band and wanders without a cause, and a
 * table row with a slope and an interval invites reading it as "no fatigue".
 * So the windows of a span are counted by what the window engine flagged
 * (features.h: rest below --rest-snr, low_snr below --min-snr, relative to
 * the noise floor, estimated from the quietest windows or given with
 * --noise-rms), and the span gets a status instead of a trend when it shows
 * no activity.  Without a known floor (a recording with no rest in it, no
 * --noise-rms), activity cannot be told from steady noise; the trend is
 * fitted (a contraction held from the first sample to the last is the
 * classic fatigue protocol) and the status says it was not verified.
 * Method and measured cases: docs/methods/fatigue.md, "Nothing to fit". */
#include "emgkit/fatigue.h"

/* The rule's constants, in one place. */
static const struct {
    size_t min_active;     /* fewest active windows for a trend (emg_trend_fit needs 3) */
    double quiet_majority; /* the inactive windows are "quiet" (rest, low SNR) when at
                              least this share of them is */
} ACTIVITY = {3, 0.5};

emg_trend_status emg_trend_status_of(const emg_window_census *c)
{
    if (c->active >= ACTIVITY.min_active)
        return c->floor_known ? EMG_TREND_OK : EMG_TREND_NO_REST_REFERENCE;
    size_t inactive = c->total - c->active;
    if (c->floor_known && c->quiet > 0 &&
        (double)c->quiet >= ACTIVITY.quiet_majority * (double)inactive)
        return EMG_TREND_NO_ACTIVITY;
    return EMG_TREND_TOO_FEW_WINDOWS;
}

int emg_trend_status_fits(emg_trend_status s)
{
    return s == EMG_TREND_OK || s == EMG_TREND_NO_REST_REFERENCE;
}

const char *emg_trend_status_name(emg_trend_status s)
{
    switch (s) {
    case EMG_TREND_OK: return "ok";
    case EMG_TREND_NO_ACTIVITY: return "no_activity";
    case EMG_TREND_TOO_FEW_WINDOWS: return "too_few_windows";
    case EMG_TREND_NO_REST_REFERENCE: return "no_rest_reference";
    }
    return "?";
}
