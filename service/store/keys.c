#include "store/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "lib/banned.h"

int store_key_lookup(struct db_pool *pool, const char *id, struct store_key *key, struct db_error *err)
{
	const char *params[1] = {id};
	memset(key, 0, sizeof(*key));
	PGresult *res = db_run(pool, "select name, role, secret_hash from api.key_lookup($1::bigint)", 1, params,
			       DB_READ_RETRY, err);
	if (!res)
		return -1;
	int rc = PQntuples(res) == 1 ? 0 : 1;
	if (rc == 0) {
		const char *name = db_value(res, 0, "name"), *role = db_value(res, 0, "role");
		snprintf(key->name, sizeof(key->name), "%s", name ? name : "");
		snprintf(key->role, sizeof(key->role), "%s", role ? role : "");
		key->has_secret_hash = crypto_from_bytea(db_value(res, 0, "secret_hash"), key->secret_hash,
							 sizeof(key->secret_hash)) == 0;
	}
	PQclear(res);
	return rc;
}

int store_key_touch(struct db_pool *pool, const char *id, struct db_error *err)
{
	const char *params[1] = {id};
	PGresult *res = db_run(pool, "select api.key_touch($1::bigint) as touched", 1, params, DB_ONCE, err);
	PQclear(res);
	return res ? 0 : -1;
}

struct store_key_admin {
	PGconn *conn;
};

struct store_key_admin *store_key_admin_new(const char *database_url, struct db_error *err)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *vals[] = {database_url, "routekaartd-keys", NULL};
	struct store_key_admin *a = malloc(sizeof(*a));
	if (!a) {
		db_fail(err, "out of memory");
		return NULL;
	}
	a->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(a->conn) != CONNECTION_OK) {
		db_fail(err, PQerrorMessage(a->conn));
		err->status = 503;
		store_key_admin_free(a);
		return NULL;
	}
	return a;
}

void store_key_admin_free(struct store_key_admin *a)
{
	if (!a)
		return;
	PQfinish(a->conn);
	free(a);
}

/* Runs sql on the command line's connection. NULL with err filled (the database's message, which
 * the command line shows as it is; nothing is logged) when it does not return rows. */
static PGresult *admin_run(struct store_key_admin *a, const char *sql, int n, const char *const *params,
			   struct db_error *err)
{
	PGresult *res = PQexecParams(a->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return res;
	db_fail(err, PQresultErrorMessage(res));
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (sqlstate) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
		err->status = db_sqlstate_status(sqlstate);
	}
	PQclear(res);
	return NULL;
}

int store_key_create(struct store_key_admin *a, const char *name, const char *role,
		     const uint8_t secret_hash[CRYPTO_HASH_BYTES], long long *id, struct db_error *err)
{
	char hash[2 * CRYPTO_HASH_BYTES + 3];
	crypto_bytea(secret_hash, CRYPTO_HASH_BYTES, hash);
	const char *params[3] = {name, role, hash};
	PGresult *res = admin_run(a, "select api.key_create($1::text, $2::text, $3::bytea) as id", 3, params, err);
	if (!res)
		return -1;
	*id = db_int(res, 0, "id");
	PQclear(res);
	return 0;
}

int store_key_revoke(struct store_key_admin *a, const char *name, struct db_error *err)
{
	const char *params[1] = {name};
	PGresult *res = admin_run(a, "select api.key_revoke($1::text) as revoked", 1, params, err);
	if (!res)
		return -1;
	int rc = db_bool(res, 0, "revoked") ? 0 : 1;
	PQclear(res);
	return rc;
}

int store_key_list(struct store_key_admin *a, char **list, struct db_error *err)
{
	PGresult *res = admin_run(a, "select api.key_list()::text as list", 0, NULL, err);
	if (!res)
		return -1;
	int oom = 0;
	*list = db_copy(res, 0, "list", NULL, &oom);
	PQclear(res);
	if (oom) {
		db_fail(err, "out of memory");
		return -1;
	}
	return 0;
}
