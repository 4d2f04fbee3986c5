/*
 * policy.c — authorization rules: parse, validate, compile, match, decide.
 *
 * Matching follows Kubernetes RBAC (k8s.io/kubernetes pkg/apis/rbac/v1
 * evaluation_helpers.go: VerbMatches, APIGroupMatches, ResourceMatches,
 * ResourceNameMatches, NonResourceURLMatches), plus two rules of our own
 * (DESIGN.md, "Authorization webhook"): deny rules match conservatively
 * when the request has no namespace or no name, and requests by "system:"
 * users are touched only by rules that name them.
 */
#include "policy.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SAR_V1 "authorization.k8s.io/v1"
#define SAR_V1BETA1 "authorization.k8s.io/v1beta1"
#define SAR_KIND "SubjectAccessReview"

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Untrusted text for a message: short, printable ASCII. */
static const char *
quote(char *buf, size_t size, const char *text)
{
	log_sanitize(buf, size, text);
	return buf;
}

/*
 * Rules: one table of fields, two front ends (yajl and libyaml) that turn
 * each member into a struct fv, and one set of checks.
 */

enum fv_type { FV_NULL, FV_STRING, FV_INTEGER, FV_LIST, FV_OTHER };

/* A field's value, whatever it was parsed from. */
struct fv {
	enum fv_type type;
	const char *what;               /* "a number", "a mapping": messages */
	const char *str;                /* FV_STRING */
	size_t len;
	long long integer;              /* FV_INTEGER */
	size_t n;                       /* FV_LIST: items */
	/* Item I of a list as a string, or NULL with *what set. */
	const char *(*item)(const struct fv *v, size_t i, size_t *len,
	    const char **what);
	const void *src;                /* the yajl_val or yaml_node_t */
	yaml_document_t *doc;
};

enum field_kind { F_NAME, F_STRING, F_TEXT, F_LIST, F_EFFECT, F_ID };

/* Checks one string of a list; writes a message (without the field name)
 * and returns -1 when it is not acceptable. */
typedef int (*item_check)(const char *s, char *msg, size_t msglen);

struct rule_field {
	const char *key;
	enum field_kind kind;
	size_t offset;                  /* of the char * or policy_list */
	item_check check;               /* F_LIST, F_STRING */
	bool json_only;
};

struct rule_parser {
	char *err;
	size_t errlen;
	int line;                       /* > 0: YAML, prefix messages */
	unsigned seen;                  /* bits of rule_fields */
	bool effect_given;
};

static void
rule_err(struct rule_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
rule_err(struct rule_parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line > 0)
		set_err(p->err, p->errlen, "line %d: %s", p->line, msg);
	else
		set_err(p->err, p->errlen, "%s", msg);
}

static bool
has_control(const char *s, bool allow_newlines)
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
check_plain(const char *s, char *msg, size_t msglen)
{
	if (strcmp(s, "*") != 0 && strchr(s, '*') != NULL) {
		set_err(msg, msglen, "\"*\" is a wildcard only on its own");
		return -1;
	}
	return 0;
}

static int
check_nonempty(const char *s, char *msg, size_t msglen)
{
	if (*s == '\0') {
		set_err(msg, msglen, "must not be an empty string");
		return -1;
	}
	return check_plain(s, msg, msglen);
}

static int
check_verb(const char *s, char *msg, size_t msglen)
{
	if (check_nonempty(s, msg, msglen) < 0)
		return -1;
	if (strchr(s, ' ') != NULL) {
		set_err(msg, msglen, "a verb has no spaces");
		return -1;
	}
	return 0;
}

/* "pods", "pods/log", "*\/scale" or "*". */
static int
check_resource(const char *s, char *msg, size_t msglen)
{
	const char *slash = strchr(s, '/');

	if (strcmp(s, "*") == 0)
		return 0;
	if (*s == '\0' || (slash != NULL && (slash == s || slash[1] == '\0' ||
	    strchr(slash + 1, '/') != NULL || strchr(slash + 1, '*') != NULL)) ||
	    (strchr(s, '*') != NULL && !(s[0] == '*' && s[1] == '/')) ||
	    strchr(s, ' ') != NULL) {
		set_err(msg, msglen, "must be a resource (\"pods\"), a subresource "
		    "(\"pods/log\"), \"*/\" and a subresource (\"*/scale\"), or \"*\"");
		return -1;
	}
	return 0;
}

/* "/healthz", "/logs/\*" (a prefix) or "*". */
static int
check_url(const char *s, char *msg, size_t msglen)
{
	const char *star = strchr(s, '*');

	if (strcmp(s, "*") == 0)
		return 0;
	if (s[0] != '/' || (star != NULL && star[1] != '\0')) {
		set_err(msg, msglen, "must be a path starting with \"/\", "
		    "optionally ending in \"*\" (a prefix), or \"*\"");
		return -1;
	}
	return 0;
}

static int
check_cluster(const char *s, char *msg, size_t msglen)
{
	if (*s == '\0' || strlen(s) > POLICY_NAME_MAX) {
		set_err(msg, msglen, "must be a cluster name of 1 to %d bytes "
		    "(leave it out for a global rule)", POLICY_NAME_MAX);
		return -1;
	}
	return 0;
}

#define RULE_OFF(member) offsetof(struct policy_rule, member)

static const struct rule_field rule_fields[] = {
	{ "id", F_ID, 0, NULL, true },
	{ "name", F_NAME, RULE_OFF(name), NULL, false },
	{ "cluster", F_STRING, RULE_OFF(cluster), check_cluster, false },
	{ "users", F_LIST, RULE_OFF(users), check_nonempty, false },
	{ "groups", F_LIST, RULE_OFF(groups), check_nonempty, false },
	{ "verbs", F_LIST, RULE_OFF(verbs), check_verb, false },
	{ "apiGroups", F_LIST, RULE_OFF(api_groups), check_plain, false },
	{ "resources", F_LIST, RULE_OFF(resources), check_resource, false },
	{ "namespaces", F_LIST, RULE_OFF(namespaces), check_plain, false },
	{ "resourceNames", F_LIST, RULE_OFF(resource_names), check_nonempty, false },
	{ "nonResourceURLs", F_LIST, RULE_OFF(non_resource_urls), check_url, false },
	{ "effect", F_EFFECT, 0, NULL, false },
	{ "description", F_TEXT, RULE_OFF(description), NULL, false },
};

static struct policy_list *
rule_list(struct policy_rule *rule, size_t offset)
{
	return (struct policy_list *)((char *)rule + offset);
}

static char **
rule_string(struct policy_rule *rule, size_t offset)
{
	return (char **)((char *)rule + offset);
}

static bool
valid_name(const char *s)
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
field_text(struct rule_parser *p, const char *key, const char *s, size_t len,
    size_t max, bool allow_newlines)
{
	if (strlen(s) != len) {
		rule_err(p, "%s: must not contain NUL", key);
		return -1;
	}
	if (len > max) {
		rule_err(p, "%s: longer than %zu bytes", key, max);
		return -1;
	}
	if (has_control(s, allow_newlines)) {
		rule_err(p, "%s: must not contain control characters", key);
		return -1;
	}
	return 0;
}

static int
field_list(struct rule_parser *p, const struct rule_field *f,
    struct policy_rule *rule, const struct fv *v)
{
	struct policy_list *list = rule_list(rule, f->offset);
	char msg[256], shown[64];

	if (v->type != FV_LIST) {
		rule_err(p, "%s: must be a list of strings, got %s", f->key, v->what);
		return -1;
	}
	if (v->n == 0) {
		rule_err(p, "%s: must not be empty (%s)", f->key,
		    strcmp(f->key, "namespaces") == 0 ||
		    strcmp(f->key, "resourceNames") == 0 ?
		    "leave the field out to match any" :
		    strcmp(f->key, "users") == 0 || strcmp(f->key, "groups") == 0 ?
		    "leave the field out" : "use [\"*\"] to match any");
		return -1;
	}
	if (v->n > POLICY_LIST_MAX) {
		rule_err(p, "%s: more than %d entries", f->key, POLICY_LIST_MAX);
		return -1;
	}
	if ((list->v = calloc(v->n, sizeof(*list->v))) == NULL) {
		rule_err(p, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const char *what = NULL;
		size_t len = 0;
		const char *s = v->item(v, i, &len, &what);
		char key[64];

		snprintf(key, sizeof(key), "%s[%zu]", f->key, i);
		if (s == NULL) {
			rule_err(p, "%s: must be a string, got %s", key, what);
			return -1;
		}
		if (field_text(p, key, s, len, POLICY_STRING_MAX, false) < 0)
			return -1;
		if (f->check != NULL && f->check(s, msg, sizeof(msg)) < 0) {
			rule_err(p, "%s: \"%s\": %s", key, quote(shown, sizeof(shown), s), msg);
			return -1;
		}
		if ((list->v[i] = strdup(s)) == NULL) {
			rule_err(p, "out of memory");
			return -1;
		}
		list->n = i + 1;
	}
	return 0;
}

/* Apply one member of a rule object. */
static int
rule_field(struct rule_parser *p, struct policy_rule *rule, const char *key,
    size_t keylen, const struct fv *v, bool json)
{
	const struct rule_field *f = NULL;
	char shown[64], msg[256];
	size_t i;

	if (strlen(key) == keylen)
		for (i = 0; i < ARRAY_SIZE(rule_fields); i++)
			if (strcmp(rule_fields[i].key, key) == 0 &&
			    (json || !rule_fields[i].json_only)) {
				f = &rule_fields[i];
				break;
			}
	if (f == NULL) {
		rule_err(p, "unknown field \"%s\"", quote(shown, sizeof(shown), key));
		return -1;
	}
	if (p->seen & (1u << i)) {
		rule_err(p, "%s: given twice", f->key);
		return -1;
	}
	p->seen |= 1u << i;
	if (v->type == FV_NULL)
		return 0;               /* null = absent, as in Go */

	switch (f->kind) {
	case F_ID:
		if (v->type != FV_INTEGER || v->integer <= 0) {
			rule_err(p, "id: must be a positive integer");
			return -1;
		}
		rule->id = v->integer;
		return 0;
	case F_LIST:
		return field_list(p, f, rule, v);
	case F_EFFECT:
		if (v->type != FV_STRING || (strcmp(v->str, "allow") != 0 &&
		    strcmp(v->str, "deny") != 0)) {
			rule_err(p, "effect: must be \"allow\" or \"deny\"");
			return -1;
		}
		rule->effect = v->str[0] == 'd' ? POLICY_DENY : POLICY_ALLOW;
		p->effect_given = true;
		return 0;
	case F_NAME:
	case F_STRING:
	case F_TEXT:
		break;
	}
	if (v->type != FV_STRING) {
		rule_err(p, "%s: must be a string, got %s", f->key, v->what);
		return -1;
	}
	if (field_text(p, f->key, v->str, v->len, f->kind == F_TEXT ?
	    POLICY_DESCRIPTION_MAX : POLICY_STRING_MAX, f->kind == F_TEXT) < 0)
		return -1;
	if (f->kind == F_NAME && !valid_name(v->str)) {
		rule_err(p, "name: must be 1 to %d letters, digits, '.', '_', ':' "
		    "or '-', starting with a letter or digit", POLICY_NAME_MAX);
		return -1;
	}
	if (f->check != NULL && f->check(v->str, msg, sizeof(msg)) < 0) {
		rule_err(p, "%s: %s", f->key, msg);
		return -1;
	}
	if ((*rule_string(rule, f->offset) = strdup(v->str)) == NULL) {
		rule_err(p, "out of memory");
		return -1;
	}
	return 0;
}

/* Whole-rule checks, once every member is in. */
static int
rule_check(struct rule_parser *p, const struct policy_rule *r)
{
	bool resource = r->api_groups.n > 0 || r->resources.n > 0 ||
	    r->namespaces.n > 0 || r->resource_names.n > 0;
	if (r->name == NULL) {
		rule_err(p, "name: required");
		return -1;
	}
	if (r->users.n == 0 && r->groups.n == 0) {
		rule_err(p, "users, groups: at least one subject is required");
		return -1;
	}
	if (r->verbs.n == 0) {
		rule_err(p, "verbs: required (use [\"*\"] for any verb)");
		return -1;
	}
	if (resource && r->non_resource_urls.n > 0) {
		rule_err(p, "nonResourceURLs: cannot be combined with apiGroups, "
		    "resources, namespaces or resourceNames (make two rules)");
		return -1;
	}
	if (!resource && r->non_resource_urls.n == 0) {
		rule_err(p, "apiGroups, resources: required (or nonResourceURLs "
		    "for a non-resource rule)");
		return -1;
	}
	if (resource && r->api_groups.n == 0) {
		rule_err(p, "apiGroups: required for a resource rule "
		    "([\"\"] is the core group, [\"*\"] any)");
		return -1;
	}
	if (resource && r->resources.n == 0) {
		rule_err(p, "resources: required for a resource rule ([\"*\"] for any)");
		return -1;
	}
	if (!p->effect_given) {
		rule_err(p, "effect: required (\"allow\" or \"deny\")");
		return -1;
	}
	return 0;
}

void
policy_rule_free(struct policy_rule *rule)
{
	if (rule == NULL)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(rule_fields); i++) {
		const struct rule_field *f = &rule_fields[i];
		if (f->kind == F_LIST) {
			struct policy_list *list = rule_list(rule, f->offset);
			for (size_t j = 0; j < list->n; j++)
				free(list->v[j]);
			free(list->v);
		} else if (f->kind == F_NAME || f->kind == F_STRING || f->kind == F_TEXT) {
			free(*rule_string(rule, f->offset));
		}
	}
	free(rule);
}

void
policy_rules_free(struct policy_rule **rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		policy_rule_free(rules[i]);
	free(rules);
}

/*
 * The yajl front end
 */

static const char *
json_what(yajl_val v)
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

static const char *
json_item(const struct fv *v, size_t i, size_t *len, const char **what)
{
	yajl_val item = ((yajl_val)v->src)->u.array.values[i];

	if (!YAJL_IS_STRING(item)) {
		*what = json_what(item);
		return NULL;
	}
	*len = strlen(item->u.string);  /* json_parse refuses NULs */
	return item->u.string;
}

static void
json_fv(yajl_val v, struct fv *out)
{
	memset(out, 0, sizeof(*out));
	out->src = v;
	out->what = json_what(v);
	if (v == NULL || YAJL_IS_NULL(v)) {
		out->type = FV_NULL;
	} else if (YAJL_IS_STRING(v)) {
		out->type = FV_STRING;
		out->str = v->u.string;
		out->len = strlen(v->u.string);
	} else if (YAJL_IS_INTEGER(v)) {
		out->type = FV_INTEGER;
		out->integer = YAJL_GET_INTEGER(v);
	} else if (YAJL_IS_ARRAY(v)) {
		out->type = FV_LIST;
		out->n = v->u.array.len;
		out->item = json_item;
	} else {
		out->type = FV_OTHER;
	}
}

int
policy_rule_from_json(yajl_val v, struct policy_rule **rulep, char *err,
    size_t errlen)
{
	struct rule_parser p = { .err = err, .errlen = errlen };
	struct policy_rule *rule;

	*rulep = NULL;
	if (v == NULL || !YAJL_IS_OBJECT(v)) {
		set_err(err, errlen, "a policy must be a JSON object, got %s",
		    json_what(v));
		return -1;
	}
	if ((rule = calloc(1, sizeof(*rule))) == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *key = v->u.object.keys[i];
		struct fv value;

		json_fv(v->u.object.values[i], &value);
		if (rule_field(&p, rule, key, strlen(key), &value, true) < 0)
			goto fail;
	}
	if (rule_check(&p, rule) < 0)
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
		set_err(err, errlen, "out of memory");
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
 * The libyaml front end
 */

static int
yaml_line(const yaml_node_t *node)
{
	return (int)node->start_mark.line + 1;
}

/* YAML's null: an empty plain value, "~" or "null". */
static bool
yaml_is_null(const yaml_node_t *node)
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

static const char *
yaml_what(const yaml_node_t *node)
{
	if (node->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (node->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (yaml_is_null(node))
		return "null";
	return "a string";
}

static const char *
yaml_item(const struct fv *v, size_t i, size_t *len, const char **what)
{
	const yaml_node_t *seq = v->src;
	yaml_node_t *item = yaml_document_get_node(v->doc,
	    seq->data.sequence.items.start[i]);

	if (item == NULL || item->type != YAML_SCALAR_NODE || yaml_is_null(item)) {
		*what = item == NULL ? "nothing" : yaml_what(item);
		return NULL;
	}
	*len = item->data.scalar.length;
	return (const char *)item->data.scalar.value;
}

static void
yaml_fv(yaml_document_t *doc, const yaml_node_t *node, struct fv *out)
{
	memset(out, 0, sizeof(*out));
	out->src = node;
	out->doc = doc;
	out->what = yaml_what(node);
	if (yaml_is_null(node)) {
		out->type = FV_NULL;
	} else if (node->type == YAML_SCALAR_NODE) {
		out->type = FV_STRING;
		out->str = (const char *)node->data.scalar.value;
		out->len = node->data.scalar.length;
	} else if (node->type == YAML_SEQUENCE_NODE) {
		out->type = FV_LIST;
		out->n = (size_t)(node->data.sequence.items.top -
		    node->data.sequence.items.start);
		out->item = yaml_item;
	} else {
		out->type = FV_OTHER;
	}
}

int
policy_rule_from_yaml(yaml_document_t *doc, yaml_node_t *node,
    struct policy_rule **rulep, char *err, size_t errlen)
{
	struct rule_parser p = { .err = err, .errlen = errlen };
	struct policy_rule *rule;

	*rulep = NULL;
	p.line = yaml_line(node);
	if (node->type != YAML_MAPPING_NODE) {
		rule_err(&p, "a policy must be a mapping (field: value), got %s",
		    yaml_what(node));
		return -1;
	}
	if ((rule = calloc(1, sizeof(*rule))) == NULL) {
		rule_err(&p, "out of memory");
		return -1;
	}
	rule->from_file = true;
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	    pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(doc, pair->value);
		struct fv fv;

		if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE) {
			rule_err(&p, "a field name must be a string");
			goto fail;
		}
		p.line = yaml_line(key);
		yaml_fv(doc, value, &fv);
		if (rule_field(&p, rule, (const char *)key->data.scalar.value,
		    key->data.scalar.length, &fv, false) < 0)
			goto fail;
	}
	p.line = yaml_line(node);
	if (rule_check(&p, rule) < 0)
		goto fail;
	*rulep = rule;
	return 0;
fail:
	policy_rule_free(rule);
	return -1;
}

static void
yaml_syntax_err(const yaml_parser_t *parser, char *err, size_t errlen)
{
	const char *problem = parser->problem != NULL ? parser->problem : "cannot parse";

	if (parser->error == YAML_MEMORY_ERROR)
		set_err(err, errlen, "out of memory");
	else if (parser->error == YAML_READER_ERROR)
		set_err(err, errlen, "invalid YAML: %s at byte %zu", problem,
		    parser->problem_offset);
	else if (parser->context != NULL)
		set_err(err, errlen, "line %zu: invalid YAML: %s (%s on line %zu)",
		    parser->problem_mark.line + 1, problem, parser->context,
		    parser->context_mark.line + 1);
	else
		set_err(err, errlen, "line %zu: invalid YAML: %s",
		    parser->problem_mark.line + 1, problem);
}

/* The list of rules in ROOT: the root itself, or its "policies" member. */
static int
yaml_rule_list(yaml_document_t *doc, yaml_node_t *root, yaml_node_t **listp,
    char *err, size_t errlen)
{
	*listp = NULL;
	if (root == NULL || yaml_is_null(root))
		return 0;
	if (root->type == YAML_SEQUENCE_NODE) {
		*listp = root;
		return 0;
	}
	if (root->type != YAML_MAPPING_NODE) {
		set_err(err, errlen, "line %d: expected a list of policies, or "
		    "\"policies:\" and a list", yaml_line(root));
		return -1;
	}
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(doc, pair->value);
		char shown[64];

		if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)key->data.scalar.value, "policies") != 0) {
			set_err(err, errlen, "line %d: unknown key \"%s\" (the file "
			    "holds \"policies:\" and a list)",
			    key != NULL ? yaml_line(key) : yaml_line(root),
			    key != NULL && key->type == YAML_SCALAR_NODE ?
			    quote(shown, sizeof(shown), (const char *)key->data.scalar.value) :
			    "?");
			return -1;
		}
		if (*listp != NULL) {
			set_err(err, errlen, "line %d: policies: given twice", yaml_line(key));
			return -1;
		}
		if (yaml_is_null(value))
			continue;
		if (value->type != YAML_SEQUENCE_NODE) {
			set_err(err, errlen, "line %d: policies: must be a list, got %s",
			    yaml_line(value), yaml_what(value));
			return -1;
		}
		*listp = value;
	}
	return 0;
}

int
policy_rules_from_yaml_text(const char *text, size_t len,
    struct policy_rule ***rulesp, size_t *np, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root, *list;
	struct policy_rule **rules = NULL;
	size_t n = 0, cap;
	int rc = -1;

	*rulesp = NULL;
	*np = 0;
	if (!yaml_parser_initialize(&parser)) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_syntax_err(&parser, err, errlen);
		goto out_parser;
	}
	/* A second document would be silently ignored: refuse it. */
	if ((root = yaml_document_get_root_node(&doc)) != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			yaml_syntax_err(&parser, err, errlen);
			goto out_doc;
		}
		if (yaml_document_get_root_node(&extra) != NULL) {
			set_err(err, errlen, "line %d: only one YAML document is allowed",
			    yaml_line(yaml_document_get_root_node(&extra)));
			yaml_document_delete(&extra);
			goto out_doc;
		}
		yaml_document_delete(&extra);
	}
	if (yaml_rule_list(&doc, root, &list, err, errlen) < 0)
		goto out_doc;
	cap = list == NULL ? 0 : (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start);
	if (cap > 0 && (rules = calloc(cap, sizeof(*rules))) == NULL) {
		set_err(err, errlen, "out of memory");
		goto out_doc;
	}
	for (; n < cap; n++) {
		yaml_node_t *node = yaml_document_get_node(&doc,
		    list->data.sequence.items.start[n]);

		if (node == NULL) {
			set_err(err, errlen, "policy %zu: missing", n + 1);
			goto out_rules;
		}
		if (policy_rule_from_yaml(&doc, node, &rules[n], err, errlen) < 0)
			goto out_rules;
		for (size_t i = 0; i < n; i++)
			if (strcmp(rules[i]->name, rules[n]->name) == 0) {
				set_err(err, errlen, "line %d: name: \"%s\" is already "
				    "the name of policy %zu", yaml_line(node),
				    rules[n]->name, i + 1);
				n++;
				goto out_rules;
			}
	}
	*rulesp = rules;
	*np = n;
	rules = NULL;
	rc = 0;
out_rules:
	if (rules != NULL)
		policy_rules_free(rules, n);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

/*
 * Writing rules
 */

static void
gen_list(yajl_gen g, const char *key, const struct policy_list *list)
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
rule_gen(yajl_gen g, const struct policy_rule *rule, bool with_id)
{
	yajl_gen_map_open(g);
	for (size_t i = 0; i < ARRAY_SIZE(rule_fields); i++) {
		const struct rule_field *f = &rule_fields[i];
		char *const *s;

		switch (f->kind) {
		case F_ID:
			if (with_id && rule->id > 0)
				json_gen_int(g, f->key, rule->id);
			break;
		case F_LIST:
			gen_list(g, f->key, (const struct policy_list *)
			    ((const char *)rule + f->offset));
			break;
		case F_EFFECT:
			json_gen_str(g, f->key, rule->effect == POLICY_DENY ? "deny" : "allow");
			break;
		case F_NAME:
		case F_STRING:
		case F_TEXT:
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
	rule_gen(g, rule, true);
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
	rule_gen(g, rule, false);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok &&
	    (*textp = malloc(len + 1)) != NULL) {
		memcpy(*textp, buf, len);
		(*textp)[len] = '\0';
		rc = 0;
	}
	yajl_gen_free(g);
	return rc;
}

/*
 * The compiled set
 *
 * Rules are copied into an arena, sorted by name (so "the first matching
 * rule" is well defined), and indexed by subject in an open-addressing hash
 * table keyed by (cluster, kind, name): a decision looks up the request's
 * user, each of its groups and the wildcard, globally and for its cluster,
 * and evaluates only the rules found there.
 */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define ARENA_CHUNK (64 * 1024)

static void *
arena_alloc(struct arena_chunk **head, size_t size)
{
	struct arena_chunk *c = *head;
	size_t align = sizeof(max_align_t);

	size = (size + align - 1) / align * align;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + want)) == NULL)
			return NULL;
		c->next = *head;
		c->used = 0;
		c->size = want;
		*head = c;
	}
	c->used += size;
	return (char *)c->data + c->used - size;
}

static char *
arena_strdup(struct arena_chunk **head, const char *s)
{
	size_t len = strlen(s) + 1;
	char *copy = arena_alloc(head, len);

	if (copy != NULL)
		memcpy(copy, s, len);
	return copy;
}

static void
arena_free(struct arena_chunk *c)
{
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

struct clist {
	const char **v;
	uint32_t n;
};

struct crule {
	const char *name;
	bool deny;
	bool non_resource;
	bool any_verb, any_group, any_resource, any_ns, any_name, any_url;
	struct clist verbs, api_groups, resources, namespaces, names, urls;
};

enum subject_kind { SUBJECT_USER, SUBJECT_GROUP, SUBJECT_ANY };

struct index_slot {
	const char *name;               /* NULL = empty slot */
	uint64_t hash;
	uint32_t cluster;               /* 0 = global, else 1 + index */
	uint32_t kind;
	uint32_t start, count;          /* in policy_set.refs */
};

struct policy_set {
	struct arena_chunk *arena;
	struct crule *rules;            /* sorted by name */
	size_t nrules;
	const char **clusters;          /* sorted, unique */
	size_t nclusters;
	struct index_slot *slots;
	size_t mask;                    /* number of slots - 1 */
	uint32_t *refs;                 /* rule indexes, grouped by slot */
	char *load_error;               /* NULL = none */
};

/* FNV-1a over the name; cluster and kind are mixed in afterwards so that
 * a request's strings are hashed once per decision. */
static uint64_t
hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
hash_key(uint64_t name_hash, uint32_t cluster, uint32_t kind)
{
	uint64_t h = name_hash ^ ((uint64_t)cluster << 8 | kind) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static const struct index_slot *
index_find(const struct policy_set *set, uint64_t name_hash, uint32_t cluster,
    uint32_t kind, const char *name)
{
	uint64_t h = hash_key(name_hash, cluster, kind);

	for (size_t i = h & set->mask;; i = (i + 1) & set->mask) {
		const struct index_slot *s = &set->slots[i];
		if (s->name == NULL)
			return NULL;
		if (s->hash == h && s->cluster == cluster && s->kind == kind &&
		    strcmp(s->name, name) == 0)
			return s;
	}
}

struct index_entry {
	const char *name;
	uint32_t cluster, kind, rule;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct index_entry *x = a, *y = b;
	int c;

	if (x->cluster != y->cluster)
		return x->cluster < y->cluster ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool
same_key(const struct index_entry *x, const struct index_entry *y)
{
	return x->cluster == y->cluster && x->kind == y->kind &&
	    strcmp(x->name, y->name) == 0;
}

static int
rule_ptr_cmp(const void *a, const void *b)
{
	const struct policy_rule *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int
str_ptr_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

static bool
list_has(const struct policy_list *list, const char *s)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i], s) == 0)
			return true;
	return false;
}

static int
clist_copy(struct arena_chunk **arena, struct clist *out,
    const struct policy_list *in)
{
	out->n = (uint32_t)in->n;
	if (in->n == 0)
		return 0;
	if ((out->v = arena_alloc(arena, in->n * sizeof(*out->v))) == NULL)
		return -1;
	for (size_t i = 0; i < in->n; i++)
		if ((out->v[i] = arena_strdup(arena, in->v[i])) == NULL)
			return -1;
	return 0;
}

static int
crule_build(struct arena_chunk **arena, struct crule *c,
    const struct policy_rule *r)
{
	c->name = arena_strdup(arena, r->name);
	c->deny = r->effect == POLICY_DENY;
	c->non_resource = r->non_resource_urls.n > 0;
	c->any_verb = list_has(&r->verbs, "*");
	c->any_group = list_has(&r->api_groups, "*");
	c->any_resource = list_has(&r->resources, "*");
	c->any_ns = r->namespaces.n == 0 || list_has(&r->namespaces, "*");
	c->any_name = r->resource_names.n == 0 || list_has(&r->resource_names, "*");
	c->any_url = list_has(&r->non_resource_urls, "*");
	if (c->name == NULL ||
	    clist_copy(arena, &c->verbs, &r->verbs) < 0 ||
	    clist_copy(arena, &c->api_groups, &r->api_groups) < 0 ||
	    clist_copy(arena, &c->resources, &r->resources) < 0 ||
	    clist_copy(arena, &c->namespaces, &r->namespaces) < 0 ||
	    clist_copy(arena, &c->names, &r->resource_names) < 0 ||
	    clist_copy(arena, &c->urls, &r->non_resource_urls) < 0)
		return -1;
	return 0;
}

static uint32_t
cluster_id(const struct policy_set *set, const char *cluster)
{
	size_t lo = 0, hi = set->nclusters;

	if (cluster == NULL)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(cluster, set->clusters[mid]);
		if (c == 0)
			return (uint32_t)mid + 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return UINT32_MAX;              /* no rule names this cluster */
}

/* Fill the subject index from the sorted rules (set->rules and SORTED in
 * the same order). */
static int
index_build(struct policy_set *set, const struct policy_rule *const *sorted)
{
	struct index_entry *entries;
	size_t nentries = 0, nkeys = 0, nslots = 16;
	int rc = -1;

	for (size_t i = 0; i < set->nrules; i++)
		nentries += sorted[i]->users.n + sorted[i]->groups.n;
	if ((entries = calloc(nentries > 0 ? nentries : 1, sizeof(*entries))) == NULL)
		return -1;
	nentries = 0;
	for (size_t i = 0; i < set->nrules; i++) {
		const struct policy_rule *r = sorted[i];
		uint32_t cid = cluster_id(set, r->cluster);
		for (size_t k = 0; k < 2; k++) {
			const struct policy_list *subjects = k == 0 ? &r->users : &r->groups;
			for (size_t j = 0; j < subjects->n; j++) {
				bool any = strcmp(subjects->v[j], "*") == 0;
				entries[nentries++] = (struct index_entry){
					.name = any ? "" : subjects->v[j],
					.cluster = cid,
					.kind = any ? SUBJECT_ANY : k == 0 ? SUBJECT_USER : SUBJECT_GROUP,
					.rule = (uint32_t)i,
				};
			}
		}
	}
	qsort(entries, nentries, sizeof(*entries), entry_cmp);
	for (size_t i = 0; i < nentries; i++)
		if (i == 0 || !same_key(&entries[i - 1], &entries[i]))
			nkeys++;
	while (nslots < 2 * nkeys)
		nslots *= 2;
	set->mask = nslots - 1;
	if ((set->slots = arena_alloc(&set->arena, nslots * sizeof(*set->slots))) == NULL ||
	    (set->refs = arena_alloc(&set->arena, (nentries > 0 ? nentries : 1) *
	    sizeof(*set->refs))) == NULL)
		goto out;
	memset(set->slots, 0, nslots * sizeof(*set->slots));

	size_t nrefs = 0;
	struct index_slot *slot = NULL;
	for (size_t i = 0; i < nentries; i++) {
		const struct index_entry *e = &entries[i];
		bool repeat = i > 0 && same_key(&entries[i - 1], e);

		if (repeat && entries[i - 1].rule == e->rule)
			continue;       /* a subject listed twice in one rule */
		if (!repeat) {
			uint64_t h = hash_key(hash_name(e->name), e->cluster, e->kind);
			size_t at = h & set->mask;
			while (set->slots[at].name != NULL)
				at = (at + 1) & set->mask;
			slot = &set->slots[at];
			if ((slot->name = arena_strdup(&set->arena, e->name)) == NULL)
				goto out;
			slot->hash = h;
			slot->cluster = e->cluster;
			slot->kind = e->kind;
			slot->start = (uint32_t)nrefs;
		}
		set->refs[nrefs++] = e->rule;
		slot->count++;
	}
	rc = 0;
out:
	free(entries);
	return rc;
}

int
policy_set_new(struct policy_rule *const *rules, size_t n,
    const char *load_error, struct policy_set **setp, char *err, size_t errlen)
{
	struct policy_set *set;
	const struct policy_rule **sorted = NULL;
	const char **names = NULL;
	size_t nnames = 0;

	*setp = NULL;
	if (n > UINT32_MAX / 2) {
		set_err(err, errlen, "too many policies");
		return -1;
	}
	if ((set = calloc(1, sizeof(*set))) == NULL)
		goto oom;
	if ((sorted = calloc(n > 0 ? n : 1, sizeof(*sorted))) == NULL ||
	    (names = calloc(n > 0 ? n : 1, sizeof(*names))) == NULL)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		sorted[i] = rules[i];
		if (rules[i]->cluster != NULL)
			names[nnames++] = rules[i]->cluster;
	}
	qsort(sorted, n, sizeof(*sorted), rule_ptr_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			set_err(err, errlen, "two policies are named \"%s\"", sorted[i]->name);
			goto fail;
		}

	/* Clusters: sorted unique names, id = 1 + index. */
	qsort(names, nnames, sizeof(*names), str_ptr_cmp);
	if (nnames > 0 && (set->clusters = arena_alloc(&set->arena,
	    nnames * sizeof(*set->clusters))) == NULL)
		goto oom;
	for (size_t i = 0; i < nnames; i++)
		if (i == 0 || strcmp(names[i - 1], names[i]) != 0)
			if ((set->clusters[set->nclusters++] =
			    arena_strdup(&set->arena, names[i])) == NULL)
				goto oom;

	if (n > 0 && (set->rules = arena_alloc(&set->arena, n * sizeof(*set->rules))) == NULL)
		goto oom;
	set->nrules = n;
	for (size_t i = 0; i < n; i++) {
		memset(&set->rules[i], 0, sizeof(set->rules[i]));
		if (crule_build(&set->arena, &set->rules[i], sorted[i]) < 0)
			goto oom;
	}
	if (index_build(set, sorted) < 0)
		goto oom;
	if (load_error != NULL && *load_error != '\0') {
		char buf[sizeof(((struct policy_decision *)0)->evaluation_error)];
		log_sanitize(buf, sizeof(buf), load_error);
		if ((set->load_error = arena_strdup(&set->arena, buf)) == NULL)
			goto oom;
	}
	free(names);
	free(sorted);
	*setp = set;
	return 0;
oom:
	set_err(err, errlen, "out of memory");
fail:
	free(names);
	free(sorted);
	policy_set_free(set);
	return -1;
}

void
policy_set_free(struct policy_set *set)
{
	if (set == NULL)
		return;
	arena_free(set->arena);
	free(set);
}

size_t
policy_set_count(const struct policy_set *set)
{
	return set != NULL ? set->nrules : 0;
}

/*
 * SubjectAccessReview requests
 */

static bool
json_absent(yajl_val v)
{
	return v == NULL || YAJL_IS_NULL(v);
}

/* Member KEY of OBJ as a string; absent or null is "". */
static int
sar_string(yajl_val obj, const char *where, const char *key, const char **out,
    char *err, size_t errlen)
{
	yajl_val v = json_get(obj, key);

	*out = "";
	if (json_absent(v))
		return 0;
	if (!YAJL_IS_STRING(v)) {
		set_err(err, errlen, "%s.%s: must be a string, got %s", where, key,
		    json_what(v));
		return -1;
	}
	*out = v->u.string;
	return 0;
}

/* Member KEY of OBJ as an object (or absent/null: *out = NULL). */
static int
sar_object(yajl_val obj, const char *where, const char *key, yajl_val *out,
    char *err, size_t errlen)
{
	yajl_val v = json_get(obj, key);

	*out = NULL;
	if (json_absent(v))
		return 0;
	if (!YAJL_IS_OBJECT(v)) {
		set_err(err, errlen, "%s%s%s: must be an object, got %s", where,
		    *where != '\0' ? "." : "", key, json_what(v));
		return -1;
	}
	*out = v;
	return 0;
}

static int
sar_string_list(yajl_val v, const char *what, char *err, size_t errlen)
{
	if (!YAJL_IS_ARRAY(v)) {
		set_err(err, errlen, "%s: must be a list of strings, got %s", what,
		    json_what(v));
		return -1;
	}
	for (size_t i = 0; i < v->u.array.len; i++)
		if (!YAJL_IS_STRING(v->u.array.values[i])) {
			set_err(err, errlen, "%s[%zu]: must be a string, got %s", what,
			    i, json_what(v->u.array.values[i]));
			return -1;
		}
	return 0;
}

/* The v1beta1 SubjectAccessReviewSpec calls the user's groups "group", v1
 * "groups" (k8s.io/api authorization/v1beta1 and v1 types.go). A body
 * without apiVersion may use either; one with the other version's key is
 * refused rather than read as "no groups", which would slip past deny
 * rules on groups. */
static int
sar_groups(yajl_val spec, const char *api_version, bool versioned,
    struct policy_request *sar, char *err, size_t errlen)
{
	bool v1 = strcmp(api_version, SAR_V1) == 0;
	yajl_val own = json_get(spec, v1 ? "groups" : "group");
	yajl_val other = json_get(spec, v1 ? "group" : "groups");
	const char *own_key = v1 ? "groups" : "group";

	if (!json_absent(other)) {
		if (versioned) {
			set_err(err, errlen, "spec.%s: %s uses \"%s\" for the groups",
			    v1 ? "group" : "groups", api_version, own_key);
			return -1;
		}
		if (!json_absent(own)) {
			set_err(err, errlen, "spec: give either \"group\" or \"groups\"");
			return -1;
		}
		own = other;
		own_key = v1 ? "group" : "groups";
	}
	if (json_absent(own))
		return 0;
	char what[32];
	snprintf(what, sizeof(what), "spec.%s", own_key);
	if (sar_string_list(own, what, err, errlen) < 0)
		return -1;
	if (own->u.array.len == 0)
		return 0;
	if ((sar->groups = calloc(own->u.array.len, sizeof(*sar->groups))) == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < own->u.array.len; i++)
		sar->groups[i] = own->u.array.values[i]->u.string;
	sar->ngroups = own->u.array.len;
	return 0;
}

static int
sar_extra(yajl_val spec, char *err, size_t errlen)
{
	yajl_val extra;

	if (sar_object(spec, "spec", "extra", &extra, err, errlen) < 0)
		return -1;
	if (extra == NULL)
		return 0;
	for (size_t i = 0; i < extra->u.object.len; i++) {
		char what[80], shown[48];
		if (json_absent(extra->u.object.values[i]))
			continue;
		snprintf(what, sizeof(what), "spec.extra[\"%s\"]",
		    quote(shown, sizeof(shown), extra->u.object.keys[i]));
		if (sar_string_list(extra->u.object.values[i], what, err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
sar_resource(yajl_val ra, struct policy_request *sar, char *err, size_t errlen)
{
	static const char *const where = "spec.resourceAttributes";
	yajl_val selector;

	if (sar_string(ra, where, "namespace", &sar->ns, err, errlen) < 0 ||
	    sar_string(ra, where, "verb", &sar->verb, err, errlen) < 0 ||
	    sar_string(ra, where, "group", &sar->api_group, err, errlen) < 0 ||
	    sar_string(ra, where, "version", &sar->version, err, errlen) < 0 ||
	    sar_string(ra, where, "resource", &sar->resource, err, errlen) < 0 ||
	    sar_string(ra, where, "subresource", &sar->subresource, err, errlen) < 0 ||
	    sar_string(ra, where, "name", &sar->name, err, errlen) < 0)
		return -1;
	/* Since 1.31: {"rawSelector": "...", "requirements": [...]}. Checked
	 * for type, not used: rules do not look at selectors. */
	if (sar_object(ra, where, "fieldSelector", &selector, err, errlen) < 0)
		return -1;
	sar->field_selector = selector != NULL;
	if (sar_object(ra, where, "labelSelector", &selector, err, errlen) < 0)
		return -1;
	sar->label_selector = selector != NULL;
	return 0;
}

int
policy_request_parse(yajl_val root, struct policy_request *sar, char *err,
    size_t errlen)
{
	yajl_val v, spec, ra, nra;
	bool versioned = true;
	char shown[64];

	memset(sar, 0, sizeof(*sar));
	sar->user = sar->uid = sar->ns = sar->verb = sar->api_group = "";
	sar->version = sar->resource = sar->subresource = sar->name = "";
	sar->path = "";
	sar->api_version = SAR_V1BETA1;
	if (root == NULL || !YAJL_IS_OBJECT(root)) {
		set_err(err, errlen, "a SubjectAccessReview must be a JSON object");
		return -1;
	}
	v = json_get(root, "kind");
	if (!json_absent(v) && (!YAJL_IS_STRING(v) || strcmp(v->u.string, SAR_KIND) != 0)) {
		set_err(err, errlen, "kind: expected \"%s\"%s%s%s", SAR_KIND,
		    YAJL_IS_STRING(v) ? ", got \"" : "",
		    YAJL_IS_STRING(v) ? quote(shown, sizeof(shown), v->u.string) : "",
		    YAJL_IS_STRING(v) ? "\"" : "");
		return -1;
	}
	v = json_get(root, "apiVersion");
	if (json_absent(v)) {
		versioned = false;      /* as for TokenReview: v1beta1 */
	} else if (YAJL_IS_STRING(v) && strcmp(v->u.string, SAR_V1) == 0) {
		sar->api_version = SAR_V1;
	} else if (!YAJL_IS_STRING(v) || strcmp(v->u.string, SAR_V1BETA1) != 0) {
		set_err(err, errlen, "apiVersion: expected \"%s\" or \"%s\"",
		    SAR_V1, SAR_V1BETA1);
		return -1;
	}
	if (sar_object(root, "", "metadata", &v, err, errlen) < 0 ||
	    sar_object(root, "", "spec", &spec, err, errlen) < 0)
		return -1;
	if (spec == NULL) {
		set_err(err, errlen, "spec: required");
		return -1;
	}
	if (sar_string(spec, "spec", "user", &sar->user, err, errlen) < 0 ||
	    sar_string(spec, "spec", "uid", &sar->uid, err, errlen) < 0 ||
	    sar_groups(spec, sar->api_version, versioned, sar, err, errlen) < 0 ||
	    sar_extra(spec, err, errlen) < 0 ||
	    sar_object(spec, "spec", "resourceAttributes", &ra, err, errlen) < 0 ||
	    sar_object(spec, "spec", "nonResourceAttributes", &nra, err, errlen) < 0)
		goto fail;
	if ((ra == NULL) == (nra == NULL)) {
		set_err(err, errlen, "spec: exactly one of resourceAttributes and "
		    "nonResourceAttributes is required");
		goto fail;
	}
	if (*sar->user == '\0' && sar->ngroups == 0) {
		set_err(err, errlen, "spec: user or %s is required",
		    strcmp(sar->api_version, SAR_V1) == 0 ? "groups" : "group");
		goto fail;
	}
	sar->is_resource = ra != NULL;
	if (ra != NULL) {
		if (sar_resource(ra, sar, err, errlen) < 0)
			goto fail;
	} else if (sar_string(nra, "spec.nonResourceAttributes", "path", &sar->path,
	    err, errlen) < 0 ||
	    sar_string(nra, "spec.nonResourceAttributes", "verb", &sar->verb,
	    err, errlen) < 0) {
		goto fail;
	}
	return 0;
fail:
	policy_request_cleanup(sar);
	return -1;
}

void
policy_request_cleanup(struct policy_request *sar)
{
	free(sar->groups);
	sar->groups = NULL;
	sar->ngroups = 0;
}

/*
 * Matching (RBAC's evaluation_helpers.go, plus conservative denies)
 */

static bool
clist_has(const struct clist *l, const char *s)
{
	for (uint32_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* RBAC ResourceMatches: "*" is everything, subresources included; else
 * the combined "resource/subresource" exactly, or "*\/subresource". */
static bool
resource_matches(const struct crule *r, const struct policy_request *q,
    size_t resource_len)
{
	if (r->any_resource)
		return true;
	for (uint32_t i = 0; i < r->resources.n; i++) {
		const char *rr = r->resources.v[i];
		if (*q->subresource == '\0') {
			if (strcmp(rr, q->resource) == 0)
				return true;
			continue;
		}
		if (strncmp(rr, q->resource, resource_len) == 0 &&
		    rr[resource_len] == '/' &&
		    strcmp(rr + resource_len + 1, q->subresource) == 0)
			return true;
		if (rr[0] == '*' && rr[1] == '/' && strcmp(rr + 2, q->subresource) == 0)
			return true;
	}
	return false;
}

/* An empty namespace is a cluster-scoped request or one across all
 * namespaces, an empty name a list, watch, create or deletecollection:
 * an allow rule must say so (namespaces [""], no resourceNames), a deny
 * rule limited to some namespaces or names matches them anyway. */
static bool
ns_matches(const struct crule *r, const struct policy_request *q)
{
	if (r->any_ns || (*q->ns == '\0' && r->deny))
		return true;
	return clist_has(&r->namespaces, q->ns);
}

static bool
name_matches(const struct crule *r, const struct policy_request *q)
{
	if (r->any_name)
		return true;
	if (*q->name == '\0')
		return r->deny;
	return clist_has(&r->names, q->name);
}

static bool
url_matches(const struct crule *r, const char *path)
{
	if (r->any_url)
		return true;
	for (uint32_t i = 0; i < r->urls.n; i++) {
		const char *u = r->urls.v[i];
		size_t len = strlen(u);
		if (u[len - 1] == '*' ? strncmp(u, path, len - 1) == 0 :
		    strcmp(u, path) == 0)
			return true;
	}
	return false;
}

static bool
rule_matches(const struct crule *r, const struct policy_request *q,
    size_t resource_len)
{
	if (r->non_resource == q->is_resource)
		return false;
	if (!r->any_verb && !clist_has(&r->verbs, q->verb))
		return false;
	if (r->non_resource)
		return url_matches(r, q->path);
	return (r->any_group || clist_has(&r->api_groups, q->api_group)) &&
	    resource_matches(r, q, resource_len) &&
	    ns_matches(r, q) && name_matches(r, q);
}

#define NO_RULE UINT32_MAX

struct evaluation {
	const struct policy_set *set;
	const struct policy_request *q;
	size_t resource_len;
	uint32_t deny, allow;           /* lowest matching index, or NO_RULE */
};

static void
evaluate_slot(struct evaluation *e, const struct index_slot *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = s->start; i < s->start + s->count; i++) {
		uint32_t idx = e->set->refs[i];
		const struct crule *r = &e->set->rules[idx];

		if (r->deny ? idx >= e->deny : (e->deny != NO_RULE || idx >= e->allow))
			continue;       /* cannot change the outcome */
		if (rule_matches(r, e->q, e->resource_len)) {
			if (r->deny)
				e->deny = idx;
			else
				e->allow = idx;
		}
	}
}

static bool
is_protected_user(const char *user)
{
	return strncmp(user, "system:", 7) == 0;
}

/* The groups through which rules reach a protected user: its own
 * system: groups, but not the ones every request carries. */
static bool
is_protected_group(const char *group)
{
	return strncmp(group, "system:", 7) == 0 &&
	    strcmp(group, "system:authenticated") != 0 &&
	    strcmp(group, "system:unauthenticated") != 0;
}

void
policy_decide(const struct policy_set *set, const char *cluster,
    const struct policy_request *sar, enum conf_authz_default dflt,
    struct policy_decision *d)
{
	struct evaluation e = {
		.set = set, .q = sar, .deny = NO_RULE, .allow = NO_RULE,
		.resource_len = strlen(sar->resource),
	};
	uint32_t cids[2];
	size_t ncids = 0;

	memset(d, 0, sizeof(*d));
	d->verdict = POLICY_NO_OPINION;
	d->protected_user = is_protected_user(sar->user);
	if (set == NULL) {
		/* Like a webhook that cannot answer: the API server's failure
		 * policy is no opinion, and a default deny would lock out
		 * every user while MySQL is unreachable at start-up. */
		snprintf(d->reason, sizeof(d->reason), "authorization rules are not loaded");
		snprintf(d->evaluation_error, sizeof(d->evaluation_error),
		    "authorization rules are not loaded");
		return;
	}
	if (set->load_error != NULL)
		snprintf(d->evaluation_error, sizeof(d->evaluation_error), "%s",
		    set->load_error);

	cids[ncids++] = 0;
	if (cluster != NULL && (cids[ncids] = cluster_id(set, cluster)) != UINT32_MAX)
		ncids++;
	if (set->nrules > 0) {
		uint64_t user_hash = *sar->user != '\0' ? hash_name(sar->user) : 0;
		uint64_t any_hash = hash_name("");

		for (size_t c = 0; c < ncids; c++) {
			if (*sar->user != '\0')
				evaluate_slot(&e, index_find(set, user_hash, cids[c],
				    SUBJECT_USER, sar->user));
			if (!d->protected_user)
				evaluate_slot(&e, index_find(set, any_hash, cids[c],
				    SUBJECT_ANY, ""));
			for (size_t g = 0; g < sar->ngroups; g++) {
				const char *group = sar->groups[g];
				if (d->protected_user && !is_protected_group(group))
					continue;
				evaluate_slot(&e, index_find(set, hash_name(group), cids[c],
				    SUBJECT_GROUP, group));
			}
		}
	}

	if (e.deny != NO_RULE) {
		d->verdict = POLICY_DENIED;
		d->rule = set->rules[e.deny].name;
		snprintf(d->reason, sizeof(d->reason), "denied by policy \"%s\"", d->rule);
	} else if (e.allow != NO_RULE) {
		d->verdict = POLICY_ALLOWED;
		d->rule = set->rules[e.allow].name;
		snprintf(d->reason, sizeof(d->reason), "allowed by policy \"%s\"", d->rule);
	} else if (dflt == CONF_AUTHZ_DENY && !d->protected_user) {
		d->verdict = POLICY_DENIED;
		d->by_default = true;
		snprintf(d->reason, sizeof(d->reason),
		    "denied by default: no policy allows this request");
	} else {
		snprintf(d->reason, sizeof(d->reason), "%s", d->protected_user ?
		    "no policy names this system: user or its system: groups" :
		    "no policy matches this request");
	}
}

void
policy_answer_gen(yajl_gen g, const struct policy_request *sar,
    const struct policy_decision *d)
{
	yajl_gen_map_open(g);
	json_gen_str(g, "apiVersion", sar->api_version);
	json_gen_str(g, "kind", SAR_KIND);
	json_gen_key(g, "status");
	yajl_gen_map_open(g);
	json_gen_bool(g, "allowed", d->verdict == POLICY_ALLOWED);
	if (d->verdict == POLICY_DENIED)
		json_gen_bool(g, "denied", true);
	json_gen_str(g, "reason", d->reason);
	if (d->evaluation_error[0] != '\0')
		json_gen_str(g, "evaluationError", d->evaluation_error);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

const char *
policy_verdict_name(enum policy_verdict v)
{
	switch (v) {
	case POLICY_ALLOWED:
		return "allowed";
	case POLICY_DENIED:
		return "denied";
	case POLICY_NO_OPINION:
		break;
	}
	return "no-opinion";
}
