/*
 * policy_file.h — the policy file (doc/policies.md, "The policy file"):
 * its YAML format.
 *
 * Ownership: policy_file_parse() returns rules the caller frees.
 */
#ifndef KA_POLICY_FILE_H
#define KA_POLICY_FILE_H

#include <stddef.h>

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

#endif
