/* --plot: an SVG chart of a run — memory, baseline, the three level thresholds (baseline times
 * each ratio), the level reached (a band along the bottom) and where a leak was reported. */
#ifndef EBB_TOOL_WATCH_PLOT_H
#define EBB_TOOL_WATCH_PLOT_H

#include <stdio.h>

#include "watch_series.h"

/* Writes a self-contained SVG document; 0, or -1 on a write error or an empty history. */
int ebb_plot_svg(FILE *f, const struct ebb_history *h, const double levels[3], const char *title);

#endif
