/* `ebb watch`: sample a process's memory at a fixed interval and feed the detector.
 *
 * Structure: options -> a source of samples (a PID, a command we launch, or a replay file) ->
 * for each sample: detector step, one output line (text or JSON), metrics snapshot for --listen,
 * history for --plot, a line for --record, and alerts (--on-alert hooks, rate-limited by
 * --cooldown measured in sample time, so replays behave like live runs).
 *
 * Start-up checks everything that can fail (the process, the replay input, the output paths, the
 * listener, the command) before any file of the user's is truncated; see watch_files.h.
 *
 * Signals: the handlers only set flags (and forward), so they may run at any point, and a stop
 * signal interrupts whatever blocks (an open of a FIFO, a write to a stalled pipe: no SA_RESTART)
 * so the run ends promptly in every phase. Waits for time or input are ppoll() calls entered with
 * the handled signals held from the check of the flags onwards; ppoll releases them atomically,
 * so none can slip in between a check and the sleep. When we launched the command,
 * INT/TERM/HUP/QUIT/USR1/USR2 sent to us by a process (si_code <= 0) are forwarded to it (and
 * then restart what they interrupt); those the terminal sends reach the command through its
 * process group anyway. The command's exit ends the watch, and its status becomes ours.
 *
 * Cost per sample: one small /proc read (status: counters the kernel keeps), a few cgroup files
 * when there is a cgroup v2 memory controller, and one detector step (well under a millisecond).
 * smaps_rollup (--pss) walks the page tables, about 6 ms per GB resident, so it is opt-in.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "watch.h"
#include "watch_detect.h"
#include "watch_files.h"
#include "watch_http.h"
#include "watch_plot.h"
#include "watch_proc.h"
#include "watch_series.h"
#include "watch_units.h"

static const char usage_text[] =
    "NAME\n"
    "    ebb watch - see a process's memory running away before the OOM killer does\n"
    "\n"
    "SYNOPSIS\n"
    "    ebb watch [OPTIONS] PID\n"
    "    ebb watch [OPTIONS] -- COMMAND [ARGS...]\n"
    "    ebb watch [OPTIONS] --replay FILE\n"
    "\n"
    "DESCRIPTION\n"
    "    Samples the process every interval: RSS, anonymous, file-backed and swapped memory\n"
    "    (/proc/PID/status), PSS with --pss (/proc/PID/smaps_rollup) and, in a cgroup v2 with\n"
    "    the memory controller, memory.current, the tightest memory.max and OOM events.\n"
    "    From the RSS:\n"
    "      baseline  the rolling median over --baseline-window;\n"
    "      level     none, light, medium or severe when RSS/baseline reaches each of --levels for\n"
    "                --confirm samples in a row; left again below level*(1-hysteresis);\n"
    "      leak      a Theil-Sen slope over up to --leak-window, reported in bytes/s only while\n"
    "                growth is steady, precise and makes new highs (never during the first leak\n"
    "                window), with the time left before --limit or the cgroup limit.\n"
    "    With -- COMMAND, the command is launched and watched, signals sent to ebb are forwarded\n"
    "    to it, and ebb exits with its status.\n"
    "\n"
    "OPTIONS\n"
    "    -i, --interval DUR        time between samples (1s); at least 1ms, at most\n"
    "                              --baseline-window / (2 x --confirm) and --leak-window / 10,\n"
    "                              or a detector could never fire\n"
    "    -b, --baseline-window DUR window of the rolling median (30s)\n"
    "    -w, --leak-window DUR     longest window of the leak slope (5m)\n"
    "    -L, --levels L,M,S        ratios entering light, medium, severe (1.3,1.8,2.5)\n"
    "        --hysteresis F        leave a level below ratio*(1-F) (0.05); L*(1-F) must be\n"
    "                              above 1\n"
    "        --confirm N           samples in a row to enter or leave a state (3)\n"
    "    -l, --limit SIZE          memory limit for the time left (also the cgroup's, if any)\n"
    "    -d, --duration DUR        stop DUR after the first sample (PID and replay modes)\n"
    "    -j, --json                one JSON object per sample on stdout\n"
    "    -q, --quiet               print alerts only (text mode)\n"
    "        --listen [ADDR:]PORT  serve Prometheus metrics at /metrics (ADDR default 127.0.0.1)\n"
    "        --on-alert CMD        run CMD with sh -c when a level is entered, a leak is\n"
    "                              reported or the cgroup OOM-kills; environment: EBB_EVENT,\n"
    "                              EBB_PID, EBB_SEVERITY, EBB_RATIO, EBB_RSS_BYTES,\n"
    "                              EBB_BASELINE_BYTES, EBB_LEAK_BYTES_PER_S, EBB_ETA_S, EBB_T;\n"
    "                              one that fails is said on stderr; at exit, commands still\n"
    "                              running get 5s, then are left running\n"
    "        --cooldown DUR        run --on-alert at most once per DUR (5m)\n"
    "        --plot FILE.svg       write a chart of memory, baseline and thresholds at the end\n"
    "        --record FILE         write the samples as CSV (seconds,bytes)\n"
    "        --replay FILE         read samples from CSV instead of a process ('-' = stdin)\n"
    "        --pss                 also read PSS from smaps_rollup (costs ~6 ms per GB resident "
    "per\n"
    "                              sample; needs the process owner's or root's permission)\n"
    "    -h, --help                this text\n"
    "    SIZE: 512M, 2G, 1.5GiB, 4096 (K/M/G/T and KiB.. = 1024^n, KB/MB.. = 1000^n).\n"
    "    DUR: 500ms, 30s, 5m, 1h (a bare number is seconds).\n"
    "\n";

/* A second part: ISO C compilers need only take string literals of 4095 characters. */
static const char usage_text_end[] =
    "EXIT STATUS\n"
    "    0    finished (signal, --duration, end of replay) and no alert was raised\n"
    "    1    finished, and at least one alert was raised\n"
    "    2    usage error: bad option, malformed size/duration/PID, an --interval under 1ms or\n"
    "         too long for the windows (or so short that a window would hold more than 10\n"
    "         million samples), --levels a process at its baseline could not leave, --record\n"
    "         or --plot naming the replay file, garbage in the replay file, a kernel thread's\n"
    "         PID\n"
    "    3    no such process, or the process exited while watched (seen by its pidfd even if\n"
    "         its PID is taken again before the next sample)\n"
    "    4    permission denied reading the process\n"
    "    5    runtime error: port in use, cannot read or write a file or standard output (a\n"
    "         failure at the end turns 0 or 1 into 5), cannot fork; --help unable to write\n"
    "    127  -- COMMAND could not be executed; otherwise the command's own status (128+N when\n"
    "         killed by signal N); if standard output or --record fails meanwhile, the watch\n"
    "         goes on without it and a status of 0 becomes 5\n"
    "\n"
    "EXAMPLES\n"
    "    ebb watch 4242\n"
    "    ebb watch --json --limit 2G --listen :9464 4242\n"
    "    ebb watch --on-alert 'gcore -o /tmp/core $EBB_PID' --cooldown 10m -- ./server\n"
    "    ebb watch --record run.csv --plot run.svg 4242\n"
    "    ebb watch --replay run.csv --json\n";

struct options {
    double interval, cooldown, duration;
    struct ebb_detect_config det;
    int json, quiet, pss;
    const char *listen, *on_alert, *plot, *record, *replay;
    pid_t pid;
    char **cmd;
};

/* ---- options ----------------------------------------------------------------------------------
 */

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "ebb watch: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'ebb watch --help'.\n");
    return EBB_EXIT_USAGE;
}

static int positive_duration(const char *s, double *out) {
    return ebb_parse_duration(s, out) == 0 && *out > 0 ? 0 : -1;
}

/* Exactly three comma-separated ratios: an empty field is an error, not a separator to skip. */
static int parse_levels(const char *s, double levels[3]) {
    for (int k = 0; k < 3; k++) {
        char field[64];
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof field) return -1;
        memcpy(field, s, n);
        field[n] = '\0';
        if (ebb_parse_number(field, 1, 1000, &levels[k]) < 0) return -1;
        s += n;
        if (k < 2 && *s++ != ',') return -1;
    }
    return *s ? -1 : 0;
}

/* The detector keeps every sample of its longest window in memory (16 bytes each in the ring, 8
 * of scratch, and up to 24 in each order-statistic tree holding it): past this many, a window is
 * a configuration error that would end hours later as "out of memory", not a watch. */
#define MAX_WINDOW_SAMPLES 1e7

/* Samples too far apart for a detector to work are refused: a watch that cannot alert would pass
 * for a healthy process. So are samples so close that the windows could not be held. */
static int check_spacing(const struct options *o) {
    char msg[320];
    const struct ebb_detect_config *d = &o->det;
    int leak_longer = d->leak_window >= d->baseline_window;
    double longest = leak_longer ? d->leak_window : d->baseline_window;
    if (longest / o->interval > MAX_WINDOW_SAMPLES) {
        snprintf(msg, sizeof msg,
                 "--%s %gs at --interval %gs would hold %.0f samples in memory (at most %.0f): "
                 "make the interval longer or the window shorter",
                 leak_longer ? "leak-window" : "baseline-window", longest, o->interval,
                 floor(longest / o->interval), MAX_WINDOW_SAMPLES);
        return usage_error("%s", msg);
    }
    if (o->interval > ebb_detect_max_level_spacing(d) * (1 + 1e-9)) {
        snprintf(msg, sizeof msg,
                 "--baseline-window %gs is too short for --interval %gs: --confirm %u high "
                 "samples in a row must stay a minority of it, or its median follows them and no "
                 "spike is seen; make it at least 2 x %u intervals (%gs)",
                 d->baseline_window, o->interval, d->confirm, d->confirm,
                 o->interval * 2 * d->confirm);
        return usage_error("%s", msg);
    }
    if (o->interval > ebb_detect_max_leak_spacing(d) * (1 + 1e-9)) {
        snprintf(msg, sizeof msg,
                 "--leak-window %gs is too short for --interval %gs: no leak could ever be "
                 "reported; make it at least 10 intervals (%gs)",
                 d->leak_window, o->interval, o->interval * 10);
        return usage_error("%s", msg);
    }
    return 0;
}

/* A level is left below ratio x (1 - hysteresis). For light, that must be above the baseline
 * itself: otherwise a process back at its usual size (ratio 1, which the baseline soon makes of
 * any lasting step) would stay light for good. */
static int check_light_level(const struct ebb_detect_config *d) {
    double light = d->levels[0], leave = light * (1 - d->hysteresis);
    if (leave > 1) return 0;
    char msg[320];
    snprintf(msg, sizeof msg,
             "--levels: light %g would only be left below %g x (1 - --hysteresis %g) = %.4g times "
             "the baseline, so a process back at its baseline would stay light; raise light "
             "above %.4g or lower --hysteresis",
             light, light, d->hysteresis, leave, 1 / (1 - d->hysteresis));
    usage_error("%s", msg);
    return -1;
}

/* Everything after the first "--" is the command to launch. */
static char **split_command(int *argc, char **argv) {
    for (int i = 1; i < *argc; i++)
        if (!strcmp(argv[i], "--")) {
            argv[i] = NULL;
            char **cmd = argv + i + 1;
            *argc = i;
            return cmd;
        }
    return NULL;
}

enum {
    OPT_HYST = 256,
    OPT_CONFIRM,
    OPT_LISTEN,
    OPT_ON_ALERT,
    OPT_COOLDOWN,
    OPT_PLOT,
    OPT_RECORD,
    OPT_REPLAY,
    OPT_PSS
};

static int parse_option(int c, const char *arg, struct options *o) {
    uint64_t size;
    double v;
    switch (c) {
    case 'i':
        if (positive_duration(arg, &o->interval) || o->interval < EBB_MIN_INTERVAL)
            return usage_error("bad --interval '%s' (expected a duration of at least 1ms)", arg);
        break;
    case 'b':
        if (positive_duration(arg, &o->det.baseline_window))
            return usage_error("bad --baseline-window '%s'", arg);
        break;
    case 'w':
        if (positive_duration(arg, &o->det.leak_window))
            return usage_error("bad --leak-window '%s'", arg);
        break;
    case 'd':
        if (positive_duration(arg, &o->duration)) return usage_error("bad --duration '%s'", arg);
        break;
    case OPT_COOLDOWN:
        if (ebb_parse_duration(arg, &o->cooldown)) return usage_error("bad --cooldown '%s'", arg);
        break;
    case 'L':
        if (parse_levels(arg, o->det.levels))
            return usage_error("bad --levels '%s' (expected three ratios like 1.3,1.8,2.5)", arg);
        break;
    case OPT_HYST:
        if (ebb_parse_number(arg, 0, 0.49, &o->det.hysteresis))
            return usage_error("bad --hysteresis '%s' (expected 0 to 0.49)", arg);
        break;
    case OPT_CONFIRM:
        if (ebb_parse_number(arg, 1, 1000, &v) || v != floor(v))
            return usage_error("bad --confirm '%s' (expected 1 to 1000)", arg);
        o->det.confirm = (unsigned)v;
        break;
    case 'l':
        if (ebb_parse_size(arg, &size) || size == 0)
            return usage_error("bad --limit '%s' (expected a size like 512M or 2G)", arg);
        o->det.limit_bytes = (double)size;
        break;
    case 'j':
        o->json = 1;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case OPT_LISTEN: {
        struct sockaddr_storage addr;
        socklen_t len;
        char err[160];
        if (ebb_listen_parse(arg, &addr, &len, err, sizeof err)) return usage_error("%s", err);
        o->listen = arg;
        break;
    }
    case OPT_ON_ALERT:
        o->on_alert = arg;
        break;
    case OPT_PLOT:
        o->plot = arg;
        break;
    case OPT_RECORD:
        o->record = arg;
        break;
    case OPT_REPLAY:
        o->replay = arg;
        break;
    case OPT_PSS:
        o->pss = 1;
        break;
    default:
        return EBB_EXIT_USAGE; /* getopt has printed why */
    }
    return 0;
}

/* Fills *o; returns -1 after --help, else an exit status (0 = go on). */
static int parse_options(int argc, char **argv, struct options *o) {
    static const struct option longopts[] = {{"interval", required_argument, NULL, 'i'},
                                             {"baseline-window", required_argument, NULL, 'b'},
                                             {"leak-window", required_argument, NULL, 'w'},
                                             {"levels", required_argument, NULL, 'L'},
                                             {"hysteresis", required_argument, NULL, OPT_HYST},
                                             {"confirm", required_argument, NULL, OPT_CONFIRM},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"duration", required_argument, NULL, 'd'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"listen", required_argument, NULL, OPT_LISTEN},
                                             {"on-alert", required_argument, NULL, OPT_ON_ALERT},
                                             {"cooldown", required_argument, NULL, OPT_COOLDOWN},
                                             {"plot", required_argument, NULL, OPT_PLOT},
                                             {"record", required_argument, NULL, OPT_RECORD},
                                             {"replay", required_argument, NULL, OPT_REPLAY},
                                             {"pss", no_argument, NULL, OPT_PSS},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->interval = 1;
    o->cooldown = 300;
    ebb_detect_config_default(&o->det);
    o->cmd = split_command(&argc, argv);
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "i:b:w:L:l:d:jqh", longopts, NULL)) != -1) {
        if (c == 'h') {
            errno = 0;
            fputs(usage_text, stdout);
            fputs(usage_text_end, stdout);
            return -1;
        }
        int rc = parse_option(c, optarg, o);
        if (rc) return rc == EBB_EXIT_USAGE && c == '?' ? usage_error("%s", "bad option") : rc;
    }
    int targets = (optind < argc) + (o->cmd != NULL) + (o->replay != NULL);
    if (targets != 1 || argc - optind > 1)
        return usage_error("%s", "give exactly one of PID, -- COMMAND, or --replay FILE");
    if (o->cmd && !o->cmd[0]) return usage_error("%s", "no command after --");
    if (o->cmd && o->duration > 0)
        return usage_error("%s", "--duration does not apply to -- COMMAND");
    int pid;
    if (optind < argc && ebb_parse_pid(argv[optind], &pid))
        return usage_error("invalid PID '%s'", argv[optind]);
    if (optind < argc) o->pid = pid;
    if (ebb_detect_config_check(&o->det))
        return usage_error("%s", "--levels must be three increasing ratios above 1");
    if (check_light_level(&o->det)) return EBB_EXIT_USAGE;
    return o->replay ? 0 : check_spacing(o);
}

/* ---- signals ----------------------------------------------------------------------------------
 */

/* stop_signals counts the signals that asked the run to stop (a count, so that a wait begun after
 * the first one can tell a second one apart). */
static volatile sig_atomic_t stop_signals, child_changed;
static volatile pid_t forward_to;
/* orig_mask: the caller's; run_mask: it with the handled signals deliverable (the run's mask);
 * hold_mask: it with them blocked, from the check of a flag to the ppoll() that waits for it. */
static sigset_t orig_mask, run_mask, hold_mask;

static void on_signal(int sig, siginfo_t *info, void *ctx) {
    (void)ctx;
    if (sig == SIGCHLD) {
        child_changed = 1;
    } else if (forward_to > 0) {
        if (info->si_code <= 0) kill(forward_to, sig); /* sent by a process, not the terminal */
    } else {
        stop_signals++;
    }
}

static const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD};
#define N_HANDLED (sizeof handled_signals / sizeof handled_signals[0])

/* forwarding: once signals go to a launched command they no longer stop the run, so what they
 * interrupt is restarted (SA_RESTART) rather than failed. SIGCHLD always restarts: a hook that
 * ends must not break a write. */
static void install_handlers(int forwarding) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < N_HANDLED; i++) {
        int restart = forwarding || handled_signals[i] == SIGCHLD;
        sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
        sigaction(handled_signals[i], &sa, NULL);
    }
}

static void setup_signals(void) {
    sigprocmask(SIG_SETMASK, NULL, &orig_mask);
    run_mask = hold_mask = orig_mask;
    for (size_t i = 0; i < N_HANDLED; i++) {
        sigdelset(&run_mask, handled_signals[i]);
        sigaddset(&hold_mask, handled_signals[i]);
    }
    install_handlers(0);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error we report, not a silent death */
    sigprocmask(SIG_SETMASK, &run_mask, NULL);
}

static void hold_signals(void) {
    sigprocmask(SIG_SETMASK, &hold_mask, NULL);
}

static void release_signals(void) {
    sigprocmask(SIG_SETMASK, &run_mask, NULL);
}

/* In a freshly forked child: the signal state the user expects of a new process. */
static void reset_child_signals(void) {
    for (size_t i = 0; i < N_HANDLED; i++)
        signal(handled_signals[i], SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}

static double monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits until `when` (monotonic seconds), a SIGCHLD, or a stop signal beyond the first `stops`. */
static void pause_until(double when, sig_atomic_t stops) {
    hold_signals();
    double left;
    while (stop_signals == stops && !child_changed && (left = when - monotonic_now()) > 0) {
        struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};
        ppoll(NULL, 0, &ts, &run_mask);
    }
    release_signals();
}

/* ---- the run ------------------------------------------------------------------------------------
 */

#define MAX_HOOKS 32

/* What prepare() returns when a stop signal came before the run began: end as "finished". */
#define STOPPED (-1)

/* A running --on-alert command, and the alert it ran for (for the line that says how it ended). */
struct hook {
    pid_t pid; /* 0: a free slot */
    const char *event;
    double t;
};

struct run {
    struct options *o;
    struct ebb_detector det;
    struct ebb_history hist;
    struct ebb_http *http;
    struct ebb_replay replay;
    struct ebb_outfile record, plot; /* record.f once recording */
    pid_t child;                     /* launched command, or 0 */
    int pidfd; /* of the PID watched; -1 for a command, our child, whose PID stays taken until
                * command_ended reaps it */
    int command_status;           /* its exit status once it has ended, else -1 */
    struct hook hooks[MAX_HOOKS]; /* running --on-alert commands */
    uint64_t hook_failures;       /* --on-alert commands that exited non-zero or were killed */
    char cg_root[4096], cg_dir[4096];
    int has_cgroup;
    int stdout_lost, record_lost; /* failed mid-run (launch mode goes on without them) */
    int warned_levels, warned_leak;
    uint64_t samples, alerts, last_oom_kill;
    double last_hook_t; /* sample time of the last hook run, or -inf */
};

struct sample {
    double t, bytes;
    struct ebb_proc_sample proc; /* zero in replay */
    int live;
};

static int finished_status(const struct run *r) {
    return r->alerts ? EBB_EXIT_ALERT : EBB_EXIT_OK;
}

/* The exit status once output the user asked for is lost: an exit that said "all went well"
 * (0, or 1 for an alert) becomes 5; a launched command's own status stays unless it was 0. */
static int lost_output_status(const struct run *r, int code) {
    if (code == EBB_EXIT_OK || (code == EBB_EXIT_ALERT && !r->o->cmd)) return EBB_EXIT_RUNTIME;
    return code;
}

/* A file the user asked for (--record, --plot) cannot be written: says so (errno says why), and
 * returns the exit status. */
static int write_failed(const struct run *r, const char *option, const char *path, int code) {
    fprintf(stderr, "ebb watch: cannot write --%s file '%s': %s\n", option, path, strerror(errno));
    return lost_output_status(r, code);
}

/* Standard output or --record failed mid-run (errno says why; *lost is set): says so once.
 * Launch mode goes on without that output, since the command is not ours to stop (its status 0
 * becomes 5 at the end); the other modes end with 5. */
static int output_lost(const struct run *r, const char *what, int *lost) {
    *lost = 1;
    fprintf(stderr, "ebb watch: %s: %s%s\n", what, strerror(errno),
            r->o->cmd ? "; the watch goes on without it until the command ends" : "");
    return r->o->cmd ? 0 : EBB_EXIT_RUNTIME;
}

/* After a sample's lines: 0, or an exit status. A stop signal that cuts short a write to a stalled
 * pipe loses that write too (stdio drops what failed), so it counts as a failure like any other;
 * what is left in the buffer is dropped so that exit() does not stall on the pipe again. */
static int flush_stdout(struct run *r) {
    if (r->stdout_lost || ebb_flush_stdout() == 0) return 0;
    int e = errno;
    __fpurge(stdout);
    clearerr(stdout);
    errno = e;
    return output_lost(r, "standard output", &r->stdout_lost);
}

static int record_sample(struct run *r, const struct sample *s) {
    if (!r->record.f || ebb_record_sample(r->record.f, s->t, s->bytes) == 0) return 0;
    int e = errno;
    char what[4200];
    snprintf(what, sizeof what, "cannot write --record file '%s'", r->o->record);
    errno = e;
    int code = output_lost(r, what, &r->record_lost);
    ebb_outfile_close(&r->record); /* it failed already: once is enough to say so */
    return code;
}

/* A hook that failed says so: evidence that was not captured, or a page that was not sent,
 * must not pass for one that was. Only on stderr: the alert was raised all the same, so the exit
 * status does not change. */
static void hook_ended(struct run *r, const struct hook *h, int status) {
    char how[96];
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFEXITED(status))
        snprintf(how, sizeof how, "exited with status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == EBB_EXIT_NOEXEC
                     ? " (sh could not run the command)"
                     : "");
    else if (WIFSIGNALED(status))
        snprintf(how, sizeof how, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(how, sizeof how, "ended with wait status %#x", (unsigned)status);
    r->hook_failures++;
    fprintf(stderr, "ebb watch: --on-alert command for %s at t=%.1fs (pid %d) %s\n", h->event, h->t,
            (int)h->pid, how);
}

/* Reaps the --on-alert commands that have ended, without waiting; returns how many still run. */
static int reap_hooks(struct run *r) {
    int running = 0;
    for (int i = 0; i < MAX_HOOKS; i++) {
        struct hook *h = &r->hooks[i];
        int status;
        if (h->pid <= 0) continue;
        pid_t got = waitpid(h->pid, &status, WNOHANG);
        if (got == h->pid) hook_ended(r, h, status);
        if (got != 0) h->pid = 0; /* ended, or -1: not ours to wait for any more */
        running += h->pid > 0;
    }
    return running;
}

/* At exit: gives running --on-alert commands HOOK_GRACE seconds to end, or until a stop signal
 * comes, then leaves them running (a hook that pages someone should not be killed), so a hung
 * hook cannot hold `ebb watch` past --duration by more than that. */
#define HOOK_GRACE 5.0
static void wait_hooks(struct run *r) {
    double deadline = monotonic_now() + HOOK_GRACE;
    sig_atomic_t stops = stop_signals;
    int running;
    for (;;) {
        child_changed = 0; /* before reaping, so that an end after it wakes the pause */
        running = reap_hooks(r);
        if (!running || stop_signals != stops || monotonic_now() >= deadline) break;
        pause_until(deadline, stops);
    }
    if (running)
        fprintf(stderr, "ebb watch: %d --on-alert command%s still running after %s; left running\n",
                running, running == 1 ? "" : "s", stop_signals != stops ? "a stop signal" : "5s");
}

static void set_env_number(const char *name, double v, int valid) {
    char buf[64];
    if (valid)
        snprintf(buf, sizeof buf, "%.17g", v);
    else
        buf[0] = '\0';
    setenv(name, buf, 1);
}

/* In the forked hook: its environment, then sh -c CMD. */
_Noreturn static void exec_hook(const struct run *r, const char *event, const struct sample *s,
                                const struct ebb_detect_result *res, double eta) {
    reset_child_signals();
    dup2(STDERR_FILENO, STDOUT_FILENO);
    setenv("EBB_EVENT", event, 1);
    set_env_number("EBB_PID", r->o->pid, r->o->pid > 0);
    setenv("EBB_SEVERITY", ebb_severity_name(res->severity), 1);
    set_env_number("EBB_RATIO", res->ratio, 1);
    set_env_number("EBB_RSS_BYTES", s->bytes, 1);
    set_env_number("EBB_BASELINE_BYTES", res->baseline, 1);
    set_env_number("EBB_LEAK_BYTES_PER_S", res->leak_rate, res->leak);
    set_env_number("EBB_ETA_S", eta, eta >= 0);
    set_env_number("EBB_T", s->t, 1);
    execl("/bin/sh", "sh", "-c", r->o->on_alert, (char *)NULL);
    _exit(EBB_EXIT_NOEXEC);
}

/* Runs --on-alert (sh -c) with the event in its environment; its stdout goes to our stderr so a
 * JSON stream on stdout stays clean. */
static void run_hook(struct run *r, const char *event, const struct sample *s,
                     const struct ebb_detect_result *res, double eta) {
    int slot = -1;
    reap_hooks(r);
    for (int i = 0; i < MAX_HOOKS && slot < 0; i++)
        if (r->hooks[i].pid == 0) slot = i;
    if (slot < 0) {
        fprintf(stderr, "ebb watch: too many --on-alert commands still running; skipped\n");
        return;
    }
    hold_signals(); /* the child must not run our handlers before it has reset them */
    pid_t pid = fork();
    if (pid == 0) exec_hook(r, event, s, res, eta);
    int e = errno;
    release_signals();
    if (pid < 0) {
        fprintf(stderr, "ebb watch: cannot run --on-alert: %s\n", strerror(e));
        return;
    }
    r->hooks[slot] = (struct hook){pid, event, s->t};
    r->last_hook_t = s->t;
}

/* Raises one alert: counted always, announced in text mode, hooked unless cooling down. */
static void alert(struct run *r, const char *event, const struct sample *s,
                  const struct ebb_detect_result *res, double eta) {
    r->alerts++;
    if (!r->o->json && !r->stdout_lost) {
        char rss[32], base[32];
        printf("ALERT %s: t=%.1fs severity %s, rss %s, baseline %s, ratio %.2f\n", event, s->t,
               ebb_severity_name(res->severity), ebb_format_bytes(rss, sizeof rss, s->bytes),
               ebb_format_bytes(base, sizeof base, res->baseline), res->ratio);
    }
    if (!r->o->on_alert) return;
    if (s->t - r->last_hook_t < r->o->cooldown) {
        fprintf(stderr, "ebb watch: %s alert at t=%.1fs: --on-alert skipped (cooldown)\n", event,
                s->t);
        return;
    }
    run_hook(r, event, s, res, eta);
}

/* Time left: the tighter of --limit (in the detector) and the cgroup's limit. */
static double time_left(const struct sample *s, const struct ebb_detect_result *res) {
    double eta = res->eta;
    const struct ebb_cgroup_mem *cg = &s->proc.cgroup;
    if (res->leak && s->proc.has_cgroup && cg->max != EBB_NO_LIMIT) {
        double e = ebb_detect_eta((double)cg->max - (double)cg->current, res->leak_rate);
        if (eta < 0 || e < eta) eta = e;
    }
    return eta;
}

static void print_json(const struct run *r, const struct sample *s,
                       const struct ebb_detect_result *res, double eta, const char *events) {
    const struct ebb_proc_sample *p = &s->proc;
    printf("{\"t\":%.6f,", s->t);
    if (r->o->pid > 0)
        printf("\"pid\":%d,", (int)r->o->pid);
    else
        printf("\"pid\":null,");
    printf("\"rss_bytes\":%.0f,", s->bytes);
    if (s->live)
        printf("\"anon_bytes\":%" PRIu64 ",\"file_bytes\":%" PRIu64 ",\"shmem_bytes\":%" PRIu64
               ",\"swap_bytes\":%" PRIu64 ",",
               p->anon, p->file, p->shmem, p->swap);
    if (p->has_pss) printf("\"pss_bytes\":%" PRIu64 ",", p->pss);
    printf("\"baseline_bytes\":%.0f,\"ratio\":%.4f,\"severity\":\"%s\",", res->baseline, res->ratio,
           ebb_severity_name(res->severity));
    if (res->leak)
        printf("\"leak_bytes_per_s\":%.1f,", res->leak_rate);
    else
        printf("\"leak_bytes_per_s\":null,");
    if (eta >= 0)
        printf("\"eta_s\":%.1f,", eta);
    else
        printf("\"eta_s\":null,");
    if (p->has_cgroup) {
        printf("\"cgroup_current_bytes\":%" PRIu64 ",", p->cgroup.current);
        if (p->cgroup.max != EBB_NO_LIMIT)
            printf("\"cgroup_max_bytes\":%" PRIu64 ",", p->cgroup.max);
        printf("\"cgroup_oom_kill\":%" PRIu64 ",", p->cgroup.oom_kill);
    }
    printf("\"events\":[%s]}\n", events);
}

static void print_text(const struct sample *s, const struct ebb_detect_result *res, double eta) {
    char rss[32], base[32], rate[32], left[32];
    printf("%9.1fs  rss %10s  baseline %10s  x%.2f  %-6s", s->t,
           ebb_format_bytes(rss, sizeof rss, s->bytes),
           ebb_format_bytes(base, sizeof base, res->baseline), res->ratio,
           ebb_severity_name(res->severity));
    if (res->leak) printf("  leak %s/s", ebb_format_bytes(rate, sizeof rate, res->leak_rate));
    if (eta >= 0) printf("  limit in %s", ebb_format_seconds(left, sizeof left, eta));
    printf("\n");
}

static void publish(struct run *r, const struct sample *s, const struct ebb_detect_result *res,
                    double eta) {
    const struct ebb_proc_sample *p = &s->proc;
    struct ebb_metrics m = {.pid = r->o->pid,
                            .samples = r->samples,
                            .alerts = r->alerts,
                            .hook_failures = r->hook_failures,
                            .rss = s->bytes,
                            .anon = (double)p->anon,
                            .file = (double)p->file,
                            .swap = (double)p->swap,
                            .pss = (double)p->pss,
                            .has_pss = p->has_pss,
                            .baseline = res->baseline,
                            .ratio = res->ratio,
                            .severity = res->severity,
                            .leak = res->leak,
                            .leak_rate = res->leak_rate,
                            .eta = eta,
                            .has_cgroup = p->has_cgroup,
                            .cg_current = (double)p->cgroup.current,
                            .cg_max = p->cgroup.max == EBB_NO_LIMIT ? -1 : (double)p->cgroup.max,
                            .cg_oom = p->cgroup.oom,
                            .cg_oom_kill = p->cgroup.oom_kill};
    ebb_http_publish(r->http, &m);
}

/* Everything one sample leads to. Returns 0, or an exit status to end the run with. */
static int handle_sample(struct run *r, const struct sample *s) {
    struct ebb_detect_result res;
    if (ebb_detector_step(&r->det, s->t, s->bytes, &res) < 0) {
        fprintf(stderr, "ebb watch: out of memory in the detector\n");
        return EBB_EXIT_RUNTIME;
    }
    r->samples++;
    double eta = time_left(s, &res);
    char events[96] = "";
    const char *level_event[] = {"", "level:light", "level:medium", "level:severe"};
    int oom = s->proc.has_cgroup && s->proc.cgroup.oom_kill > r->last_oom_kill && r->samples > 1;
    if (s->proc.has_cgroup) r->last_oom_kill = s->proc.cgroup.oom_kill;
    if (res.level_entered) snprintf(events, sizeof events, "\"%s\"", level_event[res.severity]);
    if (res.leak_started)
        snprintf(events + strlen(events), sizeof events - strlen(events), "%s\"leak\"",
                 *events ? "," : "");
    if (oom)
        snprintf(events + strlen(events), sizeof events - strlen(events), "%s\"oom_kill\"",
                 *events ? "," : "");
    errno = 0; /* what a failed printf leaves here is what flush_stdout reports */
    if (r->o->json && !r->stdout_lost)
        print_json(r, s, &res, eta, events);
    else if (!r->o->quiet && !r->stdout_lost)
        print_text(s, &res, eta);
    if (res.level_entered) alert(r, level_event[res.severity], s, &res, eta);
    if (res.leak_started) alert(r, "leak", s, &res, eta);
    if (oom) alert(r, "oom_kill", s, &res, eta);
    int code = flush_stdout(r);
    if (r->http) publish(r, s, &res, eta);
    if (r->plot.path &&
        ebb_history_push(&r->hist, s->t, s->bytes, res.baseline, res.severity, res.leak) < 0)
        fprintf(stderr, "ebb watch: out of memory for the plot history; it will stop early\n");
    int record_code = record_sample(r, s);
    return code ? code : record_code;
}

/* ---- live sampling --------------------------------------------------------------------------- */

/* Why a read failed, as an exit status, with a message. */
static int read_failure(const struct run *r, int err) {
    pid_t pid = r->o->pid;
    if (err == -ESRCH) {
        fprintf(stderr, "ebb watch: process %d %s\n", (int)pid,
                r->samples ? "exited while watched" : "does not exist");
        return EBB_EXIT_GONE;
    }
    if (err == -EINVAL) {
        fprintf(stderr, "ebb watch: process %d is a kernel thread: it has no memory of its own\n",
                (int)pid);
        return EBB_EXIT_USAGE;
    }
    if (err == -EACCES) {
        fprintf(stderr,
                "ebb watch: permission denied reading process %d (run as its owner or root%s)\n",
                (int)pid, r->o->pss ? ", or drop --pss" : "");
        return EBB_EXIT_DENIED;
    }
    fprintf(stderr, "ebb watch: cannot read /proc/%d\n", (int)pid);
    return EBB_EXIT_RUNTIME;
}

static int exit_status_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return EBB_EXIT_RUNTIME;
}

/* Whether the launched command has ended, reaping it (options: WNOHANG, or 0 to wait for it);
 * its status is then in r->command_status. */
static int command_ended(struct run *r, int options) {
    if (r->child <= 0) return r->command_status >= 0;
    int status;
    hold_signals(); /* nothing may be forwarded to its PID once reaped: the PID is free for reuse */
    if (waitpid(r->child, &status, options) == r->child) {
        r->child = forward_to = 0;
        r->command_status = exit_status_of(status);
    }
    release_signals();
    if (r->command_status < 0) return 0;
    fprintf(stderr, "ebb watch: command exited with status %d\n", r->command_status);
    return 1;
}

/* Sleeps until `when` (monotonic seconds), or until a stop signal or the command's end. A hook
 * ending wakes the pause but not the loop: samples keep their schedule, and a failed hook is said
 * at once. */
static void sleep_until(struct run *r, double when) {
    while (!stop_signals && monotonic_now() < when) {
        child_changed = 0; /* before the check, so that an end after it wakes the pause */
        if (command_ended(r, WNOHANG)) return;
        reap_hooks(r);
        pause_until(when, 0);
    }
}

static int live_loop(struct run *r) {
    double start = monotonic_now(), next = start;
    double end = r->o->duration > 0 ? start + r->o->duration : INFINITY;
    const char *root = r->has_cgroup ? r->cg_root : NULL, *dir = r->has_cgroup ? r->cg_dir : NULL;
    for (;;) {
        if (command_ended(r, WNOHANG)) return r->command_status;
        if (stop_signals) return finished_status(r);
        struct sample s = {0, 0, {0}, 1};
        /* Whole microseconds, so that --record prints exactly the time the detector saw. */
        s.t = floor((monotonic_now() - start) * 1e6) / 1e6;
        int err = ebb_proc_read_pidfd(r->o->pid, r->pidfd, r->o->pss, root, dir, &s.proc);
        /* Our command is exiting: wait for its status rather than guess. */
        if (err == -ESRCH && command_ended(r, 0)) return r->command_status;
        if (err) return read_failure(r, err);
        s.bytes = (double)s.proc.rss;
        int code = handle_sample(r, &s);
        if (code) return code;
        reap_hooks(r);
        next += r->o->interval;
        double now = monotonic_now();
        if (next < now)
            next = now;          /* we were suspended or overloaded: do not catch up in a burst */
        if (next > end + 1e-6) { /* no sample is due before the end: --duration is up then */
            sleep_until(r, end);
            return finished_status(r);
        }
        sleep_until(r, next);
    }
}

/* Before the replay reads on: waits for input with signals deliverable, so that a stop signal
 * ends a replay from a pipe that stays silent. Non-zero when asked to stop. */
static int wait_for_input(int fd, void *arg) {
    (void)arg;
    struct pollfd p = {fd, POLLIN, 0};
    hold_signals();
    while (!stop_signals && ppoll(&p, 1, NULL, &run_mask) < 0 && errno == EINTR) {
    }
    release_signals();
    return stop_signals != 0;
}

/* A replay has no --interval: when its samples turn out too far apart for a detector to work (what
 * check_spacing refuses live), says so once each window has been seen. */
static void warn_if_sparse(struct run *r, double span) {
    const struct ebb_detect_config *d = &r->o->det;
    if (r->replay.samples < 2) return;
    double spacing = span / (double)(r->replay.samples - 1);
    if (!r->warned_levels && span >= d->baseline_window) {
        r->warned_levels = 1;
        if (spacing > ebb_detect_max_level_spacing(d) * (1 + 1e-9))
            fprintf(stderr,
                    "ebb watch: warning: %s: samples %.3gs apart on average: spikes go unseen "
                    "(--baseline-window %gs must span 2 x --confirm %u of them)\n",
                    r->o->replay, spacing, d->baseline_window, d->confirm);
    }
    if (!r->warned_leak && span >= d->leak_window) {
        r->warned_leak = 1;
        if (spacing > ebb_detect_max_leak_spacing(d) * (1 + 1e-9))
            fprintf(stderr,
                    "ebb watch: warning: %s: samples %.3gs apart on average: no leak can be "
                    "reported (--leak-window %gs must span 10 of them)\n",
                    r->o->replay, spacing, d->leak_window);
    }
}

static int replay_loop(struct run *r) {
    struct sample s = {0, 0, {0}, 0};
    double first_t = 0; /* --duration counts from the first sample's time */
    char err[256];
    int rc = 0;
    while (!stop_signals &&
           (rc = ebb_replay_next(&r->replay, &s.t, &s.bytes, err, sizeof err)) == 1) {
        if (r->replay.samples == 1) first_t = s.t;
        if (r->o->duration > 0 && s.t - first_t > r->o->duration) break;
        warn_if_sparse(r, s.t - first_t);
        int code = handle_sample(r, &s);
        if (code) return code;
        reap_hooks(r);
    }
    if (stop_signals || rc == 1) return finished_status(r);
    if (rc < 0) {
        fprintf(stderr, "ebb watch: %s\n", err);
        return rc == EBB_REPLAY_READ_ERROR ? EBB_EXIT_RUNTIME : EBB_EXIT_USAGE;
    }
    if (r->replay.samples == 0) {
        fprintf(stderr, "ebb watch: %s: no samples\n", r->o->replay);
        return EBB_EXIT_USAGE;
    }
    return finished_status(r);
}

/* ---- set-up and tear-down ------------------------------------------------------------------ */

/* The first read tells a missing process and a forbidden one apart before anything starts. */
static int check_target(struct run *r) {
    struct ebb_proc_sample probe;
    /* Opened before the first read, so that every read is checked against the process it saw. */
    r->pidfd = ebb_pidfd_open(r->o->pid);
    if (r->pidfd == -ESRCH) return read_failure(r, -ESRCH);
    int err = ebb_proc_read_pidfd(r->o->pid, r->pidfd, r->o->pss, NULL, NULL, &probe);
    if (err) return read_failure(r, err);
    r->has_cgroup = ebb_cgroup_locate(r->o->pid, r->cg_root, sizeof r->cg_root, r->cg_dir,
                                      sizeof r->cg_dir) == 0;
    return 0;
}

static int open_replay(struct run *r) {
    char err[4200];
    if (ebb_replay_open(&r->replay, r->o->replay, &stop_signals, err, sizeof err) < 0) {
        if (stop_signals) return STOPPED;
        fprintf(stderr, "ebb watch: %s\n", err);
        return EBB_EXIT_RUNTIME;
    }
    r->replay.wait = wait_for_input;
    return 0;
}

/* Opened, not truncated (see watch_files.h); a FIFO's open waits for a reader, or a stop. */
static int open_output(struct run *r, struct ebb_outfile *f, const char *option, const char *path) {
    if (!path || ebb_outfile_open(f, path, &stop_signals) == 0) return 0;
    if (errno == EINTR && stop_signals) return STOPPED;
    return write_failed(r, option, path, EBB_EXIT_OK);
}

static int same_file_error(const char *option, const char *path, const char *other) {
    fprintf(stderr,
            "ebb watch: --%s file '%s' is the %s: writing it would destroy it\n"
            "Try 'ebb watch --help'.\n",
            option, path, other);
    return EBB_EXIT_USAGE;
}

static int check_same_files(const struct run *r) {
    const struct options *o = r->o;
    if (o->replay && o->record && ebb_same_regular_file(&r->replay.st, &r->record.st))
        return same_file_error("record", o->record, "--replay file");
    if (o->replay && o->plot && ebb_same_regular_file(&r->replay.st, &r->plot.st))
        return same_file_error("plot", o->plot, "--replay file");
    if (o->record && o->plot && ebb_same_regular_file(&r->record.st, &r->plot.st))
        return same_file_error("plot", o->plot, "--record file");
    return 0;
}

static int start_listener(struct run *r) {
    char err[256];
    if (!(r->http = ebb_http_start(r->o->listen, err, sizeof err))) {
        fprintf(stderr, "ebb watch: %s\n", err);
        return EBB_EXIT_RUNTIME;
    }
    fprintf(stderr, "ebb watch: serving metrics on port %d at /metrics\n", ebb_http_port(r->http));
    return 0;
}

/* In the forked child: the command, or its exec errno through the close-on-exec pipe. */
_Noreturn static void exec_command(char **cmd, int report_fd) {
    reset_child_signals();
    execvp(cmd[0], cmd);
    int e = errno;
    (void)!write(report_fd, &e, sizeof e);
    _exit(EBB_EXIT_NOEXEC);
}

/* Forks and execs the command, unless a stop signal came first. Signals are held across the fork
 * so that the child never runs our handlers, and from then on they are forwarded to it. */
static int start_command(struct run *r) {
    int fds[2], exec_errno = 0;
    if (pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "ebb watch: cannot start '%s': %s\n", r->o->cmd[0], strerror(errno));
        return EBB_EXIT_RUNTIME;
    }
    hold_signals();
    int stopped = stop_signals != 0;
    pid_t pid = stopped ? -1 : fork();
    if (pid == 0) exec_command(r->o->cmd, fds[1]);
    int e = errno;
    if (pid > 0) {
        r->child = r->o->pid = forward_to = pid;
        install_handlers(1);
    }
    release_signals();
    close(fds[1]);
    if (pid > 0 && read(fds[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno)
        exec_errno = 0;
    close(fds[0]);
    if (stopped) return STOPPED;
    if (pid < 0) {
        fprintf(stderr, "ebb watch: cannot start '%s': %s\n", r->o->cmd[0], strerror(e));
        return EBB_EXIT_RUNTIME;
    }
    if (exec_errno) {
        hold_signals();
        waitpid(pid, NULL, 0);
        r->child = forward_to = 0;
        release_signals();
        fprintf(stderr, "ebb watch: cannot run '%s': %s\n", r->o->cmd[0], strerror(exec_errno));
        return EBB_EXIT_NOEXEC;
    }
    /* The command's cgroup; it may be gone already, which the first sample will tell. */
    r->has_cgroup =
        ebb_cgroup_locate(pid, r->cg_root, sizeof r->cg_root, r->cg_dir, sizeof r->cg_dir) == 0;
    return 0;
}

/* Recording truncates the file: only now that the run is under way. */
static int start_record(struct run *r) {
    if (!r->record.path) return 0;
    if (ebb_outfile_start(&r->record) == 0 &&
        ebb_record_header(r->record.f, (int)r->o->pid, r->o->interval) == 0)
        return 0;
    int e = errno;
    char what[4200];
    snprintf(what, sizeof what, "cannot write --record file '%s'", r->o->record);
    errno = e;
    int code = output_lost(r, what, &r->record_lost);
    ebb_outfile_close(&r->record);
    return code;
}

/* Everything that can fail is tried before any file of the user's is truncated: the process, the
 * replay input, the output paths (opened, not truncated), the listener, the command. 0, STOPPED,
 * or an exit status. */
static int prepare(struct run *r) {
    const struct options *o = r->o;
    int code = 0;
    if (o->pid > 0) code = check_target(r);
    if (!code && o->replay) code = open_replay(r);
    if (!code) code = open_output(r, &r->record, "record", o->record);
    if (!code) code = open_output(r, &r->plot, "plot", o->plot);
    if (!code) code = check_same_files(r);
    if (!code && o->listen) code = start_listener(r);
    if (!code && o->cmd) code = start_command(r);
    if (!code) code = start_record(r);
    return code;
}

/* CPU time this process has used, user and system. */
static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* --plot at the end: the file is emptied and written only now, and only when there is a chart, so
 * a run that took no sample leaves it as it was. */
static int write_plot(struct run *r, int code) {
    if (!r->plot.path) return code;
    if (!r->hist.n) {
        ebb_outfile_close(&r->plot);
        fprintf(stderr, "ebb watch: no sample to draw: --plot file '%s' left as it was\n",
                r->o->plot);
        return code;
    }
    char title[256];
    snprintf(title, sizeof title, "ebb watch %s%s", r->o->replay ? "--replay " : "",
             r->o->replay ? r->o->replay
             : r->o->cmd  ? r->o->cmd[0]
                          : "");
    if (r->o->pid > 0 && !r->o->cmd) snprintf(title, sizeof title, "ebb watch %d", (int)r->o->pid);
    int e = 0;
    if (ebb_outfile_start(&r->plot) < 0 ||
        ebb_plot_svg(r->plot.f, &r->hist, r->o->det.levels, title) < 0)
        e = errno;
    if (ebb_outfile_close(&r->plot) < 0 && !e) e = errno;
    if (!e) return code;
    errno = e;
    return write_failed(r, "plot", r->o->plot, code);
}

/* cpu_start and wall_start: read together when the run began, so the summary's share of a core
 * covers the same stretch of time on both sides (not the program's start-up). */
static int finish(struct run *r, int code, double cpu_start, double wall_start) {
    code = write_plot(r, code);
    if (ebb_outfile_close(&r->record) < 0) code = write_failed(r, "record", r->o->record, code);
    ebb_replay_close(&r->replay);
    flush_stdout(r);
    if (r->stdout_lost || r->record_lost) code = lost_output_status(r, code);
    ebb_http_stop(r->http);
    if (r->pidfd >= 0) close(r->pidfd);
    wait_hooks(r);
    double cpu = cpu_seconds() - cpu_start;
    double wall = monotonic_now() - wall_start;
    char share[48] = ""; /* over less than a second, the clocks' steps would make it noise */
    if (wall >= 1) snprintf(share, sizeof share, " (%.3f%% of one core)", 100 * cpu / wall);
    if (r->samples)
        fprintf(stderr,
                "ebb watch: %" PRIu64 " samples, %" PRIu64 " alerts, cpu %.3fs over %.1fs%s\n",
                r->samples, r->alerts, cpu, wall, share);
    ebb_history_free(&r->hist);
    ebb_detector_free(&r->det);
    return code;
}

int ebb_cmd_watch(int argc, char **argv) {
    struct options o;
    int code = parse_options(argc, argv, &o);
    if (code) return code < 0 ? ebb_stdout_status("ebb watch", EBB_EXIT_OK) : code;
    struct run r;
    memset(&r, 0, sizeof r);
    r.o = &o;
    r.command_status = -1;
    r.pidfd = -1;
    r.last_hook_t = -INFINITY;
    r.replay.fd = -1;
    stop_signals = child_changed = 0;
    forward_to = 0;
    if (ebb_detector_init(&r.det, &o.det) < 0) {
        fprintf(stderr, "ebb watch: out of memory\n");
        return EBB_EXIT_RUNTIME;
    }
    ebb_history_init(&r.hist);
    double wall_start = monotonic_now(), cpu_start = cpu_seconds();
    setup_signals();
    code = prepare(&r);
    if (!code) code = o.replay ? replay_loop(&r) : live_loop(&r);
    if (code == STOPPED) code = finished_status(&r);
    if (r.child > 0) { /* we are leaving before our command: do not orphan it silently */
        forward_to = 0;
        kill(r.child, SIGTERM);
        waitpid(r.child, NULL, 0);
        r.child = 0;
    }
    code = finish(&r, code, cpu_start, wall_start);
    sigprocmask(SIG_SETMASK, &orig_mask, NULL);
    return code;
}
