/*
 * fuzz_policy_yaml — the policy file (policy_file_parse()): a list of
 * rules, or a mapping whose only key is "policies".
 *
 * Properties: a refusal has a message starting with "line N: " or naming
 * the YAML error; accepted rules are marked from_file, have unique names,
 * compile into a set of as many rules, and each one written as JSON
 * parses back to the same JSON.
 */
#include "fuzz.h"

#include "policy_file.h"
#include "policy_rule.h"
#include "policy_set.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_log_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_rule **rules = NULL;
	struct policy_set *set = NULL;
	char err[256] = "";
	size_t n = 0, i, j;

	if (policy_file_parse((const char *)data, size, &rules, &n, err,
	    sizeof(err)) < 0) {
		FUZZ_ASSERT(rules == NULL && err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT((n == 0) == (rules == NULL));
	for (i = 0; i < n; i++) {
		struct policy_rule *again = NULL;
		char *text = NULL, *text2 = NULL;

		FUZZ_ASSERT(rules[i]->from_file);
		for (j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(rules[i]->name, rules[j]->name) != 0);
		FUZZ_ASSERT(policy_rule_to_json(rules[i], &text) == 0);
		if (policy_rule_from_json_text(text, strlen(text), &again, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "written as %s: refused: %s\n", text, err);
			FUZZ_ASSERT(!"a file rule written as JSON parses again");
		}
		FUZZ_ASSERT(policy_rule_to_json(again, &text2) == 0);
		FUZZ_ASSERT(strcmp(text, text2) == 0);
		free(text2);
		free(text);
		policy_rule_free(again);
	}
	FUZZ_ASSERT(policy_set_new((const struct policy_rule *const *)rules, n, NULL, &set, err, sizeof(err)) == 0);
	FUZZ_ASSERT(policy_set_count(set) == n);
	policy_set_free(set);
	policy_rule_free_all(rules, n);
	return 0;
}
