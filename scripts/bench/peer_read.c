/* peer_read.c: the reference the I/O benchmark compares emg-convert with:
 * read a whole WAV (libsndfile) or EDF/BDF (EDFlib) file into memory as
 * doubles in physical units, then write the samples raw to stdout.
 * Usage: peer_read FILE.wav|FILE.edf > /dev/null */
#include <edflib.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_wav(const char *path)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return fprintf(stderr, "%s: %s\n", path, sf_strerror(NULL)), 1;
    size_t n = (size_t)info.frames * (size_t)info.channels;
    double *x = malloc(n * sizeof *x);
    if (!x || sf_readf_double(sf, x, info.frames) != info.frames)
        return fprintf(stderr, "%s: read failed\n", path), 1;
    fwrite(x, sizeof *x, n, stdout);
    free(x);
    sf_close(sf);
    return 0;
}

static int read_edf(const char *path)
{
    struct edf_hdr_struct hdr;
    if (edfopen_file_readonly(path, &hdr, EDFLIB_READ_ALL_ANNOTATIONS) < 0)
        return fprintf(stderr, "%s: EDFlib error %d\n", path, hdr.filetype), 1;
    for (int s = 0; s < hdr.edfsignals; s++) {
        long long n = hdr.signalparam[s].smp_in_file;
        double *x = malloc((size_t)n * sizeof *x);
        if (!x || edfread_physical_samples(hdr.handle, s, (int)n, x) != n)
            return fprintf(stderr, "%s: read failed\n", path), 1;
        fwrite(x, sizeof *x, (size_t)n, stdout);
        free(x);
    }
    edfclose_file(hdr.handle);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return fprintf(stderr, "usage: peer_read FILE\n"), 1;
    const char *dot = strrchr(argv[1], '.');
    if (dot && (!strcmp(dot, ".edf") || !strcmp(dot, ".bdf")))
        return read_edf(argv[1]);
    return read_wav(argv[1]);
}
