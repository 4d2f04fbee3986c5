/*
 * json.c — yajl with size and depth limits; generator helpers.
 */
#include "json.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * One pass over the body: yajl's callbacks check what yajl does not (depth,
 * NULs, strict UTF-8) and build the tree as they go. The tree is yajl's own
 * node type (yajl_tree.h), so callers read it with the usual macros, but it
 * lives in one arena freed at once by json_free(): yajl_tree_parse() would
 * make a second pass and a malloc (or a realloc, per object member) for
 * every node, which was about half of a SubjectAccessReview's instructions.
 */
#define JSON_CHUNK_MIN 1024

struct json_chunk {
	struct json_chunk *next;
	size_t size, used;
	max_align_t data[];
};

/* The root node comes first: json_free() finds the arena from it. */
struct json_doc {
	struct yajl_val_s root;
	struct json_chunk *chunks;
};

struct json_member {
	const char *key;                /* NULL in an array */
	yajl_val value;
};

struct json_build {
	struct json_chunk *chunks;
	size_t next_chunk;
	yajl_val containers[JSON_MAX_DEPTH + 1];
	size_t starts[JSON_MAX_DEPTH + 1];      /* into pending */
	int depth;
	struct json_member *pending;    /* members of the open containers */
	size_t npending, pending_max;
	struct json_member pending_inline[64];  /* enough for most bodies */
	const char *key;                /* the key of the next member */
	yajl_val root;
	bool nul_in_string, bad_utf8, too_deep, no_memory;
};

static void *
json_alloc(struct json_build *b, size_t len)
{
	struct json_chunk *c = b->chunks;
	void *p;

	len = (len + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (c == NULL || c->size - c->used < len) {
		size_t size = b->next_chunk;
		while (size < len)
			size *= 2;
		if ((c = malloc(sizeof(*c) + size)) == NULL) {
			b->no_memory = true;
			return NULL;
		}
		c->next = b->chunks;
		c->size = size;
		c->used = 0;
		b->chunks = c;
		b->next_chunk = size * 2;
	}
	p = (char *)c->data + c->used;
	c->used += len;
	return p;
}

static char *
json_alloc_str(struct json_build *b, const unsigned char *s, size_t len)
{
	char *copy = json_alloc(b, len + 1);

	if (copy != NULL) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

static bool
json_string_ok(struct json_build *b, const unsigned char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL) {
		b->nul_in_string = true;
		return false;
	}
	/* yajl lets overlong forms, surrogates and code points past
	 * U+10FFFF through; nothing of ours may hold them. */
	if (!json_utf8_valid((const char *)s, len)) {
		b->bad_utf8 = true;
		return false;
	}
	return true;
}

/* Place V: the root, or the next member of the innermost container. */
static int
json_add(struct json_build *b, yajl_val v)
{
	struct json_member *m;

	if (v == NULL)
		return 0;
	if (b->depth == 0) {
		b->root = v;
		return 1;
	}
	if (b->npending == b->pending_max) {
		size_t max = 2 * b->pending_max;
		if ((m = reallocarray(b->pending == b->pending_inline ? NULL :
		    b->pending, max, sizeof(*m))) == NULL) {
			b->no_memory = true;
			return 0;
		}
		if (b->pending == b->pending_inline)
			memcpy(m, b->pending, b->npending * sizeof(*m));
		b->pending = m;
		b->pending_max = max;
	}
	m = &b->pending[b->npending++];
	m->key = b->key;
	m->value = v;
	b->key = NULL;
	return 1;
}

static yajl_val
json_node(struct json_build *b, yajl_type type)
{
	yajl_val v;

	/* The root lives in the json_doc that heads the first chunk. */
	if (b->root == NULL && b->depth == 0 && b->chunks == NULL) {
		struct json_doc *doc = json_alloc(b, sizeof(*doc));
		v = doc != NULL ? &doc->root : NULL;
	} else
		v = json_alloc(b, sizeof(*v));
	if (v != NULL) {
		memset(v, 0, sizeof(*v));
		v->type = type;
	}
	return v;
}

static int
json_on_null(void *ctx)
{
	return json_add(ctx, json_node(ctx, yajl_t_null));
}

static int
json_on_bool(void *ctx, int value)
{
	return json_add(ctx, json_node(ctx, value ? yajl_t_true : yajl_t_false));
}

/* As yajl_tree does: the text, and the integer and double it holds when
 * each parses whole and in range. */
static int
json_on_number(void *ctx, const char *s, size_t len)
{
	struct json_build *b = ctx;
	yajl_val v = json_node(b, yajl_t_number);
	char *end;

	if (v == NULL || (v->u.number.r = json_alloc_str(b,
	    (const unsigned char *)s, len)) == NULL)
		return 0;
	errno = 0;
	v->u.number.i = strtoll(v->u.number.r, &end, 10);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_INT_VALID;
	errno = 0;
	v->u.number.d = strtod(v->u.number.r, &end);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	return json_add(b, v);
}

static int
json_on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct json_build *b = ctx;
	yajl_val v;

	if (!json_string_ok(b, s, len) ||
	    (v = json_node(b, yajl_t_string)) == NULL ||
	    (v->u.string = json_alloc_str(b, s, len)) == NULL)
		return 0;
	return json_add(b, v);
}

static int
json_on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct json_build *b = ctx;

	if (!json_string_ok(b, s, len) ||
	    (b->key = json_alloc_str(b, s, len)) == NULL)
		return 0;
	return 1;
}

static int
json_on_open(struct json_build *b, yajl_type type)
{
	yajl_val v;

	if (b->depth == JSON_MAX_DEPTH) {
		b->too_deep = true;
		return 0;
	}
	if ((v = json_node(b, type)) == NULL || !json_add(b, v))
		return 0;
	b->depth++;
	b->containers[b->depth] = v;
	b->starts[b->depth] = b->npending;
	return 1;
}

static int
json_on_open_map(void *ctx)
{
	return json_on_open(ctx, yajl_t_object);
}

static int
json_on_open_array(void *ctx)
{
	return json_on_open(ctx, yajl_t_array);
}

/* The innermost container is complete: its members move to the arena. */
static int
json_on_close(void *ctx)
{
	struct json_build *b = ctx;
	yajl_val v = b->containers[b->depth];
	size_t start = b->starts[b->depth], n = b->npending - start, i;
	yajl_val *values = NULL;
	const char **keys = NULL;

	if (n > 0 && (values = json_alloc(b, n * sizeof(*values))) == NULL)
		return 0;
	if (n > 0 && v->type == yajl_t_object &&
	    (keys = json_alloc(b, n * sizeof(*keys))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		values[i] = b->pending[start + i].value;
		if (keys != NULL)
			keys[i] = b->pending[start + i].key;
	}
	if (v->type == yajl_t_object) {
		v->u.object.keys = keys;
		v->u.object.values = values;
		v->u.object.len = n;
	} else {
		v->u.array.values = values;
		v->u.array.len = n;
	}
	b->npending = start;
	b->depth--;
	return 1;
}

static const yajl_callbacks json_build_callbacks = {
	.yajl_null = json_on_null,
	.yajl_boolean = json_on_bool,
	.yajl_number = json_on_number,
	.yajl_string = json_on_string,
	.yajl_start_map = json_on_open_map,
	.yajl_map_key = json_on_key,
	.yajl_end_map = json_on_close,
	.yajl_start_array = json_on_open_array,
	.yajl_end_array = json_on_close,
};

static void
json_chunks_free(struct json_chunk *c)
{
	struct json_chunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

void
json_free(yajl_val v)
{
	/* The doc is inside the oldest chunk: read the list, then free. */
	if (v != NULL)
		json_chunks_free(((struct json_doc *)(void *)v)->chunks);
}

int
json_parse(const char *text, size_t len, yajl_val *valp, char *err,
    size_t errlen)
{
	struct json_build b = { .next_chunk = JSON_CHUNK_MIN };
	yajl_handle h;

	b.pending = b.pending_inline;
	b.pending_max = sizeof(b.pending_inline) / sizeof(b.pending_inline[0]);
	yajl_status st;

	*valp = NULL;
	if (len == 0) {
		snprintf(err, errlen, "invalid JSON: empty body");
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "invalid JSON: body contains a NUL byte");
		return -1;
	}
	/* Room for the whole tree in one chunk, most of the time. */
	while (b.next_chunk < 4 * len && b.next_chunk < 1024 * 1024)
		b.next_chunk *= 2;
	if ((h = yajl_alloc(&json_build_callbacks, NULL, &b)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_client_canceled) {
		if (b.nul_in_string)
			snprintf(err, errlen, "invalid JSON: strings must not contain NUL");
		else if (b.bad_utf8)
			snprintf(err, errlen, "invalid JSON: a string is not valid UTF-8");
		else if (b.too_deep)
			snprintf(err, errlen, "invalid JSON: nested deeper than %d levels",
			    JSON_MAX_DEPTH);
		else
			snprintf(err, errlen, "out of memory");
	} else if (st != yajl_status_ok) {
		unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
		/* yajl's own words ("parse error: premature EOF"), never the
		 * input itself: a body may hold a token. */
		snprintf(err, errlen, "invalid JSON: %s",
		    msg != NULL ? (const char *)msg : "syntax error");
		err[strcspn(err, "\r\n")] = '\0';   /* yajl ends it with \n */
		if (msg != NULL)
			yajl_free_error(h, msg);
	}
	yajl_free(h);
	if (b.pending != b.pending_inline)
		free(b.pending);
	if (st != yajl_status_ok || b.root == NULL) {
		if (st == yajl_status_ok)
			snprintf(err, errlen, "invalid JSON");
		json_chunks_free(b.chunks);
		return -1;
	}
	((struct json_doc *)(void *)b.root)->chunks = b.chunks;
	*valp = b.root;
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

const char *
json_type_name(yajl_val v)
{
	if (v == NULL || YAJL_IS_NULL(v))
		return "null";
	if (YAJL_IS_STRING(v))
		return "a string";
	if (YAJL_IS_NUMBER(v))
		return "a number";
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return "a boolean";
	if (YAJL_IS_ARRAY(v))
		return "a list";
	return "an object";
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
json_gen_strs(yajl_gen g, const char *key, const char *const *v, size_t n)
{
	size_t i;

	json_gen_key(g, key);
	yajl_gen_array_open(g);
	for (i = 0; i < n; i++)
		json_gen_str(g, NULL, v[i]);
	yajl_gen_array_close(g);
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

void
json_gen_value(yajl_gen g, yajl_val v)
{
	size_t i;

	switch (v->type) {
	case yajl_t_string:
		json_gen_str(g, NULL, v->u.string);
		break;
	case yajl_t_number:
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
		break;
	case yajl_t_object:
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			json_gen_key(g, v->u.object.keys[i]);
			json_gen_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
		break;
	case yajl_t_array:
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			json_gen_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
		break;
	case yajl_t_true:
		json_gen_bool(g, NULL, true);
		break;
	case yajl_t_false:
		json_gen_bool(g, NULL, false);
		break;
	default:
		yajl_gen_null(g);
		break;
	}
}

char *
json_gen_take(yajl_gen g, size_t *len)
{
	const unsigned char *buf;
	char *out = NULL;

	*len = 0;
	if (yajl_gen_get_buf(g, &buf, len) == yajl_gen_status_ok &&
	    (out = malloc(*len + 2)) != NULL) {
		memcpy(out, buf, *len);
		out[*len] = '\n';
		out[*len + 1] = '\0';
		explicit_bzero((void *)(uintptr_t)buf, *len);
		(*len)++;
	}
	yajl_gen_free(g);
	return out;
}
