/*
 * t-conf.c — conf_parse_duration() and conf_load() on the files in
 * t/data/conf/ and on config-example.yaml.
 *
 * Error messages are part of the contract (an operator reads them to fix
 * the file), so each error case checks the exact "FILE:LINE: key: message"
 * written to stderr, captured around conf_load().
 */
#include "../../src/conf.h"
#include "../../src/log.h"
#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#ifndef KA_DATADIR
#define KA_DATADIR "/usr/share/kubernetes-auth"
#endif
#ifndef KA_SYSCONFDIR
#define KA_SYSCONFDIR "/etc/kubernetes-auth"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *srcdir = ".";
static char captured[16384];

/* NAME in t/data/conf/, or a path from the top of the source tree. */
static const char *
data_path(const char *name, char *buf, size_t len)
{
	if (strchr(name, '/') != NULL || strncmp(name, "config-", 7) == 0)
		snprintf(buf, len, "%s/%s", srcdir, name);
	else
		snprintf(buf, len, "%s/t/data/conf/%s", srcdir, name);
	return buf;
}

/* conf_load() with stderr (where log.c writes) captured into captured[]. */
static int
load(const char *path, struct conf **confp)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	if (tmp == NULL || (saved = dup(STDERR_FILENO)) == -1) {
		perror("capture");
		exit(2);
	}
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	rc = conf_load(path, confp);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
	return rc;
}

static void
show_captured(void)
{
	char *line, *save = NULL, copy[sizeof(captured)];

	snprintf(copy, sizeof(copy), "%s", captured);
	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		printf("#   stderr: %s\n", line);
}

static int
count(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/*
 * conf_parse_duration
 */

static void
test_durations(void)
{
	static const struct {
		const char *text;
		int rc;
		int64_t ms;
	} cases[] = {
		{ "90s", 0, 90000 },
		{ "1h30m", 0, 5400000 },
		{ "1.5h", 0, 5400000 },
		{ "500ms", 0, 500 },
		{ "8760h", 0, 8760LL * 3600 * 1000 },
		{ "87600h", 0, 87600LL * 3600 * 1000 },
		{ "0", 0, 0 },
		{ "+0", 0, 0 },
		{ "0s", 0, 0 },
		{ "10m", 0, 600000 },
		{ "2h45m30.5s", 0, (2 * 3600 + 45 * 60 + 30) * 1000LL + 500 },
		{ "1m1s1ms", 0, 61001 },
		{ ".5s", 0, 500 },
		{ "5.s", 0, 5000 },
		{ "1.0001s", 0, 1000 },         /* truncated, not rounded */
		{ "999999ns", 0, 0 },
		{ "1000000ns", 0, 1 },
		{ "1500us", 0, 1 },
		{ "1\xc2\xb5s", 0, 0 },         /* U+00B5 micro sign */
		{ "2000\xce\xbcs", 0, 2 },      /* U+03BC Greek mu */
		{ "+5s", 0, 5000 },
		{ "2562047h", 0, 2562047LL * 3600 * 1000 },
		{ "9223372036854775807ns", 0, 9223372036854 },
		{ "", -1, 0 },
		{ "-1s", -1, 0 },
		{ "-0", -1, 0 },
		{ "5", -1, 0 },
		{ "1x", -1, 0 },
		{ "s", -1, 0 },
		{ ".", -1, 0 },
		{ ".s", -1, 0 },
		{ "+", -1, 0 },
		{ "1h 30m", -1, 0 },
		{ " 1s", -1, 0 },
		{ "1s ", -1, 0 },
		{ "1S", -1, 0 },
		{ "1d", -1, 0 },
		{ "1h30", -1, 0 },
		{ "00", -1, 0 },
		{ "2562048h", -1, 0 },
		{ "9223372036854775808ns", -1, 0 },
		{ "99999999999999999999h", -1, 0 },
		{ "9223372036854775807ns1ns", -1, 0 },
		/* Found by fuzzing: the unsigned sum wrapped to 0. */
		{ "9223372036854775808ns9223372036854775808ns", -1, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t ms = -42;
		int rc = conf_parse_duration(cases[i].text, &ms);
		is_int(rc, cases[i].rc, "duration \"%s\" %s", cases[i].text,
		    cases[i].rc == 0 ? "parses" : "is refused");
		if (cases[i].rc == 0)
			is_int(ms, cases[i].ms, "duration \"%s\" = %lld ms", cases[i].text,
			    (long long)cases[i].ms);
		else
			is_int(ms, -42, "duration \"%s\" leaves the result alone", cases[i].text);
	}
	ok(conf_parse_duration(NULL, &(int64_t){0}) == -1, "duration NULL is refused");
}

/*
 * Good files
 */

/* conf->database.hosts is exactly the N servers of WANT, in order. */
static void
check_db_hosts(const struct conf *c, const char *label, size_t n, const struct conf_db_host *want)
{
	const struct conf_db_hosts *hosts = &c->database.hosts;

	is_int(hosts->n, n, "%s: %zu database.hosts", label, n);
	for (size_t i = 0; i < n && i < hosts->n; i++) {
		is_str(hosts->v[i].host, want[i].host, "%s: database.hosts[%zu] host", label, i);
		is_int(hosts->v[i].port, want[i].port, "%s: database.hosts[%zu] port", label, i);
	}
}

/* Every key but ldap.urls and ldap.base_dn at its documented default. */
static void
check_defaults(const struct conf *c, const char *label)
{
	is_str(c->listen, "/run/kubernetes-auth/kubernetes-auth.sock", "%s: listen", label);
	is_int(c->listen_allow_remote, false, "%s: listen_allow_remote", label);
	is_int(c->listen_mode, 0660, "%s: listen_mode", label);
	is_str(c->listen_group, "www-data", "%s: listen_group", label);
	is_int(c->listen_backlog, 1024, "%s: listen_backlog", label);
	is_str(c->user, "", "%s: user", label);
	is_str(c->group, "", "%s: group", label);
	is_int(c->workers, 4, "%s: workers", label);
	is_int(c->max_requests, 0, "%s: max_requests", label);
	is_int(c->max_body, 1048576, "%s: max_body", label);
	is_int(c->webhook_max_body, 32768, "%s: webhook_max_body", label);
	is_int(c->webhook_client_cert, CONF_CLIENT_CERT_OPTIONAL, "%s: webhook_client_cert", label);
	/* Unset means www-data; the example file says so. */
	is_int(c->listen_peer_users.n == 0 || (c->listen_peer_users.n == 1 &&
	    strcmp(c->listen_peer_users.v[0], "www-data") == 0), 1,
	    "%s: listen_peer_users unset or [www-data]", label);
	is_int(c->request_timeout_ms, 10000, "%s: request_timeout", label);
	is_int(c->shutdown_timeout_ms, 30000, "%s: shutdown_timeout", label);
	is_str(c->public_url, "", "%s: public_url", label);
	is_str(c->admin_token_file, "", "%s: admin_token_file", label);
	is_str(c->metrics_token_file, "", "%s: metrics_token_file", label);
	is_str(c->migrations_dir, KA_DATADIR "/sql", "%s: migrations_dir", label);
	is_str(c->policy_file, "", "%s: policy_file", label);

	is_str(c->database.host, "localhost", "%s: database.host", label);
	is_int(c->database.port, 3306, "%s: database.port", label);
	is_str(c->database.socket, "", "%s: database.socket", label);
	is_str(c->database.name, "kubernetes_auth", "%s: database.name", label);
	is_str(c->database.user, "kubernetes-auth", "%s: database.user", label);
	is_str(c->database.password_file, "", "%s: database.password_file", label);
	is_str(c->database.tls_ca_file, "", "%s: database.tls_ca_file", label);
	is_int(c->database.connect_timeout_ms, 5000, "%s: database.connect_timeout", label);
	is_int(c->database.read_timeout_ms, 5000, "%s: database.read_timeout", label);
	is_int(c->database.migrate_on_start, true, "%s: database.migrate_on_start", label);
	is_int(c->database.failback_ms, 60000, "%s: database.failback", label);
	check_db_hosts(c, label, 1, (const struct conf_db_host[]){ { "localhost", 3306 } });

	is_int(c->ldap.start_tls, false, "%s: ldap.start_tls", label);
	is_str(c->ldap.ca_file, "", "%s: ldap.ca_file", label);
	is_str(c->ldap.bind_dn, "", "%s: ldap.bind_dn", label);
	is_str(c->ldap.bind_password_file, "", "%s: ldap.bind_password_file", label);
	is_str(c->ldap.user_filter, "(uid=%s)", "%s: ldap.user_filter", label);
	is_str(c->ldap.id_attribute, "uid", "%s: ldap.id_attribute", label);
	is_str(c->ldap.username_attribute, "uid", "%s: ldap.username_attribute", label);
	is_str(c->ldap.uid_attribute, "uidNumber", "%s: ldap.uid_attribute", label);
	is_int(c->ldap.extra_attributes.n, 0, "%s: ldap.extra_attributes", label);
	is_int(c->ldap.group_methods, CONF_GROUPS_MEMBER, "%s: ldap.group_methods", label);
	is_int(c->ldap.member_attributes, CONF_MEMBER_ATTR_MEMBER,
	    "%s: ldap.member_attributes: member only", label);
	is_str(c->ldap.group_base_dn, "", "%s: ldap.group_base_dn", label);
	is_int(c->ldap.group_name, CONF_GROUP_NAME_CN, "%s: ldap.group_name", label);
	is_int(c->ldap.nested_depth, 0, "%s: ldap.nested_depth", label);
	is_int(c->ldap.network_timeout_ms, 5000, "%s: ldap.network_timeout", label);
	is_int(c->ldap.timeout_ms, 5000, "%s: ldap.timeout", label);
	is_int(c->ldap.cache_ttl_ms, 0, "%s: ldap.cache_ttl", label);
	is_int(c->ldap.cache_max, 10000, "%s: ldap.cache_max", label);

	is_str(c->tokens.key_file, KA_SYSCONFDIR "/token.key", "%s: tokens.key_file", label);
	is_int(c->tokens.reveal, true, "%s: tokens.reveal", label);
	is_int(c->tokens.ttl_ms, 8760LL * 3600000, "%s: tokens.ttl", label);
	is_int(c->tokens.max_ttl_ms, 8760LL * 3600000, "%s: tokens.max_ttl", label);
	is_int(c->tokens.keep_expired_ms, 720LL * 3600000, "%s: tokens.keep_expired", label);

	is_int(c->authentication.default_groups.n, 0, "%s: authentication.default_groups", label);
	is_str(c->authentication.username_prefix, "", "%s: authentication.username_prefix", label);
	is_str(c->authentication.group_prefix, "", "%s: authentication.group_prefix", label);

	is_int(c->authorization.default_decision, CONF_AUTHZ_NO_OPINION, "%s: authorization.default", label);
	is_int(c->authorization.refresh_ms, 5000, "%s: authorization.refresh", label);

	is_int(c->login.enabled, true, "%s: login.enabled", label);
	is_int(c->login.auto_create, false, "%s: login.auto_create", label);
	is_int(c->login.allowed_groups.n, 0, "%s: login.allowed_groups", label);
	is_int(c->login.ttl_ms, 24LL * 3600000, "%s: login.ttl", label);
	is_int(c->login.max_tokens, 10, "%s: login.max_tokens", label);

	is_int(c->logging.level, 4, "%s: logging.level", label);
	is_int(c->logging.target, CONF_LOG_STDERR, "%s: logging.target", label);
}

static void
check_example_ldap(const struct conf *c, const char *label)
{
	is_int(c->ldap.urls.n, 1, "%s: one ldap.urls entry", label);
	if (c->ldap.urls.n == 1)
		is_str(c->ldap.urls.v[0], "ldap://ldap.example.org", "%s: ldap.urls[0]", label);
	is_str(c->ldap.base_dn, "dc=example,dc=org", "%s: ldap.base_dn", label);
}

static struct conf *
load_good(const char *name)
{
	char path[4096];
	struct conf *c = NULL;
	int rc = load(data_path(name, path, sizeof(path)), &c);

	is_int(rc, 0, "%s loads", name);
	ok(captured[0] == '\0', "%s: nothing logged", name);
	if (captured[0] != '\0')
		show_captured();
	if (rc == 0)
		is_str(c->path, path, "%s: path is kept", name);
	return c;
}

static void
test_good(void)
{
	struct conf *c;

	if ((c = load_good("config-example.yaml")) != NULL) {
		check_example_ldap(c, "example");
		check_defaults(c, "example");
		conf_free(c);
	}
	if ((c = load_good("good-minimal.yaml")) != NULL) {
		check_example_ldap(c, "minimal");
		check_defaults(c, "minimal");
		conf_free(c);
	}
	if ((c = load_good("good-empty-sections.yaml")) != NULL) {
		check_example_ldap(c, "empty sections");
		check_defaults(c, "empty sections");
		conf_free(c);
	}
	if ((c = load_good("good-max-ttl-follows-ttl.yaml")) != NULL) {
		is_int(c->tokens.ttl_ms, 48LL * 3600000, "tokens.ttl 48h");
		is_int(c->tokens.max_ttl_ms, 48LL * 3600000, "tokens.max_ttl follows tokens.ttl");
		conf_free(c);
	}
	if ((c = load_good("good-values.yaml")) == NULL)
		return;
	is_str(c->listen, "127.0.0.1:9000", "values: listen");
	is_int(c->listen_allow_remote, true, "values: listen_allow_remote");
	is_int(c->listen_mode, 0600, "values: listen_mode unquoted 0600 is octal");
	is_str(c->listen_group, "nginx", "values: listen_group");
	is_int(c->listen_backlog, 128, "values: listen_backlog");
	is_str(c->user, "kubernetes-auth", "values: user");
	is_str(c->group, "nogroup", "values: group");
	is_int(c->workers, 16, "values: workers");
	is_int(c->max_requests, 10000, "values: max_requests");
	is_int(c->max_body, 65536, "values: max_body 64KiB");
	is_int(c->webhook_max_body, 4096, "values: webhook_max_body 4KiB");
	is_int(c->webhook_client_cert, CONF_CLIENT_CERT_REQUIRED, "values: webhook_client_cert");
	is_int(c->listen_peer_users.n, 2, "values: listen_peer_users, two");
	is_str(c->listen_peer_users.n == 2 ? c->listen_peer_users.v[1] : "", "root",
	    "values: listen_peer_users[1]");
	is_int(c->request_timeout_ms, 90000, "values: request_timeout 1m30s");
	is_int(c->shutdown_timeout_ms, 0, "values: shutdown_timeout 0");
	is_str(c->public_url, "https://auth.example.org", "values: public_url");
	is_str(c->admin_token_file, "/etc/kubernetes-auth/admin-tokens", "values: admin_token_file");
	is_str(c->metrics_token_file, "/etc/kubernetes-auth/metrics-token", "values: metrics_token_file");
	is_str(c->migrations_dir, "/opt/kubernetes-auth/sql", "values: migrations_dir");
	is_str(c->policy_file, "/etc/kubernetes-auth/policies.yaml", "values: policy_file");
	is_str(c->database.host, "db.example.org", "values: database.host");
	is_int(c->database.port, 3307, "values: database.port");
	is_str(c->database.socket, "/run/mysqld/mysqld.sock", "values: database.socket");
	is_str(c->database.name, "k8s_auth", "values: database.name");
	is_str(c->database.user, "k8s", "values: database.user");
	is_str(c->database.password_file, "/etc/kubernetes-auth/db-password", "values: database.password_file");
	is_str(c->database.tls_ca_file, "/etc/ssl/certs/db-ca.pem", "values: database.tls_ca_file");
	is_int(c->database.connect_timeout_ms, 250, "values: database.connect_timeout 250ms");
	is_int(c->database.read_timeout_ms, 120000, "values: database.read_timeout 2m");
	is_int(c->database.migrate_on_start, false, "values: database.migrate_on_start");
	/* With a socket too: db.c uses the socket then. */
	check_db_hosts(c, "values: hosts from host and port", 1,
	    (const struct conf_db_host[]){ { "db.example.org", 3307 } });
	is_int(c->ldap.urls.n, 2, "values: two ldap.urls");
	if (c->ldap.urls.n == 2) {
		is_str(c->ldap.urls.v[0], "ldap://ldap1.example.org", "values: ldap.urls[0]");
		is_str(c->ldap.urls.v[1], "ldap://ldap2.example.org:389", "values: ldap.urls[1]");
	}
	is_int(c->ldap.start_tls, true, "values: ldap.start_tls");
	is_str(c->ldap.ca_file, "/etc/ssl/certs/ldap-ca.pem", "values: ldap.ca_file");
	is_str(c->ldap.bind_dn, "cn=kubernetes-auth,ou=services,dc=example,dc=org", "values: ldap.bind_dn");
	is_str(c->ldap.bind_password_file, "/etc/kubernetes-auth/ldap-password",
	    "values: ldap.bind_password_file");
	is_str(c->ldap.base_dn, "ou=people,dc=example,dc=org", "values: ldap.base_dn");
	is_str(c->ldap.user_filter,
	    "(&(|(uid=%s)(mail=%s))(!(pwdAccountLockedTime=*))(!(description=100%%)))",
	    "values: ldap.user_filter");
	is_str(c->ldap.id_attribute, "cn", "values: ldap.id_attribute");
	is_str(c->ldap.username_attribute, "mail", "values: ldap.username_attribute");
	is_str(c->ldap.uid_attribute, "entryUUID", "values: ldap.uid_attribute");
	is_int(c->ldap.extra_attributes.n, 2, "values: two ldap.extra_attributes");
	if (c->ldap.extra_attributes.n == 2) {
		is_str(c->ldap.extra_attributes.v[0], "mail", "values: ldap.extra_attributes[0]");
		is_str(c->ldap.extra_attributes.v[1], "displayName", "values: ldap.extra_attributes[1]");
	}
	is_int(c->ldap.group_methods, CONF_GROUPS_MEMBER_OF | CONF_GROUPS_MEMBER_UID,
	    "values: ldap.group_methods memberOf + memberUid");
	is_int(c->ldap.member_attributes, CONF_MEMBER_ATTR_MEMBER | CONF_MEMBER_ATTR_UNIQUE_MEMBER,
	    "values: ldap.member_attributes uniqueMember + member");
	is_str(c->ldap.group_base_dn, "ou=groups,dc=example,dc=org", "values: ldap.group_base_dn");
	is_int(c->ldap.group_name, CONF_GROUP_NAME_DN, "values: ldap.group_name dn");
	is_int(c->ldap.nested_depth, 3, "values: ldap.nested_depth");
	is_int(c->ldap.network_timeout_ms, 1500, "values: ldap.network_timeout 1.5s");
	is_int(c->ldap.timeout_ms, 60000, "values: ldap.timeout");
	is_int(c->ldap.cache_ttl_ms, 3600000, "values: ldap.cache_ttl");
	is_int(c->ldap.cache_max, 250, "values: ldap.cache_max");
	is_str(c->tokens.key_file, "/srv/kubernetes-auth/token.key", "values: tokens.key_file");
	is_int(c->tokens.reveal, false, "values: tokens.reveal");
	is_int(c->tokens.ttl_ms, 720LL * 3600000, "values: tokens.ttl");
	is_int(c->tokens.max_ttl_ms, 87600LL * 3600000, "values: tokens.max_ttl");
	is_int(c->tokens.keep_expired_ms, 0, "values: tokens.keep_expired");
	is_int(c->authentication.default_groups.n, 2, "values: two authentication.default_groups");
	if (c->authentication.default_groups.n == 2)
		is_str(c->authentication.default_groups.v[1], "kubernetes users",
		    "values: authentication.default_groups[1]");
	is_str(c->authentication.username_prefix, "ldap:", "values: authentication.username_prefix");
	is_str(c->authentication.group_prefix, "ldap-", "values: authentication.group_prefix");
	is_int(c->authorization.default_decision, CONF_AUTHZ_DENY, "values: authorization.default");
	is_int(c->authorization.refresh_ms, 100, "values: authorization.refresh");
	is_int(c->login.enabled, false, "values: login.enabled");
	is_int(c->login.auto_create, true, "values: login.auto_create");
	is_int(c->login.allowed_groups.n, 1, "values: one login.allowed_groups");
	if (c->login.allowed_groups.n == 1)
		is_str(c->login.allowed_groups.v[0], "admins", "values: login.allowed_groups[0]");
	is_int(c->login.ttl_ms, 12LL * 3600000, "values: login.ttl");
	is_int(c->login.max_tokens, 1, "values: login.max_tokens");
	is_int(c->logging.level, 9, "values: logging.level");
	is_int(c->logging.target, CONF_LOG_SYSLOG, "values: logging.target");
	conf_free(c);
}

static void
test_db_hosts(void)
{
	struct conf *c;

	if ((c = load_good("good-db-hosts.yaml")) != NULL) {
		check_db_hosts(c, "hosts", 5, (const struct conf_db_host[]){
		    { "db1.example.org", 3310 },        /* port, though written below */
		    { "db2.example.org", 3307 },
		    { "2001:db8::3", 3308 },            /* without its brackets */
		    { "2001:db8::4", 3310 },
		    { "192.0.2.5", 3310 },
		});
		is_str(c->database.host, "localhost", "hosts: database.host at its default is allowed");
		is_int(c->database.failback_ms, 300000, "hosts: database.failback 5m");
		conf_free(c);
	}
	if ((c = load_good("good-db-hosts-flow.yaml")) != NULL) {
		check_db_hosts(c, "hosts on one line", 2, (const struct conf_db_host[]){
		    { "db1.example.org", 3306 }, { "db2.example.org", 3306 } });
		is_int(c->database.failback_ms, 1000, "hosts on one line: database.failback 1s");
		conf_free(c);
	}
	if ((c = load_good("good-db-hosts-empty.yaml")) != NULL) {
		check_db_hosts(c, "hosts: []", 1, (const struct conf_db_host[]){
		    { "db.example.org", 3307 } });
		conf_free(c);
	}
}

/*
 * Bad files: each fails, logs exactly the expected lines, and returns no
 * conf (ASan's leak check covers the error paths).
 */

static const struct {
	const char *file;
	int lines;                      /* messages expected */
	const char *messages[3];        /* each after "PATH:" */
} bad_cases[] = {
	{ "bad-unknown-key.yaml", 1, { "5: lisen: unknown key (did you mean listen?)" } },
	{ "bad-unknown-section-key.yaml", 1,
	    { "6: database.prot: unknown key (did you mean database.port?)" } },
	{ "bad-unknown-section.yaml", 1, { "5: databse: unknown key (did you mean database?)" } },
	{ "bad-dotted-key.yaml", 1,
	    { "5: database.port: unknown key: write \"port:\" indented under \"database:\"" } },
	{ "bad-string-for-int.yaml", 1,
	    { "6: database.port: expected an integer between 1 and 65535, got \"mysql\"" } },
	{ "bad-list-for-string.yaml", 1, { "5: listen: expected a string, got a list" } },
	{ "bad-scalar-for-list.yaml", 1,
	    { "3: ldap.urls: expected a list of strings, got the single value "
	      "\"ldap://ldap.example.org\"; write it as [\"ldap://ldap.example.org\"]" } },
	{ "bad-mapping-for-scalar.yaml", 1,
	    { "5: workers: expected an integer between 1 and 1024, got a mapping" } },
	{ "bad-scalar-for-section.yaml", 1,
	    { "5: database: expected a mapping of database settings, got \"mysql://db.example.org\"" } },
	{ "bad-list-item-mapping.yaml", 1,
	    { "7: ldap.extra_attributes: expected a list of strings, got a mapping as item 2" } },
	{ "bad-range.yaml", 1,
	    { "7: database.port: expected an integer between 1 and 65535, got \"99999\"" } },
	{ "bad-negative.yaml", 1, { "5: workers: expected an integer between 1 and 1024, got \"-1\"" } },
	{ "bad-bool.yaml", 1, { "5: ldap.start_tls: expected true or false, got \"maybe\"" } },
	{ "bad-bool-yes.yaml", 1, { "5: ldap.start_tls: expected true or false, got \"yes\"" } },
	{ "bad-enum.yaml", 1, { "6: authorization.default: expected no-opinion or deny, got \"allow\"" } },
	{ "bad-duration.yaml", 1,
	    { "5: request_timeout: expected a duration between 1s and 10m "
	      "(e.g. \"90s\", \"1h30m\"), got \"10\"" } },
	{ "bad-duration-range.yaml", 1,
	    { "5: shutdown_timeout: expected a duration between 0s and 10m "
	      "(e.g. \"90s\", \"1h30m\"), got \"1h\"" } },
	{ "bad-max-body.yaml", 1,
	    { "5: max_body: expected a size between 1KiB and 64MiB (a number of bytes, "
	      "or of KiB or MiB: \"64KiB\"), got \"2GB\"" } },
	{ "bad-listen-mode.yaml", 1,
	    { "5: listen_mode: expected an octal file mode up to 0777 (e.g. \"0660\"), got \"0999\"" } },
	{ "bad-listen.yaml", 1,
	    { "5: listen: expected an absolute unix socket path or host:port" } },
	{ "bad-public-url.yaml", 1,
	    { "5: public_url: expected an http:// or https:// URL, got \"auth.example.org\"" } },
	{ "bad-ldap-url.yaml", 1,
	    { "3: ldap.urls: expected URLs starting with ldap:// or ldaps://, "
	      "got \"http://ldap2.example.org\"" } },
	{ "bad-duplicate-key.yaml", 1, { "8: database.port: duplicate key (first set on line 6)" } },
	{ "bad-duplicate-section.yaml", 1, { "5: ldap: duplicate key (first set on line 2)" } },
	{ "bad-syntax.yaml", 1,
	    { "7: invalid YAML: did not find expected key (while parsing a block mapping on line 2)" } },
	{ "bad-syntax-flow.yaml", 1, { "6: invalid YAML: did not find expected ',' or ']'" } },
	{ "bad-missing-required.yaml", 1, { "2: ldap.urls: required key is missing" } },
	{ "bad-missing-ldap.yaml", 2,
	    { "2: ldap.urls: required key is missing", "2: ldap.base_dn: required key is missing" } },
	{ "bad-empty.yaml", 2,
	    { "1: ldap.urls: required key is missing", "1: ldap.base_dn: required key is missing" } },
	{ "bad-empty-urls.yaml", 1, { "3: ldap.urls: must list at least one item" } },
	{ "bad-empty-base-dn.yaml", 1, { "4: ldap.base_dn: must not be empty" } },
	{ "bad-start-tls-ldaps.yaml", 1,
	    { "5: ldap.start_tls: cannot be used with the ldaps:// URL ldaps://ldap2.example.org" } },
	{ "bad-max-ttl.yaml", 1, { "7: tokens.max_ttl: must be at least tokens.ttl (720h), got 24h" } },
	{ "bad-login-ttl.yaml", 1, { "6: login.ttl: must not exceed tokens.max_ttl (8760h), got 9000h" } },
	{ "bad-user-filter-no-s.yaml", 1,
	    { "5: ldap.user_filter: must contain %s (replaced by the login name), got \"(uid=*)\"" } },
	{ "bad-user-filter-percent.yaml", 1,
	    { "5: ldap.user_filter: only %s (the login name) and %% (a literal %) may follow a %, "
	      "got \"(uid=%d)\"" } },
	{ "bad-user-filter-parens.yaml", 1,
	    { "5: ldap.user_filter: expected an LDAP filter in parentheses" } },
	{ "bad-group-methods-empty.yaml", 1,
	    { "5: ldap.group_methods: must list at least one of member, memberUid or memberOf" } },
	{ "bad-group-methods-duplicate.yaml", 1, { "5: ldap.group_methods: \"member\" is listed twice" } },
	{ "bad-group-methods-unknown.yaml", 1,
	    { "5: ldap.group_methods: expected each item to be member, memberUid or memberOf, "
	      "got \"uniqueMember\"" } },
	{ "bad-member-attributes-empty.yaml", 1,
	    { "5: ldap.member_attributes: must list at least one of member or uniqueMember" } },
	{ "bad-member-attributes-unknown.yaml", 1,
	    { "5: ldap.member_attributes: expected each item to be member or uniqueMember, "
	      "got \"memberUid\"" } },
	{ "bad-secret-inline.yaml", 3, {
	    "5: ldap.bind_password: unknown key: secrets are read from files: use bind_password_file",
	    "6: admin_token: unknown key: secrets are read from files: use admin_token_file",
	    "8: database.password: unknown key: secrets are read from files: use password_file" } },
	{ "bad-not-mapping.yaml", 1,
	    { "2: expected a mapping of configuration keys (key: value), got a list" } },
	{ "bad-two-documents.yaml", 1, { "6: only one YAML document is allowed" } },
	{ "bad-db-hosts-and-host.yaml", 1,
	    { "7: database.hosts: cannot be used with database.host (line 6): "
	      "list every server in database.hosts" } },
	{ "bad-db-hosts-and-socket.yaml", 1,
	    { "6: database.hosts: cannot be used with database.socket (line 8): "
	      "a socket reaches one local server" } },
	{ "bad-db-hosts-duplicate.yaml", 2, {
	    "11: database.hosts: \"DB1.example.org:3307\" is listed twice (first on line 9)",
	    "13: database.hosts: \"[2001:db8::1]:3307\" is listed twice (first on line 12)" } },
	{ "bad-db-hosts-port.yaml", 3, {
	    "7: database.hosts: expected a port between 1 and 65535 after the colon, "
	    "got \"db1.example.org:65536\"",
	    "8: database.hosts: expected a port between 1 and 65535 after the colon, "
	    "got \"db2.example.org:\"",
	    "9: database.hosts: expected a port between 1 and 65535 after the colon, "
	    "got \"[2001:db8::1]:0\"" } },
	{ "bad-db-hosts-form.yaml", 3, {
	    "7: database.hosts: write an IPv6 address in brackets, e.g. \"[2001:db8::1]:3306\", "
	    "got \"2001:db8::1\"",
	    "8: database.hosts: expected an IPv6 address in brackets, e.g. \"[2001:db8::1]:3306\", "
	    "got \"[db1.example.org]:3306\"",
	    "9: database.hosts: expected host, host:port or \"[IPv6 address]:port\" "
	    "(e.g. \"db1.example.org:3306\"), got \"db 1.example.org\"" } },
	{ "bad-db-hosts-scalar.yaml", 1,
	    { "6: database.hosts: expected a list of servers (host, host:port or "
	      "\"[IPv6 address]:port\"), got the single value \"db1.example.org\"; "
	      "write it as [\"db1.example.org\"]" } },
	{ "bad-db-failback.yaml", 1,
	    { "6: database.failback: expected a duration between 1s and 24h "
	      "(e.g. \"90s\", \"1h30m\"), got \"500ms\"" } },
	{ "bad-multiple-errors.yaml", 3, {
	    "5: workers: expected an integer between 1 and 1024, got \"many\"",
	    "7: database.port: expected an integer between 1 and 65535, got \"0\"",
	    "9: logging.target: expected stderr or syslog, got \"journald\"" } },
};

static void
test_bad(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const char *name = bad_cases[i].file;
		char path[2048], want[4096], prefix[2100];
		static struct conf sentinel;
		struct conf *c = &sentinel;             /* conf_load must reset it */
		bool all = true;
		int rc = load(data_path(name, path, sizeof(path)), &c);

		is_int(rc, -1, "%s is refused", name);
		ok(c == NULL, "%s: no conf returned", name);
		snprintf(prefix, sizeof(prefix), "%s:", path);
		is_int(count(captured, prefix), bad_cases[i].lines, "%s: %d message(s)", name,
		    bad_cases[i].lines);
		for (int j = 0; j < bad_cases[i].lines; j++) {
			snprintf(want, sizeof(want), "%s:%s", path, bad_cases[i].messages[j]);
			ok(strstr(captured, want) != NULL, "%s: says %s", name, bad_cases[i].messages[j]);
			if (strstr(captured, want) == NULL) {
				printf("#   want: %s\n", want);
				all = false;
			}
		}
		if (!all || count(captured, prefix) != bad_cases[i].lines)
			show_captured();
	}
}

static void
test_secret_not_logged(void)
{
	char path[4096];
	struct conf *c = NULL;

	load(data_path("bad-secret-inline.yaml", path, sizeof(path)), &c);
	ok(strstr(captured, "hunter2") == NULL, "an inline secret is never logged");
}

static void
test_missing_file(void)
{
	char path[4096];
	struct conf *c = NULL;
	int rc = load(data_path("does-not-exist.yaml", path, sizeof(path)), &c);

	is_int(rc, -1, "a missing file is refused");
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ": %s", strerror(ENOENT));
	ok(strstr(captured, path) != NULL, "a missing file is logged with its path and the cause");
	if (strstr(captured, path) == NULL)
		show_captured();
}

int
main(void)
{
	const char *env = getenv("KA_SRCDIR");

	if (env != NULL && *env != '\0')
		srcdir = env;
	log_init("t-conf", LOG_LVL_INFO, false);
	test_durations();
	test_good();
	test_db_hosts();
	test_bad();
	test_secret_not_logged();
	test_missing_file();
	return tap_done();
}
