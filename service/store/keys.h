/* API keys in the database: looked up by id when a request presents one, and issued, revoked and
 * listed by `routekaartd keys`, which has a connection of its own rather than the pool. Only the
 * SHA-256 hash of a key's secret is stored. Each call returns 0, or -1 with err filled; 1 where a
 * comment says so. */
#ifndef RK_STORE_KEYS_H
#define RK_STORE_KEYS_H

#include <stdint.h>

#include "lib/crypto.h"
#include "store/db.h"

/* A key that is not revoked. */
struct store_key {
	char name[404]; /* the database allows 100 characters, so at most 400 bytes */
	char role[16];  /* moderator, analyst or admin */
	int has_secret_hash; /* 0 when the stored hash is not a SHA-256 (no secret matches it) */
	uint8_t secret_hash[CRYPTO_HASH_BYTES];
};

/* api.key_lookup of the key with this id (1 to 18 digits) into key, on the pool, sent once.
 * Returns 1 when there is no such key or it is revoked. */
int store_key_lookup(struct db_pool *pool, const char *id, struct store_key *key, struct db_error *err);
/* api.key_touch: notes that the key was used (at most once a minute), on the pool, sent once. */
int store_key_touch(struct db_pool *pool, const char *id, struct db_error *err);

/* The command line's own connection to the database at database_url (a connection string or
 * URI). NULL with err filled when it cannot be opened; free with store_key_admin_free. */
struct store_key_admin *store_key_admin_new(const char *database_url, struct db_error *err);
void store_key_admin_free(struct store_key_admin *a);

/* api.key_create: a key with this name and role whose secret has the hash secret_hash; its id in
 * *id. */
int store_key_create(struct store_key_admin *a, const char *name, const char *role,
		     const uint8_t secret_hash[CRYPTO_HASH_BYTES], long long *id, struct db_error *err);
/* api.key_revoke of the active key with this name. Returns 1 when there is none. */
int store_key_revoke(struct store_key_admin *a, const char *name, struct db_error *err);
/* api.key_list: every key (never its hash) as JSON text in *list (malloc'd, the caller frees it). */
int store_key_list(struct store_key_admin *a, char **list, struct db_error *err);

#endif
