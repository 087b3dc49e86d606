/* Sizes, durations and rates for the watchdog's command line.
 *
 * Every parser splits its input into a decimal number and a unit suffix. The number is checked by
 * hand before strtod sees it, because strtod also accepts "inf", "nan", hex floats, signs and
 * leading blanks, none of which a size or a duration may be. The suffix is looked up in a small
 * table. All the work is on the caller's string; nothing is allocated.
 */
#include "watch_units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    double factor;
};

/* Length of the leading "digits[.digits]" of s, or 0 when s does not start with one. */
static size_t number_prefix(const char *s, int *has_fraction) {
    size_t i = 0, digits = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    *has_fraction = 0;
    if (s[i] == '.') {
        i++;
        *has_fraction = 1;
        while (s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    return digits ? i : 0;
}

/* Splits s into its number and its suffix; -1 if there is no number or it is not finite. */
static int split_number(const char *s, double *value, const char **suffix, int *has_fraction) {
    if (!s) return -1;
    size_t n = number_prefix(s, has_fraction);
    if (n == 0 || n > 64) return -1;
    char num[72];
    memcpy(num, s, n);
    num[n] = '\0';
    double v = strtod(num, NULL);
    if (!isfinite(v)) return -1;
    *value = v;
    *suffix = s + n;
    return 0;
}

static const struct unit *find_unit(const struct unit *units, size_t count, const char *name) {
    for (size_t i = 0; i < count; i++)
        if (!strcasecmp(units[i].name, name)) return &units[i];
    return NULL;
}

#define KI 1024.0
static const struct unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", KI},
    {"ki", KI},
    {"kib", KI},
    {"kb", 1e3},
    {"m", KI *KI},
    {"mi", KI *KI},
    {"mib", KI *KI},
    {"mb", 1e6},
    {"g", KI *KI *KI},
    {"gi", KI *KI *KI},
    {"gib", KI *KI *KI},
    {"gb", 1e9},
    {"t", KI *KI *KI *KI},
    {"ti", KI *KI *KI *KI},
    {"tib", KI *KI *KI *KI},
    {"tb", 1e12},
};

/* Size of "NUMBER UNIT" where the suffix must be exactly a unit; used by sizes and rates. */
static int parse_size_part(const char *s, size_t len, double *out) {
    char buf[96];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    double v;
    const char *suffix;
    int frac;
    if (split_number(buf, &v, &suffix, &frac) < 0) return -1;
    const struct unit *u = find_unit(size_units, sizeof size_units / sizeof size_units[0], suffix);
    if (!u) return -1;
    /* A fraction of a byte means the user meant something else; refuse to guess. */
    if (u->factor == 1 && frac && v != floor(v)) return -1;
    double bytes = v * u->factor;
    if (bytes >= 18446744073709551615.0) return -1; /* 2^64: does not fit uint64_t */
    *out = floor(bytes + 0.5);
    return 0;
}

int ebb_parse_size(const char *s, uint64_t *out) {
    double bytes;
    if (!s || parse_size_part(s, strlen(s), &bytes) < 0) return -1;
    *out = (uint64_t)bytes;
    return 0;
}

static const struct unit time_units[] = {
    {"", 1}, {"ms", 1e-3}, {"s", 1}, {"sec", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {"d", 86400},
};

int ebb_parse_duration(const char *s, double *out) {
    double v;
    const char *suffix;
    int frac;
    if (split_number(s, &v, &suffix, &frac) < 0) return -1;
    const struct unit *u = find_unit(time_units, sizeof time_units / sizeof time_units[0], suffix);
    if (!u || v * u->factor > EBB_MAX_DURATION) return -1;
    *out = v * u->factor;
    return 0;
}

int ebb_parse_rate(const char *s, double *out) {
    if (!s) return -1;
    const char *slash = strchr(s, '/');
    size_t size_len = slash ? (size_t)(slash - s) : strlen(s);
    double bytes, per = 1;
    if (parse_size_part(s, size_len, &bytes) < 0) return -1;
    if (slash) {
        /* "/s", "/min", "/h": a unit without a number; "/5m" is not a rate anyone writes. */
        const struct unit *u =
            find_unit(time_units + 1, sizeof time_units / sizeof time_units[0] - 1, slash + 1);
        if (!u || u->factor < 1) return -1;
        per = u->factor;
    }
    *out = bytes / per;
    return 0;
}

int ebb_parse_number(const char *s, double min, double max, double *out) {
    double v;
    const char *suffix;
    int frac;
    if (split_number(s, &v, &suffix, &frac) < 0 || *suffix) return -1;
    if (v < min || v > max) return -1;
    *out = v;
    return 0;
}

int ebb_parse_pid(const char *s, int *out) {
    size_t digits = s ? strspn(s, "0123456789") : 0;
    if (!digits || s[digits] || digits > 7) return -1;
    long v = strtol(s, NULL, 10);
    if (v < 1 || v > EBB_PID_MAX) return -1;
    *out = (int)v;
    return 0;
}

char *ebb_format_bytes(char *buf, size_t len, double bytes) {
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double mag = fabs(bytes);
    size_t i = 0;
    while (mag >= 1024 && i + 1 < sizeof names / sizeof names[0])
        mag /= 1024, i++;
    if (i == 0)
        snprintf(buf, len, "%.0f B", bytes);
    else
        snprintf(buf, len, "%.1f %s", bytes < 0 ? -mag : mag, names[i]);
    return buf;
}

char *ebb_format_seconds(char *buf, size_t len, double seconds) {
    if (!isfinite(seconds)) {
        snprintf(buf, len, "inf");
        return buf;
    }
    if (seconds < 60) {
        snprintf(buf, len, "%.1fs", seconds);
        return buf;
    }
    unsigned long long s = (unsigned long long)(seconds + 0.5);
    if (s < 3600)
        snprintf(buf, len, "%llum%02llus", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, len, "%lluh%02llum", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, len, "%llud%02lluh", s / 86400, s % 86400 / 3600);
    return buf;
}
