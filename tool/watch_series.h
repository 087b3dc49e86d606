/* Recorded samples: the CSV of --record / --replay ("seconds,bytes" per line; blank lines and
 * lines starting with '#' are ignored; times must not decrease), and the in-memory history of a
 * run that --plot draws. */
#ifndef EBB_TOOL_WATCH_SERIES_H
#define EBB_TOOL_WATCH_SERIES_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* One line of a replay file: 1 with a sample, 0 for a blank or comment line, -1 when malformed
 * (anything but a finite non-negative time, a comma, and a whole byte count below 2^64, with
 * optional blanks around each). */
int ebb_replay_parse_line(const char *line, double *t, double *bytes);

/* What ebb_replay_next returns besides 1 (a sample) and 0 (the end of the input). */
enum { EBB_REPLAY_GARBAGE = -1, EBB_REPLAY_READ_ERROR = -2 };

struct ebb_replay {
    int fd;
    const char *path;
    struct stat st; /* the input, so that no output of the run can be the same file */
    char *buf;      /* input read but not consumed: buf[start, end) */
    size_t cap, start, end;
    int eof;
    unsigned long line;
    unsigned long samples;
    double last_t;
    /* When set, called before each read(2) of more input; a non-zero return ends the replay
     * there as if the input had ended. A pipe may stay silent for ever: this lets the caller
     * wait for input in a way a signal can cut short. */
    int (*wait)(int fd, void *arg);
    void *wait_arg;
};

/* Opens PATH ("-": standard input), close-on-exec; an open of a FIFO gives up when a signal makes
 * *stop non-zero (stop may be NULL). 0, or -1 with a message in err. */
int ebb_replay_open(struct ebb_replay *r, const char *path, const volatile sig_atomic_t *stop,
                    char *err, size_t errlen);
/* 1 with a sample, 0 at the end of the input (or when r->wait said stop), EBB_REPLAY_GARBAGE for
 * a line that is not a sample ("FILE:LINE: ..." in err), EBB_REPLAY_READ_ERROR when the input
 * cannot be read ("FILE: read error: ..."). Lines may be of any length. */
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
