/* stats.c — statistics as text and JSON, and status descriptions. */
#include <stdarg.h>
#include <stdio.h>

#include "ebb/ebb.h"

const char *ebb_strerror(int status) {
    switch (status) {
    case EBB_OK:
        return "ok";
    case EBB_INSERTED:
        return "inserted";
    case EBB_ENOMEM:
        return "out of memory";
    case EBB_EINVAL:
        return "invalid argument";
    case EBB_ESYS:
        return "the system refused a resource";
    default:
        return "unknown status";
    }
}

/* A bounded writer: appends like snprintf and counts what the whole text needs. */
typedef struct out {
    char *buf;
    size_t len, used;
} out;

static void put(out *o, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->used < o->len ? o->len - o->used : 0;
    int n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->used += (size_t)n;
}

/* A fraction >= 0 with `places` decimals, with a point whatever the locale: printf's %f writes
 * the locale's separator, and "load":0,52 is not JSON. Not finite or absurd values print 0. */
static void put_fixed(out *o, double v, int places) {
    unsigned long long scale = 1;
    for (int i = 0; i < places; i++)
        scale *= 10;
    if (!(v >= 0 && v < 1e12)) v = 0;
    unsigned long long units = (unsigned long long)(v * (double)scale + 0.5);
    put(o, "%llu.%0*llu", units / scale, places, units % scale);
}

static int finish(out *o) {
    if (o->len) o->buf[o->used < o->len ? o->used : o->len - 1] = '\0';
    return (int)o->used;
}

int ebb_stats_text(const ebb_stats *st, char *buf, size_t len) {
    out o = {buf, len, 0};
    put(&o, "entries        %zu\n", st->entries);
    put(&o, "slots          %zu\n", st->slots);
    put(&o, "bytes          %zu\n", st->bytes);
    put(&o, "load           ");
    put_fixed(&o, st->load, 3);
    put(&o, "\n");
    put(&o, "capacity       %zu\n", st->capacity);
    put(&o, "longest_probe  %u%s\n", st->longest_probe,
        st->longest_probe == EBB_PROBE_BUCKETS - 1 ? "+" : "");
    put(&o, "mean_probe     ");
    put_fixed(&o, st->mean_probe, 4);
    put(&o, "\n");
    put(&o, "probe_hist    ");
    for (int b = 0; b < EBB_PROBE_BUCKETS; b++)
        put(&o, " %zu", st->probe_hist[b]);
    put(&o, "\ntombstones     %zu\n", st->tombstones);
    put(&o, "migrating      %zu\n", st->migrating);
    put(&o, "saturated      %zu\n", st->saturated);
    put(&o, "grows          %llu\n", (unsigned long long)st->grows);
    put(&o, "shrinks        %llu\n", (unsigned long long)st->shrinks);
    put(&o, "moved          %llu\n", (unsigned long long)st->moved);
    put(&o, "repaired       %llu\n", (unsigned long long)st->repaired);
    return finish(&o);
}

int ebb_stats_json(const ebb_stats *st, char *buf, size_t len) {
    out o = {buf, len, 0};
    put(&o, "{\"entries\":%zu,\"slots\":%zu,\"bytes\":%zu,\"load\":", st->entries, st->slots,
        st->bytes);
    put_fixed(&o, st->load, 6);
    put(&o, ",\"capacity\":%zu,\"longest_probe\":%u,\"mean_probe\":", st->capacity,
        st->longest_probe);
    put_fixed(&o, st->mean_probe, 6);
    put(&o, ",\"probe_hist\":[");
    for (int b = 0; b < EBB_PROBE_BUCKETS; b++)
        put(&o, "%s%zu", b ? "," : "", st->probe_hist[b]);
    put(&o, "],\"tombstones\":%zu,\"migrating\":%zu,\"saturated\":%zu,", st->tombstones,
        st->migrating, st->saturated);
    put(&o, "\"grows\":%llu,\"shrinks\":%llu,\"moved\":%llu,\"repaired\":%llu}",
        (unsigned long long)st->grows, (unsigned long long)st->shrinks,
        (unsigned long long)st->moved, (unsigned long long)st->repaired);
    return finish(&o);
}
