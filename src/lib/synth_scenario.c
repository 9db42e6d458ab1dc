/* synth_scenario.c: the scenario text format (docs/formats/scenario.md) and the
 * built-in scenarios, which are written in the same format.
 *
 * A scenario is line oriented: header lines set the recording (fs, electrode,
 * mains, snr, channels with roles, context), timeline lines append events one
 * after another ("cramp 20-40 ch=agonist level=0.5-0.8"), and "repeat N" ...
 * "end" repeat a group.  Numbers may be ranges "lo-hi", drawn anew each time
 * a line runs, so one scenario gives a different session for every seed. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"
#include "synth_internal.h"

static const char *const TYPE_NAMES[SYNTH_N_TYPES] = {
    "rest", "voluntary", "tremor", "cramp", "fasciculation", "tonic", "dystonic",
    "ischemic", "clonic", "myoclonic", "ataxic", "tetanic", "strain", "artefact"};

/* Parameters each type accepts (besides ch, level and context). */
static const char *const TYPE_KEYS[SYNTH_N_TYPES] = {
    "",                                   /* rest */
    "fatigue drive cocontraction ramp",   /* voluntary */
    "rate burst",                         /* tremor */
    "rate cv doublets prodrome ramp",     /* cramp */
    "rate units",                         /* fasciculation */
    "ramp spread",                        /* tonic */
    "rate depth burst spread",            /* dystonic */
    "force ramp",                         /* ischemic */
    "rate burst cv reciprocal",           /* clonic */
    "rate origin burst",                  /* myoclonic */
    "rate burst cv",                      /* ataxic */
    "rate spikes isi units cv",           /* tetanic */
    "",                                   /* strain */
    "amplitude"};                         /* artefact */

static const char *const ROLE_NAMES[N_ROLES] = {"agonist", "antagonist", "neighbour", "force",
                                                "accelerometer"};

static const char *const CONTEXTS[] = {"rest", "sleep", "exercise", "movement", "cns-lesion",
                                       "ischemia", "hyperventilation", "injury"};

const char *synth_type_name(synth_type t)
{
    return t < SYNTH_N_TYPES ? TYPE_NAMES[t] : "?";
}

const char *synth_role_name(synth_role r) { return r < N_ROLES ? ROLE_NAMES[r] : "?"; }

int synth_context_valid(const char *word)
{
    for (size_t i = 0; i < sizeof CONTEXTS / sizeof *CONTEXTS; i++)
        if (strcmp(word, CONTEXTS[i]) == 0)
            return 1;
    return 0;
}

const synth_param *synth_line_param(const synth_line *l, const char *key)
{
    for (int i = 0; i < l->n_params; i++)
        if (strcmp(l->params[i].key, key) == 0)
            return &l->params[i];
    return NULL;
}

/* Timeline keyword, with the article names as aliases. */
static int type_from_word(const char *w, synth_type *out)
{
    static const struct { const char *alias; synth_type type; } ALIASES[] = {
        {"clonus", SYNTH_CLONIC}, {"twitching", SYNTH_FASCICULATION},
        {"artifact", SYNTH_ARTEFACT}, {"motion", SYNTH_ARTEFACT},
        {"contraction", SYNTH_VOLUNTARY}, {"tetany", SYNTH_TETANIC},
        {"myoclonus", SYNTH_MYOCLONIC}};
    for (int t = 0; t < SYNTH_N_TYPES; t++)
        if (emgi_str_ieq(w, TYPE_NAMES[t])) {
            *out = (synth_type)t;
            return 1;
        }
    for (size_t i = 0; i < sizeof ALIASES / sizeof *ALIASES; i++)
        if (emgi_str_ieq(w, ALIASES[i].alias)) {
            *out = ALIASES[i].type;
            return 1;
        }
    return 0;
}

/* "12", "0.5", "4-7": 1 with *v set, 0 when word is not a number or range. */
static int parse_value(const char *word, synth_value *v)
{
    char *end;
    errno = 0;
    double lo = strtod(word, &end);
    if (end == word || errno || !isfinite(lo))
        return 0;
    if (*end == '\0') {
        v->lo = v->hi = lo;
        return 1;
    }
    if (*end != '-' || end[1] == '\0')
        return 0;
    const char *rest = end + 1;
    double hi = strtod(rest, &end);
    if (end == rest || *end != '\0' || !isfinite(hi) || hi < lo)
        return 0;
    v->lo = lo;
    v->hi = hi;
    return 1;
}

static int key_allowed(synth_type t, const char *key)
{
    if (!strcmp(key, "ch") || !strcmp(key, "level") || !strcmp(key, "context"))
        return 1;
    const char *list = TYPE_KEYS[t];
    size_t n = strlen(key);
    for (const char *p = list; (p = strstr(p, key)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

typedef struct parser {
    emg_scenario *sc;
    const char *name;
    int line_no;
    int depth;
    size_t cap_lines;
    emg_error *err;
} parser;

static int fail(parser *ps, const char *fmt, const char *word)
{
    char what[200];
    snprintf(what, sizeof what, fmt, word);
    return emg_error_set(ps->err, EMG_ERR_FORMAT, "%s:%d: %s", ps->name, ps->line_no, what);
}

static int need_number(parser *ps, char **tok, int ntok, int i, double lo, double hi, double *out)
{
    synth_value v;
    if (i >= ntok || !parse_value(tok[i], &v) || v.lo != v.hi)
        return fail(ps, "'%s' needs a number", tok[0]);
    if (v.lo < lo || v.lo > hi) {
        char msg[120];
        snprintf(msg, sizeof msg, "'%%s' value %g is outside %g-%g", v.lo, lo, hi);
        return fail(ps, msg, tok[0]);
    }
    *out = v.lo;
    return 0;
}

static int parse_channel(parser *ps, char **tok, int ntok)
{
    emg_scenario *sc = ps->sc;
    if (ntok < 3 || ntok > 4)
        return fail(ps, "%s", "'channel' takes a role, a name and optionally surface|needle");
    if (sc->n_channels >= SYNTH_MAX_CHANNELS)
        return fail(ps, "%s", "too many channels");
    synth_channel_decl *c = &sc->channels[sc->n_channels];
    int role = -1;
    for (int r = 0; r < N_ROLES; r++)
        if (emgi_str_ieq(tok[1], ROLE_NAMES[r]))
            role = r;
    if (emgi_str_ieq(tok[1], "accel") || emgi_str_ieq(tok[1], "acc"))
        role = ROLE_ACCEL;
    if (role < 0)
        return fail(ps, "unknown channel role '%s' (agonist antagonist neighbour force accelerometer)",
                    tok[1]);
    c->role = (synth_role)role;
    if (strlen(tok[2]) >= EMG_NAME_MAX)
        return fail(ps, "channel name '%s' is too long", tok[2]);
    for (size_t i = 0; i < sc->n_channels; i++)
        if (!strcmp(sc->channels[i].name, tok[2]))
            return fail(ps, "channel name '%s' is used twice", tok[2]);
    emgi_strlcpy(c->name, tok[2], sizeof c->name);
    c->electrode = -1;
    if (ntok == 4) {
        if (!strcmp(tok[3], "surface"))
            c->electrode = EMG_ELECTRODE_SURFACE;
        else if (!strcmp(tok[3], "needle"))
            c->electrode = EMG_ELECTRODE_NEEDLE;
        else
            return fail(ps, "unknown electrode '%s' (surface or needle)", tok[3]);
    }
    sc->n_channels++;
    return 0;
}

static int parse_header_line(parser *ps, char **tok, int ntok, const char *rest_of_line)
{
    emg_scenario *sc = ps->sc;
    const char *k = tok[0];
    if (!strcmp(k, "name")) {
        if (ntok != 2)
            return fail(ps, "%s", "'name' takes one word");
        emgi_strlcpy(sc->name, tok[1], sizeof sc->name);
        return 0;
    }
    if (!strcmp(k, "description")) {
        emgi_strlcpy(sc->description, rest_of_line, sizeof sc->description);
        return 0;
    }
    if (!strcmp(k, "channel"))
        return parse_channel(ps, tok, ntok);
    if (!strcmp(k, "context")) {
        if (ntok != 2 || !synth_context_valid(tok[1]))
            return fail(ps, "%s", "'context' takes one of rest sleep exercise movement cns-lesion "
                                  "ischemia hyperventilation injury");
        emgi_strlcpy(sc->context, tok[1], sizeof sc->context);
        return 0;
    }
    if (!strcmp(k, "electrode")) {
        if (ntok == 2 && !strcmp(tok[1], "surface"))
            sc->electrode = EMG_ELECTRODE_SURFACE;
        else if (ntok == 2 && !strcmp(tok[1], "needle"))
            sc->electrode = EMG_ELECTRODE_NEEDLE;
        else
            return fail(ps, "%s", "'electrode' takes surface or needle");
        return 0;
    }
    if (!strcmp(k, "mains")) {
        if (ntok < 2 || ntok > 3)
            return fail(ps, "%s", "'mains' takes 50, 60 or 0 and optionally an amplitude in mV");
        int rc = need_number(ps, tok, ntok, 1, 0, 1000, &sc->mains_hz);
        if (rc == 0 && ntok == 3)
            rc = need_number(ps, tok, ntok, 2, 0, 100, &sc->mains_mv);
        return rc;
    }
    if (ntok != 2)
        return fail(ps, "'%s' takes one number", k);
    if (!strcmp(k, "fs"))
        return need_number(ps, tok, ntok, 1, 100, 200000, &sc->fs);
    if (!strcmp(k, "snr"))
        return need_number(ps, tok, ntok, 1, -20, 120, &sc->snr_db);
    if (!strcmp(k, "snr-drift"))
        return need_number(ps, tok, ntok, 1, 0, 60, &sc->snr_drift_db);
    if (!strcmp(k, "wander"))
        return need_number(ps, tok, ntok, 1, 0, 100, &sc->wander_mv);
    if (!strcmp(k, "artefacts"))
        return need_number(ps, tok, ntok, 1, 0, 600, &sc->artefacts_per_min);
    if (!strcmp(k, "clip"))
        return need_number(ps, tok, ntok, 1, 0, 1000, &sc->clip_mv);
    return fail(ps, "unknown keyword '%s'", k);
}

static synth_line *new_line(parser *ps)
{
    emg_scenario *sc = ps->sc;
    if (emgi_grow((void **)&sc->lines, &ps->cap_lines, sc->n_lines + 1, sizeof *sc->lines,
                  ps->err) < 0)
        return NULL;
    synth_line *l = &sc->lines[sc->n_lines++];
    memset(l, 0, sizeof *l);
    l->line_no = ps->line_no;
    return l;
}

static int parse_event_line(parser *ps, synth_type type, char **tok, int ntok)
{
    synth_line *l = new_line(ps);
    if (!l)
        return EMG_ERR_NOMEM;
    l->type = type;
    if (ntok < 2 || !parse_value(tok[1], &l->duration) || l->duration.lo < 0 ||
        l->duration.hi > 86400.0)
        return fail(ps, "'%s' needs a duration in seconds (a number or a range lo-hi)", tok[0]);
    for (int i = 2; i < ntok; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq || eq == tok[i] || eq[1] == '\0')
            return fail(ps, "expected key=value, got '%s'", tok[i]);
        *eq = '\0';
        if (!key_allowed(type, tok[i]))
            return fail(ps, "unknown parameter '%s' for this event", tok[i]);
        if (l->n_params >= SYNTH_MAX_PARAMS)
            return fail(ps, "%s", "too many parameters");
        synth_param *p = &l->params[l->n_params++];
        emgi_strlcpy(p->key, tok[i], sizeof p->key);
        emgi_strlcpy(p->text, eq + 1, sizeof p->text);
        p->numeric = parse_value(eq + 1, &p->value);
        if (!strcmp(p->key, "context") && !synth_context_valid(p->text))
            return fail(ps, "unknown context '%s'", p->text);
        if (strcmp(p->key, "ch") && strcmp(p->key, "context") && strcmp(p->key, "origin") &&
            !p->numeric)
            return fail(ps, "parameter '%s' needs a number or a range lo-hi", p->key);
    }
    return 0;
}

static int parse_line(parser *ps, char *text)
{
    char *hash = strchr(text, '#');
    if (hash)
        *hash = '\0';
    char copy[1024];
    emgi_strlcpy(copy, text, sizeof copy);
    char *tok[64];
    int ntok = 0;
    for (char *s = strtok(text, " \t\r\n"); s && ntok < 64; s = strtok(NULL, " \t\r\n"))
        tok[ntok++] = s;
    if (ntok == 0)
        return 0;
    synth_type type;
    if (!strcmp(tok[0], "repeat")) {
        synth_line *l = new_line(ps);
        if (!l)
            return EMG_ERR_NOMEM;
        l->type = SYNTH_REPEAT;
        if (ntok != 2 || !parse_value(tok[1], &l->duration) || l->duration.lo < 0 ||
            l->duration.hi > 100000)
            return fail(ps, "%s", "'repeat' takes a count (or a range lo-hi)");
        ps->depth++;
        return 0;
    }
    if (!strcmp(tok[0], "end")) {
        if (ntok != 1 || ps->depth == 0)
            return fail(ps, "%s", "'end' without 'repeat'");
        synth_line *l = new_line(ps);
        if (!l)
            return EMG_ERR_NOMEM;
        l->type = SYNTH_END;
        ps->depth--;
        return 0;
    }
    if (type_from_word(tok[0], &type))
        return parse_event_line(ps, type, tok, ntok);
    /* Everything after the keyword, for free-text values (description). */
    char *rest = copy;
    while (isspace((unsigned char)*rest))
        rest++;
    rest += strlen(tok[0]);
    while (isspace((unsigned char)*rest))
        rest++;
    rest[strcspn(rest, "\r\n")] = '\0';
    return parse_header_line(ps, tok, ntok, rest);
}

int emg_scenario_parse(emg_scenario **out, const char *text, const char *name, emg_error *err)
{
    *out = NULL;
    emg_scenario *sc = emgi_xcalloc(1, sizeof *sc, err);
    if (!sc)
        return EMG_ERR_NOMEM;
    emgi_strlcpy(sc->name, name, sizeof sc->name);
    emgi_strlcpy(sc->source, name, sizeof sc->source);
    sc->fs = 2000.0;
    sc->electrode = EMG_ELECTRODE_SURFACE;
    sc->mains_hz = 50.0;
    sc->mains_mv = 0.01;
    sc->snr_db = 30.0;
    sc->wander_mv = 0.02;
    emgi_strlcpy(sc->context, "rest", sizeof sc->context);
    parser ps = {sc, name, 0, 0, 0, err};
    const char *p = text;
    int rc = 0;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[1024];
        ps.line_no++;
        if (len >= sizeof line) {
            rc = fail(&ps, "%s", "line too long");
            break;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        rc = parse_line(&ps, line);
        p += len + (nl ? 1 : 0);
    }
    if (rc == 0 && ps.depth != 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: 'repeat' without 'end'", name);
    if (rc == 0 && sc->n_lines == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: no events (add lines like 'rest 10')", name);
    if (rc < 0) {
        emg_scenario_free(sc);
        return rc;
    }
    *out = sc;
    return 0;
}

void emg_scenario_free(emg_scenario *sc)
{
    if (!sc)
        return;
    free(sc->lines);
    free(sc);
}

const char *emg_scenario_name(const emg_scenario *sc) { return sc->name; }

/* ---- Built-in scenarios.  Ranges make every seed a different session. */

typedef struct builtin {
    const char *name, *description, *text;
} builtin;

static const builtin BUILTINS[] = {
    {"rest", "relaxed muscle: electrode noise, mains and baseline wander only",
     "context rest\nchannel agonist EMG_gastroc\nchannel antagonist EMG_tibialis\n"
     "rest 60\n"},
    {"voluntary", "repeated voluntary contractions during a task (negative)",
     "context movement\nchannel agonist EMG_biceps\nchannel antagonist EMG_triceps\n"
     "channel force Force\n"
     "rest 3-6\nrepeat 6-10\n voluntary 1.5-6 level=0.1-0.6\n rest 2-6\nend\n"},
    {"fatigue", "sustained isometric contraction with conduction velocity falling (fatigue)",
     "context exercise\nchannel agonist EMG_biceps\nchannel force Force\n"
     "rest 5\nvoluntary 60 level=0.4-0.6 fatigue=0.2-0.3 ramp=1\nrest 20\n"},
    {"tremor", "physiological tremor 8-12 Hz bouts with an accelerometer (negative)",
     "context movement\nchannel agonist EMG_extensor\nchannel antagonist EMG_flexor\n"
     "channel accelerometer ACC\n"
     "rest 4-8\nrepeat 3-5\n tremor 3-10 rate=8-12\n rest 3-8\nend\n"},
    {"orthostatic-tremor", "orthostatic tremor 13-18 Hz in the legs while standing (negative)",
     "context movement\nchannel agonist EMG_tibialis\nchannel antagonist EMG_gastroc\n"
     "channel accelerometer ACC_shin\n"
     "rest 3-6\nrepeat 2-4\n tremor 5-15 rate=13-18 burst=20-35 level=0.1-0.3\n rest 3-6\nend\n"},
    {"cramp", "muscle cramps at rest: abrupt, irregular 6-25 pps, antagonist and neighbour quiet",
     "context rest\nchannel agonist EMG_gastroc_med\nchannel antagonist EMG_tibialis\n"
     "channel neighbour EMG_gastroc_lat\n"
     "rest 10-20\nrepeat 2\n cramp 15-60 level=0.4-0.8\n rest 15-30\nend\n"},
    {"nocturnal-cramp", "nocturnal leg cramp in sleep, preceded by a ~40 s rise of the envelope",
     "context sleep\nchannel agonist EMG_gastroc\nchannel antagonist EMG_tibialis\n"
     "rest 20-40\ncramp 60-180 level=0.5-0.9 prodrome=30-50\nrest 20-40\n"},
    /* Cramps after local fatigue (Schwellnus 2009, Br J Sports Med 43:401): low tonic
     * activity through the night, and before each cramp 2 min of it whose conduction
     * velocity falls by 10-20% (MDF with it, Lindstrom & Magnusson 1977); the
     * -steady night is the same without the fall (issue 11: fatigue before events). */
    {"nocturnal-cramp-fatigue",
     "night of low tonic activity; each cramp follows 2 min whose conduction velocity (MDF) "
     "falls 10-20%",
     "context sleep\nchannel agonist EMG_gastroc\nchannel antagonist EMG_tibialis\n"
     "rest 60\nrepeat 2\n voluntary 240-300 level=0.15-0.25 ramp=2\n"
     " voluntary 120 level=0.15-0.25 fatigue=0.1-0.2 ramp=2\n cramp 30-60 level=0.5-0.9\n"
     " rest 60\nend\n"},
    {"nocturnal-cramp-steady",
     "nocturnal-cramp-fatigue without the fall: the 2 min before each cramp keep their "
     "conduction velocity",
     "context sleep\nchannel agonist EMG_gastroc\nchannel antagonist EMG_tibialis\n"
     "rest 60\nrepeat 2\n voluntary 240-300 level=0.15-0.25 ramp=2\n"
     " voluntary 120 level=0.15-0.25 ramp=2\n cramp 30-60 level=0.5-0.9\n rest 60\nend\n"},
    {"fasciculation", "fasciculation potentials at random times at rest, needle electrode",
     "context rest\nelectrode needle\nfs 10000\nchannel agonist EMG_needle_bic\n"
     "rest 5\nfasciculation 60-120 rate=10-40 units=1-4\nrest 5\n"},
    {"tonic", "tonic spasms of 30 s - 3 min after a CNS lesion",
     "context cns-lesion\nchannel agonist EMG_quadriceps\nchannel antagonist EMG_hamstrings\n"
     "rest 10-20\ntonic 30-180 level=0.2-0.5\nrest 15-30\n"},
    {"dystonic", "dystonic co-contraction of agonist and antagonist with 4-7 Hz modulation",
     "context movement\nchannel agonist EMG_flexor_carpi\nchannel antagonist EMG_ext_carpi\n"
     "rest 4-8\nrepeat 4-6\n dystonic 1.5-4 level=0.2-0.4 rate=4-7\n rest 3-8\nend\n"},
    {"ischemic", "ischemic contracture: force rises while the EMG stays silent",
     "context ischemia\nchannel agonist EMG_fore_flexor\nchannel force Force\n"
     "rest 10-20\nischemic 20-60 force=5-30\nrest 10-20\n"},
    {"clonic", "clonus: regular 3.8-8 Hz bursts of 50-100 ms, reciprocal, with an accelerometer",
     "context cns-lesion\nchannel agonist EMG_soleus\nchannel antagonist EMG_tibialis\n"
     "channel accelerometer ACC_ankle\n"
     "rest 5-10\nrepeat 3-5\n clonic 2-15 rate=4-7.5 burst=50-100\n rest 5-10\nend\n"},
    {"myoclonic", "myoclonic jerks: arrhythmic compound bursts of 10-300 ms",
     "context rest\nchannel agonist EMG_deltoid\nchannel antagonist EMG_pectoralis\n"
     "rest 5\nmyoclonic 20-40 rate=0.3-1.5 origin=cortical\nrest 5-10\n"
     "myoclonic 20-40 rate=0.3-1 origin=subcortical\nrest 5-10\n"
     "myoclonic 20-40 rate=0.2-0.6 origin=brainstem\nrest 5\n"},
    {"ataxic", "ataxic movement: mistimed 2-5 Hz agonist/antagonist alternation",
     "context movement\nchannel agonist EMG_biceps\nchannel antagonist EMG_triceps\n"
     "channel accelerometer ACC_wrist\n"
     "rest 3-6\nrepeat 3-5\n ataxic 2-6 rate=2-5\n rest 3-6\nend\n"},
    {"tetanic", "tetany after hyperventilation: recurring multiplets, needle electrode",
     "context hyperventilation\nelectrode needle\nfs 10000\nchannel agonist EMG_needle_FDI\n"
     "rest 10\ntetanic 60-150 rate=1-4 spikes=4-8\nrest 10\n"},
    {"strain", "muscle strain: raised low-level resting activity after an injury",
     "context injury\nchannel agonist EMG_erector_L\nchannel neighbour EMG_erector_R\n"
     "rest 10-20\nstrain 30-90 level=0.02-0.08\nrest 10-20\n"},
    {"session", "a mixed session with every spasm type and the negatives, with contexts",
     "context rest\nchannel agonist EMG_agonist\nchannel antagonist EMG_antagonist\n"
     "channel neighbour EMG_neighbour\nchannel force Force\nchannel accelerometer ACC\n"
     "rest 5-10\nvoluntary 2-5 level=0.2-0.5 context=movement\nrest 3-6\n"
     "cramp 15-40 level=0.4-0.8\nrest 5-10\n"
     "fasciculation 20-40 rate=10-40\nrest 3-6\n"
     "tremor 3-6 context=movement\nrest 3-6\n"
     "clonic 3-8 rate=4-7.5 context=cns-lesion\nrest 3-6\n"
     "myoclonic 10-20 rate=0.5-1.5\nrest 3-6\n"
     "dystonic 2-4 context=movement\nrest 3-6\n"
     "ataxic 3-5 context=movement\nrest 3-6\n"
     "ischemic 15-30 force=5-25 context=ischemia\nrest 3-6\n"
     "tetanic 60-90 context=hyperventilation\nrest 3-6\n"
     "tonic 30-60 level=0.2-0.4 context=cns-lesion\nrest 5-10\n"
     "strain 20-30 context=injury\nrest 5-10\n"},
    {"noisy", "the mixed session under heavy nuisances: artefacts, clipping, drifting SNR, 60 Hz",
     "context rest\nmains 60 0.05\nsnr 20\nsnr-drift 12\nwander 0.2\nartefacts 4\nclip 2.5\n"
     "channel agonist EMG_agonist\nchannel antagonist EMG_antagonist\nchannel accelerometer ACC\n"
     "rest 5-10\nvoluntary 2-5 level=0.3-0.6 context=movement\nrest 3-6\n"
     "cramp 15-40 level=0.5-0.9\nrest 5-10\nclonic 3-8 rate=4-7.5 context=cns-lesion\nrest 3-6\n"
     "tremor 3-6 context=movement\nrest 3-6\nmyoclonic 10-20\nrest 5-10\n"},
};

size_t emg_scenario_builtin_count(void) { return sizeof BUILTINS / sizeof *BUILTINS; }
const char *emg_scenario_builtin_name(size_t i) { return BUILTINS[i].name; }
const char *emg_scenario_builtin_description(size_t i) { return BUILTINS[i].description; }
const char *emg_scenario_builtin_text(size_t i) { return BUILTINS[i].text; }

static int read_text_file(const char *path, char **out, emg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return emg_error_set(err, EMG_ERR_NOMEM, "%s: out of memory", path);
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        if (cap > (64u << 20)) {
            free(buf);
            fclose(f);
            return emg_error_set(err, EMG_ERR_FORMAT, "%s: scenario file too large", path);
        }
        cap *= 2;
        char *grown = realloc(buf, cap);
        if (!grown)
            free(buf);
        buf = grown;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return emg_error_set(err, EMG_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: not a text scenario (NUL byte)", path);
    }
    *out = buf;
    return 0;
}

int emg_scenario_load(emg_scenario **out, const char *name_or_path, emg_error *err)
{
    for (size_t i = 0; i < emg_scenario_builtin_count(); i++)
        if (!strcmp(name_or_path, BUILTINS[i].name)) {
            int rc = emg_scenario_parse(out, BUILTINS[i].text, BUILTINS[i].name, err);
            if (rc == 0)
                emgi_strlcpy((*out)->description, BUILTINS[i].description,
                             sizeof (*out)->description);
            return rc;
        }
    char *text = NULL;
    int rc = read_text_file(name_or_path, &text, err);
    if (rc < 0) {
        if (rc == EMG_ERR_IO && !strchr(name_or_path, '/') && !strchr(name_or_path, '.'))
            return emg_error_set(err, EMG_ERR_ARG,
                                 "%s: no such built-in scenario or file (see --list)",
                                 name_or_path);
        return rc;
    }
    rc = emg_scenario_parse(out, text, name_or_path, err);
    free(text);
    if (rc == 0 && !strcmp((*out)->name, name_or_path)) {
        /* Name a file scenario after its base name without extension. */
        char base[64];
        emgi_strlcpy(base, emgi_basename(name_or_path), sizeof base);
        char *dot = strrchr(base, '.');
        if (dot && dot != base)
            *dot = '\0';
        emgi_strlcpy((*out)->name, base, sizeof (*out)->name);
    }
    return rc;
}
