/* util.c: allocation and string helpers shared by the library's modules. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io_internal.h"

/* madvise(advice) over the whole units of `unit` bytes (a power of two)
 * inside p[0..bytes): advice needs aligned ranges, and a unit that is only
 * partly the buffer's must be left alone. */
#if defined(MADV_HUGEPAGE) || defined(MADV_POPULATE_WRITE)
static void advise_inside(void *p, size_t bytes, uintptr_t unit, int advice)
{
    uintptr_t a = ((uintptr_t)p + unit - 1) & ~(unit - 1);
    uintptr_t b = ((uintptr_t)p + bytes) & ~(unit - 1);
    if (b > a)
        (void)madvise((void *)a, b - a, advice);
}
#endif

/* Large buffers (an hour of a channel is 58 MB of doubles) are filled once
 * from start to end: transparent huge pages save one page fault per 4 KiB,
 * which in emg-label cost more than its filters.  Advice only; ignored where
 * the kernel does not offer it. */
#define HUGE_PAGE ((size_t)2 << 20)
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (bytes >= 4 * HUGE_PAGE)
        advise_inside(p, bytes, HUGE_PAGE, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Each first touch of a 4 KiB page is a fault, about 10 us on the virtual
 * machines the benchmarks ran on (the exception goes through the hypervisor)
 * against under 1 us per page when the kernel maps a range in one call
 * (MADV_POPULATE_WRITE, Linux 5.14); the filter queues (1 MB per channel and
 * stage) are written from end to end, so mapping them at once costs no
 * memory.  Whole pages inside the buffer only; ignored where not offered. */
void emgi_prefault(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    advise_inside(p, bytes, (uintptr_t)sysconf(_SC_PAGESIZE), MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

void *emgi_xcalloc(size_t n, size_t size, emg_error *err)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        emg_error_set(err, EMG_ERR_NOMEM, "out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *emgi_xrealloc(void *p, size_t n, size_t size, emg_error *err)
{
    if (size && n > SIZE_MAX / size) {
        emg_error_set(err, EMG_ERR_NOMEM, "allocation too large (%zu x %zu bytes)", n, size);
        return NULL;
    }
    size_t bytes = n * size;
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q)
        emg_error_set(err, EMG_ERR_NOMEM, "out of memory (%zu x %zu bytes)", n, size);
    else
        advise_huge(q, bytes);
    return q;
}

int emgi_name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (emgi_str_ieq(name, names[i]))
            return (int)i;
    return -1;
}

int emgi_grow(void **p, size_t *cap, size_t need, size_t size, emg_error *err)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? 2 * *cap : 64;
    while (n < need)
        n *= 2;
    void *q = emgi_xrealloc(*p, n, size, err);
    if (!q)
        return EMG_ERR_NOMEM;
    *p = q;
    *cap = n;
    return 0;
}

int emgi_grow_one(void **p, size_t n, size_t size, emg_error *err)
{
    size_t cap = 0;
    if (n) {
        cap = 64;
        while (cap < n)
            cap *= 2;
    }
    return emgi_grow(p, &cap, n + 1, size, err);
}

size_t emgi_first_capacity(int64_t declared, size_t need)
{
    const size_t trusted = (size_t)1 << 24;
    size_t cap = 65536;
    if (declared > 0 && (uint64_t)declared >= need)
        cap = (uint64_t)declared < trusted ? (size_t)declared : trusted;
    return cap > need ? cap : need;
}

int emgi_double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Hoare's selection (FIND, CACM 1961) with a median-of-three pivot: v[k]
 * becomes the k-th smallest, smaller ones before it, larger ones after. */
static void select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], c = v[hi];
        double pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

double emgi_median_inplace(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    size_t k = n / 2;
    select_kth(v, n, k);
    if (n % 2)
        return v[k];
    double below = v[0];
    for (size_t i = 1; i < k; i++)
        below = v[i] > below ? v[i] : below;
    return 0.5 * (below + v[k]);
}

void emgi_write_note(const emg_write_options *opts, const char *fmt, ...)
{
    if (!opts || !opts->note)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    opts->note(opts->note_ctx, text);
}

char *emgi_xstrdup(const char *s, emg_error *err)
{
    char *d = strdup(s ? s : "");
    if (!d)
        emg_error_set(err, EMG_ERR_NOMEM, "out of memory");
    return d;
}

void emgi_strlcpy(char *dst, const char *src, size_t n)
{
    if (!n)
        return;
    size_t len = src ? strnlen(src, n - 1) : 0;
    if (len)
        memcpy(dst, src, len);
    dst[len] = '\0';
}

const char *emgi_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int emgi_str_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

const char *emgi_path_extension(const char *path)
{
    const char *base = emgi_basename(path);
    const char *dot = strrchr(base, '.');
    return (dot && dot != base) ? dot + 1 : "";
}

static const char *file_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

int emgi_open_regular(FILE **out, const char *path, const char *what, emg_error *err)
{
    /* O_NONBLOCK: opening a FIFO without a writer would wait forever; fstat on
     * the open descriptor then judges the file that was opened (no race). */
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return emg_error_set(err, EMG_ERR_IO, "%s: %s (%s)", path, strerror(errno), what);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: is %s, not a data file (%s)", path,
                             file_kind(st.st_mode), what);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 || !(*out = fdopen(fd, "rb"))) {
        int rc = emg_error_set(err, EMG_ERR_IO, "%s: %s (%s)", path, strerror(errno), what);
        close(fd);
        return rc;
    }
    return EMG_OK;
}

int emgi_path_stays_inside(const char *name)
{
    if (name[0] == '/')
        return 0;
    for (const char *p = name; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += len;
        p += *p == '/';
    }
    return 1;
}

void emgi_sibling_path(const char *header, const char *name, char *out, size_t n)
{
    if (name[0] == '/') {
        emgi_strlcpy(out, name, n);
        return;
    }
    const char *base = emgi_basename(header);
    snprintf(out, n, "%.*s%s", (int)(base - header), header, name);
}
