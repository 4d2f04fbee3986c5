/*
 * t-json.c — json_parse limits and helpers.
 */
#include <stdio.h>
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
		json_free(v);
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
	char deeper[sizeof(deep) + 2];       /* "[" deep "]" */
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
	json_free(v);

	/* The tree json_parse builds is yajl_tree's, node for node. */
	char kinds[] = "{\"n\":null,\"t\":true,\"f\":false,\"i\":-42,"
	    "\"d\":1.5e3,\"big\":123456789012345678901234,\"e\":\"a\\u00e9\\n\","
	    "\"o\":{},\"a\":[]}";
	ok(json_parse(kinds, strlen(kinds), &v, err, sizeof(err)) == 0, "every kind of value parses");
	ok(YAJL_IS_NULL(json_get(v, "n")) && YAJL_IS_TRUE(json_get(v, "t")) &&
	    YAJL_IS_FALSE(json_get(v, "f")), "null, true, false");
	ok(YAJL_IS_INTEGER(json_get(v, "i")) && YAJL_GET_INTEGER(json_get(v, "i")) == -42,
	    "an integer: valid, -42");
	ok(!YAJL_IS_INTEGER(json_get(v, "d")) && YAJL_IS_DOUBLE(json_get(v, "d")) &&
	    YAJL_GET_DOUBLE(json_get(v, "d")) == 1500.0, "1.5e3: a double, not an integer");
	ok(YAJL_IS_NUMBER(json_get(v, "big")) && !YAJL_IS_INTEGER(json_get(v, "big")),
	    "an integer past 64 bits is no integer");
	is_str(json_get(v, "big")->u.number.r, "123456789012345678901234", "... its text is kept");
	is_str(json_string(json_get(v, "e")), "a\xc3\xa9\n", "escapes decoded");
	ok(YAJL_IS_OBJECT(json_get(v, "o")) && json_get(v, "o")->u.object.len == 0 &&
	    YAJL_IS_ARRAY(json_get(v, "a")) && json_get(v, "a")->u.array.len == 0,
	    "empty object and array");
	json_free(v);
	ok(PARSES("\"just a string\"") && PARSES("7") && PARSES("null"), "a scalar at the top");

	/* More members than the builder keeps on its stack, in a tree larger
	 * than its first arena chunk, nested. */
	size_t big_len = 5000 * 32 + 64, k;
	char *big = malloc(big_len), *q = big;
	q += snprintf(q, big_len, "{\"list\":[");
	for (k = 0; k < 5000; k++)
		q += snprintf(q, big_len - (size_t)(q - big), "%s{\"k%zu\":[%zu]}",
		    k > 0 ? "," : "", k, k);
	q += snprintf(q, big_len - (size_t)(q - big), "],\"after\":\"yes\"}");
	ok((size_t)(q - big) < big_len, "the 5000-member document fits its buffer");
	ok(json_parse(big, (size_t)(q - big), &v, err, sizeof(err)) == 0, "5000 members parse");
	yajl_val list = json_get(v, "list");
	ok(YAJL_IS_ARRAY(list) && list->u.array.len == 5000, "... all 5000 in order");
	ok(list != NULL && list->u.array.len == 5000 &&
	    YAJL_GET_INTEGER(json_get(list->u.array.values[4321], "k4321")->u.array.values[0]) == 4321,
	    "... member 4321 holds [4321]");
	is_str(json_string(json_get(v, "after")), "yes", "... and the member after the list");
	json_free(v);
	free(big);
	json_free(NULL);
	ok(1, "json_free(NULL) is fine");

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
