/*
 * authz.h — the authorization webhook: POST /authorize[/{cluster}], and
 * each worker's cache of compiled rules.
 *
 * Rules come from two places (doc/policies.md):
 *
 *   - policy_file (YAML), which the master reads and the workers inherit
 *     (policy_file.h). Read-only through the API.
 *   - the policies table, changed through the admin API. Each change adds
 *     one to the "policies" generation in the same transaction.
 *
 * Each worker keeps one compiled set (file rules + database rules,
 * policy_set.h) and the names of the clusters, with the generation they
 * were read at. Before a decision it looks at the generation at most every
 * authorization.refresh; only when it moved does it read the rules again.
 * So a decision normally runs no query, a change is seen by every worker
 * within `refresh`, and when MySQL is down the cached set goes on
 * answering. Before any set could be loaded the answer is no opinion with
 * an evaluationError (policy_set_decide() with no set).
 */
#ifndef KA_AUTHZ_H
#define KA_AUTHZ_H

struct authz_cache;
struct ctx;
struct req;

/* POST /authorize and POST /authorize/{cluster-name}: a SubjectAccessReview
 * in, the decision out (HTTP 200), an audit line at level 4. An unknown
 * cluster is a 404, a body that is no SubjectAccessReview a 400. */
void authz_review(struct req *r);

/* In a worker, after it changed rules or clusters: look at the generation
 * on the next decision instead of waiting for `refresh`. */
void authz_cache_invalidate(struct ctx *w);
/* Free a worker's cache (ctx->authz; NULL is fine). */
void authz_cache_free(struct authz_cache *cache);

#endif
