/*
 * t-log.c — the log line builder: the same text as log_sanitize() and
 * printf would make, and its bound.
 */
#include <stdio.h>
#include <string.h>

#include "../../src/log.h"
#include "tap.h"

/* log_line_shown(TEXT, MAX) against log_sanitize() into MAX + 1 bytes. */
static void
shown_as_sanitized(const char *text, size_t max, const char *what)
{
	struct log_line l = LOG_LINE_INIT;
	char want[512];

	log_sanitize(want, max + 1, text);
	log_line_shown(&l, text, max);
	l.text[l.len] = '\0';
	is_str(l.text, want, "shown = log_sanitize: %s", what);
}

int
main(void)
{
	struct log_line l = LOG_LINE_INIT;
	char want[64], big[LOG_LINE_MAX + 100];
	long long nums[] = { 0, 7, -7, 42, 1234567890123LL, -9223372036854775807LL - 1 };
	size_t i;

	shown_as_sanitized("alice@example.org", 159, "plain text");
	shown_as_sanitized("", 159, "empty");
	shown_as_sanitized("a\nb\tc\x7f\xc3\xa4", 159, "control and non-ASCII bytes");
	memset(big, 'x', 300);
	big[300] = '\0';
	shown_as_sanitized(big, 159, "300 bytes cut to 159 with ...");
	big[159] = '\0';
	shown_as_sanitized(big, 159, "exactly 159 bytes: not cut");
	big[160] = '\0';
	big[159] = 'y';
	shown_as_sanitized(big, 159, "160 bytes: cut");

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		l.len = 0;
		log_line_num(&l, nums[i]);
		l.text[l.len] = '\0';
		snprintf(want, sizeof(want), "%lld", nums[i]);
		is_str(l.text, want, "num %s", want);
	}

	l.len = 0;
	log_line_add(&l, "audit: ");
	log_line_num(&l, 12);
	log_line_add(&l, "us");
	l.text[l.len] = '\0';
	is_str(l.text, "audit: 12us", "pieces in order");

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	l.len = 0;
	log_line_add(&l, big);
	log_line_add(&l, "more");
	log_line_num(&l, 99);
	log_line_shown(&l, "more", 10);
	ok(l.len == LOG_LINE_MAX, "a line is cut at LOG_LINE_MAX bytes (%zu)", l.len);
	return tap_done();
}
