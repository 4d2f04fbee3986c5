/*
 * conf.h — the service configuration: YAML file -> one immutable struct conf.
 *
 * conf_load() parses the file through a key table (conf.c), applies defaults,
 * checks types and ranges, and logs every error as "FILE:LINE: KEY: message".
 * The result is never modified afterwards; a reload parses a new one and swaps
 * it in only when parsing succeeded. Durations are kept in milliseconds.
 */
#ifndef KA_CONF_H
#define KA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_list {                  /* a YAML sequence of strings */
	size_t n;
	char **v;                   /* n strings, each NUL-terminated */
};

struct conf_db_host {               /* one database server */
	char *host;                 /* a name or address (IPv6 without brackets) */
	int port;                   /* 1..65535 */
};

struct conf_db_hosts {              /* database servers, tried in order */
	size_t n;                   /* at least 1 once loaded */
	struct conf_db_host *v;
};

enum conf_group_method {            /* bits of ldap.group_methods */
	CONF_GROUPS_MEMBER     = 1 << 0,  /* member / uniqueMember = user DN */
	CONF_GROUPS_MEMBER_UID = 1 << 1,  /* memberUid = user id */
	CONF_GROUPS_MEMBER_OF  = 1 << 2,  /* memberOf on the user entry */
};

enum conf_member_attribute {        /* bits of ldap.member_attributes */
	CONF_MEMBER_ATTR_MEMBER        = 1 << 0,  /* member (groupOfNames) */
	CONF_MEMBER_ATTR_UNIQUE_MEMBER = 1 << 1,  /* uniqueMember (groupOfUniqueNames) */
};

enum conf_group_name { CONF_GROUP_NAME_CN, CONF_GROUP_NAME_DN };
enum conf_authz_default { CONF_AUTHZ_NO_OPINION, CONF_AUTHZ_DENY };
enum conf_log_target { CONF_LOG_STDERR, CONF_LOG_SYSLOG };
enum conf_client_cert { CONF_CLIENT_CERT_OPTIONAL, CONF_CLIENT_CERT_REQUIRED };

struct conf {
	char *path;                     /* the file this came from */

	char *listen;                   /* unix socket path or host:port */
	bool listen_allow_remote;
	unsigned listen_mode;           /* e.g. 0660 */
	char *listen_group;
	struct conf_list listen_peer_users;  /* who may connect to the unix
	                                        socket (SO_PEERCRED); root
	                                        always may; empty = www-data */
	int listen_backlog;
	char *user;                     /* "" = do not change user */
	char *group;                    /* "" = the user's primary group */
	int workers;
	long max_requests;              /* 0 = never recycle */
	size_t max_body;                /* bytes */
	size_t webhook_max_body;        /* bytes, for /authenticate*, /authorize* */
	enum conf_client_cert webhook_client_cert;  /* required: every webhook
	                                   path needs a verified certificate */
	int64_t request_timeout_ms;
	int64_t shutdown_timeout_ms;
	char *public_url;
	char *admin_token_file;         /* "" = none */
	char *metrics_token_file;       /* "" = none */
	char *migrations_dir;
	char *policy_file;              /* "" = none */

	struct {
		char *host;             /* without hosts: the one server */
		int port;               /* also the port of hosts without one */
		/* Always usable once loaded: database.hosts as written, or
		 * one entry made of host and port when it is not set (also
		 * with a socket, which is then used instead). */
		struct conf_db_hosts hosts;
		/* How long a connection that failed over to a later host
		 * is kept before the first hosts are tried again. */
		int64_t failback_ms;
		char *socket;           /* "" = use host/port */
		char *name;
		char *user;
		char *password_file;    /* "" = no password */
		char *tls_ca_file;      /* "" = no TLS */
		int64_t connect_timeout_ms;
		int64_t read_timeout_ms;
		bool migrate_on_start;
	} database;

	struct {
		struct conf_list urls;  /* at least one */
		bool start_tls;
		char *ca_file;          /* "" = system default */
		char *bind_dn;          /* "" = anonymous */
		char *bind_password_file;
		char *base_dn;
		char *user_filter;      /* contains %s at least once */
		char *id_attribute;
		char *username_attribute;
		char *uid_attribute;
		char *member_uid_attribute;  /* what memberUid holds (uid) */
		struct conf_list extra_attributes;
		unsigned group_methods; /* enum conf_group_method bits */
		unsigned member_attributes;  /* enum conf_member_attribute bits:
		                           what the member method and nesting
		                           search for the DN */
		char *group_base_dn;    /* "" = base_dn */
		enum conf_group_name group_name;
		int nested_depth;       /* 0 = off */
		int64_t network_timeout_ms;
		int64_t timeout_ms;
		int64_t cache_ttl_ms;   /* 0 = off */
		int cache_max;          /* names per worker */
	} ldap;

	struct {
		char *key_file;
		bool reveal;
		int64_t ttl_ms;
		int64_t max_ttl_ms;     /* defaults to ttl */
		int64_t keep_expired_ms;
	} tokens;

	struct {
		struct conf_list default_groups;
		char *username_prefix;
		char *group_prefix;
	} authentication;

	struct {
		enum conf_authz_default default_decision;  /* key "default" */
		int64_t refresh_ms;
	} authorization;

	struct {
		bool enabled;
		bool auto_create;
		struct conf_list allowed_groups;
		int64_t ttl_ms;
		int max_tokens;
	} login;

	struct {
		int level;              /* 1..9 */
		enum conf_log_target target;
	} logging;
};

/* Parse PATH into a new conf; logs each error with file, line and key.
 * Returns 0 and sets *confp (caller frees with conf_free), or -1. */
int conf_load(const char *path, struct conf **confp);
void conf_free(struct conf *conf);

/* Go-style duration ("90s", "1h30m", "500ms", "8760h") to milliseconds.
 * Accepts units ns, us, µs, ms, s, m, h; rejects negatives, empty strings,
 * overflow and sub-millisecond remainders that do not add up to whole ms
 * are truncated. Returns 0 or -1. Pure: safe to fuzz. */
int conf_parse_duration(const char *text, int64_t *ms);

#endif
