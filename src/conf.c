/*
 * conf.c — libyaml -> struct conf, driven by one key table.
 *
 * Every key is one row of conf_keys[]: its dotted name, how its text is
 * read, where it lands in struct conf, its default (written as it would be
 * in the file, and read by the same code) and its bounds. The file is loaded
 * as a libyaml document, walked mapping by mapping, and each error is logged
 * as "FILE:LINE: KEY: message" before moving on, so an operator sees every
 * mistake in one run rather than one per restart.
 */
#include "conf.h"
#include "hex.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <yaml.h>

#ifndef KA_DATADIR
#define KA_DATADIR "/usr/share/kubernetes-auth"
#endif
#ifndef KA_SYSCONFDIR
#define KA_SYSCONFDIR "/etc/kubernetes-auth"
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CONF_DOTTED_MAX	256             /* a dotted key name as read, NUL included */

#define CONF_MS_SECOND	1000LL
#define CONF_MS_MINUTE	(60 * CONF_MS_SECOND)
#define CONF_MS_HOUR	(60 * CONF_MS_MINUTE)
#define CONF_KIB	1024LL
#define CONF_MIB	(1024 * CONF_KIB)

enum conf_key_type {
	CONF_KEY_BOOL,       /* bool: true or false, nothing else */
	CONF_KEY_INT,        /* int: a decimal integer */
	CONF_KEY_LONG,       /* long: a decimal integer */
	CONF_KEY_MODE,       /* unsigned: octal digits, "0660" or 0660 alike */
	CONF_KEY_SIZE,       /* size_t: bytes, or a whole number of KiB or MiB */
	CONF_KEY_DURATION,   /* int64_t milliseconds from a Go-style duration */
	CONF_KEY_STRING,     /* char * */
	CONF_KEY_LIST,       /* struct conf_list */
	CONF_KEY_ENUM,       /* an int-sized enum: the index of the word in values[] */
	CONF_KEY_BITS,       /* unsigned: 1 << index of each listed word in values[] */
	CONF_KEY_HOSTS,      /* struct conf_db_hosts: "host", "host:port", "[IPv6]:port" */
};

#define CONF_KEY_REQUIRED	0x01    /* must appear in the file */
#define CONF_KEY_NONEMPTY	0x02    /* "" or [] is refused */
#define CONF_KEY_SECRET		0x04    /* a *_file holding a secret: see conf_unknown_key() */

struct conf_key {
	const char *name;               /* dotted: "database.port" */
	enum conf_key_type type;
	size_t offset;                  /* into struct conf */
	const char *def;                /* as written in the file; NULL = "" or [] */
	long long min, max;             /* ms for durations, bytes for sizes */
	const char *const *values;      /* CONF_KEY_ENUM and CONF_KEY_BITS words */
	unsigned flags;
	/* Further rules for a string or each list item; fills why on error. */
	int (*check)(const char *text, char *why, size_t whylen);
};

static int conf_check_listen(const char *, char *, size_t);
static int conf_check_url(const char *, char *, size_t);
static int conf_check_ldap_url(const char *, char *, size_t);
static int conf_check_user_filter(const char *, char *, size_t);

static const char *const conf_group_method_words[] = { "member", "memberUid", "memberOf", NULL };
static const char *const conf_member_attribute_words[] = { "member", "uniqueMember", NULL };
static const char *const conf_group_name_words[] = { "cn", "dn", NULL };
static const char *const conf_authz_default_words[] = { "no-opinion", "deny", NULL };
static const char *const conf_log_target_words[] = { "stderr", "syslog", NULL };
static const char *const conf_client_cert_words[] = { "optional", "required", NULL };

/* The words above are stored as their index (or 1 << index): keep the enums
 * in conf.h in the same order. */
_Static_assert(CONF_GROUPS_MEMBER == 1 << 0 && CONF_GROUPS_MEMBER_UID == 1 << 1 &&
    CONF_GROUPS_MEMBER_OF == 1 << 2, "conf_group_method_words order");
_Static_assert(CONF_MEMBER_ATTR_MEMBER == 1 << 0 && CONF_MEMBER_ATTR_UNIQUE_MEMBER == 1 << 1,
    "conf_member_attribute_words order");
_Static_assert(CONF_GROUP_NAME_CN == 0 && CONF_GROUP_NAME_DN == 1, "conf_group_name_words order");
_Static_assert(CONF_AUTHZ_NO_OPINION == 0 && CONF_AUTHZ_DENY == 1, "conf_authz_default_words order");
_Static_assert(CONF_LOG_STDERR == 0 && CONF_LOG_SYSLOG == 1, "conf_log_target_words order");
_Static_assert(CONF_CLIENT_CERT_OPTIONAL == 0 && CONF_CLIENT_CERT_REQUIRED == 1,
    "conf_client_cert_words order");
_Static_assert(sizeof(enum conf_group_name) == sizeof(int) &&
    sizeof(enum conf_authz_default) == sizeof(int) &&
    sizeof(enum conf_log_target) == sizeof(int) &&
    sizeof(enum conf_client_cert) == sizeof(int), "CONF_KEY_ENUM stores an int");

#define CONF_OFF(field) offsetof(struct conf, field)

static const struct conf_key conf_keys[] = {
	{ "listen", CONF_KEY_STRING, CONF_OFF(listen), "/run/kubernetes-auth/kubernetes-auth.sock",
	    0, 0, NULL, CONF_KEY_NONEMPTY, conf_check_listen },
	{ "listen_allow_remote", CONF_KEY_BOOL, CONF_OFF(listen_allow_remote), "false", 0, 0, NULL, 0, NULL },
	{ "listen_mode", CONF_KEY_MODE, CONF_OFF(listen_mode), "0660", 0, 0777, NULL, 0, NULL },
	{ "listen_group", CONF_KEY_STRING, CONF_OFF(listen_group), "www-data", 0, 0, NULL, 0, NULL },
	{ "listen_peer_users", CONF_KEY_LIST, CONF_OFF(listen_peer_users), NULL,
	    0, 0, NULL, 0, NULL },
	{ "listen_backlog", CONF_KEY_INT, CONF_OFF(listen_backlog), "1024", 1, 65535, NULL, 0, NULL },
	{ "user", CONF_KEY_STRING, CONF_OFF(user), "", 0, 0, NULL, 0, NULL },
	{ "group", CONF_KEY_STRING, CONF_OFF(group), "", 0, 0, NULL, 0, NULL },
	{ "workers", CONF_KEY_INT, CONF_OFF(workers), "4", 1, 1024, NULL, 0, NULL },
	{ "max_requests", CONF_KEY_LONG, CONF_OFF(max_requests), "0", 0, 1000000000, NULL, 0, NULL },
	{ "max_body", CONF_KEY_SIZE, CONF_OFF(max_body), "1MiB", CONF_KIB, 64 * CONF_MIB, NULL, 0, NULL },
	{ "webhook_max_body", CONF_KEY_SIZE, CONF_OFF(webhook_max_body), "32KiB", CONF_KIB,
	    64 * CONF_MIB, NULL, 0, NULL },
	{ "webhook_client_cert", CONF_KEY_ENUM, CONF_OFF(webhook_client_cert), "optional",
	    0, 0, conf_client_cert_words, 0, NULL },
	{ "request_timeout", CONF_KEY_DURATION, CONF_OFF(request_timeout_ms), "10s",
	    CONF_MS_SECOND, 10 * CONF_MS_MINUTE, NULL, 0, NULL },
	{ "shutdown_timeout", CONF_KEY_DURATION, CONF_OFF(shutdown_timeout_ms), "30s",
	    0, 10 * CONF_MS_MINUTE, NULL, 0, NULL },
	{ "public_url", CONF_KEY_STRING, CONF_OFF(public_url), "", 0, 0, NULL, 0, conf_check_url },
	{ "admin_token_file", CONF_KEY_STRING, CONF_OFF(admin_token_file), "",
	    0, 0, NULL, CONF_KEY_SECRET, NULL },
	{ "metrics_token_file", CONF_KEY_STRING, CONF_OFF(metrics_token_file), "",
	    0, 0, NULL, CONF_KEY_SECRET, NULL },
	{ "migrations_dir", CONF_KEY_STRING, CONF_OFF(migrations_dir), KA_DATADIR "/sql",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "policy_file", CONF_KEY_STRING, CONF_OFF(policy_file), "", 0, 0, NULL, 0, NULL },

	{ "database.host", CONF_KEY_STRING, CONF_OFF(database.host), "localhost",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "database.port", CONF_KEY_INT, CONF_OFF(database.port), "3306", 1, 65535, NULL, 0, NULL },
	/* Not set = the one server of host and port: see conf_check_db_hosts(). */
	{ "database.hosts", CONF_KEY_HOSTS, CONF_OFF(database.hosts), NULL, 0, 0, NULL, 0, NULL },
	{ "database.failback", CONF_KEY_DURATION, CONF_OFF(database.failback_ms), "60s",
	    CONF_MS_SECOND, 24 * CONF_MS_HOUR, NULL, 0, NULL },
	{ "database.socket", CONF_KEY_STRING, CONF_OFF(database.socket), "", 0, 0, NULL, 0, NULL },
	{ "database.name", CONF_KEY_STRING, CONF_OFF(database.name), "kubernetes_auth",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "database.user", CONF_KEY_STRING, CONF_OFF(database.user), "kubernetes-auth",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "database.password_file", CONF_KEY_STRING, CONF_OFF(database.password_file), "",
	    0, 0, NULL, CONF_KEY_SECRET, NULL },
	{ "database.tls_ca_file", CONF_KEY_STRING, CONF_OFF(database.tls_ca_file), "", 0, 0, NULL, 0, NULL },
	{ "database.connect_timeout", CONF_KEY_DURATION, CONF_OFF(database.connect_timeout_ms), "5s",
	    100, 60 * CONF_MS_SECOND, NULL, 0, NULL },
	{ "database.read_timeout", CONF_KEY_DURATION, CONF_OFF(database.read_timeout_ms), "5s",
	    100, 5 * CONF_MS_MINUTE, NULL, 0, NULL },
	{ "database.migrate_on_start", CONF_KEY_BOOL, CONF_OFF(database.migrate_on_start), "true",
	    0, 0, NULL, 0, NULL },

	{ "ldap.urls", CONF_KEY_LIST, CONF_OFF(ldap.urls), NULL,
	    0, 0, NULL, CONF_KEY_REQUIRED | CONF_KEY_NONEMPTY, conf_check_ldap_url },
	{ "ldap.start_tls", CONF_KEY_BOOL, CONF_OFF(ldap.start_tls), "false", 0, 0, NULL, 0, NULL },
	{ "ldap.ca_file", CONF_KEY_STRING, CONF_OFF(ldap.ca_file), "", 0, 0, NULL, 0, NULL },
	{ "ldap.bind_dn", CONF_KEY_STRING, CONF_OFF(ldap.bind_dn), "", 0, 0, NULL, 0, NULL },
	{ "ldap.bind_password_file", CONF_KEY_STRING, CONF_OFF(ldap.bind_password_file), "",
	    0, 0, NULL, CONF_KEY_SECRET, NULL },
	{ "ldap.base_dn", CONF_KEY_STRING, CONF_OFF(ldap.base_dn), NULL,
	    0, 0, NULL, CONF_KEY_REQUIRED | CONF_KEY_NONEMPTY, NULL },
	{ "ldap.user_filter", CONF_KEY_STRING, CONF_OFF(ldap.user_filter), "(uid=%s)",
	    0, 0, NULL, CONF_KEY_NONEMPTY, conf_check_user_filter },
	{ "ldap.id_attribute", CONF_KEY_STRING, CONF_OFF(ldap.id_attribute), "uid",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "ldap.username_attribute", CONF_KEY_STRING, CONF_OFF(ldap.username_attribute), "uid",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "ldap.uid_attribute", CONF_KEY_STRING, CONF_OFF(ldap.uid_attribute), "uidNumber",
	    0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "ldap.member_uid_attribute", CONF_KEY_STRING, CONF_OFF(ldap.member_uid_attribute),
	    "uid", 0, 0, NULL, CONF_KEY_NONEMPTY, NULL },
	{ "ldap.extra_attributes", CONF_KEY_LIST, CONF_OFF(ldap.extra_attributes), NULL, 0, 0, NULL, 0, NULL },
	{ "ldap.group_methods", CONF_KEY_BITS, CONF_OFF(ldap.group_methods), "member",
	    0, 0, conf_group_method_words, CONF_KEY_NONEMPTY, NULL },
	/* uniqueMember is opt-in: a directory that does not index it answers
	 * a filter naming it by reading every entry (doc/authentication.md). */
	{ "ldap.member_attributes", CONF_KEY_BITS, CONF_OFF(ldap.member_attributes), "member",
	    0, 0, conf_member_attribute_words, CONF_KEY_NONEMPTY, NULL },
	{ "ldap.group_base_dn", CONF_KEY_STRING, CONF_OFF(ldap.group_base_dn), "", 0, 0, NULL, 0, NULL },
	{ "ldap.group_name", CONF_KEY_ENUM, CONF_OFF(ldap.group_name), "cn",
	    0, 0, conf_group_name_words, 0, NULL },
	{ "ldap.nested_depth", CONF_KEY_INT, CONF_OFF(ldap.nested_depth), "0", 0, 10, NULL, 0, NULL },
	{ "ldap.network_timeout", CONF_KEY_DURATION, CONF_OFF(ldap.network_timeout_ms), "5s",
	    100, 60 * CONF_MS_SECOND, NULL, 0, NULL },
	{ "ldap.timeout", CONF_KEY_DURATION, CONF_OFF(ldap.timeout_ms), "5s",
	    100, 60 * CONF_MS_SECOND, NULL, 0, NULL },
	{ "ldap.cache_ttl", CONF_KEY_DURATION, CONF_OFF(ldap.cache_ttl_ms), "0",
	    0, 24 * CONF_MS_HOUR, NULL, 0, NULL },
	{ "ldap.cache_max", CONF_KEY_INT, CONF_OFF(ldap.cache_max), "10000", 1, 1000000, NULL, 0, NULL },

	{ "tokens.key_file", CONF_KEY_STRING, CONF_OFF(tokens.key_file), KA_SYSCONFDIR "/token.key",
	    0, 0, NULL, CONF_KEY_SECRET | CONF_KEY_NONEMPTY, NULL },
	{ "tokens.reveal", CONF_KEY_BOOL, CONF_OFF(tokens.reveal), "true", 0, 0, NULL, 0, NULL },
	{ "tokens.ttl", CONF_KEY_DURATION, CONF_OFF(tokens.ttl_ms), "8760h",
	    CONF_MS_MINUTE, 87600 * CONF_MS_HOUR, NULL, 0, NULL },
	/* When absent, max_ttl follows ttl: see conf_check_relations(). */
	{ "tokens.max_ttl", CONF_KEY_DURATION, CONF_OFF(tokens.max_ttl_ms), "8760h",
	    CONF_MS_MINUTE, 87600 * CONF_MS_HOUR, NULL, 0, NULL },
	{ "tokens.keep_expired", CONF_KEY_DURATION, CONF_OFF(tokens.keep_expired_ms), "720h",
	    0, 87600 * CONF_MS_HOUR, NULL, 0, NULL },

	{ "authentication.default_groups", CONF_KEY_LIST, CONF_OFF(authentication.default_groups), NULL,
	    0, 0, NULL, 0, NULL },
	{ "authentication.username_prefix", CONF_KEY_STRING, CONF_OFF(authentication.username_prefix), "",
	    0, 0, NULL, 0, NULL },
	{ "authentication.group_prefix", CONF_KEY_STRING, CONF_OFF(authentication.group_prefix), "",
	    0, 0, NULL, 0, NULL },

	{ "authorization.default", CONF_KEY_ENUM, CONF_OFF(authorization.default_decision), "no-opinion",
	    0, 0, conf_authz_default_words, 0, NULL },
	{ "authorization.refresh", CONF_KEY_DURATION, CONF_OFF(authorization.refresh_ms), "5s",
	    100, CONF_MS_HOUR, NULL, 0, NULL },

	{ "login.enabled", CONF_KEY_BOOL, CONF_OFF(login.enabled), "true", 0, 0, NULL, 0, NULL },
	{ "login.auto_create", CONF_KEY_BOOL, CONF_OFF(login.auto_create), "false", 0, 0, NULL, 0, NULL },
	{ "login.allowed_groups", CONF_KEY_LIST, CONF_OFF(login.allowed_groups), NULL, 0, 0, NULL, 0, NULL },
	{ "login.ttl", CONF_KEY_DURATION, CONF_OFF(login.ttl_ms), "24h",
	    CONF_MS_MINUTE, 87600 * CONF_MS_HOUR, NULL, 0, NULL },
	{ "login.max_tokens", CONF_KEY_INT, CONF_OFF(login.max_tokens), "10", 1, 1000, NULL, 0, NULL },

	{ "logging.level", CONF_KEY_INT, CONF_OFF(logging.level), "4", 1, 9, NULL, 0, NULL },
	{ "logging.target", CONF_KEY_ENUM, CONF_OFF(logging.target), "stderr",
	    0, 0, conf_log_target_words, 0, NULL },
};

#define CONF_NKEYS ARRAY_SIZE(conf_keys)

/* What the walk learned about one key of the table. */
struct conf_key_state {
	int line;               /* where it was set; 0 = absent (default) */
	int section_line;       /* where its section was opened; 0 = absent */
	bool bad;               /* set with an error: relations are not checked */
};

struct conf_loader {
	const char *path;
	struct conf *conf;
	yaml_document_t *doc;
	struct conf_key_state state[CONF_NKEYS];
	const yaml_node_t *db_hosts;    /* database.hosts' list: its items' lines */
	int root_line;
	int errors;
};

static void *
conf_field(struct conf *conf, const struct conf_key *k)
{
	return (char *)conf + k->offset;
}

static const struct conf_key *
conf_key_find(const char *name)
{
	for (size_t i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

static size_t
conf_key_index(const struct conf_key *k)
{
	return (size_t)(k - conf_keys);
}

/* True when NAME is a section ("database"): some key lives below it. */
static bool
conf_is_section(const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < CONF_NKEYS; i++)
		if (strncmp(conf_keys[i].name, name, len) == 0 && conf_keys[i].name[len] == '.')
			return true;
	return false;
}

static void
conf_list_free(struct conf_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

static void
conf_db_hosts_free(struct conf_db_hosts *hosts)
{
	for (size_t i = 0; i < hosts->n; i++)
		free(hosts->v[i].host);
	free(hosts->v);
	hosts->v = NULL;
	hosts->n = 0;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		if (k->type == CONF_KEY_STRING)
			free(*(char **)conf_field(conf, k));
		else if (k->type == CONF_KEY_LIST)
			conf_list_free(conf_field(conf, k));
		else if (k->type == CONF_KEY_HOSTS)
			conf_db_hosts_free(conf_field(conf, k));
	}
	free(conf->path);
	free(conf);
}

/*
 * Messages
 */

/* TEXT as a double-quoted, one-line, bounded string for a log line. */
static const char *
conf_quote(const char *text, char *buf, size_t len)
{
	size_t o = 0, i;

	buf[o++] = '"';
	for (i = 0; text[i] != '\0' && o + 8 < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			hex_put(buf + o, c, false);
			o += 2;
		} else {
			buf[o++] = (char)c;
		}
	}
	if (text[i] != '\0') {
		/* Do not cut a UTF-8 character in half. */
		while (o > 1 && ((unsigned char)buf[o - 1] & 0xc0) == 0x80)
			o--;
		if (o > 1 && ((unsigned char)buf[o - 1] & 0xc0) == 0xc0)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* "90s", "1h30m", "100ms": the shortest Go-style spelling of MS. */
static const char *
conf_fmt_duration(long long ms, char *buf, size_t len)
{
	static const struct { const char *unit; long long ms; } parts[] = {
		{ "h", CONF_MS_HOUR }, { "m", CONF_MS_MINUTE }, { "s", CONF_MS_SECOND }, { "ms", 1 },
	};
	size_t o = 0;

	if (ms == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(parts) && o < len; i++) {
		if (ms >= parts[i].ms) {
			int n = snprintf(buf + o, len - o, "%lld%s", ms / parts[i].ms, parts[i].unit);
			if (n < 0)
				break;
			o += (size_t)n;
			ms %= parts[i].ms;
		}
	}
	return buf;
}

static const char *
conf_fmt_size(long long bytes, char *buf, size_t len)
{
	if (bytes != 0 && bytes % CONF_MIB == 0)
		snprintf(buf, len, "%lldMiB", bytes / CONF_MIB);
	else if (bytes != 0 && bytes % CONF_KIB == 0)
		snprintf(buf, len, "%lldKiB", bytes / CONF_KIB);
	else
		snprintf(buf, len, "%lld bytes", bytes);
	return buf;
}

/* "a, b or c" */
static const char *
conf_fmt_words(const char *const *words, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; words[i] != NULL && o < len; i++) {
		const char *sep = i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ";
		int n = snprintf(buf + o, len - o, "%s%s", sep, words[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

static void conf_load_error(struct conf_loader *ld, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
conf_load_error(struct conf_loader *ld, int line, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s: %s", ld->path, line, key, msg);
	ld->errors++;
}

static int
conf_node_line(const yaml_node_t *node)
{
	return (int)node->start_mark.line + 1;
}

static const char *
conf_node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a single value";
	}
}

/* YAML's null (an empty value, "~" or "null" unquoted): what is left of a
 * section or a list whose items are all commented out. */
static bool
conf_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

/* The text of a scalar, or NULL when it hides a NUL byte (as "\0" can)
 * that C strings would silently cut. */
static const char *
conf_scalar_text(const yaml_node_t *node)
{
	const char *text = (const char *)node->data.scalar.value;

	if (strlen(text) != node->data.scalar.length)
		return NULL;
	return text;
}

/*
 * Scalars
 */

/* A decimal integer with an optional '-', no more than 18 digits. */
static int
conf_parse_decimal(const char *text, long long *value)
{
	const char *p = text;
	long long v = 0;
	bool neg = false;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p == '\0' || strlen(p) > 18)
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	*value = neg ? -v : v;
	return 0;
}

static int
conf_parse_octal(const char *text, long long *value)
{
	long long v = 0;

	if (*text == '\0' || strlen(text) > 12)
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return -1;
		v = v * 8 + (*p - '0');
	}
	*value = v;
	return 0;
}

/* "65536", "64KiB", "1MiB" */
static int
conf_parse_size(const char *text, long long *value)
{
	static const struct { const char *suffix; long long scale; } suffixes[] = {
		{ "", 1 }, { "KiB", CONF_KIB }, { "MiB", CONF_MIB },
	};
	const char *p = text;
	long long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (p - text >= 15)
			return -1;
		v = v * 10 + (*p - '0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		if (strcmp(p, suffixes[i].suffix) == 0) {
			*value = v * suffixes[i].scale;
			return 0;
		}
	}
	return -1;
}

static int
conf_parse_word(const char *const *words, const char *text)
{
	for (int i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], text) == 0)
			return i;
	return -1;
}

/* What key K accepts, for "expected X, got Y". */
static const char *
conf_describe(const struct conf_key *k, char *buf, size_t len)
{
	char lo[32], hi[32], words[128];

	switch (k->type) {
	case CONF_KEY_BOOL:
		snprintf(buf, len, "true or false");
		break;
	case CONF_KEY_INT:
	case CONF_KEY_LONG:
		snprintf(buf, len, "an integer between %lld and %lld", k->min, k->max);
		break;
	case CONF_KEY_MODE:
		snprintf(buf, len, "an octal file mode up to %04llo (e.g. \"0660\")", k->max);
		break;
	case CONF_KEY_SIZE:
		snprintf(buf, len, "a size between %s and %s (a number of bytes, or of KiB "
		    "or MiB: \"64KiB\")", conf_fmt_size(k->min, lo, sizeof(lo)),
		    conf_fmt_size(k->max, hi, sizeof(hi)));
		break;
	case CONF_KEY_DURATION:
		snprintf(buf, len, "a duration between %s and %s (e.g. \"90s\", \"1h30m\")",
		    conf_fmt_duration(k->min, lo, sizeof(lo)), conf_fmt_duration(k->max, hi, sizeof(hi)));
		break;
	case CONF_KEY_STRING:
		snprintf(buf, len, "a string");
		break;
	case CONF_KEY_ENUM:
		snprintf(buf, len, "%s", conf_fmt_words(k->values, words, sizeof(words)));
		break;
	case CONF_KEY_LIST:
		snprintf(buf, len, "a list of strings");
		break;
	case CONF_KEY_BITS:
		snprintf(buf, len, "a list of %s", conf_fmt_words(k->values, words, sizeof(words)));
		break;
	case CONF_KEY_HOSTS:
		snprintf(buf, len, "a list of servers (host, host:port or \"[IPv6 address]:port\")");
		break;
	}
	return buf;
}

/* Read TEXT as key K into CONF; on error, explain in WHY and leave CONF as
 * it was. Used for the defaults too, so they obey the same rules. */
static int
conf_parse_scalar(const struct conf_key *k, const char *text, struct conf *conf, char *why, size_t whylen)
{
	char got[96], expected[256];
	void *dst = conf_field(conf, k);
	long long v;
	int64_t ms;
	int i;

	switch (k->type) {
	case CONF_KEY_BOOL:
		if (strcmp(text, "true") == 0)
			*(bool *)dst = true;
		else if (strcmp(text, "false") == 0)
			*(bool *)dst = false;
		else
			break;
		return 0;
	case CONF_KEY_INT:
	case CONF_KEY_LONG:
		if (conf_parse_decimal(text, &v) == -1 || v < k->min || v > k->max)
			break;
		if (k->type == CONF_KEY_INT)
			*(int *)dst = (int)v;
		else
			*(long *)dst = (long)v;
		return 0;
	case CONF_KEY_MODE:
		if (conf_parse_octal(text, &v) == -1 || v < k->min || v > k->max)
			break;
		*(unsigned *)dst = (unsigned)v;
		return 0;
	case CONF_KEY_SIZE:
		if (conf_parse_size(text, &v) == -1 || v < k->min || v > k->max)
			break;
		*(size_t *)dst = (size_t)v;
		return 0;
	case CONF_KEY_DURATION:
		if (conf_parse_duration(text, &ms) == -1 || ms < k->min || ms > k->max)
			break;
		*(int64_t *)dst = ms;
		return 0;
	case CONF_KEY_STRING: {
		char *copy;
		if ((k->flags & CONF_KEY_NONEMPTY) && *text == '\0') {
			snprintf(why, whylen, "must not be empty");
			return -1;
		}
		if (*text != '\0' && k->check != NULL && k->check(text, why, whylen) == -1)
			return -1;
		if ((copy = strdup(text)) == NULL) {
			snprintf(why, whylen, "%s", strerror(errno));
			return -1;
		}
		free(*(char **)dst);
		*(char **)dst = copy;
		return 0;
	}
	case CONF_KEY_ENUM:
		if ((i = conf_parse_word(k->values, text)) == -1)
			break;
		*(int *)dst = i;
		return 0;
	case CONF_KEY_BITS:
		/* Only a default comes here: a file must write a list. */
		if ((i = conf_parse_word(k->values, text)) == -1)
			break;
		*(unsigned *)dst = 1u << i;
		return 0;
	case CONF_KEY_LIST:
	case CONF_KEY_HOSTS:
		break;
	}
	snprintf(why, whylen, "expected %s, got %s", conf_describe(k, expected, sizeof(expected)),
	    conf_quote(text, got, sizeof(got)));
	return -1;
}

/*
 * Checks of particular strings
 */

static int
conf_check_listen(const char *text, char *why, size_t whylen)
{
	const char *colon, *port;
	long long v;

	if (text[0] == '/') {
		if (strlen(text) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
			snprintf(why, whylen, "a unix socket path must be shorter than %zu bytes",
			    sizeof(((struct sockaddr_un *)NULL)->sun_path));
			return -1;
		}
		return 0;
	}
	colon = strrchr(text, ':');
	port = colon != NULL ? colon + 1 : NULL;
	if (colon == NULL || colon == text || conf_parse_decimal(port, &v) == -1 || v < 1 || v > 65535 ||
	    (text[0] == '[' && colon[-1] != ']')) {
		char got[96];
		snprintf(why, whylen, "expected an absolute unix socket path or host:port "
		    "(\"127.0.0.1:9000\", \"[::1]:9000\"), got %s", conf_quote(text, got, sizeof(got)));
		return -1;
	}
	return 0;
}

static int
conf_check_url(const char *text, char *why, size_t whylen)
{
	char got[96];

	if (strncmp(text, "https://", 8) == 0 || strncmp(text, "http://", 7) == 0)
		return 0;
	snprintf(why, whylen, "expected an http:// or https:// URL, got %s", conf_quote(text, got, sizeof(got)));
	return -1;
}

static int
conf_check_ldap_url(const char *text, char *why, size_t whylen)
{
	char got[96];

	if (strncmp(text, "ldap://", 7) == 0 || strncmp(text, "ldaps://", 8) == 0)
		return 0;
	snprintf(why, whylen, "expected URLs starting with ldap:// or ldaps://, got %s",
	    conf_quote(text, got, sizeof(got)));
	return -1;
}

/* The filter is filled with snprintf-like substitution of the escaped
 * login name, so every '%' must be "%s" or "%%". Parentheses inside values
 * are escaped (\28, \29) by RFC 4515, so the raw ones must balance. */
static int
conf_check_user_filter(const char *text, char *why, size_t whylen)
{
	char got[96];
	size_t len = strlen(text);
	int depth = 0;
	bool has_s = false;

	conf_quote(text, got, sizeof(got));
	if (text[0] != '(' || text[len - 1] != ')') {
		snprintf(why, whylen, "expected an LDAP filter in parentheses, e.g. \"(uid=%%s)\", got %s", got);
		return -1;
	}
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			break;
		else if (*p == '%') {
			if (p[1] == 's')
				has_s = true;
			else if (p[1] != '%') {
				snprintf(why, whylen, "only %%s (the login name) and %%%% (a literal %%) "
				    "may follow a %%, got %s", got);
				return -1;
			}
			p++;
		}
	}
	if (depth != 0) {
		snprintf(why, whylen, "unbalanced parentheses in %s", got);
		return -1;
	}
	if (!has_s) {
		snprintf(why, whylen, "must contain %%s (replaced by the login name), got %s", got);
		return -1;
	}
	return 0;
}

/* One server of database.hosts: "host", "host:port", "[IPv6 address]" or
 * "[IPv6 address]:port", into OUT: a malloc'd copy of the host (without
 * brackets) and the port, 0 when TEXT names none. Returns 0, or -1 with
 * the reason in WHY. */
static int
conf_parse_db_host(const char *text, struct conf_db_host *out, char *why, size_t whylen)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_";
	const char *host = text, *rest;
	char got[96];
	long long port = 0;
	size_t len;

	conf_quote(text, got, sizeof(got));
	if (text[0] == '[') {
		host = text + 1;
		len = strspn(host, "0123456789abcdefABCDEF:.");
		if (len == 0 || host[len] != ']' || memchr(host, ':', len) == NULL) {
			snprintf(why, whylen, "expected an IPv6 address in brackets, e.g. "
			    "\"[2001:db8::1]:3306\", got %s", got);
			return -1;
		}
		rest = host + len + 1;
	} else {
		len = strspn(host, name_chars);
		rest = host + len;
		if (*rest == ':' && strchr(rest + 1, ':') != NULL) {
			snprintf(why, whylen, "write an IPv6 address in brackets, e.g. "
			    "\"[2001:db8::1]:3306\", got %s", got);
			return -1;
		}
	}
	if (len == 0 || (*rest != ':' && *rest != '\0')) {
		snprintf(why, whylen, "expected host, host:port or \"[IPv6 address]:port\" "
		    "(e.g. \"db1.example.org:3306\"), got %s", got);
		return -1;
	}
	if (*rest == ':' && (conf_parse_decimal(rest + 1, &port) == -1 || port < 1 || port > 65535)) {
		snprintf(why, whylen, "expected a port between 1 and 65535 after the colon, got %s", got);
		return -1;
	}
	if ((out->host = strndup(host, len)) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	out->port = (int)port;
	return 0;
}

/*
 * The walk
 */

/* Record a value for K at LINE, and remember if it was refused. */
static void
conf_mark_set(struct conf_loader *ld, const struct conf_key *k, int line, bool bad)
{
	struct conf_key_state *st = &ld->state[conf_key_index(k)];

	st->line = line;
	st->bad = st->bad || bad;
}

/* The items of VALUE, the value of list key K, into *items and *n; YAML's
 * null is an empty list. Logs and returns -1 when VALUE is not a list. */
static int
conf_list_items(struct conf_loader *ld, const struct conf_key *k, const yaml_node_t *value,
    int line, yaml_node_item_t **items, size_t *n)
{
	char expected[256], got[96];

	*items = NULL;
	*n = 0;
	if (conf_is_null(value))
		return 0;
	if (value->type == YAML_SCALAR_NODE) {
		const char *text = conf_scalar_text(value);
		conf_quote(text != NULL ? text : "", got, sizeof(got));
		conf_load_error(ld, line, k->name, "expected %s, got the single value %s; "
		    "write it as [%s]", conf_describe(k, expected, sizeof(expected)), got, got);
		return -1;
	}
	if (value->type != YAML_SEQUENCE_NODE) {
		conf_load_error(ld, line, k->name, "expected %s, got %s",
		    conf_describe(k, expected, sizeof(expected)), conf_node_kind(value));
		return -1;
	}
	*items = value->data.sequence.items.start;
	*n = (size_t)(value->data.sequence.items.top - *items);
	return 0;
}

/* The text of ITEM, item I of list key K: a non-empty string. Logs and
 * returns NULL otherwise. */
static const char *
conf_list_item_text(struct conf_loader *ld, const struct conf_key *k, const yaml_node_t *item,
    size_t i)
{
	int line = conf_node_line(item);
	const char *text;

	if (item->type != YAML_SCALAR_NODE) {
		conf_load_error(ld, line, k->name, "expected a list of strings, "
		    "got %s as item %zu", conf_node_kind(item), i + 1);
		return NULL;
	}
	if ((text = conf_scalar_text(item)) == NULL) {
		conf_load_error(ld, line, k->name, "item %zu contains a NUL character", i + 1);
		return NULL;
	}
	if (*text == '\0') {
		conf_load_error(ld, line, k->name, "item %zu is empty", i + 1);
		return NULL;
	}
	return text;
}

/* What a list key collects while its items are read: a list of strings
 * (CONF_KEY_LIST), a set of words (CONF_KEY_BITS) or of servers
 * (CONF_KEY_HOSTS). */
struct conf_list_value {
	struct conf_list list;
	unsigned bits;
	struct conf_db_hosts hosts;
};

/* Room in VAL for the N items of key K. Returns 0 or -1 (errno set). */
static int
conf_list_value_init(struct conf_list_value *val, const struct conf_key *k, size_t n)
{
	memset(val, 0, sizeof(*val));
	if (n == 0)
		return 0;
	if (k->type == CONF_KEY_LIST && (val->list.v = calloc(n, sizeof(*val->list.v))) == NULL)
		return -1;
	if (k->type == CONF_KEY_HOSTS && (val->hosts.v = calloc(n, sizeof(*val->hosts.v))) == NULL)
		return -1;
	return 0;
}

/* Add TEXT, read at LINE, to VAL (room for it is there). Logs and returns
 * -1 when key K refuses it. */
static int
conf_list_add(struct conf_loader *ld, const struct conf_key *k, struct conf_list_value *val,
    const char *text, int line)
{
	char why[512], got[96], words[128];
	int w;

	if (k->type == CONF_KEY_BITS) {
		conf_quote(text, got, sizeof(got));
		if ((w = conf_parse_word(k->values, text)) == -1) {
			conf_load_error(ld, line, k->name, "expected each item to be %s, got %s",
			    conf_fmt_words(k->values, words, sizeof(words)), got);
			return -1;
		}
		if (val->bits & (1u << w)) {
			conf_load_error(ld, line, k->name, "%s is listed twice", got);
			return -1;
		}
		val->bits |= 1u << w;
		return 0;
	}
	if (k->type == CONF_KEY_HOSTS) {
		if (conf_parse_db_host(text, &val->hosts.v[val->hosts.n], why, sizeof(why)) == -1) {
			conf_load_error(ld, line, k->name, "%s", why);
			return -1;
		}
		val->hosts.n++;
		return 0;
	}
	if (k->check != NULL && k->check(text, why, sizeof(why)) == -1) {
		conf_load_error(ld, line, k->name, "%s", why);
		return -1;
	}
	if ((val->list.v[val->list.n] = strdup(text)) == NULL) {
		conf_load_error(ld, line, k->name, "%s", strerror(errno));
		return -1;
	}
	val->list.n++;
	return 0;
}

/* A list key: every item is checked (and every bad one logged) before the
 * value replaces the default, all at once or not at all. */
static void
conf_load_list(struct conf_loader *ld, const struct conf_key *k, const yaml_node_t *value, int line)
{
	struct conf_list_value val;
	yaml_node_item_t *items;
	char words[128];
	bool bad = false;
	size_t n;

	if (conf_list_items(ld, k, value, line, &items, &n) == -1) {
		conf_mark_set(ld, k, line, true);
		return;
	}
	if (conf_list_value_init(&val, k, n) == -1) {
		conf_load_error(ld, line, k->name, "%s", strerror(errno));
		conf_mark_set(ld, k, line, true);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(ld->doc, items[i]);
		const char *text = conf_list_item_text(ld, k, item, i);

		if (text == NULL || conf_list_add(ld, k, &val, text, conf_node_line(item)) == -1)
			bad = true;
	}
	if (!bad && n == 0 && (k->flags & CONF_KEY_NONEMPTY)) {
		if (k->values != NULL)
			conf_load_error(ld, line, k->name, "must list at least one of %s",
			    conf_fmt_words(k->values, words, sizeof(words)));
		else
			conf_load_error(ld, line, k->name, "must list at least one item");
		bad = true;
	}
	conf_mark_set(ld, k, line, bad);
	if (bad) {
		conf_list_free(&val.list);
		conf_db_hosts_free(&val.hosts);
		return;
	}
	if (k->type == CONF_KEY_BITS) {
		*(unsigned *)conf_field(ld->conf, k) = val.bits;
	} else if (k->type == CONF_KEY_HOSTS) {
		conf_db_hosts_free(conf_field(ld->conf, k));
		*(struct conf_db_hosts *)conf_field(ld->conf, k) = val.hosts;
		ld->db_hosts = value;
	} else {
		conf_list_free(conf_field(ld->conf, k));
		*(struct conf_list *)conf_field(ld->conf, k) = val.list;
	}
}

static void
conf_load_value(struct conf_loader *ld, const struct conf_key *k, const yaml_node_t *value, int line)
{
	char why[512];
	const char *text;

	if (k->type == CONF_KEY_LIST || k->type == CONF_KEY_BITS || k->type == CONF_KEY_HOSTS) {
		conf_load_list(ld, k, value, line);
		return;
	}
	if (value->type != YAML_SCALAR_NODE) {
		char expected[256];
		conf_load_error(ld, line, k->name, "expected %s, got %s",
		    conf_describe(k, expected, sizeof(expected)), conf_node_kind(value));
		conf_mark_set(ld, k, line, true);
		return;
	}
	if ((text = conf_scalar_text(value)) == NULL) {
		conf_load_error(ld, line, k->name, "the value contains a NUL character");
		conf_mark_set(ld, k, line, true);
		return;
	}
	/* An unquoted "~" or "null" for a string means "" rather than a path
	 * named "null". */
	if (k->type == CONF_KEY_STRING && conf_is_null(value))
		text = "";
	if (conf_parse_scalar(k, text, ld->conf, why, sizeof(why)) == -1) {
		conf_load_error(ld, line, k->name, "%s", why);
		conf_mark_set(ld, k, line, true);
		return;
	}
	conf_mark_set(ld, k, line, false);
}

/* Classic edit distance, for "did you mean"; long names are not compared. */
static size_t
conf_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(*prev));
	}
	return prev[lb];
}

/* Explain an unknown key: a secret written inline, a dotted name, a key of
 * another section, or a misspelling. PREFIX is "" or "section.". */
static void
conf_unknown_key(struct conf_loader *ld, const char *prefix, const char *name, const char *dotted, int line)
{
	char file_key[CONF_DOTTED_MAX + sizeof("_file")], best[128] = "";
	size_t plen = strlen(prefix), best_dist = 3;
	const struct conf_key *k;

	snprintf(file_key, sizeof(file_key), "%s_file", dotted);
	if ((k = conf_key_find(file_key)) != NULL) {
		if (k->flags & CONF_KEY_SECRET)
			conf_load_error(ld, line, dotted, "unknown key: secrets are read from files: "
			    "use %s_file (a file readable only by the service)", name);
		else
			conf_load_error(ld, line, dotted, "unknown key (did you mean %s?)", k->name);
		return;
	}
	if (strchr(name, '.') != NULL) {
		const char *dot = strrchr(name, '.');
		if (conf_key_find(name) != NULL)
			conf_load_error(ld, line, dotted, "unknown key: write \"%s:\" indented under "
			    "\"%.*s:\"", dot + 1, (int)(dot - name), name);
		else
			conf_load_error(ld, line, dotted, "unknown key");
		return;
	}
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const char *other = conf_keys[i].name, *leaf = strrchr(other, '.');
		if (leaf == NULL || strcmp(leaf + 1, name) != 0)
			continue;
		if ((size_t)(leaf + 1 - other) != plen || strncmp(other, prefix, plen) != 0) {
			conf_load_error(ld, line, dotted, "unknown key (did you mean %s?)", other);
			return;
		}
	}
	/* Candidates are the names at this level: keys and sections. */
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const char *other = conf_keys[i].name;
		char candidate[128];
		size_t dist;

		if (strncmp(other, prefix, plen) != 0)
			continue;
		snprintf(candidate, sizeof(candidate), "%s", other + plen);
		candidate[strcspn(candidate, ".")] = '\0';
		dist = conf_edit_distance(name, candidate);
		if (dist < best_dist && dist < strlen(name)) {
			best_dist = dist;
			snprintf(best, sizeof(best), "%s%s", prefix, candidate);
		}
	}
	if (best[0] != '\0')
		conf_load_error(ld, line, dotted, "unknown key (did you mean %s?)", best);
	else
		conf_load_error(ld, line, dotted, "unknown key");
}

static void conf_load_mapping(struct conf_loader *, const yaml_node_t *, const char *);

static void
conf_load_section(struct conf_loader *ld, const char *dotted, const yaml_node_t *value, int line)
{
	char prefix[CONF_DOTTED_MAX + 1];   /* DOTTED and "." */
	size_t plen;

	snprintf(prefix, sizeof(prefix), "%s.", dotted);
	plen = strlen(prefix);
	for (size_t i = 0; i < CONF_NKEYS; i++)
		if (strncmp(conf_keys[i].name, prefix, plen) == 0)
			ld->state[i].section_line = line;
	if (conf_is_null(value))
		return;
	if (value->type != YAML_MAPPING_NODE) {
		const char *text = value->type == YAML_SCALAR_NODE ? conf_scalar_text(value) : NULL;
		char got[96];
		if (text != NULL)
			conf_load_error(ld, line, dotted, "expected a mapping of %s settings, got %s",
			    dotted, conf_quote(text, got, sizeof(got)));
		else
			conf_load_error(ld, line, dotted, "expected a mapping of %s settings, got %s",
			    dotted, conf_node_kind(value));
		return;
	}
	conf_load_mapping(ld, value, prefix);
}

/* Walk one mapping whose keys are PREFIX + key. */
static void
conf_load_mapping(struct conf_loader *ld, const yaml_node_t *map, const char *prefix)
{
	yaml_node_pair_t *start = map->data.mapping.pairs.start;
	yaml_node_pair_t *top = map->data.mapping.pairs.top;

	for (yaml_node_pair_t *pair = start; pair < top; pair++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(ld->doc, pair->value);
		int line = conf_node_line(key), first = 0;
		const char *name = key->type == YAML_SCALAR_NODE ? conf_scalar_text(key) : NULL;
		char dotted[CONF_DOTTED_MAX];

		if (name == NULL || *name == '\0') {
			char where[128];
			snprintf(where, sizeof(where), "%.*s", (int)strcspn(prefix, "."), prefix);
			conf_load_error(ld, line, *where != '\0' ? where : "(top level)",
			    "expected a key name, got %s", name == NULL ? conf_node_kind(key) : "\"\"");
			continue;
		}
		snprintf(dotted, sizeof(dotted), "%s%s", prefix, name);
		for (yaml_node_pair_t *prev = start; prev < pair && first == 0; prev++) {
			yaml_node_t *pk = yaml_document_get_node(ld->doc, prev->key);
			if (pk->type == YAML_SCALAR_NODE && strcmp((const char *)pk->data.scalar.value, name) == 0)
				first = conf_node_line(pk);
		}
		if (first != 0) {
			conf_load_error(ld, line, dotted, "duplicate key (first set on line %d)", first);
			continue;
		}

		const struct conf_key *k = strchr(name, '.') == NULL ? conf_key_find(dotted) : NULL;
		if (k != NULL)
			conf_load_value(ld, k, value, line);
		else if (*prefix == '\0' && strchr(name, '.') == NULL && conf_is_section(dotted))
			conf_load_section(ld, dotted, value, line);
		else
			conf_unknown_key(ld, prefix, name, dotted, line);
	}
}

/* What the walk learned about the key NAME (a name of the table). */
static const struct conf_key_state *
conf_state(const struct conf_loader *ld, const char *name)
{
	return &ld->state[conf_key_index(conf_key_find(name))];
}

static void
conf_check_required(struct conf_loader *ld)
{
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key_state *st = &ld->state[i];
		if ((conf_keys[i].flags & CONF_KEY_REQUIRED) && st->line == 0)
			conf_load_error(ld, st->section_line ? st->section_line : ld->root_line,
			    conf_keys[i].name, "required key is missing");
	}
}

static void
conf_check_start_tls(struct conf_loader *ld)
{
	const struct conf *conf = ld->conf;
	const struct conf_key_state *tls = conf_state(ld, "ldap.start_tls");
	const struct conf_key_state *urls = conf_state(ld, "ldap.urls");

	if (!conf->ldap.start_tls || tls->bad || urls->bad)
		return;
	for (size_t i = 0; i < conf->ldap.urls.n; i++) {
		if (strncmp(conf->ldap.urls.v[i], "ldaps://", 8) == 0) {
			conf_load_error(ld, tls->line, "ldap.start_tls", "cannot be used with the ldaps:// "
			    "URL %s: use ldap:// URLs with start_tls, or ldaps:// without it",
			    conf->ldap.urls.v[i]);
			return;
		}
	}
}

/* tokens.max_ttl follows tokens.ttl unless set; login.ttl fits in it. */
static void
conf_check_ttls(struct conf_loader *ld)
{
	struct conf *conf = ld->conf;
	const struct conf_key_state *ttl = conf_state(ld, "tokens.ttl");
	const struct conf_key_state *max_ttl = conf_state(ld, "tokens.max_ttl");
	const struct conf_key_state *login_ttl = conf_state(ld, "login.ttl");
	char a[32], b[32];

	if (ttl->bad || max_ttl->bad)
		return;
	if (max_ttl->line == 0)
		conf->tokens.max_ttl_ms = conf->tokens.ttl_ms;
	else if (conf->tokens.max_ttl_ms < conf->tokens.ttl_ms) {
		conf_load_error(ld, max_ttl->line, "tokens.max_ttl", "must be at least tokens.ttl (%s), got %s",
		    conf_fmt_duration(conf->tokens.ttl_ms, a, sizeof(a)),
		    conf_fmt_duration(conf->tokens.max_ttl_ms, b, sizeof(b)));
		return;
	}
	if (!login_ttl->bad && conf->login.ttl_ms > conf->tokens.max_ttl_ms) {
		conf_fmt_duration(conf->login.ttl_ms, a, sizeof(a));
		conf_fmt_duration(conf->tokens.max_ttl_ms, b, sizeof(b));
		if (login_ttl->line != 0)
			conf_load_error(ld, login_ttl->line, "login.ttl", "must not exceed tokens.max_ttl (%s), "
			    "got %s", b, a);
		else
			conf_load_error(ld, max_ttl->line ? max_ttl->line : ttl->line,
			    max_ttl->line ? "tokens.max_ttl" : "tokens.ttl",
			    "must be at least login.ttl (%s, its default): lower login.ttl too", a);
	}
}

/* The line of item I of database.hosts (stored only when read from the file). */
static int
conf_db_host_line(const struct conf_loader *ld, size_t i)
{
	return conf_node_line(yaml_document_get_node(ld->doc, ld->db_hosts->data.sequence.items.start[i]));
}

/*
 * database.hosts: not beside a database.host of its own or a socket (which
 * would it be?); a server written without a port takes database.port; each
 * server once. When not set, the one server of database.host and
 * database.port becomes the list, so that conf->database.hosts is always
 * what to connect to.
 */
static void
conf_check_db_hosts(struct conf_loader *ld)
{
	struct conf *conf = ld->conf;
	struct conf_db_hosts *hosts = &conf->database.hosts;
	const struct conf_key_state *list = conf_state(ld, "database.hosts");
	const struct conf_key_state *host = conf_state(ld, "database.host");
	const struct conf_key_state *port = conf_state(ld, "database.port");
	const struct conf_key_state *sock = conf_state(ld, "database.socket");
	char name[300], shown[320];

	if (list->bad)
		return;
	if (hosts->n == 0) {
		if ((hosts->v = calloc(1, sizeof(*hosts->v))) == NULL ||
		    (hosts->v[0].host = strdup(conf->database.host)) == NULL) {
			conf_load_error(ld, ld->root_line, "database.hosts", "%s", strerror(errno));
			return;
		}
		hosts->v[0].port = conf->database.port;
		hosts->n = 1;
		return;
	}
	if (!host->bad && strcmp(conf->database.host, conf_key_find("database.host")->def) != 0)
		conf_load_error(ld, list->line, "database.hosts", "cannot be used with database.host "
		    "(line %d): list every server in database.hosts", host->line);
	if (!sock->bad && conf->database.socket[0] != '\0')
		conf_load_error(ld, list->line, "database.hosts", "cannot be used with database.socket "
		    "(line %d): a socket reaches one local server", sock->line);
	if (port->bad)
		return;
	for (size_t i = 0; i < hosts->n; i++) {
		struct conf_db_host *h = &hosts->v[i];

		if (h->port == 0)
			h->port = conf->database.port;
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(h->host, hosts->v[j].host) != 0 || h->port != hosts->v[j].port)
				continue;
			snprintf(name, sizeof(name), strchr(h->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
			    h->host, h->port);
			conf_load_error(ld, conf_db_host_line(ld, i), "database.hosts",
			    "%s is listed twice (first on line %d)",
			    conf_quote(name, shown, sizeof(shown)), conf_db_host_line(ld, j));
			break;
		}
	}
}

/* Rules that tie keys together, and required keys; checked after the walk
 * so that they see the final values. A key refused earlier is not
 * complained about twice. */
static void
conf_check_relations(struct conf_loader *ld)
{
	conf_check_required(ld);
	conf_check_start_tls(ld);
	conf_check_ttls(ld);
	conf_check_db_hosts(ld);
}

static int
conf_apply_defaults(struct conf *conf)
{
	char why[512];

	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		if (k->def == NULL) {
			/* A required string: "" until the file sets it. */
			if (k->type == CONF_KEY_STRING && (*(char **)conf_field(conf, k) = strdup("")) == NULL) {
				log_warn("%s", k->name);
				return -1;
			}
			continue;
		}
		if (conf_parse_scalar(k, k->def, conf, why, sizeof(why)) == -1) {
			log_warnx("default of %s: %s", k->name, why);
			return -1;
		}
	}
	return 0;
}

static void
conf_syntax_error(const char *path, const yaml_parser_t *parser)
{
	size_t line = parser->problem_mark.line + 1;
	const char *problem = parser->problem != NULL ? parser->problem : "cannot parse";

	if (parser->error == YAML_MEMORY_ERROR) {
		log_warnx("%s: out of memory", path);
		return;
	}
	if (parser->error == YAML_READER_ERROR) {
		log_warnx("%s: invalid YAML: %s at byte %zu", path, problem, parser->problem_offset);
		return;
	}
	if (parser->context != NULL)
		log_warnx("%s:%zu: invalid YAML: %s (%s on line %zu)", path, line, problem,
		    parser->context, parser->context_mark.line + 1);
	else
		log_warnx("%s:%zu: invalid YAML: %s", path, line, problem);
}

int
conf_load(const char *path, struct conf **confp)
{
	struct conf_loader ld = { .path = path, .root_line = 1 };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root, *extra_root;
	struct conf *conf;
	FILE *f;
	int rc = -1;

	*confp = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if ((conf = calloc(1, sizeof(*conf))) == NULL || (conf->path = strdup(path)) == NULL) {
		log_warn("%s", path);
		goto out_file;
	}
	if (conf_apply_defaults(conf) == -1)
		goto out_file;
	if (!yaml_parser_initialize(&parser)) {
		log_warnx("%s: out of memory", path);
		goto out_file;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		conf_syntax_error(path, &parser);
		goto out_parser;
	}
	/* A second document would be silently ignored: refuse it, and let the
	 * parser reach the end so that trailing garbage is reported. */
	if ((root = yaml_document_get_root_node(&doc)) != NULL) {
		if (!yaml_parser_load(&parser, &extra)) {
			conf_syntax_error(path, &parser);
			goto out_doc;
		}
		extra_root = yaml_document_get_root_node(&extra);
		if (extra_root != NULL) {
			log_warnx("%s:%d: only one YAML document is allowed", path, conf_node_line(extra_root));
			yaml_document_delete(&extra);
			goto out_doc;
		}
		yaml_document_delete(&extra);
	}

	ld.conf = conf;
	ld.doc = &doc;
	if (root != NULL && !conf_is_null(root)) {
		ld.root_line = conf_node_line(root);
		if (root->type != YAML_MAPPING_NODE) {
			log_warnx("%s:%d: expected a mapping of configuration keys (key: value), got %s",
			    path, ld.root_line, conf_node_kind(root));
			goto out_doc;
		}
		conf_load_mapping(&ld, root, "");
	}
	conf_check_relations(&ld);
	if (ld.errors == 0) {
		*confp = conf;
		conf = NULL;
		rc = 0;
	}
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
out_file:
	conf_free(conf);
	fclose(f);
	return rc;
}

/*
 * Durations, as Go's time.ParseDuration reads them (non-negative only):
 * a sequence of decimal numbers, each with an optional fraction and a
 * unit, e.g. "300ms", "1.5h", "2h45m"; "0" needs no unit. The result is
 * computed in nanoseconds like Go, with Go's overflow rules, then truncated
 * to whole milliseconds.
 */

#define CONF_NS_LIMIT	(1ULL << 63)    /* Go's bound on a duration's terms and sum */

/* The unit at the start of S ("h" in "1h30m"), in nanoseconds; *len is
 * set to its length. 0 for no known unit. */
static uint64_t
conf_duration_unit(const char *s, size_t *len)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1ULL },
		{ "us", 1000ULL },
		{ "\xc2\xb5s", 1000ULL },       /* U+00B5 MICRO SIGN */
		{ "\xce\xbcs", 1000ULL },       /* U+03BC GREEK SMALL LETTER MU */
		{ "ms", 1000000ULL },
		{ "s", 1000000000ULL },
		{ "m", 60000000000ULL },
		{ "h", 3600000000000ULL },
	};
	size_t ulen = 0;

	while (s[ulen] != '\0' && s[ulen] != '.' && !(s[ulen] >= '0' && s[ulen] <= '9'))
		ulen++;
	*len = ulen;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strlen(units[i].unit) == ulen && memcmp(units[i].unit, s, ulen) == 0)
			return units[i].ns;
	return 0;
}

/* One term ("1.5h") at *SP, which moves past it, into *NS (at most
 * CONF_NS_LIMIT). Returns 0 or -1. */
static int
conf_duration_term(const char **sp, uint64_t *ns)
{
	const uint64_t limit = CONF_NS_LIMIT;
	const char *s = *sp;
	uint64_t whole = 0, frac = 0, unit, v;
	double scale = 1;
	bool pre = false, post = false, frac_full = false;
	size_t ulen;

	if (!(*s == '.' || (*s >= '0' && *s <= '9')))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (whole > limit / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*s - '0');
		if (whole > limit)
			return -1;
		pre = true;
	}
	if (*s == '.') {
		/* Digits past what fits are dropped, as Go does. */
		for (s++; *s >= '0' && *s <= '9'; s++) {
			post = true;
			if (frac_full)
				continue;
			if (frac > (limit - 1) / 10) {
				frac_full = true;
				continue;
			}
			uint64_t next = frac * 10 + (uint64_t)(*s - '0');
			if (next > limit) {
				frac_full = true;
				continue;
			}
			frac = next;
			scale *= 10;
		}
	}
	if ((!pre && !post) || (unit = conf_duration_unit(s, &ulen)) == 0)
		return -1;
	if (whole > limit / unit)
		return -1;
	v = whole * unit;
	if (frac > 0) {
		v += (uint64_t)((double)frac * ((double)unit / scale));
		if (v > limit)
			return -1;
	}
	*sp = s + ulen;
	*ns = v;
	return 0;
}

int
conf_parse_duration(const char *text, int64_t *ms)
{
	const char *s = text;
	uint64_t total = 0, v;

	if (s == NULL)
		return -1;
	if (*s == '+')
		s++;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (conf_duration_term(&s, &v) == -1)
			return -1;
		/* total and v are each at most 2^63: their sum may wrap. */
		if (v > CONF_NS_LIMIT - total)
			return -1;
		total += v;
	}
	if (total > CONF_NS_LIMIT - 1)
		return -1;
	*ms = (int64_t)(total / 1000000);
	return 0;
}
