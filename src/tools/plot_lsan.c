/* plot_lsan.c: what LeakSanitizer may ignore in emg-plot and emg-report.
 * Fontconfig (under cairo and pango) keeps its font cache until the process
 * ends, and libltdl keeps PLplot's loaded drivers: both allocate once per
 * process and by design never free, which LeakSanitizer would report at
 * exit as leaks of the tool.  Suppressed by library, so any leak of ours
 * (src/, libemgkit) is still reported.  Without the sanitizer nothing
 * calls this. */
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n"
           "leak:libltdl.so\n";
}
