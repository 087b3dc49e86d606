/* Sizes, durations, rates and numbers of the watchdog's command line: every accepted form and
 * the malformed ones that must be refused (never half-parsed). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../tool/watch_units.h"
#include "check.h"

static void test_sizes(void) {
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"0", 0},
        {"4096", 4096},
        {"4096B", 4096},
        {"512M", 512ull << 20},
        {"512m", 512ull << 20},
        {"2G", 2ull << 30},
        {"1.5GiB", 3ull << 29},
        {"1.5gib", 3ull << 29},
        {"1Ki", 1024},
        {"1K", 1024},
        {"1KB", 1000},
        {"1MB", 1000000},
        {"2GB", 2000000000},
        {"1T", 1ull << 40},
        {"0.5K", 512},
        {"1.", 1},
        {".5M", 1ull << 19},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 12345;
        CHECK(ebb_parse_size(ok[i].text, &v) == 0);
        CHECK_EQ_U(v, ok[i].bytes);
    }
    static const char *const bad[] = {"",      "M",     "-1G",          "+1G",  " 1G", "1G ",
                                      "1.5",   "12Q",   "1e3",          "0x10", "inf", "nan",
                                      "1GiBB", "1..5G", "99999999999T", "1 G",  NULL};
    uint64_t v = 777;
    for (size_t i = 0; bad[i]; i++) {
        if (ebb_parse_size(bad[i], &v) != -1) fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(ebb_parse_size(bad[i], &v) == -1);
    }
    CHECK(ebb_parse_size(NULL, &v) == -1);
    CHECK_EQ_U(v, 777); /* untouched on failure */
}

static void test_durations(void) {
    double v;
    CHECK(ebb_parse_duration("1", &v) == 0 && v == 1);
    CHECK(ebb_parse_duration("500ms", &v) == 0 && fabs(v - 0.5) < 1e-12);
    CHECK(ebb_parse_duration("16.667ms", &v) == 0 && fabs(v - 0.016667) < 1e-12);
    CHECK(ebb_parse_duration("30s", &v) == 0 && v == 30);
    CHECK(ebb_parse_duration("5m", &v) == 0 && v == 300);
    CHECK(ebb_parse_duration("5min", &v) == 0 && v == 300);
    CHECK(ebb_parse_duration("1.5h", &v) == 0 && v == 5400);
    CHECK(ebb_parse_duration("1d", &v) == 0 && v == 86400);
    CHECK(ebb_parse_duration("366d", &v) == 0 && v == EBB_MAX_DURATION);
    static const char *const bad[] = {"",     "s",   "-1s",      "1x",   "1 s",
                                      "1e2s", "inf", "3parsecs", "367d", "99999999999999999999999d",
                                      NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(ebb_parse_duration(bad[i], &v) == -1);
}

static void test_rates_and_numbers(void) {
    double v;
    CHECK(ebb_parse_rate("1M", &v) == 0 && v == 1048576);
    CHECK(ebb_parse_rate("1M/s", &v) == 0 && v == 1048576);
    CHECK(ebb_parse_rate("60M/min", &v) == 0 && v == 1048576);
    CHECK(ebb_parse_rate("60M/m", &v) == 0 && v == 1048576);
    CHECK(ebb_parse_rate("3600K/h", &v) == 0 && v == 1024);
    static const char *const bad[] = {"",      "/s",    "1M/", "1M/fortnight",
                                      "1M/5m", "1M/ms", "x/s", NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(ebb_parse_rate(bad[i], &v) == -1);
    CHECK(ebb_parse_number("1.3", 1, 10, &v) == 0 && v == 1.3);
    CHECK(ebb_parse_number("0.5", 1, 10, &v) == -1);
    CHECK(ebb_parse_number("11", 1, 10, &v) == -1);
    CHECK(ebb_parse_number("2x", 1, 10, &v) == -1);
}

static void test_formatting(void) {
    char buf[32];
    CHECK(!strcmp(ebb_format_bytes(buf, sizeof buf, 512), "512 B"));
    CHECK(!strcmp(ebb_format_bytes(buf, sizeof buf, 1536), "1.5 KiB"));
    CHECK(!strcmp(ebb_format_bytes(buf, sizeof buf, 104857600), "100.0 MiB"));
    CHECK(!strcmp(ebb_format_bytes(buf, sizeof buf, -3 * 1048576.0), "-3.0 MiB"));
    CHECK(!strcmp(ebb_format_seconds(buf, sizeof buf, 45), "45.0s"));
    CHECK(!strcmp(ebb_format_seconds(buf, sizeof buf, 723), "12m03s"));
    CHECK(!strcmp(ebb_format_seconds(buf, sizeof buf, 3 * 3600 + 300), "3h05m"));
    CHECK(!strcmp(ebb_format_seconds(buf, sizeof buf, 2 * 86400 + 4 * 3600), "2d04h"));
    CHECK(!strcmp(ebb_format_seconds(buf, sizeof buf, INFINITY), "inf"));
}

int main(void) {
    RUN(test_sizes);
    RUN(test_durations);
    RUN(test_rates_and_numbers);
    RUN(test_formatting);
    return check_summary();
}
