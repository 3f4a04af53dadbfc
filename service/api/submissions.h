/* What the submission and moderation handlers share. */
#ifndef RK_SUBMISSIONS_H
#define RK_SUBMISSIONS_H

#include <jansson.h>
#include <stddef.h>

#include "store/submissions.h"

struct request;

/* Answers 429 and returns -1 when the address made too many changes; else 0. */
int submission_rate_limited(struct request *r);
/* Validates a full document here and in the database: 0, or -1 when it answered (422 with every
 * error, or the database's failure). */
int submission_check(struct request *r, const json_t *doc);
/* A positive whole number from the path into dst: 0, or -1 when it answered 404. */
int submission_id(struct request *r, const char *s, char *dst, size_t n);
/* The input-shaped document of a submission view (the pending revision when there is one). */
json_t *submission_editable(const json_t *view);
/* Merges the request's merge patch over the editable document of view, validates the result and
 * stores it through edit (store_submission_update or store_moderation_edit) as actor. 0 with the
 * database's outcome word in outcome; or -1 after answering (400, 422, 429, 500, 503). */
int submission_apply_patch(struct request *r, const char *id, const json_t *view,
			   store_submission_edit_fn *edit, const char *actor, char outcome[STORE_OUTCOME_BYTES]);
/* 200 with the outcome and the submission as it is now, or 404/409 for the outcomes that are
 * refusals. */
void submission_answer_outcome(struct request *r, const char *id, const char *outcome);

#endif
