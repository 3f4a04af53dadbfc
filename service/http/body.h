/* Request bodies: JSON parsing with a precise 400, and 422 answers listing every field error. */
#ifndef RK_BODY_H
#define RK_BODY_H

#include <jansson.h>

#include "store/db.h"
#include "http/validate.h"

struct request;

/* Parses the request body as one JSON object (duplicate keys refused). Answers 400
 * malformed-json with line and column, and returns NULL, when it is not. New reference. */
json_t *body_json(struct request *r);

/* Answers 422 validation-failed with errors [{pointer, code, message}] in the request's language. */
void body_problem_fields(struct request *r, const struct verrors *errs);

/* Appends the errors of a jsonb array [{pointer, code}] (from the database) to errs, skipping any
 * pointer+code already there. */
void body_add_db_errors(struct verrors *errs, const char *json_array_text);

/* Answers a failed write: a constraint violation as 422 naming its field, anything else as
 * http_problem_db does. */
void body_problem_constraint(struct request *r, const struct db_error *e);

#endif
