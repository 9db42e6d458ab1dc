/* fuzz_reader.c: one fuzz target per reader.  Compiled with
 * -DFUZZ_FORMAT=EMG_FORMAT_xxx -DFUZZ_EXT=".ext"; the input bytes become a
 * file that the reader must either read to the end or reject with an error,
 * never crash, hang or leak.  Built for libFuzzer by scripts/fuzz.sh; built
 * with a small main() (FUZZ_STANDALONE) into the test suite, which replays
 * the real and malformed recordings in datasets/ through every target. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "emgkit/emgkit.h"

static char input_path[256];

/* WFDB headers name a signal file: give them one to find. */
static void write_wfdb_signal_file(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/fuzz.dat", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    for (int i = 0; i < 4096; i++)
        fputc((i * 37) & 0xff, f);
    fclose(f);
}

static char input_dir[200];

static void remove_input_files(void)
{
    char path[300];
    unlink(input_path);
    snprintf(path, sizeof path, "%s/fuzz.dat", input_dir);
    unlink(path);
    rmdir(input_dir);
}

static void make_input_path(void)
{
    if (input_path[0])
        return;
    const char *tmp = getenv("TMPDIR");
    char dir[200];
    snprintf(dir, sizeof dir, "%s/emgkit-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        abort();
    memcpy(input_dir, dir, sizeof input_dir);
    snprintf(input_path, sizeof input_path, "%s/fuzz%s", dir, FUZZ_EXT);
    write_wfdb_signal_file(dir);
    atexit(remove_input_files);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_input_path();
    FILE *f = fopen(input_path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    emg_read_options opts = EMG_READ_OPTIONS_INIT;
    opts.format = FUZZ_FORMAT;
    opts.fs = 1000; /* lets text without a time column through to the parser */
    emg_reader *r;
    emg_error err;
    if (emg_reader_open(&r, input_path, &opts, &err) == 0) {
        const emg_block *b;
        size_t blocks = 0;
        /* Bounded: a header may promise hours of samples. */
        while (blocks++ < 2000 && emg_reader_read(r, &b, &err) > 0)
            ;
        emg_reader_close(r);
    } else if (err.message[0] == '\0') {
        abort(); /* every failure must say what went wrong */
    }
    return 0;
}

#ifdef FUZZ_STANDALONE
/* Replay files given on the command line (the test suite's regression mode). */
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
        size_t got = fread(buf, 1, (size_t)n, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, got);
        /* Also every prefix cut at a few points: truncation is the commonest damage. */
        for (int k = 1; k <= 4; k++)
            LLVMFuzzerTestOneInput(buf, got * (size_t)k / 5);
        free(buf);
    }
    printf("%d passed, 0 failed\n", argc - 1);
    return 0;
}
#endif
