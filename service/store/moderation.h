/* The programme team's side of the database: the moderation queue and its decisions, the SBO
 * contact of each school location, erasure of contact persons, the audit log. Each call runs one
 * api.* statement once on the pool it is given (the write pool: nothing here is sent a second
 * time) and returns 0, or -1 with err filled; 1 where a comment says so. */
#ifndef RK_STORE_MODERATION_H
#define RK_STORE_MODERATION_H

#include "store/db.h"
#include "store/submissions.h"

/* One page of the queue of submissions with this status, as JSON text in *list (malloc'd, the
 * caller frees it): {status, numberMatched, items} (api.moderation_count, api.moderation_queue). */
int store_moderation_list(struct db_pool *pool, const char *status, long limit, long offset, char **list,
			  struct db_error *err);

/* The submission as moderators see it (api.submission_get), as JSON text in *doc (malloc'd, the
 * caller frees it). Returns 1 when there is no submission with this id (*doc NULL). */
int store_moderation_get(struct db_pool *pool, const char *id, char **doc, struct db_error *err);

/* api.moderation_edit: a moderator's change of the document to doc (JSON text); updated or
 * not_found in outcome. */
int store_moderation_edit(struct db_pool *pool, const char *id, const char *doc, const char *actor,
			  char outcome[STORE_OUTCOME_BYTES], struct db_error *err);

/* api.moderation_approve: published, revision_applied, nothing_pending or not_found in outcome. */
int store_moderation_approve(struct db_pool *pool, const char *id, const char *actor,
			     char outcome[STORE_OUTCOME_BYTES], struct db_error *err);
/* api.moderation_reject with reason: rejected, revision_rejected, nothing_pending or not_found. */
int store_moderation_reject(struct db_pool *pool, const char *id, const char *reason, const char *actor,
			    char outcome[STORE_OUTCOME_BYTES], struct db_error *err);
/* api.moderation_withdraw with reason (may be NULL): withdrawn, not_editable or not_found. */
int store_moderation_withdraw(struct db_pool *pool, const char *id, const char *reason, const char *actor,
			      char outcome[STORE_OUTCOME_BYTES], struct db_error *err);

/* api.contact_erase: erases the contact person with this id. Returns 1 when there is none. */
int store_moderation_contact_erase(struct db_pool *pool, const char *contact, const char *actor,
				   struct db_error *err);

/* api.school_contact_get: the SBO contact of the school location code, as JSON text in *contact
 * (malloc'd, the caller frees it). Returns 1 when it has none (*contact NULL). */
int store_moderation_school_contact_get(struct db_pool *pool, const char *code, char **contact,
					struct db_error *err);
/* api.school_contact_set to doc (JSON text). Returns 1 when no school location has this code. */
int store_moderation_school_contact_set(struct db_pool *pool, const char *code, const char *doc,
					const char *actor, struct db_error *err);
/* api.school_contact_delete. Returns 1 when the school location has no SBO contact. */
int store_moderation_school_contact_delete(struct db_pool *pool, const char *code, const char *actor,
					   struct db_error *err);

/* What an audit query asks for: each member as text, NULL for any. */
struct store_audit_filter {
	const char *entity;
	const char *entity_id;
	const char *actor;
	const char *since, *until; /* dates or times; not one is err->status 400 */
};

/* api.audit_query: one page of the audit log entries that match, as JSON text in *page
 * (malloc'd, the caller frees it). */
int store_moderation_audit(struct db_pool *pool, const struct store_audit_filter *f, long limit, long offset,
			   char **page, struct db_error *err);

#endif
