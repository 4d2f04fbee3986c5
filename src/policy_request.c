/*
 * policy_request.c — the SubjectAccessReview: the request in, the answer
 * out (see policy_request.h). The types are k8s.io/api authorization/v1
 * and v1beta1 types.go.
 */
#include "policy_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

#define SAR_V1 "authorization.k8s.io/v1"
#define SAR_V1BETA1 "authorization.k8s.io/v1beta1"
#define SAR_KIND "SubjectAccessReview"

/*
 * The request
 */

static bool
policy_request_absent(yajl_val v)
{
	return v == NULL || YAJL_IS_NULL(v);
}

/* Member KEY of OBJ as a string; absent or null is "". */
static int
policy_request_string(yajl_val obj, const char *where, const char *key,
    const char **out, char *err, size_t errlen)
{
	yajl_val v = json_get(obj, key);

	*out = "";
	if (policy_request_absent(v))
		return 0;
	if (!YAJL_IS_STRING(v)) {
		snprintf(err, errlen, "%s.%s: must be a string, got %s", where, key,
		    json_type_name(v));
		return -1;
	}
	*out = v->u.string;
	return 0;
}

/* Member KEY of OBJ as an object (or absent/null: *out = NULL). */
static int
policy_request_object(yajl_val obj, const char *where, const char *key,
    yajl_val *out, char *err, size_t errlen)
{
	yajl_val v = json_get(obj, key);

	*out = NULL;
	if (policy_request_absent(v))
		return 0;
	if (!YAJL_IS_OBJECT(v)) {
		snprintf(err, errlen, "%s%s%s: must be an object, got %s", where,
		    *where != '\0' ? "." : "", key, json_type_name(v));
		return -1;
	}
	*out = v;
	return 0;
}

static int
policy_request_string_list(yajl_val v, const char *what, char *err,
    size_t errlen)
{
	if (!YAJL_IS_ARRAY(v)) {
		snprintf(err, errlen, "%s: must be a list of strings, got %s", what,
		    json_type_name(v));
		return -1;
	}
	for (size_t i = 0; i < v->u.array.len; i++)
		if (!YAJL_IS_STRING(v->u.array.values[i])) {
			snprintf(err, errlen, "%s[%zu]: must be a string, got %s", what,
			    i, json_type_name(v->u.array.values[i]));
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
policy_request_groups(yajl_val spec, const char *api_version, bool versioned,
    struct policy_request *sar, char *err, size_t errlen)
{
	bool v1 = strcmp(api_version, SAR_V1) == 0;
	yajl_val own = json_get(spec, v1 ? "groups" : "group");
	yajl_val other = json_get(spec, v1 ? "group" : "groups");
	const char *own_key = v1 ? "groups" : "group";

	if (!policy_request_absent(other)) {
		if (versioned) {
			snprintf(err, errlen, "spec.%s: %s uses \"%s\" for the groups",
			    v1 ? "group" : "groups", api_version, own_key);
			return -1;
		}
		if (!policy_request_absent(own)) {
			snprintf(err, errlen, "spec: give either \"group\" or \"groups\"");
			return -1;
		}
		own = other;
		own_key = v1 ? "group" : "groups";
	}
	if (policy_request_absent(own))
		return 0;
	char what[32];
	snprintf(what, sizeof(what), "spec.%s", own_key);
	if (policy_request_string_list(own, what, err, errlen) < 0)
		return -1;
	if (own->u.array.len == 0)
		return 0;
	if ((sar->groups = calloc(own->u.array.len, sizeof(*sar->groups))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < own->u.array.len; i++)
		sar->groups[i] = own->u.array.values[i]->u.string;
	sar->ngroups = own->u.array.len;
	return 0;
}

static int
policy_request_extra(yajl_val spec, char *err, size_t errlen)
{
	yajl_val extra;

	if (policy_request_object(spec, "spec", "extra", &extra, err,
	    errlen) < 0)
		return -1;
	if (extra == NULL)
		return 0;
	for (size_t i = 0; i < extra->u.object.len; i++) {
		char what[80], shown[48];
		if (policy_request_absent(extra->u.object.values[i]))
			continue;
		log_sanitize(shown, sizeof(shown), extra->u.object.keys[i]);
		snprintf(what, sizeof(what), "spec.extra[\"%s\"]", shown);
		if (policy_request_string_list(extra->u.object.values[i], what,
		    err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int
policy_request_resource(yajl_val ra, struct policy_request *sar, char *err,
    size_t errlen)
{
	static const char *const where = "spec.resourceAttributes";
	const struct {
		const char *key;
		const char **out;
	} members[] = {                 /* in the order they are checked */
		{ "namespace", &sar->ns },
		{ "verb", &sar->verb },
		{ "group", &sar->api_group },
		{ "version", &sar->version },
		{ "resource", &sar->resource },
		{ "subresource", &sar->subresource },
		{ "name", &sar->name },
	};
	yajl_val selector;

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (policy_request_string(ra, where, members[i].key,
		    members[i].out, err, errlen) < 0)
			return -1;
	/* Since 1.31: {"rawSelector": "...", "requirements": [...]}. Checked
	 * for type, not used: rules do not look at selectors. */
	if (policy_request_object(ra, where, "fieldSelector", &selector, err,
	    errlen) < 0)
		return -1;
	sar->field_selector = selector != NULL;
	if (policy_request_object(ra, where, "labelSelector", &selector, err,
	    errlen) < 0)
		return -1;
	sar->label_selector = selector != NULL;
	return 0;
}

/* "kind" and "apiVersion": is this a SubjectAccessReview, and which
 * version must the answer carry? *VERSIONED is false when apiVersion is
 * absent: then the request is v1beta1, as for TokenReview. */
static int
policy_request_version(yajl_val root, struct policy_request *sar,
    bool *versioned, char *err, size_t errlen)
{
	yajl_val v = json_get(root, "kind");
	char shown[64];

	*versioned = true;
	if (!policy_request_absent(v) && (!YAJL_IS_STRING(v) ||
	    strcmp(v->u.string, SAR_KIND) != 0)) {
		if (YAJL_IS_STRING(v)) {
			log_sanitize(shown, sizeof(shown), v->u.string);
			snprintf(err, errlen, "kind: expected \"%s\", got \"%s\"",
			    SAR_KIND, shown);
		} else {
			snprintf(err, errlen, "kind: expected \"%s\"", SAR_KIND);
		}
		return -1;
	}
	v = json_get(root, "apiVersion");
	if (policy_request_absent(v)) {
		*versioned = false;
	} else if (YAJL_IS_STRING(v) && strcmp(v->u.string, SAR_V1) == 0) {
		sar->api_version = SAR_V1;
	} else if (!YAJL_IS_STRING(v) || strcmp(v->u.string, SAR_V1BETA1) != 0) {
		snprintf(err, errlen, "apiVersion: expected \"%s\" or \"%s\"",
		    SAR_V1, SAR_V1BETA1);
		return -1;
	}
	return 0;
}

int
policy_request_parse(yajl_val root, struct policy_request *sar, char *err,
    size_t errlen)
{
	yajl_val metadata, spec, ra, nra;
	bool versioned;

	memset(sar, 0, sizeof(*sar));
	sar->user = sar->uid = sar->ns = sar->verb = sar->api_group = "";
	sar->version = sar->resource = sar->subresource = sar->name = "";
	sar->path = "";
	sar->api_version = SAR_V1BETA1;
	if (root == NULL || !YAJL_IS_OBJECT(root)) {
		snprintf(err, errlen, "a SubjectAccessReview must be a JSON object");
		return -1;
	}
	if (policy_request_version(root, sar, &versioned, err, errlen) < 0 ||
	    policy_request_object(root, "", "metadata", &metadata, err,
	    errlen) < 0 ||
	    policy_request_object(root, "", "spec", &spec, err, errlen) < 0)
		return -1;
	if (spec == NULL) {
		snprintf(err, errlen, "spec: required");
		return -1;
	}
	if (policy_request_string(spec, "spec", "user", &sar->user, err,
	    errlen) < 0 ||
	    policy_request_string(spec, "spec", "uid", &sar->uid, err,
	    errlen) < 0 ||
	    policy_request_groups(spec, sar->api_version, versioned, sar, err,
	    errlen) < 0 ||
	    policy_request_extra(spec, err, errlen) < 0 ||
	    policy_request_object(spec, "spec", "resourceAttributes", &ra, err,
	    errlen) < 0 ||
	    policy_request_object(spec, "spec", "nonResourceAttributes", &nra,
	    err, errlen) < 0)
		goto fail;
	if ((ra == NULL) == (nra == NULL)) {
		snprintf(err, errlen, "spec: exactly one of resourceAttributes and "
		    "nonResourceAttributes is required");
		goto fail;
	}
	if (*sar->user == '\0' && sar->ngroups == 0) {
		snprintf(err, errlen, "spec: user or %s is required",
		    strcmp(sar->api_version, SAR_V1) == 0 ? "groups" : "group");
		goto fail;
	}
	sar->is_resource = ra != NULL;
	if (ra != NULL) {
		if (policy_request_resource(ra, sar, err, errlen) < 0)
			goto fail;
	} else if (policy_request_string(nra, "spec.nonResourceAttributes",
	    "path", &sar->path, err, errlen) < 0 ||
	    policy_request_string(nra, "spec.nonResourceAttributes", "verb",
	    &sar->verb, err, errlen) < 0) {
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
 * The answer
 */

void
policy_request_answer_gen(yajl_gen g, const struct policy_request *sar,
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
policy_request_verdict_name(enum policy_verdict v)
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
