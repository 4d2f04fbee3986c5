/*
 * policy_file.h — the policy file (doc/policies.md, "The policy file"):
 * its YAML format, and the rules this process read from it.
 *
 * The master reads policy_file at start (a bad file stops start-up) and on
 * SIGHUP (a bad file is logged and the previous rules stay). The parsed
 * rules live in this module's memory, so they reach the workers through
 * fork(): the workers a reload starts have the new rules, the old ones keep
 * theirs until they leave. A worker only reads them (authz.c compiles them
 * with the database's rules; policies_api.c shows them, read-only).
 *
 * Ownership: policy_file_parse() returns rules the caller frees; the rules
 * of policy_file_rule() and policy_file_find() belong to this module and
 * are borrowed.
 */
#ifndef KA_POLICY_FILE_H
#define KA_POLICY_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct policy_rule;

/* Parse the policy file's contents: LEN bytes of YAML holding either a list
 * of rules or a mapping whose only key is "policies" (a list of rules). An
 * empty document, or "policies:" with nothing under it, is no rules. Names
 * must be unique within the file; "cluster" is not checked against the
 * clusters table (the caller does that). Pure: reads no file. Returns 0
 * with a new array of *np rules in *rulesp (caller frees with
 * policy_rule_free_all; NULL when *np is 0), or -1 with the first error
 * ("line N: ...") in ERR. */
int policy_file_parse(const char *text, size_t len,
    struct policy_rule ***rulesp, size_t *np, char *err, size_t errlen);

/* In the master: read CONF's policy_file ("" = none: no file rules) and,
 * when it parses, make its rules the ones new workers inherit. Returns 0,
 * or -1 with the reason logged and the previous rules kept. */
int policy_file_load(const struct conf *conf);
/* Free the file rules (at exit). */
void policy_file_free(void);

/* The file rules this process has (borrowed; valid until the next
 * policy_file_load in the same process, i.e. for a worker's whole life). */
size_t policy_file_count(void);
/* Rule I (0 <= I < policy_file_count()), or NULL past the end. */
const struct policy_rule *policy_file_rule(size_t i);
/* The file rule named NAME, or NULL. */
const struct policy_rule *policy_file_find(const char *name);
/* Does a file rule name cluster CLUSTER? */
bool policy_file_names_cluster(const char *cluster);

#endif
