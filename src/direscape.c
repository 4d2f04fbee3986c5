/*
 * direscape.c — RFC 4515 / RFC 4514 escaping and user_filter expansion.
 *
 * Both escapers grow a value by at most three bytes per byte ("\xx"), so
 * the output is sized up front.
 */
#include "direscape.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* Room for LEN bytes, each escaped, and the NUL; NULL (ENOMEM) when that
 * does not fit a size_t. */
static char *
direscape_alloc(size_t len)
{
	char *out;

	if (len > (SIZE_MAX - 1) / 3) {
		errno = ENOMEM;
		return NULL;
	}
	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	return out;
}

/* A backslash and byte C in two lowercase hex digits at P (both RFCs
 * accept either case); returns the end. */
static char *
direscape_put_hex(char *p, unsigned char c)
{
	*p++ = '\\';
	return hex_put(p, c, false);
}

char *
direscape_filter(const char *value, size_t len)
{
	const unsigned char *in = (const unsigned char *)value;
	char *out, *p;
	size_t i;

	if ((out = direscape_alloc(len)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < len; i++) {
		switch (in[i]) {
		case '*':
		case '(':
		case ')':
		case '\\':
		case '\0':
			p = direscape_put_hex(p, in[i]);
			break;
		default:
			*p++ = in[i];
		}
	}
	*p = '\0';
	return out;
}

/* RFC 4514 section 2.4. '=' is not required there, but escaping it is
 * allowed (it is a "special") and spares parsers that split naively. */
char *
direscape_dn(const char *value, size_t len)
{
	const unsigned char *in = (const unsigned char *)value;
	char *out, *p;
	size_t i;

	if ((out = direscape_alloc(len)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < len; i++) {
		switch (in[i]) {
		case ',':
		case '+':
		case '"':
		case '\\':
		case '<':
		case '>':
		case ';':
		case '=':
			*p++ = '\\';
			*p++ = in[i];
			break;
		case '\0':
			p = direscape_put_hex(p, in[i]);
			break;
		case '#':
			if (i == 0)
				*p++ = '\\';
			*p++ = '#';
			break;
		case ' ':
			if (i == 0 || i == len - 1)
				*p++ = '\\';
			*p++ = ' ';
			break;
		default:
			/* libldap's ldap_str2dn strips a leading or trailing
			 * '\t', '\n' or '\r' like a space: hex keeps them. */
			if (in[i] < 0x20 || in[i] == 0x7f)
				p = direscape_put_hex(p, in[i]);
			else
				*p++ = in[i];
		}
	}
	*p = '\0';
	return out;
}

/* A '%' followed by anything but 's' or '%' is copied as it stands, so a
 * template never loses characters it did not mean to substitute. */
char *
direscape_expand_filter(const char *tmpl, const char *value, size_t len)
{
	char *escaped, *out, *p;
	const char *t;
	size_t escaped_len, size, nsubst = 0;

	if ((escaped = direscape_filter(value, len)) == NULL)
		return NULL;
	escaped_len = strlen(escaped);
	for (t = tmpl; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 's') {
			nsubst++;
			t++;
		} else if (t[0] == '%' && t[1] == '%')
			t++;
	}
	size = strlen(tmpl) + 1;
	if (escaped_len != 0 && nsubst > (SIZE_MAX - size) / escaped_len) {
		free(escaped);
		errno = ENOMEM;
		return NULL;
	}
	size += nsubst * escaped_len;
	if ((out = malloc(size)) == NULL) {
		free(escaped);
		return NULL;
	}
	p = out;
	for (t = tmpl; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 's') {
			memcpy(p, escaped, escaped_len);
			p += escaped_len;
			t++;
		} else if (t[0] == '%' && t[1] == '%') {
			*p++ = '%';
			t++;
		} else
			*p++ = *t;
	}
	*p = '\0';
	free(escaped);
	return out;
}
