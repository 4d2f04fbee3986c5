/*
 * log.h — a tiny logging API in the style of OpenBSD's log.c.
 *
 * Levels run 1 (least) .. 9 (most verbose); a message is written when its
 * level is <= the configured one. The *_warn variants append strerror(errno).
 * Messages must never contain a token, password or key.
 */
#ifndef KA_LOG_H
#define KA_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	LOG_LVL_ERROR = 1,      /* the process cannot go on */
	LOG_LVL_WARN  = 3,      /* something failed; the service goes on */
	LOG_LVL_INFO  = 4,      /* audit lines, start/stop (default level) */
	LOG_LVL_ACCESS = 5,     /* one line per request */
	LOG_LVL_DEBUG = 7,
};

/* Set up logging; ident is the syslog ident and the stderr prefix. */
void log_init(const char *ident, int level, bool use_syslog);
void log_set_level(int level);
/* Fix the level (the -log-level flag): later log_init() calls keep it. */
void log_pin_level(int level);
int log_get_level(void);
/* Reopen the target (SIGUSR1); a no-op for stderr. */
void log_reopen(void);
bool log_enabled(int level);
/* Copy untrusted text into BUF for a log line: control and non-ASCII bytes
 * become '?', long text is cut with "...". */
void log_sanitize(char *buf, size_t size, const char *text);

/*
 * A line built piece by piece, for the lines written on every request (the
 * audit lines): appending a piece costs what copying it costs, where
 * printf parses its format and dispatches on every conversion. A line
 * longer than LOG_LINE_MAX is cut. Built on the stack:
 *
 *	struct log_line l = LOG_LINE_INIT;
 *	log_line_add(&l, "audit: ...");  log_line_shown(&l, user, 159);
 *	log_line_write(LOG_LVL_INFO, &l);
 */
#define LOG_LINE_MAX 2047
struct log_line {
	size_t len;
	char text[LOG_LINE_MAX + 1];
};
#define LOG_LINE_INIT { .len = 0 }
void log_line_add(struct log_line *l, const char *s);
/* Untrusted text as log_sanitize() shows it in a buffer of MAX + 1 bytes:
 * control and non-ASCII bytes become '?', text longer than MAX is cut
 * with "...". */
void log_line_shown(struct log_line *l, const char *s, size_t max);
void log_line_num(struct log_line *l, long long v);
/* Write L at LEVEL, as log_at() would write its text. */
void log_line_write(int level, const struct log_line *l);

void log_at(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
