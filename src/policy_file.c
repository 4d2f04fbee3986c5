/*
 * policy_file.c — the policy file: YAML text to rules (pure), and the
 * rules this process read from policy_file (see policy_file.h).
 */
#include "policy_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "conf.h"
#include "log.h"
#include "policy_rule.h"

#define POLICY_FILE_MAX (16 * 1024 * 1024)    /* bytes of policy_file */

/*
 * The format: a YAML document of rules
 */

static void
policy_file_syntax_err(const yaml_parser_t *parser, char *err, size_t errlen)
{
	const char *problem = parser->problem != NULL ? parser->problem :
	    "cannot parse";

	if (parser->error == YAML_MEMORY_ERROR)
		snprintf(err, errlen, "out of memory");
	else if (parser->error == YAML_READER_ERROR)
		snprintf(err, errlen, "invalid YAML: %s at byte %zu", problem,
		    parser->problem_offset);
	else if (parser->context != NULL)
		snprintf(err, errlen, "line %zu: invalid YAML: %s (%s on line %zu)",
		    parser->problem_mark.line + 1, problem, parser->context,
		    parser->context_mark.line + 1);
	else
		snprintf(err, errlen, "line %zu: invalid YAML: %s",
		    parser->problem_mark.line + 1, problem);
}

/* Load the document PARSER holds into *DOC. A second document would be
 * silently ignored: it is refused. Returns 0 (the caller deletes *DOC), or
 * -1 with the message in ERR (*DOC already deleted). */
static int
policy_file_document(yaml_parser_t *parser, yaml_document_t *doc, char *err,
    size_t errlen)
{
	yaml_document_t extra;

	if (!yaml_parser_load(parser, doc)) {
		policy_file_syntax_err(parser, err, errlen);
		return -1;      /* libyaml deleted DOC */
	}
	if (yaml_document_get_root_node(doc) == NULL)
		return 0;       /* empty: no rules */
	if (!yaml_parser_load(parser, &extra)) {
		policy_file_syntax_err(parser, err, errlen);
		goto fail;
	}
	if (yaml_document_get_root_node(&extra) != NULL) {
		snprintf(err, errlen, "line %d: only one YAML document is allowed",
		    policy_rule_yaml_line(yaml_document_get_root_node(&extra)));
		yaml_document_delete(&extra);
		goto fail;
	}
	yaml_document_delete(&extra);
	return 0;
fail:
	yaml_document_delete(doc);
	return -1;
}

/* The list of rules in ROOT: the root itself, or its "policies" member. */
static int
policy_file_rule_list(yaml_document_t *doc, yaml_node_t *root,
    yaml_node_t **listp, char *err, size_t errlen)
{
	*listp = NULL;
	if (root == NULL || policy_rule_yaml_null(root))
		return 0;
	if (root->type == YAML_SEQUENCE_NODE) {
		*listp = root;
		return 0;
	}
	if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "line %d: expected a list of policies, or "
		    "\"policies:\" and a list", policy_rule_yaml_line(root));
		return -1;
	}
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(doc, pair->value);
		char shown[64] = "?";

		if (key == NULL || value == NULL || key->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)key->data.scalar.value, "policies") != 0) {
			if (key != NULL && key->type == YAML_SCALAR_NODE)
				log_sanitize(shown, sizeof(shown),
				    (const char *)key->data.scalar.value);
			snprintf(err, errlen, "line %d: unknown key \"%s\" (the file "
			    "holds \"policies:\" and a list)",
			    policy_rule_yaml_line(key != NULL ? key : root), shown);
			return -1;
		}
		if (*listp != NULL) {
			snprintf(err, errlen, "line %d: policies: given twice",
			    policy_rule_yaml_line(key));
			return -1;
		}
		if (policy_rule_yaml_null(value))
			continue;
		if (value->type != YAML_SEQUENCE_NODE) {
			snprintf(err, errlen, "line %d: policies: must be a list, "
			    "got %s", policy_rule_yaml_line(value),
			    policy_rule_yaml_what(value));
			return -1;
		}
		*listp = value;
	}
	return 0;
}

int
policy_file_parse(const char *text, size_t len,
    struct policy_rule ***rulesp, size_t *np, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *list;
	struct policy_rule **rules = NULL;
	size_t n = 0, cap;
	int rc = -1;

	*rulesp = NULL;
	*np = 0;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (policy_file_document(&parser, &doc, err, errlen) < 0)
		goto out_parser;
	if (policy_file_rule_list(&doc, yaml_document_get_root_node(&doc),
	    &list, err, errlen) < 0)
		goto out_doc;
	cap = list == NULL ? 0 : (size_t)(list->data.sequence.items.top -
	    list->data.sequence.items.start);
	if (cap > 0 && (rules = calloc(cap, sizeof(*rules))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out_doc;
	}
	for (; n < cap; n++) {
		yaml_node_t *node = yaml_document_get_node(&doc,
		    list->data.sequence.items.start[n]);

		if (node == NULL) {
			snprintf(err, errlen, "policy %zu: missing", n + 1);
			goto out_rules;
		}
		if (policy_rule_from_yaml(&doc, node, &rules[n], err,
		    errlen) < 0)
			goto out_rules;
		for (size_t i = 0; i < n; i++)
			if (strcmp(rules[i]->name, rules[n]->name) == 0) {
				snprintf(err, errlen, "line %d: name: \"%s\" is "
				    "already the name of policy %zu",
				    policy_rule_yaml_line(node), rules[n]->name, i + 1);
				n++;
				goto out_rules;
			}
	}
	*rulesp = rules;
	*np = n;
	rules = NULL;
	rc = 0;
out_rules:
	if (rules != NULL)
		policy_rule_free_all(rules, n);
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return rc;
}

/*
 * The rules this process read (master; inherited by workers)
 */

static struct policy_rule **policy_file_rules;
static size_t policy_file_n;

/* PATH's contents, at most POLICY_FILE_MAX bytes, NUL-terminated. */
static int
policy_file_read(const char *path, char **textp, size_t *lenp)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd;

	*textp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_warn("policy_file %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_warn("policy_file %s", path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > POLICY_FILE_MAX) {
		log_warnx("policy_file %s: not a regular file of at most %d bytes",
		    path, POLICY_FILE_MAX);
		goto fail;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		log_warn("policy_file %s", path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("policy_file %s: read", path);
			goto fail;
		}
		if (n == 0)
			break;          /* shrunk meanwhile: parse what is there */
		len += (size_t)n;
	}
	text[len] = '\0';
	close(fd);
	*textp = text;
	*lenp = len;
	return 0;
fail:
	free(text);
	close(fd);
	return -1;
}

int
policy_file_load(const struct conf *conf)
{
	struct policy_rule **rules = NULL;
	char *text = NULL, err[512];
	size_t n = 0, len = 0;

	if (conf->policy_file[0] != '\0') {
		if (policy_file_read(conf->policy_file, &text, &len) < 0)
			return -1;
		if (policy_file_parse(text, len, &rules, &n, err,
		    sizeof(err)) < 0) {
			log_warnx("policy_file %s: %s", conf->policy_file, err);
			free(text);
			return -1;
		}
		free(text);
		log_info("policy_file %s: %zu rules", conf->policy_file, n);
	}
	policy_file_free();
	policy_file_rules = rules;
	policy_file_n = n;
	return 0;
}

void
policy_file_free(void)
{
	if (policy_file_rules != NULL)
		policy_rule_free_all(policy_file_rules, policy_file_n);
	policy_file_rules = NULL;
	policy_file_n = 0;
}

size_t
policy_file_count(void)
{
	return policy_file_n;
}

const struct policy_rule *
policy_file_rule(size_t i)
{
	return i < policy_file_n ? policy_file_rules[i] : NULL;
}

const struct policy_rule *
policy_file_find(const char *name)
{
	for (size_t i = 0; i < policy_file_n; i++)
		if (strcmp(policy_file_rules[i]->name, name) == 0)
			return policy_file_rules[i];
	return NULL;
}

bool
policy_file_names_cluster(const char *cluster)
{
	for (size_t i = 0; i < policy_file_n; i++)
		if (policy_file_rules[i]->cluster != NULL &&
		    strcmp(policy_file_rules[i]->cluster, cluster) == 0)
			return true;
	return false;
}
