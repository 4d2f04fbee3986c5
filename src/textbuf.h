/*
 * textbuf.h — text built by appending, for what is written on every
 * request (the audit line, the answer's FastCGI header): appending a piece
 * costs what copying it costs, where snprintf parses its format and
 * dispatches on every conversion (callgrind: 2,000-6,000 instructions for
 * one of those lines).
 *
 * The storage is the caller's (usually on the stack); text past its end is
 * cut, and nothing is NUL-terminated:
 *
 *	char storage[512];
 *	struct textbuf b = TEXTBUF_INIT(storage);
 *	textbuf_add(&b, "Status: ");  textbuf_num(&b, 200);
 *	write(fd, b.text, b.len);
 */
#ifndef KA_TEXTBUF_H
#define KA_TEXTBUF_H

#include <stddef.h>

struct textbuf {
	char *text;                     /* the caller's storage */
	size_t size;                    /* its size */
	size_t len;                     /* bytes used */
};
#define TEXTBUF_INIT(storage) { .text = (storage), .size = sizeof(storage), .len = 0 }

void textbuf_add(struct textbuf *b, const char *s);
void textbuf_addn(struct textbuf *b, const char *s, size_t n);
/* Untrusted text as log_sanitize() shows it in a buffer of MAX + 1 bytes:
 * control and non-ASCII bytes become '?', text longer than MAX is cut
 * with "...". */
void textbuf_shown(struct textbuf *b, const char *s, size_t max);
/* V in decimal, as %lld writes it. */
void textbuf_num(struct textbuf *b, long long v);

#endif
