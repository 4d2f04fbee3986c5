/*
 * json.c — yajl with size and depth limits; generator helpers.
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

#include <yajl_parse.h>

bool
json_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, min;
		size_t n, k;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

struct json_check {
	int depth;
	int max_depth;
	bool nul_in_string;
	bool bad_utf8;
};

static int
json_check_string(void *ctx, const unsigned char *s, size_t len)
{
	struct json_check *c = ctx;
	if (memchr(s, '\0', len) != NULL) {
		c->nul_in_string = true;
		return 0;
	}
	/* yajl lets overlong forms, surrogates and code points past
	 * U+10FFFF through; nothing of ours may hold them. */
	if (!json_utf8_valid((const char *)s, len)) {
		c->bad_utf8 = true;
		return 0;
	}
	return 1;
}

static int
json_check_open(void *ctx)
{
	struct json_check *c = ctx;
	return ++c->depth <= c->max_depth;
}

static int
json_check_open_map(void *ctx)
{
	return json_check_open(ctx);
}

static int
json_check_map_key(void *ctx, const unsigned char *s, size_t len)
{
	return json_check_string(ctx, s, len);
}

static int
json_check_close(void *ctx)
{
	struct json_check *c = ctx;
	c->depth--;
	return 1;
}

static const yajl_callbacks json_check_callbacks = {
	.yajl_string = json_check_string,
	.yajl_start_map = json_check_open_map,
	.yajl_map_key = json_check_map_key,
	.yajl_end_map = json_check_close,
	.yajl_start_array = json_check_open,
	.yajl_end_array = json_check_close,
};

/* The streaming pass: depth, NULs, syntax and UTF-8, without building. */
static int
json_check(const char *text, size_t len, char *err, size_t errlen)
{
	struct json_check c = { .max_depth = JSON_MAX_DEPTH };
	yajl_handle h = yajl_alloc(&json_check_callbacks, NULL, &c);
	yajl_status st;
	int rc = 0;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_client_canceled) {
		if (c.nul_in_string)
			snprintf(err, errlen, "invalid JSON: strings must not contain NUL");
		else if (c.bad_utf8)
			snprintf(err, errlen, "invalid JSON: a string is not valid UTF-8");
		else
			snprintf(err, errlen, "invalid JSON: nested deeper than %d levels",
			    JSON_MAX_DEPTH);
		rc = -1;
	} else if (st != yajl_status_ok) {
		unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
		/* yajl's own words ("parse error: premature EOF"), never the
		 * input itself: a body may hold a token. */
		snprintf(err, errlen, "invalid JSON: %s",
		    msg != NULL ? (const char *)msg : "syntax error");
		err[strcspn(err, "\r\n")] = '\0';   /* yajl ends it with \n */
		if (msg != NULL)
			yajl_free_error(h, msg);
		rc = -1;
	}
	yajl_free(h);
	return rc;
}

int
json_parse(const char *text, size_t len, yajl_val *valp, char *err,
    size_t errlen)
{
	char tree_err[128];

	*valp = NULL;
	if (len == 0) {
		snprintf(err, errlen, "invalid JSON: empty body");
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "invalid JSON: body contains a NUL byte");
		return -1;
	}
	if (json_check(text, len, err, errlen) < 0)
		return -1;
	*valp = yajl_tree_parse(text, tree_err, sizeof(tree_err));
	if (*valp == NULL) {
		snprintf(err, errlen, "invalid JSON");
		return -1;
	}
	return 0;
}

yajl_val
json_get(yajl_val obj, const char *key)
{
	yajl_val found = NULL;
	size_t i;

	if (obj == NULL || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			found = obj->u.object.values[i];
	return found;
}

const char *
json_string(yajl_val v)
{
	return v != NULL && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

void
json_gen_key(yajl_gen g, const char *key)
{
	if (key != NULL)
		yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void
json_gen_strn(yajl_gen g, const char *key, const char *value, size_t len)
{
	json_gen_key(g, key);
	yajl_gen_string(g, (const unsigned char *)value, len);
}

void
json_gen_str(yajl_gen g, const char *key, const char *value)
{
	json_gen_strn(g, key, value, strlen(value));
}

void
json_gen_bool(yajl_gen g, const char *key, bool value)
{
	json_gen_key(g, key);
	yajl_gen_bool(g, value);
}

void
json_gen_int(yajl_gen g, const char *key, long long value)
{
	json_gen_key(g, key);
	yajl_gen_integer(g, value);
}
