/*
 * policy_set.h — a compiled, immutable set of authorization rules, and the
 * decision it makes for a SubjectAccessReview (doc/policies.md, "Matching"
 * and "Deciding").
 *
 * Pure code: no MySQL, HTTP or files. A set holds global and per-cluster
 * rules, indexed by subject so that a decision looks only at the rules
 * naming the request's user, its groups, or "*".
 *
 * Ownership: policy_set_new() copies what it needs from the rules it is
 * given (the caller still owns them) into a set that the caller frees with
 * policy_set_free(). A decision borrows the deciding rule's name from the
 * set, so the set must outlive the decision. One set serves many decisions:
 * policy_set_decide() neither allocates nor changes it.
 *
 * How a worker uses it (authz.c): when the rules change, it parses them
 * (policy_rule.h), adds those of the policy file (policy_file.h) and
 * compiles a new set, keeping the old one if that fails; per request it
 * parses the body (policy_request.h), decides with policy_set_decide(),
 * and writes the answer with policy_request_answer_gen().
 */
#ifndef KA_POLICY_SET_H
#define KA_POLICY_SET_H

#include <stddef.h>

#include "conf.h"
#include "policy_request.h"

struct policy_rule;
struct policy_set;

/* Compile N rules (global and any number of clusters) into a new set.
 * LOAD_ERROR (may be NULL) is what went wrong while gathering the rules
 * (e.g. a stored rule that no longer parses); it is copied and reported as
 * the evaluationError of every decision made with this set. Fails on a
 * duplicate name or out of memory, with the message in ERR. Returns 0 and
 * *setp (caller frees with policy_set_free), or -1. */
int policy_set_new(const struct policy_rule *const *rules, size_t n,
    const char *load_error, struct policy_set **setp, char *err, size_t errlen);
/* NULL is fine. */
void policy_set_free(struct policy_set *set);
/* How many rules SET holds (0 for NULL). */
size_t policy_set_count(const struct policy_set *set);

/* Decide SAR with the global rules of SET plus those of CLUSTER (NULL = the
 * global rules only; a cluster no rule names simply has none). A matching
 * deny wins over a matching allow; among several, the first by name is
 * reported. With no match the answer is no opinion, or a denial when DFLT
 * is CONF_AUTHZ_DENY — except for protected (system:) users, which only
 * rules naming them or their own system: groups can touch. SET may be NULL
 * (no rules could be loaded yet): no opinion with an evaluationError.
 * Fills *D; d->rule is borrowed from SET. */
void policy_set_decide(const struct policy_set *set, const char *cluster,
    const struct policy_request *sar, enum conf_authz_default dflt,
    struct policy_decision *d);

#endif
