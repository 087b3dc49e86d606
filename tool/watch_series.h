/* Recorded samples: the CSV of --record / --replay ("seconds,bytes" per line; blank lines and
 * lines starting with '#' are ignored; times must not decrease), and the in-memory history of a
 * run that --plot draws. */
#ifndef EBB_TOOL_WATCH_SERIES_H
#define EBB_TOOL_WATCH_SERIES_H

#include <stddef.h>
#include <stdio.h>

/* One line of a replay file: 1 with a sample, 0 for a blank or comment line, -1 when malformed
 * (anything but a finite non-negative time, a comma, and a whole byte count below 2^64, with
 * optional blanks around each). */
int ebb_replay_parse_line(const char *line, double *t, double *bytes);

struct ebb_replay {
    FILE *f;
    const char *path;
    unsigned long line;
    unsigned long samples;
    double last_t;
};

/* 0, or -1 with a message in err. */
int ebb_replay_open(struct ebb_replay *r, const char *path, char *err, size_t errlen);
/* 1 with a sample, 0 at the end of the file, -1 with a message ("FILE:LINE: ...") in err. */
int ebb_replay_next(struct ebb_replay *r, double *t, double *bytes, char *err, size_t errlen);
void ebb_replay_close(struct ebb_replay *r);

/* --record: a header comment, then one line per sample with the time to the microsecond, so that
 * replaying gives the detector exactly the numbers it saw live. Return 0 or -1 (errno set). */
int ebb_record_header(FILE *f, int pid, double interval);
int ebb_record_sample(FILE *f, double t, double bytes);

/* What --plot draws: every sample's time, bytes, baseline and level. Past EBB_HISTORY_MAX points
 * the history keeps every other one (the chart has far fewer pixels than that). */
#define EBB_HISTORY_MAX 200000
struct ebb_history {
    double *t, *bytes, *baseline;
    unsigned char *severity, *leak;
    size_t n, cap;
};

void ebb_history_init(struct ebb_history *h);
/* 0, or -1 when memory is short (the history is unchanged). */
int ebb_history_push(struct ebb_history *h, double t, double bytes, double baseline, int severity,
                     int leak);
void ebb_history_free(struct ebb_history *h);

#endif
