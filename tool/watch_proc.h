/* One memory sample of a process, from /proc/PID/status, /proc/PID/smaps_rollup and, when the
 * process lives in a cgroup v2 with the memory controller, its memory.current/max/events.
 * Readers return 0, or a negative errno: -ESRCH when the process is gone (or a zombie), -EACCES
 * when we may not read it, -EIO for anything else. Parsers of the file formats are pure so they
 * can be tested on text. */
#ifndef EBB_TOOL_WATCH_PROC_H
#define EBB_TOOL_WATCH_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EBB_NO_LIMIT UINT64_MAX

struct ebb_cgroup_mem {
    uint64_t current;  /* memory.current */
    uint64_t max;      /* tightest memory.max of the cgroup and its ancestors, or EBB_NO_LIMIT */
    uint64_t oom;      /* memory.events: times the limit was hit and reclaim failed */
    uint64_t oom_kill; /* memory.events: processes killed by the OOM killer */
};

struct ebb_proc_sample {
    uint64_t rss, anon, file, shmem, swap; /* /proc/PID/status: VmRSS RssAnon RssFile ... VmSwap */
    uint64_t pss;                          /* smaps_rollup Pss, when has_pss */
    int has_pss;
    int has_cgroup; /* cgroup filled in */
    struct ebb_cgroup_mem cgroup;
};

/* Fields of /proc/PID/status. VmRSS missing: -2 for a kernel thread (it has no address space),
 * -1 otherwise (a zombie, or a process between losing its memory and becoming one). */
int ebb_parse_status(const char *text, struct ebb_proc_sample *out);

/* Pss of /proc/PID/smaps_rollup; -1 when absent. */
int ebb_parse_smaps_rollup(const char *text, uint64_t *pss);

/* The cgroup v2 path of a process ("0::PATH" line of /proc/PID/cgroup); -1 when none. */
int ebb_parse_proc_cgroup(const char *text, char *path, size_t len);

/* Mount point of the cgroup2 file system, from /proc/self/mountinfo text; -1 when none. */
int ebb_parse_cgroup2_mount(const char *text, char *mount, size_t len);

/* Reads the memory files of cgroup directory `dir`, taking memory.max as the tightest of `dir` and
 * its ancestors up to `root`. -1 when `dir` has no memory.current (no memory controller). */
int ebb_cgroup_read(const char *dir, const char *root, struct ebb_cgroup_mem *out);

/* Finds the cgroup directory of `pid` (root and leaf); -1 when there is no cgroup v2 memory. */
int ebb_cgroup_locate(pid_t pid, char *root, size_t root_len, char *dir, size_t dir_len);

/* A sample of `pid`. `cgroup_dir`/`cgroup_root` may be NULL (no cgroup figures); `want_pss` reads
 * smaps_rollup too (ptrace-read permission needed). 0, or -ESRCH (no such process, or it is
 * exiting), -EACCES, -EINVAL (a kernel thread), -EIO. */
int ebb_proc_read(pid_t pid, int want_pss, const char *cgroup_root, const char *cgroup_dir,
                  struct ebb_proc_sample *out);

/* A process descriptor for `pid` (pidfd_open, Linux 5.3 and later; close-on-exec), so that its
 * exit is seen even when its PID is reused before the next look at /proc/PID. The descriptor, or
 * -ESRCH when there is no such process, or -1 when the kernel gives none (too old, or refused by
 * a seccomp policy): the caller goes on without one. */
int ebb_pidfd_open(pid_t pid);

/* Whether the process of a descriptor from ebb_pidfd_open has exited (it may not be reaped yet):
 * 1 or 0, without waiting. A process gone counts from then on even if its PID is reused, so a read
 * of /proc/PID is trusted only when this says 0 after it. */
int ebb_pidfd_exited(int fd);

/* ebb_proc_read, checked against `pidfd` (from ebb_pidfd_open; negative: none, /proc alone
 * decides): once the pidfd says the process has exited, -ESRCH whatever /proc/PID shows, for the
 * PID may already belong to another process. */
int ebb_proc_read_pidfd(pid_t pid, int pidfd, int want_pss, const char *cgroup_root,
                        const char *cgroup_dir, struct ebb_proc_sample *out);

/* Reads a whole small file into buf (NUL-terminated); bytes read or a negative errno. */
long ebb_read_small_file(const char *path, char *buf, size_t len);

#endif
