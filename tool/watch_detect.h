/* The watchdog's detector: from a stream of (time, bytes) samples, a baseline, a spike level with
 * hysteresis, a leak rate when growth is sustained, and the time left before a limit. Pure
 * computation: no I/O, no clock, no globals, so replayed and synthetic series give the same answers
 * as live ones. See watch_detect.c for the method and docs/watch.md for the user's view. */
#ifndef EBB_TOOL_WATCH_DETECT_H
#define EBB_TOOL_WATCH_DETECT_H

#include <stddef.h>
#include <stdint.h>

enum ebb_severity { EBB_SEV_NONE = 0, EBB_SEV_LIGHT, EBB_SEV_MEDIUM, EBB_SEV_SEVERE };

/* "none", "light", "medium", "severe". */
const char *ebb_severity_name(enum ebb_severity s);

struct ebb_detect_config {
    double baseline_window; /* seconds of history in the rolling median (default 30) */
    double leak_window;     /* longest window of the slope (default 300) */
    double levels[3];       /* ratio over baseline entering light, medium, severe (1.3 1.8 2.5) */
    double hysteresis;      /* a level is left below levels[k] * (1 - hysteresis) (0.05) */
    unsigned confirm;       /* consecutive samples needed to enter or leave a state (3) */
    double limit_bytes;     /* time left is computed against this when > 0 (0) */
};

void ebb_detect_config_default(struct ebb_detect_config *cfg);

/* 0 when the configuration is usable, else -1 (windows not positive, levels not increasing
 * and above 1, hysteresis outside [0, 0.5), confirm 0). */
int ebb_detect_config_check(const struct ebb_detect_config *cfg);

/* The widest spacing of samples at which each detector works. A spike of `confirm` samples in a
 * row must stay a minority of the baseline window, or the median follows it and its ratio is
 * read low (near 1 once it is the majority): 2 x confirm intervals in the window. The leak slope
 * needs ten intervals in the leak window, or it is never fitted. */
double ebb_detect_max_level_spacing(const struct ebb_detect_config *cfg);
double ebb_detect_max_leak_spacing(const struct ebb_detect_config *cfg);

struct ebb_detect_result {
    double baseline;            /* rolling median, bytes */
    double ratio;               /* sample / baseline */
    enum ebb_severity severity; /* level after hysteresis */
    int level_entered;          /* severity went up at this sample */
    int leak;                   /* sustained growth is being reported */
    int leak_started;           /* ... and was not at the previous sample */
    double leak_rate;           /* bytes per second when leak, else 0 */
    double leak_span;           /* seconds of the window the rate was fitted on */
    double fitted_bytes;        /* the fitted line at this sample's time, when leak */
    double eta;                 /* seconds until limit_bytes at leak_rate, or -1 when none */
};

/* The values of a run of consecutive samples as an order-statistic tree (a treap in a pool of
 * nodes; node 0 stands for the empty tree), so that the k-th smallest of a window that slides
 * costs O(log n) per sample entering or leaving it rather than a pass over the whole window. */
struct ebb_osnode {
    double v;
    uint32_t left, right, size, prio;
};
struct ebb_oswindow {
    struct ebb_osnode *node;
    uint32_t root, used, cap, free_list, seed;
    size_t lo, hi; /* the tree holds the samples numbered [lo, hi) since the first one */
};

/* The windows order statistics are taken over: the baseline, the recent level of the
 * sustained-growth rule, and the history before a growing window of k fifths, k = 1..4. */
enum { EBB_WIN_BASELINE, EBB_WIN_RECENT, EBB_WIN_BEFORE, EBB_WIN_COUNT = EBB_WIN_BEFORE + 4 };

/* Samples live in a ring that grows to cover the longest window; scratch space is reused. */
struct ebb_detector {
    struct ebb_detect_config cfg;
    double *t, *y; /* ring of samples, oldest at head */
    size_t head, count, cap;
    size_t dropped; /* samples that have left the ring: the number of the one at head */
    struct ebb_oswindow win[EBB_WIN_COUNT];
    double *scratch;             /* cap doubles: medians */
    double *pairs;               /* pairwise slopes of at most EBB_DETECT_MAX_POINTS points */
    double *pt, *py;             /* the points of one window, decimated */
    unsigned above[4], below[4]; /* consecutive samples over/under each level's thresholds */
    unsigned leak_yes, leak_no;  /* consecutive samples with/without a leak candidate */
    enum ebb_severity severity;
    int leak;
    double leak_rate, leak_span;
    size_t samples;
};

/* Points a window is decimated to before the O(n^2) slope: bounds the cost of one sample. */
#define EBB_DETECT_MAX_POINTS 64

/* 0, or -1 if cfg is unusable or memory is short (nothing to free then). */
int ebb_detector_init(struct ebb_detector *d, const struct ebb_detect_config *cfg);
void ebb_detector_free(struct ebb_detector *d);

/* Feeds one sample. Times must not decrease. Returns 0 and fills *out; -1 when t goes back in
 * time or memory is short, in which case the detector is unchanged. */
int ebb_detector_step(struct ebb_detector *d, double t, double bytes,
                      struct ebb_detect_result *out);

/* Seconds until `headroom` more bytes are used at `rate` bytes/s; 0 when there is no headroom
 * left; -1 when rate is not positive. */
double ebb_detect_eta(double headroom, double rate);

/* Median of v[0..n) (n > 0); reorders v. */
double ebb_median(double *v, size_t n);

/* Theil–Sen estimate on n points with increasing t: the median of all pairwise slopes. Also the
 * concordance, the share of pairs that rise (ties count one half), in [0, 1]. `pairs` holds
 * n(n-1)/2 doubles and is left holding the slopes (in no particular order). Returns how many
 * pairs were used, 0 when fewer than two points have distinct times (outputs untouched). */
size_t ebb_theil_sen(const double *t, const double *y, size_t n, double *pairs, double *slope,
                     double *concordance);

/* A confidence interval for the Theil–Sen slope from its m pairwise slopes (as left by
 * ebb_theil_sen) over n points: the order statistics at ranks (m -+ z * sd) / 2, where sd is the
 * standard deviation of Kendall's S, sqrt(n(n-1)(2n+5)/18). Reorders pairs. */
void ebb_theil_sen_interval(double *pairs, size_t m, size_t n, double z, double *lo, double *hi);

#endif
