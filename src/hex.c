/*
 * hex.c — hexadecimal digits, both ways.
 */
#include "hex.h"

#include <stdlib.h>
#include <string.h>

char *
hex_put(char *out, unsigned char b, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	*out++ = digits[b >> 4];
	*out++ = digits[b & 0x0f];
	return out;
}

void
hex_encode(const void *in, size_t len, char *out)
{
	const unsigned char *p = in;
	size_t i;

	for (i = 0; i < len; i++)
		out = hex_put(out, p[i], false);
	*out = '\0';
}

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
hex_percent_encode(const char *s)
{
	char *out = malloc(3 * strlen(s) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			o = hex_put(o, ch, true);
		}
	}
	*o = '\0';
	return out;
}
