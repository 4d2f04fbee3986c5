/*
 * policies_api.c — GET/POST /policies, GET/PUT/DELETE /policies/{id}.
 */
#include "policies_api.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "authz.h"
#include "db.h"
#include "json.h"
#include "log.h"
#include "policy_file.h"
#include "policy_rule.h"
#include "req.h"
#include "store.h"
#include "ctx.h"

#define POLICIES_API_ID_DIGITS 18       /* fits a long long */

/* What {id} names: a database rule (id > 0) or a rule of policy_file. */
struct policies_api_target {
	long long id;
	const struct policy_rule *file;
};

/* Resolve {id}: digits are an id, anything else a name; 404 when it names
 * nothing. */
static int
policies_api_target(struct req *r, struct policies_api_target *t)
{
	const char *p = r->nparams > 0 ? r->params[0] : "";
	size_t len = strlen(p);
	bool found;

	memset(t, 0, sizeof(*t));
	if (len > 0 && len <= POLICIES_API_ID_DIGITS &&
	    strspn(p, "0123456789") == len) {
		t->id = strtoll(p, NULL, 10);
		if (t->id <= 0)
			return req_fail(r, 404, "policy not found");
		return 0;
	}
	if ((t->file = policy_file_find(p)) != NULL)
		return 0;
	if (len > STORE_POLICY_NAME_MAX)
		return req_fail(r, 404, "policy not found");
	if (store_policy_find_name(r->ctx->db, p, &t->id, &found) < 0) {
		req_fail_db(r);
		return -1;
	}
	if (!found)
		return req_fail(r, 404, "policy not found");
	return 0;
}

/* A stored row as the API shows it. A row this release cannot read (a
 * newer one wrote it?) is shown with its id and why. */
static int
policies_api_gen_row(void *ctx, long long id, const char *text, size_t len)
{
	yajl_gen g = ctx;
	struct policy_rule *rule;
	char err[256];

	if (policy_rule_from_json_text(text, len, &rule, err, sizeof(err)) < 0) {
		yajl_gen_map_open(g);
		json_gen_int(g, "id", id);
		json_gen_str(g, "error", err);
		yajl_gen_map_close(g);
		return 0;
	}
	rule->id = id;
	policy_rule_gen(g, rule);
	policy_rule_free(rule);
	return 0;
}

void
policies_api_list(struct req *r)
{
	yajl_gen g;

	if (admin_auth(r) == NULL)
		return;
	g = req_json(r);
	yajl_gen_array_open(g);
	if (store_policy_list(r->ctx->db, policies_api_gen_row, g) < 0) {
		req_fail_db(r);
		return;
	}
	/* The file's rules, without an id: that is how they are told apart. */
	for (size_t i = 0; i < policy_file_count(); i++)
		policy_rule_gen(g, policy_file_rule(i));
	yajl_gen_array_close(g);
	req_send_json(r, 200);
}

void
policies_api_get(struct req *r)
{
	struct policies_api_target t;
	char *text;
	size_t len;

	if (admin_auth(r) == NULL || policies_api_target(r, &t) < 0)
		return;
	if (t.file != NULL) {
		policy_rule_gen(req_json(r), t.file);
		req_send_json(r, 200);
		return;
	}
	if (store_policy_get(r->ctx->db, t.id, &text, &len) < 0) {
		req_fail_db(r);
		return;
	}
	if (text == NULL) {
		req_fail(r, 404, "policy not found");
		return;
	}
	policies_api_gen_row(req_json(r), t.id, text, len);
	free(text);
	req_send_json(r, 200);
}

/* The body as a rule (caller frees), or 400/409. A name that a rule of
 * policy_file has is a conflict, whatever the rest says. */
static int
policies_api_rule(struct req *r, struct policy_rule **rulep)
{
	char err[512];
	yajl_val body = NULL;
	int rc;

	*rulep = NULL;
	if (admin_body(r, &body) < 0)
		return -1;
	rc = policy_rule_from_json(body, rulep, err, sizeof(err));
	json_free(body);
	if (rc < 0)
		return req_fail(r, 400, "%s", err);
	if (policy_file_find((*rulep)->name) != NULL) {
		policy_rule_free(*rulep);
		*rulep = NULL;
		return req_fail(r, 409, "a rule of policy_file is named so: the "
		    "file's rules cannot be changed through the API");
	}
	return 0;
}

/* Why a create or update failed, in HTTP terms. */
static void
policies_api_store_fail(struct req *r, const struct policy_rule *rule,
    bool cluster_missing)
{
	char shown[96];

	if (cluster_missing) {
		log_sanitize(shown, sizeof(shown), rule->cluster);
		req_fail(r, 400, "cluster: no cluster is named \"%s\"", shown);
	} else if (db_error(r->ctx->db) == DB_ERR_DUPLICATE) {
		req_fail(r, 409, "a policy with this name exists");
	} else {
		req_fail_db(r);
	}
}

/* The audit line and the answer (STATUS, the rule) after RULE was stored;
 * WHAT is "created" or "replaced". */
static void
policies_api_written(struct req *r, const char *admin, const char *what,
    const struct policy_rule *rule, int status)
{
	log_info("audit: admin %s %s policy %lld (name %s, %s)", admin, what,
	    rule->id, rule->name, rule->effect == POLICY_DENY ? "deny" : "allow");
	policy_rule_gen(req_json(r), rule);
	req_send_json(r, status);
}

void
policies_api_create(struct req *r)
{
	struct policy_rule *rule = NULL;
	const char *admin;
	char *text = NULL;
	long long id;
	bool cluster_missing;

	if ((admin = admin_auth(r)) == NULL || policies_api_rule(r, &rule) < 0)
		goto done;
	if (rule->id != 0) {
		req_fail(r, 400, "id: given by the server; leave it out (PUT "
		    "/policies/{id} changes a rule)");
		goto done;
	}
	if (policy_rule_to_json(rule, &text) < 0)
		fatal("policy_rule_to_json: out of memory");
	if (store_policy_create(r->ctx->db, rule->name, rule->cluster, text,
	    &id, &cluster_missing) < 0) {
		policies_api_store_fail(r, rule, cluster_missing);
		goto done;
	}
	authz_cache_invalidate(r->ctx);
	rule->id = id;
	policies_api_written(r, admin, "created", rule, 201);
done:
	free(text);
	policy_rule_free(rule);
}

void
policies_api_replace(struct req *r)
{
	struct policies_api_target t;
	struct policy_rule *rule = NULL;
	const char *admin;
	char *text = NULL;
	bool found, cluster_missing;

	if ((admin = admin_auth(r)) == NULL || policies_api_target(r, &t) < 0)
		goto done;
	if (t.file != NULL) {
		req_fail(r, 409, "policy %s comes from policy_file: change the "
		    "file, then reload (SIGHUP)", t.file->name);
		goto done;
	}
	if (policies_api_rule(r, &rule) < 0)
		goto done;
	/* A GET answer can be PUT back; an id naming another rule cannot. */
	if (rule->id != 0 && rule->id != t.id) {
		req_fail(r, 400, "id: %lld is not the id in the path (%lld)",
		    rule->id, t.id);
		goto done;
	}
	if (policy_rule_to_json(rule, &text) < 0)
		fatal("policy_rule_to_json: out of memory");
	if (store_policy_update(r->ctx->db, t.id, rule->name, rule->cluster,
	    text, &found, &cluster_missing) < 0) {
		policies_api_store_fail(r, rule, cluster_missing);
		goto done;
	}
	if (!found) {
		req_fail(r, 404, "policy not found");
		goto done;
	}
	authz_cache_invalidate(r->ctx);
	rule->id = t.id;
	policies_api_written(r, admin, "replaced", rule, 200);
done:
	free(text);
	policy_rule_free(rule);
}

void
policies_api_delete(struct req *r)
{
	struct policies_api_target t;
	const char *admin;
	bool found;

	if ((admin = admin_auth(r)) == NULL || policies_api_target(r, &t) < 0)
		return;
	if (t.file != NULL) {
		req_fail(r, 409, "policy %s comes from policy_file: change the "
		    "file, then reload (SIGHUP)", t.file->name);
		return;
	}
	if (store_policy_delete(r->ctx->db, t.id, &found) < 0) {
		req_fail_db(r);
		return;
	}
	if (!found) {
		req_fail(r, 404, "policy not found");
		return;
	}
	authz_cache_invalidate(r->ctx);
	log_info("audit: admin %s deleted policy %lld", admin, t.id);
	yajl_gen g = req_json(r);
	yajl_gen_map_open(g);
	json_gen_int(g, "id", t.id);
	yajl_gen_map_close(g);
	req_send_json(r, 200);
}
