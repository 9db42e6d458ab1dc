/* bids_describe.c: the words a BIDS export writes about its data: each
 * channel's BIDS type and EDF+ label, and the description and unit of every
 * event-table column and label (events.json "Levels").
 *
 * Channel types follow the EMG channels.tsv keyword list (BIDS 1.11, EMG
 * "Channels description"); labels follow the EDF+ convention "TYPE SENSOR"
 * (Kemp & Olivan 2003, EDF+ "signal labels"), which MNE's read_raw_edf
 * (infer_types=True) reads as the channel type. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "emgkit/bids.h"
#include "bids_internal.h"

/* ------------------------------------------------------------ channels */

static int is_voltage(const char *unit)
{
    static const char *const volts[] = {"", "V", "mV", "uV", "\xc2\xb5V", "nV"};
    for (size_t i = 0; i < sizeof volts / sizeof *volts; i++)
        if (!strcmp(unit, volts[i]))
            return 1;
    return 0;
}

const char *emgi_bids_channel_type(const emg_channel *ch)
{
    const char *other = emg_channel_other_modality(ch);
    if (other) {
        if (strstr(other, "ECG"))
            return "ECG";
        if (strstr(other, "EOG"))
            return "EOG";
        if (strstr(other, "trigger") || strstr(other, "event"))
            return "TRIG";
        return "MISC";
    }
    return is_voltage(ch->unit) ? "EMG" : "MISC";
}

/* The name after a leading type word: "EMG_agonist" -> "agonist" for "EMG". */
static const char *after_type_word(const char *name, const char *type)
{
    size_t len = strlen(type);
    if (!strncasecmp(name, type, len) && name[len] && strchr(" _-.:", name[len]) && name[len + 1])
        return name + len + 1;
    return name;
}

void emgi_bids_channel_label(const emg_channel *ch, const char *type, char *out, size_t n)
{
    char text[EMG_NAME_MAX + 8];
    const char *sensor = after_type_word(ch->name, type);
    if (sensor == ch->name && !strcmp(type, "MISC"))
        snprintf(text, sizeof text, "MISC %s", ch->name);
    else
        snprintf(text, sizeof text, "%s %s", type, sensor);
    /* EDF+ labels: 16 printable ASCII characters. */
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && k + 1 < n && k < 16; p++)
        if (*p >= 0x80) {
            out[k++] = '_';
            while ((p[1] & 0xC0) == 0x80)
                p++;
        } else {
            out[k++] = *p >= 32 && *p < 127 && *p != '\t' ? (char)*p : ' ';
        }
    while (k > 0 && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
}

/* ------------------------------------------------------- event columns */

static const emgi_bids_column known_columns[] = {
    {"onset", "Onset of the event, in seconds from the first sample of the data file", "s"},
    {"duration", "Duration of the event (0: an instant)", "s"},
    {"trial_type", "Event label: a label of emgkit's vocabulary (Levels) or an annotation "
                   "text of the source recording", NULL},
    {"channel", "Name of the channel (channels.tsv) the event belongs to; n/a: the whole "
                "recording", NULL},
    {"confidence", "Labeller's confidence in the label, 0 to 1", NULL},
    {"rule", "Rule of the labelling criteria that decided the label "
             "(docs/methods/labelling.md)", NULL},
    {"note", "What the labeller could not decide, and why", NULL},
    {"context", "Clinical context the event was labelled in (rest, sleep, exercise, "
                "movement, ...)", NULL},
    {"kind", "Kind of event in the simulator's ground truth: spasm, negative (not a spasm) "
             "or artefact", NULL},
    {"channels", "Channels the event involves (comma-separated names)", NULL},
    {"partner", "Antagonist channel the labeller compared with", NULL},
    {"detail", "Further parameters of the simulated event", NULL},
    {"n_bursts", "Bursts in the event", NULL},
    {"count", "Motor-unit discharges simulated in the event", NULL},
    /* The evidence columns: names and units of docs/event-tables.md. */
    {"burst_ms", "Burst duration (the labeller: median over the event's bursts)", "ms"},
    {"burst_min_ms", "Shortest burst of the event", "ms"},
    {"burst_max_ms", "Longest burst of the event", "ms"},
    {"rate_hz", "Burst rate: 1 / mean interval between burst onsets (fasciculation: "
                "potentials per second)", "Hz"},
    {"rate_min_hz", "Lowest burst rate of the event", "Hz"},
    {"rate_max_hz", "Highest burst rate of the event", "Hz"},
    {"interval_cv", "Coefficient of variation of the intervals behind rate_hz", NULL},
    {"amplitude_mv", "Peak potential of the largest motor unit", "mV"},
    {"conduction_mps", "Muscle-fibre conduction velocity at the event's start", "m/s"},
    {"cocon", "Co-contraction index with the partner channel", "%"},
    {"lag", "Lag of the partner's envelope (cross-correlation peak)", "s"},
    {"mdf", "Median frequency of the EMG after mains removal", "Hz"},
    {"amp_over_rest", "Envelope peak over the median envelope at rest (ratio)", NULL},
    {"rise_time", "10-90 % rise time of the envelope at onset", "s"},
    {"phases", "Phases of the largest single potential", NULL},
    {"spikes", "Mean spikes per burst", NULL},
    {"level", "Excitation as a fraction of maximal (0-1)", NULL},
    {"cv_decline", "Fractional decline of muscle-fibre conduction velocity over the event",
     NULL},
    /* emg-detect's evidence, in the channel's own unit (its channels.tsv units). */
    {"peak", "Peak absolute amplitude of the event, in the channel's unit", NULL},
    {"rms", "RMS amplitude of the event, in the channel's unit", NULL},
    {"area", "Integral of the rectified signal over the event, in the channel's unit x s",
     NULL},
    {"turns", "Turns of the signal in the event", NULL},
};

/* Units by the suffix emgkit's tables put on a column name. */
static const struct {
    const char *suffix, *unit, *words;
} unit_suffixes[] = {
    {"_hz", "Hz", "frequency"}, {"_ms", "ms", "time"},      {"_s", "s", "time"},
    {"_mv", "mV", "amplitude"}, {"_uv", "uV", "amplitude"}, {"_mps", "m/s", "speed"},
    {"_pct", "%", "percentage"},
};

int emgi_bids_describe_column(const char *name, const char *table, emgi_bids_column *out,
                             char *text, size_t n)
{
    for (size_t i = 0; i < sizeof known_columns / sizeof *known_columns; i++)
        if (!strcmp(known_columns[i].name, name)) {
            *out = known_columns[i];
            return 1;
        }
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof unit_suffixes / sizeof *unit_suffixes; i++) {
        size_t s = strlen(unit_suffixes[i].suffix);
        if (len > s && !strcmp(name + len - s, unit_suffixes[i].suffix)) {
            snprintf(text, n, "%.*s (a %s) from the event table %s", (int)(len - s), name,
                     unit_suffixes[i].words, table);
            out->name = name;
            out->description = text;
            out->unit = unit_suffixes[i].unit;
            return 1;
        }
    }
    snprintf(text, n, "Column %s of the event table %s (no unit recorded)", name, table);
    out->name = name;
    out->description = text;
    out->unit = NULL;
    return 0;
}

int emgi_bids_core_event_column(const char *name)
{
    static const char *const core[] = {"onset", "duration", "label", "trial_type", "channel",
                                       "file"};
    for (size_t i = 0; i < sizeof core / sizeof *core; i++)
        if (!strcmp(name, core[i]))
            return 1;
    return 0;
}

int emgi_bids_event_span_columns(const emg_table *t, const char *path, int *c_onset,
                                 int *c_duration, emg_error *err)
{
    *c_onset = emg_table_column(t, "onset");
    *c_duration = emg_table_column(t, "duration");
    if (*c_onset < 0 || *c_duration < 0)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: an event table needs onset and duration "
                             "columns (docs/event-tables.md)", path);
    return EMG_OK;
}

/* ------------------------------------------------------------- labels */

static const struct {
    const char *label, *description;
} vocabulary[] = {
    /* docs/spasm-criteria.md, "Vocabulary" */
    {"cramp", "Cramp: involuntary high-rate irregular discharge of one muscle at rest"},
    {"fasciculation", "Fasciculation (twitching): isolated motor-unit potentials at rest"},
    {"tonic", "Tonic spasm: sustained involuntary contraction (CNS lesion context)"},
    {"dystonic", "Dystonic spasm: agonist and antagonist co-contracting"},
    {"ischemic", "Ischemic spasm or contracture (electrically silent; seen on force or MMG)"},
    {"clonic", "Clonic spasm, clonus: rhythmic bursts"},
    {"myoclonic", "Myoclonic spasm or jerk: brief arrhythmic compound bursts"},
    {"ataxic", "Ataxic spasm: irregular bursts of agonist and antagonist during movement"},
    {"tetanic", "Tetany: repetitive discharges under ischemia or hyperventilation"},
    {"strain", "Muscle-strain spasm (injury context)"},
    {"mixed", "Two or more spasm patterns in one event"},
    {"unclassified", "Involuntary activity that matches no rule"},
    {"voluntary", "Voluntary contraction (not a spasm)"},
    {"tremor", "Tremor: physiological 8-12 Hz or orthostatic 13-18 Hz (not a spasm)"},
    {"rest", "Rest: no muscle activity above the noise"},
    {"active", "Muscle activity not otherwise labelled"},
    {"artefact", "Artefact: a non-physiological disturbance"},
};

const char *emgi_bids_label_description(const char *label)
{
    for (size_t i = 0; i < sizeof vocabulary / sizeof *vocabulary; i++)
        if (!strcmp(vocabulary[i].label, label))
            return vocabulary[i].description;
    return NULL;
}
