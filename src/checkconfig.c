/*
 * checkconfig.c — `kubernetes-auth check-config`: the configuration file,
 * its secrets and policy_file; with --connect also the database and the
 * directory it names, what one lookup costs the directory, and the rows
 * that older releases let in (cluster names, several local users for one
 * directory entry), reported and never changed.
 */
#include "checkconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "db.h"
#include "directory.h"
#include "directory_stats.h"
#include "dirsearch.h"
#include "log.h"
#include "policy_file.h"
#include "secrets.h"
#include "store.h"

/* A cluster whose name POST /clusters would refuse today (made before
 * names were DNS-1123 labels, or imported): it works where its name can
 * be a path segment; report it either way. */
static int
checkconfig_cluster_name_check(void *ctx, const struct store_cluster *c)
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
struct checkconfig_user_check {
	struct db *db;
	struct directory *dir;
	unsigned bad;
};

static int
checkconfig_user_check(void *ctx, const struct store_user *u)
{
	struct checkconfig_user_check *c = ctx;
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
/* What one authentication costs the directory, best of
 * CHECKCONFIG_LOOKUP_RUNS (the first also connects). A search much slower
 * than a bind, which costs the server next to nothing, is one the server
 * answers by reading entries rather than an index: slower than
 * CHECKCONFIG_SLOW_SEARCH_US and CHECKCONFIG_SLOW_SEARCH_BINDS binds. */
#define CHECKCONFIG_LOOKUP_RUNS 3
#define CHECKCONFIG_SLOW_SEARCH_US 1000
#define CHECKCONFIG_SLOW_SEARCH_BINDS 5

struct checkconfig_lookup_time {
	long bind_us, user_us, group_us;
};

static void
checkconfig_lookup_keep_best(struct checkconfig_lookup_time *best,
    const struct directory_stats *s, int run)
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
checkconfig_search_slow(long search_us, long bind_us)
{
	return search_us > CHECKCONFIG_SLOW_SEARCH_US &&
	    search_us > CHECKCONFIG_SLOW_SEARCH_BINDS * (bind_us > 0 ? bind_us : 1);
}

/* check-config --connect: time a lookup of NAME (-lookup, or a name that
 * matches no one: then the group search is timed for a made-up entry
 * under base_dn, which costs an unindexed directory as much). Prints the
 * times; warns when a search looks unindexed. Returns 0, or -1 when the
 * directory could not answer. */
static int
checkconfig_time_lookup(const struct conf *conf, struct directory *dir,
    const char *name)
{
	const char *probe = "kubernetes-auth-check-config-probe";
	struct checkconfig_lookup_time best = { 0 };
	struct directory_stats stats;
	struct dirsearch_user *u = NULL;
	size_t nentries = 0, ngroups = 0;
	char *dn = NULL;
	int run;

	if (name == NULL)
		name = probe;
	if (asprintf(&dn, "uid=%s,%s", probe, conf->ldap.base_dn) < 0)
		fatal("asprintf");
	for (run = 0; run < CHECKCONFIG_LOOKUP_RUNS; run++) {
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
		checkconfig_lookup_keep_best(&best, &stats, run);
	}
	printf("ldap: lookup of \"%s\" (%s): bind %.2f ms, user search %.2f ms, "
	    "group search %.2f ms (best of %d)\n", name,
	    nentries == 1 ? "found" : nentries == 0 ? "no such entry: groups of a "
	    "made-up one" : "several entries: groups of a made-up one",
	    best.bind_us / 1000.0, best.user_us / 1000.0, best.group_us / 1000.0,
	    CHECKCONFIG_LOOKUP_RUNS);
	if (nentries == 1)
		printf("ldap: \"%s\" is in %zu groups\n", name, ngroups);
	if (checkconfig_search_slow(best.user_us, best.bind_us))
		printf("ldap: warning: the user search takes %.1f times a bind: "
		    "is every attribute of ldap.user_filter indexed (eq) on the "
		    "server? (doc/authentication.md, \"Indexes\")\n",
		    (double)best.user_us / (best.bind_us > 0 ? best.bind_us : 1));
	if (checkconfig_search_slow(best.group_us, best.bind_us))
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

int
checkconfig_run(const struct conf *conf, const char *admin_token, bool connect,
    const char *lookup)
{
	struct secrets secrets;
	int status = 0;

	if (lookup != NULL && !connect) {
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
	if (connect) {
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
			if (store_cluster_list(db, NULL, checkconfig_cluster_name_check,
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
			if (checkconfig_time_lookup(conf, dir, lookup) < 0) {
				fprintf(stderr, "%s: an LDAP lookup failed\n",
				    conf->path);
				status = 1;
			}
			if (status == 0) {
				struct checkconfig_user_check c = { db, dir, 0 };
				if (store_user_list(db, NULL, checkconfig_user_check,
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
