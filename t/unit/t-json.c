/*
 * t-json.c — json_parse limits and helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/json.h"
#include "tap.h"

static int
parses(const char *text, size_t len, char *err, size_t errlen)
{
	yajl_val v = NULL;
	char *copy = malloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	int rc = json_parse(copy, len, &v, err, errlen);
	if (v != NULL)
		yajl_tree_free(v);
	free(copy);
	return rc;
}

#define PARSES(s) (parses((s), strlen(s), err, sizeof(err)) == 0)

int
main(void)
{
	char err[256];
	yajl_val v;

	ok(PARSES("{\"spec\":{\"token\":\"abc\"}}"), "an object parses");
	ok(PARSES(" [1, 2, 3] \n"), "whitespace around a value is fine");
	ok(!PARSES(""), "empty body refused");
	is_str(err, "invalid JSON: empty body", "empty body message");
	ok(!PARSES("{"), "truncated JSON refused");
	ok(strncmp(err, "invalid JSON: ", 14) == 0, "truncated: message says invalid JSON (%s)", err);
	ok(strchr(err, '\n') == NULL, "the message is one line");
	ok(!PARSES("{} {}"), "two values refused");
	ok(!PARSES("{\"a\":1,}"), "trailing comma refused");
	ok(!PARSES("{'a':1}"), "single quotes refused");
	ok(!PARSES("{\"a\":\"\\u0000\"}"), "escaped NUL in a string refused");
	is_str(err, "invalid JSON: strings must not contain NUL", "escaped NUL message");
	ok(!PARSES("{\"\\u0000\":1}"), "escaped NUL in a key refused");
	ok(parses("{\"a\":\"x\0y\"}", 11, err, sizeof(err)) < 0, "raw NUL refused");
	is_str(err, "invalid JSON: body contains a NUL byte", "raw NUL message");
	ok(!PARSES("{\"a\":\"\xff\xfe\"}"), "invalid UTF-8 refused");
	ok(PARSES("{\"a\":\"caf\xc3\xa9\"}"), "valid UTF-8 accepted");
	ok(PARSES("{\"a\":\"\xf0\x9f\x98\x80\"}"), "a 4-byte character accepted");
	ok(!PARSES("{\"a\":\"\xc0\xaf\"}"), "overlong form refused");
	is_str(err, "invalid JSON: a string is not valid UTF-8", "overlong form: message");
	ok(!PARSES("{\"a\":\"\xed\xa0\x80\"}"), "UTF-16 surrogate refused");
	ok(!PARSES("{\"a\":\"\xf4\x90\x80\x80\"}"), "code point past U+10FFFF refused");
	ok(!PARSES("{\"\xc0\xaf\":1}"), "overlong form in a key refused");
	ok(json_utf8_valid("abc", 3) && !json_utf8_valid("a\0c", 3), "json_utf8_valid: NUL refused");
	ok(!json_utf8_valid("\xe2\x82", 2), "json_utf8_valid: truncated sequence refused");

	char deep[2 * JSON_MAX_DEPTH + 8], *p = deep;
	int i;
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		*p++ = '[';
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		*p++ = ']';
	*p = '\0';
	ok(PARSES(deep), "nesting at the limit (%d) accepted", JSON_MAX_DEPTH);
	char deeper[2 * JSON_MAX_DEPTH + 8];
	snprintf(deeper, sizeof(deeper), "[%s]", deep);
	ok(!PARSES(deeper), "nesting over the limit refused");
	ok(strstr(err, "nested deeper") != NULL, "depth message: %s", err);

	/* 100k '[' would overflow yajl_tree_free's recursion without the limit. */
	size_t n = 100000;
	char *bomb = malloc(n + 1);
	memset(bomb, '[', n);
	bomb[n] = '\0';
	ok(parses(bomb, n, err, sizeof(err)) < 0, "100000 nested arrays refused without crashing");
	free(bomb);

	char text[] = "{\"a\":1,\"b\":\"two\",\"a\":\"last\"}";
	ok(json_parse(text, strlen(text), &v, err, sizeof(err)) == 0, "duplicate keys parse");
	is_str(json_string(json_get(v, "a")), "last", "the last duplicate wins, as in Go");
	is_str(json_string(json_get(v, "b")), "two", "json_get finds a member");
	ok(json_get(v, "c") == NULL, "json_get: absent member is NULL");
	ok(json_string(json_get(json_get(v, "b"), "x")) == NULL, "json_get on a string is NULL");
	yajl_tree_free(v);

	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	yajl_gen_map_open(g);
	json_gen_str(g, "s", "a\"b<");
	json_gen_bool(g, "t", true);
	json_gen_int(g, "n", 42);
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	is_str((const char *)buf, "{\"s\":\"a\\\"b<\",\"t\":true,\"n\":42}", "generator helpers");
	yajl_gen_free(g);

	return tap_done();
}
