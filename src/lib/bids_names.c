/* bids_names.c: BIDS labels and file names (BIDS 1.11, "Common principles:
 * filenames" and the EMG file template sub-<label>[_ses-<label>]_task-<label>
 * [_acq-<label>][_run-<index>][_recording-<label>]_emg.<edf|bdf>; entities in
 * the order of the specification's entity table). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "emgkit/bids.h"
#include "io_internal.h"

int emg_bids_label_valid(const char *label)
{
    if (!label || !*label)
        return 0;
    for (const char *p = label; *p; p++)
        if (!isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
            return 0;
    return strlen(label) < EMG_BIDS_LABEL_MAX;
}

void emg_bids_label_from(const char *text, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = text; *p && k + 1 < n; p++)
        if ((unsigned char)*p < 0x80 && isalnum((unsigned char)*p))
            out[k++] = *p;
    if (n)
        out[k] = '\0';
}

static int check_label(const char *entity, const char *label, int optional, emg_error *err)
{
    if (optional && !label[0])
        return EMG_OK;
    if (!emg_bids_label_valid(label))
        return emg_error_set(err, EMG_ERR_ARG,
                             "BIDS %s label '%s' is not one or more letters and digits", entity,
                             label);
    return EMG_OK;
}

static int check_run(const char *run, emg_error *err)
{
    if (!run[0])
        return EMG_OK;
    for (const char *p = run; *p; p++)
        if (!isdigit((unsigned char)*p))
            return emg_error_set(err, EMG_ERR_ARG, "BIDS run '%s' is not a positive integer", run);
    if (strspn(run, "0") == strlen(run))
        return emg_error_set(err, EMG_ERR_ARG, "BIDS run '%s' is not a positive integer", run);
    return EMG_OK;
}

int emg_bids_data_path(char *out, size_t n, const char *root, const emg_bids_entities *e,
                       emg_format data_format, emg_error *err)
{
    int rc;
    if ((rc = check_label("subject", e->subject, 0, err)) < 0 ||
        (rc = check_label("session", e->session, 1, err)) < 0 ||
        (rc = check_label("task", e->task, 0, err)) < 0 || (rc = check_run(e->run, err)) < 0)
        return rc;
    if (data_format != EMG_FORMAT_EDF && data_format != EMG_FORMAT_BDF)
        return emg_error_set(err, EMG_ERR_ARG, "BIDS EMG data are EDF or BDF, not %s",
                             emg_format_name(data_format));
    char folder[1024], stem[512];
    if (e->session[0])
        snprintf(folder, sizeof folder, "sub-%s/ses-%s/emg", e->subject, e->session);
    else
        snprintf(folder, sizeof folder, "sub-%s/emg", e->subject);
    int len = snprintf(stem, sizeof stem, "sub-%s%s%s_task-%s%s%s", e->subject,
                       e->session[0] ? "_ses-" : "", e->session, e->task,
                       e->run[0] ? "_run-" : "", e->run);
    if (len < 0 || (size_t)len >= sizeof stem)
        return emg_error_set(err, EMG_ERR_ARG, "BIDS file name too long");
    len = snprintf(out, n, "%s/%s/%s_emg.%s", root, folder, stem,
                   data_format == EMG_FORMAT_BDF ? "bdf" : "edf");
    if (len < 0 || (size_t)len >= n)
        return emg_error_set(err, EMG_ERR_ARG, "%s: BIDS path too long", root);
    return EMG_OK;
}

int emgi_bids_sidecar_stem(const char *data_path, char *stem, size_t n)
{
    const char *base = emgi_basename(data_path);
    size_t len = strlen(data_path), blen = strlen(base);
    static const char *const suffixes[] = {"_emg.edf", "_emg.bdf"};
    for (size_t i = 0; i < 2; i++) {
        size_t slen = strlen(suffixes[i]);
        if (blen > slen && !strcmp(base + blen - slen, suffixes[i]) && !strncmp(base, "sub-", 4)) {
            if (len - slen + 1 > n)
                return 0;
            memcpy(stem, data_path, len - slen);
            stem[len - slen] = '\0';
            return 1;
        }
    }
    return 0;
}

/* The value of entity key ("sub", "ses", "task", "run") in the file name
 * base, up to its '_'; "" when absent or too long for n. */
static void entity_value(const char *base, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key);
    out[0] = '\0';
    for (const char *p = base; p; p = strchr(p, '_'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, klen) || p[klen] != '-')
            continue;
        const char *v = p + klen + 1;
        size_t len = strcspn(v, "_");
        if (len < n) {
            memcpy(out, v, len);
            out[len] = '\0';
        }
        return;
    }
}

int emg_bids_parse_data_path(const char *data_path, emg_bids_entities *e, char *stem, size_t n)
{
    char own[4096];
    if (!stem)
        stem = own, n = sizeof own;
    if (!emgi_bids_sidecar_stem(data_path, stem, n))
        return 0;
    const char *base = emgi_basename(stem);
    emg_bids_entities found;
    entity_value(base, "sub", found.subject, sizeof found.subject);
    entity_value(base, "ses", found.session, sizeof found.session);
    entity_value(base, "task", found.task, sizeof found.task);
    entity_value(base, "run", found.run, sizeof found.run);
    if (!emg_bids_label_valid(found.subject))
        return 0;
    if (e)
        *e = found;
    return 1;
}
