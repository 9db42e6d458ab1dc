/* fuzz_table.c: fuzz targets for the text parsers that are not recordings.
 * Compiled with -DFUZZ_TABLE=1 (event tables: read as both the truth and the
 * prediction of emg-score, then scored with sample-based scores on), 2
 * (segment tables of emg-fatigue --segments) or 3 (simulator scenarios).  The
 * parser must accept the input or reject it with a message, never crash, hang
 * or leak.  Built like fuzz_reader.c (see fuzz_input.h). */
#include "emgkit/emgkit.h"
#include "fuzz_input.h"

#define FUZZ_EVENTS 1
#define FUZZ_SEGMENTS 2
#define FUZZ_SCENARIO 3

static void require_message(int rc, const emg_error *err)
{
    if (rc < 0 && err->message[0] == '\0')
        abort(); /* every failure must say what went wrong */
}

static void fuzz_events(const char *path)
{
    emg_table t;
    emg_error err;
    int rc = emg_table_read(&t, path, &err);
    require_message(rc, &err);
    if (rc < 0)
        return;
    emg_scored_event *ev = NULL;
    size_t n = 0;
    rc = emg_scored_events_from_table(&ev, &n, &t, path, NULL, &err);
    require_message(rc, &err);
    if (rc == 0) {
        emg_score_options o = EMG_SCORE_OPTIONS_INIT;
        o.onset_tolerance = 0.05;
        o.sample_step = 0.5; /* coarse: the grid code runs without filling memory */
        emg_score_result r;
        emg_score_result_init(&r);
        require_message(emg_score_events(&r, ev, n, ev, n, &o, &err), &err);
        char line[256];
        emg_score_summary(line, sizeof line, &r);
        emg_score_result_free(&r);
    }
    free(ev);
    emg_table_free(&t);
}

static void fuzz_segments(const char *path)
{
    emg_segment *segs = NULL;
    size_t n = 0;
    emg_error err;
    require_message(emg_segments_read(&segs, &n, path, NULL, &err), &err);
    free(segs);
}

static void fuzz_scenario(const char *path)
{
    emg_scenario *sc = NULL;
    emg_error err;
    int rc = emg_scenario_load(&sc, path, &err);
    require_message(rc, &err);
    if (rc == 0)
        emg_scenario_free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".tsv");
    switch (FUZZ_TABLE) {
    case FUZZ_EVENTS: fuzz_events(path); break;
    case FUZZ_SEGMENTS: fuzz_segments(path); break;
    case FUZZ_SCENARIO: fuzz_scenario(path); break;
    default: abort();
    }
    return 0;
}
