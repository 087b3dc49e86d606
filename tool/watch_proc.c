/* Sampling a process's memory.
 *
 * Sources, all plain text read in one read() into a stack buffer (no allocation per sample):
 *   /proc/PID/status        VmRSS, RssAnon, RssFile, RssShmem, VmSwap (cheap: counters the
 *                           kernel keeps; world-readable unless /proc is mounted hidepid)
 *   /proc/PID/smaps_rollup  Pss (walks the page tables, so it costs more on a huge process, and
 *                           needs ptrace-read permission: the owner or root)
 *   cgroup v2               memory.current, memory.max (the tightest along the path to the root:
 *                           a parent's limit binds its children), memory.events oom/oom_kill
 * The cgroup directory is located once (mountinfo + /proc/PID/cgroup); the files are re-read at
 * every sample because limits can change at run time.
 */
#include "watch_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

long ebb_read_small_file(const char *path, char *buf, size_t len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

/* The number after "Key:" at the start of a line of `text`, times 1024 if followed by "kB". */
static int find_kb_field(const char *text, const char *key, uint64_t *out) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, key, klen) || line[klen] != ':') continue;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(line + klen + 1, &end, 10);
        if (errno || end == line + klen + 1) return -1;
        while (*end == ' ' || *end == '\t')
            end++;
        *out = strncmp(end, "kB", 2) ? v : v * 1024;
        return 0;
    }
    return -1;
}

/* "Kthread: 1" where the kernel says it (newer kernels; this VM's 6.18 does); else every kernel
 * thread but kthreadd (PID 2, parent 0) is kthreadd's child. A process in a container whose parent
 * is its PID 2 has VmRSS and never gets here. */
static int is_kernel_thread(const char *text) {
    uint64_t v, ppid, pid;
    if (find_kb_field(text, "Kthread", &v) == 0) return v == 1;
    if (find_kb_field(text, "PPid", &ppid) < 0 || find_kb_field(text, "Pid", &pid) < 0) return 0;
    return ppid == 2 || (pid == 2 && ppid == 0);
}

/* The process state letter, or 0. */
static char state_of(const char *text) {
    const char *p = strstr(text, "State:");
    if (!p || (p != text && p[-1] != '\n')) return 0;
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p;
}

int ebb_parse_status(const char *text, struct ebb_proc_sample *out) {
    if (find_kb_field(text, "VmRSS", &out->rss) < 0) {
        char st = state_of(text);
        return st && st != 'Z' && st != 'X' && is_kernel_thread(text) ? -2 : -1;
    }
    /* The split is absent on old kernels; swap can be missing too. Zero is the honest default. */
    if (find_kb_field(text, "RssAnon", &out->anon) < 0) out->anon = 0;
    if (find_kb_field(text, "RssFile", &out->file) < 0) out->file = 0;
    if (find_kb_field(text, "RssShmem", &out->shmem) < 0) out->shmem = 0;
    if (find_kb_field(text, "VmSwap", &out->swap) < 0) out->swap = 0;
    return 0;
}

int ebb_parse_smaps_rollup(const char *text, uint64_t *pss) {
    return find_kb_field(text, "Pss", pss);
}

int ebb_parse_proc_cgroup(const char *text, char *path, size_t len) {
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, "0::", 3)) continue;
        const char *p = line + 3, *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0 || n >= len) return -1;
        memcpy(path, p, n);
        path[n] = '\0';
        return 0;
    }
    return -1;
}

int ebb_parse_cgroup2_mount(const char *text, char *mount, size_t len) {
    /* mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *dash = strstr(line, " - cgroup2 "), *eol = strchr(line, '\n');
        if (!dash || (eol && dash > eol)) continue;
        char root[4096], point[4096];
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2) continue;
        if (strcmp(root, "/")) continue; /* a bind mount of a sub-tree: paths would not match */
        if (strlen(point) >= len) return -1;
        strcpy(mount, point);
        return 0;
    }
    return -1;
}

/* A number from a one-line cgroup file, or EBB_NO_LIMIT for "max". */
static int read_cgroup_number(const char *dir, const char *file, uint64_t *out) {
    char path[4200], buf[64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (ebb_read_small_file(path, buf, sizeof buf) <= 0) return -1;
    if (!strncmp(buf, "max", 3)) {
        *out = EBB_NO_LIMIT;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || end == buf) return -1;
    *out = v;
    return 0;
}

/* A "key value" line of memory.events. */
static uint64_t events_field(const char *text, const char *key) {
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (!strncmp(line, key, klen) && line[klen] == ' ')
            return strtoull(line + klen + 1, NULL, 10);
    return 0;
}

int ebb_cgroup_read(const char *dir, const char *root, struct ebb_cgroup_mem *out) {
    if (read_cgroup_number(dir, "memory.current", &out->current) < 0) return -1;
    out->max = EBB_NO_LIMIT;
    char path[4200], buf[1024];
    snprintf(path, sizeof path, "%s", dir);
    size_t root_len = strlen(root);
    for (;;) {
        uint64_t max;
        if (read_cgroup_number(path, "memory.max", &max) == 0 && max < out->max) out->max = max;
        char *slash = strrchr(path, '/');
        if (strlen(path) <= root_len || !slash || (size_t)(slash - path) < root_len) break;
        *slash = '\0';
    }
    snprintf(path, sizeof path, "%s/memory.events", dir);
    out->oom = out->oom_kill = 0;
    if (ebb_read_small_file(path, buf, sizeof buf) > 0) {
        out->oom = events_field(buf, "oom");
        out->oom_kill = events_field(buf, "oom_kill");
    }
    return 0;
}

int ebb_cgroup_locate(pid_t pid, char *root, size_t root_len, char *dir, size_t dir_len) {
    char buf[16384], rel[4096], path[64];
    if (ebb_read_small_file("/proc/self/mountinfo", buf, sizeof buf) <= 0 ||
        ebb_parse_cgroup2_mount(buf, root, root_len) < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    if (ebb_read_small_file(path, buf, sizeof buf) <= 0 ||
        ebb_parse_proc_cgroup(buf, rel, sizeof rel) < 0)
        return -1;
    if ((size_t)snprintf(dir, dir_len, "%s%s", root, strcmp(rel, "/") ? rel : "") >= dir_len)
        return -1;
    struct ebb_cgroup_mem probe;
    return ebb_cgroup_read(dir, root, &probe);
}

static int errno_status(long e) {
    if (e == -ENOENT || e == -ESRCH) return -ESRCH;
    if (e == -EACCES || e == -EPERM) return -EACCES;
    return -EIO;
}

int ebb_proc_read(pid_t pid, int want_pss, const char *cgroup_root, const char *cgroup_dir,
                  struct ebb_proc_sample *out) {
    char path[64], buf[8192];
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    long n = ebb_read_small_file(path, buf, sizeof buf);
    if (n < 0) return errno_status(n);
    int parsed = ebb_parse_status(buf, out);
    if (parsed == -2) return -EINVAL;
    if (parsed < 0) return -ESRCH; /* exiting, or a zombie: exited, not yet reaped */
    if (want_pss) {
        snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
        n = ebb_read_small_file(path, buf, sizeof buf);
        if (n < 0) return errno_status(n);
        /* An empty rollup means the address space is gone: the process is exiting. */
        if (ebb_parse_smaps_rollup(buf, &out->pss) < 0) return -ESRCH;
        out->has_pss = 1;
    }
    if (cgroup_dir && cgroup_root && ebb_cgroup_read(cgroup_dir, cgroup_root, &out->cgroup) == 0)
        out->has_cgroup = 1;
    return 0;
}

int ebb_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) return (int)fd;
    if (errno == ESRCH) return -ESRCH;
#else
    (void)pid;
#endif
    return -1; /* ENOSYS, EPERM (seccomp), EMFILE...: /proc alone, as before */
}

int ebb_proc_read_pidfd(pid_t pid, int pidfd, int want_pss, const char *cgroup_root,
                        const char *cgroup_dir, struct ebb_proc_sample *out) {
    int err = ebb_proc_read(pid, want_pss, cgroup_root, cgroup_dir, out);
    return !err && pidfd >= 0 && ebb_pidfd_exited(pidfd) ? -ESRCH : err;
}

int ebb_pidfd_exited(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    int n;
    while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR) {
    }
    return n > 0;
}
