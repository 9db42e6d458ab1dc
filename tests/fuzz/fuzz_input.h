/* fuzz_input.h: what every fuzz target shares: the input bytes written to a
 * file (the parsers under test read paths), removed at exit, and the small
 * main() that replays seed files and their truncations when the target is
 * built into the test suite (FUZZ_STANDALONE) instead of for libFuzzer. */
#ifndef EMGKIT_FUZZ_INPUT_H
#define EMGKIT_FUZZ_INPUT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[200];
static char fuzz_path[256];
/* A file a target adds beside the input (a WFDB signal file), removed too. */
static char fuzz_companion[300];

static void fuzz_remove_files(void)
{
    unlink(fuzz_path);
    if (fuzz_companion[0])
        unlink(fuzz_companion);
    rmdir(fuzz_dir);
}

/* The input file's path (created on the first call), ending in ext. */
static const char *fuzz_input_path(const char *ext)
{
    if (fuzz_path[0])
        return fuzz_path;
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/emgkit-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir))
        abort();
    snprintf(fuzz_path, sizeof fuzz_path, "%s/fuzz%s", fuzz_dir, ext);
    atexit(fuzz_remove_files);
    return fuzz_path;
}

static const char *fuzz_write_input(const uint8_t *data, size_t size, const char *ext)
{
    const char *path = fuzz_input_path(ext);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    return path;
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
#endif
