/* label_context.c: recording contexts (the criteria page's "context the user
 * supplies"), read from the options, from context annotations and from the
 * recording description, and the per-event context table: an event is
 * decided in the context that holds over most of it. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "label_internal.h"

static const char *const context_names[] = {"none", "rest", "sleep", "exercise", "movement",
                                            "cns-lesion", "ischemia", "hyperventilation",
                                            "injury"};

const char *emg_context_name(emg_context c)
{
    return (unsigned)c < sizeof context_names / sizeof *context_names ? context_names[c] : "?";
}

int emg_context_from_name(const char *name, emg_context *out, emg_error *err)
{
    /* (context_names[0], "none", is not a context a user gives) */
    int k = emgi_name_index(context_names + 1, sizeof context_names / sizeof *context_names - 1,
                            name);
    if (k >= 0) {
        *out = (emg_context)(k + 1);
        return 0;
    }
    if (emgi_str_ieq(name, "nocturnal")) {
        *out = EMG_CONTEXT_SLEEP;
        return 0;
    }
    return emg_error_set(err, EMG_ERR_ARG,
                         "unknown context '%s' (rest sleep exercise movement cns-lesion "
                         "ischemia hyperventilation injury)", name);
}
static emg_context context_in_text(const char *raw)
{
    char word[64], text[256];
    size_t len = 0;
    for (; raw[len] && len + 1 < sizeof text; len++) /* case-insensitive */
        text[len] = (char)tolower((unsigned char)raw[len]);
    text[len] = '\0';
    const char *p = text;
    const char *key = strstr(text, "context");
    if (key) {
        p = key + 7;
        while (*p == '=' || *p == ':' || *p == ' ')
            p++;
    }
    size_t n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '-') && n + 1 < sizeof word) {
        word[n] = p[n];
        n++;
    }
    word[n] = '\0';
    emg_context c;
    /* Without the "context" key only an annotation that is exactly a context
     * word counts (event labels such as "cramp" must not be read). */
    if (!key && p[n] != '\0')
        return EMG_CONTEXT_NONE;
    if (emg_context_from_name(word, &c, NULL) == 0 && strcmp(word, "nocturnal") != 0)
        return c;
    return EMG_CONTEXT_NONE;
}

emg_context emg_context_from_annotations(const emg_header *h)
{
    for (size_t k = 0; k < h->n_annotations; k++) {
        emg_context c = context_in_text(h->annotations[k].text ? h->annotations[k].text : "");
        if (c != EMG_CONTEXT_NONE)
            return c;
    }
    /* A recording description such as "... context=sleep ..." (EDF+ and
     * HDF5 carry one); only with the "context" key. */
    char lower[sizeof h->recording];
    size_t i = 0;
    for (; h->recording[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)h->recording[i]);
    lower[i] = '\0';
    const char *key = strstr(lower, "context");
    return key ? context_in_text(key) : EMG_CONTEXT_NONE;
}

int lab_ctx_build(lab_ctx_table *t, const emg_header *h, const emg_label_options *o,
                           emg_context global, emg_error *err)
{
    memset(t, 0, sizeof *t);
    t->forced = o->context;
    t->global = global;
    if (o->context != EMG_CONTEXT_NONE || h->n_annotations == 0)
        return 0;
    t->spans = emgi_xcalloc(h->n_annotations, sizeof *t->spans, err);
    if (!t->spans)
        return EMG_ERR_NOMEM;
    for (size_t k = 0; k < h->n_annotations; k++) {
        const emg_annotation *a = &h->annotations[k];
        emg_context c = context_in_text(a->text ? a->text : "");
        if (c == EMG_CONTEXT_NONE)
            continue;
        t->spans[t->n].onset = a->onset;
        t->spans[t->n].duration = a->duration > 0 ? a->duration : 0;
        t->spans[t->n].channel = a->channel;
        t->spans[t->n].context = c;
        t->n++;
    }
    return 0;
}

void lab_ctx_free(lab_ctx_table *t)
{
    free(t->spans);
    memset(t, 0, sizeof *t);
}

/* Context at instant t on channel c, from the annotations alone (rule 2), or
 * EMG_CONTEXT_NONE. */
static emg_context ctx_annotated_at(const lab_ctx_table *t, int c, double time)
{
    emg_context best = EMG_CONTEXT_NONE, last = EMG_CONTEXT_NONE;
    double best_len = INFINITY, last_on = -INFINITY;
    for (size_t k = 0; k < t->n; k++) {
        const lab_ctx_span *s = &t->spans[k];
        if (s->channel >= 0 && s->channel != c)
            continue;
        if (s->duration > 0) {
            if (time >= s->onset && time < s->onset + s->duration && s->duration < best_len) {
                best = s->context;
                best_len = s->duration;
            }
        } else if (s->onset <= time && s->onset >= last_on) {
            last = s->context;
            last_on = s->onset;
        }
    }
    return best != EMG_CONTEXT_NONE ? best : last;
}

/* The precedence of lab_ctx_table (label_internal.h). */
emg_context lab_context_over(const lab_ctx_table *t, int c, double t0, double t1)
{
    if (t->forced != EMG_CONTEXT_NONE)
        return t->forced;
    if (!(t1 > t0))
        t1 = t0;
    /* Where the annotated context can change inside the event: span edges
     * and instant annotations; between two of them it is constant. */
    double cuts[66];
    size_t nc = 0;
    cuts[nc++] = t0;
    for (size_t k = 0; k < t->n && nc < 64; k++) {
        const lab_ctx_span *s = &t->spans[k];
        if (s->channel >= 0 && s->channel != c)
            continue;
        if (s->onset > t0 && s->onset < t1)
            cuts[nc++] = s->onset;
        double end = s->onset + s->duration;
        if (s->duration > 0 && end > t0 && end < t1 && nc < 64)
            cuts[nc++] = end;
    }
    cuts[nc++] = t1;
    qsort(cuts, nc, sizeof *cuts, emgi_double_cmp);
    double share[EMG_CONTEXT_INJURY + 1] = {0};
    for (size_t k = 0; k + 1 < nc; k++) {
        double len = cuts[k + 1] - cuts[k];
        if (len <= 0)
            continue;
        emg_context x = ctx_annotated_at(t, c, 0.5 * (cuts[k] + cuts[k + 1]));
        share[x] += len;
    }
    if (t1 == t0)
        share[ctx_annotated_at(t, c, t0)] += 1;
    /* The largest share among annotated contexts; unannotated time
     * (EMG_CONTEXT_NONE) falls back to the recording-wide context. */
    emg_context best = EMG_CONTEXT_NONE;
    double best_share = 0;
    for (int k = 1; k <= EMG_CONTEXT_INJURY; k++) {
        if (share[k] > best_share) {
            best = (emg_context)k;
            best_share = share[k];
        }
    }
    if (best == EMG_CONTEXT_NONE || share[EMG_CONTEXT_NONE] > best_share)
        return best == EMG_CONTEXT_NONE || t->global != EMG_CONTEXT_NONE ? t->global : best;
    return best;
}
