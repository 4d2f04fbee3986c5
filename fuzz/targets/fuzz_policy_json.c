/*
 * fuzz_policy_json — an authorization rule from JSON: the body of POST and
 * PUT /policies, and a stored row (policy_rule_from_json_text()).
 *
 * Properties: a refusal has a message; an accepted rule is written back by
 * policy_rule_to_json() as text that parses to the same rule (the second
 * writing is byte for byte the first), policy_rule_gen() makes valid JSON,
 * and a set compiled from the rule decides a request without trouble.
 */
#include "fuzz.h"

#include "json.h"
#include "policy_request.h"
#include "policy_rule.h"
#include "policy_set.h"

static const char sar_json[] =
    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\","
    "\"spec\":{\"resourceAttributes\":{\"namespace\":\"default\",\"verb\":\"get\","
    "\"group\":\"apps\",\"resource\":\"deployments\",\"name\":\"web\"},"
    "\"user\":\"jane\",\"groups\":[\"developers\"]}}";

static yajl_val sar_tree;
static struct policy_request sar;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	fuzz_log_init();
	if (json_parse(sar_json, strlen(sar_json), &sar_tree, err, sizeof(err)) < 0 ||
	    policy_request_parse(sar_tree, &sar, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_policy_json: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_rule *rule = NULL, *again = NULL;
	struct policy_set *set = NULL;
	struct policy_decision d;
	char err[256] = "", *text = NULL, *text2 = NULL;
	yajl_gen g;
	const unsigned char *buf;
	size_t len;

	if (policy_rule_from_json_text((const char *)data, size, &rule, err,
	    sizeof(err)) < 0) {
		FUZZ_ASSERT(rule == NULL && err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(rule != NULL && rule->name != NULL);
	FUZZ_ASSERT(strlen(rule->name) <= POLICY_NAME_MAX);

	FUZZ_ASSERT(policy_rule_to_json(rule, &text) == 0);
	if (policy_rule_from_json_text(text, strlen(text), &again, err, sizeof(err)) < 0) {
		fprintf(stderr, "written back as %s: refused: %s\n", text, err);
		FUZZ_ASSERT(!"a rule written back parses again");
	}
	FUZZ_ASSERT(policy_rule_to_json(again, &text2) == 0);
	FUZZ_ASSERT(strcmp(text, text2) == 0);

	g = yajl_gen_alloc(NULL);
	FUZZ_ASSERT(g != NULL);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	policy_rule_gen(g, rule);
	FUZZ_ASSERT(yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok);
	yajl_gen_free(g);

	FUZZ_ASSERT(policy_set_new((const struct policy_rule *const *)&rule, 1, NULL, &set, err, sizeof(err)) == 0);
	FUZZ_ASSERT(policy_set_count(set) == 1);
	policy_set_decide(set, rule->cluster, &sar, CONF_AUTHZ_DENY, &d);
	FUZZ_ASSERT(d.verdict != POLICY_ALLOWED || rule->effect == POLICY_ALLOW);
	FUZZ_ASSERT(d.verdict != POLICY_DENIED || rule->effect == POLICY_DENY ||
	    d.by_default);

	policy_set_free(set);
	free(text2);
	free(text);
	policy_rule_free(again);
	policy_rule_free(rule);
	return 0;
}
