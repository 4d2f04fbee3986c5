/*
 * hex.c — hexadecimal digits, both ways.
 */
#include "hex.h"

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
