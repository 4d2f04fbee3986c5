/*
 * fuzz_sar — a SubjectAccessReview body all the way through: json_parse(),
 * policy_request_parse(), policy_set_decide() against a fixed rule set
 * (global and per-cluster rules, allow and deny, users, groups, "*"), and
 * policy_request_answer_gen().
 *
 * Properties: a refused body has a message; an accepted one gets, under
 * each default and cluster, an answer the API server accepts (one object,
 * the request's apiVersion, kind SubjectAccessReview, allowed a boolean,
 * denied only when true and never with allowed, reason a string); a
 * protected (system:) user is never denied by default.
 */
#include "fuzz.h"

#include "json.h"
#include "policy_request.h"
#include "policy_rule.h"
#include "policy_set.h"

static const char *const rules_json[] = {
	"{\"name\":\"devs-read\",\"groups\":[\"developers\"],\"verbs\":[\"get\",\"list\",\"watch\"],"
	"\"apiGroups\":[\"\",\"apps\"],\"resources\":[\"pods\",\"pods/log\",\"*/scale\",\"deployments\"],"
	"\"effect\":\"allow\"}",
	"{\"name\":\"no-secrets\",\"users\":[\"*\"],\"verbs\":[\"*\"],\"apiGroups\":[\"\"],"
	"\"resources\":[\"secrets\"],\"effect\":\"deny\"}",
	"{\"name\":\"jane-prod\",\"cluster\":\"prod\",\"users\":[\"jane\"],\"verbs\":[\"*\"],"
	"\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"namespaces\":[\"default\",\"\"],"
	"\"resourceNames\":[\"web\"],\"effect\":\"allow\"}",
	"{\"name\":\"health\",\"groups\":[\"*\"],\"verbs\":[\"get\"],"
	"\"nonResourceURLs\":[\"/healthz\",\"/api*\"],\"effect\":\"allow\"}",
	"{\"name\":\"nodes\",\"groups\":[\"system:nodes\"],\"verbs\":[\"get\"],"
	"\"apiGroups\":[\"\"],\"resources\":[\"nodes\"],\"effect\":\"allow\"}",
};
#define NRULES (sizeof(rules_json) / sizeof(rules_json[0]))

static struct policy_set *set;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct policy_rule *rules[NRULES];
	char err[256];
	size_t i;

	fuzz_log_init();
	for (i = 0; i < NRULES; i++)
		if (policy_rule_from_json_text(rules_json[i], strlen(rules_json[i]),
		    &rules[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_sar: rule %zu refused: %s\n", i, err);
			abort();
		}
	if (policy_set_new((const struct policy_rule *const *)rules, NRULES, NULL, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_sar: set refused: %s\n", err);
		abort();
	}
	for (i = 0; i < NRULES; i++)
		policy_rule_free(rules[i]);
	return 0;
}

static void
check_answer(const struct policy_request *sar, const struct policy_decision *d)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	yajl_val tree, status, allowed, denied, v;
	char err[160], *text;

	FUZZ_ASSERT(g != NULL);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	policy_request_answer_gen(g, sar, d);
	FUZZ_ASSERT(yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok);
	text = fuzz_strndup(buf, len);
	FUZZ_ASSERT(json_parse(text, len, &tree, err, sizeof(err)) == 0);
	FUZZ_ASSERT(YAJL_IS_OBJECT(tree));
	v = json_get(tree, "apiVersion");
	FUZZ_ASSERT(json_string(v) != NULL && strcmp(v->u.string, sar->api_version) == 0);
	v = json_get(tree, "kind");
	FUZZ_ASSERT(json_string(v) != NULL && strcmp(v->u.string, "SubjectAccessReview") == 0);
	status = json_get(tree, "status");
	FUZZ_ASSERT(YAJL_IS_OBJECT(status));
	allowed = json_get(status, "allowed");
	FUZZ_ASSERT(allowed != NULL && (YAJL_IS_TRUE(allowed) || YAJL_IS_FALSE(allowed)));
	denied = json_get(status, "denied");
	FUZZ_ASSERT(denied == NULL || YAJL_IS_TRUE(denied));
	FUZZ_ASSERT(!(denied != NULL && YAJL_IS_TRUE(allowed)));
	FUZZ_ASSERT(YAJL_IS_TRUE(allowed) == (d->verdict == POLICY_ALLOWED));
	FUZZ_ASSERT((denied != NULL) == (d->verdict == POLICY_DENIED));
	FUZZ_ASSERT(json_string(json_get(status, "reason")) != NULL);
	v = json_get(status, "evaluationError");
	FUZZ_ASSERT(v == NULL || (json_string(v) != NULL && v->u.string[0] != '\0'));
	json_free(tree);
	free(text);
	yajl_gen_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const clusters[] = { NULL, "prod", "staging" };
	char *text = fuzz_strndup(data, size), err[256] = "";
	struct policy_request sar;
	struct policy_decision d;
	yajl_val tree = NULL;
	size_t i;

	if (json_parse(text, size, &tree, err, sizeof(err)) < 0)
		goto done;
	if (policy_request_parse(tree, &sar, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		goto done;
	}
	for (i = 0; i < sizeof(clusters) / sizeof(clusters[0]); i++) {
		policy_set_decide(set, clusters[i], &sar, CONF_AUTHZ_NO_OPINION, &d);
		FUZZ_ASSERT(!d.by_default);
		check_answer(&sar, &d);
		policy_set_decide(set, clusters[i], &sar, CONF_AUTHZ_DENY, &d);
		FUZZ_ASSERT(!(d.by_default && d.protected_user));
		check_answer(&sar, &d);
	}
	/* No rule set loaded yet: no opinion, and say why. */
	policy_set_decide(NULL, NULL, &sar, CONF_AUTHZ_DENY, &d);
	FUZZ_ASSERT(d.verdict == POLICY_NO_OPINION && d.evaluation_error[0] != '\0');
	check_answer(&sar, &d);
	policy_request_cleanup(&sar);
done:
	json_free(tree);
	free(text);
	return 0;
}
