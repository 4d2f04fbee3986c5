/*
 * direscape.c — RFC 4515 / RFC 4514 escaping and user_filter expansion.
 *
 * Both escapers go byte by byte through one loop (direscape_each); what
 * differs is how a byte is written.
 */
#include "direscape.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* Writes byte I of IN (LEN bytes) at P as one RFC escapes it, in three
 * bytes at most; returns the end. */
typedef char *(*direscape_byte_fn)(char *p, const unsigned char *in,
    size_t i, size_t len);

/* VALUE (LEN bytes), each byte as PUT writes it, and a NUL: malloc'd, or
 * NULL (ENOMEM). The output is sized up front for the worst case. */
static char *
direscape_each(const char *value, size_t len, direscape_byte_fn put)
{
	const unsigned char *in = (const unsigned char *)value;
	char *out, *p;
	size_t i;

	if (len > (SIZE_MAX - 1) / 3) {
		errno = ENOMEM;
		return NULL;
	}
	if ((out = malloc(len * 3 + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < len; i++)
		p = put(p, in, i, len);
	*p = '\0';
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

/* RFC 4515 section 3: the specials of a filter, and NUL, in hex. */
static char *
direscape_filter_byte(char *p, const unsigned char *in, size_t i, size_t len)
{
	switch (in[i]) {
	case '*':
	case '(':
	case ')':
	case '\\':
	case '\0':
		return direscape_put_hex(p, in[i]);
	}
	*p++ = (char)in[i];
	return p;
}

/* RFC 4514 section 2.4. '=' is not required there, but escaping it is
 * allowed (it is a "special") and spares parsers that split naively. */
static char *
direscape_dn_byte(char *p, const unsigned char *in, size_t i, size_t len)
{
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
		break;
	case '\0':
		return direscape_put_hex(p, in[i]);
	case '#':
		if (i == 0)
			*p++ = '\\';
		break;
	case ' ':
		if (i == 0 || i == len - 1)
			*p++ = '\\';
		break;
	default:
		/* libldap's ldap_str2dn strips a leading or trailing '\t',
		 * '\n' or '\r' like a space: hex keeps them. */
		if (in[i] < 0x20 || in[i] == 0x7f)
			return direscape_put_hex(p, in[i]);
	}
	*p++ = (char)in[i];
	return p;
}

char *
direscape_filter(const char *value, size_t len)
{
	return direscape_each(value, len, direscape_filter_byte);
}

char *
direscape_dn(const char *value, size_t len)
{
	return direscape_each(value, len, direscape_dn_byte);
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
