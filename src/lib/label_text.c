/* label_text.c: the growing text buffer behind --explain (rules tested per
 * event and why) and the short string fields of the events. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_internal.h"
#include "label_internal.h"

void lab_printf(lab_text *b, const char *fmt, ...)
{
    if (!b->on)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t add = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
    if (b->len + add + 1 > b->cap) {
        size_t ncap = (b->cap ? 2 * b->cap : 512) + add;
        char *g = realloc(b->s, ncap);
        if (!g)
            return;
        b->s = g;
        b->cap = ncap;
    }
    memcpy(b->s + b->len, tmp, add);
    b->len += add;
    b->s[b->len] = '\0';
}

/* Append text as is (sb_printf cuts at 512 characters), each line prefixed. */
void lab_indent(lab_text *b, const char *text, const char *prefix)
{
    if (!b->on || !text)
        return;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
        size_t need = b->len + strlen(prefix) + len + 1;
        if (need > b->cap) {
            char *g = realloc(b->s, need + 512);
            if (!g)
                return;
            b->s = g;
            b->cap = need + 512;
        }
        memcpy(b->s + b->len, prefix, strlen(prefix));
        b->len += strlen(prefix);
        memcpy(b->s + b->len, text, len);
        b->len += len;
        b->s[b->len] = '\0';
        text += len;
    }
}
void lab_set_str(char *dst, size_t n, const char *src)
{
    emgi_strlcpy(dst, src ? src : "", n);
}
