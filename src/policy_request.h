/*
 * policy_request.h — the SubjectAccessReview on the wire (doc/policies.md,
 * "The SubjectAccessReview"): the request read from a yajl tree, and the
 * answer written from a decision (policy_set.h makes the decision).
 *
 * Pure code: no MySQL, HTTP or files.
 *
 * Ownership: a struct policy_request borrows every string from the yajl
 * tree it was parsed from, so the tree must outlive it; only the groups
 * array is allocated, and policy_request_cleanup() frees it. A struct
 * policy_decision is filled in place and owns nothing but its rule name,
 * which is borrowed from the set that decided.
 *
 * Errors: policy_request_parse() returns 0 or -1, and on -1 writes a
 * message into ERR that can go to the client as is ({"error": ERR}, HTTP
 * 400): it names the field, and never echoes more than a short, sanitised
 * piece of the input.
 */
#ifndef KA_POLICY_REQUEST_H
#define KA_POLICY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl_gen.h>
#include <yajl_tree.h>

#include "policy_rule.h"

/* A SubjectAccessReview request. Every string is borrowed from the yajl
 * tree it was parsed from (never NULL: absent or null fields are ""). */
struct policy_request {
	const char *api_version;        /* what the answer must carry */
	const char *user;
	const char *uid;
	const char **groups;            /* v1 "groups", v1beta1 "group";
	                                   the array is owned */
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
 * nonResourceAttributes, and no user nor groups fail. Returns 0 (the
 * caller calls policy_request_cleanup) or -1 (nothing to clean up). */
int policy_request_parse(yajl_val root, struct policy_request *sar,
    char *err, size_t errlen);
void policy_request_cleanup(struct policy_request *sar);

enum policy_verdict { POLICY_NO_OPINION, POLICY_ALLOWED, POLICY_DENIED };

/* What the answer says: made by policy_set_decide() (policy_set.h). */
struct policy_decision {
	enum policy_verdict verdict;
	const char *rule;               /* name of the deciding rule, borrowed
	                                   from the set; NULL when none did */
	bool by_default;                /* denied by authorization.default */
	bool protected_user;            /* spec.user starts with "system:" */
	char reason[POLICY_NAME_MAX + 128];
	char evaluation_error[512];     /* "" = none */
};

/* Write the answer to SAR: {"apiVersion": <the request's>, "kind":
 * "SubjectAccessReview", "status": {"allowed", "denied" (only when true),
 * "reason", "evaluationError" (only when set)}}. */
void policy_request_answer_gen(yajl_gen g, const struct policy_request *sar,
    const struct policy_decision *d);

/* "allowed", "denied", "no-opinion": for audit lines (a static string). */
const char *policy_request_verdict_name(enum policy_verdict v);

#endif
