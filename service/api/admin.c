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
#include "store/moderation.h"
#include "lib/banned.h"

static const char *const statuses[] = {"pending", "published", "rejected", "withdrawn", NULL};

/* Answers 200 with the JSON text the store made (taken over), or with the store's error. */
static void answer_json_text(struct request *r, int rc, char *text, const struct db_error *err)
{
	if (rc < 0)
		http_problem_db(r, err);
	else
		http_respond(r, 200, MEDIA_JSON, text, text ? strlen(text) : 0);
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
	char *list;
	struct db_error err;
	int rc = store_moderation_list(r->app->write_pool, v[0].present ? v[0].raw : "pending",
				       v[1].present ? v[1].i : 100L, v[2].present ? v[2].i : 0L, &list, &err);
	answer_json_text(r, rc, list, &err);
}

static json_t *load_view(struct request *r, const char *id)
{
	char *text;
	struct db_error err;
	int rc = store_moderation_get(r->app->write_pool, id, &text, &err);
	if (rc < 0) {
		http_problem_db(r, &err);
		return NULL;
	}
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (rc == 1)
		http_problem(r, 404, "not-found", "there is no submission with this id");
	else if (!doc)
		http_problem(r, 500, "internal-error", "the submission could not be read");
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
	char id[24], outcome[STORE_OUTCOME_BYTES];
	if (auth_require_key(r, ROLE_MODERATOR, &who) < 0 || submission_id(r, r->target.seg[2], id, sizeof(id)) < 0)
		return;
	json_t *view = load_view(r, id);
	if (!view)
		return;
	int rc = submission_apply_patch(r, id, view, store_moderation_edit, who.actor, outcome);
	json_decref(view);
	if (rc == 0)
		submission_answer_outcome(r, id, outcome);
}

/* approve, reject, withdraw: /admin/submissions/{id}/{action} */
void admin_submission_action(struct request *r)
{
	struct principal who;
	char id[24], outcome[STORE_OUTCOME_BYTES];
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
	struct db_error err;
	int rc;
	if (strcmp(action, "approve") == 0)
		rc = store_moderation_approve(r->app->write_pool, id, who.actor, outcome, &err);
	else if (strcmp(action, "reject") == 0)
		rc = store_moderation_reject(r->app->write_pool, id, reason, who.actor, outcome, &err);
	else
		rc = store_moderation_withdraw(r->app->write_pool, id, reason, who.actor, outcome, &err);
	json_decref(body);
	if (rc < 0) {
		http_problem_db(r, &err);
		return;
	}
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
	struct db_error err;
	int rc = store_moderation_contact_erase(r->app->write_pool, id, who.actor, &err);
	if (rc < 0)
		http_problem_db(r, &err);
	else if (rc == 1)
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
	struct db_error err;
	int rc;
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
		rc = store_moderation_school_contact_set(r->app->write_pool, code, text, who.actor, &err);
		free(text);
		if (rc < 0) {
			http_problem_db(r, &err);
			return;
		}
		if (rc == 1) {
			http_problem(r, 404, "not-found", "there is no school location with this vestigingscode");
			return;
		}
	} else if (strcmp(r->method, "DELETE") == 0) {
		rc = store_moderation_school_contact_delete(r->app->write_pool, code, who.actor, &err);
		if (rc < 0)
			http_problem_db(r, &err);
		else if (rc == 1)
			http_problem(r, 404, "not-found", "this school location has no SBO contact person");
		else
			http_respond(r, 204, NULL, NULL, 0);
		return;
	}
	char *contact;
	rc = store_moderation_school_contact_get(r->app->write_pool, code, &contact, &err);
	if (rc == 1)
		http_problem(r, 404, "not-found", "this school location has no SBO contact person");
	else
		answer_json_text(r, rc, contact, &err);
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
	const struct store_audit_filter f = {
		.entity = v[0].present ? v[0].raw : NULL,
		.entity_id = v[1].present ? v[1].raw : NULL,
		.actor = v[2].present ? v[2].raw : NULL,
		.since = v[3].present ? v[3].raw : NULL,
		.until = v[4].present ? v[4].raw : NULL,
	};
	char *page;
	struct db_error err;
	int rc = store_moderation_audit(r->app->write_pool, &f, v[5].present ? v[5].i : 100L,
					v[6].present ? v[6].i : 0L, &page, &err);
	query_values_release(v, 7);
	if (rc < 0 && err.status == 400)
		http_problem_param(r, "since", "invalid_value", "since and until must be dates or times (RFC 3339)");
	else
		answer_json_text(r, rc, page, &err);
}
