/* label_mixed.c: rule 5 of docs/spasm-criteria.md, "two or more patterns
 * within one event": the episode's sustained and burst segments are decided
 * on their own by rules 2-4; two different clear spasm patterns make the
 * event "mixed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_internal.h"

#define MIXED_MAX_PARTS 8

typedef struct mix_part {
    size_t a, b;   /* full-rate samples */
    int sustained; /* 1: sustained segment, 0: burst segment */
} mix_part;

/* Split an episode where its kind of activity changes: mixed_block blocks are
 * sustained (>= mixed_sustained_share of the block inside fine-envelope bursts longer than
 * brief_max: continuous firing) or bursty (<= mixed_burst_share: brief bursts and the
 * quiet between them); blocks in between belong to neither.  Runs of one
 * kind longer than sustained_min are the parts.  An episode yields parts
 * only when it holds at least one of each kind: a sustained segment next to
 * a burst segment is what two patterns in one event look like on one
 * channel (e.g. a cramp that turns into clonus, tonic spasm with clonic
 * beats).  Two burst patterns in one run are not separated. */
static size_t split_episode(mix_part *parts, const lab_episode *e, const lab_channel *ch,
                            const emg_label_options *o)
{
    size_t blk = (size_t)lround(o->mixed_block * ch->fs);
    if (blk == 0 || e->duration <= 2 * o->sustained_min || e->n_bursts == 0)
        return 0;
    size_t nb = (e->b - e->a + blk - 1) / blk, np = 0;
    int run_kind = -1, have[2] = {0, 0};
    size_t run_a = e->a, bi = e->first_burst, end = e->first_burst + e->n_bursts;
    for (size_t k = 0; k <= nb; k++) {
        int kind = -1;
        size_t a = k < nb ? e->a + k * blk : e->b, b = a + blk < e->b ? a + blk : e->b;
        if (k < nb) {
            size_t covered = 0;
            while (bi < end && ch->bursts[bi].b <= a)
                bi++;
            for (size_t j = bi; j < end && ch->bursts[j].a < b; j++) {
                const lab_burst *u = &ch->bursts[j];
                if ((double)(u->b - u->a) / ch->fs <= o->brief_max)
                    continue;
                size_t lo = u->a > a ? u->a : a, hi = u->b < b ? u->b : b;
                covered += hi > lo ? hi - lo : 0;
            }
            double share = (double)covered / (double)(b - a);
            kind = share >= o->mixed_sustained_share ? 1 : share <= o->mixed_burst_share ? 0 : -1;
        }
        if (kind == run_kind)
            continue;
        if (run_kind >= 0 && (double)(a - run_a) / ch->fs > o->sustained_min &&
            np < MIXED_MAX_PARTS) {
            parts[np].a = run_a;
            parts[np].b = a;
            parts[np].sustained = run_kind;
            have[run_kind] = 1;
            np++;
        }
        run_kind = kind;
        run_a = a;
    }
    return have[0] && have[1] ? np : 0;
}

/* Rule 5: decide each part of the episode with rules 2-4 (its own measures,
 * partner measures and context); when the parts clearly match two or more
 * different spasm rules (confidence >= mixed_confidence each), the event is "mixed", its
 * rule names the patterns in time order ("5-mixed:cramp+clonic") and its
 * note where each lies.  Returns 1 when mixed (rule, note and confidence of mix
 * filled), 0 when not, < 0
 * on error. */
int lab_mixed_patterns(emg_label_event *mix, const lab_episode *e, const lab_channel *chs,
                          int c, int p, const lab_ctx_table *ctxt, const emg_label_options *o,
                          lab_text *x, emg_error *err)
{
    const lab_channel *ch = &chs[c];
    mix_part parts[MIXED_MAX_PARTS];
    size_t np = split_episode(parts, e, ch, o);
    if (np == 0) {
        lab_printf(x, "  rule 5 mixed: no (no sustained and burst segments of > %.1f s each)\n",
                  o->sustained_min);
        return 0;
    }
    lab_label labels[MIXED_MAX_PARTS];
    size_t n_labels = 0;
    char note[sizeof mix->note] = "", rule[sizeof mix->rule] = "5-mixed:";
    double confidence = 1;
    lab_text px = {NULL, 0, 0, x->on};
    lab_printf(&px, "rule 5 mixed: %zu segments tested on their own:\n", np);
    for (size_t k = 0; k < np; k++) {
        lab_episode part;
        int rc = lab_measure_part(&part, ch, e, parts[k].a, parts[k].b, o, err);
        if (rc < 0) {
            free(px.s);
            return rc;
        }
        double t0 = (double)parts[k].a / ch->fs, t1 = (double)parts[k].b / ch->fs;
        lab_partner pi;
        lab_text y = {NULL, 0, 0, x->on};
        lab_decision d;
        lab_decide_span(&d, &pi, &part, chs, c, p, t0, t1, ctxt, o, &y);
        /* Tetany needs its multiplets to recur for tetanic_min (as for a whole event). */
        int clear = lab_label_is_spasm(d.label) && d.confidence >= o->mixed_confidence &&
                    !(d.label == LAB_TETANIC && part.duration < o->tetanic_min);
        lab_printf(&px, "%s segment %.3f-%.3f s: %s (%s, confidence %.2f)%s\n",
                  parts[k].sustained ? "sustained" : "burst", t0, t1, lab_label_name(d.label), d.rule,
                  d.confidence, clear ? "" : ": not a clear spasm pattern");
        lab_indent(&px, y.s, "  ");
        free(y.s);
        if (!clear)
            continue;
        int seen = 0;
        for (size_t j = 0; j < n_labels; j++)
            seen |= labels[j] == d.label;
        size_t nl = strlen(note);
        snprintf(note + nl, sizeof note - nl, "%s%s %.1f-%.1f s", nl ? "; " : "", lab_label_name(d.label), t0,
                 t1);
        if (seen)
            continue;
        size_t rl = strlen(rule);
        snprintf(rule + rl, sizeof rule - rl, "%s%s", n_labels ? "+" : "", lab_label_name(d.label));
        labels[n_labels++] = d.label;
        confidence = fmin(confidence, d.confidence);
    }
    if (n_labels < 2) {
        lab_printf(&px, "-> no (%s)\n", n_labels ? "one spasm pattern" : "no clear spasm pattern");
        lab_indent(x, px.s, "  ");
        free(px.s);
        return 0;
    }
    lab_printf(&px, "-> match (%s)\n", rule + 8);
    lab_indent(x, px.s, "  ");
    free(px.s);
    lab_set_str(mix->rule, sizeof mix->rule, rule);
    lab_set_str(mix->note, sizeof mix->note, note);
    mix->confidence = confidence;
    return 1;
}
