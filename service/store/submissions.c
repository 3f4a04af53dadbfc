#include "store/submissions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "lib/banned.h"

int store_submission_problems(struct db_pool *pool, const char *doc, char **problems,
			      struct db_error *err)
{
	const char *params[1] = {doc};
	return db_run_text(pool, "select api.submission_problems($1::jsonb)::text as problems", 1, params,
			   DB_READ_RETRY, "problems", problems, NULL, err) < 0 ? -1 : 0;
}

static const char create_sql[] =
	"select id, created, request_hash, token_enc"
	"  from api.submission_create($1::jsonb, $2::bytea, 'submitter', $3::bytea, $4::bytea, $5::bytea)";

/* The bytea value of column into out (exactly n bytes): 0, or -1 when it is NULL or another size. */
static int bytes_of(const PGresult *res, const char *column, uint8_t *out, size_t n)
{
	return crypto_from_bytea(db_value(res, 0, column), out, n);
}

int store_submission_create(struct db_pool *pool, const char *doc,
			    const uint8_t token_hash[CRYPTO_HASH_BYTES], const struct store_idempotency *idem,
			    struct store_submission_created *out, struct db_error *err)
{
	char token[2 * CRYPTO_HASH_BYTES + 3], key[2 * CRYPTO_HASH_BYTES + 3];
	char request[2 * CRYPTO_HASH_BYTES + 3], enc[2 * STORE_TOKEN_SECRET_BYTES + 3];
	crypto_bytea(token_hash, CRYPTO_HASH_BYTES, token);
	if (idem) {
		crypto_bytea(idem->key_hash, sizeof(idem->key_hash), key);
		crypto_bytea(idem->request_hash, sizeof(idem->request_hash), request);
		crypto_bytea(idem->token_enc, sizeof(idem->token_enc), enc);
	}
	const char *params[5] = {doc, token, idem ? key : NULL, idem ? request : NULL, idem ? enc : NULL};
	memset(out, 0, sizeof(*out));
	PGresult *res = db_run(pool, create_sql, 5, params, DB_ONCE, err);
	if (!res)
		return -1;
	out->id = db_int(res, 0, "id");
	out->created = db_bool(res, 0, "created");
	out->stored_ok = bytes_of(res, "request_hash", out->stored.request_hash, CRYPTO_HASH_BYTES) == 0 &&
			 bytes_of(res, "token_enc", out->stored.token_enc, STORE_TOKEN_SECRET_BYTES) == 0;
	PQclear(res);
	return 0;
}

int store_submission_get(struct db_pool *pool, const char *id, char **doc,
			 uint8_t token_hash[CRYPTO_HASH_BYTES], int *has_token, struct db_error *err)
{
	const char *params[1] = {id};
	*doc = NULL;
	PGresult *res = db_run(pool, "select token_hash, doc::text as doc from api.submission_get($1::bigint)",
			       1, params, DB_READ_RETRY, err);
	if (!res)
		return -1;
	int rc = 1, oom = 0;
	if (PQntuples(res) > 0) {
		rc = 0;
		*doc = db_copy(res, 0, "doc", NULL, &oom);
		if (token_hash)
			*has_token = bytes_of(res, "token_hash", token_hash, CRYPTO_HASH_BYTES) == 0;
	}
	PQclear(res);
	if (oom) {
		db_fail(err, "out of memory");
		return -1;
	}
	return rc;
}

int store_submission_update(struct db_pool *pool, const char *id, const char *doc, const char *actor,
			    char outcome[STORE_OUTCOME_BYTES], struct db_error *err)
{
	const char *params[3] = {id, doc, actor};
	return db_run_word(pool, "select api.submission_update($1::bigint, $2::jsonb, $3::text) as outcome", 3,
			   params, DB_ONCE, "outcome", outcome, STORE_OUTCOME_BYTES, err);
}

int store_submission_withdraw(struct db_pool *pool, const char *id, const char *actor,
			      char outcome[STORE_OUTCOME_BYTES], struct db_error *err)
{
	const char *params[2] = {id, actor};
	return db_run_word(pool, "select api.submission_withdraw($1::bigint, $2::text) as outcome", 2, params,
			   DB_ONCE, "outcome", outcome, STORE_OUTCOME_BYTES, err);
}

int store_submission_contact_erase(struct db_pool *pool, const char *id, const char *contact,
				   const char *actor, struct db_error *err)
{
	const char *params[3] = {id, contact, actor};
	char erased[8];
	if (db_run_word(pool, "select api.submission_contact_erase($1::bigint, $2::bigint, $3::text) as erased",
			3, params, DB_ONCE, "erased", erased, sizeof(erased), err) < 0)
		return -1;
	return erased[0] == 't' ? 0 : 1;
}
