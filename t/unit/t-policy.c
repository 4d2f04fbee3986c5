/*
 * t-policy.c — authorization rules: parsing (JSON and YAML), the
 * SubjectAccessReview reader, matching and decisions, the answer.
 *
 * The decision table is the heart of it: one rule set (global rules and
 * two clusters' rules), one row per request, the verdict and the rule
 * expected. `t-policy --bench` times decisions over 1,000 rules instead.
 */
#include "../../src/json.h"
#include "../../src/log.h"
#include "../../src/policy_file.h"
#include "../../src/policy_request.h"
#include "../../src/policy_rule.h"
#include "../../src/policy_set.h"
#include "tap.h"

#include <dirent.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *srcdir = ".";
static char err[256];

/* A rule from JSON text, or NULL with the message in err. */
static struct policy_rule *
rule(const char *json)
{
	struct policy_rule *r = NULL;

	err[0] = '\0';
	if (policy_rule_from_json_text(json, strlen(json), &r, err, sizeof(err)) < 0)
		return NULL;
	return r;
}

/* A compiled set from JSON rules; exits when a rule is refused, since the
 * tests that use it would mean nothing. */
static struct policy_set *
set_of(const char *const *json, size_t n, const char *load_error)
{
	struct policy_rule **rules = calloc(n + 1, sizeof(*rules));
	struct policy_set *set = NULL;

	for (size_t i = 0; i < n; i++)
		if ((rules[i] = rule(json[i])) == NULL) {
			printf("Bail out! rule %zu refused: %s\n", i, err);
			exit(2);
		}
	if (policy_set_new((const struct policy_rule *const *)rules, n, load_error, &set, err, sizeof(err)) < 0) {
		printf("Bail out! set refused: %s\n", err);
		exit(2);
	}
	policy_rule_free_all(rules, n);
	return set;
}

struct outcome {
	int parsed;                     /* 0 = policy_request_parse failed */
	enum policy_verdict verdict;
	char rule[POLICY_NAME_MAX + 1];
	char answer[1024];
	char api_version[64];
};

static struct outcome
decide(const struct policy_set *set, const char *cluster, const char *body,
    enum conf_authz_default dflt)
{
	struct outcome o = { 0 };
	struct policy_request sar;
	struct policy_decision d;
	yajl_val tree = NULL;
	char *copy = strdup(body);

	err[0] = '\0';
	if (json_parse(copy, strlen(copy), &tree, err, sizeof(err)) == 0 &&
	    policy_request_parse(tree, &sar, err, sizeof(err)) == 0) {
		yajl_gen g = yajl_gen_alloc(NULL);
		const unsigned char *buf;
		size_t len;

		o.parsed = 1;
		policy_set_decide(set, cluster, &sar, dflt, &d);
		o.verdict = d.verdict;
		snprintf(o.rule, sizeof(o.rule), "%s", d.rule != NULL ? d.rule : "");
		snprintf(o.api_version, sizeof(o.api_version), "%s", sar.api_version);
		policy_request_answer_gen(g, &sar, &d);
		yajl_gen_get_buf(g, &buf, &len);
		snprintf(o.answer, sizeof(o.answer), "%.*s", (int)len, buf);
		yajl_gen_free(g);
		policy_request_cleanup(&sar);
	}
	json_free(tree);
	free(copy);
	return o;
}

/*
 * The API server's checks on an answer (k8s-fixtures/README.md, R4-R8):
 * one JSON object; apiVersion and kind exactly the request's pair;
 * allowed/denied booleans, reason/evaluationError strings; never both
 * allowed and denied. Returns NULL or what is wrong.
 */
static const char *
answer_problem(const char *answer, const char *api_version)
{
	static char problem[128];
	yajl_val tree = NULL, status, v;
	char *copy = strdup(answer);
	const char *what = NULL;

	if (json_parse(copy, strlen(copy), &tree, problem, sizeof(problem)) < 0) {
		free(copy);
		return problem;
	}
	status = json_get(tree, "status");
	if (!YAJL_IS_OBJECT(tree))
		what = "R4: not an object";
	else if ((v = json_get(tree, "apiVersion")) == NULL || !YAJL_IS_STRING(v) ||
	    strcmp(v->u.string, api_version) != 0)
		what = "R5: apiVersion";
	else if ((v = json_get(tree, "kind")) == NULL || !YAJL_IS_STRING(v) ||
	    strcmp(v->u.string, "SubjectAccessReview") != 0)
		what = "R5: kind";
	else if (status == NULL || !YAJL_IS_OBJECT(status))
		what = "R8: no status";
	else if ((v = json_get(status, "allowed")) == NULL ||
	    !(YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)))
		what = "R7: allowed";
	else if ((v = json_get(status, "denied")) != NULL && !YAJL_IS_TRUE(v))
		what = "denied present but not true";
	else if (v != NULL && YAJL_IS_TRUE(json_get(status, "allowed")))
		what = "both allowed and denied";
	else if ((v = json_get(status, "reason")) == NULL || !YAJL_IS_STRING(v))
		what = "R7: reason";
	else if ((v = json_get(status, "evaluationError")) != NULL &&
	    (!YAJL_IS_STRING(v) || *v->u.string == '\0'))
		what = "R7: evaluationError";
	json_free(tree);
	free(copy);
	return what;
}

/*
 * Rule parsing
 */

static void
test_rule_parsing(void)
{
	struct policy_rule *r;
	char *text;

	r = rule("{\"name\":\"devs-read\",\"cluster\":\"prod\",\"groups\":[\"devs\"],"
	    "\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"\",\"apps\"],"
	    "\"resources\":[\"pods\",\"pods/log\",\"*/scale\"],\"namespaces\":[\"a\",\"\"],"
	    "\"resourceNames\":[\"web\"],\"effect\":\"allow\",\"description\":\"read\\nonly\"}");
	ok(r != NULL, "a full resource rule parses (%s)", err);
	if (r != NULL) {
		is_str(r->name, "devs-read", "name");
		is_str(r->cluster, "prod", "cluster");
		is_int(r->groups.n, 1, "groups");
		is_int(r->users.n, 0, "absent users: n = 0");
		is_str(r->api_groups.v[0], "", "the core group is \"\"");
		is_str(r->resources.v[2], "*/scale", "*/scale kept");
		is_str(r->namespaces.v[1], "", "namespace \"\" kept");
		is_int(r->effect, POLICY_ALLOW, "effect allow");
		is_str(r->description, "read\nonly", "description");
		is_int(r->id, 0, "no id");
		ok(!r->from_file, "not from the file");
		ok(policy_rule_to_json(r, &text) == 0, "to_json");
		is_str(text, "{\"name\":\"devs-read\",\"cluster\":\"prod\",\"groups\":[\"devs\"],"
		    "\"verbs\":[\"get\",\"list\"],\"apiGroups\":[\"\",\"apps\"],"
		    "\"resources\":[\"pods\",\"pods/log\",\"*/scale\"],\"namespaces\":[\"a\",\"\"],"
		    "\"resourceNames\":[\"web\"],\"effect\":\"allow\",\"description\":\"read\\nonly\"}",
		    "the stored form uses the API's field names");
		struct policy_rule *again = rule(text);
		char *text2 = NULL;
		ok(again != NULL && policy_rule_to_json(again, &text2) == 0 &&
		    strcmp(text, text2) == 0, "stored form parses back to the same rule");
		free(text2);
		policy_rule_free(again);
		free(text);
		policy_rule_free(r);
	}

	r = rule("{\"id\":42,\"name\":\"health\",\"users\":[\"*\"],\"verbs\":[\"get\"],"
	    "\"nonResourceURLs\":[\"/healthz\",\"/logs/*\",\"*\"],\"effect\":\"deny\","
	    "\"cluster\":null,\"description\":null}");
	ok(r != NULL, "a non-resource rule with an id and nulls parses (%s)", err);
	if (r != NULL) {
		yajl_gen g = yajl_gen_alloc(NULL);
		const unsigned char *buf;
		size_t len;

		is_int(r->id, 42, "id kept");
		ok(r->cluster == NULL && r->description == NULL, "null = absent");
		is_int(r->effect, POLICY_DENY, "effect deny");
		policy_rule_gen(g, r);
		yajl_gen_get_buf(g, &buf, &len);
		is_str((const char *)buf, "{\"id\":42,\"name\":\"health\",\"users\":[\"*\"],"
		    "\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\",\"/logs/*\",\"*\"],"
		    "\"effect\":\"deny\"}", "GET shape: id first, absent fields left out");
		yajl_gen_free(g);
		ok(policy_rule_to_json(r, &text) == 0 && strstr(text, "\"id\"") == NULL,
		    "the stored form has no id");
		free(text);
		policy_rule_free(r);
	}

	/* Bad bodies: each with the message the client gets. */
	static const struct {
		const char *json, *message;
	} bad[] = {
		{ "[]", "a policy must be a JSON object, got a list" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\",\"color\":\"red\"}",
		  "unknown field \"color\"" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "verbs: must not be empty (use [\"*\"] to match any)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"namespaces\":[],\"effect\":\"allow\"}",
		  "namespaces: must not be empty (leave the field out to match any)" },
		{ "{\"name\":\"x\",\"users\":[],\"groups\":[\"g\"],\"verbs\":[\"get\"],"
		  "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "users: must not be empty (leave the field out)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"nonResourceURLs\":[\"/healthz\"],\"effect\":\"allow\"}",
		  "nonResourceURLs: cannot be combined with apiGroups, resources, namespaces "
		  "or resourceNames (make two rules)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"namespaces\":[\"a\"],"
		  "\"nonResourceURLs\":[\"/healthz\"],\"effect\":\"allow\"}",
		  "nonResourceURLs: cannot be combined with apiGroups, resources, namespaces "
		  "or resourceNames (make two rules)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "verbs: required (use [\"*\"] for any verb)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":null,\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "verbs: required (use [\"*\"] for any verb)" },
		{ "{\"name\":\"x\",\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "users, groups: at least one subject is required" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"permit\"}",
		  "effect: must be \"allow\" or \"deny\"" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"]}",
		  "effect: required (\"allow\" or \"deny\")" },
		{ "{\"name\":\"x\",\"users\":\"alice\",\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "users: must be a list of strings, got a string" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\",7],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "verbs[1]: must be a string, got a number" },
		{ "{\"name\":[\"x\"],\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "name: must be a string, got a list" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":true}",
		  "effect: must be \"allow\" or \"deny\"" },
		{ "{\"name\":\"x\",\"cluster\":{},\"users\":[\"a\"],\"verbs\":[\"get\"],"
		  "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "cluster: must be a string, got an object" },
		{ "{\"name\":\"x\",\"cluster\":\"\",\"users\":[\"a\"],\"verbs\":[\"get\"],"
		  "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "cluster: must be a cluster name of 1 to 253 bytes (leave it out for a global rule)" },
		{ "{\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "name: required" },
		{ "{\"name\":\"bad name\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "name: must be 1 to 253 letters, digits, '.', '_', ':' or '-', starting with a letter or digit" },
		{ "{\"name\":\"\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "name: must be 1 to 253 letters, digits, '.', '_', ':' or '-', starting with a letter or digit" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"resources\":[\"pods\"],"
		  "\"effect\":\"allow\"}",
		  "apiGroups: required for a resource rule ([\"\"] is the core group, [\"*\"] any)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"effect\":\"allow\"}",
		  "resources: required for a resource rule ([\"*\"] for any)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"effect\":\"allow\"}",
		  "apiGroups, resources: required (or nonResourceURLs for a non-resource rule)" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods/*\"],\"effect\":\"allow\"}",
		  "resources[0]: \"pods/*\": must be a resource (\"pods\"), a subresource (\"pods/log\"), "
		  "\"*/\" and a subresource (\"*/scale\"), or \"*\"" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],"
		  "\"nonResourceURLs\":[\"healthz\"],\"effect\":\"allow\"}",
		  "nonResourceURLs[0]: \"healthz\": must be a path starting with \"/\", optionally "
		  "ending in \"*\" (a prefix), or \"*\"" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],"
		  "\"nonResourceURLs\":[\"/a*b\"],\"effect\":\"allow\"}",
		  "nonResourceURLs[0]: \"/a*b\": must be a path starting with \"/\", optionally "
		  "ending in \"*\" (a prefix), or \"*\"" },
		{ "{\"name\":\"x\",\"groups\":[\"system:*\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "groups[0]: \"system:*\": \"*\" is a wildcard only on its own" },
		{ "{\"name\":\"x\",\"users\":[\"\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "users[0]: \"\": must not be an empty string" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\",\"id\":0}",
		  "id: must be a positive integer" },
		{ "{\"name\":\"x\",\"users\":[\"a\\u0001\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "users[0]: must not contain control characters" },
		{ "{\"name\":\"x\",\"name\":\"y\",\"users\":[\"a\"],\"verbs\":[\"get\"],"
		  "\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"effect\":\"allow\"}",
		  "name: given twice" },
		{ "{\"name\":\"x\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
		  "\"resources\":[\"pods\"],\"effect\":\"allow\",\"\\u00e9\\u0007\":1}",
		  "unknown field \"???\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = rule(bad[i].json);
		ok(r == NULL, "bad rule %zu refused", i);
		is_str(err, bad[i].message, "bad rule %zu: message", i);
		policy_rule_free(r);
	}

	r = rule("{\"name\":\"x\"");
	ok(r == NULL && strncmp(err, "invalid JSON: ", 14) == 0, "a truncated body is invalid JSON");

	/* A long unknown key is cut in the message. */
	char json[600];
	snprintf(json, sizeof(json), "{\"%0300d\":1}", 0);
	r = rule(json);
	ok(r == NULL && strlen(err) < 100, "a long unknown field is shown cut (%zu bytes)",
	    strlen(err));

	/* policy_rule_from_json_text needs no NUL after the text. */
	const char *row = "{\"name\":\"n\",\"users\":[\"u\"],\"verbs\":[\"get\"],"
	    "\"nonResourceURLs\":[\"/x\"],\"effect\":\"allow\"}GARBAGE";
	r = NULL;
	ok(policy_rule_from_json_text(row, strlen(row) - 7, &r, err, sizeof(err)) == 0,
	    "parse from a length-delimited buffer (%s)", err);
	policy_rule_free(r);
}

/*
 * The policy file
 */

static void
test_yaml(void)
{
	struct policy_rule **rules;
	size_t n;
	const char *list =
	    "# a plain list\n"
	    "- name: devs-read\n"
	    "  groups: [developers]\n"
	    "  verbs: [get, list]\n"
	    "  apiGroups: [\"\"]\n"
	    "  resources: [pods, \"*/scale\"]\n"
	    "  namespaces: [\"\", team-a]\n"
	    "  effect: allow\n"
	    "- name: health\n"
	    "  cluster: prod\n"
	    "  users: [\"*\"]\n"
	    "  verbs: [\"*\"]\n"
	    "  nonResourceURLs:\n"
	    "    - /healthz\n"
	    "    - /logs/*\n"
	    "  effect: deny\n"
	    "  description: >\n"
	    "    folded text\n";

	err[0] = '\0';
	ok(policy_file_parse(list, strlen(list), &rules, &n, err, sizeof(err)) == 0,
	    "a YAML list of rules parses (%s)", err);
	is_int(n, 2, "two rules");
	if (n == 2) {
		is_str(rules[0]->namespaces.v[0], "", "quoted \"\" is the empty namespace");
		is_str(rules[0]->resources.v[1], "*/scale", "quoted */scale");
		ok(rules[0]->from_file && rules[1]->from_file, "marked as file rules");
		is_str(rules[1]->cluster, "prod", "cluster");
		is_str(rules[1]->non_resource_urls.v[1], "/logs/*", "a URL prefix");
		is_str(rules[1]->description, "folded text\n", "a folded description");
		is_int(rules[1]->effect, POLICY_DENY, "deny");
	}
	policy_rule_free_all(rules, n);

	const char *mapping =
	    "policies:\n"
	    "  - {name: a, users: [alice], verbs: [get], nonResourceURLs: [/x], effect: allow}\n";
	err[0] = '\0';
	ok(policy_file_parse(mapping, strlen(mapping), &rules, &n, err, sizeof(err)) == 0 &&
	    n == 1, "\"policies:\" and a list parses (%s)", err);
	policy_rule_free_all(rules, n);

	static const char *const empties[] = { "", "# nothing\n", "policies:\n", "[]\n", "~\n" };
	for (size_t i = 0; i < ARRAY_SIZE(empties); i++) {
		rules = (struct policy_rule **)1;
		err[0] = '\0';
		err[0] = '\0';
	ok(policy_file_parse(empties[i], strlen(empties[i]), &rules, &n,
		    err, sizeof(err)) == 0 && n == 0 && rules == NULL,
		    "empty file %zu: no rules (%s)", i, err);
	}

	static const struct {
		const char *yaml, *message;
	} bad[] = {
		{ "- name: a\n  users: [alice]\n  verbs: [get]\n  nonResourceURLs: [/x]\n"
		  "  effect: allow\n  colour: red\n",
		  "line 6: unknown field \"colour\"" },
		{ "- name: a\n  users: [alice]\n  verbs: [get]\n  nonResourceURLs: [/x]\n"
		  "  effect: allow\n- name: a\n  users: [bob]\n  verbs: [get]\n"
		  "  nonResourceURLs: [/x]\n  effect: allow\n",
		  "line 6: name: \"a\" is already the name of policy 1" },
		{ "- name: a\n  users: [alice]\n  verbs: []\n  nonResourceURLs: [/x]\n  effect: allow\n",
		  "line 3: verbs: must not be empty (use [\"*\"] to match any)" },
		{ "- name: a\n  users: [alice]\n  verbs: [get]\n  nonResourceURLs: [/x]\n",
		  "line 1: effect: required (\"allow\" or \"deny\")" },
		{ "- name: a\n  users: alice\n  verbs: [get]\n  nonResourceURLs: [/x]\n  effect: allow\n",
		  "line 2: users: must be a list of strings, got a string" },
		{ "- name: a\n  users: [~]\n  verbs: [get]\n  nonResourceURLs: [/x]\n  effect: allow\n",
		  "line 2: users[0]: must be a string, got null" },
		{ "- name: a\n  id: 3\n  users: [a]\n  verbs: [get]\n  nonResourceURLs: [/x]\n  effect: allow\n",
		  "line 2: unknown field \"id\"" },
		{ "- just a string\n", "line 1: a policy must be a mapping (field: value), got a string" },
		{ "rules:\n  - name: a\n", "line 1: unknown key \"rules\" (the file holds \"policies:\" and a list)" },
		{ "policies: {name: a}\n", "line 1: policies: must be a list, got a mapping" },
		{ "- name: a\n  verbs: [*]\n", "line 2: invalid YAML: did not find expected alphabetic or numeric character (while scanning an alias on line 2)" },
		{ "- name: a\n---\n- name: b\n", "line 3: only one YAML document is allowed" },
		{ "- name: \"a\\0b\"\n", "line 1: name: must not contain NUL" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		rules = NULL;
		n = 0;
		err[0] = '\0';
	ok(policy_file_parse(bad[i].yaml, strlen(bad[i].yaml), &rules, &n,
		    err, sizeof(err)) < 0 && rules == NULL && n == 0, "bad file %zu refused", i);
		is_str(err, bad[i].message, "bad file %zu: message", i);
	}
}

/*
 * The decision table
 */

#define V1(user, groups, attrs) \
	"{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\"," \
	"\"metadata\":{},\"spec\":{" attrs ",\"user\":\"" user "\",\"groups\":[" groups "]}}"
#define V1B(user, groups, attrs) \
	"{\"kind\":\"SubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1beta1\"," \
	"\"metadata\":{\"creationTimestamp\":null},\"spec\":{" attrs ",\"user\":\"" user \
	"\",\"group\":[" groups "]}}"
/* resourceAttributes with namespace, verb, group, resource, subresource, name */
#define RES(ns, verb, group, resource, sub, name) \
	"\"resourceAttributes\":{\"namespace\":\"" ns "\",\"verb\":\"" verb \
	"\",\"group\":\"" group "\",\"version\":\"v1\",\"resource\":\"" resource \
	"\",\"subresource\":\"" sub "\",\"name\":\"" name "\"}"
#define NONRES(verb, path) \
	"\"nonResourceAttributes\":{\"path\":\"" path "\",\"verb\":\"" verb "\"}"
#define AUTH "\"system:authenticated\""

static const char *const table_rules[] = {
	"{\"name\":\"alice-pods\",\"users\":[\"alice\"],\"verbs\":[\"get\",\"list\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"namespaces\":[\"team-a\"],\"effect\":\"allow\"}",
	"{\"name\":\"devs-deploy\",\"groups\":[\"developers\"],\"verbs\":[\"get\",\"update\"],"
	"\"apiGroups\":[\"apps\"],\"resources\":[\"deployments\",\"deployments/scale\"],"
	"\"namespaces\":[\"team-a\"],\"effect\":\"allow\"}",
	"{\"name\":\"ops-all\",\"groups\":[\"ops\"],\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],"
	"\"resources\":[\"*\"],\"effect\":\"allow\"}",
	"{\"name\":\"bob-scale\",\"users\":[\"bob\"],\"verbs\":[\"update\",\"patch\"],"
	"\"apiGroups\":[\"*\"],\"resources\":[\"*/scale\"],\"effect\":\"allow\"}",
	"{\"name\":\"viewers-nodes\",\"groups\":[\"viewers\"],\"verbs\":[\"get\",\"list\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"nodes\",\"pods\"],\"namespaces\":[\"\"],\"effect\":\"allow\"}",
	"{\"name\":\"carol-cm\",\"users\":[\"carol\"],\"verbs\":[\"*\"],\"apiGroups\":[\"\"],"
	"\"resources\":[\"configmaps\"],\"namespaces\":[\"kube-public\"],"
	"\"resourceNames\":[\"cluster-info\"],\"effect\":\"allow\"}",
	"{\"name\":\"carol-any-name\",\"users\":[\"carol\"],\"verbs\":[\"get\"],\"apiGroups\":[\"\"],"
	"\"resources\":[\"services\"],\"resourceNames\":[\"*\"],\"namespaces\":[\"*\"],\"effect\":\"allow\"}",
	"{\"name\":\"devs-secrets\",\"groups\":[\"developers\"],\"verbs\":[\"get\",\"list\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"effect\":\"allow\"}",
	"{\"name\":\"devs-no-kube-system-secrets\",\"groups\":[\"developers\"],\"verbs\":[\"*\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"namespaces\":[\"kube-system\"],\"effect\":\"deny\"}",
	"{\"name\":\"alice-not-db-password\",\"users\":[\"alice\"],\"verbs\":[\"*\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"resourceNames\":[\"db-password\"],"
	"\"effect\":\"deny\"}",
	"{\"name\":\"authenticated-health\",\"groups\":[\"system:authenticated\"],\"verbs\":[\"get\"],"
	"\"nonResourceURLs\":[\"/healthz\",\"/version\"],\"effect\":\"allow\"}",
	"{\"name\":\"dave-logs\",\"users\":[\"dave\"],\"verbs\":[\"get\"],"
	"\"nonResourceURLs\":[\"/logs/*\"],\"effect\":\"allow\"}",
	"{\"name\":\"everyone-metrics\",\"groups\":[\"*\"],\"verbs\":[\"get\"],"
	"\"nonResourceURLs\":[\"/metrics\"],\"effect\":\"allow\"}",
	"{\"name\":\"nobody-deletes-namespaces\",\"groups\":[\"system:authenticated\"],"
	"\"verbs\":[\"delete\"],\"apiGroups\":[\"\"],\"resources\":[\"namespaces\"],\"effect\":\"deny\"}",
	"{\"name\":\"anyone-deletes-namespaces\",\"users\":[\"*\"],"
	"\"verbs\":[\"delete\"],\"apiGroups\":[\"\"],\"resources\":[\"namespaces\"],\"effect\":\"allow\"}",
	"{\"name\":\"kcm-leases\",\"users\":[\"system:kube-controller-manager\"],"
	"\"verbs\":[\"get\",\"update\"],\"apiGroups\":[\"coordination.k8s.io\"],"
	"\"resources\":[\"leases\"],\"namespaces\":[\"kube-system\"],\"effect\":\"allow\"}",
	"{\"name\":\"masters-keep-nodes\",\"groups\":[\"system:masters\"],\"verbs\":[\"delete\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"effect\":\"deny\"}",
	"{\"name\":\"prod-read-only\",\"cluster\":\"prod\",\"groups\":[\"developers\"],"
	"\"verbs\":[\"create\",\"update\",\"patch\",\"delete\"],\"apiGroups\":[\"*\"],"
	"\"resources\":[\"*\"],\"effect\":\"deny\"}",
	"{\"name\":\"dev-alice-all\",\"cluster\":\"dev\",\"users\":[\"alice\"],\"verbs\":[\"*\"],"
	"\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"effect\":\"allow\"}",
};

struct row {
	const char *what;
	const char *cluster;
	enum conf_authz_default dflt;
	const char *sar;
	enum policy_verdict verdict;
	const char *rule;               /* "" = none */
};

#define NOOP CONF_AUTHZ_NO_OPINION
#define DENYD CONF_AUTHZ_DENY
#define A POLICY_ALLOWED
#define D POLICY_DENIED
#define N POLICY_NO_OPINION

static const struct row table[] = {
	/* user vs group subjects, group vs groups */
	{ "user rule: alice gets a pod in team-a", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "", "pods", "", "web")), A, "alice-pods" },
	{ "user rule, v1beta1 body", NULL, NOOP,
	  V1B("alice", AUTH, RES("team-a", "list", "", "pods", "", "")), A, "alice-pods" },
	{ "group rule through v1 groups", NULL, NOOP,
	  V1("jane", "\"developers\"," AUTH, RES("team-a", "update", "apps", "deployments", "", "web")),
	  A, "devs-deploy" },
	{ "group rule through v1beta1 group", NULL, NOOP,
	  V1B("jane", "\"developers\"," AUTH, RES("team-a", "update", "apps", "deployments", "", "web")),
	  A, "devs-deploy" },
	{ "a user named like a group is not in it", NULL, NOOP,
	  V1("developers", AUTH, RES("team-a", "update", "apps", "deployments", "", "web")), N, "" },
	{ "a group named like a user does not grant the user's rules", NULL, NOOP,
	  V1("jane", "\"alice\"", RES("team-a", "get", "", "pods", "", "web")), N, "" },
	/* verbs, API groups */
	{ "a verb the rule does not list", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "delete", "", "pods", "", "web")), N, "" },
	{ "core group \"\" does not cover another group's pods", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "metrics.k8s.io", "pods", "", "web")), N, "" },
	{ "apps rule does not cover the core group", NULL, NOOP,
	  V1("jane", "\"developers\"", RES("team-a", "get", "", "deployments", "", "web")), N, "" },
	/* subresources */
	{ "pods does not cover pods/exec", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "", "pods", "exec", "web")), N, "" },
	{ "pods does not cover pods/log", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "", "pods", "log", "web")), N, "" },
	{ "deployments/scale listed explicitly", NULL, NOOP,
	  V1("jane", "\"developers\"", RES("team-a", "update", "apps", "deployments", "scale", "web")),
	  A, "devs-deploy" },
	{ "*/scale matches any resource's scale", NULL, NOOP,
	  V1("bob", AUTH, RES("ns1", "patch", "apps", "statefulsets", "scale", "db")), A, "bob-scale" },
	{ "*/scale does not match the resource itself", NULL, NOOP,
	  V1("bob", AUTH, RES("ns1", "patch", "apps", "statefulsets", "", "db")), N, "" },
	{ "*/scale does not match another subresource", NULL, NOOP,
	  V1("bob", AUTH, RES("ns1", "patch", "apps", "statefulsets", "status", "db")), N, "" },
	/* "*" in every field */
	{ "* verbs/apiGroups/resources: anything, subresources too", NULL, NOOP,
	  V1("olga", "\"ops\"", RES("x", "deletecollection", "batch", "jobs", "", "")), A, "ops-all" },
	{ "* resources covers pods/exec", NULL, NOOP,
	  V1("olga", "\"ops\"", RES("x", "create", "", "pods", "exec", "p")), A, "ops-all" },
	{ "* resourceNames and namespaces: any name anywhere", NULL, NOOP,
	  V1("carol", AUTH, RES("ns9", "get", "", "services", "", "api")), A, "carol-any-name" },
	/* namespaces */
	{ "namespaced rule: another namespace", NULL, NOOP,
	  V1("alice", AUTH, RES("team-b", "get", "", "pods", "", "web")), N, "" },
	{ "namespaced allow does not cover an all-namespaces list", NULL, NOOP,
	  V1("alice", AUTH, RES("", "list", "", "pods", "", "")), N, "" },
	{ "namespaces [\"\"]: a cluster-scoped request", NULL, NOOP,
	  V1("vic", "\"viewers\"", RES("", "get", "", "nodes", "", "node-1")), A, "viewers-nodes" },
	{ "namespaces [\"\"]: a list across all namespaces", NULL, NOOP,
	  V1("vic", "\"viewers\"", RES("", "list", "", "pods", "", "")), A, "viewers-nodes" },
	{ "namespaces [\"\"]: not a namespaced request", NULL, NOOP,
	  V1("vic", "\"viewers\"", RES("default", "get", "", "pods", "", "web")), N, "" },
	/* resourceNames */
	{ "resourceNames: the named object", NULL, NOOP,
	  V1("carol", AUTH, RES("kube-public", "get", "", "configmaps", "", "cluster-info")),
	  A, "carol-cm" },
	{ "resourceNames: another object", NULL, NOOP,
	  V1("carol", AUTH, RES("kube-public", "get", "", "configmaps", "", "other")), N, "" },
	{ "resourceNames: an allow does not cover a list without name", NULL, NOOP,
	  V1("carol", AUTH, RES("kube-public", "list", "", "configmaps", "", "")), N, "" },
	/* deny over allow, conservative denies */
	{ "allowed secret outside the denied namespace", NULL, NOOP,
	  V1("jane", "\"developers\"", RES("team-a", "get", "", "secrets", "", "tls")),
	  A, "devs-secrets" },
	{ "deny over allow in kube-system", NULL, NOOP,
	  V1("jane", "\"developers\"", RES("kube-system", "get", "", "secrets", "", "tls")),
	  D, "devs-no-kube-system-secrets" },
	{ "conservative deny: list secrets across namespaces", NULL, NOOP,
	  V1("jane", "\"developers\"", RES("", "list", "", "secrets", "", "")),
	  D, "devs-no-kube-system-secrets" },
	{ "conservative deny: list without name vs a resourceNames deny", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "list", "", "secrets", "", "")), D, "alice-not-db-password" },
	{ "a resourceNames deny does not touch another name", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "", "secrets", "", "tls")), N, "" },
	{ "a resourceNames deny on its name", NULL, NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "", "secrets", "", "db-password")),
	  D, "alice-not-db-password" },
	/* non-resource URLs */
	{ "nonResourceURL exact", NULL, NOOP,
	  V1("jane", AUTH, NONRES("get", "/healthz")), A, "authenticated-health" },
	{ "nonResourceURL exact does not prefix", NULL, NOOP,
	  V1("jane", AUTH, NONRES("get", "/healthz/etcd")), N, "" },
	{ "nonResourceURL prefix", NULL, NOOP,
	  V1("dave", "", NONRES("get", "/logs/kube-apiserver.log")), A, "dave-logs" },
	{ "nonResourceURL prefix: the directory itself", NULL, NOOP,
	  V1("dave", "", NONRES("get", "/logs/")), A, "dave-logs" },
	{ "nonResourceURL prefix does not match a sibling", NULL, NOOP,
	  V1("dave", "", NONRES("get", "/logsx")), N, "" },
	{ "nonResourceURL rule: verb", NULL, NOOP,
	  V1("jane", AUTH, NONRES("post", "/healthz")), N, "" },
	{ "a non-resource rule does not match a resource request", NULL, NOOP,
	  V1("dave", "", RES("logs", "get", "", "logs", "", "")), N, "" },
	{ "a groups [\"*\"] rule covers any user", NULL, NOOP,
	  V1("zed", "\"nobody-knows\"", NONRES("get", "/metrics")), A, "everyone-metrics" },
	/* global vs cluster rules */
	{ "global path: cluster rules do not apply", NULL, NOOP,
	  V1("jane", "\"developers\"", RES("team-a", "update", "apps", "deployments", "", "web")),
	  A, "devs-deploy" },
	{ "prod: its deny applies over a global allow", "prod", NOOP,
	  V1("jane", "\"developers\"", RES("team-a", "update", "apps", "deployments", "", "web")),
	  D, "prod-read-only" },
	{ "dev: prod's deny does not apply", "dev", NOOP,
	  V1("jane", "\"developers\"", RES("team-a", "update", "apps", "deployments", "", "web")),
	  A, "devs-deploy" },
	{ "dev: its own allow", "dev", NOOP,
	  V1("alice", AUTH, RES("team-z", "delete", "", "pods", "", "web")), A, "dev-alice-all" },
	{ "prod: dev's allow does not apply", "prod", NOOP,
	  V1("alice", AUTH, RES("team-z", "delete", "", "pods", "", "web")), N, "" },
	{ "a cluster no rule names: global rules", "staging", NOOP,
	  V1("alice", AUTH, RES("team-a", "get", "", "pods", "", "web")), A, "alice-pods" },
	/* default: deny */
	{ "no match, default deny", NULL, DENYD,
	  V1("alice", AUTH, RES("team-b", "get", "", "pods", "", "web")), D, "" },
	{ "an allow still allows under default deny", "prod", DENYD,
	  V1("alice", AUTH, RES("team-a", "get", "", "pods", "", "web")), A, "alice-pods" },
	{ "deny on system:authenticated", NULL, NOOP,
	  V1("jane", AUTH, RES("", "delete", "", "namespaces", "", "team-a")),
	  D, "nobody-deletes-namespaces" },
	/* protected system: users */
	{ "system: user: a deny on system:authenticated does not touch it", NULL, NOOP,
	  V1("system:kube-controller-manager", AUTH, RES("", "delete", "", "namespaces", "", "x")),
	  N, "" },
	{ "system: user: nor does a users [\"*\"] allow", NULL, NOOP,
	  V1("system:kube-controller-manager", "", RES("", "delete", "", "namespaces", "", "x")),
	  N, "" },
	{ "system: user: a groups [\"*\"] rule does not touch it", NULL, NOOP,
	  V1("system:kube-controller-manager", AUTH, NONRES("get", "/metrics")), N, "" },
	{ "system: user: default deny never applies", NULL, DENYD,
	  V1("system:kube-controller-manager", AUTH, NONRES("get", "/metrics")), N, "" },
	{ "system: user: a rule naming it applies", NULL, DENYD,
	  V1("system:kube-controller-manager", AUTH,
	  RES("kube-system", "update", "coordination.k8s.io", "leases", "", "kcm")), A, "kcm-leases" },
	{ "system: user: a rule on its group system:masters applies", NULL, NOOP,
	  V1("system:admin", "\"system:masters\"," AUTH, RES("", "delete", "", "nodes", "", "n1")),
	  D, "masters-keep-nodes" },
	{ "system: user: an ordinary group it carries does not count", NULL, NOOP,
	  V1("system:serviceaccount:ci:deployer", "\"developers\",\"system:serviceaccounts\"," AUTH,
	  RES("team-a", "update", "apps", "deployments", "", "web")), N, "" },
	{ "a non-system user in system:masters is an ordinary request", NULL, NOOP,
	  V1("root", "\"system:masters\"," AUTH, RES("", "delete", "", "nodes", "", "n1")),
	  D, "masters-keep-nodes" },
	{ "a request with groups only", NULL, NOOP,
	  "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
	  "\"spec\":{\"groups\":[\"ops\"]," RES("a", "get", "", "pods", "", "p") "}}", A, "ops-all" },
};

static void
test_decision_table(void)
{
	struct policy_set *set = set_of(table_rules, ARRAY_SIZE(table_rules), NULL);

	is_int(policy_set_count(set), ARRAY_SIZE(table_rules), "the set holds every rule");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct row *t = &table[i];
		struct outcome o = decide(set, t->cluster, t->sar, t->dflt);
		const char *problem;

		if (!o.parsed) {
			ok(0, "%s: request parses (%s)", t->what, err);
			continue;
		}
		ok(o.verdict == t->verdict && strcmp(o.rule, t->rule) == 0,
		    "%s: %s%s%s", t->what, policy_request_verdict_name(t->verdict),
		    *t->rule != '\0' ? " by " : "", t->rule);
		if (o.verdict != t->verdict || strcmp(o.rule, t->rule) != 0)
			printf("#   got: %s by '%s'; answer %s\n", policy_request_verdict_name(o.verdict),
			    o.rule, o.answer);
		if ((problem = answer_problem(o.answer, o.api_version)) != NULL)
			ok(0, "%s: the answer passes the API server's checks (%s)", t->what, problem);
	}

	/* The exact answers. */
	struct outcome o = decide(set, NULL, table[0].sar, NOOP);
	is_str(o.answer, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
	    "\"status\":{\"allowed\":true,\"reason\":\"allowed by policy \\\"alice-pods\\\"\"}}",
	    "answer: allowed");
	o = decide(set, NULL, V1B("jane", "\"developers\"", RES("kube-system", "get", "", "secrets",
	    "", "x")), NOOP);
	is_str(o.answer, "{\"apiVersion\":\"authorization.k8s.io/v1beta1\",\"kind\":\"SubjectAccessReview\","
	    "\"status\":{\"allowed\":false,\"denied\":true,"
	    "\"reason\":\"denied by policy \\\"devs-no-kube-system-secrets\\\"\"}}",
	    "answer: denied, v1beta1");
	o = decide(set, NULL, V1("nobody", "", NONRES("get", "/x")), NOOP);
	is_str(o.answer, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
	    "\"status\":{\"allowed\":false,\"reason\":\"no policy matches this request\"}}",
	    "answer: no opinion has no denied");
	o = decide(set, NULL, V1("nobody", "", NONRES("get", "/x")), DENYD);
	is_str(o.answer, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
	    "\"status\":{\"allowed\":false,\"denied\":true,"
	    "\"reason\":\"denied by default: no policy allows this request\"}}",
	    "answer: default deny");
	policy_set_free(set);
}

/* Every SubjectAccessReview the fixtures hold parses and gets a decision
 * whose answer carries the request's apiVersion. */
static void
test_fixtures(void)
{
	static const char *const dirs[] = { "t/data/k8s-fixtures", "t/data/k8s-fixtures/pre-1.34" };
	static const char *const rules_json[] = {
		"{\"name\":\"jane-scale\",\"users\":[\"jane\"],\"verbs\":[\"get\"],\"apiGroups\":[\"apps\"],"
		"\"resources\":[\"deployments/scale\"],\"namespaces\":[\"default\"],\"effect\":\"allow\"}",
		"{\"name\":\"health\",\"groups\":[\"system:authenticated\"],\"verbs\":[\"get\"],"
		"\"nonResourceURLs\":[\"/healthz\"],\"effect\":\"allow\"}",
		"{\"name\":\"devs-no-pod-lists\",\"groups\":[\"developers\"],\"verbs\":[\"list\"],"
		"\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"effect\":\"deny\"}",
	};
	struct policy_set *set = set_of(rules_json, ARRAY_SIZE(rules_json), NULL);
	int seen = 0;

	for (size_t d = 0; d < ARRAY_SIZE(dirs); d++) {
		char dir[4096];
		struct dirent **names;
		int count;

		snprintf(dir, sizeof(dir), "%s/%s", srcdir, dirs[d]);
		if ((count = scandir(dir, &names, NULL, alphasort)) < 0) {
			ok(0, "read %.200s", dir);
			continue;
		}
		for (int i = 0; i < count; i++) {
			const char *name = names[i]->d_name;
			size_t len = strlen(name);
			char path[8192], body[65536];
			FILE *f;
			size_t n;

			if (len < 5 || strcmp(name + len - 5, ".json") != 0) {
				free(names[i]);
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if ((f = fopen(path, "rb")) == NULL) {
				ok(0, "open %.200s", path);
				free(names[i]);
				continue;
			}
			n = fread(body, 1, sizeof(body) - 1, f);
			body[n] = '\0';
			fclose(f);
			struct outcome o = decide(set, NULL, body, NOOP);
			if (strncmp(name, "tokenreview", 11) == 0) {
				ok(!o.parsed, "%s/%s: a TokenReview is refused", dirs[d], name);
				is_str(err, "kind: expected \"SubjectAccessReview\", got \"TokenReview\"",
				    "%s/%s: message", dirs[d], name);
			} else {
				const char *want = strstr(body, "\"authorization.k8s.io/v1beta1\"") ?
				    "authorization.k8s.io/v1beta1" : "authorization.k8s.io/v1";
				const char *problem;
				enum policy_verdict verdict = strstr(name, "selectors") ? D : A;

				seen++;
				ok(o.parsed, "%s/%.100s parses (%.200s)", dirs[d], name, err);
				is_str(o.api_version, want, "%s/%s: answered as %s", dirs[d], name, want);
				is_int(o.verdict, verdict, "%s/%.100s: %s (%.200s)", dirs[d], name,
				    policy_request_verdict_name(verdict), o.answer);
				problem = answer_problem(o.answer, want);
				ok(problem == NULL, "%s/%s: the answer passes R4-R8 (%s)", dirs[d], name,
				    problem != NULL ? problem : "ok");
			}
			free(names[i]);
		}
		free(names);
	}
	is_int(seen, 10, "ten SubjectAccessReview fixtures");
	policy_set_free(set);
}

static void
test_bad_requests(void)
{
	static const struct {
		const char *body, *message;
	} bad[] = {
		{ "[]", "a SubjectAccessReview must be a JSON object" },
		{ "{\"kind\":\"TokenReview\",\"apiVersion\":\"authorization.k8s.io/v1\"}",
		  "kind: expected \"SubjectAccessReview\", got \"TokenReview\"" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v2\",\"spec\":{}}",
		  "apiVersion: expected \"authorization.k8s.io/v1\" or \"authorization.k8s.io/v1beta1\"" },
		{ "{\"apiVersion\":\"authentication.k8s.io/v1\",\"spec\":{}}",
		  "apiVersion: expected \"authorization.k8s.io/v1\" or \"authorization.k8s.io/v1beta1\"" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\"}", "spec: required" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":[]}",
		  "spec: must be an object, got a list" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"metadata\":7,\"spec\":{}}",
		  "metadata: must be an object, got a number" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\"}}",
		  "spec: exactly one of resourceAttributes and nonResourceAttributes is required" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		  "\"resourceAttributes\":{},\"nonResourceAttributes\":{}}}",
		  "spec: exactly one of resourceAttributes and nonResourceAttributes is required" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"resourceAttributes\":{}}}",
		  "spec: user or groups is required" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":7,"
		  "\"resourceAttributes\":{}}}", "spec.user: must be a string, got a number" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\",\"groups\":\"g\","
		  "\"resourceAttributes\":{}}}", "spec.groups: must be a list of strings, got a string" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\",\"groups\":[1],"
		  "\"resourceAttributes\":{}}}", "spec.groups[0]: must be a string, got a number" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\",\"group\":[\"g\"],"
		  "\"resourceAttributes\":{}}}",
		  "spec.group: authorization.k8s.io/v1 uses \"groups\" for the groups" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1beta1\",\"spec\":{\"user\":\"a\","
		  "\"groups\":[\"g\"],\"resourceAttributes\":{}}}",
		  "spec.groups: authorization.k8s.io/v1beta1 uses \"group\" for the groups" },
		{ "{\"spec\":{\"user\":\"a\",\"groups\":[\"g\"],\"group\":[\"h\"],"
		  "\"resourceAttributes\":{}}}", "spec: give either \"group\" or \"groups\"" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		  "\"extra\":{\"k\":\"v\"},\"resourceAttributes\":{}}}",
		  "spec.extra[\"k\"]: must be a list of strings, got a string" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		  "\"resourceAttributes\":{\"verb\":[\"get\"]}}}",
		  "spec.resourceAttributes.verb: must be a string, got a list" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		  "\"resourceAttributes\":{\"labelSelector\":\"app=web\"}}}",
		  "spec.resourceAttributes.labelSelector: must be an object, got a string" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		  "\"nonResourceAttributes\":{\"path\":true}}}",
		  "spec.nonResourceAttributes.path: must be a string, got a boolean" },
		{ "{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		  "\"resourceAttributes\":[]}}", "spec.resourceAttributes: must be an object, got a list" },
	};
	struct policy_set *set = set_of(NULL, 0, NULL);

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct outcome o = decide(set, NULL, bad[i].body, NOOP);
		ok(!o.parsed, "bad request %zu refused", i);
		is_str(err, bad[i].message, "bad request %zu: message", i);
	}

	/* What a request may leave out, or spell as null. */
	static const char *const good[] = {
		"{\"spec\":{\"user\":\"a\",\"group\":[\"g\"],\"nonResourceAttributes\":{}}}",
		"{\"spec\":{\"user\":\"a\",\"groups\":[\"g\"],\"nonResourceAttributes\":{}}}",
		"{\"kind\":null,\"apiVersion\":null,\"metadata\":null,\"spec\":{\"user\":\"a\","
		"\"groups\":null,\"uid\":null,\"extra\":null,\"resourceAttributes\":{\"namespace\":null},"
		"\"nonResourceAttributes\":null},\"status\":{\"allowed\":false}}",
		"{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		"\"resourceAttributes\":{\"verb\":\"get\"},\"future\":{\"x\":1}}}",
		"{\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{\"user\":\"a\","
		"\"extra\":{\"k\":[],\"j\":null},\"resourceAttributes\":{\"fieldSelector\":{\"rawSelector\":\"a=b\"}}}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct outcome o = decide(set, NULL, good[i], NOOP);
		ok(o.parsed && o.verdict == N, "sparse request %zu parses (%s)", i, err);
	}
	struct outcome o = decide(set, NULL, good[0], NOOP);
	is_str(o.api_version, "authorization.k8s.io/v1beta1",
	    "no apiVersion: answered as v1beta1 (as for TokenReview)");
	policy_set_free(set);
}

/* The set: names, errors carried to every answer, no set at all. */
static void
test_set(void)
{
	static const char *const dup[] = {
		"{\"name\":\"same\",\"users\":[\"a\"],\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/a\"],\"effect\":\"allow\"}",
		"{\"name\":\"same\",\"cluster\":\"c\",\"users\":[\"b\"],\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/b\"],\"effect\":\"allow\"}",
	};
	struct policy_rule *rules[2] = { rule(dup[0]), rule(dup[1]) };
	struct policy_set *set = (struct policy_set *)1;

	ok(policy_set_new((const struct policy_rule *const *)rules, 2, NULL, &set, err, sizeof(err)) < 0 && set == NULL,
	    "two rules with one name are refused");
	is_str(err, "two policies are named \"same\"", "duplicate name message");
	policy_rule_free(rules[0]);
	policy_rule_free(rules[1]);

	/* Among several matching rules the first by name is reported, and a
	 * rule naming the user twice over (user and group) counts once. */
	static const char *const several[] = {
		"{\"name\":\"b-allow\",\"users\":[\"u\",\"u\"],\"groups\":[\"g\"],\"verbs\":[\"get\"],\"nonResourceURLs\":[\"*\"],\"effect\":\"allow\"}",
		"{\"name\":\"a-allow\",\"groups\":[\"g\"],\"verbs\":[\"*\"],\"nonResourceURLs\":[\"/x\"],\"effect\":\"allow\"}",
		"{\"name\":\"z-deny\",\"cluster\":\"c\",\"users\":[\"u\"],\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/x*\"],\"effect\":\"deny\"}",
		"{\"name\":\"y-deny\",\"cluster\":\"c\",\"groups\":[\"*\"],\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/x\"],\"effect\":\"deny\"}",
	};
	set = set_of(several, ARRAY_SIZE(several), "policy 7 (\"broken\") could not be read:\nunknown field");
	struct outcome o = decide(set, NULL, V1("u", "\"g\"", NONRES("get", "/x")), NOOP);
	ok(o.verdict == A && strcmp(o.rule, "a-allow") == 0, "first allow by name (%s)", o.rule);
	ok(strstr(o.answer, "\"evaluationError\":\"policy 7 (\\\"broken\\\") could not be read:?unknown field\"") != NULL,
	    "the load error is every answer's evaluationError, sanitised (%.300s)", o.answer);
	o = decide(set, "c", V1("u", "\"g\"", NONRES("get", "/x")), NOOP);
	ok(o.verdict == D && strcmp(o.rule, "y-deny") == 0, "first deny by name (%s)", o.rule);
	policy_set_free(set);

	struct policy_request sar;
	struct policy_decision d;
	yajl_val tree;
	char body[] = V1("jane", AUTH, NONRES("get", "/healthz"));
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	json_parse(body, strlen(body), &tree, err, sizeof(err));
	policy_request_parse(tree, &sar, err, sizeof(err));
	policy_set_decide(NULL, NULL, &sar, CONF_AUTHZ_DENY, &d);
	policy_request_answer_gen(g, &sar, &d);
	yajl_gen_get_buf(g, &buf, &len);
	is_str((const char *)buf, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
	    "\"SubjectAccessReview\",\"status\":{\"allowed\":false,\"reason\":"
	    "\"authorization rules are not loaded\",\"evaluationError\":"
	    "\"authorization rules are not loaded\"}}",
	    "no set: no opinion (even with default deny) and an evaluationError");
	yajl_gen_free(g);
	policy_request_cleanup(&sar);
	json_free(tree);

	set = set_of(NULL, 0, NULL);
	o = decide(set, "c", V1("jane", AUTH, NONRES("get", "/healthz")), DENYD);
	ok(o.verdict == D, "an empty set with default deny denies");
	policy_set_free(set);
}

/*
 * --bench: decisions per second with 1,000 rules
 */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench(void)
{
	enum { NRULES = 1000, NGROUPS = 200, ROUNDS = 1000000 };
	static const char *const verbs[] = { "get", "list", "update", "delete" };
	static const char *const resources[] = { "pods", "deployments", "secrets", "configmaps" };
	struct policy_rule **rules = calloc(NRULES, sizeof(*rules));
	struct policy_set *set;
	double t0, t1;

	for (size_t i = 0; i < NRULES; i++) {
		char json[512];
		if (i % 10 == 9)
			snprintf(json, sizeof(json), "{\"name\":\"rule-%04zu\",\"groups\":[\"group-%zu\"],"
			    "\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/metrics/%zu*\"],\"effect\":\"allow\"}",
			    i, i % NGROUPS, i);
		else
			snprintf(json, sizeof(json), "{\"name\":\"rule-%04zu\",%s\"users\":[\"user-%zu\"],"
			    "\"groups\":[\"group-%zu\"],\"verbs\":[\"%s\",\"watch\"],\"apiGroups\":[\"\",\"apps\"],"
			    "\"resources\":[\"%s\",\"%s/status\"],\"namespaces\":[\"ns-%zu\",\"ns-%zu\"],"
			    "\"effect\":\"%s\"}", i, i % 3 == 0 ? "\"cluster\":\"prod\"," : "", i,
			    i % NGROUPS, verbs[i % 4], resources[i % 4], resources[(i + 1) % 4], i % 50,
			    (i + 7) % 50, i % 20 == 0 ? "deny" : "allow");
		if ((rules[i] = rule(json)) == NULL) {
			fprintf(stderr, "bench rule %zu: %s\n", i, err);
			return 1;
		}
	}
	t0 = now();
	if (policy_set_new((const struct policy_rule *const *)rules, NRULES, NULL, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench set: %s\n", err);
		return 1;
	}
	t1 = now();
	printf("compiled %d rules in %.2f ms\n", NRULES, (t1 - t0) * 1e3);
	policy_rule_free_all(rules, NRULES);

	/* A user in five groups (plus system:authenticated) asking three
	 * things: one an allow covers (rule-0017), one a deny covers
	 * (rule-0140, through group-140), one nothing covers. */
#define BENCH_GROUPS "\"group-3\",\"group-17\",\"group-55\",\"group-99\",\"group-140\"," AUTH
	static const char *const bodies[] = {
		V1("user-17", BENCH_GROUPS, RES("ns-17", "list", "apps", "deployments", "", "")),
		V1("user-17", BENCH_GROUPS, RES("ns-40", "get", "", "pods", "", "web")),
		V1("user-17", BENCH_GROUPS, RES("ns-17", "update", "apps", "deployments", "", "web")),
	};
	yajl_val trees[3];
	struct policy_request sars[3];
	struct policy_decision d;
	unsigned counts[3] = { 0 };
	static const char *const clusters[] = { NULL, "prod" };

	for (size_t i = 0; i < 3; i++) {
		char *copy = strdup(bodies[i]);
		json_parse(copy, strlen(copy), &trees[i], err, sizeof(err));
		free(copy);
		if (policy_request_parse(trees[i], &sars[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "bench request: %s\n", err);
			return 1;
		}
	}
	t0 = now();
	for (unsigned i = 0; i < ROUNDS; i++) {
		policy_set_decide(set, clusters[i & 1], &sars[i % 3], CONF_AUTHZ_NO_OPINION, &d);
		counts[d.verdict]++;
	}
	t1 = now();
	printf("%d decisions over %d rules in %.3f s: %.0f decisions/s (%.2f us each); "
	    "%u allowed, %u denied, %u no opinion\n", ROUNDS, NRULES, t1 - t0,
	    ROUNDS / (t1 - t0), (t1 - t0) * 1e6 / ROUNDS, counts[POLICY_ALLOWED],
	    counts[POLICY_DENIED], counts[POLICY_NO_OPINION]);

	/* The whole request path: parse the body, decide, write the answer. */
	t0 = now();
	for (unsigned i = 0; i < ROUNDS / 10; i++) {
		char *body = strdup(bodies[i % 3]);
		yajl_val t;
		struct policy_request s;
		yajl_gen g = yajl_gen_alloc(NULL);
		json_parse(body, strlen(body), &t, err, sizeof(err));
		policy_request_parse(t, &s, err, sizeof(err));
		policy_set_decide(set, "prod", &s, CONF_AUTHZ_NO_OPINION, &d);
		policy_request_answer_gen(g, &s, &d);
		policy_request_cleanup(&s);
		json_free(t);
		yajl_gen_free(g);
		free(body);
	}
	t1 = now();
	printf("with JSON parse and answer: %.0f requests/s (%.2f us each)\n",
	    ROUNDS / 10 / (t1 - t0), (t1 - t0) * 1e6 / (ROUNDS / 10));
	for (size_t i = 0; i < 3; i++) {
		policy_request_cleanup(&sars[i]);
		json_free(trees[i]);
	}
	policy_set_free(set);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *env = getenv("KA_SRCDIR");

	if (env != NULL && *env != '\0')
		srcdir = env;
	log_init("t-policy", LOG_LVL_INFO, false);
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench();
	test_rule_parsing();
	test_yaml();
	test_decision_table();
	test_fixtures();
	test_bad_requests();
	test_set();
	return tap_done();
}
