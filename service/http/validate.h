/* Validation of request bodies, field by field: every error at once, each with a JSON pointer
 * into the body, a stable code and a message in Dutch or English. Pure code. */
#ifndef RK_VALIDATE_H
#define RK_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#define VALIDATE_MAX_ERRORS 64

struct verror {
	char pointer[160];
	const char *code; /* static */
	char param[200];  /* what the message names: a limit, the allowed values, a format */
};

struct verrors {
	struct verror v[VALIDATE_MAX_ERRORS];
	size_t n;
};

enum lang { LANG_NL, LANG_EN };

void verrors_add(struct verrors *e, const char *pointer, const char *code, const char *param);

/* A submission document (POST /submissions, and the result of applying a PATCH). this_year is
 * the current calendar year (start years are checked against it). Returns the error count. */
size_t validate_submission(const json_t *doc, int this_year, struct verrors *errs);

/* The designated SBO contact of a school location: {name, function, email, phone}. */
size_t validate_school_contact(const json_t *doc, struct verrors *errs);

/* {"reason": "..."} of a rejection or withdrawal; required says whether reason must be there. */
size_t validate_reason(const json_t *doc, int required, struct verrors *errs);

/* The message for an error in the language asked for, into dst. */
void validate_message(const struct verror *e, enum lang lang, char *dst, size_t n);

/* Language from an Accept-Language header: English when it prefers en, else Dutch. */
enum lang validate_lang(const char *accept_language);

/* RFC 7396 merge patch: a new document = target with patch applied (null removes a member). */
json_t *validate_merge_patch(const json_t *target, const json_t *patch);

#endif
