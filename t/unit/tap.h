/*
 * tap.h — the few TAP helpers the C unit tests need (header-only).
 */
#ifndef KA_TAP_H
#define KA_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed;

static void
tap_ok(int cond, const char *what)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, what);
	fflush(stdout);
}

/* The condition is evaluated before the message is formatted: a message
 * may show what the call under test wrote (an error text, say). */
#define ok(cond, ...) do { char tap_msg_[512]; int tap_c_ = !!(cond); \
	snprintf(tap_msg_, sizeof(tap_msg_), __VA_ARGS__); \
	tap_ok(tap_c_, tap_msg_); } while (0)

static void
tap_is_str(const char *got, const char *want, const char *what)
{
	int same = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	tap_ok(same, what);
	if (!same)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
}

#define is_str(got, want, ...) do { char tap_msg_[512]; \
	const char *g_ = (got), *w_ = (want); \
	snprintf(tap_msg_, sizeof(tap_msg_), __VA_ARGS__); \
	tap_is_str(g_, w_, tap_msg_); } while (0)

#define is_int(got, want, ...) do { char tap_msg_[512]; \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	snprintf(tap_msg_, sizeof(tap_msg_), __VA_ARGS__); \
	tap_ok(g_ == w_, tap_msg_); \
	if (g_ != w_) printf("#   got:  %lld\n#   want: %lld\n", g_, w_); } while (0)

static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
