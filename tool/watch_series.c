/* Replay files, record files and the run history.
 *
 * A replay file is read with read(2) into a buffer that grows to hold the longest line (not with
 * stdio, so that the caller can wait for input between reads: see ebb_replay.wait); each line is
 * parsed by ebb_replay_parse_line, a pure function, and checked against the previous time. Errors
 * name the file and line, since a replay that silently skipped garbage would be a silently wrong
 * answer.
 * The history is three parallel growable arrays; halving it when full keeps memory bounded on a
 * run of any length at the cost of resolution the chart could not show anyway.
 */
#include "watch_series.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watch_files.h"

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

int ebb_replay_open(struct ebb_replay *r, const char *path, const volatile sig_atomic_t *stop,
                    char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->path = path;
    r->fd = strcmp(path, "-") ? ebb_open(path, O_RDONLY, 0, stop) : STDIN_FILENO;
    if (r->fd >= 0 && fstat(r->fd, &r->st) == 0) {
        if (!S_ISDIR(r->st.st_mode)) return 0;
        errno = EISDIR; /* a directory opens, and fails only at the first read */
    }
    snprintf(err, errlen, "cannot open replay file '%s': %s", path, strerror(errno));
    ebb_replay_close(r);
    return -1;
}

/* Reads more input after what is buffered, growing the buffer when a line fills it (one byte is
 * always kept free for a NUL). 1, 0 at the end of the input, -1 with errno, -2 when r->wait said
 * stop. */
static int fill(struct ebb_replay *r) {
    enum { CHUNK = 65536 };
    if (r->start) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->cap - r->end < CHUNK / 4) {
        size_t cap = r->cap ? r->cap * 2 : CHUNK;
        char *buf = realloc(r->buf, cap);
        if (!buf) return -1;
        r->buf = buf;
        r->cap = cap;
    }
    for (;;) {
        if (r->wait && r->wait(r->fd, r->wait_arg)) return -2;
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        r->end += (size_t)n;
        return n > 0;
    }
}

/* The next line, NUL-terminated in place and without its newline: 1 (*len bytes at *line, which
 * may hold NUL bytes of their own), 0 at the end of the input, or fill's -1 or -2. */
static int next_line(struct ebb_replay *r, char **line, size_t *len) {
    size_t seen = 0; /* bytes after start known to hold no newline */
    for (;;) {
        char *from = r->buf + r->start, *nl = NULL;
        size_t have = r->end - r->start;
        if (have > seen) nl = memchr(from + seen, '\n', have - seen);
        if (nl || (r->eof && have)) {
            *len = nl ? (size_t)(nl - from) : have;
            from[*len] = '\0';
            r->start += nl ? *len + 1 : have;
            *line = from;
            return 1;
        }
        if (r->eof) return 0;
        seen = have;
        int rc = fill(r);
        if (rc < 0) return rc;
        r->eof = rc == 0;
    }
}

int ebb_replay_next(struct ebb_replay *r, double *t, double *bytes, char *err, size_t errlen) {
    char *line;
    size_t len;
    int rc;
    while ((rc = next_line(r, &line, &len)) == 1) {
        r->line++;
        /* Text after a NUL would be silently cut off the line: refuse it instead. */
        int kind = memchr(line, '\0', len) ? -1 : ebb_replay_parse_line(line, t, bytes);
        if (kind == 0) continue;
        if (kind < 0) {
            line[strcspn(line, "\r")] = '\0';
            snprintf(err, errlen, "%s:%lu: expected 'seconds,bytes', got '%.60s'%s", r->path,
                     r->line, line, strlen(line) < len ? " and a NUL byte" : "");
            return EBB_REPLAY_GARBAGE;
        }
        if (r->samples && *t < r->last_t) {
            snprintf(err, errlen, "%s:%lu: time %g is before the previous sample's %g", r->path,
                     r->line, *t, r->last_t);
            return EBB_REPLAY_GARBAGE;
        }
        r->samples++;
        r->last_t = *t;
        return 1;
    }
    if (rc == -1) {
        snprintf(err, errlen, "%s: read error: %s", r->path, strerror(errno));
        return EBB_REPLAY_READ_ERROR;
    }
    return 0;
}

void ebb_replay_close(struct ebb_replay *r) {
    if (r->fd > STDIN_FILENO) close(r->fd);
    r->fd = -1;
    free(r->buf);
    r->buf = NULL;
    r->cap = r->start = r->end = 0;
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
