/*
 * authz.h — the authorization webhook: POST /authorize[/{cluster}], the
 * policy file, and each worker's cache of compiled rules.
 *
 * Rules come from two places (doc/policies.md):
 *
 *   - policy_file (YAML), read by the MASTER at start (a bad file stops
 *     start-up) and on SIGHUP (a bad file is logged and the previous rules
 *     stay). The parsed rules live in this module's memory, so they reach
 *     the workers through fork(): the workers a reload starts have the new
 *     rules, the old ones keep theirs until they leave. Read-only through
 *     the API.
 *   - the policies table, changed through the admin API. Each change adds
 *     one to the "policies" generation in the same transaction.
 *
 * Each worker keeps one compiled set (file rules + database rules) and the
 * names of the clusters, with the generation they were read at. Before a
 * decision it looks at the generation at most every
 * authorization.refresh; only when it moved does it read the rules again.
 * So a decision normally runs no query, a change is seen by every worker
 * within `refresh`, and when MySQL is down the cached set goes on
 * answering. Before any set could be loaded the answer is no opinion with
 * an evaluationError (policy_set_decide() with no set).
 */
#ifndef KA_AUTHZ_H
#define KA_AUTHZ_H

#include <stddef.h>

struct authz_cache;
struct conf;
struct ctx;
struct policy_rule;
struct req;

/* POST /authorize and POST /authorize/{cluster-name}: a SubjectAccessReview
 * in, the decision out (HTTP 200), an audit line at level 4. An unknown
 * cluster is a 404, a body that is no SubjectAccessReview a 400. */
void authz_review(struct req *r);

/* In the master: read CONF's policy_file ("" = none: no file rules) and,
 * when it parses, make its rules the ones new workers inherit. Returns 0,
 * or -1 with the reason logged and the previous rules kept. */
int authz_file_load(const struct conf *conf);
/* Free the file rules (at exit). */
void authz_file_free(void);

/* The file rules this process has (borrowed; valid until the next
 * authz_file_load in the same process, i.e. for a worker's whole life). */
size_t authz_file_count(void);
const struct policy_rule *authz_file_rule(size_t i);
/* The file rule named NAME, or NULL. */
const struct policy_rule *authz_file_find(const char *name);
/* Does a file rule name cluster CLUSTER? */
int authz_file_names_cluster(const char *cluster);

/* In a worker, after it changed rules or clusters: look at the generation
 * on the next decision instead of waiting for `refresh`. */
void authz_cache_invalidate(struct ctx *w);
/* Free a worker's cache (ctx->authz; NULL is fine). */
void authz_cache_free(struct authz_cache *cache);

#endif
