/* report_html.c: the HTML building blocks of emg-report's pages.  A page
 * holds everything it shows (style sheet, SVG figures, a small script that
 * checks the layout once loaded and logs a console error when a figure or a
 * table is not visible or an id is used twice: tests/cli/test_emg_report.sh
 * opens it in headless Chromium and reads that result); it loads nothing. */
#include <math.h>
#include <string.h>

#include "report.h"

static const char *STYLE =
    "body{font-family:'DejaVu Sans',sans-serif;max-width:1300px;margin:1.5em auto;"
    "padding:0 1em;color:#111}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #bbb;margin-top:1.6em}\n"
    "figure{margin:1em 0}figure svg{width:100%;height:auto;display:block}\n"
    "figcaption{font-size:.9em;color:#444}\n"
    "table{border-collapse:collapse;font-size:.9em;margin:.6em 0}\n"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\n"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "ul.flags li.warning{color:#8a4b00}ul.flags li.ok{color:#1b5e20}\n"
    "details{font-size:.85em}pre{white-space:pre-wrap;margin:.3em 0}\n"
    "#selfcheck{font-size:.8em;color:#666}\n";

/* After loading: every figure and table must have a size on the page, and
 * every id be one element's (a clip path named twice clips the wrong text). */
static const char *SELF_CHECK =
    "<script>\n"
    "window.addEventListener('load', function () {\n"
    "  var bad = [], figures = document.querySelectorAll('figure svg'),\n"
    "      tables = document.querySelectorAll('table');\n"
    "  figures.forEach(function (s, i) {\n"
    "    var r = s.getBoundingClientRect();\n"
    "    if (r.width < 200 || r.height < 100) bad.push('figure ' + (i + 1) + ' is ' +\n"
    "      Math.round(r.width) + 'x' + Math.round(r.height));\n"
    "  });\n"
    "  var ids = {};\n"
    "  document.querySelectorAll('[id]').forEach(function (e) {\n"
    "    if (ids[e.id]) bad.push('id ' + e.id + ' used twice');\n"
    "    ids[e.id] = 1;\n"
    "  });\n"
    "  tables.forEach(function (t) {\n"
    "    var r = t.getBoundingClientRect();\n"
    "    if (r.width < 50 || r.height < 10 || t.rows.length < 2) bad.push('table ' + t.id);\n"
    "  });\n"
    "  var out = document.getElementById('selfcheck');\n"
    "  out.textContent = bad.length ? 'layout problems: ' + bad.join('; ')\n"
    "    : 'layout checked: ' + figures.length + ' figures and ' + tables.length +\n"
    "      ' tables visible';\n"
    "  if (bad.length) console.error(out.textContent);\n"
    "});\n"
    "</script>\n";

void report_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

void report_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    report_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", STYLE);
    report_text(f, title);
    fputs("</h1>\n", f);
}

void report_end(FILE *f)
{
    fprintf(f, "<p id=\"selfcheck\">layout not checked (scripts off)</p>\n%s</body>\n</html>\n",
            SELF_CHECK);
}

void report_section(FILE *f, const char *id, const char *heading)
{
    fprintf(f, "<h2 id=\"%s\">", id);
    report_text(f, heading);
    fputs("</h2>\n", f);
}

/* PLplot names the clip paths of every SVG text-clipping0, 1, ...: in one
 * page they would clash (a text clipped by another figure's path), so each
 * figure's get its id in front. */
static void write_svg(FILE *f, const char *svg, const char *id)
{
    static const char CLIP[] = "text-clipping";
    const char *p = svg, *hit;
    while ((hit = strstr(p, CLIP)) != NULL) {
        fwrite(p, 1, (size_t)(hit - p), f);
        if (hit > svg && (hit[-1] == '"' || hit[-1] == '#'))
            fprintf(f, "%s-", id);
        fputs(CLIP, f);
        p = hit + sizeof CLIP - 1;
    }
    fputs(p, f);
}

void report_figure(FILE *f, const char *id, const char *svg, const char *caption)
{
    const char *start = strstr(svg, "<svg");
    fprintf(f, "<figure id=\"%s\">\n", id);
    write_svg(f, start ? start : svg, id);
    fputs("\n<figcaption>", f);
    report_text(f, caption);
    fputs("</figcaption>\n</figure>\n", f);
}

void report_table_begin(FILE *f, const char *id, size_t n, const char *const *columns)
{
    fprintf(f, "<table id=\"%s\">\n<tr>", id);
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", f);
        report_text(f, columns[i]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
}

void report_row_begin(FILE *f) { fputs("<tr>", f); }

void report_cell(FILE *f, const char *text)
{
    fputs("<td>", f);
    report_text(f, text && *text ? text : "n/a");
    fputs("</td>", f);
}

void report_cell_num(FILE *f, const char *format, double value)
{
    if (!isfinite(value)) {
        fputs("<td class=\"num\">n/a</td>", f);
        return;
    }
    fputs("<td class=\"num\">", f);
    fprintf(f, format, value);
    fputs("</td>", f);
}

void report_row_end(FILE *f) { fputs("</tr>\n", f); }
void report_table_end(FILE *f) { fputs("</table>\n", f); }
void report_flags_begin(FILE *f) { fputs("<ul class=\"flags\">\n", f); }

void report_flag(FILE *f, const char *severity, const char *text)
{
    fprintf(f, "<li class=\"%s\">", severity);
    report_text(f, text);
    fputs("</li>\n", f);
}

void report_flags_end(FILE *f) { fputs("</ul>\n", f); }

void report_link(FILE *f, const char *page, const char *text)
{
    static const char *unreserved = "-._~";
    fputs("<a href=\"", f);
    for (const unsigned char *p = (const unsigned char *)page; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr(unreserved, *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
    fputs("\">", f);
    report_text(f, text);
    fputs("</a>", f);
}
