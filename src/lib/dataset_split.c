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
    for (size_t i = 0; i < m; i++) {
        ds_subject *sub = &subjects[order[i].subject];
        size_t empty = 0;
        for (int k = 0; k < EMG_DATASET_SPLITS; k++)
            empty += fraction[k] > 0 && split_subjects(subjects, n, k) == 0;
        int best = -1;
        double best_cost = INFINITY;
        for (int k = 0; k < EMG_DATASET_SPLITS; k++) {
            if (!(fraction[k] > 0))
                continue;
            if (empty > 0 && m - i <= empty && split_subjects(subjects, n, k) > 0)
                continue; /* the subjects left are needed to give every split one */
            double c = cost_after(subjects, n, n_classes, k, sub, class_total, fraction[k]);
            if (c < best_cost)
                best_cost = c, best = k;
        }
        sub->split = best < 0 ? 0 : best;
    }
    free(order);
    free(class_total);
}
