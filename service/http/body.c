#include "http/body.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "lib/utf8.h"
#include "lib/banned.h"

json_t *body_json(struct request *r)
{
	json_error_t err;
	json_t *doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		/* The parser quotes the body near the error, and may quote one byte of a character (after
		 * a backslash): such bytes become '?', or the detail would not be text and be left out. */
		for (char *p = err.text; *p;) {
			size_t n = utf8_char(p);
			if (n) {
				p += n;
			} else {
				*p++ = '?';
			}
		}
		char detail[300];
		snprintf(detail, sizeof(detail), "the body is not valid JSON: %s (line %d, column %d)", err.text,
			 err.line, err.column);
		http_problem(r, 400, "malformed-json", detail);
		json_t *p = json_loads(r->resp.body, 0, NULL);
		if (p) {
			/* the position as members too, for forms that point at it */
			json_object_set_new(p, "line", json_integer(err.line));
			json_object_set_new(p, "column", json_integer(err.column));
			json_object_set_new(p, "position", json_integer(err.position));
			char *s = json_dumps(p, JSON_COMPACT);
			json_decref(p);
			if (s) {
				http_respond(r, 400, "application/problem+json", s, strlen(s));
			}
		}
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		struct verrors errs = {0};
		verrors_add(&errs, "", "type", "object");
		body_problem_fields(r, &errs);
		return NULL;
	}
	return doc;
}

void body_problem_fields(struct request *r, const struct verrors *errs)
{
	enum lang lang = validate_lang(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Language"));
	char detail[128];
	snprintf(detail, sizeof(detail),
		 lang == LANG_EN ? "%zu field(s) need correcting; see errors" : "%zu veld(en) moeten worden verbeterd; zie errors",
		 errs->n);
	http_problem(r, 422, "validation-failed", detail);
	json_t *doc = json_loads(r->resp.body, 0, NULL);
	if (!doc)
		return;
	json_t *list = json_array();
	for (size_t i = 0; i < errs->n; i++) {
		char msg[400];
		validate_message(&errs->v[i], lang, msg, sizeof(msg));
		json_t *pointer = json_string(errs->v[i].pointer);
		json_array_append_new(list, json_pack("{s:o,s:s,s:s}", "pointer", pointer ? pointer : json_string(""),
						      "code", errs->v[i].code, "message", msg));
	}
	json_object_set_new(doc, "errors", list);
	char *s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (s)
		http_respond(r, 422, "application/problem+json", s, strlen(s));
}

/* Codes the database may return, as static strings for struct verror. */
static const char *const db_codes[] = {"unknown_vestiging", "not_vmbo", "not_mbo", "unknown_brin", "profiel_domein_mismatch",
				       "outside_netherlands", "no_location", NULL};

void body_add_db_errors(struct verrors *errs, const char *text)
{
	json_t *list = text ? json_loads(text, 0, NULL) : NULL;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *ptr = json_string_value(json_object_get(e, "pointer"));
		const char *code = json_string_value(json_object_get(e, "code"));
		if (!ptr || !code)
			continue;
		const char *known = "invalid";
		for (size_t k = 0; db_codes[k]; k++)
			if (strcmp(db_codes[k], code) == 0)
				known = db_codes[k];
		/* the same error, or one already reported inside this member ("/location/lon" makes
		 * the database's "/location" redundant) */
		int dup = 0;
		size_t plen = strlen(ptr);
		for (size_t k = 0; k < errs->n && !dup; k++)
			dup = (strcmp(errs->v[k].pointer, ptr) == 0 && strcmp(errs->v[k].code, known) == 0) ||
			      (strncmp(errs->v[k].pointer, ptr, plen) == 0 && errs->v[k].pointer[plen] == '/');
		if (!dup)
			verrors_add(errs, ptr, known, NULL);
	}
	json_decref(list);
}

void body_problem_constraint(struct request *r, const struct db_error *e)
{
	/* constraints are named table_field_check: the field is the JSON member of the same name */
	const char *tables[] = {"initiative_", "contact_person_", "organisation_", "party_", "school_contact_", NULL};
	if (e->status == 422 && e->constraint[0]) {
		for (size_t t = 0; tables[t]; t++) {
			size_t tl = strlen(tables[t]);
			size_t cl = strlen(e->constraint);
			if (strncmp(e->constraint, tables[t], tl) != 0 || cl <= tl + 6)
				continue;
			char field[64];
			size_t fl = cl - tl;
			const char *suffix = strrchr(e->constraint, '_');
			if (suffix)
				fl = (size_t)(suffix - e->constraint) - tl;
			if (fl == 0 || fl >= sizeof(field))
				break;
			memcpy(field, e->constraint + tl, fl);
			field[fl] = '\0';
			char ptr[80];
			snprintf(ptr, sizeof(ptr), "%s/%s", strcmp(tables[t], "initiative_") == 0 ? "" :
				 strcmp(tables[t], "contact_person_") == 0 ? "/contacts" : "/parties", field);
			struct verrors errs = {0};
			verrors_add(&errs, ptr, "invalid", NULL);
			body_problem_fields(r, &errs);
			return;
		}
	}
	http_problem_db(r, e);
}
