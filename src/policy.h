/*
 * policy.h — authorization rules: parse, validate, compile, match, decide.
 *
 * Pure code: no MySQL, HTTP or files. The format and the matching rules are
 * described for operators in doc/policies.md; in short:
 *
 *   struct policy_rule    one rule as the admin API and the policy file
 *                         spell it (parsed from a yajl tree, from JSON text
 *                         such as a MySQL column, or from a libyaml node);
 *                         written back with policy_rule_gen().
 *   struct policy_set     an immutable, compiled set of rules (global and
 *                         per-cluster), indexed by subject so a decision
 *                         looks only at the rules naming the request's user,
 *                         its groups, or "*". It keeps no pointer into the
 *                         rules it was built from.
 *   struct policy_request a SubjectAccessReview (v1 or v1beta1) read from a
 *                         yajl tree; its strings are borrowed from the tree.
 *   policy_decide()       set + cluster + request -> struct policy_decision,
 *                         without allocating; policy_answer_gen() writes the
 *                         SubjectAccessReview answer.
 *
 * How a worker is expected to use it:
 *
 *   - At start and whenever the generation counter in the database changes
 *     (checked at most every authorization.refresh): read the rows, parse
 *     each with policy_rule_from_json_text() (setting rule->id from the
 *     row), add the policy_file's rules (policy_rules_from_yaml_text(), kept
 *     from the last good read of the file), then policy_set_new(). On
 *     success free the old set and keep the new one with the generation it
 *     was built from; on failure (MySQL down, out of memory) keep the old
 *     set — it goes on answering. Rows that do not parse are left out and
 *     named in LOAD_ERROR, which every decision then reports as its
 *     evaluationError.
 *   - Per request: json_parse() the body, policy_request_parse(),
 *     policy_decide(), policy_answer_gen() into req_json(),
 *     policy_request_cleanup(), json_free().
 *
 * Errors: functions that can fail return 0 or -1, and on -1 write a message
 * into ERR that can go to the client as is ({"error": ERR}, HTTP 400): it
 * names the field, and never echoes more than a short, sanitised piece of
 * the input.
 */
#ifndef KA_POLICY_H
#define KA_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

#include "conf.h"

#define POLICY_NAME_MAX 253         /* bytes in a rule name */
#define POLICY_STRING_MAX 1024      /* bytes in any other string of a rule */
#define POLICY_DESCRIPTION_MAX 4096 /* bytes in a description */
#define POLICY_LIST_MAX 1024        /* entries in any list of a rule */

enum policy_effect { POLICY_ALLOW, POLICY_DENY };

/* A list of strings; n == 0 means the field was absent (an empty list "[]"
 * is refused when parsing). */
struct policy_list {
	size_t n;
	char **v;                       /* n strings, each NUL-terminated */
};

/* One rule. Everything in it is owned by the rule; policy_rule_free()
 * frees it all. */
struct policy_rule {
	long long id;                   /* database id; 0 = none (file rules,
	                                   a POST body) */
	bool from_file;                 /* read from policy_file: read-only
	                                   through the API */
	char *name;                     /* unique; 1..253 of [A-Za-z0-9._:-],
	                                   starting with a letter or digit */
	char *cluster;                  /* NULL = global */
	struct policy_list users;       /* "*" = any user */
	struct policy_list groups;      /* "*" = any request */
	struct policy_list verbs;       /* required; "*" = any */
	/* A resource rule has apiGroups and resources; a non-resource rule has
	 * nonResourceURLs; never both. */
	struct policy_list api_groups;  /* "" = core, "*" = any */
	struct policy_list resources;   /* "pods", "pods/log", "*\/scale", "*" */
	struct policy_list namespaces;  /* absent or "*" = any, "" = requests
	                                   without a namespace */
	struct policy_list resource_names; /* absent or "*" = any */
	struct policy_list non_resource_urls; /* "/healthz"; "/api*" is a
	                                   prefix; "*" = any */
	enum policy_effect effect;      /* required */
	char *description;              /* NULL = none */
};

/* Parse a rule from the admin API's JSON body (an object) or a stored row.
 * Unknown fields, empty lists, wrong types, missing required fields and
 * mixed resource/non-resource fields fail with a message naming the field.
 * "id" (a positive integer) is accepted so that a GET answer can be PUT
 * back; the handler decides what an id in a body means. Returns 0 and a
 * new rule in *rulep (caller frees with policy_rule_free), or -1. */
int policy_rule_from_json(yajl_val v, struct policy_rule **rulep, char *err,
    size_t errlen);

/* The same from LEN bytes of JSON text (a MySQL column; no NUL needed at
 * TEXT[LEN]). The text is checked by json_parse() (depth, NULs, UTF-8). */
int policy_rule_from_json_text(const char *text, size_t len,
    struct policy_rule **rulep, char *err, size_t errlen);

/* Parse a rule from mapping NODE of DOC (the policy file). "id" is not a
 * field there. Messages start with "line N: ". Sets rule->from_file. */
int policy_rule_from_yaml(yaml_document_t *doc, yaml_node_t *node,
    struct policy_rule **rulep, char *err, size_t errlen);

/* Parse the policy file's contents: LEN bytes of YAML holding either a list
 * of rules or a mapping whose only key is "policies" (a list of rules). An
 * empty document, or "policies:" with nothing under it, is no rules. Names
 * must be unique within the file; "cluster" is not checked against the
 * clusters table (the caller does that). Returns 0 with a new array of
 * *np rules in *rulesp (caller frees with policy_rules_free; NULL when
 * *np is 0), or -1 with the first error ("line N: ...") in ERR. */
int policy_rules_from_yaml_text(const char *text, size_t len,
    struct policy_rule ***rulesp, size_t *np, char *err, size_t errlen);

/* Write RULE as a JSON object in the API's shape (the field names above;
 * "id" when non-zero; absent optional fields left out). */
void policy_rule_gen(yajl_gen g, const struct policy_rule *rule);

/* RULE as JSON text for storage: the object of policy_rule_gen() without
 * "id" (the row holds it). Returns 0 and a malloc'd NUL-terminated string
 * in *textp (caller frees), or -1 (out of memory). */
int policy_rule_to_json(const struct policy_rule *rule, char **textp);

void policy_rule_free(struct policy_rule *rule);
/* Free an array of N rules and the array itself. */
void policy_rules_free(struct policy_rule **rules, size_t n);

/*
 * The compiled set
 */

struct policy_set;

/* Compile N rules (global and any number of clusters) into a new set.
 * Copies everything it needs: the caller still owns RULES. LOAD_ERROR (may
 * be NULL) is what went wrong while gathering the rules (e.g. a stored rule
 * that no longer parses); it is copied and reported as the evaluationError
 * of every decision made with this set. Fails on a duplicate name or out of
 * memory. Returns 0 and *setp (caller frees with policy_set_free), or -1. */
int policy_set_new(struct policy_rule *const *rules, size_t n,
    const char *load_error, struct policy_set **setp, char *err, size_t errlen);
void policy_set_free(struct policy_set *set);
size_t policy_set_count(const struct policy_set *set);

/*
 * SubjectAccessReview
 */

/* A SubjectAccessReview request. Every string is borrowed from the yajl
 * tree it was parsed from (never NULL: absent or null fields are ""), so
 * the tree must outlive the request; only the groups array is allocated,
 * and policy_request_cleanup() frees it. */
struct policy_request {
	const char *api_version;        /* what the answer must carry */
	const char *user;
	const char *uid;
	const char **groups;            /* v1 "groups", v1beta1 "group" */
	size_t ngroups;
	bool is_resource;               /* resourceAttributes, else
	                                   nonResourceAttributes */
	const char *ns;                 /* resourceAttributes */
	const char *verb;               /* either kind */
	const char *api_group;
	const char *version;
	const char *resource;
	const char *subresource;
	const char *name;
	bool field_selector;            /* present (type-checked, not used) */
	bool label_selector;
	const char *path;               /* nonResourceAttributes */
};

/* Read a SubjectAccessReview body. "authorization.k8s.io/v1" and
 * "v1beta1" are accepted; a body without apiVersion is v1beta1 (as for
 * TokenReview) and is answered as such. Unknown fields are ignored
 * (new API servers add some); wrong types, a group list under the other
 * version's key, neither or both of resourceAttributes and
 * nonResourceAttributes, and no user nor groups fail. Returns 0 or -1. */
int policy_request_parse(yajl_val root, struct policy_request *sar,
    char *err, size_t errlen);
void policy_request_cleanup(struct policy_request *sar);

enum policy_verdict { POLICY_NO_OPINION, POLICY_ALLOWED, POLICY_DENIED };

struct policy_decision {
	enum policy_verdict verdict;
	const char *rule;               /* name of the deciding rule, borrowed
	                                   from the set; NULL when none did */
	bool by_default;                /* denied by authorization.default */
	bool protected_user;            /* spec.user starts with "system:" */
	char reason[POLICY_NAME_MAX + 128];
	char evaluation_error[512];     /* "" = none */
};

/* Decide SAR with the global rules of SET plus those of CLUSTER (NULL = the
 * global rules only; a cluster no rule names simply has none). A matching
 * deny wins over a matching allow; among several, the first by name is
 * reported. With no match the answer is no opinion, or a denial when DFLT
 * is CONF_AUTHZ_DENY — except for protected (system:) users, which only
 * rules naming them or their own system: groups can touch. SET may be NULL
 * (no rules could be loaded yet): no opinion with an evaluationError.
 * Does not allocate; SET is not modified (one set serves many decisions). */
void policy_decide(const struct policy_set *set, const char *cluster,
    const struct policy_request *sar, enum conf_authz_default dflt,
    struct policy_decision *d);

/* Write the answer: {"apiVersion": <the request's>, "kind":
 * "SubjectAccessReview", "status": {"allowed", "denied" (only when true),
 * "reason", "evaluationError" (only when set)}}. */
void policy_answer_gen(yajl_gen g, const struct policy_request *sar,
    const struct policy_decision *d);

/* "allowed", "denied", "no-opinion": for audit lines. */
const char *policy_verdict_name(enum policy_verdict v);

#endif
