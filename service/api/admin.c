/* The programme team's moderation API, behind API keys: the queue, approve, reject, edit,
 * withdraw; the SBO contact of each school location; erasure of contact persons; the audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "http/body.h"
#include "api/handlers.h"
#include "api/resource.h"
#include "api/submissions.h"
#include "lib/banned.h"

static const char *const statuses[] = {"pending", "published", "rejected", "withdrawn", NULL};

static void answer_json_text(struct request *r, unsigned status, const char *text)
{
	char *s = strdup(text);
	http_respond(r, status, MEDIA_JSON, s, s ? strlen(s) : 0);
}

void admin_submissions_get(struct request *r)
{
	static const struct pspec specs[] = {
		{"status", PT_ENUM, 0, 0, statuses, NULL, NULL, 0, 0},
		{"limit", PT_INT, 1, 1000, NULL, NULL, NULL, 0, 0},
		{"offset", PT_INT, 0, 1000000, NULL, NULL, NULL, 0, 0},
	};
	struct principal who;
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0)
		return;
	struct pvalue v[3];
	struct perrors errs;
	if (query_validate(&r->target, specs, 3, v, &errs)) {
		http_problem_params(r, &errs);
		return;
	}
	char limit[24], offset[24];
	snprintf(limit, sizeof(limit), "%ld", v[1].present ? v[1].i : 100L);
	snprintf(offset, sizeof(offset), "%ld", v[2].present ? v[2].i : 0L);
	const char *params[3] = {v[0].present ? v[0].raw : "pending", limit, offset};
	PGresult *res = resource_query_on(r, r->app->write_pool,
					  "select json_build_object('status', $1::text, 'numberMatched', api.moderation_count($1::text),"
					  " 'items', api.moderation_queue($1::text, $2::int, $3::int))::text",
					  3, params);
	if (!res)
		return;
	answer_json_text(r, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
}

static const char view_sql[] = "select doc::text from api.submission_get($1::bigint)";

static json_t *load_view(struct request *r, const char *id)
{
	const char *params[1] = {id};
	PGresult *res = resource_query_on(r, r->app->write_pool, view_sql, 1, params);
	if (!res)
		return NULL;
	json_t *doc = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
	if (!PQntuples(res))
		http_problem(r, 404, "not-found", "there is no submission with this id");
	else if (!doc)
		http_problem(r, 500, "internal-error", "the submission could not be read");
	PQclear(res);
	return doc;
}

void admin_submission_get(struct request *r)
{
	struct principal who;
	char id[24];
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0 || submission_id(r, r->target.seg[2], id, sizeof(id)) < 0)
		return;
	json_t *doc = load_view(r, id);
	if (!doc)
		return;
	char *s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	http_respond(r, 200, MEDIA_JSON, s, s ? strlen(s) : 0);
}

void admin_submission_patch(struct request *r)
{
	struct principal who;
	char id[24], outcome[32];
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0 || submission_id(r, r->target.seg[2], id, sizeof(id)) < 0)
		return;
	json_t *view = load_view(r, id);
	if (!view)
		return;
	int rc = submission_apply_patch(r, id, view, "select api.moderation_edit($1::bigint, $2::jsonb, $3::text)",
					who.actor, outcome, sizeof(outcome));
	json_decref(view);
	if (rc == 0)
		submission_answer_outcome(r, id, outcome);
}

/* approve, reject, withdraw: /admin/submissions/{id}/{action} */
void admin_submission_action(struct request *r)
{
	struct principal who;
	char id[24], outcome[32];
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0 || submission_id(r, r->target.seg[2], id, sizeof(id)) < 0)
		return;
	const char *action = r->target.seg[3];
	const char *reason = NULL;
	json_t *body = NULL;
	if (strcmp(action, "reject") == 0 || strcmp(action, "withdraw") == 0) {
		body = body_json(r);
		if (!body)
			return;
		struct verrors errs;
		if (validate_reason(body, strcmp(action, "reject") == 0, &errs)) {
			body_problem_fields(r, &errs);
			json_decref(body);
			return;
		}
		reason = json_string_value(json_object_get(body, "reason"));
	} else if (strcmp(action, "approve") != 0) {
		http_problem(r, 404, "not-found", "the actions are approve, reject and withdraw");
		return;
	}
	PGresult *res;
	if (strcmp(action, "approve") == 0) {
		const char *params[2] = {id, who.actor};
		res = resource_query_on(r, r->app->write_pool, "select api.moderation_approve($1::bigint, $2::text)", 2, params);
	} else {
		const char *params[3] = {id, reason, who.actor};
		res = resource_query_on(r, r->app->write_pool,
					strcmp(action, "reject") == 0
						? "select api.moderation_reject($1::bigint, $2::text, $3::text)"
						: "select api.moderation_withdraw($1::bigint, $2::text, $3::text)",
					3, params);
	}
	json_decref(body);
	if (!res)
		return;
	snprintf(outcome, sizeof(outcome), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	submission_answer_outcome(r, id, outcome);
}

void admin_contact_delete(struct request *r)
{
	struct principal who;
	char id[24];
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0)
		return;
	if (submission_id(r, r->target.seg[2], id, sizeof(id)) < 0)
		return;
	const char *params[2] = {id, who.actor};
	PGresult *res = resource_query_on(r, r->app->write_pool, "select api.contact_erase($1::bigint, $2::text)", 2, params);
	if (!res)
		return;
	int erased = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!erased)
		http_problem(r, 404, "not-found", "there is no contact person with this id");
	else
		http_respond(r, 204, NULL, NULL, 0);
}

static int school_code(struct request *r, const char *code)
{
	if (strlen(code) == 6 && code[0] >= '0' && code[0] <= '9' && code[1] >= '0' && code[1] <= '9' &&
	    code[2] >= 'A' && code[2] <= 'Z' && code[3] >= 'A' && code[3] <= 'Z' && code[4] >= '0' &&
	    code[4] <= '9' && code[5] >= '0' && code[5] <= '9')
		return 0;
	http_problem(r, 404, "not-found", "there is no school location with this vestigingscode");
	return -1;
}

void admin_school_contact(struct request *r)
{
	struct principal who;
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0)
		return;
	const char *code = r->target.seg[2];
	if (school_code(r, code) < 0)
		return;
	PGresult *res;
	if (strcmp(r->method, "PUT") == 0) {
		json_t *body = body_json(r);
		if (!body)
			return;
		struct verrors errs;
		if (validate_school_contact(body, &errs)) {
			body_problem_fields(r, &errs);
			json_decref(body);
			return;
		}
		char *text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		const char *params[3] = {code, text, who.actor};
		res = resource_query_on(r, r->app->write_pool, "select api.school_contact_set($1::text, $2::jsonb, $3::text)", 3, params);
		free(text);
		if (!res)
			return;
		int unknown = strcmp(PQgetvalue(res, 0, 0), "unknown_school") == 0;
		PQclear(res);
		if (unknown) {
			http_problem(r, 404, "not-found", "there is no school location with this vestigingscode");
			return;
		}
	} else if (strcmp(r->method, "DELETE") == 0) {
		const char *params[2] = {code, who.actor};
		res = resource_query_on(r, r->app->write_pool, "select api.school_contact_delete($1::text, $2::text)", 2, params);
		if (!res)
			return;
		int deleted = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		if (!deleted)
			http_problem(r, 404, "not-found", "this school location has no SBO contact person");
		else
			http_respond(r, 204, NULL, NULL, 0);
		return;
	}
	const char *params[1] = {code};
	res = resource_query_on(r, r->app->write_pool, "select api.school_contact_get($1::text)::text", 1, params);
	if (!res)
		return;
	if (PQgetisnull(res, 0, 0))
		http_problem(r, 404, "not-found", "this school location has no SBO contact person");
	else
		answer_json_text(r, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
}

static int is_timestamp(const char *s)
{
	/* 2026-01-31 or 2026-01-31T12:00:00Z and the like; the database parses it exactly */
	size_t n = strlen(s);
	if (n < 10 || n > 35)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789-:T.Z+ ", s[i]))
			return 0;
	return s[4] == '-' && s[7] == '-';
}

void admin_audit_get(struct request *r)
{
	static const char *const entities[] = {"initiative", "party", "contact_person", "organisation", "school_contact",
					       "api_key", "revision", NULL};
	static const struct pspec specs[] = {
		{"entity", PT_ENUM, 0, 0, entities, NULL, NULL, 0, 0},
		{"entity_id", PT_INT, 1, 9e15, NULL, NULL, NULL, 0, 0},
		{"actor", PT_TEXT, 0, 0, NULL, NULL, NULL, 200, 0},
		{"since", PT_LIST, 0, 0, NULL, is_timestamp, "a date or time (RFC 3339)", 0, 0},
		{"until", PT_LIST, 0, 0, NULL, is_timestamp, "a date or time (RFC 3339)", 0, 0},
		{"limit", PT_INT, 1, 1000, NULL, NULL, NULL, 0, 0},
		{"offset", PT_INT, 0, 1000000, NULL, NULL, NULL, 0, 0},
	};
	struct principal who;
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0)
		return;
	struct pvalue v[7];
	struct perrors errs;
	if (query_validate(&r->target, specs, 7, v, &errs)) {
		http_problem_params(r, &errs);
		query_values_release(v, 7);
		return;
	}
	char limit[24], offset[24];
	snprintf(limit, sizeof(limit), "%ld", v[5].present ? v[5].i : 100L);
	snprintf(offset, sizeof(offset), "%ld", v[6].present ? v[6].i : 0L);
	const char *params[7] = {v[0].present ? v[0].raw : NULL, v[1].present ? v[1].raw : NULL,
				 v[2].present ? v[2].raw : NULL, v[3].present ? v[3].raw : NULL,
				 v[4].present ? v[4].raw : NULL, limit, offset};
	struct db_error err;
	PGresult *res = resource_exec(r->app->write_pool,
				      "select api.audit_query($1::text, $2::bigint, $3::text, $4::timestamptz,"
				      " $5::timestamptz, $6::int, $7::int)::text",
				      7, params, &err, 0);
	query_values_release(v, 7);
	if (!res) {
		if (err.status == 400) {
			http_problem_param(r, "since", "invalid_value", "since and until must be dates or times (RFC 3339)");
		} else {
			http_problem_db(r, &err);
		}
		return;
	}
	answer_json_text(r, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
}
