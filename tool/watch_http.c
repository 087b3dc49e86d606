/* Prometheus metrics over HTTP.
 *
 * We bind the listening socket ourselves and hand it to libmicrohttpd (MHD_OPTION_LISTEN_SOCKET):
 * that way a port already in use is reported with its errno, and IPv4/IPv6 is decided by the
 * address given, not by build options. libmicrohttpd runs one internal polling thread; its
 * handler formats the last published snapshot, copied under `lock`. Only GET/HEAD /metrics
 * is served; "/" points there; anything else is 404 (or 405 for other methods).
 */
#include "watch_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ebb_http {
    struct MHD_Daemon *daemon;
    int fd, port;
    pthread_mutex_t lock;
    struct ebb_metrics last;
};

/* Appends to buf like snprintf, tracking the length needed even past the end. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*at < len ? buf + *at : NULL, *at < len ? len - *at : 0, fmt, ap);
    va_end(ap);
    if (n > 0) *at += (size_t)n;
}

static void gauge(char *buf, size_t len, size_t *at, const char *name, const char *help, double v) {
    put(buf, len, at, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

static void counter(char *buf, size_t len, size_t *at, const char *name, const char *help,
                    uint64_t v) {
    put(buf, len, at, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
        (unsigned long long)v);
}

size_t ebb_metrics_format(char *buf, size_t len, const struct ebb_metrics *m) {
    size_t at = 0;
    if (len) buf[0] = '\0';
    /* A replay watches no process: the label is left out (the JSON's pid is null then), for a
     * pid="0" would read as a process ID. */
    put(buf, len, &at,
        "# HELP ebb_watch_info The watched process (no pid in a replay).\n"
        "# TYPE ebb_watch_info gauge\n");
    if (m->pid > 0)
        put(buf, len, &at, "ebb_watch_info{pid=\"%d\"} 1\n", m->pid);
    else
        put(buf, len, &at, "ebb_watch_info 1\n");
    counter(buf, len, &at, "ebb_watch_samples_total", "Samples taken.", m->samples);
    counter(buf, len, &at, "ebb_watch_alerts_total", "Alerts raised (level entered, leak, OOM).",
            m->alerts);
    counter(buf, len, &at, "ebb_watch_hook_failures_total",
            "--on-alert commands that exited non-zero, were killed or could not run.",
            m->hook_failures);
    gauge(buf, len, &at, "ebb_watch_rss_bytes", "Resident set size.", m->rss);
    gauge(buf, len, &at, "ebb_watch_anon_bytes", "Anonymous resident memory.", m->anon);
    gauge(buf, len, &at, "ebb_watch_file_bytes", "File-backed resident memory.", m->file);
    gauge(buf, len, &at, "ebb_watch_swap_bytes", "Swapped-out memory.", m->swap);
    if (m->has_pss) gauge(buf, len, &at, "ebb_watch_pss_bytes", "Proportional set size.", m->pss);
    gauge(buf, len, &at, "ebb_watch_baseline_bytes", "Rolling median of the RSS.", m->baseline);
    gauge(buf, len, &at, "ebb_watch_ratio", "RSS over baseline.", m->ratio);
    gauge(buf, len, &at, "ebb_watch_severity", "Level: 0 none, 1 light, 2 medium, 3 severe.",
          m->severity);
    gauge(buf, len, &at, "ebb_watch_leak", "1 while sustained growth is reported.", m->leak);
    gauge(buf, len, &at, "ebb_watch_leak_bytes_per_second", "Leak rate, 0 when no leak.",
          m->leak ? m->leak_rate : 0);
    put(buf, len, &at,
        "# HELP ebb_watch_eta_seconds Time left before the limit at the leak rate, "
        "+Inf when none.\n# TYPE ebb_watch_eta_seconds gauge\n"
        "ebb_watch_eta_seconds %s\n",
        m->eta >= 0 ? "" : "+Inf");
    if (m->eta >= 0) {
        at--; /* replace the newline just written by the value */
        put(buf, len, &at, "%.17g\n", m->eta);
    }
    if (m->has_cgroup) {
        gauge(buf, len, &at, "ebb_watch_cgroup_memory_current_bytes", "cgroup memory.current.",
              m->cg_current);
        if (m->cg_max >= 0)
            gauge(buf, len, &at, "ebb_watch_cgroup_memory_max_bytes",
                  "Tightest memory.max of the cgroup and its ancestors.", m->cg_max);
        counter(buf, len, &at, "ebb_watch_cgroup_oom_total", "cgroup memory.events oom.",
                m->cg_oom);
        counter(buf, len, &at, "ebb_watch_cgroup_oom_kill_total", "cgroup memory.events oom_kill.",
                m->cg_oom_kill);
    }
    return at;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg) {
    snprintf(err, errlen, fmt, arg);
    return -1;
}

int ebb_listen_parse(const char *spec, struct sockaddr_storage *addr, socklen_t *addrlen, char *err,
                     size_t errlen) {
    char host[128] = "127.0.0.1";
    const char *port_str = spec, *colon = strrchr(spec, ':');
    if (colon) {
        size_t n = (size_t)(colon - spec);
        if (n >= sizeof host) return fail(err, errlen, "bad listen address '%s'", spec);
        if (n) {
            memcpy(host, spec, n);
            host[n] = '\0';
        }
        port_str = colon + 1;
    }
    /* Digits only: strtol alone would also take blanks and a sign before them. */
    size_t digits = strspn(port_str, "0123456789");
    long port = digits && digits <= 5 && !port_str[digits] ? strtol(port_str, NULL, 10) : -1;
    if (port < 0 || port > 65535)
        return fail(err, errlen, "bad port in listen address '%s' (expected [HOST:]PORT)", spec);
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    memset(addr, 0, sizeof *addr);
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        host[hl - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return fail(err, errlen, "bad IPv6 address in '%s'", spec);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *addrlen = sizeof *a6;
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return fail(err, errlen, "bad address in '%s' (use a numeric IP, [IPv6] or localhost)",
                    spec);
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *addrlen = sizeof *a4;
    return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state) {
    (void)version, (void)upload, (void)upload_size, (void)state;
    struct ebb_http *h = cls;
    static const char text[] = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n", 19);
    if (!strcmp(url, "/"))
        return reply(c, MHD_HTTP_OK, text, "ebb watch: metrics at /metrics\n", 31);
    if (strcmp(url, "/metrics")) return reply(c, MHD_HTTP_NOT_FOUND, text, "not found\n", 10);
    struct ebb_metrics m;
    pthread_mutex_lock(&h->lock);
    m = h->last;
    pthread_mutex_unlock(&h->lock);
    char small[4096];
    size_t need = ebb_metrics_format(small, sizeof small, &m);
    if (need < sizeof small)
        return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", small, need);
    char *big = malloc(need + 1);
    if (!big) return MHD_NO;
    ebb_metrics_format(big, need + 1, &m);
    enum MHD_Result ret =
        reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", big, need);
    free(big);
    return ret;
}

/* A listening socket bound to `spec`; -1 with a message naming the address and the errno. */
static int bind_socket(const char *spec, int *port, char *err, size_t errlen) {
    struct sockaddr_storage addr;
    socklen_t len;
    if (ebb_listen_parse(spec, &addr, &len, err, errlen) < 0) return -1;
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0) return fail(err, errlen, "cannot create a socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, len) < 0 || listen(fd, 16) < 0) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(e));
        return -1;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    getsockname(fd, (struct sockaddr *)&bound, &blen);
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    return fd;
}

struct ebb_http *ebb_http_start(const char *spec, char *err, size_t errlen) {
    struct ebb_http *h = calloc(1, sizeof *h);
    if (!h) {
        fail(err, errlen, "%s", "out of memory");
        return NULL;
    }
    h->fd = bind_socket(spec, &h->port, err, errlen);
    if (h->fd < 0) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->last.eta = -1;
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC, 0, NULL, NULL,
                                 handle, h, MHD_OPTION_LISTEN_SOCKET, h->fd,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!h->daemon) {
        fail(err, errlen, "cannot start the HTTP server on %s", spec);
        close(h->fd);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    return h;
}

int ebb_http_port(const struct ebb_http *h) {
    return h->port;
}

void ebb_http_publish(struct ebb_http *h, const struct ebb_metrics *m) {
    pthread_mutex_lock(&h->lock);
    h->last = *m;
    pthread_mutex_unlock(&h->lock);
}

void ebb_http_stop(struct ebb_http *h) {
    if (!h) return;
    /* Quiescing hands the listening socket back, so it is closed exactly once, by us. */
    MHD_socket fd = MHD_quiesce_daemon(h->daemon);
    MHD_stop_daemon(h->daemon);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
