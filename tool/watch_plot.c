/* The SVG chart of --plot.
 *
 * One pass finds the ranges, then each series becomes one <polyline> (the thresholds are the
 * baseline scaled by each level's ratio, so they follow the baseline as the detector did). At most
 * PLOT_POINTS points per series: runs longer than that are drawn from the bucket maxima, so a
 * one-sample spike stays visible. The y axis starts at zero, because memory charts that do not
 * exaggerate changes.
 */
#include "watch_plot.h"

#include <math.h>

#include "watch_units.h"

#define W           960.0
#define H           420.0
#define LEFT        80.0
#define RIGHT       20.0
#define TOP         40.0
#define BOTTOM      50.0
#define PLOT_POINTS 1500

struct frame {
    double t0, t1, ymax;
};

static double px(const struct frame *fr, double t) {
    double span = fr->t1 > fr->t0 ? fr->t1 - fr->t0 : 1;
    return LEFT + (t - fr->t0) / span * (W - LEFT - RIGHT);
}

static double py(const struct frame *fr, double v) {
    return H - BOTTOM - v / fr->ymax * (H - TOP - BOTTOM);
}

/* A polyline of value(i) * scale; buckets of samples keep their largest value. */
static void polyline(FILE *f, const struct frame *fr, const struct ebb_history *h,
                     const double *value, double scale, const char *style) {
    size_t step = h->n > PLOT_POINTS ? (h->n + PLOT_POINTS - 1) / PLOT_POINTS : 1;
    fprintf(f, "<polyline fill=\"none\" %s points=\"", style);
    for (size_t i = 0; i < h->n; i += step) {
        double v = 0;
        for (size_t j = i; j < i + step && j < h->n; j++)
            v = fmax(v, value[j] * scale);
        fprintf(f, "%.1f,%.1f ", px(fr, h->t[i]), py(fr, v));
    }
    fprintf(f, "\"/>\n");
}

static void axes(FILE *f, const struct frame *fr) {
    char buf[32];
    fprintf(f, "<g font-family=\"sans-serif\" font-size=\"11\" fill=\"#444\">\n");
    for (int i = 0; i <= 4; i++) {
        double v = fr->ymax * i / 4, y = py(fr, v);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                LEFT, y, W - RIGHT, y);
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, y + 4,
                ebb_format_bytes(buf, sizeof buf, v));
    }
    for (int i = 0; i <= 6; i++) {
        double t = fr->t0 + (fr->t1 - fr->t0) * i / 6, x = px(fr, t);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", x,
                H - BOTTOM + 16, ebb_format_seconds(buf, sizeof buf, t));
    }
    fprintf(f, "</g>\n");
}

/* A band under the chart, coloured by level, and a purple mark above it where a leak was on. */
static void level_band(FILE *f, const struct frame *fr, const struct ebb_history *h) {
    static const char *const colour[] = {"#e8f5e9", "#fff59d", "#ffb74d", "#e57373"};
    double y = H - BOTTOM + 24;
    for (size_t i = 0; i + 1 < h->n; i++) {
        double x0 = px(fr, h->t[i]), x1 = px(fr, h->t[i + 1]);
        if (x1 - x0 < 0.05 && i + 2 < h->n) continue;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.2f\" height=\"8\" fill=\"%s\"/>\n", x0, y,
                fmax(x1 - x0, 0.5), colour[h->severity[i] & 3]);
        if (h->leak[i])
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.2f\" height=\"4\" fill=\"#8e24aa\"/>\n",
                    x0, y + 10, fmax(x1 - x0, 0.5));
    }
}

/* Length of the UTF-8 sequence at s when it is well formed and a character XML allows, else 0. */
static size_t xml_char_length(const unsigned char *s) {
    static const unsigned long least[] = {0, 0, 0x80, 0x800, 0x10000}; /* no overlong forms */
    if (s[0] < 0x80) return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
    if (!n || s[0] > 0xf4) return 0;
    unsigned long c = s[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) { /* stops at the NUL ending the string: it is no 10xxxxxx */
        if ((s[i] & 0xc0) != 0x80) return 0;
        c = c << 6 | (s[i] & 0x3fu);
    }
    if (c < least[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
        return 0;
    return n;
}

/* The title may hold a file name or a command: any bytes. Markup is escaped, and what an XML
 * document cannot hold (control characters, invalid UTF-8) becomes U+FFFD, so the chart always
 * parses. */
static void put_xml_text(FILE *f, const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        size_t n = xml_char_length(p);
        if (!n)
            fputs("\xef\xbf\xbd", f);
        else if (*p == '<' || *p == '>' || *p == '&')
            fputs(*p == '<' ? "&lt;" : *p == '>' ? "&gt;" : "&amp;", f);
        else
            fwrite(p, 1, n, f);
        p += n ? n : 1;
    }
}

int ebb_plot_svg(FILE *f, const struct ebb_history *h, const double levels[3], const char *title) {
    if (!h->n) return -1;
    struct frame fr = {h->t[0], h->t[h->n - 1], 1};
    for (size_t i = 0; i < h->n; i++)
        fr.ymax = fmax(fr.ymax, fmax(h->bytes[i], h->baseline[i] * levels[2]));
    fr.ymax *= 1.05;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            W, H + 10, W, H + 10);
    fprintf(f, "<text x=\"%.0f\" y=\"24\" font-family=\"sans-serif\" font-size=\"15\">", LEFT);
    put_xml_text(f, title);
    fprintf(f, "</text>\n");
    axes(f, &fr);
    static const char *const thresholds[] = {"#fbc02d", "#f57c00", "#d32f2f"};
    for (int k = 0; k < 3; k++) {
        char style[96];
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"1\" stroke-dasharray=\"5,4\"",
                 thresholds[k]);
        polyline(f, &fr, h, h->baseline, levels[k], style);
    }
    polyline(f, &fr, h, h->baseline, 1, "stroke=\"#757575\" stroke-width=\"1.5\"");
    polyline(f, &fr, h, h->bytes, 1, "stroke=\"#1565c0\" stroke-width=\"1.5\"");
    level_band(f, &fr, h);
    fprintf(f,
            "<g font-family=\"sans-serif\" font-size=\"11\">"
            "<text x=\"%.0f\" y=\"24\" fill=\"#1565c0\">memory</text>"
            "<text x=\"%.0f\" y=\"24\" fill=\"#757575\">baseline</text>"
            "<text x=\"%.0f\" y=\"24\" fill=\"#f57c00\">light/medium/severe</text>"
            "<text x=\"%.0f\" y=\"24\" fill=\"#8e24aa\">leak</text></g>\n</svg>\n",
            W - 380, W - 320, W - 250, W - 130);
    return ferror(f) ? -1 : 0;
}
