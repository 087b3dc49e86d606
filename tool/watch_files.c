/* Output files of a run and standard output; see watch_files.h for why nothing is truncated
 * before the run has started. */
#include "watch_files.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "watch.h"

int ebb_open(const char *path, int flags, mode_t mode, const volatile sig_atomic_t *stop) {
    for (;;) {
        int fd = open(path, flags | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EINTR || (stop && *stop)) return fd;
    }
}

int ebb_outfile_open(struct ebb_outfile *o, const char *path, const volatile sig_atomic_t *stop) {
    memset(o, 0, sizeof *o);
    o->path = path;
    o->fd = ebb_open(path, O_WRONLY, 0, stop);
    if (o->fd < 0 && errno == ENOENT) {
        o->fd = ebb_open(path, O_WRONLY | O_CREAT | O_EXCL, 0666, stop);
        o->created = o->fd >= 0;
        /* EEXIST: created meanwhile, or a dangling symbolic link; either way not ours to remove */
        if (o->fd < 0 && errno == EEXIST) o->fd = ebb_open(path, O_WRONLY | O_CREAT, 0666, stop);
    }
    if (o->fd >= 0 && fstat(o->fd, &o->st) == 0) return 0;
    int e = errno;
    ebb_outfile_close(o);
    errno = e;
    return -1;
}

int ebb_outfile_start(struct ebb_outfile *o) {
    if (S_ISREG(o->st.st_mode) && ftruncate(o->fd, 0) < 0) return -1;
    if (!(o->f = fdopen(o->fd, "w"))) return -1;
    o->created = 0; /* it holds output now */
    return 0;
}

int ebb_outfile_close(struct ebb_outfile *o) {
    int rc = 0;
    if (!o->path) return 0;
    if (o->f) {
        rc = fclose(o->f);
    } else if (o->fd >= 0) {
        close(o->fd);
        if (o->created) unlink(o->path);
    }
    o->path = NULL;
    o->f = NULL;
    o->fd = -1;
    return rc == 0 ? 0 : -1;
}

int ebb_same_regular_file(const struct stat *a, const struct stat *b) {
    return S_ISREG(a->st_mode) && S_ISREG(b->st_mode) && a->st_dev == b->st_dev &&
           a->st_ino == b->st_ino;
}

int ebb_flush_stdout(void) {
    int before = errno; /* when a write of printf failed, stdio may have dropped what it held */
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout)) {
        errno = before;
        return 0;
    }
    if (!errno) errno = before ? before : EIO;
    return -1;
}

int ebb_stdout_status(const char *prog, int code) {
    if (ebb_flush_stdout() == 0) return code;
    fprintf(stderr, "%s: standard output: %s\n", prog, strerror(errno));
    return EBB_EXIT_RUNTIME;
}
