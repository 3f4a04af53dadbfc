/* Submissions in the database: a school's initiative document, the hash of its edit token, and
 * what a change to it came to. Each call runs one api.* statement once on the pool it is given
 * (the write pool: nothing here is sent a second time) and returns 0, or -1 with err filled. */
#ifndef RK_STORE_SUBMISSIONS_H
#define RK_STORE_SUBMISSIONS_H

#include <stdint.h>

#include "lib/crypto.h"
#include "store/db.h"

/* What a change came to, in the database's word: updated, revision_pending, withdrawn, published,
 * revision_applied, rejected, revision_rejected, not_found, not_editable, nothing_pending (the
 * comments of the api.submission_* and api.moderation_* functions say which gives which). */
#define STORE_OUTCOME_BYTES 32
/* The secret part of an edit token: base64url of CRYPTO_SECRET_BYTES. */
#define STORE_TOKEN_SECRET_BYTES (CRYPTO_SECRET_BYTES * 4 / 3)

/* The errors api.submission_problems finds in doc (JSON text): a JSON array [{pointer, code}],
 * "[]" when there are none, in *problems (malloc'd, the caller frees it). */
int store_submission_problems(struct db_pool *pool, const char *doc, char **problems,
			      struct db_error *err);

/* What a request with an Idempotency-Key leaves, so that its retry finds the same submission. */
struct store_idempotency {
	uint8_t key_hash[CRYPTO_HASH_BYTES];               /* names the key */
	uint8_t request_hash[CRYPTO_HASH_BYTES];           /* the first request's body */
	uint8_t token_enc[STORE_TOKEN_SECRET_BYTES];       /* the edit token, XOR-ed with a pad */
};

struct store_submission_created {
	long long id;
	int created; /* 0: the key was used before; id is the submission it made then */
	/* created 0: what the first request left (key_hash not filled); stored_ok 0 when that is
	 * missing or not of the sizes above */
	int stored_ok;
	struct store_idempotency stored;
};

/* api.submission_create by the submitter: a new submission of doc (JSON text) whose edit token
 * has the hash token_hash; with idem (NULL without an Idempotency-Key) a retry gives the first. */
int store_submission_create(struct db_pool *pool, const char *doc,
			    const uint8_t token_hash[CRYPTO_HASH_BYTES], const struct store_idempotency *idem,
			    struct store_submission_created *out, struct db_error *err);

/* api.submission_get: the submission as its submitter sees it, as JSON text in *doc (malloc'd,
 * the caller frees it); when token_hash is not NULL, the hash of its edit token there and
 * *has_token 0 when it has none. Returns 1 when there is no submission with this id (*doc NULL). */
int store_submission_get(struct db_pool *pool, const char *id, char **doc,
			 uint8_t token_hash[CRYPTO_HASH_BYTES], int *has_token, struct db_error *err);

/* A change of a submission's document to doc (JSON text) by actor, and the outcome word: the
 * submitter's (store_submission_update) or a moderator's (store_moderation_edit). */
typedef int store_submission_edit_fn(struct db_pool *pool, const char *id, const char *doc,
				     const char *actor, char outcome[STORE_OUTCOME_BYTES],
				     struct db_error *err);

/* api.submission_update: updated, revision_pending, not_editable or not_found in outcome. */
int store_submission_update(struct db_pool *pool, const char *id, const char *doc, const char *actor,
			    char outcome[STORE_OUTCOME_BYTES], struct db_error *err);

/* api.submission_withdraw by actor: withdrawn, not_editable or not_found in outcome. */
int store_submission_withdraw(struct db_pool *pool, const char *id, const char *actor,
			      char outcome[STORE_OUTCOME_BYTES], struct db_error *err);

/* api.submission_contact_erase: erases contact person contact of submission id. Returns 1 when
 * the submission has no such contact person. */
int store_submission_contact_erase(struct db_pool *pool, const char *id, const char *contact,
				   const char *actor, struct db_error *err);

#endif
