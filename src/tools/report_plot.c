/* report_plot.c: an emg-plot figure drawn into emg-report's page, as the
 * SVG that plot_capture_svg keeps in memory. */
#include <stdlib.h>

#include "plot.h"
#include "report.h"

void report_plot(FILE *f, const char *id, const char *caption, void (*draw)(void *ctx),
                 void *ctx)
{
    char *svg = NULL;
    size_t len = 0;
    int was_quiet = cli_set_quiet(1); /* the reader's warnings were given once already */
    plot_capture_svg(&svg, &len);
    draw(ctx);
    cli_set_quiet(was_quiet);
    report_figure(f, id, svg, caption);
    free(svg);
}
