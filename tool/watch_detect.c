/* The detector of `ebb watch`: pure functions over a stream of (time, bytes) samples.
 *
 * Structure. The samples of the last max(baseline_window, leak_window) seconds sit in a ring (two
 * parallel arrays, oldest at `head`, times non-decreasing). Each step appends one sample, drops
 * the ones that fell out of every window, and derives three things:
 *
 *  - Baseline: the median of the samples of the last baseline_window seconds (the new one
 *    included). A median ignores a minority of spikes, so a short burst does not lift the
 *    baseline it is measured against; a lasting step becomes the new baseline after half a window.
 *    Levels are judged only once the samples cover the whole window (warm-up), so the start-up
 *    of a launched command is not taken for a spike.
 *  - Level, with hysteresis: for each level k a count of consecutive samples at or above its
 *    ratio (`above[k]`) and of consecutive samples below ratio * (1 - hysteresis) (`below[k]`).
 *    The level rises to k once above[k] reaches `confirm`, and falls below k once below[k] does.
 *    One noisy sample therefore never changes the level, and a ratio that hovers at a threshold
 *    does not flap.
 *  - Leak: the window of the slope is tried at 1/5, 2/5, ... 5/5 of leak_window (m = 1/5). On the
 *    points of each (decimated to EBB_DETECT_MAX_POINTS) a Theil–Sen slope, the median of all
 *    pairwise slopes, which tolerates 29% of wild points. A window shows growth when (a) at least
 *    80% of its pairs rise (the Mann–Kendall concordance, so noise around a flat line, at about
 *    50%, never qualifies), (b) its first and last thirds both rise with slopes within 1.5x of each
 *    other (so a window reaching back before the growth began, whose slope would be biased low,
 *    is not used), (c) it grew by at least 1% of the current size, and (d) the 90% interval of its
 *    slope lies within ±15% of the slope (a rate worth an ETA). The longest such window
 *    gives the rate. Growth is *sustained* only if the recent level (median of the last m/4)
 *    also tops the 98th percentile of everything older than m: a sawtooth goes back down and its
 *    earlier peaks stay above each new rise, a leak makes new highs. A leak is reported after
 *    `confirm` consecutive samples pass, and cleared after `confirm` consecutive samples fail.
 *  - Time left: (limit - fitted line at now) / rate.
 *
 * Invariants: count <= cap; t[] non-decreasing in ring order; a window's tree holds the values
 * of exactly its samples [lo, hi), all still in the ring; the level only moves after `confirm`
 * agreeing samples; a failed step (allocation, time going back) changes nothing.
 *
 * Costs: a step is O(log n) for the order statistics (n samples in a window: each window keeps
 * its values in a tree, updated as samples enter and leave it) plus at most five Theil–Sen fits
 * of O(K^2) with K = EBB_DETECT_MAX_POINTS (about 50,000 slope evaluations and the quickselects
 * over them, well under a millisecond), whatever the spacing of the samples: many samples with
 * one timestamp cost no more than as many a second apart. Memory: 24 bytes per sample kept (ring
 * and scratch), 24 more in each tree that holds it, plus K^2/2 doubles of scratch.
 */
#include "watch_detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEAK_STEPS            5     /* windows tried: m, 2m, ... 5m with m = leak_window / 5 */
#define MIN_CONCORDANCE       0.80  /* share of rising pairs for a window to count as growing */
#define MAX_PART_DISAGREEMENT 1.5   /* first-third vs last-third slope, either way */
#define MIN_GROWTH            0.01  /* growth over the window, relative to the current size */
#define HIGH_QUANTILE         0.98  /* recent level must top this quantile of older samples */
#define HIGH_MARGIN           0.005 /* ... by this much */
#define PRECISION             0.15  /* 90% interval of the slope within ±15% of it */

const char *ebb_severity_name(enum ebb_severity s) {
    static const char *const names[] = {"none", "light", "medium", "severe"};
    return (unsigned)s < 4 ? names[s] : "none";
}

void ebb_detect_config_default(struct ebb_detect_config *cfg) {
    cfg->baseline_window = 30;
    cfg->leak_window = 300;
    cfg->levels[0] = 1.3;
    cfg->levels[1] = 1.8;
    cfg->levels[2] = 2.5;
    cfg->hysteresis = 0.05;
    cfg->confirm = 3;
    cfg->limit_bytes = 0;
}

int ebb_detect_config_check(const struct ebb_detect_config *cfg) {
    if (!(cfg->baseline_window > 0) || !(cfg->leak_window > 0)) return -1;
    if (!(cfg->levels[0] > 1) || !(cfg->levels[1] > cfg->levels[0]) ||
        !(cfg->levels[2] > cfg->levels[1]))
        return -1;
    if (!(cfg->hysteresis >= 0 && cfg->hysteresis < 0.5) || cfg->confirm == 0) return -1;
    if (!(cfg->limit_bytes >= 0)) return -1;
    return 0;
}

double ebb_detect_max_level_spacing(const struct ebb_detect_config *cfg) {
    return cfg->baseline_window / (2.0 * cfg->confirm);
}

/* window_grows fits the slope only with four points in each of the first and last thirds of the
 * window: ten intervals in the whole leak window. */
#define LEAK_MIN_INTERVALS 10.0

double ebb_detect_max_leak_spacing(const struct ebb_detect_config *cfg) {
    return cfg->leak_window / LEAK_MIN_INTERVALS;
}

/* ---- order statistics ------------------------------------------------------------------- */

static void swap(double *a, double *b) {
    double t = *a;
    *a = *b;
    *b = t;
}

/* Moves the k-th smallest of v[0..n) to v[k], smaller ones before it (Hoare's selection with a
 * median-of-three pivot: expected O(n), and sorted or constant input is not a worst case). */
static void select_kth(double *v, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (hi > lo) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(&v[mid], &v[lo]);
        if (v[hi] < v[lo]) swap(&v[hi], &v[lo]);
        if (v[hi] < v[mid]) swap(&v[hi], &v[mid]);
        double pivot = v[mid];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap(&v[i], &v[j]);
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

double ebb_median(double *v, size_t n) {
    size_t k = n / 2;
    select_kth(v, n, k);
    if (n % 2) return v[k];
    double lower = v[0];
    for (size_t i = 1; i < k; i++)
        if (v[i] > lower) lower = v[i];
    return (lower + v[k]) / 2;
}

size_t ebb_theil_sen(const double *t, const double *y, size_t n, double *pairs, double *slope,
                     double *concordance) {
    size_t m = 0;
    double rising = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dt = t[j] - t[i];
            if (dt <= 0) continue;
            double dy = y[j] - y[i];
            pairs[m++] = dy / dt;
            rising += dy > 0 ? 1 : dy == 0 ? 0.5 : 0;
        }
    if (m == 0) return 0;
    *concordance = rising / (double)m;
    *slope = ebb_median(pairs, m);
    return m;
}

void ebb_theil_sen_interval(double *pairs, size_t m, size_t n, double z, double *lo, double *hi) {
    double nn = (double)n, c = z * sqrt(nn * (nn - 1) * (2 * nn + 5) / 18);
    double lo_rank = floor(((double)m - c) / 2), hi_rank = ceil(((double)m + c) / 2);
    size_t l = lo_rank < 0 ? 0 : (size_t)lo_rank;
    size_t h = hi_rank > (double)(m - 1) ? m - 1 : (size_t)hi_rank;
    select_kth(pairs, m, l);
    *lo = pairs[l];
    select_kth(pairs, m, h);
    *hi = pairs[h];
}

double ebb_detect_eta(double headroom, double rate) {
    if (!(rate > 0)) return -1;
    return headroom > 0 ? headroom / rate : 0;
}

/* ---- the ring of samples ------------------------------------------------------------------ */

static size_t ring_index(const struct ebb_detector *d, size_t i) {
    return (d->head + i) % d->cap;
}
static double ring_t(const struct ebb_detector *d, size_t i) {
    return d->t[ring_index(d, i)];
}
static double ring_y(const struct ebb_detector *d, size_t i) {
    return d->y[ring_index(d, i)];
}

/* Doubles the ring (and the median scratch that mirrors its size), unrolling it to head 0. */
static int ring_grow(struct ebb_detector *d) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    double *t = malloc(cap * sizeof *t), *y = malloc(cap * sizeof *y);
    double *scratch = malloc(cap * sizeof *scratch);
    if (!t || !y || !scratch) {
        free(t), free(y), free(scratch);
        return -1;
    }
    for (size_t i = 0; i < d->count; i++)
        t[i] = ring_t(d, i), y[i] = ring_y(d, i);
    free(d->t), free(d->y), free(d->scratch);
    d->t = t, d->y = y, d->scratch = scratch;
    d->head = 0, d->cap = cap;
    return 0;
}

/* Index of the first sample at or after time `from` (binary search: times are sorted). */
static size_t first_at_or_after(const struct ebb_detector *d, double from) {
    size_t lo = 0, hi = d->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring_t(d, mid) < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Copies the values of samples [from, to) into scratch; returns how many. */
static size_t gather_values(struct ebb_detector *d, size_t from, size_t to) {
    for (size_t i = from; i < to; i++)
        d->scratch[i - from] = ring_y(d, i);
    return to - from;
}

/* ---- order statistics of windows ------------------------------------------------------------
 *
 * A quickselect over a window costs a pass over it at every sample, and the baseline window holds
 * every sample of the last baseline_window seconds: a replay of many samples with one timestamp
 * (or a few) made each step as long as the whole file, so the run was quadratic. Each window
 * instead keeps its values in a treap, updated as samples enter and leave it: the same order
 * statistic, exactly, in O(log n) per sample. A window's tree is brought up to date only when it
 * is asked for (those of the sustained-growth rule rarely are); samples leaving the ring leave
 * every tree at once, since their values go with them. When memory is short the tree is dropped
 * and the answer computed by quickselect, so a step never fails for it. */

static uint32_t os_random(struct ebb_oswindow *w) {
    uint32_t x = w->seed ? w->seed : 0x9e3779b9u; /* xorshift32 */
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return w->seed = x;
}

static void os_fix(struct ebb_osnode *n, uint32_t t) {
    n[t].size = n[n[t].left].size + n[n[t].right].size + 1;
}

static uint32_t os_merge(struct ebb_osnode *n, uint32_t a, uint32_t b) {
    if (!a || !b) return a ? a : b;
    if (n[a].prio > n[b].prio) {
        n[a].right = os_merge(n, n[a].right, b);
        os_fix(n, a);
        return a;
    }
    n[b].left = os_merge(n, a, n[b].left);
    os_fix(n, b);
    return b;
}

/* Splits tree t into the values below v (*lo) and the others (*hi). */
static void os_split(struct ebb_osnode *n, uint32_t t, double v, uint32_t *lo, uint32_t *hi) {
    if (!t) {
        *lo = *hi = 0;
    } else if (n[t].v < v) {
        os_split(n, n[t].right, v, &n[t].right, hi);
        os_fix(n, t);
        *lo = t;
    } else {
        os_split(n, n[t].left, v, lo, &n[t].left);
        os_fix(n, t);
        *hi = t;
    }
}

static void os_clear(struct ebb_oswindow *w) {
    w->root = w->free_list = 0;
    w->used = 1; /* node 0 is the empty tree */
}

/* 0, or -1 when memory is short (the tree is unchanged). */
static int os_insert(struct ebb_oswindow *w, double v) {
    uint32_t x = w->free_list;
    if (x) {
        w->free_list = w->node[x].left;
    } else {
        if (!w->used) w->used = 1; /* node 0 is the empty tree */
        if (w->used >= w->cap) {
            uint32_t cap = w->cap ? w->cap * 2 : 64;
            if (cap <= w->cap) return -1;
            struct ebb_osnode *node = realloc(w->node, cap * sizeof *node);
            if (!node) return -1;
            if (!w->node) node[0] = (struct ebb_osnode){0, 0, 0, 0, 0};
            w->node = node, w->cap = cap;
        }
        x = w->used++;
    }
    struct ebb_osnode *n = w->node;
    n[x] = (struct ebb_osnode){v, 0, 0, 1, os_random(w)};
    uint32_t lo, hi;
    os_split(n, w->root, v, &lo, &hi);
    w->root = os_merge(n, os_merge(n, lo, x), hi);
    return 0;
}

/* Removes one node holding v from tree t (there is one); returns the new tree. */
static uint32_t os_erase(struct ebb_oswindow *w, uint32_t t, double v) {
    struct ebb_osnode *n = w->node;
    if (!t) return 0;
    if (v == n[t].v) {
        uint32_t rest = os_merge(n, n[t].left, n[t].right);
        n[t].left = w->free_list;
        w->free_list = t;
        return rest;
    }
    if (v < n[t].v)
        n[t].left = os_erase(w, n[t].left, v);
    else
        n[t].right = os_erase(w, n[t].right, v);
    os_fix(n, t);
    return t;
}

/* The k-th smallest value (from 0) of a tree of more than k nodes. */
static double os_kth(const struct ebb_oswindow *w, size_t k) {
    const struct ebb_osnode *n = w->node;
    uint32_t t = w->root;
    for (;;) {
        size_t left = n[n[t].left].size;
        if (k == left) return n[t].v;
        if (k < left) {
            t = n[t].left;
        } else {
            k -= left + 1;
            t = n[t].right;
        }
    }
}

/* Makes the tree of w hold exactly samples [from, to) of the ring. 0, or -1 when memory is short
 * (the tree is emptied then). The tree holds only samples still in the ring (windows_drop sees
 * to it), so its values can be found there to be erased. */
static int window_sync(struct ebb_detector *d, struct ebb_oswindow *w, size_t from, size_t to) {
    size_t lo = d->dropped + from, hi = d->dropped + to;
    if (lo >= w->hi || hi <= w->lo) { /* nothing to keep */
        os_clear(w);
        w->lo = w->hi = lo;
    }
    while (w->lo < lo)
        w->root = os_erase(w, w->root, ring_y(d, w->lo++ - d->dropped));
    while (w->hi > hi)
        w->root = os_erase(w, w->root, ring_y(d, --w->hi - d->dropped));
    while (w->lo > lo || w->hi < hi) {
        size_t seq = w->lo > lo ? w->lo - 1 : w->hi;
        if (os_insert(w, ring_y(d, seq - d->dropped)) < 0) {
            os_clear(w);
            w->lo = w->hi = lo;
            return -1;
        }
        if (seq < w->lo)
            w->lo = seq;
        else
            w->hi = seq + 1;
    }
    return 0;
}

/* The sample numbered seq, of value y, the oldest in the ring, is leaving it: it leaves every
 * tree too (a tree starts at or after the oldest sample, so only one starting there holds it). */
static void windows_drop(struct ebb_detector *d, size_t seq, double y) {
    for (int i = 0; i < EBB_WIN_COUNT; i++) {
        struct ebb_oswindow *w = &d->win[i];
        if (w->lo != seq) continue;
        if (w->hi > seq) w->root = os_erase(w, w->root, y);
        w->lo = seq + 1;
        if (w->hi < w->lo) w->hi = w->lo;
    }
}

/* The k-th smallest value of samples [from, to), k < to - from, from the tree of window `which`. */
static double window_kth(struct ebb_detector *d, int which, size_t from, size_t to, size_t k) {
    if (window_sync(d, &d->win[which], from, to) == 0) return os_kth(&d->win[which], k);
    size_t n = gather_values(d, from, to);
    select_kth(d->scratch, n, k);
    return d->scratch[k];
}

/* The median of samples [from, to) (not empty), as ebb_median computes it. */
static double window_median(struct ebb_detector *d, int which, size_t from, size_t to) {
    size_t n = to - from, k = n / 2;
    double upper = window_kth(d, which, from, to, k);
    return n % 2 ? upper : (window_kth(d, which, from, to, k - 1) + upper) / 2;
}

/* Points of samples [from, count), evenly decimated to at most EBB_DETECT_MAX_POINTS, into pt/py.
 */
static size_t gather_points(struct ebb_detector *d, size_t from) {
    size_t n = d->count - from, k = n < EBB_DETECT_MAX_POINTS ? n : EBB_DETECT_MAX_POINTS;
    for (size_t i = 0; i < k; i++) {
        size_t src = from + (k > 1 ? (i * (n - 1) + (k - 1) / 2) / (k - 1) : 0);
        d->pt[i] = ring_t(d, src);
        d->py[i] = ring_y(d, src);
    }
    return k;
}

/* ---- levels --------------------------------------------------------------------------------- */

static enum ebb_severity next_severity(struct ebb_detector *d, double ratio, int warm) {
    for (int k = 1; k <= 3; k++) {
        double enter = d->cfg.levels[k - 1], leave = enter * (1 - d->cfg.hysteresis);
        d->above[k] = warm && ratio >= enter ? d->above[k] + 1 : 0;
        d->below[k] = !warm || ratio < leave ? d->below[k] + 1 : 0;
    }
    enum ebb_severity s = d->severity;
    while (s < EBB_SEV_SEVERE && d->above[s + 1] >= d->cfg.confirm)
        s++;
    if (s == d->severity)
        while (s > EBB_SEV_NONE && d->below[s] >= d->cfg.confirm)
            s--;
    return s;
}

/* ---- leak ----------------------------------------------------------------------------------- */

struct fit {
    double slope, span, fitted;
};

/* Theil–Sen on pt/py[lo, hi): slope, or 0 when there are too few points to say. */
static double part_slope(struct ebb_detector *d, size_t lo, size_t hi) {
    double slope, conc;
    if (hi - lo < 4 || !ebb_theil_sen(d->pt + lo, d->py + lo, hi - lo, d->pairs, &slope, &conc))
        return 0;
    return slope;
}

/* Share of rising pairs among the points (ties count one half): the cheap first test of a window,
 * which noise around a flat line or a sawtooth usually fails before any slope is computed. */
static double concordance(const double *t, const double *y, size_t n) {
    double rising = 0, pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (t[j] <= t[i]) continue;
            pairs += 1;
            rising += y[j] > y[i] ? 1 : y[j] == y[i] ? 0.5 : 0;
        }
    return pairs > 0 ? rising / pairs : 0.5;
}

/* Whether the window of the last `w` seconds shows steady growth; its fit if so. */
static int window_grows(struct ebb_detector *d, double now, double w, double current,
                        struct fit *out) {
    size_t n = gather_points(d, first_at_or_after(d, now - w));
    if (n < 8 || concordance(d->pt, d->py, n) < MIN_CONCORDANCE) return 0;
    double slope, conc, lo, hi;
    size_t pairs = ebb_theil_sen(d->pt, d->py, n, d->pairs, &slope, &conc);
    if (!pairs || slope <= 0 || slope * w < MIN_GROWTH * current) return 0;
    /* The rate must be known to within PRECISION before it is worth an ETA. */
    ebb_theil_sen_interval(d->pairs, pairs, n, 1.645, &lo, &hi);
    if (lo < slope * (1 - PRECISION) || hi > slope * (1 + PRECISION)) return 0;
    /* A window that reaches back before the growth began has a flat start: compare its first
     * and last thirds, which sees that start at three times its share of the window. */
    size_t a = 0, b;
    while (a < n && d->pt[a] < now - w * 2 / 3)
        a++;
    for (b = a; b < n && d->pt[b] < now - w / 3; b++) {
    }
    double s1 = part_slope(d, 0, a), s3 = part_slope(d, b, n);
    if (s1 <= 0 || s3 <= 0) return 0;
    if (s1 > s3 * MAX_PART_DISAGREEMENT || s3 > s1 * MAX_PART_DISAGREEMENT) return 0;
    for (size_t i = 0; i < n; i++)
        d->pairs[i] = d->py[i] - slope * d->pt[i];
    out->slope = slope;
    out->span = w;
    out->fitted = ebb_median(d->pairs, n) + slope * now;
    return 1;
}

/* The high quantile of the samples before `until`, if they span at least `min_span` seconds;
 * `which` is the window keeping them. */
static int high_before(struct ebb_detector *d, int which, double until, double min_span,
                       double *high) {
    size_t end = first_at_or_after(d, until);
    if (end == 0 || until - ring_t(d, 0) < min_span) return 0;
    *high = window_kth(d, which, 0, end, (size_t)floor(HIGH_QUANTILE * (double)(end - 1)));
    return 1;
}

/* Whether growth over the last `episode` seconds is sustained rather than the rising edge of a
 * swing. Growth over the whole leak window is sustained by definition. Otherwise the samples
 * before the episode must span at least m, and the recent level (median of the last m/4) must top
 * their high quantile: a swing's earlier peaks stay above each new rise, a leak makes new highs.
 * When the whole history is one rise (a watch that began as the growth did), only growth over
 * the full leak window is reported. */
static int makes_new_high(struct ebb_detector *d, double now, int fifths, double m) {
    double episode = m * fifths, high;
    if (episode >= d->cfg.leak_window * 0.999) return 1;
    if (!high_before(d, EBB_WIN_BEFORE + fifths - 1, now - episode, m, &high)) return 0;
    double recent = window_median(d, EBB_WIN_RECENT, first_at_or_after(d, now - m / 4), d->count);
    return recent > high * (1 + HIGH_MARGIN);
}

static int leak_candidate(struct ebb_detector *d, double now, double current, struct fit *best) {
    double m = d->cfg.leak_window / LEAK_STEPS, span = now - ring_t(d, 0);
    /* Warm-up: until a whole leak window has been seen, an earlier peak of a slow swing may not
     * be in view, and its rising edge would pass for a leak. */
    if (span < d->cfg.leak_window * 0.95) return 0;
    int found = 0;
    for (int k = 1; k <= LEAK_STEPS; k++) {
        double w = m * k;
        if (span < w * 0.95) break;
        struct fit f;
        if (window_grows(d, now, w, current, &f)) *best = f, found = k;
    }
    return found && makes_new_high(d, now, found, m);
}

/* ---- the step ------------------------------------------------------------------------------- */

int ebb_detector_init(struct ebb_detector *d, const struct ebb_detect_config *cfg) {
    memset(d, 0, sizeof *d);
    if (ebb_detect_config_check(cfg) < 0) return -1;
    d->cfg = *cfg;
    size_t k = EBB_DETECT_MAX_POINTS;
    d->pairs = malloc(k * (k - 1) / 2 * sizeof *d->pairs);
    d->pt = malloc(k * sizeof *d->pt);
    d->py = malloc(k * sizeof *d->py);
    if (!d->pairs || !d->pt || !d->py || ring_grow(d) < 0) {
        ebb_detector_free(d);
        return -1;
    }
    return 0;
}

void ebb_detector_free(struct ebb_detector *d) {
    free(d->t), free(d->y), free(d->scratch), free(d->pairs), free(d->pt), free(d->py);
    for (int i = 0; i < EBB_WIN_COUNT; i++)
        free(d->win[i].node);
    memset(d, 0, sizeof *d);
}

/* Samples older than every window are no longer needed. */
static double keep_seconds(const struct ebb_detector *d) {
    return d->cfg.baseline_window > d->cfg.leak_window ? d->cfg.baseline_window
                                                       : d->cfg.leak_window;
}

/* Appends a sample after dropping the expired ones; the caller has made room. */
static void push_sample(struct ebb_detector *d, double t, double bytes) {
    while (d->count && ring_t(d, 0) < t - keep_seconds(d)) {
        windows_drop(d, d->dropped++, ring_y(d, 0));
        d->head = (d->head + 1) % d->cap, d->count--;
    }
    size_t i = ring_index(d, d->count);
    d->t[i] = t, d->y[i] = bytes;
    d->count++;
}

static double baseline_of(struct ebb_detector *d, double now, int *warm) {
    size_t from = first_at_or_after(d, now - d->cfg.baseline_window);
    *warm = d->count - from >= 3 && now - ring_t(d, 0) >= d->cfg.baseline_window * 0.95;
    return window_median(d, EBB_WIN_BASELINE, from, d->count);
}

static void update_leak(struct ebb_detector *d, double now, double bytes,
                        struct ebb_detect_result *out) {
    struct fit f = {0, 0, 0};
    int candidate = leak_candidate(d, now, bytes, &f);
    d->leak_yes = candidate ? d->leak_yes + 1 : 0;
    d->leak_no = candidate ? 0 : d->leak_no + 1;
    int was = d->leak;
    if (!d->leak && d->leak_yes >= d->cfg.confirm) d->leak = 1;
    if (d->leak && d->leak_no >= d->cfg.confirm) d->leak = 0;
    /* While confirmed but this sample alone is not a candidate, keep the last fitted rate and
     * extend its line; a flapping rate would be noise to whoever reads it. */
    double fitted = candidate ? f.fitted : bytes;
    if (candidate) d->leak_rate = f.slope, d->leak_span = f.span;
    out->leak = d->leak;
    out->leak_started = d->leak && !was;
    out->leak_rate = d->leak ? d->leak_rate : 0;
    out->leak_span = d->leak ? d->leak_span : 0;
    out->fitted_bytes = d->leak ? fitted : 0;
    out->eta = d->leak && d->cfg.limit_bytes > 0
                   ? ebb_detect_eta(d->cfg.limit_bytes - fitted, d->leak_rate)
                   : -1;
}

int ebb_detector_step(struct ebb_detector *d, double t, double bytes,
                      struct ebb_detect_result *out) {
    if (!isfinite(t) || !isfinite(bytes)) return -1;
    if (d->count && t < ring_t(d, d->count - 1)) return -1;
    if (d->count - first_at_or_after(d, t - keep_seconds(d)) == d->cap && ring_grow(d) < 0)
        return -1;
    push_sample(d, t, bytes);
    d->samples++;
    int warm;
    double baseline = baseline_of(d, t, &warm);
    double ratio = baseline > 0 ? bytes / baseline : 1;
    enum ebb_severity s = next_severity(d, ratio, warm);
    out->baseline = baseline;
    out->ratio = ratio;
    out->level_entered = s > d->severity;
    out->severity = d->severity = s;
    update_leak(d, t, bytes, out);
    return 0;
}
