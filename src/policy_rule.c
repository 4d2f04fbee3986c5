/*
 * policy_rule.c — one authorization rule: its fields and checks, its JSON
 * and YAML readers, and its JSON writer (see policy_rule.h).
 *
 * One table of fields (policy_rule_fields) drives everything: each reader
 * turns a member into a struct policy_rule_value, whatever it was parsed
 * from, and policy_rule_read_field() applies the table's checks to it;
 * the writer walks the same table, so what is written reads back the same.
 */
#include "policy_rule.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Untrusted text for a message: short, printable ASCII. */
static const char *
policy_rule_quote(char *buf, size_t size, const char *text)
{
	log_sanitize(buf, size, text);
	return buf;
}

/*
 * Fields and checks
 */

enum policy_rule_value_type {
	VALUE_NULL, VALUE_STRING, VALUE_INTEGER, VALUE_LIST, VALUE_OTHER
};

/* A field's value, whatever it was parsed from. */
struct policy_rule_value {
	enum policy_rule_value_type type;
	const char *what;               /* "a number", "a mapping": messages */
	const char *str;                /* VALUE_STRING */
	size_t len;
	long long integer;              /* VALUE_INTEGER */
	size_t n;                       /* VALUE_LIST: items */
	/* Item I of a list as a string, or NULL with *what set. */
	const char *(*item)(const struct policy_rule_value *v, size_t i,
	    size_t *len, const char **what);
	const void *src;                /* the yajl_val or yaml_node_t */
	yaml_document_t *doc;
};

enum policy_rule_field_kind {
	FIELD_NAME, FIELD_STRING, FIELD_TEXT, FIELD_LIST, FIELD_EFFECT, FIELD_ID
};

/* Checks one string of a list; writes a message (without the field name)
 * and returns -1 when it is not acceptable. */
typedef int (*policy_rule_item_check)(const char *s, char *msg, size_t msglen);

struct policy_rule_field {
	const char *key;
	enum policy_rule_field_kind kind;
	size_t offset;                  /* of the char * or policy_list */
	policy_rule_item_check check;   /* FIELD_LIST, FIELD_STRING */
	bool json_only;
};

struct policy_rule_reader {
	char *err;
	size_t errlen;
	int line;                       /* > 0: YAML, prefix messages */
	unsigned seen;                  /* bits of policy_rule_fields */
	bool effect_given;
};

static void
policy_rule_err(struct policy_rule_reader *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
policy_rule_err(struct policy_rule_reader *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line > 0)
		snprintf(p->err, p->errlen, "line %d: %s", p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s", msg);
}

static bool
policy_rule_has_control(const char *s, bool allow_newlines)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (allow_newlines && (c == '\n' || c == '\t' || c == '\r'))
			continue;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* '*' may only stand alone (the RBAC wildcard). */
static int
policy_rule_check_plain(const char *s, char *msg, size_t msglen)
{
	if (strcmp(s, "*") != 0 && strchr(s, '*') != NULL) {
		snprintf(msg, msglen, "\"*\" is a wildcard only on its own");
		return -1;
	}
	return 0;
}

static int
policy_rule_check_nonempty(const char *s, char *msg, size_t msglen)
{
	if (*s == '\0') {
		snprintf(msg, msglen, "must not be an empty string");
		return -1;
	}
	return policy_rule_check_plain(s, msg, msglen);
}

static int
policy_rule_check_verb(const char *s, char *msg, size_t msglen)
{
	if (policy_rule_check_nonempty(s, msg, msglen) < 0)
		return -1;
	if (strchr(s, ' ') != NULL) {
		snprintf(msg, msglen, "a verb has no spaces");
		return -1;
	}
	return 0;
}

/* "pods", "pods/log", "*\/scale" or "*". */
static int
policy_rule_check_resource(const char *s, char *msg, size_t msglen)
{
	const char *slash = strchr(s, '/');

	if (strcmp(s, "*") == 0)
		return 0;
	if (*s == '\0' || (slash != NULL && (slash == s || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || strchr(slash + 1, '*') != NULL)) ||
	    (strchr(s, '*') != NULL && !(s[0] == '*' && s[1] == '/')) ||
	    strchr(s, ' ') != NULL) {
		snprintf(msg, msglen, "must be a resource (\"pods\"), a subresource "
		    "(\"pods/log\"), \"*/\" and a subresource (\"*/scale\"), or \"*\"");
		return -1;
	}
	return 0;
}

/* "/healthz", "/logs/\*" (a prefix) or "*". */
static int
policy_rule_check_url(const char *s, char *msg, size_t msglen)
{
	const char *star = strchr(s, '*');

	if (strcmp(s, "*") == 0)
		return 0;
	if (s[0] != '/' || (star != NULL && star[1] != '\0')) {
		snprintf(msg, msglen, "must be a path starting with \"/\", "
		    "optionally ending in \"*\" (a prefix), or \"*\"");
		return -1;
	}
	return 0;
}

static int
policy_rule_check_cluster(const char *s, char *msg, size_t msglen)
{
	if (*s == '\0' || strlen(s) > POLICY_NAME_MAX) {
		snprintf(msg, msglen, "must be a cluster name of 1 to %d bytes "
		    "(leave it out for a global rule)", POLICY_NAME_MAX);
		return -1;
	}
	return 0;
}

#define RULE_OFF(member) offsetof(struct policy_rule, member)

static const struct policy_rule_field policy_rule_fields[] = {
	{ "id", FIELD_ID, 0, NULL, true },
	{ "name", FIELD_NAME, RULE_OFF(name), NULL, false },
	{ "cluster", FIELD_STRING, RULE_OFF(cluster),
	    policy_rule_check_cluster, false },
	{ "users", FIELD_LIST, RULE_OFF(users),
	    policy_rule_check_nonempty, false },
	{ "groups", FIELD_LIST, RULE_OFF(groups),
	    policy_rule_check_nonempty, false },
	{ "verbs", FIELD_LIST, RULE_OFF(verbs),
	    policy_rule_check_verb, false },
	{ "apiGroups", FIELD_LIST, RULE_OFF(api_groups),
	    policy_rule_check_plain, false },
	{ "resources", FIELD_LIST, RULE_OFF(resources),
	    policy_rule_check_resource, false },
	{ "namespaces", FIELD_LIST, RULE_OFF(namespaces),
	    policy_rule_check_plain, false },
	{ "resourceNames", FIELD_LIST, RULE_OFF(resource_names),
	    policy_rule_check_nonempty, false },
	{ "nonResourceURLs", FIELD_LIST, RULE_OFF(non_resource_urls),
	    policy_rule_check_url, false },
	{ "effect", FIELD_EFFECT, 0, NULL, false },
	{ "description", FIELD_TEXT, RULE_OFF(description), NULL, false },
};

static struct policy_list *
policy_rule_list_at(struct policy_rule *rule, size_t offset)
{
	return (struct policy_list *)((char *)rule + offset);
}

static char **
policy_rule_string_at(struct policy_rule *rule, size_t offset)
{
	return (char **)((char *)rule + offset);
}

static bool
policy_rule_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > POLICY_NAME_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	    (s[0] >= '0' && s[0] <= '9')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._:-") == len;
}

/* A string member: NUL, length and control characters checked here. */
static int
policy_rule_text_check(struct policy_rule_reader *p, const char *key,
    const char *s, size_t len, size_t max, bool allow_newlines)
{
	if (strlen(s) != len) {
		policy_rule_err(p, "%s: must not contain NUL", key);
		return -1;
	}
	if (len > max) {
		policy_rule_err(p, "%s: longer than %zu bytes", key, max);
		return -1;
	}
	if (policy_rule_has_control(s, allow_newlines)) {
		policy_rule_err(p, "%s: must not contain control characters", key);
		return -1;
	}
	return 0;
}

static int
policy_rule_read_list(struct policy_rule_reader *p,
    const struct policy_rule_field *f, struct policy_rule *rule,
    const struct policy_rule_value *v)
{
	struct policy_list *list = policy_rule_list_at(rule, f->offset);
	char msg[256], shown[64];

	if (v->type != VALUE_LIST) {
		policy_rule_err(p, "%s: must be a list of strings, got %s", f->key,
		    v->what);
		return -1;
	}
	if (v->n == 0) {
		policy_rule_err(p, "%s: must not be empty (%s)", f->key,
		    strcmp(f->key, "namespaces") == 0 ||
		    strcmp(f->key, "resourceNames") == 0 ?
		    "leave the field out to match any" :
		    strcmp(f->key, "users") == 0 || strcmp(f->key, "groups") == 0 ?
		    "leave the field out" : "use [\"*\"] to match any");
		return -1;
	}
	if (v->n > POLICY_LIST_MAX) {
		policy_rule_err(p, "%s: more than %d entries", f->key, POLICY_LIST_MAX);
		return -1;
	}
	if ((list->v = calloc(v->n, sizeof(*list->v))) == NULL) {
		policy_rule_err(p, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const char *what = NULL;
		size_t len = 0;
		const char *s = v->item(v, i, &len, &what);
		char key[64];

		snprintf(key, sizeof(key), "%s[%zu]", f->key, i);
		if (s == NULL) {
			policy_rule_err(p, "%s: must be a string, got %s", key, what);
			return -1;
		}
		if (policy_rule_text_check(p, key, s, len, POLICY_STRING_MAX,
		    false) < 0)
			return -1;
		if (f->check != NULL && f->check(s, msg, sizeof(msg)) < 0) {
			policy_rule_err(p, "%s: \"%s\": %s", key,
			    policy_rule_quote(shown, sizeof(shown), s), msg);
			return -1;
		}
		if ((list->v[i] = strdup(s)) == NULL) {
			policy_rule_err(p, "out of memory");
			return -1;
		}
		list->n = i + 1;
	}
	return 0;
}

/* A string member: "name", "cluster" or "description". */
static int
policy_rule_read_string(struct policy_rule_reader *p,
    const struct policy_rule_field *f, struct policy_rule *rule,
    const struct policy_rule_value *v)
{
	char msg[256];

	if (v->type != VALUE_STRING) {
		policy_rule_err(p, "%s: must be a string, got %s", f->key, v->what);
		return -1;
	}
	if (policy_rule_text_check(p, f->key, v->str, v->len,
	    f->kind == FIELD_TEXT ? POLICY_DESCRIPTION_MAX : POLICY_STRING_MAX,
	    f->kind == FIELD_TEXT) < 0)
		return -1;
	if (f->kind == FIELD_NAME && !policy_rule_name_valid(v->str)) {
		policy_rule_err(p, "name: must be 1 to %d letters, digits, '.', "
		    "'_', ':' or '-', starting with a letter or digit",
		    POLICY_NAME_MAX);
		return -1;
	}
	if (f->check != NULL && f->check(v->str, msg, sizeof(msg)) < 0) {
		policy_rule_err(p, "%s: %s", f->key, msg);
		return -1;
	}
	if ((*policy_rule_string_at(rule, f->offset) = strdup(v->str)) == NULL) {
		policy_rule_err(p, "out of memory");
		return -1;
	}
	return 0;
}

/* Apply one member of a rule object. */
static int
policy_rule_read_field(struct policy_rule_reader *p, struct policy_rule *rule,
    const char *key, size_t keylen, const struct policy_rule_value *v,
    bool json)
{
	const struct policy_rule_field *f = NULL;
	char shown[64];
	size_t i;

	if (strlen(key) == keylen)
		for (i = 0; i < ARRAY_SIZE(policy_rule_fields); i++)
			if (strcmp(policy_rule_fields[i].key, key) == 0 &&
			    (json || !policy_rule_fields[i].json_only)) {
				f = &policy_rule_fields[i];
				break;
			}
	if (f == NULL) {
		policy_rule_err(p, "unknown field \"%s\"",
		    policy_rule_quote(shown, sizeof(shown), key));
		return -1;
	}
	if (p->seen & (1u << i)) {
		policy_rule_err(p, "%s: given twice", f->key);
		return -1;
	}
	p->seen |= 1u << i;
	if (v->type == VALUE_NULL)
		return 0;               /* null = absent, as in Go */

	switch (f->kind) {
	case FIELD_ID:
		if (v->type != VALUE_INTEGER || v->integer <= 0) {
			policy_rule_err(p, "id: must be a positive integer");
			return -1;
		}
		rule->id = v->integer;
		return 0;
	case FIELD_LIST:
		return policy_rule_read_list(p, f, rule, v);
	case FIELD_EFFECT:
		if (v->type != VALUE_STRING || (strcmp(v->str, "allow") != 0 &&
		    strcmp(v->str, "deny") != 0)) {
			policy_rule_err(p, "effect: must be \"allow\" or \"deny\"");
			return -1;
		}
		rule->effect = v->str[0] == 'd' ? POLICY_DENY : POLICY_ALLOW;
		p->effect_given = true;
		return 0;
	case FIELD_NAME:
	case FIELD_STRING:
	case FIELD_TEXT:
		break;
	}
	return policy_rule_read_string(p, f, rule, v);
}

/* Whole-rule checks, once every member is in. */
static int
policy_rule_check_complete(struct policy_rule_reader *p,
    const struct policy_rule *r)
{
	bool resource = r->api_groups.n > 0 || r->resources.n > 0 ||
	    r->namespaces.n > 0 || r->resource_names.n > 0;
	if (r->name == NULL) {
		policy_rule_err(p, "name: required");
		return -1;
	}
	if (r->users.n == 0 && r->groups.n == 0) {
		policy_rule_err(p, "users, groups: at least one subject is required");
		return -1;
	}
	if (r->verbs.n == 0) {
		policy_rule_err(p, "verbs: required (use [\"*\"] for any verb)");
		return -1;
	}
	if (resource && r->non_resource_urls.n > 0) {
		policy_rule_err(p, "nonResourceURLs: cannot be combined with "
		    "apiGroups, resources, namespaces or resourceNames (make two "
		    "rules)");
		return -1;
	}
	if (!resource && r->non_resource_urls.n == 0) {
		policy_rule_err(p, "apiGroups, resources: required (or "
		    "nonResourceURLs for a non-resource rule)");
		return -1;
	}
	if (resource && r->api_groups.n == 0) {
		policy_rule_err(p, "apiGroups: required for a resource rule "
		    "([\"\"] is the core group, [\"*\"] any)");
		return -1;
	}
	if (resource && r->resources.n == 0) {
		policy_rule_err(p, "resources: required for a resource rule "
		    "([\"*\"] for any)");
		return -1;
	}
	if (!p->effect_given) {
		policy_rule_err(p, "effect: required (\"allow\" or \"deny\")");
		return -1;
	}
	return 0;
}

void
policy_rule_free(struct policy_rule *rule)
{
	if (rule == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(policy_rule_fields); i++) {
		const struct policy_rule_field *f = &policy_rule_fields[i];
		if (f->kind == FIELD_LIST) {
			struct policy_list *list = policy_rule_list_at(rule,
			    f->offset);
			for (size_t j = 0; j < list->n; j++)
				free(list->v[j]);
			free(list->v);
		} else if (f->kind == FIELD_NAME || f->kind == FIELD_STRING ||
		    f->kind == FIELD_TEXT) {
			free(*policy_rule_string_at(rule, f->offset));
		}
	}
	free(rule);
}

void
policy_rule_free_all(struct policy_rule **rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		policy_rule_free(rules[i]);
	free(rules);
}

/*
 * The JSON reader (yajl)
 */

static const char *
policy_rule_json_item(const struct policy_rule_value *v, size_t i,
    size_t *len, const char **what)
{
	const struct yajl_val_s *list = v->src;
	yajl_val item = list->u.array.values[i];

	if (!YAJL_IS_STRING(item)) {
		*what = json_type_name(item);
		return NULL;
	}
	*len = strlen(item->u.string);  /* json_parse refuses NULs */
	return item->u.string;
}

static void
policy_rule_json_value(yajl_val v, struct policy_rule_value *out)
{
	memset(out, 0, sizeof(*out));
	out->src = v;
	out->what = json_type_name(v);
	if (v == NULL || YAJL_IS_NULL(v)) {
		out->type = VALUE_NULL;
	} else if (YAJL_IS_STRING(v)) {
		out->type = VALUE_STRING;
		out->str = v->u.string;
		out->len = strlen(v->u.string);
	} else if (YAJL_IS_INTEGER(v)) {
		out->type = VALUE_INTEGER;
		out->integer = YAJL_GET_INTEGER(v);
	} else if (YAJL_IS_ARRAY(v)) {
		out->type = VALUE_LIST;
		out->n = v->u.array.len;
		out->item = policy_rule_json_item;
	} else {
		out->type = VALUE_OTHER;
	}
}

int
policy_rule_from_json(yajl_val v, struct policy_rule **rulep, char *err,
    size_t errlen)
{
	struct policy_rule_reader p = { .err = err, .errlen = errlen };
	struct policy_rule *rule;

	*rulep = NULL;
	if (v == NULL || !YAJL_IS_OBJECT(v)) {
		snprintf(err, errlen, "a policy must be a JSON object, got %s",
		    json_type_name(v));
		return -1;
	}
	if ((rule = calloc(1, sizeof(*rule))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *key = v->u.object.keys[i];
		struct policy_rule_value value;

		policy_rule_json_value(v->u.object.values[i], &value);
		if (policy_rule_read_field(&p, rule, key, strlen(key), &value,
		    true) < 0)
			goto fail;
	}
	if (policy_rule_check_complete(&p, rule) < 0)
		goto fail;
	*rulep = rule;
	return 0;
fail:
	policy_rule_free(rule);
	return -1;
}

int
policy_rule_from_json_text(const char *text, size_t len,
    struct policy_rule **rulep, char *err, size_t errlen)
{
	yajl_val tree = NULL;
	char *copy;
	int rc = -1;

	*rulep = NULL;
	/* json_parse wants a NUL after the text; a MySQL buffer has none. */
	if ((copy = malloc(len + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (json_parse(copy, len, &tree, err, errlen) < 0)
		goto out;
	rc = policy_rule_from_json(tree, rulep, err, errlen);
	json_free(tree);
out:
	free(copy);
	return rc;
}

/*
 * The YAML reader (libyaml)
 */

int
policy_rule_yaml_line(const yaml_node_t *node)
{
	return (int)node->start_mark.line + 1;
}

/* YAML's null: an empty plain value, "~" or "null". */
bool
policy_rule_yaml_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

const char *
policy_rule_yaml_what(const yaml_node_t *node)
{
	if (node->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (node->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (policy_rule_yaml_null(node))
		return "null";
	return "a string";
}

static const char *
policy_rule_yaml_item(const struct policy_rule_value *v, size_t i,
    size_t *len, const char **what)
{
	const yaml_node_t *seq = v->src;
	yaml_node_t *item = yaml_document_get_node(v->doc,
	    seq->data.sequence.items.start[i]);

	if (item == NULL || item->type != YAML_SCALAR_NODE ||
	    policy_rule_yaml_null(item)) {
		*what = item == NULL ? "nothing" : policy_rule_yaml_what(item);
		return NULL;
	}
	*len = item->data.scalar.length;
	return (const char *)item->data.scalar.value;
}

static void
policy_rule_yaml_value(yaml_document_t *doc, const yaml_node_t *node,
    struct policy_rule_value *out)
{
	memset(out, 0, sizeof(*out));
	out->src = node;
	out->doc = doc;
	out->what = policy_rule_yaml_what(node);
	if (policy_rule_yaml_null(node)) {
		out->type = VALUE_NULL;
	} else if (node->type == YAML_SCALAR_NODE) {
		out->type = VALUE_STRING;
		out->str = (const char *)node->data.scalar.value;
		out->len = node->data.scalar.length;
	} else if (node->type == YAML_SEQUENCE_NODE) {
		out->type = VALUE_LIST;
		out->n = (size_t)(node->data.sequence.items.top -
		    node->data.sequence.items.start);
		out->item = policy_rule_yaml_item;
	} else {
		out->type = VALUE_OTHER;
	}
}

int
policy_rule_from_yaml(yaml_document_t *doc, yaml_node_t *node,
    struct policy_rule **rulep, char *err, size_t errlen)
{
	struct policy_rule_reader p = { .err = err, .errlen = errlen };
	struct policy_rule *rule;

	*rulep = NULL;
	p.line = policy_rule_yaml_line(node);
	if (node->type != YAML_MAPPING_NODE) {
		policy_rule_err(&p, "a policy must be a mapping (field: value), "
		    "got %s", policy_rule_yaml_what(node));
		return -1;
	}
	if ((rule = calloc(1, sizeof(*rule))) == NULL) {
		policy_rule_err(&p, "out of memory");
		return -1;
	}
	rule->from_file = true;
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	    pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(doc, pair->value);
		struct policy_rule_value v;

		if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE) {
			policy_rule_err(&p, "a field name must be a string");
			goto fail;
		}
		p.line = policy_rule_yaml_line(key);
		policy_rule_yaml_value(doc, value, &v);
		if (policy_rule_read_field(&p, rule,
		    (const char *)key->data.scalar.value, key->data.scalar.length,
		    &v, false) < 0)
			goto fail;
	}
	p.line = policy_rule_yaml_line(node);
	if (policy_rule_check_complete(&p, rule) < 0)
		goto fail;
	*rulep = rule;
	return 0;
fail:
	policy_rule_free(rule);
	return -1;
}

/*
 * The JSON writer
 */

static void
policy_rule_gen_list(yajl_gen g, const char *key,
    const struct policy_list *list)
{
	if (list->n == 0)
		return;
	json_gen_key(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < list->n; i++)
		json_gen_str(g, NULL, list->v[i]);
	yajl_gen_array_close(g);
}

static void
policy_rule_write(yajl_gen g, const struct policy_rule *rule, bool with_id)
{
	yajl_gen_map_open(g);
	for (size_t i = 0; i < ARRAY_SIZE(policy_rule_fields); i++) {
		const struct policy_rule_field *f = &policy_rule_fields[i];
		char *const *s;

		switch (f->kind) {
		case FIELD_ID:
			if (with_id && rule->id > 0)
				json_gen_int(g, f->key, rule->id);
			break;
		case FIELD_LIST:
			policy_rule_gen_list(g, f->key, (const struct policy_list *)
			    ((const char *)rule + f->offset));
			break;
		case FIELD_EFFECT:
			json_gen_str(g, f->key,
			    rule->effect == POLICY_DENY ? "deny" : "allow");
			break;
		case FIELD_NAME:
		case FIELD_STRING:
		case FIELD_TEXT:
			s = (char *const *)((const char *)rule + f->offset);
			if (*s != NULL)
				json_gen_str(g, f->key, *s);
			break;
		}
	}
	yajl_gen_map_close(g);
}

void
policy_rule_gen(yajl_gen g, const struct policy_rule *rule)
{
	policy_rule_write(g, rule, true);
}

int
policy_rule_to_json(const struct policy_rule *rule, char **textp)
{
	yajl_gen g;
	const unsigned char *buf;
	size_t len;
	int rc = -1;

	*textp = NULL;
	if ((g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	policy_rule_write(g, rule, false);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (*textp = malloc(len + 1)) != NULL) {
		memcpy(*textp, buf, len);
		(*textp)[len] = '\0';
		rc = 0;
	}
	yajl_gen_free(g);
	return rc;
}
