/* Schools submit their initiative (no account), and with the edit token read, correct and
 * withdraw it. parse -> validate (shape here, data in the database) -> one call -> answer. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "http/body.h"
#include "api/handlers.h"
#include "http/ratelimit.h"
#include "api/resource.h"
#include "api/submissions.h"
#include "lib/banned.h"

#define IDEMPOTENCY_KEY_MAX 200

static int this_year(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

int submission_rate_limited(struct request *r)
{
	int wait = r->app->writes ? ratelimit_take(r->app->writes, r->remote) : 0;
	if (!wait)
		return 0;
	http_problem(r, 429, "too-many-requests", "too many changes from this address; wait and try again");
	r->resp.retry_after = wait;
	return 1;
}

static const char problems_sql[] = "select api.submission_problems($1::jsonb)::text";

int submission_check(struct request *r, const json_t *doc)
{
	struct verrors errs;
	validate_submission(doc, this_year(), &errs);
	/* The database checks what needs data (codes that exist, profiel and domein, the point) on the
	 * same document, so that every error is reported at once. */
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text) {
		http_problem(r, 500, "internal-error", "the submission could not be checked");
		return -1;
	}
	/* (no NUL characters, which jsonb cannot hold: the JSON parser refused them already) */
	const char *params[1] = {text};
	PGresult *res = resource_query_on(r, r->app->write_pool, problems_sql, 1, params);
	free(text);
	if (!res)
		return -1;
	body_add_db_errors(&errs, PQgetvalue(res, 0, 0));
	PQclear(res);
	if (errs.n) {
		body_problem_fields(r, &errs);
		return -1;
	}
	return 0;
}

int submission_id(struct request *r, const char *s, char *dst, size_t n)
{
	size_t len = strlen(s);
	int ok = len > 0 && len < 19 && s[0] != '0' && len < n;
	for (size_t i = 0; ok && i < len; i++)
		ok = s[i] >= '0' && s[i] <= '9';
	if (!ok) {
		http_problem(r, 404, "not-found", "there is no submission with this id");
		return -1;
	}
	memcpy(dst, s, len + 1);
	return 0;
}

/* The edit token is only in the first answer; a retry with the same Idempotency-Key must give it
 * again without it being stored: it is kept XOR-ed with a pad that only the key's holder can make. */
static void token_pad(const char *idem_key, uint8_t pad[CRYPTO_HASH_BYTES])
{
	char buf[IDEMPOTENCY_KEY_MAX + 16];
	snprintf(buf, sizeof(buf), "pad:%s", idem_key);
	crypto_sha256(buf, strlen(buf), pad);
}

static const char create_sql[] =
	"select id, created, request_hash, token_enc"
	"  from api.submission_create($1::jsonb, $2::bytea, 'submitter', $3::bytea, $4::bytea, $5::bytea)";

void submissions_post(struct request *r)
{
	if (submission_rate_limited(r))
		return;
	const char *idem = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	if (idem && (strlen(idem) == 0 || strlen(idem) > IDEMPOTENCY_KEY_MAX)) {
		http_problem(r, 400, "invalid-request", "Idempotency-Key must be 1 to 200 characters");
		return;
	}
	json_t *doc = body_json(r);
	if (!doc)
		return;
	if (submission_check(r, doc) < 0) {
		json_decref(doc);
		return;
	}
	/* the token: rke_ + 32 base64url characters; only its hash is stored */
	char token[64], token_hash[2 * CRYPTO_HASH_BYTES + 3], key_hash[2 * CRYPTO_HASH_BYTES + 3];
	char req_hash[2 * CRYPTO_HASH_BYTES + 3], token_enc[2 * CRYPTO_HASH_BYTES + 3];
	uint8_t h[CRYPTO_HASH_BYTES], pad[CRYPTO_HASH_BYTES];
	const size_t plen = strlen(AUTH_TOKEN_PREFIX), slen = CRYPTO_SECRET_BYTES * 4 / 3; /* 32 */
	if (crypto_new_secret(token, sizeof(token), AUTH_TOKEN_PREFIX) < 0) {
		json_decref(doc);
		http_problem(r, 500, "internal-error", "no random numbers available");
		return;
	}
	crypto_sha256(token, strlen(token), h);
	crypto_bytea(h, sizeof(h), token_hash);
	const char *kh = NULL, *rh = NULL, *te = NULL;
	if (idem) {
		char buf[IDEMPOTENCY_KEY_MAX + 16];
		snprintf(buf, sizeof(buf), "idem:%s", idem);
		crypto_sha256(buf, strlen(buf), h);
		crypto_bytea(h, sizeof(h), key_hash);
		crypto_sha256(r->body.data, r->body.len, h);
		crypto_bytea(h, sizeof(h), req_hash);
		token_pad(idem, pad);
		for (size_t i = 0; i < slen; i++)
			h[i] = (uint8_t)token[plen + i] ^ pad[i];
		crypto_bytea(h, slen, token_enc);
		kh = key_hash;
		rh = req_hash;
		te = token_enc;
	}
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	const char *params[5] = {text, token_hash, kh, rh, te};
	struct db_error err;
	PGresult *res = text ? resource_exec(r->app->write_pool, create_sql, 5, params, &err, 0) : NULL;
	free(text);
	if (!res) {
		body_problem_constraint(r, &err);
		return;
	}
	const char *id = PQgetvalue(res, 0, 0);
	int created = PQgetvalue(res, 0, 1)[0] == 't';
	if (!created) {
		/* a retry: the same key must come with the same body */
		uint8_t stored[CRYPTO_HASH_BYTES], enc[CRYPTO_HASH_BYTES];
		crypto_sha256(r->body.data, r->body.len, h);
		if (crypto_from_bytea(PQgetvalue(res, 0, 2), stored, sizeof(stored)) < 0 ||
		    !crypto_equal(stored, h, sizeof(h)) ||
		    crypto_from_bytea(PQgetvalue(res, 0, 3), enc, slen) < 0) {
			PQclear(res);
			http_problem(r, 422, "idempotency-key-reused",
				     "this Idempotency-Key was used for another request; use a new key");
			return;
		}
		for (size_t i = 0; i < slen; i++)
			token[plen + i] = (char)(enc[i] ^ pad[i]);
		token[plen + slen] = '\0';
	}
	json_t *answer = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)strtoll(id, NULL, 10), "status", "submitted",
				   "edit_token", token, "message",
				   "Bewaar dit bewerkingstoken: het wordt maar één keer getoond. / Keep this edit token: it is shown only once.");
	char location[384];
	snprintf(location, sizeof(location), "%s/submissions/%s", r->base_url, id);
	PQclear(res);
	memset(token, 0, sizeof(token));
	char *s = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	http_respond(r, 201, MEDIA_JSON, s, s ? strlen(s) : 0);
	snprintf(r->resp.location, sizeof(r->resp.location), "%s", location);
}

/* --- with the edit token --- */

static const char get_sql[] = "select token_hash, doc::text from api.submission_get($1::bigint)";

/* Loads the submission and checks the token. Returns the document (new reference) or NULL after
 * answering 404/401. */
static json_t *load_own(struct request *r, const char *id)
{
	const char *params[1] = {id};
	PGresult *res = resource_query_on(r, r->app->write_pool, get_sql, 1, params);
	if (!res)
		return NULL;
	if (PQntuples(res) == 0) {
		PQclear(res);
		http_problem(r, 404, "not-found", "there is no submission with this id");
		return NULL;
	}
	uint8_t stored[CRYPTO_HASH_BYTES];
	int have = !PQgetisnull(res, 0, 0) && crypto_from_bytea(PQgetvalue(res, 0, 0), stored, sizeof(stored)) == 0;
	if (auth_check_token(r, have ? stored : NULL) < 0) {
		PQclear(res);
		return NULL;
	}
	json_t *doc = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	PQclear(res);
	if (!doc)
		http_problem(r, 500, "internal-error", "the submission could not be read");
	return doc;
}

static void answer_private(struct request *r, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!s) {
		http_problem(r, 500, "internal-error", "the response could not be built");
		return;
	}
	/* personal data of the submitter's own: never stored by caches */
	http_respond(r, 200, MEDIA_JSON, s, strlen(s));
}

void submission_get(struct request *r)
{
	char id[24];
	if (submission_id(r, r->target.seg[1], id, sizeof(id)) < 0)
		return;
	json_t *doc = load_own(r, id);
	if (doc)
		answer_private(r, doc);
}

json_t *submission_editable(const json_t *view)
{
	static const char *const fields[] = {"name", "route_kind", "leerwegen", "profielen", "niveaus",
					     "opleidingsdomeinen", "crebo", "start_year", "description", "website",
					     "mailbox", "location", "conditions", "parties", "contacts", NULL};
	static const char *const party_fields[] = {"role", "vestigingscode", "brin", "kvk", "name", "plaats", NULL};
	static const char *const contact_fields[] = {"id", "name", "function", "email", "phone", "sbo_contact",
						     "public_consent", NULL};
	const json_t *pending = json_object_get(view, "pending_revision");
	const json_t *src = json_is_object(pending) && json_is_object(json_object_get(pending, "document"))
				    ? json_object_get(pending, "document")
				    : view;
	json_t *out = json_object();
	for (size_t i = 0; fields[i]; i++) {
		json_t *v = json_object_get(src, fields[i]);
		if (!v || json_is_null(v))
			continue;
		const char *const *keep = strcmp(fields[i], "parties") == 0 ? party_fields
					  : strcmp(fields[i], "contacts") == 0 ? contact_fields
									       : NULL;
		if (!keep || !json_is_array(v)) {
			json_object_set_new(out, fields[i], json_deep_copy(v));
			continue;
		}
		json_t *list = json_array();
		size_t k;
		json_t *item;
		json_array_foreach(v, k, item) {
			json_t *copy = json_object();
			for (size_t f = 0; keep[f]; f++) {
				json_t *fv = json_object_get(item, keep[f]);
				if (fv && !json_is_null(fv))
					json_object_set_new(copy, keep[f], json_deep_copy(fv));
			}
			/* a name the database resolved for a school or BRIN is not part of the input */
			const char *role = json_string_value(json_object_get(item, "role"));
			if (role && (strcmp(role, "vo") == 0 || strcmp(role, "mbo") == 0)) {
				json_object_del(copy, "name");
				json_object_del(copy, "plaats");
			}
			json_array_append_new(list, copy);
		}
		json_object_set_new(out, fields[i], list);
	}
	return out;
}

static const char update_sql[] = "select api.submission_update($1::bigint, $2::jsonb, $3::text)";

/* Merges patch over the editable document, validates the result and stores it through sql
 * (update_sql or the moderators' edit). Answers; returns the database's outcome word or NULL. */
int submission_apply_patch(struct request *r, const char *id, const json_t *view, const char *sql,
			   const char *actor, char *outcome, size_t n)
{
	json_t *patch = body_json(r);
	if (!patch)
		return -1;
	json_t *current = submission_editable(view);
	json_t *doc = validate_merge_patch(current, patch);
	json_decref(current);
	json_decref(patch);
	if (submission_rate_limited(r) || submission_check(r, doc) < 0) {
		json_decref(doc);
		return -1;
	}
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	const char *params[3] = {id, text, actor};
	struct db_error err;
	PGresult *res = text ? resource_exec(r->app->write_pool, sql, 3, params, &err, 0) : NULL;
	free(text);
	if (!res) {
		body_problem_constraint(r, &err);
		return -1;
	}
	snprintf(outcome, n, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* 200 with the outcome and the current state, or 404/409 for the outcomes that are refusals. */
void submission_answer_outcome(struct request *r, const char *id, const char *outcome)
{
	if (strcmp(outcome, "not_found") == 0) {
		http_problem(r, 404, "not-found", "there is no submission with this id");
		return;
	}
	if (strcmp(outcome, "not_editable") == 0 || strcmp(outcome, "nothing_pending") == 0) {
		http_problem(r, 409, "conflict",
			     strcmp(outcome, "not_editable") == 0
				     ? "this submission was rejected or withdrawn and can no longer be changed"
				     : "there is nothing pending to approve or reject");
		return;
	}
	const char *params[1] = {id};
	PGresult *res = resource_query_on(r, r->app->write_pool, get_sql, 1, params);
	if (!res)
		return;
	json_t *doc = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 1), 0, NULL) : NULL;
	PQclear(res);
	json_t *answer = json_pack("{s:s,s:o*}", "outcome", outcome, "submission", doc);
	answer_private(r, answer);
}

void submission_patch(struct request *r)
{
	char id[24], outcome[32];
	if (submission_id(r, r->target.seg[1], id, sizeof(id)) < 0)
		return;
	json_t *view = load_own(r, id);
	if (!view)
		return;
	int rc = submission_apply_patch(r, id, view, update_sql, "submitter", outcome, sizeof(outcome));
	json_decref(view);
	if (rc == 0)
		submission_answer_outcome(r, id, outcome);
}

/* The id of the path's submission when the request carries its edit token; else answers, -1. */
static int own_id(struct request *r, char *id, size_t n)
{
	if (submission_id(r, r->target.seg[1], id, n) < 0)
		return -1;
	json_t *view = load_own(r, id);
	json_decref(view);
	return view ? 0 : -1;
}

void submission_delete(struct request *r)
{
	char id[24];
	if (own_id(r, id, sizeof(id)) < 0)
		return;
	const char *params[2] = {id, "submitter"};
	PGresult *res = resource_query_on(r, r->app->write_pool, "select api.submission_withdraw($1::bigint, $2::text)", 2, params);
	if (!res)
		return;
	char outcome[32];
	snprintf(outcome, sizeof(outcome), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	submission_answer_outcome(r, id, outcome);
}

void submission_contact_delete(struct request *r)
{
	char id[24], contact[24];
	if (own_id(r, id, sizeof(id)) < 0)
		return;
	if (submission_id(r, r->target.seg[3], contact, sizeof(contact)) < 0) {
		http_problem(r, 404, "not-found", "there is no such contact person");
		return;
	}
	const char *params[3] = {id, contact, "submitter"};
	PGresult *res = resource_query_on(r, r->app->write_pool,
					  "select api.submission_contact_erase($1::bigint, $2::bigint, $3::text)", 3, params);
	if (!res)
		return;
	int erased = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!erased) {
		http_problem(r, 404, "not-found", "this submission has no such contact person");
		return;
	}
	http_respond(r, 204, NULL, NULL, 0);
}
