/* dataset_split.c: subjects to train/validation/test, grouped and
 * stratified (see dataset_internal.h). */
#include "dataset_internal.h"

#include <math.h>
#include <stdlib.h>

#include "emgkit/synth.h"

const char *const emgi_dataset_split_names[EMG_DATASET_SPLITS] = {"train", "validation", "test"};

typedef struct order_key {
    size_t subject;
    size_t rows;
    uint64_t draw;
} order_key;

static int cmp_order(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows > y->rows ? -1 : 1;
    return x->draw < y->draw ? -1 : x->draw > y->draw;
}

/* How far the split's class counts would be from target after adding the
 * subject (sum of squared shortfalls relative to each class's total). */
static double cost_after(const ds_subject *subjects, size_t n, size_t n_classes, int split,
                         const ds_subject *add, const double *class_total, double fraction)
{
    double cost = 0;
    for (size_t c = 0; c < n_classes; c++) {
        if (class_total[c] == 0)
            continue;
        double have = 0;
        for (size_t s = 0; s < n; s++)
            if (subjects[s].split == split)
                have += (double)subjects[s].class_rows[c];
        double d = (have + (double)add->class_rows[c] - fraction * class_total[c]) / class_total[c];
        double before = (have - fraction * class_total[c]) / class_total[c];
        cost += d * d - before * before;
    }
    return cost;
}

static size_t split_subjects(const ds_subject *subjects, size_t n, int split)
{
    size_t k = 0;
    for (size_t s = 0; s < n; s++)
        k += subjects[s].split == split;
    return k;
}

int ds_split_has_class(const ds_subject *subjects, size_t n, int split, size_t code)
{
    for (size_t s = 0; s < n; s++)
        if (subjects[s].split == split && subjects[s].class_rows[code] > 0)
            return 1;
    return 0;
}

static size_t class_subjects(const ds_subject *subjects, size_t n, size_t code)
{
    size_t k = 0;
    for (size_t s = 0; s < n; s++)
        k += subjects[s].class_rows[code] > 0;
    return k;
}

/* Splits with a fraction > 0, largest fraction first (ties: train, validation, test). */
static int active_splits(const double fraction[EMG_DATASET_SPLITS], int out[EMG_DATASET_SPLITS])
{
    int n = 0;
    for (int k = 0; k < EMG_DATASET_SPLITS; k++)
        if (fraction[k] > 0)
            out[n++] = k;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && fraction[out[j]] > fraction[out[j - 1]]; j--) {
            int t = out[j];
            out[j] = out[j - 1], out[j - 1] = t;
        }
    return n;
}

typedef struct split_state {
    ds_subject *subjects;
    size_t n, n_classes;
    const double *fraction, *class_total;
    order_key *order; /* unassigned subjects, in the greedy order */
    size_t m;
} split_state;

static size_t unassigned(const split_state *st)
{
    size_t k = 0;
    for (size_t i = 0; i < st->m; i++)
        k += st->subjects[st->order[i].subject].split < 0;
    return k;
}

static size_t empty_splits(const split_state *st)
{
    size_t k = 0;
    for (int s = 0; s < EMG_DATASET_SPLITS; s++)
        k += st->fraction[s] > 0 && split_subjects(st->subjects, st->n, s) == 0;
    return k;
}

/* Coverage first: for each class, rarest (fewest subjects) first, every active
 * split that has none of its rows gets the unassigned subject holding the class
 * that costs least there (the greedy cost below), as long as such subjects are
 * left.  A class in fewer subjects than splits reaches only the largest splits. */
static void cover_classes(split_state *st, const int *active, int n_active)
{
    size_t *by_rarity = malloc((st->n_classes ? st->n_classes : 1) * sizeof *by_rarity);
    size_t *holders = malloc((st->n_classes ? st->n_classes : 1) * sizeof *holders);
    if (!by_rarity || !holders) { /* the greedy pass alone still assigns everyone */
        free(by_rarity), free(holders);
        return;
    }
    for (size_t c = 0; c < st->n_classes; c++)
        by_rarity[c] = c, holders[c] = class_subjects(st->subjects, st->n, c);
    for (size_t i = 1; i < st->n_classes; i++)
        for (size_t j = i; j > 0 && holders[by_rarity[j]] < holders[by_rarity[j - 1]]; j--) {
            size_t t = by_rarity[j];
            by_rarity[j] = by_rarity[j - 1], by_rarity[j - 1] = t;
        }
    for (size_t r = 0; r < st->n_classes; r++) {
        size_t c = by_rarity[r];
        for (int a = 0; a < n_active; a++) {
            int k = active[a];
            if (ds_split_has_class(st->subjects, st->n, k, c) ||
                (split_subjects(st->subjects, st->n, k) > 0 && unassigned(st) <= empty_splits(st)))
                continue; /* covered, or the subjects left must give empty splits one */
            ds_subject *best = NULL;
            double best_cost = INFINITY;
            for (size_t i = 0; i < st->m; i++) {
                ds_subject *sub = &st->subjects[st->order[i].subject];
                if (sub->split >= 0 || sub->class_rows[c] == 0)
                    continue;
                double cost = cost_after(st->subjects, st->n, st->n_classes, k, sub,
                                         st->class_total, st->fraction[k]);
                if (cost < best_cost)
                    best_cost = cost, best = sub;
            }
            if (best)
                best->split = k;
        }
    }
    free(by_rarity), free(holders);
}

/* Then the rest, in the seeded order (larger subjects first): each to the
 * split whose class counts fall furthest short of their targets, an empty split
 * first while there are no more subjects left than empty splits. */
static void assign_greedily(split_state *st)
{
    size_t left = unassigned(st);
    for (size_t i = 0; i < st->m; i++) {
        ds_subject *sub = &st->subjects[st->order[i].subject];
        if (sub->split >= 0)
            continue;
        size_t empty = empty_splits(st);
        int best = -1;
        double best_cost = INFINITY;
        for (int k = 0; k < EMG_DATASET_SPLITS; k++) {
            if (!(st->fraction[k] > 0))
                continue;
            if (empty > 0 && left <= empty && split_subjects(st->subjects, st->n, k) > 0)
                continue; /* the subjects left are needed to give every split one */
            double c = cost_after(st->subjects, st->n, st->n_classes, k, sub, st->class_total,
                                  st->fraction[k]);
            if (c < best_cost)
                best_cost = c, best = k;
        }
        sub->split = best < 0 ? 0 : best;
        left--;
    }
}

void ds_assign_splits(ds_subject *subjects, size_t n, size_t n_classes,
                      const double fraction[EMG_DATASET_SPLITS], uint64_t seed)
{
    order_key *order = malloc((n ? n : 1) * sizeof *order);
    double *class_total = calloc(n_classes ? n_classes : 1, sizeof *class_total);
    if (!order || !class_total) { /* cannot happen at dataset sizes; leave train */
        for (size_t s = 0; s < n; s++)
            if (subjects[s].split < 0)
                subjects[s].split = 0;
        free(order);
        free(class_total);
        return;
    }
    emg_rng rng;
    emg_rng_seed(&rng, seed, 0);
    size_t m = 0;
    for (size_t s = 0; s < n; s++) {
        for (size_t c = 0; c < n_classes; c++)
            class_total[c] += (double)subjects[s].class_rows[c];
        if (subjects[s].split < 0)
            order[m++] = (order_key){s, subjects[s].rows, emg_rng_next(&rng)};
    }
    qsort(order, m, sizeof *order, cmp_order);
    split_state st = {subjects, n, n_classes, fraction, class_total, order, m};
    int active[EMG_DATASET_SPLITS];
    int n_active = active_splits(fraction, active);
    cover_classes(&st, active, n_active);
    assign_greedily(&st);
    free(order);
    free(class_total);
}
