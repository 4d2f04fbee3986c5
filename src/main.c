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

#include "checkconfig.h"
#include "conf.h"
#include "db.h"
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
		status = checkconfig_run(conf, admin_token, o.connect, o.lookup);
		conf_free(conf);
	} else {
		status = main_serve(conf, admin_token);
	}
	secret_free(admin_token);
	return status;
}
