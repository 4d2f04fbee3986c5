/*
 * log.c — stderr or syslog, levels 1..9.
 */
#include "log.h"
#include "textbuf.h"

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

/* The prefix of a stderr line into LINE (at least 160 bytes): the time,
 * the ident and pid, the level. Returns its length, or 0. The stamp of
 * the second last written is kept: a busy worker writes many lines a
 * second, and gmtime_r + strftime cost more than the rest of a line. */
static size_t
log_prefix(int level, char *line, size_t size)
{
	static time_t stamp_sec = -1;
	static char stamp[32];
	struct textbuf b = { .text = line, .size = size, .len = 0 };
	struct timespec ts;
	struct tm tm;
	long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != stamp_sec) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S.", &tm);
		stamp_sec = ts.tv_sec;
	}
	/* "%s%03ldZ %s[%ld]: %s: ", appended: a line per request. */
	ms = ts.tv_nsec / 1000000;
	textbuf_add(&b, stamp);
	textbuf_addn(&b, (char[]){ (char)('0' + ms / 100),
	    (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z', ' ' }, 5);
	textbuf_add(&b, log_ident);
	textbuf_add(&b, "[");
	textbuf_num(&b, (long long)getpid());
	textbuf_add(&b, "]: ");
	textbuf_add(&b, log_label(level));
	textbuf_add(&b, ": ");
	return b.len < size ? b.len : 0;
}

/* Write the message TEXT (LEN bytes, at most LOG_LINE_MAX) at LEVEL: one
 * line, one write(2), so that lines from several workers sharing stderr
 * do not interleave. */
static void
log_write_text(int level, const char *text, size_t len)
{
	char line[LOG_LINE_MAX + 160];
	size_t head;

	if (log_syslog) {
		syslog(log_priority(level), "%.*s", (int)len, text);
		return;
	}
	if ((head = log_prefix(level, line, 158)) == 0)
		return;
	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	memcpy(line + head, text, len);
	line[head + len] = '\n';
	/* Nothing sensible to do when stderr is gone. */
	if (write(STDERR_FILENO, line, head + len + 1) < 0)
		return;
}

/* errnum >= 0 appends strerror(errnum). */
static void log_vwrite(int, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));
static void
log_vwrite(int level, int errnum, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX + 1];
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (errnum >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	log_write_text(level, msg, strnlen(msg, sizeof(msg)));
}

void
log_text(int level, const char *text, size_t len)
{
	if (level <= log_level)
		log_write_text(level, text, len);
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
