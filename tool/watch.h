/* Shared declarations of the process-memory watchdog (`ebb watch`, `ebb check`).
 *
 * The watchdog is split so that every decision can be tested without a live process:
 *   watch_units.c   sizes, durations and rates from the command line; human-readable output
 *   watch_detect.c  the detector: baseline, spike levels with hysteresis, Theil–Sen leak rate
 *                   and time left (pure functions over (time, bytes) samples, no I/O)
 *   watch_proc.c    one sample of a process: /proc/PID/status, smaps_rollup, cgroup v2 files
 *   watch_series.c  --record / --replay CSV, and the sample history kept for --plot
 *   watch_files.c   output files opened without truncating until the run starts; stdout checks
 *   watch_plot.c    the SVG chart
 *   watch_http.c    Prometheus text exposition and the libmicrohttpd server behind --listen
 *   watch.c         `ebb watch`: options, the sampling loop, alerts, launching a command
 *   check.c         `ebb check`: one short measurement, exit 0 healthy / 1 unhealthy
 */
#ifndef EBB_TOOL_WATCH_H
#define EBB_TOOL_WATCH_H

/* Exit statuses of `ebb watch` and `ebb check` (documented in --help and docs/watch.md). A
 * watched command (`ebb watch -- CMD`) passes its own status through instead. */
enum ebb_watch_exit {
    EBB_EXIT_OK = 0,       /* healthy / finished without an alert */
    EBB_EXIT_ALERT = 1,    /* check: unhealthy; watch: at least one alert was raised */
    EBB_EXIT_USAGE = 2,    /* bad option, malformed size/duration, garbage in a replay file */
    EBB_EXIT_GONE = 3,     /* no such process, or it exited while watched */
    EBB_EXIT_DENIED = 4,   /* permission denied reading the process */
    EBB_EXIT_RUNTIME = 5,  /* port in use, cannot read or write a file or stdout, cannot fork */
    EBB_EXIT_NOEXEC = 127, /* `ebb watch -- CMD`: CMD could not be executed */
};

/* The shortest --interval of `ebb watch` and `ebb check`: a sample (a /proc read, a detector step
 * of up to a tenth of a millisecond, a line of output) must fit in it with room to spare, or the
 * samples would come as fast as they can be taken rather than when asked, and neither the text
 * output (0.1 s) nor --record (1 us) could tell their times apart. */
#define EBB_MIN_INTERVAL 0.001

#endif
