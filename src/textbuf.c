/*
 * textbuf.c — text built by appending (textbuf.h).
 */
#include "textbuf.h"

#include <string.h>

void
textbuf_addn(struct textbuf *b, const char *s, size_t n)
{
	if (n > b->size - b->len)
		n = b->size - b->len;
	memcpy(b->text + b->len, s, n);
	b->len += n;
}

void
textbuf_add(struct textbuf *b, const char *s)
{
	textbuf_addn(b, s, strlen(s));
}

void
textbuf_shown(struct textbuf *b, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max && b->len < b->size; i++) {
		unsigned char c = s[i];
		b->text[b->len++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	/* log_sanitize's cut: the last three bytes shown become "...". */
	if (s[i] != '\0' && i == max && max >= 3)
		memcpy(b->text + b->len - 3, "...", 3);
}

void
textbuf_num(struct textbuf *b, long long v)
{
	char digits[24];
	size_t n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		digits[n++] = '-';
	while (n > 0 && b->len < b->size)
		b->text[b->len++] = digits[--n];
}
