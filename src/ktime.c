/*
 * ktime.c — the clocks, and times as text.
 */
#include "ktime.h"

#include <stdio.h>
#include <time.h>

int64_t
ktime_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
ktime_since_us(int64_t start)
{
	return ktime_mono_us() - start;
}


void
ktime_format(int64_t us, char out[KTIME_TEXT_MAX])
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	n = strftime(out, KTIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0) {
		char digits[8];
		int len = 6;
		snprintf(digits, sizeof(digits), "%06ld", frac);
		while (len > 0 && digits[len - 1] == '0')
			len--;
		n += snprintf(out + n, KTIME_TEXT_MAX - n, ".%.*s", len, digits);
	}
	snprintf(out + n, KTIME_TEXT_MAX - n, "Z");
}

static int
ktime_digits(const char **p, int n, int *value)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*value = v;
	return 0;
}

int
ktime_parse(const char *text, int64_t *us)
{
	const char *p = text;
	int year, mon, day, hour, min, sec, frac = 0, fdigits = 0, off = 0;
	struct tm tm = { 0 };

	if (ktime_digits(&p, 4, &year) < 0 || *p++ != '-' ||
	    ktime_digits(&p, 2, &mon) < 0 || *p++ != '-' ||
	    ktime_digits(&p, 2, &day) < 0 || (*p != 'T' && *p != 't'))
		return -1;
	p++;
	if (ktime_digits(&p, 2, &hour) < 0 || *p++ != ':' ||
	    ktime_digits(&p, 2, &min) < 0 || *p++ != ':' ||
	    ktime_digits(&p, 2, &sec) < 0)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			if (fdigits < 6) {
				frac = frac * 10 + (*p - '0');
				fdigits++;
			} else if (++fdigits > 9) {
				return -1;
			}
			p++;
		}
		for (int i = fdigits; i < 6; i++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (ktime_digits(&p, 2, &oh) < 0 || *p++ != ':' ||
		    ktime_digits(&p, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 ||
	    hour > 23 || min > 59 || sec > 59 || year < 1000)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm normalises Feb 30 to Mar 2: refuse dates that moved. */
	struct tm check;
	gmtime_r(&t, &check);
	if (check.tm_mday != day || check.tm_mon != mon - 1)
		return -1;
	*us = ((int64_t)t - off) * 1000000 + frac;
	return 0;
}

int64_t
ktime_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
ktime_duration_text(int64_t ms, char *buf, size_t size)
{
	if (ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
}
