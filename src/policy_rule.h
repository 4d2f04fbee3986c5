/*
 * policy_rule.h — one authorization rule: its fields and their checks,
 * read from JSON (an admin API body, a stored row) or from a YAML mapping
 * (an entry of the policy file), written back as JSON.
 *
 * Pure code: no MySQL, HTTP or files. The format is described for operators
 * in doc/policies.md ("A rule"). Both readers go through one table of
 * fields and one set of checks, so a rule means the same whichever way it
 * came in.
 *
 * Ownership: a struct policy_rule owns all it points to; the readers return
 * a new one that the caller frees with policy_rule_free(). Nothing here
 * keeps a pointer into the yajl tree or YAML document it read.
 *
 * Errors: functions that can fail return 0 or -1, and on -1 write a message
 * into ERR that can go to the client as is ({"error": ERR}, HTTP 400): it
 * names the field, and never echoes more than a short, sanitised piece of
 * the input.
 */
#ifndef KA_POLICY_RULE_H
#define KA_POLICY_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

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

/* Parse a rule from mapping NODE of DOC (an entry of the policy file, see
 * policy_file.h). "id" is not a field there. Messages start with
 * "line N: ". Sets rule->from_file. Returns 0 and a new rule in *rulep
 * (caller frees with policy_rule_free), or -1. */
int policy_rule_from_yaml(yaml_document_t *doc, yaml_node_t *node,
    struct policy_rule **rulep, char *err, size_t errlen);

/* How the YAML reader sees a node, for the policy file's document level
 * (policy_file.c) to read its own nodes the same way: the 1-based line of
 * NODE; whether NODE is YAML's null (an empty plain value, "~" or "null");
 * and what NODE is, for a message ("a mapping", "a list", "null", "a
 * string": a static string). */
int policy_rule_yaml_line(const yaml_node_t *node);
bool policy_rule_yaml_null(const yaml_node_t *node);
const char *policy_rule_yaml_what(const yaml_node_t *node);

/* Write RULE as a JSON object in the API's shape (the field names above;
 * "id" when non-zero; absent optional fields left out). */
void policy_rule_gen(yajl_gen g, const struct policy_rule *rule);

/* RULE as JSON text for storage: the object of policy_rule_gen() without
 * "id" (the row holds it). Returns 0 and a malloc'd NUL-terminated string
 * in *textp (caller frees), or -1 (out of memory). */
int policy_rule_to_json(const struct policy_rule *rule, char **textp);

/* Free RULE and all it holds (NULL is fine). */
void policy_rule_free(struct policy_rule *rule);
/* Free an array of N rules and the array itself. */
void policy_rule_free_all(struct policy_rule **rules, size_t n);

#endif
