/* test_dataset_split.c: subjects to splits (src/lib/dataset_split.c): every
 * class held by at least as many subjects as there are splits reaches every
 * split (the greedy rule alone left class 2 out of test in the first case),
 * every split gets a subject when there are enough, and existing assignments
 * stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "dataset_internal.h"
#include "test_helpers.h"

enum { CLASSES = 3, MAX_SUBJECTS = 16 };
static const double FRACTIONS[EMG_DATASET_SPLITS] = {0.7, 0.15, 0.15};

static void make_subjects(ds_subject *s, size_t n, const size_t rows[][CLASSES])
{
    for (size_t i = 0; i < n; i++) {
        s[i].name = NULL;
        s[i].split = -1;
        s[i].class_rows = calloc(CLASSES, sizeof *s[i].class_rows);
        assert_non_null(s[i].class_rows);
        s[i].rows = 0;
        for (size_t c = 0; c < CLASSES; c++)
            s[i].class_rows[c] = rows[i][c], s[i].rows += rows[i][c];
    }
}

static void free_subjects(ds_subject *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].class_rows);
}

static size_t holders(const ds_subject *s, size_t n, size_t c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i].class_rows[c] > 0;
    return k;
}

static void assert_stratified(const ds_subject *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_true(s[i].split >= 0 && s[i].split < EMG_DATASET_SPLITS);
    for (size_t c = 0; c < CLASSES; c++)
        if (holders(s, n, c) >= EMG_DATASET_SPLITS)
            for (int k = 0; k < EMG_DATASET_SPLITS; k++)
                if (!ds_split_has_class(s, n, k, c))
                    fail_msg("class %zu (held by %zu subjects) is not in split %d", c,
                             holders(s, n, c), k);
}

/* Rows per class of six subjects: class 2 in four of them.  The greedy rule
 * alone (the previous version) put none of them in test. */
static void test_rare_class_reaches_every_split(void **state)
{
    (void)state;
    static const size_t rows[][CLASSES] = {{65, 0, 7},   {99, 3, 6},   {59, 0, 0},
                                           {145, 0, 0},  {109, 19, 0}, {123, 0, 9}};
    ds_subject s[6];
    make_subjects(s, 6, rows);
    ds_assign_splits(s, 6, CLASSES, FRACTIONS, 1);
    assert_stratified(s, 6);
    free_subjects(s, 6);
}

/* Two rare classes in two subjects each, four subjects: coverage must not use
 * up the subject the empty test split needs. */
static void test_every_split_gets_a_subject(void **state)
{
    (void)state;
    static const size_t rows[][CLASSES] = {{100, 13, 0}, {89, 0, 4}, {68, 11, 0}, {86, 0, 2}};
    ds_subject s[4];
    make_subjects(s, 4, rows);
    ds_assign_splits(s, 4, CLASSES, FRACTIONS, 1);
    for (int k = 0; k < EMG_DATASET_SPLITS; k++) {
        size_t members = 0;
        for (size_t i = 0; i < 4; i++)
            members += s[i].split == k;
        assert_true(members > 0);
    }
    free_subjects(s, 4);
}

/* Random cohorts: every class held by >= 3 subjects is in every split; a
 * subject already assigned (by the build an append continues) keeps its split. */
static void test_random_cohorts(void **state)
{
    (void)state;
    rng_state = 88172645463325252ULL;
    for (int trial = 0; trial < 2000; trial++) {
        size_t n = 4 + (size_t)(uniform() * 8), rows[MAX_SUBJECTS][CLASSES];
        for (size_t i = 0; i < n; i++) {
            rows[i][0] = 50 + (size_t)(uniform() * 100);
            rows[i][1] = uniform() < 0.5 ? (size_t)(uniform() * 20) : 0;
            rows[i][2] = uniform() < 0.3 ? 1 + (size_t)(uniform() * 10) : 0;
        }
        ds_subject s[MAX_SUBJECTS];
        make_subjects(s, n, rows);
        ds_assign_splits(s, n, CLASSES, FRACTIONS, (uint64_t)trial);
        assert_stratified(s, n);
        for (size_t i = 0; i < n; i++)
            s[i].split = i == 0 ? 2 : -1;
        ds_assign_splits(s, n, CLASSES, FRACTIONS, (uint64_t)trial);
        assert_int_equal(s[0].split, 2);
        free_subjects(s, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rare_class_reaches_every_split),
        cmocka_unit_test(test_every_split_gets_a_subject),
        cmocka_unit_test(test_random_cohorts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
