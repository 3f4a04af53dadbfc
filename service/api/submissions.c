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
#include "store/submissions.h"
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
	return -1;
}

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
	char *problems;
	struct db_error err;
	int rc = store_submission_problems(r->app->write_pool, text, &problems, &err);
	free(text);
	if (rc < 0) {
		http_problem_db(r, &err);
		return -1;
	}
	body_add_db_errors(&errs, problems);
	free(problems);
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

void submissions_post(struct request *r)
{
	if (submission_rate_limited(r) < 0)
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
	char token[64];
	uint8_t token_hash[CRYPTO_HASH_BYTES], h[CRYPTO_HASH_BYTES], pad[CRYPTO_HASH_BYTES];
	struct store_idempotency key;
	const size_t plen = strlen(AUTH_TOKEN_PREFIX), slen = STORE_TOKEN_SECRET_BYTES; /* 32 */
	if (crypto_new_secret(token, sizeof(token), AUTH_TOKEN_PREFIX) < 0) {
		json_decref(doc);
		http_problem(r, 500, "internal-error", "no random numbers available");
		return;
	}
	crypto_sha256(token, strlen(token), token_hash);
	if (idem) {
		char buf[IDEMPOTENCY_KEY_MAX + 16];
		snprintf(buf, sizeof(buf), "idem:%s", idem);
		crypto_sha256(buf, strlen(buf), key.key_hash);
		crypto_sha256(r->body.data, r->body.len, key.request_hash);
		token_pad(idem, pad);
		for (size_t i = 0; i < slen; i++)
			key.token_enc[i] = (uint8_t)token[plen + i] ^ pad[i];
	}
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text) {
		http_problem(r, 500, "internal-error", "the request could not be completed");
		return;
	}
	struct store_submission_created made;
	struct db_error err;
	int rc = store_submission_create(r->app->write_pool, text, token_hash, idem ? &key : NULL, &made, &err);
	free(text);
	if (rc < 0) {
		body_problem_constraint(r, &err);
		return;
	}
	if (!made.created) {
		/* a retry: the same key must come with the same body */
		crypto_sha256(r->body.data, r->body.len, h);
		if (!made.stored_ok || !crypto_equal(made.stored.request_hash, h, sizeof(h))) {
			http_problem(r, 422, "idempotency-key-reused",
				     "this Idempotency-Key was used for another request; use a new key");
			return;
		}
		for (size_t i = 0; i < slen; i++)
			token[plen + i] = (char)(made.stored.token_enc[i] ^ pad[i]);
		token[plen + slen] = '\0';
	}
	json_t *answer = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)made.id, "status", "submitted",
				   "edit_token", token, "message",
				   "Bewaar dit bewerkingstoken: het wordt maar één keer getoond. / Keep this edit token: it is shown only once.");
	char location[384];
	snprintf(location, sizeof(location), "%s/submissions/%lld", r->base_url, made.id);
	memset(token, 0, sizeof(token));
	char *s = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	http_respond(r, 201, MEDIA_JSON, s, s ? strlen(s) : 0);
	snprintf(r->resp.location, sizeof(r->resp.location), "%s", location);
}

/* --- with the edit token --- */

/* Loads the submission and checks the token. Returns the document (new reference) or NULL after
 * answering 404/401. */
static json_t *load_own(struct request *r, const char *id)
{
	char *text;
	uint8_t stored[CRYPTO_HASH_BYTES];
	int have = 0;
	struct db_error err;
	int rc = store_submission_get(r->app->write_pool, id, &text, stored, &have, &err);
	if (rc < 0) {
		http_problem_db(r, &err);
		return NULL;
	}
	if (rc == 1) {
		http_problem(r, 404, "not-found", "there is no submission with this id");
		return NULL;
	}
	json_t *doc = NULL;
	if (auth_check_token(r, have ? stored : NULL) == 0) {
		doc = text ? json_loads(text, 0, NULL) : NULL;
		if (!doc)
			http_problem(r, 500, "internal-error", "the submission could not be read");
	}
	free(text);
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

int submission_apply_patch(struct request *r, const char *id, const json_t *view,
			   store_submission_edit_fn *edit, const char *actor, char outcome[STORE_OUTCOME_BYTES])
{
	json_t *patch = body_json(r);
	if (!patch)
		return -1;
	json_t *current = submission_editable(view);
	json_t *doc = validate_merge_patch(current, patch);
	json_decref(current);
	json_decref(patch);
	if (submission_rate_limited(r) < 0 || submission_check(r, doc) < 0) {
		json_decref(doc);
		return -1;
	}
	char *text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text) {
		http_problem(r, 500, "internal-error", "the request could not be completed");
		return -1;
	}
	struct db_error err;
	int rc = edit(r->app->write_pool, id, text, actor, outcome, &err);
	free(text);
	if (rc < 0) {
		body_problem_constraint(r, &err);
		return -1;
	}
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
	char *text;
	struct db_error err;
	if (store_submission_get(r->app->write_pool, id, &text, NULL, NULL, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	json_t *answer = json_pack("{s:s,s:o*}", "outcome", outcome, "submission", doc);
	answer_private(r, answer);
}

void submission_patch(struct request *r)
{
	char id[24], outcome[STORE_OUTCOME_BYTES];
	if (submission_id(r, r->target.seg[1], id, sizeof(id)) < 0)
		return;
	json_t *view = load_own(r, id);
	if (!view)
		return;
	int rc = submission_apply_patch(r, id, view, store_submission_update, "submitter", outcome);
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
	char id[24], outcome[STORE_OUTCOME_BYTES];
	if (own_id(r, id, sizeof(id)) < 0)
		return;
	struct db_error err;
	if (store_submission_withdraw(r->app->write_pool, id, "submitter", outcome, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
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
	struct db_error err;
	int rc = store_submission_contact_erase(r->app->write_pool, id, contact, "submitter", &err);
	if (rc < 0) {
		http_problem_db(r, &err);
		return;
	}
	if (rc == 1) {
		http_problem(r, 404, "not-found", "this submission has no such contact person");
		return;
	}
	http_respond(r, 204, NULL, NULL, 0);
}
