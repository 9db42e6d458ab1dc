/* io_hdf5_plux.c: PLUX OpenSignals (r)evolution HDF5 files.
 *
 * One group per device, named by its MAC address, with attributes (sampling
 * rate, resolution, channels, device, date, time) and raw ADC counts in
 * raw/channel_N.  Counts become physical units through the sensor's transfer
 * function from the PLUX datasheets, as biosignalsnotebooks' raw_to_phy does
 * (PLUX, "Electromyography (EMG) Sensor Datasheet":
 * EMG(mV) = (ADC / 2^n - 1/2) * VCC / G_EMG * 1000, VCC = 3 V, G_EMG = 1000).
 * The nSeq counter is checked for dropped samples and ADC limits for clipping;
 * both are reported as header notes.  docs/hdf5-layout.md describes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_hdf5_internal.h"

/* Transfer functions of PLUX sensors (datasheets; the constants are those of
 * biosignalsnotebooks conversion.raw_to_phy):
 *   physical = (ADC / 2^n - 1/2) * VCC / G * 1000   [mV]
 * bioplux, biosignalsplux, channeller...: VCC = 3 V; EMG G = 1000, ECG G = 1019.
 * BITalino: VCC = 3.3 V; EMG G = 1008 (original) or 1009 (revolution, riot);
 * ECG G = 1100. */
typedef struct plux_transfer {
    double vcc, gain;
} plux_transfer;

static int plux_transfer_for(const char *sensor, const char *device, plux_transfer *t)
{
    int bitalino = !strncmp(device, "bitalino", 8);
    if (!strcmp(sensor, "EMG")) {
        t->vcc = bitalino ? 3.3 : 3.0;
        t->gain = !bitalino ? 1000 : !strcmp(device, "bitalino") ? 1008 : 1009;
        return 1;
    }
    if (!strcmp(sensor, "ECG")) {
        t->vcc = bitalino ? 3.3 : 3.0;
        t->gain = bitalino ? 1100 : 1019;
        return 1;
    }
    return 0;
}

/* "2017-5-30" and "15:34:25.337" into ISO 8601. */
static void plux_start_time(hid_t dev, char out[40])
{
    char date[40] = "", clock[40] = "";
    int y, mo, d, h = 0, mi = 0;
    double s = 0;
    emgi_h5_attr_string(dev, "date", date, sizeof date);
    emgi_h5_attr_string(dev, "time", clock, sizeof clock);
    if (sscanf(date, "%d-%d-%d", &y, &mo, &d) != 3)
        return;
    if (sscanf(clock, "%d:%d:%lf", &h, &mi, &s) != 3)
        h = mi = 0, s = 0;
    emg_time_format(out, y, mo, d, h, mi, s);
}

/* Scan a channel's raw counts for samples at the ADC limits (where the signal clips). */
static int plux_count_clipped(h5_reader *r, const h5_series *s, double top, int64_t *clipped,
                              emg_error *err)
{
    *clipped = 0;
    for (hsize_t row = 0; row < s->n_rows; row += HDF5_SCAN_ROWS) {
        hsize_t n = s->n_rows - row < HDF5_SCAN_ROWS ? s->n_rows - row : HDF5_SCAN_ROWS;
        int rc = emgi_h5_ensure_scratch(r, (size_t)(n * s->n_cols), err);
        if (rc < 0)
            return rc;
        if (emgi_h5_read_rows(s, row, n, r->scratch) < 0)
            return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot read OpenSignals samples");
        for (hsize_t j = 0; j < n * s->n_cols; j++)
            *clipped += r->scratch[j] <= 0 || r->scratch[j] >= top;
    }
    return EMG_OK;
}

/* Check the nSeq counter (+1 per sample, modulo 2^16) for dropped samples.
 * Some devices stop the counter at 65535 instead of wrapping: after that
 * nothing can be checked, which the note says. */
static int plux_check_nseq(h5_reader *r, hid_t dev, const char *mac, double fs, emg_header *hdr,
                           emg_error *err)
{
    if (!emgi_h5_link_exists(dev, "raw/nSeq"))
        return EMG_OK;
    h5_series tmp = {0};
    tmp.dset = H5Dopen2(dev, "raw/nSeq", H5P_DEFAULT);
    hid_t space = tmp.dset >= 0 ? H5Dget_space(tmp.dset) : H5I_INVALID_HID;
    hsize_t dims[2] = {0, 1};
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank == 1 || rank == 2)
        H5Sget_simple_extent_dims(space, dims, NULL);
    emgi_h5_close_id(&space, H5Sclose);
    tmp.n_rows = dims[0];
    tmp.n_cols = rank == 2 ? dims[1] : 1;
    int rc = EMG_OK;
    if (tmp.dset < 0 || (rank != 1 && rank != 2) || tmp.n_cols > HDF5_MAX_COLUMNS ||
        !emgi_h5_plausible_length(r->file, tmp.dset, tmp.n_rows, tmp.n_cols)) {
        emgi_h5_close_id(&tmp.dset, H5Dclose);
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "unreadable raw/nSeq dataset");
    }
    int64_t gaps = 0, missing = 0, first_gap = -1, stuck_at = -1;
    double prev = -1;
    for (hsize_t row = 0; rc >= 0 && row < tmp.n_rows && stuck_at < 0; row += HDF5_SCAN_ROWS) {
        hsize_t n = tmp.n_rows - row < HDF5_SCAN_ROWS ? tmp.n_rows - row : HDF5_SCAN_ROWS;
        if ((rc = emgi_h5_ensure_scratch(r, (size_t)(n * tmp.n_cols), err)) < 0)
            break;
        if (emgi_h5_read_rows(&tmp, row, n, r->scratch) < 0) {
            rc = emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot read raw/nSeq");
            break;
        }
        for (hsize_t j = 0; j < n; j++) {
            double seq = emgi_h5_to_int32(r->scratch[j * tmp.n_cols]);
            if (prev >= 0) {
                long step = (((long)seq - (long)prev) % 65536 + 65536) % 65536;
                if (step == 0 && seq == 65535) {
                    stuck_at = (int64_t)(row + j);
                    break;
                }
                if (step != 1) {
                    gaps++;
                    missing += (step + 65535) % 65536;
                    if (first_gap < 0)
                        first_gap = (int64_t)(row + j);
                }
            }
            prev = seq;
        }
    }
    emgi_h5_close_id(&tmp.dset, H5Dclose);
    if (rc >= 0 && gaps > 0)
        rc = emg_header_add_note(hdr, err,
                                 "%s: device %s: nSeq shows %lld gap(s), %lld sample(s) dropped "
                                 "(first before sample %lld); later samples sit that much early "
                                 "on the time axis",
                                 r->path, mac, (long long)gaps, (long long)missing,
                                 (long long)first_gap);
    if (rc >= 0 && stuck_at >= 0)
        rc = emg_header_add_note(hdr, err,
                                 "%s: device %s: nSeq stops at 65535 (sample %lld, %.3f s) instead "
                                 "of wrapping; dropped samples after that cannot be detected",
                                 r->path, mac, (long long)stuck_at - 1,
                                 (double)(stuck_at - 1) / fs);
    return rc;
}

static int plux_channel(h5_reader *r, hid_t dev, const char *mac, int number, int bits,
                        double fs, const char *device, int prefix, emg_header *hdr, emg_error *err)
{
    char path[64];
    snprintf(path, sizeof path, "raw/channel_%d", number);
    hid_t dset = emgi_h5_link_exists(dev, path) ? H5Dopen2(dev, path, H5P_DEFAULT) : H5I_INVALID_HID;
    if (dset < 0)
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "OpenSignals device lists a channel "
                                                     "without a raw/channel_N dataset");
    emg_channel ch;
    emg_channel_init(&ch);
    char label[EMG_NAME_MAX] = "", sensor[32] = "";
    snprintf(label, sizeof label, "channel_%d", number);
    emgi_h5_attr_string(dset, "label", label, sizeof label);
    emgi_h5_attr_string(dset, "sensor", sensor, sizeof sensor);
    if (prefix)
        snprintf(ch.name, sizeof ch.name, "%.17s %.40s", mac, label);
    else
        emgi_strlcpy(ch.name, label, sizeof ch.name);
    snprintf(ch.transducer, sizeof ch.transducer, "PLUX %s sensor, %s %s",
             sensor[0] ? sensor : "unknown", device, mac);
    ch.fs = fs;
    h5_series *s = NULL;
    int rc = emgi_h5_add_series(r, dset, fs, err, &s);
    if (rc < 0)
        return rc;
    if (s->n_cols != 1)
        return emg_error_set(err, EMG_ERR_FORMAT, "%s: %s: %s has %llu columns, expected 1",
                             r->path, mac, path, (unsigned long long)s->n_cols);
    double levels = ldexp(1.0, bits);
    ch.n_samples = (int64_t)s->n_rows;
    ch.digital_min = 0;
    ch.digital_max = (int32_t)(levels - 1);
    plux_transfer t;
    if (plux_transfer_for(sensor, device, &t)) {
        /* physical = (ADC - 2^(n-1)) * VCC * 1000 / (G * 2^n) mV */
        emgi_strlcpy(ch.unit, "mV", sizeof ch.unit);
        ch.gain = t.gain * levels / (t.vcc * 1000.0);
        ch.baseline = levels / 2;
    } else {
        /* No transfer function known: keep the counts (gain 1, baseline 0). */
        ch.gain = 1;
        ch.baseline = 0;
        rc = emg_header_add_note(hdr, err,
                                 "%s: %s: sensor \"%s\" has no known transfer function; values "
                                 "are raw ADC counts",
                                 r->path, ch.name, sensor);
    }
    s->scale[0] = 1.0 / ch.gain;
    s->offset[0] = -ch.baseline / ch.gain;
    r->n_channels++;
    int64_t clipped = 0;
    if (rc >= 0)
        rc = plux_count_clipped(r, s, levels - 1, &clipped, err);
    if (rc >= 0 && clipped > 0)
        rc = emg_header_add_note(
            hdr, err, "%s: %s: %lld sample(s) at the %d-bit ADC limits (0 or %d): the signal clips",
            r->path, ch.name, (long long)clipped, bits, (int)(levels - 1));
    if (rc >= 0)
        rc = emg_header_add_channel(hdr, &ch, err);
    return rc < 0 ? rc : EMG_OK;
}

static int plux_device(h5_reader *r, const char *mac, int several, emg_header *hdr,
                       emg_error *err)
{
    hid_t dev = H5Gopen2(r->file, mac, H5P_DEFAULT);
    if (dev < 0)
        return emgi_h5_fail(err, EMG_ERR_FORMAT, r->path, "cannot open an OpenSignals device group");
    double fs = emgi_h5_attr_double(dev, "sampling rate", 0);
    char device[40] = "";
    emgi_h5_attr_string(dev, "device", device, sizeof device);
    double *numbers = NULL, *bits = NULL;
    size_t n_numbers = 0, n_bits = 0;
    int rc = EMG_OK;
    if (!(fs > 0) || emgi_h5_attr_doubles(dev, "channels", &numbers, &n_numbers) < 0 ||
        emgi_h5_attr_doubles(dev, "resolution", &bits, &n_bits) < 0 || n_bits == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT,
                           "%s: OpenSignals device %s lacks sampling rate, channels or "
                           "resolution attributes",
                           r->path, mac);
    if (rc >= 0 && !hdr->start_time[0])
        plux_start_time(dev, hdr->start_time);
    if (rc >= 0 && !hdr->recording[0])
        snprintf(hdr->recording, sizeof hdr->recording, "OpenSignals %s %s", device, mac);
    for (size_t i = 0; rc >= 0 && i < n_numbers; i++) {
        int b = emgi_h5_to_int32(bits[i < n_bits ? i : n_bits - 1]);
        if (b < 1 || b > 24) {
            rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: OpenSignals resolution of %d bits",
                               r->path, b);
            break;
        }
        rc = plux_channel(r, dev, mac, emgi_h5_to_int32(numbers[i]), b, fs, device, several, hdr, err);
    }
    double expected = emgi_h5_attr_double(dev, "nsamples", -1);
    if (rc >= 0 && expected >= 0 && r->n_series > 0 &&
        (double)r->series[r->n_series - 1].n_rows != expected)
        rc = emg_header_add_note(hdr, err,
                                 "%s: device %s: nsamples attribute says %.0f, datasets hold %llu",
                                 r->path, mac, expected,
                                 (unsigned long long)r->series[r->n_series - 1].n_rows);
    if (rc >= 0)
        rc = plux_check_nseq(r, dev, mac, fs, hdr, err);
    free(numbers);
    free(bits);
    emgi_h5_close_id(&dev, H5Gclose);
    return rc;
}

int emgi_h5_is_plux_device(hid_t file, const char *name)
{
    hid_t g = H5Gopen2(file, name, H5P_DEFAULT);
    int yes = g >= 0 && H5Aexists(g, "sampling rate") > 0 && emgi_h5_link_exists(g, "raw");
    emgi_h5_close_id(&g, H5Gclose);
    return yes;
}

int emgi_h5_open_plux(h5_reader *r, const name_list *groups, emg_header *hdr, emg_error *err)
{
    size_t n_devices = 0;
    for (size_t i = 0; i < groups->n; i++)
        n_devices += emgi_h5_is_plux_device(r->file, groups->names[i]);
    int rc = EMG_OK;
    for (size_t i = 0; rc >= 0 && i < groups->n; i++)
        if (emgi_h5_is_plux_device(r->file, groups->names[i]))
            rc = plux_device(r, groups->names[i], n_devices > 1, hdr, err);
    if (rc >= 0 && r->n_channels == 0)
        rc = emg_error_set(err, EMG_ERR_FORMAT, "%s: OpenSignals file without channels", r->path);
    return rc;
}
