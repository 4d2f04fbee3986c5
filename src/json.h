/*
 * json.h — yajl parsing with limits, and small generator helpers.
 *
 * All JSON in and out goes through yajl. A body is parsed by yajl's
 * streaming parser, whose callbacks check what yajl does not -- nesting
 * depth, NUL bytes (raw, or "\u0000" inside a string: no field of ours may
 * hold one), strict UTF-8 -- and build a tree of yajl's node type in one
 * arena as they go.
 */
#ifndef KA_JSON_H
#define KA_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl_gen.h>
#include <yajl_tree.h>

#define JSON_MAX_DEPTH 32

/* Parse LEN bytes at TEXT in one pass. Returns 0 and a tree of yajl's
 * node type in *valp (caller frees with json_free, never yajl_tree_free:
 * the nodes share one arena), or -1 with a message for the client in ERR. */
int json_parse(const char *text, size_t len, yajl_val *valp, char *err,
    size_t errlen);

/* Free a tree json_parse() made (NULL is fine). */
void json_free(yajl_val tree);

/* Is LEN bytes at S strict UTF-8 (RFC 3629: no overlong forms, surrogates
 * or code points past U+10FFFF) without NUL? json_parse() applies it to
 * every string and key. Pure. */
bool json_utf8_valid(const char *s, size_t len);

/* Member KEY of object OBJ, or NULL when OBJ is not an object or has no
 * such member. When a key repeats, the last one wins (as in Go). */
yajl_val json_get(yajl_val obj, const char *key);

/* String value of V, or NULL when V is not a string. */
const char *json_string(yajl_val v);

/* What V is, for a message ("must be a string, got a number"): "null"
 * (also for NULL), "a string", "a number", "a boolean", "a list" or "an
 * object". A static string. */
const char *json_type_name(yajl_val v);

/* Generator helpers: each writes a key (when KEY is not NULL) and a value. */
void json_gen_str(yajl_gen g, const char *key, const char *value);
void json_gen_strn(yajl_gen g, const char *key, const char *value, size_t len);
void json_gen_bool(yajl_gen g, const char *key, bool value);
void json_gen_int(yajl_gen g, const char *key, long long value);
void json_gen_key(yajl_gen g, const char *key);
/* An array of the N strings at V. */
void json_gen_strs(yajl_gen g, const char *key, const char *const *v,
    size_t n);

/* V (a tree of json_parse()) written again, whole, as one value. */
void json_gen_value(yajl_gen g, yajl_val v);

/* The text G made, and a newline, as a malloc'd NUL-terminated copy of
 * *LEN bytes (the newline counted), or NULL; G's own buffer is wiped (the
 * text may hold a secret) and G freed either way. The caller wipes and
 * frees the copy. */
char *json_gen_take(yajl_gen g, size_t *len);

#endif
