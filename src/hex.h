/*
 * hex.h — hexadecimal digits, both ways: tokens and keys, percent-escapes,
 * LDAP filter and DN escapes, log quoting.
 */
#ifndef KA_HEX_H
#define KA_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* Byte B as two hex digits at OUT (lowercase, or uppercase with UPPER).
 * Returns OUT + 2. */
char *hex_put(char *out, unsigned char b, bool upper);

/* LEN bytes at IN as 2 * LEN lowercase hex digits and a NUL at OUT. */
void hex_encode(const void *in, size_t len, char *out);

/* The value of hex digit C (either case), or -1. */
int hex_value(int c);

/* S with every byte but RFC 3986's unreserved ones (letters, digits,
 * "-._~") percent-encoded: one URL path segment, or a query value.
 * Malloc'd (the caller frees), NULL when out of memory. */
char *hex_percent_encode(const char *s);

#endif
