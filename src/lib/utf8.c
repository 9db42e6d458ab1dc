/* utf8.c: text in the recording model is valid UTF-8, whatever the source
 * wrote.  Clinical exports write Latin-1 ("\xb5V" for microvolts in EDF and
 * Spike Recorder files), fixed-width fields cut multi-byte characters in
 * half, and JSON output must stay valid: every byte that does not begin a
 * valid UTF-8 sequence is taken as Latin-1 and re-encoded. */
#include <stdlib.h>
#include <string.h>
#include "io_internal.h"

/* Length of the valid UTF-8 sequence at s (at most left bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
                                 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > left)
        return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    /* Overlong forms, surrogates and code points past U+10FFFF are not valid. */
    uint32_t c = len == 1 ? s[0]
                 : len == 2 ? (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F)
                 : len == 3 ? (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 |
                                  (s[2] & 0x3F)
                            : (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
                                  (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < least[len] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    return len;
}

size_t emgi_utf8_from_bytes(char *out, size_t n, const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t k = 0, changed = 0;
    for (size_t i = 0; i < len && s[i];) {
        size_t seq = utf8_sequence(s + i, len - i);
        unsigned char latin1[2] = {(unsigned char)(0xC0 | s[i] >> 6),
                                   (unsigned char)(0x80 | (s[i] & 0x3F))};
        const unsigned char *src = seq ? s + i : latin1;
        size_t take = seq ? seq : 2;
        if (k + take >= n) /* whole characters only */
            break;
        memcpy(out + k, src, take);
        k += take;
        i += seq ? seq : 1;
        changed += !seq;
    }
    if (n)
        out[k] = '\0';
    return changed;
}

size_t emgi_utf8_fix(char *text, size_t size)
{
    char copy[1024];
    size_t len = strlen(text);
    if (len >= sizeof copy)
        len = sizeof copy - 1;
    memcpy(copy, text, len);
    return emgi_utf8_from_bytes(text, size, copy, len);
}

static int utf8_valid(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t len = strlen(text);
    for (size_t i = 0, seq; i < len; i += seq)
        if (!(seq = utf8_sequence(s + i, len - i)))
            return 0;
    return 1;
}

/* Re-encode a heap string in place (*text replaced when it was not valid). */
static int fix_heap(char **text, emg_error *err)
{
    if (!*text || utf8_valid(*text))
        return EMG_OK;
    size_t len = strlen(*text);
    char *fixed = emgi_xcalloc(2 * len + 1, 1, err);
    if (!fixed)
        return EMG_ERR_NOMEM;
    emgi_utf8_from_bytes(fixed, 2 * len + 1, *text, len);
    free(*text);
    *text = fixed;
    return EMG_OK;
}

char *emgi_utf8_dup(const char *text, emg_error *err)
{
    char *copy = emgi_xstrdup(text, err);
    if (copy && fix_heap(&copy, err) < 0) {
        free(copy);
        return NULL;
    }
    return copy;
}

int emgi_header_make_utf8(emg_header *h, emg_error *err)
{
    for (size_t i = 0; i < h->n_channels; i++) {
        emg_channel *c = &h->channels[i];
        emgi_utf8_fix(c->name, sizeof c->name);
        emgi_utf8_fix(c->unit, sizeof c->unit);
        emgi_utf8_fix(c->transducer, sizeof c->transducer);
    }
    emgi_utf8_fix(h->start_time, sizeof h->start_time);
    emgi_utf8_fix(h->subject, sizeof h->subject);
    emgi_utf8_fix(h->recording, sizeof h->recording);
    int rc = EMG_OK;
    for (size_t i = 0; i < h->n_annotations && rc >= 0; i++)
        rc = fix_heap(&h->annotations[i].text, err);
    for (size_t i = 0; i < h->n_provenance && rc >= 0; i++)
        rc = fix_heap(&h->provenance[i], err);
    for (size_t i = 0; i < h->n_notes && rc >= 0; i++)
        rc = fix_heap(&h->notes[i], err);
    return rc;
}
