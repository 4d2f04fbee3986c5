/*
 * ktime.h — the clocks, and times as text.
 *
 * One monotonic clock for every duration (OpenBSD httpd's getmonotime() is
 * the model), one wall clock for what is stored, and the one text form of
 * a time the API shows.
 */
#ifndef KA_KTIME_H
#define KA_KTIME_H

#include <stddef.h>
#include <stdint.h>

#define KTIME_TEXT_MAX 32       /* bytes of ktime_format()'s output, NUL included */

/* CLOCK_MONOTONIC in microseconds: for durations and deadlines only. */
int64_t ktime_mono_us(void);

/* Microseconds of CLOCK_MONOTONIC since START (a ktime_mono_us() value). */
int64_t ktime_since_us(int64_t start);

/* The wall clock (CLOCK_REALTIME) in microseconds since 1970, UTC. */
int64_t ktime_now_us(void);

/* Microseconds since 1970 (UTC) <-> "2018-08-03T11:09:51.396053Z": Go's
 * RFC 3339 with the fraction's trailing zeros cut, as the original
 * rendered them. ktime_parse accepts any RFC 3339 offset and up to 9
 * fractional digits (truncated to microseconds). Pure. */
void ktime_format(int64_t us, char out[KTIME_TEXT_MAX]);
int ktime_parse(const char *text, int64_t *us);

/* A duration of MS milliseconds the way the configuration writes one:
 * "24h", "90m" or "45s" (whole seconds). Pure. */
void ktime_duration_text(int64_t ms, char *buf, size_t size);

#endif
