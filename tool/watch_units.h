/* Command-line quantities of the watchdog: sizes ("512M", "1.5GiB", "4096"), durations ("500ms",
 * "30s", "5m"), rates ("10M/min") and plain numbers; and their human-readable output. Parsers
 * accept the whole string or nothing: they return 0 on success and -1 on any malformed, negative,
 * non-finite or out-of-range input, leaving *out unchanged. */
#ifndef EBB_TOOL_WATCH_UNITS_H
#define EBB_TOOL_WATCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Size in bytes. K/M/G/T (also Ki, KiB, ...) are powers of 1024; KB/MB/GB/TB powers of 1000;
 * a bare number (or with "B") is bytes and must be whole. Case of the letters is ignored. */
int ebb_parse_size(const char *s, uint64_t *out);

/* Duration in seconds: a number with ms, s, m (or min), h, d; a bare number is seconds. At most
 * EBB_MAX_DURATION: a year, which any interval or span of the watchdog is well within, and which
 * keeps every duration a valid time_t for sleeping. */
#define EBB_MAX_DURATION (366.0 * 86400.0)
int ebb_parse_duration(const char *s, double *out);

/* Rate in bytes per second: SIZE or SIZE/UNIT with UNIT one of s, m (or min), h. */
int ebb_parse_rate(const char *s, double *out);

/* A plain decimal number within [min, max]. */
int ebb_parse_number(const char *s, double min, double max, double *out);

/* A process ID: decimal digits only (no sign, blank or fraction), 1 to EBB_PID_MAX, the kernel's
 * largest. */
#define EBB_PID_MAX 4194304
int ebb_parse_pid(const char *s, int *out);

/* "104.9 MiB", "512 B", "-3.0 MiB" (one decimal, binary units). Returns buf. */
char *ebb_format_bytes(char *buf, size_t len, double bytes);

/* "45.0s", "12m03s", "3h05m", "2d04h". Returns buf. */
char *ebb_format_seconds(char *buf, size_t len, double seconds);

#endif
