/* fuzz_reader.c: one fuzz target per reader.  Compiled with
 * -DFUZZ_FORMAT=EMG_FORMAT_xxx -DFUZZ_EXT=".ext"; the input bytes become a
 * file that the reader must either read to the end or reject with an error,
 * never crash, hang or leak.  Built for libFuzzer by scripts/fuzz.sh; built
 * with the replay main() of fuzz_input.h (FUZZ_STANDALONE) into the test
 * suite, which replays the real and malformed recordings in datasets/. */
#include "emgkit/emgkit.h"
#include "fuzz_input.h"

/* WFDB headers name a signal file: give them one to find. */
static void write_wfdb_signal_file(void)
{
    if (fuzz_companion[0])
        return;
    snprintf(fuzz_companion, sizeof fuzz_companion, "%s/fuzz.dat", fuzz_dir);
    FILE *f = fopen(fuzz_companion, "wb");
    if (!f)
        return;
    for (int i = 0; i < 4096; i++)
        fputc((i * 37) & 0xff, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input_path = fuzz_write_input(data, size, FUZZ_EXT);
    write_wfdb_signal_file();
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
