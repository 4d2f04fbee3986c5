/*
 * store.h — the SQL for each entity: users, tokens, clusters, the
 * clusters of scoped tokens, and authorization policies. Every statement is prepared (db.c keeps them
 * per connection). Functions return 0 or -1; after -1, db_error() says why
 * (DB_ERR_DUPLICATE -> 409, DB_ERR_UNAVAILABLE -> 503, ...).
 *
 * Strings handed to callbacks are borrowed for the call. Ids are UUIDs in
 * lowercase; times are microseconds since 1970, UTC.
 */
#ifndef KA_STORE_H
#define KA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

struct db;

#define STORE_ID_LEN CRYPTO_UUID_LEN
#define STORE_USERNAME_MAX 255          /* bytes */
#define STORE_CLUSTER_NAME_MAX 255
#define STORE_DESCRIPTION_MAX 1024      /* characters (VARCHAR(1024)) */
#define STORE_URL_MAX 2048              /* master, node */
#define STORE_CLIENT_CN_MAX 255
#define STORE_SERVER_MAX 2048           /* a cluster's server URL */

/* --- users ---------------------------------------------------------------- */

struct store_user {
	char id[STORE_ID_LEN + 1];
	char username[STORE_USERNAME_MAX + 1];  /* bytes; no NUL inside */
	size_t username_len;
	int64_t created_us;
};
typedef int (*store_user_fn)(void *ctx, const struct store_user *u);

/* Insert U (U->id "" = make one, written back; created_us 0 = now).
 * A username or id already there: DB_ERR_DUPLICATE. */
int store_user_create(struct db *db, struct store_user *u);
/* Users with USERNAME (NULL = all; compared byte for byte), oldest first. */
int store_user_list(struct db *db, const char *username, store_user_fn fn,
    void *ctx);
/* The user with ID, or named USERNAME (byte for byte), in *U; *found
 * false when there is none. */
int store_user_get(struct db *db, const char *id, struct store_user *u,
    bool *found);
int store_user_find(struct db *db, const char *username, struct store_user *u,
    bool *found);
/* Delete the user with ID and all its tokens. */
int store_user_delete(struct db *db, const char *id, bool *found);

/* --- tokens --------------------------------------------------------------- */

struct store_token {
	char id[STORE_ID_LEN + 1];
	char user_id[STORE_ID_LEN + 1];
	char token[CRYPTO_TOKEN_LEN + 1];       /* "" when it cannot be shown */
	const char *description;
	int64_t expiry_us;
	int64_t created_us;
	int64_t last_used_us;                   /* 0 = never (lists only) */
	bool scoped;
	const char *const *clusters;            /* names, when scoped */
	size_t nclusters;
};
typedef int (*store_token_fn)(void *ctx, const struct store_token *t);

struct store_token_new {
	const char *id;                 /* NULL = make one (import gives it) */
	const char *token;              /* NULL = make one (import gives it) */
	const char *user_id;
	const char *description;
	int64_t expiry_us;
	int64_t created_us;             /* 0 = now */
	const char *const *clusters;    /* scoped when nclusters > 0; distinct */
	size_t nclusters;
};

/* Make a token: one INSERT keyed by the unique HMAC of a fresh secret (a
 * duplicate makes a new secret and tries again; a deadlock runs the
 * transaction again), with its cluster rows in the same transaction when
 * scoped. With REVEAL the secret is also kept sealed under the newest key.
 * *OUT gets the new token, secret included (its strings point into IN or
 * static storage). When a named thing is missing, -1 with *missing the
 * field ("user_id") or the cluster name (borrowed from IN). */
int store_token_create(struct db *db, const struct crypto_keyring *ring,
    bool reveal, const struct store_token_new *in, struct store_token *out,
    const char **missing);
/* Live (not revoked) tokens, oldest first: all, or of USER_ID, or the one
 * with ID (NULL = no such filter). Secrets are opened with RING when kept;
 * RING NULL leaves every token "" (for answers that never show one). */
int store_token_list(struct db *db, const struct crypto_keyring *ring,
    const char *user_id, const char *id, store_token_fn fn, void *ctx);
/* Set revoked_at on the live token ID; *found false when there is none. */
int store_token_revoke(struct db *db, const char *id, bool *found);
/* The same for a token of USER_ID only: one statement, so that the answer
 * is the same for someone else's token as for none. */
int store_token_revoke_owned(struct db *db, const char *id,
    const char *user_id, bool *found);
/* Is there a token ID, revoked or not? */
int store_token_exists(struct db *db, const char *id, bool *found);
/* Delete tokens that expired, or were revoked, before BEFORE_US. */
int store_token_purge(struct db *db, int64_t before_us, unsigned long long *count);

/* --- authentication ------------------------------------------------------ */

/* HMACs one lookup query takes (a key file with more keys: one query per
 * this many; db.c allows 16 parameters). */
#define STORE_HMAC_SLOTS 15

/* What the webhook needs to know of a presented token. */
struct store_token_auth {
	char id[STORE_ID_LEN + 1];
	char user_id[STORE_ID_LEN + 1];
	char username[STORE_USERNAME_MAX + 1];  /* the user's stored id */
	size_t username_len;
	uint32_t key_id;
	int64_t expiry_us;
	bool revoked;
	bool scoped;
	int64_t last_used_us;           /* 0 = never */
	char fingerprint[9];            /* 8 hex digits of its HMAC under the
	                                   newest key: names an unknown token
	                                   in a log line */
};

/* Find the token TOKEN (LEN bytes) by its HMAC under each key of RING:
 * one query on the unique token_hmac index (per STORE_HMAC_SLOTS keys),
 * and the row counts only when it was made with the key whose HMAC found
 * it. Revoked and expired tokens are found too, so the caller can say why
 * it refuses. *T gets the token (and its fingerprint, found or not). */
int store_token_find(struct db *db, const struct crypto_keyring *ring,
    const char *token, size_t len, struct store_token_auth *t, bool *found);
/* Is token TOKEN_ID scoped to cluster CLUSTER_ID? A query of its own,
 * asked for scoped tokens only: in the lookup above it cost every
 * TokenReview a dependent subquery (a third of MariaDB's time). */
int store_token_in_cluster(struct db *db, const char *token_id,
    const char *cluster_id, bool *in);
/* last_used_at is kept to this resolution: the API server's own cache
 * brings a token back about every 2 minutes, so a one-minute resolution
 * wrote on almost every review, and a write costs MariaDB more than the
 * lookup itself (116 us of CPU against 82, plus a log flush). */
#define STORE_TOUCH_US (10 * 60 * 1000000LL)
/* Set last_used_at of token ID to NOW_US unless it was set less than
 * STORE_TOUCH_US before (the statement checks it too, for other workers). */
int store_token_touch(struct db *db, const char *id, int64_t now_us);

/* Ids of the tokens of USER_ID whose description is DESCRIPTION, or
 * starts with DESCRIPTION followed by ": ", that are live (neither revoked
 * nor expired at NOW_US), newest first. */
typedef int (*store_id_fn)(void *ctx, const char *id);
int store_token_list_described(struct db *db, const char *user_id,
    const char *description, int64_t now_us, store_id_fn fn, void *ctx);

/* --- clusters ------------------------------------------------------------- */

struct store_cluster {
	char id[STORE_ID_LEN + 1];
	const char *name;
	const char *master;
	const char *node;
	const char *kubeconfig;
	const char *client_cn;          /* NULL = none */
	const char *server;             /* its API server's https:// URL, or NULL */
	const char *ca_data;            /* base64 of its CA's PEM, or NULL */
	int64_t created_us;
};
typedef int (*store_cluster_fn)(void *ctx, const struct store_cluster *c);

/* Insert C (C->id "" = make one, written back; created_us 0 = now). */
int store_cluster_create(struct db *db, struct store_cluster *c);
/* Clusters named NAME (NULL = all), oldest first. */
int store_cluster_list(struct db *db, const char *name, store_cluster_fn fn,
    void *ctx);
/* The cluster with ID, or (ID NULL) named NAME: *C is a copy in one
 * allocation (the caller frees it with free()), or NULL when there is
 * none. */
int store_cluster_get(struct db *db, const char *name, const char *id,
    struct store_cluster **c);
/* Delete cluster ID: DB_ERR_REFERENCED while a live token or a policy
 * names it. Bumps the policies generation (workers cache cluster names). */
int store_cluster_delete(struct db *db, const char *id, bool *found);
/* Every cluster's name and client_cn ("" = none), for the authorization
 * cache. */
typedef int (*store_cluster_name_fn)(void *ctx, const char *name,
    const char *client_cn);
int store_cluster_names(struct db *db, store_cluster_name_fn fn, void *ctx);
/* How many policies name cluster ID (to explain a 409). */
int store_cluster_policy_count(struct db *db, const char *id,
    unsigned long long *count);

/* --- policies ------------------------------------------------------------- */

/*
 * A policy row is its id and the rule as JSON text (policy_rule_to_json(),
 * without the id); name and cluster are repeated in columns so that the
 * database keeps names unique and clusters referenced. Every change runs in
 * one transaction with an increment of the "policies" generation, which
 * workers poll to know when to rebuild their compiled rules.
 */
#define STORE_POLICY_NAME_MAX 253

/* Called per row with the rule's JSON text (LEN bytes, NUL-terminated;
 * borrowed for the call). */
typedef int (*store_policy_fn)(void *ctx, long long id, const char *rule,
    size_t len);

/* Every policy, by id. */
int store_policy_list(struct db *db, store_policy_fn fn, void *ctx);
/* The rule of policy ID (malloc'd, LEN bytes; the caller frees), or NULL
 * when there is none. */
int store_policy_get(struct db *db, long long id, char **rule, size_t *len);
/* The id of the policy named NAME; *found false when there is none. */
int store_policy_find_name(struct db *db, const char *name, long long *id,
    bool *found);
/* Insert a rule named NAME for CLUSTER (a name; NULL = global) with RULE
 * (JSON text); *id gets the new id. A name in use: DB_ERR_DUPLICATE; an
 * unknown cluster: -1 with *cluster_missing. */
int store_policy_create(struct db *db, const char *name, const char *cluster,
    const char *rule, long long *id, bool *cluster_missing);
/* Replace policy ID; *found false when there is none. Errors as above. */
int store_policy_update(struct db *db, long long id, const char *name,
    const char *cluster, const char *rule, bool *found, bool *cluster_missing);
/* Delete policy ID; *found false when there is none. */
int store_policy_delete(struct db *db, long long id, bool *found);
/* The current "policies" generation (0 when the row is missing). */
int store_policy_generation(struct db *db, long long *generation);

#endif
