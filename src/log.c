/*
 * log.c — stderr or syslog, levels 1..9.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "kubernetes-auth";
static int log_level = LOG_LVL_INFO;
static bool log_syslog;
static int log_pinned;

void
log_init(const char *ident, int level, bool use_syslog)
{
	log_ident = ident;
	log_level = log_pinned != 0 ? log_pinned : level;
	if (log_syslog && !use_syslog)
		closelog();
	log_syslog = use_syslog;
	if (log_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int level)
{
	log_level = level;
}

void
log_pin_level(int level)
{
	log_pinned = level;
	if (level != 0)
		log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

bool
log_enabled(int level)
{
	return level <= log_level;
}

void
log_sanitize(char *buf, size_t size, const char *text)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; text[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = text[i];
		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	buf[i] = '\0';
	if (text[i] != '\0' && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

void
log_reopen(void)
{
	if (log_syslog) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

static int
log_priority(int level)
{
	if (level <= LOG_LVL_ERROR)
		return LOG_ERR;
	if (level <= LOG_LVL_WARN)
		return LOG_WARNING;
	if (level <= LOG_LVL_INFO)
		return LOG_NOTICE;
	if (level <= LOG_LVL_ACCESS)
		return LOG_INFO;
	return LOG_DEBUG;
}

static const char *
log_label(int level)
{
	if (level <= LOG_LVL_ERROR)
		return "error";
	if (level <= LOG_LVL_WARN)
		return "warning";
	if (level <= LOG_LVL_INFO)
		return "info";
	if (level <= LOG_LVL_ACCESS)
		return "access";
	return "debug";
}

/* One line, one write(2): lines from several workers sharing stderr do not
 * interleave. errnum >= 0 appends strerror(errnum). */
static void log_vwrite(int, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vwrite(int level, int errnum, const char *fmt, va_list ap)
{
	/* The stamp of the second last written: a busy worker writes many
	 * lines a second, and gmtime_r + strftime cost more than the rest of
	 * a short line. */
	static time_t stamp_sec = -1;
	static char stamp[32];
	char line[2200];
	struct timespec ts;
	struct tm tm;
	size_t head, n;
	int k;

	if (level > log_level)
		return;
	if (log_syslog) {
		char msg[2048];
		k = vsnprintf(msg, sizeof(msg), fmt, ap);
		if (k < 0)
			return;
		if (errnum >= 0 && (size_t)k < sizeof(msg))
			snprintf(msg + k, sizeof(msg) - k, ": %s", strerror(errnum));
		syslog(log_priority(level), "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp_sec = ts.tv_sec;
	}
	/* The message is formatted in place after its prefix, at most 2047
	 * bytes of it as before. */
	k = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld]: %s: ", stamp,
	    ts.tv_nsec / 1000000, log_ident, (long)getpid(), log_label(level));
	if (k < 0 || (size_t)k >= sizeof(line) - 2048)
		return;
	head = (size_t)k;
	k = vsnprintf(line + head, 2048, fmt, ap);
	if (k < 0)
		return;
	n = head + ((size_t)k < 2048 ? (size_t)k : 2047);
	if (errnum >= 0 && n < head + 2047) {
		k = snprintf(line + n, head + 2048 - n, ": %s", strerror(errnum));
		if (k > 0)
			n += (size_t)k < head + 2048 - n ? (size_t)k : head + 2047 - n;
	}
	line[n++] = '\n';
	/* Nothing sensible to do when stderr is gone. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void
log_at(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, -1, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_WARN, -1, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_INFO, -1, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_DEBUG, -1, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, saved, fmt, ap);
	va_end(ap);
	/* _exit: a fatal error is not the place for atexit handlers (nor for
	 * LeakSanitizer to report what was deliberately not freed). */
	_exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, -1, fmt, ap);
	va_end(ap);
	/* _exit: a fatal error is not the place for atexit handlers (nor for
	 * LeakSanitizer to report what was deliberately not freed). */
	_exit(1);
}
