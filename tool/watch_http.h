/* --listen: the watchdog's figures as Prometheus text exposition at /metrics, served by
 * libmicrohttpd from its own thread. The sampling loop publishes a snapshot after each sample;
 * the server only ever copies the last one under a mutex, so a slow scraper never delays
 * sampling. */
#ifndef EBB_TOOL_WATCH_HTTP_H
#define EBB_TOOL_WATCH_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ebb_metrics {
    int pid; /* 0 in replay: the info metric then has no pid label */
    uint64_t samples, alerts;
    uint64_t hook_failures; /* --on-alert commands that failed */
    double rss, anon, file, swap, pss;
    int has_pss;
    double baseline, ratio;
    int severity; /* 0 none .. 3 severe */
    int leak;
    double leak_rate; /* bytes/s, 0 when no leak */
    double eta;       /* seconds, -1 when none */
    int has_cgroup;
    double cg_current, cg_max; /* cg_max < 0: no limit */
    uint64_t cg_oom, cg_oom_kill;
};

/* Prometheus text format (version 0.0.4) of *m into buf; returns the length it needs, like
 * snprintf (retry with a larger buffer when that is >= len). */
size_t ebb_metrics_format(char *buf, size_t len, const struct ebb_metrics *m);

/* "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT" with a numeric HOST or "localhost"; no host means
 * the loopback address 127.0.0.1. 0, or -1 with a message in err. */
int ebb_listen_parse(const char *spec, struct sockaddr_storage *addr, socklen_t *addrlen, char *err,
                     size_t errlen);

struct ebb_http;

/* Binds and starts serving; NULL with a message in err (e.g. "address already in use"). */
struct ebb_http *ebb_http_start(const char *spec, char *err, size_t errlen);
/* The port actually bound (useful with port 0). */
int ebb_http_port(const struct ebb_http *h);
void ebb_http_publish(struct ebb_http *h, const struct ebb_metrics *m);
void ebb_http_stop(struct ebb_http *h);

#endif
