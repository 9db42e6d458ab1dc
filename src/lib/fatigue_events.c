/* fatigue_events.c: the windows of "fatigue before events" (emg-fatigue
 * --events --lead S).
 *
 * Does the median frequency fall in the minutes before a cramp?  The trend
 * over the lead window [o - lead, o) before each event is compared with the
 * trends over control windows of the same length in the same recording, far
 * from every event: a fall seen before events and not in the controls is
 * about the events, not about the recording.  A lead window is kept when it
 * lies inside the recording and holds no part of another event (the
 * aftermath of the previous cramp is not a lead-up).  Control windows are
 * laid greedily from the start, each as early as it can be while keeping
 * guard seconds away from every event's lead window and span (the interval
 * [o - lead - guard, o + d + guard]), and do not overlap each other.
 * Method: docs/methods/fatigue.md, "Fatigue before events". */
#include "emgkit/fatigue.h"

#include <math.h>
#include <stdlib.h>

#include "io_internal.h"

/* Whether [a, b) meets any event's span [o, o + d] other than skip. */
static int meets_event(const emg_segment *ev, size_t n, double a, double b, size_t skip)
{
    for (size_t i = 0; i < n; i++) {
        double o = ev[i].onset, e = o + ev[i].duration;
        if (i != skip && o < b && (e > a || o >= a))
            return 1;
    }
    return 0;
}

/* The end of the first exclusion zone that [a, a + len) meets, or NAN. */
static double blocked_until(const emg_segment *ev, size_t n, double a, double len, double lead,
                            double guard)
{
    double until = NAN;
    for (size_t i = 0; i < n; i++) {
        double lo = ev[i].onset - lead - guard, hi = ev[i].onset + ev[i].duration + guard;
        if (a < hi && a + len > lo && !(until >= hi))
            until = hi;
    }
    return until;
}

int emg_event_windows(emg_event_window **windows, size_t *n_windows, size_t *n_dropped,
                      const emg_segment *events, size_t n_events, double start, double end,
                      double lead, double guard, emg_error *err)
{
    *windows = NULL;
    *n_windows = *n_dropped = 0;
    if (!(lead > 0) || !(guard >= 0))
        return emg_error_set(err, EMG_ERR_ARG, "lead %g s and guard %g s: need lead > 0, guard >= 0",
                             lead, guard);
    size_t cap = n_events + (end > start ? (size_t)((end - start) / lead) : 0) + 1;
    emg_event_window *w = emgi_xcalloc(cap, sizeof *w, err);
    if (!w)
        return EMG_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < n_events; i++) {
        double a = events[i].onset - lead;
        if (a >= start - 1e-9 && events[i].onset <= end + 1e-9 &&
            !meets_event(events, n_events, a, events[i].onset, i))
            w[n++] = (emg_event_window){a, lead, i + 1};
        else
            (*n_dropped)++;
    }
    for (double a = start; a + lead <= end + 1e-9 && n < cap;) {
        double until = blocked_until(events, n_events, a, lead, lead, guard);
        if (isfinite(until)) {
            a = until;
            continue;
        }
        w[n++] = (emg_event_window){a, lead, 0};
        a += lead;
    }
    qsort(w, n, sizeof *w, emgi_double_cmp); /* onset is the first member */
    *windows = w;
    *n_windows = n;
    return 0;
}
