/* fatigue_group_table.c: the group table of emg-fatigue (--group) from its own
 * trend table and a cohort table.
 *
 * Each trend row with a fitted slope (status ok or no_rest_reference) is a
 * unit: its slope per minute and the standard error of the slope, recovered
 * from the row's interval as (ci_high - ci_low) / (2 t), t the Student
 * quantile of the confidence with n_eff - 2 degrees of freedom (n_windows - 2
 * with --inference iid) -- exact for ols and huber, whose interval is
 * slope +- t se; for theil-sen (an order-statistic interval) the half-width
 * over t.  The numbers are those of the trend table as written, so that
 * anyone can redo the group analysis from it (tests/py/test_fatigue_cohort.py
 * does, with statsmodels).  Pooling: fatigue_group.c.  Columns and method:
 * docs/methods/fatigue.md, "Cohorts" and "Fatigue before events". */
#include "emgkit/fatigue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/table.h"
#include "fatigue_internal.h"
#include "io_internal.h"

/* The event windows' kinds, which are their conditions (emg-fatigue --events). */
static const char *const PRE_EVENT = "pre_event", *const CONTROL = "control";

typedef struct trend_columns {
    int file, channel, unit, feature, slope, ci_low, ci_high, p, n_windows, inference, n_eff,
        status, window;
} trend_columns;

typedef struct cohort_columns {
    int file, subject, condition;
    int participant_id; /* the subject column is BIDS participants.tsv's participant_id */
} cohort_columns;

/* A trend row as a unit of the group analysis. */
typedef struct row_unit {
    size_t row;
    const char *subject, *condition;
    double y, se, ci_low, ci_high, p; /* per minute */
    int usable;                       /* a slope with a standard error */
} row_unit;

static int need_column(const emg_table *t, const char *name, const char *table_name, int *col,
                       emg_error *err)
{
    *col = emg_table_column(t, name);
    if (*col < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no '%s' column", table_name, name);
    return 0;
}

static int trend_columns_find(trend_columns *c, const emg_table *t, const char *name,
                              emg_error *err)
{
    const struct {
        int *col;
        const char *name;
    } need[] = {{&c->file, "file"},        {&c->channel, "channel"},
                {&c->unit, "contraction"}, {&c->feature, "feature"},
                {&c->slope, "slope"},      {&c->ci_low, "ci_low"},
                {&c->ci_high, "ci_high"},  {&c->p, "p_value"},
                {&c->n_windows, "n_windows"}, {&c->inference, "inference"},
                {&c->n_eff, "n_eff"},      {&c->status, "status"}};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (need_column(t, need[i].name, name, need[i].col, err) < 0)
            return err->status;
    c->window = emg_table_column(t, "window");
    return 0;
}

static int cohort_columns_find(cohort_columns *c, const emg_table *t, const char *name,
                               emg_error *err)
{
    c->file = emg_table_column(t, "file");
    c->subject = emg_table_column(t, "subject");
    c->participant_id = c->subject < 0;
    if (c->subject < 0)
        c->subject = emg_table_column(t, "participant_id"); /* BIDS participants.tsv */
    c->condition = emg_table_column(t, "condition");
    if (c->subject < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: no 'subject' (or 'participant_id') column",
                             name);
    return 0;
}

/* The BIDS subject label of a recording's name ("sub-01_task-x_emg.edf" gives
 * "01"), or of a participant_id ("sub-01" or "01"); into out. */
static void bids_label(const char *text, int from_path, char *out, size_t n)
{
    const char *base = text;
    if (from_path && strrchr(text, '/'))
        base = strrchr(text, '/') + 1;
    out[0] = '\0';
    if (!strncmp(base, "sub-", 4))
        base += 4;
    else if (from_path)
        return;
    size_t len = strcspn(base, "_.");
    if (len >= n)
        len = n - 1;
    memcpy(out, base, len);
    out[len] = '\0';
}

/* The cohort row of a recording, or -1. */
static long cohort_row(const emg_table *cohort, const cohort_columns *cc, const char *file)
{
    char want[EMG_NAME_MAX], have[EMG_NAME_MAX];
    if (cc->file < 0)
        bids_label(file, 1, want, sizeof want);
    for (size_t r = 0; r < cohort->n_rows; r++) {
        if (cc->file >= 0) {
            if (fatigue_same_recording(emg_table_cell(cohort, r, cc->file), file))
                return (long)r;
            continue;
        }
        bids_label(emg_table_cell(cohort, r, cc->subject), 0, have, sizeof have);
        if (want[0] && !strcmp(want, have))
            return (long)r;
    }
    return -1;
}

/* Append "file\n" to *missing unless already there. */
static int note_missing(char **missing, const char *file, emg_error *err)
{
    size_t have = *missing ? strlen(*missing) : 0, len = strlen(file);
    if (*missing) {
        for (const char *p = *missing; *p; p += strcspn(p, "\n") + 1)
            if (strcspn(p, "\n") == len && !strncmp(p, file, len))
                return 0;
    }
    char *m = realloc(*missing, have + len + 2);
    if (!m)
        return emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    memcpy(m + have, file, len);
    m[have + len] = '\n';
    m[have + len + 1] = '\0';
    *missing = m;
    return 0;
}

/* The standard error of a trend row's slope from its interval (see above). */
static double row_se(const emg_table *t, size_t r, const trend_columns *c, double confidence)
{
    double lo = emg_table_num(t, r, c->ci_low), hi = emg_table_num(t, r, c->ci_high);
    int iid = !strcmp(emg_table_cell(t, r, c->inference), "iid");
    double df = (iid ? emg_table_num(t, r, c->n_windows) : emg_table_num(t, r, c->n_eff)) - 2;
    if (!(df > 0) || !isfinite(lo) || !isfinite(hi))
        return NAN;
    return (hi - lo) / (2 * emg_student_t_quantile(0.5 + confidence / 2, df));
}

static int fitted(const char *status)
{
    return !strcmp(status, emg_trend_status_name(EMG_TREND_OK)) ||
           !strcmp(status, emg_trend_status_name(EMG_TREND_NO_REST_REFERENCE));
}

/* Subject and condition of every trend row (NULL subject: not in the cohort). */
static int assign_units(row_unit *u, const emg_table *t, const trend_columns *c,
                        const emg_table *cohort, const cohort_columns *cc, double confidence,
                        char **missing, emg_error *err)
{
    for (size_t r = 0; r < t->n_rows; r++) {
        const char *file = emg_table_cell(t, r, c->file);
        row_unit *x = &u[r];
        x->row = r;
        x->subject = file;
        x->condition = "all";
        if (cohort) {
            long cr = cohort_row(cohort, cc, file);
            if (cr < 0) {
                x->subject = NULL;
                if (note_missing(missing, file, err) < 0)
                    return err->status;
                continue;
            }
            x->subject = emg_table_cell(cohort, (size_t)cr, cc->subject);
            /* A participant_id "sub-01" is the subject "01": the BIDS label, as
             * emg-dataset and the workflow name a subject (docs/formats/bids.md). */
            if (cc->participant_id && !strncmp(x->subject, "sub-", 4))
                x->subject += 4;
            if (cc->condition >= 0)
                x->condition = emg_table_cell(cohort, (size_t)cr, cc->condition);
        }
        if (c->window >= 0)
            x->condition = emg_table_cell(t, r, c->window);
        x->y = 60 * emg_table_num(t, r, c->slope);
        x->se = 60 * row_se(t, r, c, confidence);
        x->ci_low = 60 * emg_table_num(t, r, c->ci_low);
        x->ci_high = 60 * emg_table_num(t, r, c->ci_high);
        x->p = emg_table_num(t, r, c->p);
        x->usable = fitted(emg_table_cell(t, r, c->status)) && isfinite(x->y) && x->se > 0 &&
                    isfinite(x->se);
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

static const char *const GROUP_COLUMNS[] = {
    "file", "subject", "condition", "reference", "channel", "feature", "contraction", "level",
    "design", "n_units", "n_subjects", "slope_per_min", "se_per_min", "ci_low_per_min",
    "ci_high_per_min", "p_value", "tau2", "i2", "q"};

typedef struct group_key {
    const char *channel, *feature;
} group_key;

typedef struct row_labels {
    const char *file, *subject, *condition, *reference, *contraction, *level, *design;
} row_labels;

static void write_row(FILE *out, const group_key *g, const row_labels *l, size_t n_units,
                      const emg_random_effects *re)
{
    const char *text[] = {l->file, l->subject, l->condition, l->reference};
    for (size_t i = 0; i < 4; i++)
        emg_tsv_str(out, text[i], 0);
    emg_tsv_str(out, g->channel, 0);
    emg_tsv_str(out, g->feature, 0);
    emg_tsv_str(out, l->contraction, 0);
    emg_tsv_str(out, l->level, 0);
    emg_tsv_str(out, l->design, 0);
    emg_tsv_num(out, (double)n_units, 0);
    emg_tsv_num(out, (double)re->k, 0);
    const double v[] = {re->estimate, re->se, re->ci_low, re->ci_high, re->p_value, re->tau2,
                        re->i2, re->q};
    size_t n = sizeof v / sizeof v[0];
    for (size_t i = 0; i < n; i++)
        emg_tsv_num(out, v[i], i + 1 == n);
}

static int same_group(const emg_table *t, const trend_columns *c, size_t r, const group_key *g)
{
    return !strcmp(emg_table_cell(t, r, c->channel), g->channel) &&
           !strcmp(emg_table_cell(t, r, c->feature), g->feature);
}

/* Distinct strings of the units' conditions, in order of first appearance. */
static size_t conditions_of(const emg_group_unit *u, size_t n, const char **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < k && strcmp(out[j], u[i].condition) != 0)
            j++;
        if (j == k)
            out[k++] = u[i].condition;
    }
    return k;
}

/* Unit rows, and subject rows for a subject with several units in a condition. */
static int write_units(FILE *out, const group_key *g, const emg_table *t, const trend_columns *c,
                       const row_unit *ru, size_t n_rows, const emg_group_unit *u, size_t n,
                       double confidence, emg_error *err)
{
    for (size_t r = 0; r < n_rows; r++) {
        const row_unit *x = &ru[r];
        if (!x->subject || !x->usable || !same_group(t, c, r, g))
            continue;
        emg_random_effects re = {1, x->y, x->se, x->ci_low, x->ci_high, x->p, NAN, NAN, NAN};
        row_labels l = {emg_table_cell(t, r, c->file), x->subject, x->condition, "n/a",
                        emg_table_cell(t, r, c->unit), "unit", "n/a"};
        write_row(out, g, &l, 1, &re);
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0, m;
        while (j < i && !(!strcmp(u[j].subject, u[i].subject) &&
                          !strcmp(u[j].condition, u[i].condition)))
            j++;
        if (j < i) /* this subject and condition were written */
            continue;
        emg_random_effects re;
        if (emgi_group_subject(&re, &m, u, n, u[i].subject, u[i].condition, confidence, err) < 0)
            return err->status;
        row_labels l = {"all", u[i].subject, u[i].condition, "n/a", "all", "subject", "n/a"};
        if (m > 1)
            write_row(out, g, &l, m, &re);
    }
    return 0;
}

static void write_pooled(FILE *out, const group_key *g, const emg_group_unit *u, size_t n,
                         const char *condition, emg_pooling method, double confidence)
{
    emg_group_estimate e;
    emg_error err;
    emgi_group_pool(&e, u, n, condition, method, confidence, &err); /* n/a with fewer than 2 subjects */
    row_labels l = {"all", "all", condition, "n/a", "all", "pooled", "n/a"};
    write_row(out, g, &l, e.n_units, &e.re);
}

static void write_contrast(FILE *out, const group_key *g, const emg_group_unit *u, size_t n,
                           const char *reference, const char *condition, emg_pooling method,
                           double confidence)
{
    emg_group_estimate e;
    emg_error err;
    if (emgi_group_contrast(&e, u, n, reference, condition, method, confidence, &err) < 0)
        e.re = (emg_random_effects){e.re.k, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    row_labels l = {"all", "all", condition, reference, "all", "contrast",
                    e.paired ? "paired" : "independent"};
    write_row(out, g, &l, e.n_units, &e.re);
}

/* Every row of one (channel, feature). */
static int write_group(FILE *out, const group_key *g, const emg_table *t, const trend_columns *c,
                       const row_unit *ru, emg_group_unit *u, const char **conds, int events,
                       emg_pooling method, double confidence, emg_error *err)
{
    size_t n = 0;
    for (size_t r = 0; r < t->n_rows; r++)
        if (ru[r].subject && ru[r].usable && same_group(t, c, r, g))
            u[n++] = (emg_group_unit){ru[r].subject, ru[r].condition, ru[r].y, ru[r].se};
    if (write_units(out, g, t, c, ru, t->n_rows, u, n, confidence, err) < 0)
        return err->status;
    size_t k = conditions_of(u, n, conds);
    for (size_t i = 0; i < k; i++)
        write_pooled(out, g, u, n, conds[i], method, confidence);
    if (events) { /* before the events, against the control windows */
        write_contrast(out, g, u, n, CONTROL, PRE_EVENT, method, confidence);
        return 0;
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            write_contrast(out, g, u, n, conds[i], conds[j], method, confidence);
    return 0;
}

int emg_group_cohort_check(const emg_table *cohort, const char *name, emg_error *err)
{
    cohort_columns cc;
    return cohort_columns_find(&cc, cohort, name, err);
}

int emg_group_table_write(FILE *out, const emg_table *trends, const char *trends_name,
                          const emg_table *cohort, const char *cohort_name, emg_pooling method,
                          double confidence, char **missing, emg_error *err)
{
    *missing = NULL;
    trend_columns c;
    cohort_columns cc = {-1, -1, -1, 0};
    if (trend_columns_find(&c, trends, trends_name, err) < 0 ||
        (cohort && cohort_columns_find(&cc, cohort, cohort_name, err) < 0))
        return err->status;
    size_t n = trends->n_rows ? trends->n_rows : 1;
    row_unit *ru = emgi_xcalloc(n, sizeof *ru, err);
    emg_group_unit *u = emgi_xcalloc(n, sizeof *u, err);
    const char **conds = emgi_xcalloc(n, sizeof *conds, err);
    int rc = !ru || !u || !conds ? EMG_ERR_NOMEM : 0;
    if (!rc)
        rc = assign_units(ru, trends, &c, cohort, &cc, confidence, missing, err);
    emg_tsv_header(out, sizeof GROUP_COLUMNS / sizeof *GROUP_COLUMNS, GROUP_COLUMNS);
    for (size_t r = 0; r < trends->n_rows && !rc; r++) {
        group_key g = {emg_table_cell(trends, r, c.channel), emg_table_cell(trends, r, c.feature)};
        size_t q = 0;
        while (q < r && !same_group(trends, &c, q, &g))
            q++;
        if (q == r) /* the first row of this channel and feature */
            rc = write_group(out, &g, trends, &c, ru, u, conds, c.window >= 0, method, confidence,
                             err);
    }
    free(ru);
    free(u);
    free(conds);
    return rc;
}
