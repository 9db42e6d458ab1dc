/* plot_palette.c: one colour per label of the spasm vocabulary
 * (docs/event-tables.md, docs/methods/labelling.md), the same in every
 * figure and in docs/plotting.md.  The eight colours of Okabe & Ito (2008,
 * "Color universal design") go to the spasm types seen most, Paul Tol's
 * "muted" scheme (SRON/EPS/TN/09-002) to the rest: told apart with the
 * common colour-vision deficiencies.  Activity that is not a spasm is pale,
 * "unclassified" and any other label grey. */
#include <string.h>

#include "plot.h"

static const struct {
    const char *label;
    unsigned rgb;
} LABEL_COLOURS[] = {
    {"cramp", 0xD55E00},         {"tonic", 0xE69F00},     {"tetanic", 0xCC79A7},
    {"clonic", 0x0072B2},        {"myoclonic", 0x56B4E9}, {"fasciculation", 0x009E73},
    {"dystonic", 0x882255},      {"ischemic", 0xAA4499},  {"ataxic", 0x44AA99},
    {"strain", 0x999933},        {"mixed", 0x661100},     {"tremor", 0x332288},
    {"voluntary", 0x117733},     {"active", 0x88CCEE},    {"rest", 0xDDDDDD},
    {"unclassified", 0x888888},
};
/* Any label outside the vocabulary. */
static const unsigned OTHER_LABEL = 0xAAAAAA;

/* Series (channels, features): Okabe & Ito's, darkest first, no yellow. */
static const unsigned SERIES[] = {0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7,
                                  0x000000, 0xE69F00, 0x56B4E9};

unsigned plot_label_colour(const char *label)
{
    for (size_t i = 0; i < sizeof LABEL_COLOURS / sizeof *LABEL_COLOURS; i++)
        if (!strcmp(label, LABEL_COLOURS[i].label))
            return LABEL_COLOURS[i].rgb;
    return OTHER_LABEL;
}

unsigned plot_series_colour(size_t k)
{
    return SERIES[k % (sizeof SERIES / sizeof *SERIES)];
}
