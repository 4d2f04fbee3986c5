/*
 * t-textbuf.c — text built by appending: the same text as log_sanitize()
 * and printf would make, and its bound.
 */
#include <stdio.h>
#include <string.h>

#include "../../src/log.h"
#include "../../src/textbuf.h"
#include "tap.h"

/* textbuf_shown(TEXT, MAX) against log_sanitize() into MAX + 1 bytes. */
static void
shown_as_sanitized(const char *text, size_t max, const char *what)
{
	char storage[512], want[512];
	struct textbuf b = TEXTBUF_INIT(storage);

	log_sanitize(want, max + 1, text);
	textbuf_shown(&b, text, max);
	storage[b.len] = '\0';
	is_str(storage, want, "shown = log_sanitize: %s", what);
}

int
main(void)
{
	char storage[64], want[64], big[400];
	struct textbuf b = TEXTBUF_INIT(storage);
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
	big[159] = 'y';
	big[160] = '\0';
	shown_as_sanitized(big, 159, "160 bytes: cut");

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		b.len = 0;
		textbuf_num(&b, nums[i]);
		storage[b.len] = '\0';
		snprintf(want, sizeof(want), "%lld", nums[i]);
		is_str(storage, want, "num %s", want);
	}

	b.len = 0;
	textbuf_add(&b, "Status: ");
	textbuf_num(&b, 200);
	textbuf_addn(&b, " OK!", 3);
	storage[b.len] = '\0';
	is_str(storage, "Status: 200 OK", "pieces in order; addn takes N bytes");

	/* The bound: 63 bytes used, then every kind of piece is cut. */
	b.size = sizeof(storage) - 1;
	b.len = 0;
	memset(big, 'z', 100);
	big[100] = '\0';
	textbuf_add(&b, big);
	textbuf_add(&b, "more");
	textbuf_num(&b, 99);
	textbuf_shown(&b, "more", 10);
	ok(b.len == sizeof(storage) - 1, "text is cut at the storage's size (%zu)", b.len);
	return tap_done();
}
