/* `ebb check`: a liveness probe. One line of output, exit 0 healthy / 1 unhealthy.
 *
 * --max-rss needs one sample. --max-ratio and --max-leak-rate need a short series: samples every
 * --interval for --for (default 5 s at 250 ms when either is given). The ratio is the last sample
 * over the median of the series; the growth rate is the Theil–Sen slope of the series, counted
 * only when at least 80% of its pairs rise, so noise never fails a probe. The series keeps to a
 * fixed schedule (sample k at k x interval), so --for 3s spans 3.0 s. Errors (no such process,
 * permission, bad arguments, a series too short for what was asked) have their own exit
 * statuses, distinct from "unhealthy", and are a message on stderr: stdout carries only the
 * probe's one line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "watch.h"
#include "watch_detect.h"
#include "watch_files.h"
#include "watch_proc.h"
#include "watch_units.h"

static const char usage_text[] =
    "NAME\n"
    "    ebb check - one memory health check of a process, for liveness probes\n"
    "\n"
    "SYNOPSIS\n"
    "    ebb check PID [--max-rss SIZE] [--max-ratio R] [--max-leak-rate RATE] [--for DUR]\n"
    "\n"
    "DESCRIPTION\n"
    "    Measures the process's resident memory and prints one line: 'ok' or 'unhealthy' with\n"
    "    the figures and the limit that was crossed. --max-rss needs one sample; --max-ratio\n"
    "    and --max-leak-rate take a short series (--for, sampled every --interval): the ratio is\n"
    "    the last sample over the series' median, the growth rate its Theil-Sen slope (counted\n"
    "    only when at least 80% of sample pairs rise). With no --max-* option the check only\n"
    "    proves the process exists and can be read.\n"
    "\n"
    "OPTIONS\n"
    "    --max-rss SIZE         unhealthy when RSS > SIZE (above 0)\n"
    "    --max-ratio R          unhealthy when RSS / median of the series > R\n"
    "    --max-leak-rate RATE   unhealthy when steady growth > RATE (e.g. 1M/min, 20K/s)\n"
    "    --for DUR              length of the series (5s when a ratio or rate is checked; it\n"
    "                           must hold at least 3 samples then)\n"
    "    -i, --interval DUR     time between samples of the series (250ms; at least 1ms)\n"
    "    -h, --help             this text\n"
    "    SIZE: 512M, 2G, 1.5GiB, 4096 (K/M/G/T and KiB.. = 1024^n, KB/MB.. = 1000^n).\n"
    "\n"
    "EXIT STATUS\n"
    "    0    healthy\n"
    "    1    unhealthy: a limit was crossed\n"
    "    2    usage error: bad option, malformed size, rate, duration or PID, a --max-rss of\n"
    "         0, an --interval under 1ms, a series of fewer than 3 or more than 4096 samples,\n"
    "         or the PID of a kernel thread\n"
    "    3    no such process, or it exited during the check (even if its PID is taken again)\n"
    "    4    permission denied reading the process\n"
    "    5    runtime error, standard output unable to take the line (or --help)\n"
    "    Errors are a message on stderr; stdout then stays empty.\n"
    "\n"
    "EXAMPLES\n"
    "    ebb check 4242 --max-rss 1.5GiB\n"
    "    ebb check 4242 --max-ratio 2 --max-leak-rate 10M/min --for 3s\n"
    "    Kubernetes:  livenessProbe: {exec: {command: [ebb, check, '1', --max-rss, 900M]}}\n";

struct check_opts {
    pid_t pid;
    int has_rss, has_ratio, has_rate;
    uint64_t max_rss;
    double max_ratio, max_rate, span, interval;
};

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ebb check: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'ebb check --help'.\n");
    return EBB_EXIT_USAGE;
}

enum { OPT_MAX_RSS = 256, OPT_MAX_RATIO, OPT_MAX_RATE, OPT_FOR };

static int parse_one(int c, const char *arg, struct check_opts *o) {
    double v;
    switch (c) {
    case OPT_MAX_RSS:
        /* 0: no process with any memory could pass, so the probe would only ever fail. */
        if (ebb_parse_size(arg, &o->max_rss) || o->max_rss == 0)
            return usage_error("bad --max-rss '%s' (expected a size above 0, like 512M, 2G, "
                               "1.5GiB)",
                               arg);
        o->has_rss = 1;
        return 0;
    case OPT_MAX_RATIO:
        if (ebb_parse_number(arg, 1, 1e6, &o->max_ratio))
            return usage_error("bad --max-ratio '%s' (expected a number >= 1)", arg);
        o->has_ratio = 1;
        return 0;
    case OPT_MAX_RATE:
        if (ebb_parse_rate(arg, &o->max_rate))
            return usage_error("bad --max-leak-rate '%s' (expected a rate like 1M/min)", arg);
        o->has_rate = 1;
        return 0;
    case OPT_FOR:
        if (ebb_parse_duration(arg, &o->span)) return usage_error("bad --for '%s'", arg);
        return 0;
    case 'i':
        if (ebb_parse_duration(arg, &v) || v < EBB_MIN_INTERVAL)
            return usage_error("bad --interval '%s' (expected a duration of at least 1ms)", arg);
        o->interval = v;
        return 0;
    default:
        return usage_error("%s", "bad option");
    }
}

#define MAX_SERIES 4096

/* Samples in the series: one at 0, then one every interval up to --for. */
static double series_length(const struct check_opts *o) {
    return floor(o->span / o->interval + 1e-9) + 1;
}

/* A ratio or a growth rate needs a series of three samples or more; a series must fit. */
static int check_series(const struct check_opts *o) {
    char msg[256];
    double n = series_length(o);
    if ((o->has_ratio || o->has_rate) && n < 3) {
        snprintf(msg, sizeof msg,
                 "%s needs a series of at least 3 samples, and --for %gs at --interval %gs takes "
                 "%.0f (make --for at least 2 intervals)",
                 o->has_ratio ? "--max-ratio" : "--max-leak-rate", o->span, o->interval, n);
        return usage_error("%s", msg);
    }
    if (n > MAX_SERIES) {
        snprintf(msg, sizeof msg, "--for %gs at --interval %gs takes more than %d samples", o->span,
                 o->interval, MAX_SERIES);
        return usage_error("%s", msg);
    }
    return 0;
}

/* 0 to go on, -1 after --help, or an exit status. */
static int parse_options(int argc, char **argv, struct check_opts *o) {
    static const struct option longopts[] = {
        {"max-rss", required_argument, NULL, OPT_MAX_RSS},
        {"max-ratio", required_argument, NULL, OPT_MAX_RATIO},
        {"max-leak-rate", required_argument, NULL, OPT_MAX_RATE},
        {"for", required_argument, NULL, OPT_FOR},
        {"interval", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->span = -1;
    o->interval = 0.25;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "i:h", longopts, NULL)) != -1) {
        if (c == 'h') {
            errno = 0;
            fputs(usage_text, stdout);
            return -1;
        }
        int rc = parse_one(c, optarg, o);
        if (rc) return rc;
    }
    if (argc - optind != 1) return usage_error("%s", "expected exactly one PID");
    int pid;
    if (ebb_parse_pid(argv[optind], &pid)) return usage_error("invalid PID '%s'", argv[optind]);
    o->pid = pid;
    if (o->span < 0) o->span = o->has_ratio || o->has_rate ? 5 : 0;
    return check_series(o);
}

/* during: whether the series had begun, so that a process gone meanwhile is said to have exited. */
static int read_failure(pid_t pid, int err, int during) {
    if (err == -ESRCH) {
        fprintf(stderr, "ebb check: process %d %s\n", (int)pid,
                during ? "exited during the check" : "does not exist");
        return EBB_EXIT_GONE;
    }
    if (err == -EINVAL) {
        fprintf(stderr, "ebb check: process %d is a kernel thread: it has no memory of its own\n",
                (int)pid);
        return EBB_EXIT_USAGE;
    }
    if (err == -EACCES) {
        fprintf(stderr,
                "ebb check: permission denied reading process %d (run as its owner or root)\n",
                (int)pid);
        return EBB_EXIT_DENIED;
    }
    fprintf(stderr, "ebb check: cannot read /proc/%d\n", (int)pid);
    return EBB_EXIT_RUNTIME;
}

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Sleeps until `offset` seconds after `start` (CLOCK_MONOTONIC): sample k is due at k x interval
 * whatever the previous reads took, so the series spans all of --for. */
static void sleep_until(const struct timespec *start, double offset) {
    double whole = floor(offset);
    struct timespec at = {start->tv_sec + (time_t)whole,
                          start->tv_nsec + (long)((offset - whole) * 1e9)};
    if (at.tv_nsec >= 1000000000L) at.tv_sec++, at.tv_nsec -= 1000000000L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR) {
    }
}

struct series {
    double t[MAX_SERIES], y[MAX_SERIES];
    size_t n;
};

/* Samples the process over o->span seconds (at least once). 0 or a read error. A pidfd, opened
 * before the first read, tells when the process has exited even if its PID is taken again by
 * another before the next read; without one (old kernel), /proc alone decides. */
static int measure(const struct check_opts *o, struct series *s) {
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    size_t n = (size_t)series_length(o);
    int pidfd = ebb_pidfd_open(o->pid), err = 0;
    if (pidfd == -ESRCH) return -ESRCH;
    for (s->n = 0; s->n < n; s->n++) {
        if (s->n) sleep_until(&start, (double)s->n * o->interval);
        struct ebb_proc_sample p;
        err = ebb_proc_read_pidfd(o->pid, pidfd, 0, NULL, NULL, &p);
        if (err) break;
        s->t[s->n] = seconds_since(&start);
        s->y[s->n] = (double)p.rss;
    }
    if (pidfd >= 0) close(pidfd);
    return err;
}

/* Steady growth rate of the series, 0 when it does not rise steadily. */
static double growth_rate(const struct series *s) {
    static double pairs[64 * 63 / 2], t[64], y[64];
    size_t k = s->n < 64 ? s->n : 64;
    if (k < 3) return 0;
    for (size_t i = 0; i < k; i++) { /* evenly thinned, like the detector */
        size_t j = k > 1 ? i * (s->n - 1) / (k - 1) : 0;
        t[i] = s->t[j], y[i] = s->y[j];
    }
    double slope, conc;
    if (!ebb_theil_sen(t, y, k, pairs, &slope, &conc) || conc < 0.8) return 0;
    return slope > 0 ? slope : 0;
}

int ebb_cmd_check(int argc, char **argv) {
    struct check_opts o;
    int code = parse_options(argc, argv, &o);
    if (code) return code < 0 ? ebb_stdout_status("ebb check", EBB_EXIT_OK) : code;
    static struct series s;
    int err = measure(&o, &s);
    if (err) return read_failure(o.pid, err, s.n > 0);
    double rss = s.y[s.n - 1], copy[MAX_SERIES];
    memcpy(copy, s.y, s.n * sizeof *copy);
    double median = ebb_median(copy, s.n), ratio = median > 0 ? rss / median : 1;
    double rate = growth_rate(&s);
    char a[32], b[32], why[256] = "";
    if (o.has_rss && rss > (double)o.max_rss)
        snprintf(why, sizeof why, " rss %s > max-rss %s", ebb_format_bytes(a, sizeof a, rss),
                 ebb_format_bytes(b, sizeof b, (double)o.max_rss));
    else if (o.has_ratio && ratio > o.max_ratio)
        snprintf(why, sizeof why, " ratio %.2f > max-ratio %.2f", ratio, o.max_ratio);
    else if (o.has_rate && rate > o.max_rate)
        snprintf(why, sizeof why, " growth %s/s > max-leak-rate %s/s",
                 ebb_format_bytes(a, sizeof a, rate), ebb_format_bytes(b, sizeof b, o.max_rate));
    printf("%s: pid %d rss %s", *why ? "unhealthy" : "ok", (int)o.pid,
           ebb_format_bytes(a, sizeof a, rss));
    if (s.n > 1)
        printf(" ratio %.2f growth %s/s over %.1fs", ratio, ebb_format_bytes(b, sizeof b, rate),
               s.t[s.n - 1]);
    printf("%s%s\n", *why ? " --" : "", why);
    return ebb_stdout_status("ebb check", *why ? EBB_EXIT_ALERT : EBB_EXIT_OK);
}
