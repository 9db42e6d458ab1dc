/* temp_files.c: the temporary files the library creates, and moving a
 * finished one into place.
 *
 * Every temporary name handed out (outputs written beside their target,
 * spools in $TMPDIR) is recorded in a fixed table until it is renamed into
 * place or removed.  A program that is interrupted can then remove them all
 * from a signal handler: emg_temp_remove_all() only reads the table and calls
 * unlink(2), both async-signal-safe, because the table is preallocated and
 * each slot's state is one lock-free atomic.
 *
 * Committing keeps what the user had: the mode (and, for root, the owner and
 * group) of the file being replaced, and a symbolic link, which is written
 * through: the temporary file is made beside the link's target and renamed
 * onto it, so the link still points where it did. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_internal.h"

#define TEMP_SLOTS 64
#define TEMP_PATH_MAX 4352

enum { SLOT_FREE, SLOT_FILLING, SLOT_LIVE };

static struct temp_slot {
    atomic_int state;
    char path[TEMP_PATH_MAX];
} slots[TEMP_SLOTS];

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the signal handler needs lock-free atomics");

static int temp_register(const char *path, const char *user_path, emg_error *err)
{
    if (strlen(path) >= TEMP_PATH_MAX)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: path too long", user_path);
    for (size_t i = 0; i < TEMP_SLOTS; i++) {
        int expected = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slots[i].state, &expected, SLOT_FILLING))
            continue;
        memcpy(slots[i].path, path, strlen(path) + 1);
        atomic_store(&slots[i].state, SLOT_LIVE);
        return EMG_OK;
    }
    return emg_error_set(err, EMG_ERR_OUTPUT, "%s: too many temporary files open at once",
                         user_path);
}

/* Drop path from the table (after it was renamed or removed). */
static void temp_forget(const char *path)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++)
        if (atomic_load(&slots[i].state) == SLOT_LIVE && !strcmp(slots[i].path, path)) {
            atomic_store(&slots[i].state, SLOT_FREE);
            return;
        }
}

void emg_temp_remove_all(void)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++)
        if (atomic_load(&slots[i].state) == SLOT_LIVE) {
            unlink(slots[i].path);
            atomic_store(&slots[i].state, SLOT_FREE);
        }
}

void emg_temp_forget_all(void)
{
    for (size_t i = 0; i < TEMP_SLOTS; i++)
        atomic_store(&slots[i].state, SLOT_FREE);
}

void emg_temp_discard(const char *tmp)
{
    if (!tmp || !strcmp(tmp, "-"))
        return;
    unlink(tmp);
    temp_forget(tmp);
}

/* The file a write to path lands in: path itself, or the target of the
 * symbolic link path (resolved even when the target does not exist yet). */
static int output_target(const char *path, char *out, size_t n)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode)) {
        emgi_strlcpy(out, path, n);
        return strlen(path) < n ? 0 : -1;
    }
    char resolved[PATH_MAX];
    if (realpath(path, resolved)) {
        emgi_strlcpy(out, resolved, n);
        return strlen(resolved) < n ? 0 : -1;
    }
    /* A dangling link: its text, relative to the link's directory. */
    char link[PATH_MAX];
    ssize_t len = readlink(path, link, sizeof link - 1);
    if (len < 0)
        return -1;
    link[len] = '\0';
    int dir_len = link[0] == '/' ? 0 : (int)(emgi_basename(path) - path);
    int written = snprintf(out, n, "%.*s%s", dir_len, path, link);
    return written >= 0 && (size_t)written < n ? 0 : -1;
}

int emg_temp_path(char *out, size_t n, const char *final_path, emg_error *err)
{
    static atomic_uint counter;
    char target[TEMP_PATH_MAX];
    if (output_target(final_path, target, sizeof target) < 0)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: path too long", final_path);
    const char *base = emgi_basename(target);
    int dir_len = (int)(base - target);
    int len = snprintf(out, n, "%.*s.%s.tmp-%ld-%u", dir_len, target, base, (long)getpid(),
                       atomic_fetch_add(&counter, 1));
    if (len < 0 || (size_t)len >= n || (size_t)len >= TEMP_PATH_MAX)
        return emg_error_set(err, EMG_ERR_OUTPUT, "%s: path too long", final_path);
    return temp_register(out, final_path, err);
}

int emgi_temp_file(char *path, size_t n, const char *stem, emg_error *err)
{
    const char *dir = getenv("TMPDIR");
    dir = dir && *dir ? dir : "/tmp";
    int len = snprintf(path, n, "%s/%s-XXXXXX", dir, stem);
    if (len < 0 || (size_t)len >= n || (size_t)len >= TEMP_PATH_MAX)
        return emg_error_set(err, EMG_ERR_OUTPUT, "cannot create a temporary file in %s: path "
                             "too long", dir);
    /* No signal between creating the file and recording it. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int fd = mkstemp(path);
    int saved = errno;
    int rc = fd >= 0 ? temp_register(path, path, err) : EMG_OK;
    if (rc < 0) {
        close(fd);
        unlink(path);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (fd < 0)
        return emg_error_set(err, EMG_ERR_OUTPUT, "cannot create a temporary file in %s: %s", dir,
                             strerror(saved));
    return rc < 0 ? rc : fd;
}

/* Give tmp the permissions of the file it replaces (and its owner and group
 * when we may: root, or a group we belong to). */
static int copy_ownership(const char *tmp, const struct stat *old)
{
    int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* chown first: it clears set-user-ID bits that fchmod then restores.  Best
     * effort: a filesystem without owners (vfat), or a group we are not in,
     * leaves the new file ours. */
    if (fchown(fd, geteuid() == 0 ? old->st_uid : (uid_t)-1, old->st_gid) != 0)
        errno = 0;
    int rc = fchmod(fd, old->st_mode & 07777);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int emg_temp_commit(const char *tmp, const char *final_path, emg_error *err)
{
    char target[TEMP_PATH_MAX];
    struct stat old;
    int rc = EMG_OK;
    if (output_target(final_path, target, sizeof target) < 0)
        rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: path too long", final_path);
    else if (stat(target, &old) == 0 && S_ISREG(old.st_mode) && copy_ownership(tmp, &old) != 0)
        rc = emg_error_set(err, EMG_ERR_OUTPUT,
                           "%s: cannot give the new file the permissions of the old one: %s",
                           final_path, strerror(errno));
    else if (rename(tmp, target) != 0)
        rc = emg_error_set(err, EMG_ERR_OUTPUT, "%s: cannot move into place: %s", final_path,
                           strerror(errno));
    if (rc < 0)
        emg_temp_discard(tmp);
    else
        temp_forget(tmp);
    return rc;
}
