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

/* Write TEXT (LEN bytes; a longer one is cut at LOG_LINE_MAX) at LEVEL, as
 * log_at() writes its message: for lines built with textbuf.h. */
#define LOG_LINE_MAX 2047
void log_text(int level, const char *text, size_t len);

void log_at(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
