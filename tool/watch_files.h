/* The files a run of `ebb watch` writes (--record, --plot) and standard output.
 *
 * An output file is opened before the run starts, so that a path that cannot be written is
 * refused at once, but it is neither truncated nor replaced then: a run that never gets going
 * (no such command, port in use, unreadable replay file) leaves the user's file as it was, and
 * removes it again if it had to create it. Truncation waits for ebb_outfile_start: --record calls
 * it once the run is under way, --plot only at the end, when there is a chart to write. Every
 * descriptor is close-on-exec, so neither a launched command nor an --on-alert hook inherits one.
 */
#ifndef EBB_TOOL_WATCH_FILES_H
#define EBB_TOOL_WATCH_FILES_H

#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

/* open(2) with O_CLOEXEC added, retried when a signal interrupts it (an open of a FIFO waits for
 * the other end) unless that signal made *stop non-zero: then -1 with errno EINTR. `stop` may be
 * NULL. Returns the descriptor, or -1 with errno. */
int ebb_open(const char *path, int flags, mode_t mode, const volatile sig_atomic_t *stop);

struct ebb_outfile {
    const char *path;
    int fd;         /* -1 when closed */
    FILE *f;        /* after ebb_outfile_start */
    int created;    /* the file did not exist before ebb_outfile_open */
    struct stat st; /* what the path turned out to be */
};

/* Opens `path` for writing (creating it when missing, never truncating). 0, or -1 with errno. */
int ebb_outfile_open(struct ebb_outfile *o, const char *path, const volatile sig_atomic_t *stop);

/* Empties the file (when it is a regular one) and gives it a stdio stream in o->f, to write from
 * the start. 0, or -1 with errno. */
int ebb_outfile_start(struct ebb_outfile *o);

/* Closes the file. Never started: as it was before, and removed if ebb_outfile_open created it.
 * 0, or -1 with errno when what was written could not be flushed. */
int ebb_outfile_close(struct ebb_outfile *o);

/* Whether two files are one and the same regular file: writing one would destroy the other. */
int ebb_same_regular_file(const struct stat *a, const struct stat *b);

/* Flushes stdout. 0, or -1 with errno once any write to it has failed: output lost to a full disk
 * or a closed pipe must not pass unnoticed. When the failed write was one of an earlier printf,
 * the reason is the errno left by it (so clear errno before printing), or EIO. */
int ebb_flush_stdout(void);

/* The exit status of a command whose output is all written: `code` when stdout took it, else
 * EBB_EXIT_RUNTIME after "PROG: standard output: REASON" on stderr. */
int ebb_stdout_status(const char *prog, int code);

#endif
