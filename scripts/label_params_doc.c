/* label_params_doc: the labeller's parameter table (include/emgkit/label_params.def,
 * read through emg_label_params()) written into the documents that list it:
 *
 *   label_params_doc --check|--write FILE...
 *
 * Each FILE holds one generated section between two marker lines: in
 * Markdown "<!-- label-params begin -->" ... "<!-- label-params end -->"
 * (the table of docs/methods/labelling.md), in a man page
 * '.\" label-params begin' ... '.\" label-params end' (the THRESHOLDS entries
 * of docs/man/emg-label.1).  --write replaces the section; --check exits 1
 * naming every file whose section differs (the CTest docs/label_params),
 * so that the documents cannot drift from the defaults. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emgkit/label.h"

typedef struct buf {
    char *s;
    size_t len, cap;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = 2 * (b->len + (size_t)n + 1);
        if (!(b->s = realloc(b->s, b->cap))) {
            perror("label_params_doc");
            exit(2);
        }
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A table cell: '|' escaped. */
static void md_cell(buf *b, const char *s)
{
    put(b, " ");
    for (; *s; s++)
        put(b, *s == '|' ? "\\|" : "%c", *s);
    put(b, " |");
}

static void markdown(buf *b)
{
    size_t n;
    const emg_label_param *p = emg_label_params(&n);
    put(b, "| option | default | unit | rule | meaning | source |\n|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < n; k++) {
        put(b, "| `--%s` | %g | %s | %s |", p[k].option, p[k].def,
            p[k].unit[0] ? p[k].unit : "-", p[k].rule);
        md_cell(b, p[k].help);
        md_cell(b, p[k].source);
        put(b, "\n");
    }
}

/* troff: hyphens as \-, and \& before text so that a leading '.' is text. */
static void man_escaped(buf *b, const char *s)
{
    for (; *s; s++)
        if (*s == '-')
            put(b, "\\-");
        else if (*s == '\\')
            put(b, "\\e");
        else
            put(b, "%c", *s);
}

static void man(buf *b)
{
    size_t n;
    const emg_label_param *p = emg_label_params(&n);
    for (size_t k = 0; k < n; k++) {
        put(b, ".TP\n.BI \\-\\-");
        man_escaped(b, p[k].option);
        put(b, " \" %s\"\n\\&", p[k].is_int ? "N" : "X");
        man_escaped(b, p[k].help);
        put(b, " (default %g%s%s; rule %s).\n", p[k].def, p[k].unit[0] ? " " : "", p[k].unit,
            p[k].rule);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf b = {NULL, 0, 0};
    char chunk[4096];
    size_t got;
    put(&b, "%s", "");
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(&b, "%.*s", (int)got, chunk);
    fclose(f);
    return b.s;
}

/* 0: up to date (or written), 1: differs, 2: error. */
static int process(const char *path, int write)
{
    char *text = slurp(path);
    if (!text) {
        fprintf(stderr, "label_params_doc: cannot read %s\n", path);
        return 2;
    }
    int is_man = strstr(path, ".1") && strlen(path) > 2 && !strcmp(path + strlen(path) - 2, ".1");
    const char *begin = is_man ? ".\\\" label-params begin\n" : "<!-- label-params begin -->\n";
    const char *end = is_man ? ".\\\" label-params end\n" : "<!-- label-params end -->\n";
    char *a = strstr(text, begin), *z = a ? strstr(a, end) : NULL;
    if (!a || !z) {
        fprintf(stderr, "label_params_doc: %s: no '%.*s' ... '%.*s' section\n", path,
                (int)strlen(begin) - 1, begin, (int)strlen(end) - 1, end);
        free(text);
        return 2;
    }
    a += strlen(begin);
    buf gen = {NULL, 0, 0};
    put(&gen, "%s", "");
    (is_man ? man : markdown)(&gen);
    int same = (size_t)(z - a) == gen.len && !memcmp(a, gen.s, gen.len);
    int rc = same ? 0 : 1;
    if (!same && write) {
        FILE *f = fopen(path, "wb");
        if (!f || fprintf(f, "%.*s%s%s", (int)(a - text), text, gen.s, z) < 0 || fclose(f)) {
            fprintf(stderr, "label_params_doc: cannot write %s\n", path);
            rc = 2;
        } else {
            rc = 0;
        }
    } else if (!same) {
        fprintf(stderr, "label_params_doc: %s: the parameter section is out of date with "
                        "include/emgkit/label_params.def (cmake --build BUILD --target "
                        "label-params-doc)\n", path);
    }
    free(gen.s);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "--check") && strcmp(argv[1], "--write"))) {
        fprintf(stderr, "Usage: label_params_doc --check|--write FILE...\n");
        return 2;
    }
    int worst = 0;
    for (int k = 2; k < argc; k++) {
        int rc = process(argv[k], !strcmp(argv[1], "--write"));
        worst = rc > worst ? rc : worst;
    }
    return worst;
}
