/* test_temp_files.c: the registry of temporary files and committing one
 * (src/lib/temp_files.c): emg_temp_remove_all() removes what is not yet
 * committed or discarded, a commit keeps the replaced file's mode and writes
 * through a symbolic link, even a dangling one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emgkit/emgkit.h"

static void test_dir(char *out, size_t n, const char *name)
{
    mkdir(EMGKIT_TEST_TMP, 0777);
    snprintf(out, n, "%s/temp-%s", EMGKIT_TEST_TMP, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_remove_all(void **state)
{
    (void)state;
    char final[512], a[600], b[600], c[600];
    emg_error err;
    test_dir(final, sizeof final, "out.csv");
    assert_int_equal(emg_temp_path(a, sizeof a, final, &err), 0);
    assert_int_equal(emg_temp_path(b, sizeof b, final, &err), 0);
    assert_int_equal(emg_temp_path(c, sizeof c, final, &err), 0);
    assert_string_not_equal(a, b);
    write_text(a, "a");
    write_text(b, "b");
    write_text(c, "c");
    assert_int_equal(emg_temp_commit(c, final, &err), 0); /* committed: not removed */
    emg_temp_discard(b);
    assert_false(exists(b));
    emg_temp_remove_all();
    assert_false(exists(a));
    assert_true(exists(final));
    emg_temp_remove_all(); /* nothing left: harmless */
    unlink(final);
}

static void test_commit_keeps_mode(void **state)
{
    (void)state;
    char final[512], tmp[600];
    emg_error err;
    test_dir(final, sizeof final, "private.csv");
    write_text(final, "old");
    chmod(final, 0600);
    assert_int_equal(emg_temp_path(tmp, sizeof tmp, final, &err), 0);
    write_text(tmp, "new");
    chmod(tmp, 0644);
    assert_int_equal(emg_temp_commit(tmp, final, &err), 0);
    struct stat st;
    assert_int_equal(stat(final, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    unlink(final);
}

static void test_commit_through_symlink(void **state)
{
    (void)state;
    char link[512], target[512], tmp[600];
    emg_error err;
    test_dir(link, sizeof link, "link.csv");
    test_dir(target, sizeof target, "target.csv");
    unlink(link);
    unlink(target);
    assert_int_equal(symlink("temp-target.csv", link), 0); /* dangling until committed */
    assert_int_equal(emg_temp_path(tmp, sizeof tmp, link, &err), 0);
    write_text(tmp, "through");
    assert_int_equal(emg_temp_commit(tmp, link, &err), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_size, 7);
    unlink(link);
    unlink(target);
}

static void test_commit_failure_names_output(void **state)
{
    (void)state;
    char dir[512], final[600], tmp[700];
    emg_error err;
    test_dir(dir, sizeof dir, "a-directory");
    mkdir(dir, 0777);
    snprintf(final, sizeof final, "%s", dir); /* renaming a file onto a directory fails */
    assert_int_equal(emg_temp_path(tmp, sizeof tmp, final, &err), 0);
    write_text(tmp, "x");
    assert_int_equal(emg_temp_commit(tmp, final, &err), EMG_ERR_OUTPUT);
    assert_non_null(strstr(err.message, final));
    assert_null(strstr(err.message, ".tmp-"));
    assert_false(exists(tmp));
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove_all),
        cmocka_unit_test(test_commit_keeps_mode),
        cmocka_unit_test(test_commit_through_symlink),
        cmocka_unit_test(test_commit_failure_names_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
