/* Replay files, record files and the run history.
 *
 * A replay file is read line by line with getline (any line length); each line is parsed by
 * ebb_replay_parse_line, a pure function, and checked against the previous time. Errors name the
 * file and line, since a replay that silently skipped garbage would be a silently wrong answer.
 * The history is three parallel growable arrays; halving it when full keeps memory bounded on a
 * run of any length at the cost of resolution the chart could not show anyway.
 */
#include "watch_series.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_blanks(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return s;
}

/* A decimal number [digits][.digits] with no sign, exponent, "inf" or "nan". */
static const char *parse_decimal(const char *s, double *out, int allow_fraction) {
    const char *p = s;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (allow_fraction && *p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
    }
    if (!digits || p - s > 40) return NULL;
    char buf[48];
    memcpy(buf, s, (size_t)(p - s));
    buf[p - s] = '\0';
    *out = strtod(buf, NULL);
    return isfinite(*out) ? p : NULL;
}

int ebb_replay_parse_line(const char *line, double *t, double *bytes) {
    const char *p = skip_blanks(line);
    if (*p == '\0' || *p == '#') return 0;
    double tv, bv;
    if (!(p = parse_decimal(p, &tv, 1))) return -1;
    p = skip_blanks(p);
    if (*p++ != ',') return -1;
    if (!(p = parse_decimal(skip_blanks(p), &bv, 0))) return -1;
    if (*skip_blanks(p) != '\0' || bv >= 0x1p64) return -1; /* no process holds 2^64 bytes */
    *t = tv;
    *bytes = bv;
    return 1;
}

int ebb_replay_open(struct ebb_replay *r, const char *path, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->path = path;
    r->f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!r->f) {
        snprintf(err, errlen, "cannot open replay file '%s': %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int ebb_replay_next(struct ebb_replay *r, double *t, double *bytes, char *err, size_t errlen) {
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (getline(&line, &cap, r->f) >= 0) {
        r->line++;
        int kind = ebb_replay_parse_line(line, t, bytes);
        if (kind == 0) continue;
        if (kind < 0) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(err, errlen, "%s:%lu: expected 'seconds,bytes', got '%.60s'", r->path, r->line,
                     line);
            rc = -1;
        } else if (r->samples && *t < r->last_t) {
            snprintf(err, errlen, "%s:%lu: time %g is before the previous sample's %g", r->path,
                     r->line, *t, r->last_t);
            rc = -1;
        } else {
            r->samples++;
            r->last_t = *t;
            rc = 1;
        }
        break;
    }
    if (rc == 0 && ferror(r->f)) {
        snprintf(err, errlen, "%s: read error: %s", r->path, strerror(errno));
        rc = -1;
    }
    free(line);
    return rc;
}

void ebb_replay_close(struct ebb_replay *r) {
    if (r->f && r->f != stdin) fclose(r->f);
    r->f = NULL;
}

int ebb_record_header(FILE *f, int pid, double interval) {
    return fprintf(f, "# ebb watch --record: seconds,rss_bytes (pid %d, interval %gs)\n", pid,
                   interval) < 0
               ? -1
               : 0;
}

int ebb_record_sample(FILE *f, double t, double bytes) {
    if (fprintf(f, "%.6f,%.0f\n", t, bytes) < 0 || fflush(f) != 0) return -1;
    return 0;
}

void ebb_history_init(struct ebb_history *h) {
    memset(h, 0, sizeof *h);
}

void ebb_history_free(struct ebb_history *h) {
    free(h->t), free(h->bytes), free(h->baseline), free(h->severity), free(h->leak);
    ebb_history_init(h);
}

/* Keeps every other point; the chart loses detail it could not draw. */
static void history_halve(struct ebb_history *h) {
    size_t j = 0;
    for (size_t i = 0; i < h->n; i += 2, j++) {
        h->t[j] = h->t[i], h->bytes[j] = h->bytes[i], h->baseline[j] = h->baseline[i];
        h->severity[j] = h->severity[i], h->leak[j] = h->leak[i];
    }
    h->n = j;
}

static int history_grow(struct ebb_history *h) {
    size_t cap = h->cap ? h->cap * 2 : 1024;
    double *t = realloc(h->t, cap * sizeof *t);
    if (t) h->t = t;
    double *b = realloc(h->bytes, cap * sizeof *b);
    if (b) h->bytes = b;
    double *base = realloc(h->baseline, cap * sizeof *base);
    if (base) h->baseline = base;
    unsigned char *s = realloc(h->severity, cap);
    if (s) h->severity = s;
    unsigned char *l = realloc(h->leak, cap);
    if (l) h->leak = l;
    if (!t || !b || !base || !s || !l) return -1; /* arrays kept their old size and contents */
    h->cap = cap;
    return 0;
}

int ebb_history_push(struct ebb_history *h, double t, double bytes, double baseline, int severity,
                     int leak) {
    if (h->n == EBB_HISTORY_MAX) history_halve(h);
    if (h->n == h->cap && history_grow(h) < 0) return -1;
    h->t[h->n] = t, h->bytes[h->n] = bytes, h->baseline[h->n] = baseline;
    h->severity[h->n] = (unsigned char)severity, h->leak[h->n] = (unsigned char)leak;
    h->n++;
    return 0;
}
