/*
 * main.c — command line, configuration, secrets, socket, privilege drop;
 * then hands off to the master (or runs a subcommand).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "admin.h"
#include "conf.h"
#include "db.h"
#include "directory.h"
#include "dirsearch.h"
#include "import.h"
#include "ktime.h"
#include "log.h"
#include "master.h"
#include "migrate.h"
#include "policy_file.h"
#include "secret.h"
#include "secrets.h"
#include "store.h"
#include "worker.h"

#define MAIN_MAX_ARGS 8

struct options {
	const char *config_file;
	int log_level;                  /* 0 = from the config */
	char *admin_token;              /* points into argv or environ */
	bool connect;                   /* check-config --connect */
	const char *lookup;             /* check-config --connect -lookup NAME */
	const char *from;               /* import --from */
	const char *cacert;             /* import --cacert */
	const char *args[MAIN_MAX_ARGS];  /* subcommand and its operands */
	int nargs;
};

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: kubernetes-auth [-config-file PATH] [-log-level N] [-admin-token TOKEN]\n"
	    "       kubernetes-auth check-config [--connect [-lookup NAME]] [-config-file PATH]\n"
	    "       kubernetes-auth migrate up | down N | version | force V\n"
	    "       kubernetes-auth import --from URL --admin-token TOKEN [--cacert FILE]\n"
	    "       kubernetes-auth purge-expired\n"
	    "\n"
	    "Options take one or two dashes and their value after a space or '=':\n"
	    "  -config-file PATH   YAML configuration (default config.yaml)\n"
	    "  -log-level N        1 (quiet) .. 9 (verbose); overrides logging.level\n"
	    "  -admin-token TOKEN  the admin API token (or KUBERNETES_AUTH_ADMIN_TOKEN;\n"
	    "                      otherwise admin_token_file)\n"
	    "  --cacert FILE       import: the CA certificates (PEM) to trust for\n"
	    "                      an https:// --from (default: the system's)\n"
	    "  --help, --version\n");
}

/* Accept -x V, --x V, -x=V and --x=V. Returns 0, or -1 after a message. */
static int
main_parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *arg = argv[i], *value = NULL;

		if (arg[0] != '-' || arg[1] == '\0') {
			if (o->nargs == MAIN_MAX_ARGS) {
				fprintf(stderr, "kubernetes-auth: too many arguments\n");
				return -1;
			}
			o->args[o->nargs++] = arg;
			continue;
		}
		char *name = arg + (arg[1] == '-' ? 2 : 1);
		char *eq = strchr(name, '=');
		size_t name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
#define IS(s) (name_len == strlen(s) && strncmp(name, (s), name_len) == 0)
		if (IS("help") || IS("h")) {
			main_usage(stdout);
			exit(0);
		}
		if (IS("version")) {
			printf("kubernetes-auth %s\n", PACKAGE_VERSION);
			exit(0);
		}
		if (IS("connect")) {
			if (eq != NULL) {
				fprintf(stderr, "kubernetes-auth: --connect takes no value\n");
				return -1;
			}
			o->connect = true;
			continue;
		}
		if (!IS("config-file") && !IS("log-level") && !IS("admin-token") &&
		    !IS("from") && !IS("lookup") && !IS("cacert")) {
			fprintf(stderr, "kubernetes-auth: unknown option '%.*s' "
			    "(try --help)\n", (int)name_len, name);
			return -1;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (i + 1 < argc)
			value = argv[++i];
		else {
			fprintf(stderr, "kubernetes-auth: option '%.*s' needs a value\n",
			    (int)name_len, name);
			return -1;
		}
		if (IS("config-file")) {
			o->config_file = value;
		} else if (IS("log-level")) {
			char *end;
			long level = strtol(value, &end, 10);
			if (*value == '\0' || *end != '\0' || level < 1 || level > 9) {
				fprintf(stderr, "kubernetes-auth: -log-level must be "
				    "an integer from 1 to 9\n");
				return -1;
			}
			o->log_level = (int)level;
		} else if (IS("admin-token")) {
			o->admin_token = value;
		} else if (IS("lookup")) {
			o->lookup = value;
		} else if (IS("cacert")) {
			o->cacert = value;
		} else {
			o->from = value;
		}
#undef IS
	}
	return 0;
}

/* Keep a copy of the flag's token and blank the original, so that it does
 * not show in ps(1) or /proc/PID/cmdline for the life of the process. */
static char *
main_take_admin_token(struct options *o)
{
	char *copy;

	if (o->admin_token == NULL) {
		const char *env = getenv("KUBERNETES_AUTH_ADMIN_TOKEN");
		if (env == NULL)
			return NULL;
		copy = strdup(env);
		unsetenv("KUBERNETES_AUTH_ADMIN_TOKEN");
	} else {
		copy = strdup(o->admin_token);
		memset(o->admin_token, 'x', strlen(o->admin_token));
	}
	if (copy == NULL)
		fatal("strdup");
	return copy;
}

static bool
main_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static int
main_listen_tcp(const struct conf *conf)
{
	char host[256];
	const char *colon = strrchr(conf->listen, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *res;
	int fd, one = 1, rc;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - conf->listen), conf->listen);
	/* "[::1]:9000" */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	/* Any local process can reach a TCP port, and a FastCGI client sends
	 * whatever parameters it likes, SSL_CLIENT_VERIFY included. */
	log_warnx("listen %s: FastCGI over TCP, where no peer can be checked: "
	    "any local process may act as nginx and claim a verified client "
	    "certificate; use a unix socket (listen_peer_users)", conf->listen);
	rc = getaddrinfo(host[0] != '\0' ? host : "127.0.0.1", colon + 1, &hints, &res);
	if (rc != 0)
		fatalx("listen %s: %s", conf->listen, gai_strerror(rc));
	if (!main_is_loopback(res->ai_addr) && !conf->listen_allow_remote)
		fatalx("listen %s: not a loopback address; FastCGI has no "
		    "authentication, so set listen_allow_remote: true only behind "
		    "a firewall", conf->listen);
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
		fatal("listen %s: bind", conf->listen);
	freeaddrinfo(res);
	if (listen(fd, conf->listen_backlog) < 0)
		fatal("listen %s", conf->listen);
	return fd;
}

static int
main_listen_unix(const struct conf *conf)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	struct group *gr;
	mode_t old_umask;
	int fd;

	if (strlen(conf->listen) >= sizeof(sun.sun_path))
		fatalx("listen %s: path longer than %zu bytes", conf->listen,
		    sizeof(sun.sun_path) - 1);
	strcpy(sun.sun_path, conf->listen);
	/* A stale socket from a crash is replaced; anything else is kept. */
	if (lstat(conf->listen, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatalx("listen %s: exists and is not a socket", conf->listen);
		if (unlink(conf->listen) < 0)
			fatal("listen %s: cannot remove the old socket", conf->listen);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	/* Created private, then opened to exactly the configured group:
	 * no moment where any local user could connect and forge FastCGI
	 * parameters. */
	old_umask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fatal("listen %s: bind", conf->listen);
	umask(old_umask);
	if (conf->listen_group[0] != '\0') {
		gr = getgrnam(conf->listen_group);
		if (gr == NULL)
			fatalx("listen_group %s: no such group", conf->listen_group);
		if (chown(conf->listen, (uid_t)-1, gr->gr_gid) < 0)
			fatal("listen %s: chown to group %s", conf->listen,
			    conf->listen_group);
	}
	if (chmod(conf->listen, conf->listen_mode) < 0)
		fatal("listen %s: chmod", conf->listen);
	if (listen(fd, conf->listen_backlog) < 0)
		fatal("listen %s", conf->listen);
	return fd;
}

static bool
main_listen_is_tcp(const struct conf *conf)
{
	return conf->listen[0] != '/';
}

/* As root: switch to conf->user/group for good. */
static void
main_drop_privileges(const struct conf *conf)
{
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (conf->user[0] == '\0') {
		if (geteuid() == 0)
			log_warnx("running as root: set 'user' in %s", conf->path);
		return;
	}
	pw = getpwnam(conf->user);
	if (pw == NULL)
		fatalx("user %s: no such user", conf->user);
	gid = pw->pw_gid;
	if (conf->group[0] != '\0') {
		gr = getgrnam(conf->group);
		if (gr == NULL)
			fatalx("group %s: no such group", conf->group);
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid && getegid() == gid)
			return;
		fatalx("cannot switch to user %s: not running as root", conf->user);
	}
	if (setgroups(1, &gid) < 0)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) < 0)
		fatal("setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		fatal("setresuid");
	if (pw->pw_uid != 0 && setuid(0) == 0)
		fatalx("could regain root after dropping privileges");
	log_debug("running as %s (uid %ld, gid %ld)", conf->user,
	    (long)pw->pw_uid, (long)gid);
}

/* A cluster whose name POST /clusters would refuse today (made before
 * names were DNS-1123 labels, or imported): it works where its name can
 * be a path segment; report it either way. */
static int
main_cluster_name_check(void *ctx, const struct store_cluster *c)
{
	char shown[300];

	if (admin_cluster_name_valid(c->name))
		return 0;
	log_sanitize(shown, sizeof(shown), c->name);
	if (strchr(c->name, '/') != NULL || strcmp(c->name, ".") == 0 ||
	    strcmp(c->name, "..") == 0)
		printf("cluster %s \"%s\": its name cannot be a URL path segment, "
		    "so its webhook paths cannot reach it: make a cluster with a "
		    "DNS-1123 name and move its tokens and policies there\n",
		    c->id, shown);
	else
		printf("cluster %s \"%s\": not a DNS-1123 label (new clusters "
		    "must be); it goes on working\n", c->id, shown);
	return 0;
}

/* check-config --connect: local users that are not one directory entry
 * each (made before POST /users resolved names, or in the database by
 * hand). Each is reported, never changed: which of two users is the right
 * one is the operator's call (doc/security.md). */
struct main_user_check {
	struct db *db;
	struct directory *dir;
	unsigned bad;
};

static int
main_user_check(void *ctx, const struct store_user *u)
{
	struct main_user_check *c = ctx;
	enum dirsearch_resolution res;
	struct store_user other;
	char shown[300], as[300], *id;
	bool found = false;

	if (dirsearch_resolve(c->dir, u->username, u->username_len, &id,
	    &res) < 0)
		return -1;
	log_sanitize(shown, sizeof(shown), u->username);
	if (res == DIRSEARCH_ONE && strcmp(id, u->username) == 0) {
		free(id);
		return 0;
	}
	c->bad++;
	if (res != DIRSEARCH_ONE) {
		printf("user %s \"%s\": %s: its tokens do not authenticate\n",
		    u->id, shown, res == DIRSEARCH_NONE ? "no directory entry" :
		    res == DIRSEARCH_SEVERAL ? "several directory entries" :
		    "its entry has no id_attribute");
		return 0;
	}
	log_sanitize(as, sizeof(as), id);
	if (store_user_find(c->db, id, &other, &found) < 0)
		found = false;
	printf("user %s \"%s\": the directory names it \"%s\"%s%s%s: its tokens "
	    "do not authenticate\n", u->id, shown, as,
	    found ? ", which is user " : "", found ? other.id : "",
	    found ? " (two local users, one entry)" : "");
	free(id);
	return 0;
}

/* check-config [--connect]: parse, read secrets, optionally reach MySQL and
 * LDAP. Prints what failed; exit status 0 only when all is well. */
/* What one authentication costs the directory, best of MAIN_LOOKUP_RUNS
 * (the first also connects). A search much slower than a bind, which
 * costs the server next to nothing, is one the server answers by reading
 * entries rather than an index. */
#define MAIN_LOOKUP_RUNS 3
#define MAIN_SLOW_SEARCH_US 1000        /* and MAIN_SLOW_SEARCH_BINDS binds */
#define MAIN_SLOW_SEARCH_BINDS 5

struct main_lookup_time {
	long bind_us, user_us, group_us;
};

static void
main_lookup_keep_best(struct main_lookup_time *best, const struct directory_stats *s,
    int run)
{
	long user_us = s->user_search_us;

	if (run == 0 || s->bind_us < best->bind_us)
		best->bind_us = s->bind_us;
	if (run == 0 || user_us < best->user_us)
		best->user_us = user_us;
	if (run == 0 || s->group_search_us < best->group_us)
		best->group_us = s->group_search_us;
}

static bool
main_search_slow(long search_us, long bind_us)
{
	return search_us > MAIN_SLOW_SEARCH_US &&
	    search_us > MAIN_SLOW_SEARCH_BINDS * (bind_us > 0 ? bind_us : 1);
}

/* check-config --connect: time a lookup of NAME (-lookup, or a name that
 * matches no one: then the group search is timed for a made-up entry
 * under base_dn, which costs an unindexed directory as much). Prints the
 * times; warns when a search looks unindexed. Returns 0, or -1 when the
 * directory could not answer. */
static int
main_time_lookup(const struct conf *conf, struct directory *dir,
    const char *name)
{
	const char *probe = "kubernetes-auth-check-config-probe";
	struct main_lookup_time best = { 0 };
	struct directory_stats stats;
	struct dirsearch_user *u = NULL;
	size_t nentries = 0, ngroups = 0;
	char *dn = NULL;
	int run;

	if (name == NULL)
		name = probe;
	if (asprintf(&dn, "uid=%s,%s", probe, conf->ldap.base_dn) < 0)
		fatal("asprintf");
	for (run = 0; run < MAIN_LOOKUP_RUNS; run++) {
		dirsearch_user_free(u);
		u = NULL;
		if (dirsearch_lookup(dir, name, strlen(name), true, &u,
		    &nentries) < 0)
			goto fail;
		directory_get_stats(dir, &stats);
		ngroups = u != NULL ? u->ngroups : 0;
		if (nentries != 1) {
			long user_us = stats.search_us, bind_us = stats.bind_us;
			long user_search_us = stats.user_search_us;
			if (dirsearch_probe_groups(dir, dn, probe, &ngroups) < 0)
				goto fail;
			directory_get_stats(dir, &stats);
			stats.bind_us = bind_us;
			stats.search_us += user_us;
			stats.user_search_us = user_search_us;
		}
		main_lookup_keep_best(&best, &stats, run);
	}
	printf("ldap: lookup of \"%s\" (%s): bind %.2f ms, user search %.2f ms, "
	    "group search %.2f ms (best of %d)\n", name,
	    nentries == 1 ? "found" : nentries == 0 ? "no such entry: groups of a "
	    "made-up one" : "several entries: groups of a made-up one",
	    best.bind_us / 1000.0, best.user_us / 1000.0, best.group_us / 1000.0,
	    MAIN_LOOKUP_RUNS);
	if (nentries == 1)
		printf("ldap: \"%s\" is in %zu groups\n", name, ngroups);
	if (main_search_slow(best.user_us, best.bind_us))
		printf("ldap: warning: the user search takes %.1f times a bind: "
		    "is every attribute of ldap.user_filter indexed (eq) on the "
		    "server? (doc/authentication.md, \"Indexes\")\n",
		    (double)best.user_us / (best.bind_us > 0 ? best.bind_us : 1));
	if (main_search_slow(best.group_us, best.bind_us))
		printf("ldap: warning: the group search takes %.1f times a bind: "
		    "is every attribute it asks for (ldap.member_attributes, "
		    "memberUid) indexed (eq) on the server? "
		    "(doc/authentication.md, \"Indexes\")\n",
		    (double)best.group_us / (best.bind_us > 0 ? best.bind_us : 1));
	dirsearch_user_free(u);
	free(dn);
	return 0;
fail:
	dirsearch_user_free(u);
	free(dn);
	return -1;
}

static int
main_check_config(const struct conf *conf, const struct options *o,
    const char *admin_token)
{
	struct secrets secrets;
	int status = 0;

	if (o->lookup != NULL && !o->connect) {
		fprintf(stderr, "kubernetes-auth: -lookup needs --connect\n");
		return 1;
	}
	if (secrets_load(conf, admin_token, &secrets) < 0)
		return 1;
	/* policy_file (src/policy_file.h): what start-up would refuse. */
	if (policy_file_load(conf) < 0) {
		fprintf(stderr, "%s: policy_file %s is invalid\n", conf->path,
		    conf->policy_file);
		status = 1;
	}
	policy_file_free();
	if (o->connect) {
		struct db *db = NULL;
		struct directory *dir = NULL;

		if (secrets_load_token_keys(conf, &secrets) < 0) {
			fprintf(stderr, "%s: cannot use tokens.key_file\n", conf->path);
			status = 1;
		}

		if (db_new(conf, secrets.db_password, &db) < 0 || db_check(db) < 0) {
			fprintf(stderr, "%s: cannot reach the database\n", conf->path);
			status = 1;
		} else {
			char node[300];
			printf("database: ok (%s%s%s)\n", db_node(db, node,
			    sizeof(node)), db_is_galera(db) ? ", Galera node " : "",
			    db_node_state(db));
			if (store_cluster_list(db, NULL, main_cluster_name_check,
			    NULL) < 0)
				fprintf(stderr, "%s: cannot list the clusters\n",
				    conf->path);
		}
		if (directory_new(conf, secrets.ldap_bind_password, &dir) < 0 ||
		    directory_service_bind(dir) < 0) {
			fprintf(stderr, "%s: cannot bind to LDAP\n", conf->path);
			status = 1;
		} else {
			printf("ldap: ok\n");
			if (main_time_lookup(conf, dir, o->lookup) < 0) {
				fprintf(stderr, "%s: an LDAP lookup failed\n",
				    conf->path);
				status = 1;
			}
			if (status == 0) {
				struct main_user_check c = { db, dir, 0 };
				if (store_user_list(db, NULL, main_user_check,
				    &c) < 0)
					fprintf(stderr, "%s: cannot check the "
					    "users\n", conf->path);
				else if (c.bad > 0)
					printf("users: %u are not one directory "
					    "entry each (above)\n", c.bad);
			}
		}
		db_free(db);
		directory_free(dir);
	}
	secrets_cleanup(&secrets);
	if (status == 0)
		printf("%s: configuration ok\n", conf->path);
	return status;
}

static bool
main_is_store_command(const char *cmd)
{
	return strcmp(cmd, "migrate") == 0 || strcmp(cmd, "import") == 0 ||
	    strcmp(cmd, "purge-expired") == 0;
}

/* migrate ..., import --from URL --admin-token T, purge-expired: tools on
 * the store, run by an operator (the admin token, if any, is the original
 * service's, for import). Returns the exit status. */
static int
main_store_command(const struct conf *conf, const struct options *o,
    const char *admin_token)
{
	const char *cmd = o->args[0];
	struct secrets secrets;
	int status = 1;

	if (secrets_load_tools(conf, strcmp(cmd, "import") == 0, &secrets) < 0)
		return 1;
	if (strcmp(cmd, "migrate") == 0) {
		status = migrate_command(conf, secrets.db_password, o->args + 1,
		    o->nargs - 1);
	} else if (strcmp(cmd, "import") == 0) {
		if (o->nargs != 1) {
			fprintf(stderr, "usage: kubernetes-auth import --from URL "
			    "--admin-token TOKEN [--cacert FILE]\n");
			status = 2;
		} else {
			status = import_run(conf, &secrets, o->from, admin_token,
			    o->cacert);
		}
	} else if (o->nargs != 1) {
		fprintf(stderr, "usage: kubernetes-auth purge-expired\n");
		status = 2;
	} else {
		struct db *db = NULL;
		unsigned long long n = 0;
		int64_t before = ktime_now_us() - conf->tokens.keep_expired_ms * 1000;

		if (db_new(conf, secrets.db_password, &db) == 0 && db_check(db) == 0 &&
		    store_token_purge(db, before, &n) == 0) {
			log_info("purge-expired: deleted %llu tokens expired or "
			    "revoked more than tokens.keep_expired ago", n);
			printf("%llu tokens deleted\n", n);
			status = 0;
		}
		db_free(db);
	}
	secrets_cleanup(&secrets);
	return status;
}

/* Serve until stopped. Takes ownership of CONF (the master may replace it
 * on reload). */
static int
main_serve(struct conf *conf, const char *admin_token)
{
	struct secrets secrets;
	int fd = -1, status = 1;

	/* Everything that needs root happens first: secrets, socket. */
	if (secrets_load(conf, admin_token, &secrets) < 0)
		goto out_conf;
	if (secrets_load_token_keys(conf, &secrets) < 0)
		goto out_secrets;
	if (!main_listen_is_tcp(conf)) {
		uid_t *peers;
		size_t npeers;
		if (worker_peers_resolve(conf, &peers, &npeers) < 0)
			goto out_secrets;
		free(peers);
	}
	fd = main_listen_is_tcp(conf) ? main_listen_tcp(conf) : main_listen_unix(conf);
	/* Workers wait with ppoll() and accept without blocking: a wake-up
	 * whose connection another worker took must not hang in accept(). */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		fatal("listen %s: O_NONBLOCK", conf->listen);
	main_drop_privileges(conf);
	/* policy_file: read as the service user, as SIGHUP will; the master
	 * keeps the rules and the workers inherit them. */
	if (policy_file_load(conf) < 0) {
		log_warnx("not starting: policy_file %s is invalid", conf->policy_file);
		goto out_socket;
	}
	/* As the service user, before any worker exists (src/migrate.h). */
	if (conf->database.migrate_on_start ?
	    migrate_on_start(conf, secrets.db_password) < 0 :
	    migrate_check(conf, secrets.db_password) < 0) {
		log_warnx("not starting: the database schema is not up to date");
		goto out_rules;
	}
	log_info("kubernetes-auth %s listening on %s", PACKAGE_VERSION, conf->listen);
	/* The master owns CONF from here (a reload replaces it) and removes
	 * the socket when it stops. */
	status = master_run(conf, &secrets, fd,
	    main_listen_is_tcp(conf) ? NULL : conf->listen);
	conf = NULL;
out_rules:
	policy_file_free();
out_socket:
	close(fd);
	if (conf != NULL && !main_listen_is_tcp(conf))
		unlink(conf->listen);
out_secrets:
	secrets_cleanup(&secrets);
out_conf:
	conf_free(conf);
	return status;
}

int
main(int argc, char **argv)
{
	struct options o = { .config_file = "config.yaml" };
	struct conf *conf;
	char *admin_token;
	int status;

	log_init("kubernetes-auth", LOG_LVL_INFO, false);
	if (main_parse_args(argc, argv, &o) < 0)
		return 2;
	admin_token = main_take_admin_token(&o);

	const char *cmd = o.nargs > 0 ? o.args[0] : NULL;
	if (cmd != NULL && strcmp(cmd, "check-config") != 0 &&
	    !main_is_store_command(cmd)) {
		fprintf(stderr, "kubernetes-auth: unknown command '%s' "
		    "(try --help)\n", cmd);
		secret_free(admin_token);
		return 2;
	}
	if (conf_load(o.config_file, &conf) < 0) {
		fprintf(stderr, "kubernetes-auth: %s: invalid configuration\n",
		    o.config_file);
		secret_free(admin_token);
		return 1;
	}
	log_pin_level(o.log_level);
	log_init("kubernetes-auth", conf->logging.level,
	    conf->logging.target == CONF_LOG_SYSLOG && cmd == NULL);

	if (cmd != NULL && main_is_store_command(cmd)) {
		status = main_store_command(conf, &o, admin_token);
		conf_free(conf);
	} else if (cmd != NULL) {
		status = main_check_config(conf, &o, admin_token);
		conf_free(conf);
	} else {
		status = main_serve(conf, admin_token);
	}
	secret_free(admin_token);
	return status;
}
