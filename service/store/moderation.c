#include "store/moderation.h"

#include <stdio.h>
#include <string.h>

#include "store/pg.h"
#include "lib/banned.h"

int store_moderation_list(struct db_pool *pool, const char *status, long limit, long offset, char **list,
			  struct db_error *err)
{
	char lim[24], off[24];
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	const char *params[3] = {status, lim, off};
	return db_run_text(pool, "select page from api.moderation_page($1::text, $2::int, $3::int)", 3, params,
			   DB_READ_RETRY, "page", list, NULL, err) < 0 ? -1 : 0;
}

int store_moderation_get(struct db_pool *pool, const char *id, char **doc, struct db_error *err)
{
	const char *params[1] = {id};
	return db_run_text(pool, "select doc::text as doc from api.submission_get($1::bigint)", 1, params,
			   DB_READ_RETRY, "doc", doc, NULL, err);
}

int store_moderation_edit(struct db_pool *pool, const char *id, const char *doc, const char *actor,
			  char outcome[STORE_OUTCOME_BYTES], struct db_error *err)
{
	const char *params[3] = {id, doc, actor};
	return db_run_word(pool, "select api.moderation_edit($1::bigint, $2::jsonb, $3::text) as outcome", 3,
			   params, DB_ONCE, "outcome", outcome, STORE_OUTCOME_BYTES, err);
}

int store_moderation_approve(struct db_pool *pool, const char *id, const char *actor,
			     char outcome[STORE_OUTCOME_BYTES], struct db_error *err)
{
	const char *params[2] = {id, actor};
	return db_run_word(pool, "select api.moderation_approve($1::bigint, $2::text) as outcome", 2, params,
			   DB_ONCE, "outcome", outcome, STORE_OUTCOME_BYTES, err);
}

int store_moderation_reject(struct db_pool *pool, const char *id, const char *reason, const char *actor,
			    char outcome[STORE_OUTCOME_BYTES], struct db_error *err)
{
	const char *params[3] = {id, reason, actor};
	return db_run_word(pool, "select api.moderation_reject($1::bigint, $2::text, $3::text) as outcome", 3,
			   params, DB_ONCE, "outcome", outcome, STORE_OUTCOME_BYTES, err);
}

int store_moderation_withdraw(struct db_pool *pool, const char *id, const char *reason, const char *actor,
			      char outcome[STORE_OUTCOME_BYTES], struct db_error *err)
{
	const char *params[3] = {id, reason, actor};
	return db_run_word(pool, "select api.moderation_withdraw($1::bigint, $2::text, $3::text) as outcome", 3,
			   params, DB_ONCE, "outcome", outcome, STORE_OUTCOME_BYTES, err);
}

/* A boolean statement: 0 when it said true, 1 when false, -1 when it failed. */
static int yes_no(struct db_pool *pool, const char *sql, int n, const char *const *params,
		  struct db_error *err)
{
	char v[8];
	if (db_run_word(pool, sql, n, params, DB_ONCE, "done", v, sizeof(v), err) < 0)
		return -1;
	return v[0] == 't' ? 0 : 1;
}

int store_moderation_contact_erase(struct db_pool *pool, const char *contact, const char *actor,
				   struct db_error *err)
{
	const char *params[2] = {contact, actor};
	return yes_no(pool, "select api.contact_erase($1::bigint, $2::text) as done", 2, params, err);
}

int store_moderation_school_contact_get(struct db_pool *pool, const char *code, char **contact,
					struct db_error *err)
{
	const char *params[1] = {code};
	int rc = db_run_text(pool, "select api.school_contact_get($1::text)::text as contact", 1, params, DB_READ_RETRY,
			     "contact", contact, NULL, err);
	return rc < 0 ? -1 : *contact ? 0 : 1;
}

int store_moderation_school_contact_set(struct db_pool *pool, const char *code, const char *doc,
					const char *actor, struct db_error *err)
{
	const char *params[3] = {code, doc, actor};
	char outcome[STORE_OUTCOME_BYTES];
	if (db_run_word(pool, "select api.school_contact_set($1::text, $2::jsonb, $3::text) as outcome", 3, params,
			DB_ONCE, "outcome", outcome, sizeof(outcome), err) < 0)
		return -1;
	return strcmp(outcome, "unknown_school") == 0 ? 1 : 0;
}

int store_moderation_school_contact_delete(struct db_pool *pool, const char *code, const char *actor,
					   struct db_error *err)
{
	const char *params[2] = {code, actor};
	return yes_no(pool, "select api.school_contact_delete($1::text, $2::text) as done", 2, params, err);
}

int store_moderation_audit(struct db_pool *pool, const struct store_audit_filter *f, long limit, long offset,
			   char **page, struct db_error *err)
{
	char lim[24], off[24];
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	const char *params[7] = {f->entity, f->entity_id, f->actor, f->since, f->until, lim, off};
	return db_run_text(pool,
			   "select api.audit_query($1::text, $2::bigint, $3::text, $4::timestamptz,"
			   " $5::timestamptz, $6::int, $7::int)::text as page",
			   7, params, DB_READ_RETRY, "page", page, NULL, err) < 0 ? -1 : 0;
}
