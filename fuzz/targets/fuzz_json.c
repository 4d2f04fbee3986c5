/*
 * fuzz_json — json_parse(), the gate every request body goes through.
 *
 * Properties: a refusal comes with a one-line message that never repeats
 * the input; an accepted body has no NUL in any string, nests at most
 * JSON_MAX_DEPTH levels, and survives a trip through yajl_gen and
 * json_parse() again; and its tree is yajl_tree_parse()'s tree, node for
 * node (json_parse builds yajl's node type itself, in one pass).
 */
#include "fuzz.h"

#include <limits.h>

#include "json.h"

static size_t
depth_of(yajl_val v, size_t depth)
{
	size_t i, max = depth, d;

	if (YAJL_IS_STRING(v)) {
		/* yajl_tree gives C strings: a NUL would cut them short. */
		FUZZ_ASSERT(v->u.string != NULL);
	} else if (YAJL_IS_OBJECT(v)) {
		for (i = 0; i < v->u.object.len; i++) {
			FUZZ_ASSERT(json_get(v, v->u.object.keys[i]) != NULL);
			if ((d = depth_of(v->u.object.values[i], depth + 1)) > max)
				max = d;
		}
	} else if (YAJL_IS_ARRAY(v)) {
		for (i = 0; i < v->u.array.len; i++)
			if ((d = depth_of(v->u.array.values[i], depth + 1)) > max)
				max = d;
	}
	return max;
}

/* Are A (json_parse's) and B (yajl_tree_parse's) the same tree? */
static bool
same_tree(yajl_val a, yajl_val b)
{
	size_t i;

	if (a == NULL || b == NULL || a->type != b->type)
		return false;
	switch (a->type) {
	case yajl_t_string:
		return strcmp(a->u.string, b->u.string) == 0;
	case yajl_t_number:
		if (strcmp(a->u.number.r, b->u.number.r) != 0)
			return false;
		/* yajl's own integer parser refuses LLONG_MIN; strtoll not. */
		if ((a->u.number.flags & YAJL_NUMBER_INT_VALID) !=
		    (b->u.number.flags & YAJL_NUMBER_INT_VALID))
			return a->u.number.i == LLONG_MIN;
		if ((a->u.number.flags & YAJL_NUMBER_INT_VALID) &&
		    a->u.number.i != b->u.number.i)
			return false;
		return (a->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) ==
		    (b->u.number.flags & YAJL_NUMBER_DOUBLE_VALID);
	case yajl_t_object:
		if (a->u.object.len != b->u.object.len)
			return false;
		for (i = 0; i < a->u.object.len; i++)
			if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
			    !same_tree(a->u.object.values[i], b->u.object.values[i]))
				return false;
		return true;
	case yajl_t_array:
		if (a->u.array.len != b->u.array.len)
			return false;
		for (i = 0; i < a->u.array.len; i++)
			if (!same_tree(a->u.array.values[i], b->u.array.values[i]))
				return false;
		return true;
	default:
		return true;
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), err[160] = "";
	yajl_val tree = NULL, again = NULL;

	if (json_parse(text, size, &tree, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(tree == NULL);
		FUZZ_ASSERT(strncmp(err, "invalid JSON", 12) == 0);
		FUZZ_ASSERT(strchr(err, '\n') == NULL);
		free(text);
		return 0;
	}
	FUZZ_ASSERT(tree != NULL);
	/* JSON_MAX_DEPTH containers hold values one level further down. */
	FUZZ_ASSERT(depth_of(tree, 0) <= JSON_MAX_DEPTH);
	{
		char tree_err[128];
		yajl_val ref = yajl_tree_parse(text, tree_err, sizeof(tree_err));
		FUZZ_ASSERT(ref != NULL);
		FUZZ_ASSERT(same_tree(tree, ref));
		yajl_tree_free(ref);
	}

	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	FUZZ_ASSERT(g != NULL);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	json_gen_value(g, tree);
	FUZZ_ASSERT(yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok);
	char *copy = fuzz_strndup(buf, len);
	FUZZ_ASSERT(json_parse(copy, len, &again, err, sizeof(err)) == 0);
	FUZZ_ASSERT(again->type == tree->type);
	json_free(again);
	free(copy);
	yajl_gen_free(g);
	json_free(tree);
	free(text);
	return 0;
}
