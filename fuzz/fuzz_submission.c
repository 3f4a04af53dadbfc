/* Request bodies, as the submission API takes them: body_json (duplicate members refused; a 400
 * with the parser's position, a 422 for anything but an object), validated as POST /submissions
 * does, and as PATCH /submissions/{id} does (the body as an RFC 7396 merge patch over the editable
 * form of a stored submission, with and without a pending revision, then validated whole), and as
 * the moderators' bodies (a school's contact person, a reason); the errors answered by
 * body_problem_fields.
 *
 * Invariants: the 400 is problem JSON with a detail and the position; every error has a message of
 * its own in Dutch and English that fits and is text, and the 422 lists every error; an error's
 * pointer is a JSON pointer to the member at fault, or for a missing member to the object that
 * lacks it; a document without errors has what a submission needs. The merge patch follows RFC
 * 7396 member by member, leaves its target alone, and applying it twice changes nothing. */
#include <jansson.h>

#include "http/body.h"
#include "lib/buf.h"
#include "fuzz.h"
#include "http/http.h"
#include "api/submissions.h"
#include "http/validate.h"

#define THIS_YEAR 2026

/* Stored submissions as api.submission_get gives them (openapi.yaml, SubmissionViewPublished). */
static const char view_published[] =
	"{\"id\":42,\"status\":\"published\",\"created_at\":\"2025-03-03T09:12:44Z\",\"updated_at\":\"2025-03-10T16:40:05Z\","
	"\"published_at\":\"2025-03-04T14:02:11Z\",\"rejection_reason\":null,"
	"\"name\":\"Doorlopende leerroute Zorg en welzijn Zwolle\",\"route_kind\":\"doorlopende_leerroute\","
	"\"leerwegen\":[\"BB\",\"KB\"],\"profielen\":[\"ZW\"],\"niveaus\":[2,3],\"opleidingsdomeinen\":[\"o\"],"
	"\"crebo\":[\"25491\",\"25480\"],\"start_year\":2025,\"description\":\"Leerlingen stromen vanaf leerjaar 3 door.\","
	"\"website\":\"https://www.landstede.example/leerroute-zorg\",\"mailbox\":\"leerroutes@landstede.example\","
	"\"location\":{\"vestigingscode\":\"01AA57\"},"
	"\"conditions\":{\"agreement_signed_on\":\"2024-06-28\",\"agreement_topics\":[\"profiel_domein\",\"inrichting\"],"
	"\"rio_registered\":true,\"combined_pta_oer\":true,\"cohort_guarantee\":true},"
	"\"parties\":[{\"role\":\"vo\",\"vestigingscode\":\"01AA57\",\"name\":\"Landstede loc. Thomas a Kempis\",\"plaats\":\"Zwolle\"},"
	"{\"role\":\"mbo\",\"brin\":\"99AA\",\"name\":\"Demo mbo College Zwolle\",\"plaats\":\"Zwolle\"},"
	"{\"role\":\"bedrijf\",\"kvk\":\"12345678\",\"name\":\"Zorggroep Zwolle Oost\",\"plaats\":\"Zwolle\"},"
	"{\"role\":\"overig\",\"name\":\"Regionaal Opleidingsnetwerk Zorg IJsselland\"}],"
	"\"contacts\":[{\"id\":77,\"name\":\"Anna de Vries\",\"function\":\"teamleider\",\"email\":\"a.devries@landstede.example\","
	"\"phone\":\"+31 38 123 4567\",\"sbo_contact\":true,\"public_consent\":true},"
	"{\"id\":78,\"name\":\"Bram Jansen\",\"function\":null,\"email\":\"b.jansen@landstede.example\",\"phone\":null,"
	"\"sbo_contact\":false,\"public_consent\":false}]}";

static const char pending_revision[] =
	"{\"created_at\":\"2025-03-10T16:40:05Z\",\"document\":{\"name\":\"Doorlopende leerroute Zorg en welzijn Zwolle\","
	"\"route_kind\":\"geintegreerde_route\",\"leerwegen\":[\"BB\"],\"profielen\":[\"ZW\"],\"niveaus\":[2],"
	"\"opleidingsdomeinen\":[\"o\"],\"parties\":[{\"role\":\"vo\",\"vestigingscode\":\"01AA57\"},"
	"{\"role\":\"mbo\",\"brin\":\"99AA\"}],\"contacts\":[{\"id\":77,\"name\":\"Anna de Vries\","
	"\"email\":\"a.devries@landstede.example\",\"sbo_contact\":true,\"public_consent\":true}]}}";

static json_t *views[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	views[0] = json_loads(view_published, JSON_REJECT_DUPLICATES, NULL);
	views[1] = json_deep_copy(views[0]);
	json_object_set_new(views[1], "pending_revision", json_loads(pending_revision, JSON_REJECT_DUPLICATES, NULL));
	if (!views[0] || !json_object_get(views[1], "pending_revision"))
		abort();
	return 0;
}

/* --- JSON pointers (RFC 6901) --- */

static const json_t *resolve(const json_t *doc, const char *ptr)
{
	if (!*ptr)
		return doc;
	if (*ptr != '/')
		return NULL;
	const json_t *v = doc;
	const char *p = ptr + 1;
	char tok[256];
	for (;;) {
		size_t n = 0;
		for (; *p && *p != '/'; p++) {
			char c = *p;
			if (c == '~') {
				if (p[1] != '0' && p[1] != '1')
					return NULL;
				c = p[1] == '0' ? '~' : '/';
				p++;
			}
			if (n + 1 >= sizeof(tok))
				return NULL;
			tok[n++] = c;
		}
		tok[n] = '\0';
		if (json_is_object(v)) {
			v = json_object_get(v, tok);
		} else if (json_is_array(v)) {
			if (!n || strspn(tok, "0123456789") != n || (n > 1 && tok[0] == '0') || n > 9)
				return NULL;
			v = json_array_get(v, (size_t)strtoul(tok, NULL, 10));
		} else {
			return NULL;
		}
		if (!v)
			return NULL;
		if (!*p)
			return v;
		p++;
	}
}

static void parent_of(const char *ptr, char *dst, size_t n)
{
	const char *slash = strrchr(ptr, '/');
	size_t len = slash ? (size_t)(slash - ptr) : 0;
	snprintf(dst, n, "%.*s", (int)len, ptr);
}

/* --- the errors --- */

static void check_errors(const json_t *doc, const struct verrors *e, size_t returned, const char *what)
{
	FUZZ_CHECK(returned == e->n && e->n <= VALIDATE_MAX_ERRORS, "%s: %zu errors returned, %zu listed", what,
		   returned, e->n);
	for (size_t i = 0; i < e->n; i++) {
		const struct verror *v = &e->v[i];
		FUZZ_CHECK(v->code && FUZZ_TERMINATED(v->pointer) && FUZZ_TERMINATED(v->param), "%s: error %zu is broken",
			   what, i);
		FUZZ_CHECK(fuzz_utf8(v->pointer) && fuzz_utf8(v->param), "%s: error %s at a pointer that is not text",
			   what, v->code);
		for (int lang = LANG_NL; lang <= LANG_EN; lang++) {
			char msg[400]; /* as body_problem_fields */
			validate_message(v, (enum lang)lang, msg, sizeof(msg));
			FUZZ_CHECK(strlen(msg) < sizeof(msg) - 1 && fuzz_utf8(msg), "%s: message for %s cut short or not text",
				   what, v->code);
			FUZZ_CHECK(strcmp(v->code, "invalid") == 0 ||
					   (strcmp(msg, "ongeldige waarde") != 0 && strcmp(msg, "invalid value") != 0),
				   "%s: code %s has no message of its own", what, v->code);
			json_t *item = json_pack("{s:s,s:s,s:s}", "pointer", v->pointer, "code", v->code, "message", msg);
			FUZZ_CHECK(item != NULL, "%s: error %s at '%s' cannot go into the answer", what, v->code, v->pointer);
			json_decref(item);
		}
		/* a pointer cut at the length of its buffer cannot resolve */
		if (strlen(v->pointer) + 4 >= sizeof(v->pointer))
			continue;
		if (resolve(doc, v->pointer))
			continue;
		char parent[sizeof(v->pointer)];
		parent_of(v->pointer, parent, sizeof(parent));
		const json_t *up = resolve(doc, parent);
		FUZZ_CHECK((strcmp(v->code, "required") == 0 || strcmp(v->code, "party_identity") == 0) &&
				   json_is_object(up),
			   "%s: error %s at '%s', which is not in the document", what, v->code, v->pointer);
	}
}

static size_t count_role(const json_t *parties, const char *role)
{
	size_t n = 0, i;
	json_t *p;
	json_array_foreach(parties, i, p) n += strcmp(json_string_value(json_object_get(p, "role")), role) == 0;
	return n;
}

/* What the database may rely on in a document that passed. */
static void check_valid_submission(const json_t *doc, const char *what)
{
	static const char *const required[] = {"name", "route_kind", "leerwegen", "niveaus", "opleidingsdomeinen",
					       "parties", "contacts", NULL};
	for (size_t i = 0; required[i]; i++)
		FUZZ_CHECK(json_object_get(doc, required[i]) && !json_is_null(json_object_get(doc, required[i])),
			   "%s: passed without %s", what, required[i]);
	const json_t *nv = json_object_get(doc, "niveaus");
	size_t i;
	json_t *x;
	FUZZ_CHECK(json_array_size(nv) >= 1 && json_array_size(nv) <= 3, "%s: passed with %zu niveaus", what,
		   json_array_size(nv));
	json_array_foreach(nv, i, x)
		FUZZ_CHECK(json_is_integer(x) && json_integer_value(x) >= 2 && json_integer_value(x) <= 4,
			   "%s: passed with niveau %zu out of range", what, i);
	const json_t *parties = json_object_get(doc, "parties");
	FUZZ_CHECK(count_role(parties, "vo") >= 1 && count_role(parties, "mbo") >= 1, "%s: passed without vo and mbo",
		   what);
	const json_t *contacts = json_object_get(doc, "contacts");
	FUZZ_CHECK(json_array_size(contacts) >= 1 && json_array_size(contacts) <= 10, "%s: passed with %zu contacts",
		   what, json_array_size(contacts));
	const json_t *name = json_object_get(doc, "name");
	FUZZ_CHECK(json_is_string(name) && json_string_length(name) >= 3 && json_string_length(name) <= 800,
		   "%s: passed with a name of %zu bytes", what, json_string_length(name));
	char *text = json_dumps(doc, JSON_COMPACT);
	FUZZ_CHECK(text != NULL, "%s: a valid document cannot be written for the database", what);
	free(text);
}

/* --- RFC 7396 --- */

static void check_merge(const json_t *target, const json_t *patch, const json_t *out, int depth)
{
	if (!json_is_object(patch)) {
		FUZZ_CHECK(json_equal(out, patch), "merge: a non-object patch is not the result (depth %d)", depth);
		return;
	}
	FUZZ_CHECK(json_is_object(out), "merge: an object patch gives no object (depth %d)", depth);
	const char *key;
	json_t *pv;
	json_object_foreach((json_t *)patch, key, pv) {
		json_t *ov = json_object_get(out, key);
		if (json_is_null(pv)) {
			FUZZ_CHECK(ov == NULL, "merge: '%s' set to null is still there (depth %d)", key, depth);
			continue;
		}
		FUZZ_CHECK(ov != NULL, "merge: '%s' of the patch is missing (depth %d)", key, depth);
		check_merge(json_object_get(target, key), pv, ov, depth + 1);
	}
	json_t *ov;
	json_object_foreach((json_t *)out, key, ov) {
		const json_t *in_patch = json_object_get(patch, key);
		if (!in_patch) {
			const json_t *tv = json_is_object(target) ? json_object_get(target, key) : NULL;
			FUZZ_CHECK(tv && json_equal(tv, ov), "merge: '%s' is not the target's (depth %d)", key, depth);
		}
	}
}

static json_t *merge(const json_t *target, const json_t *patch)
{
	json_t *before = json_deep_copy(target);
	json_t *out = validate_merge_patch(target, patch);
	FUZZ_CHECK(out != NULL, "merge: no result");
	FUZZ_CHECK(json_equal(before, target), "merge: the target was changed");
	json_decref(before);
	check_merge(target, patch, out, 0);
	json_t *again = validate_merge_patch(out, patch);
	FUZZ_CHECK(json_equal(again, out), "merge: applying the patch twice changes the result");
	json_decref(again);
	return out;
}

/* --- the answers --- */

static void request_init(struct request *r, const uint8_t *data, size_t size)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 1 << 20);
	if (size && buf_append(&r->body, data, size) < 0)
		abort();
}

static void request_release(struct request *r)
{
	free(r->resp.body);
	buf_release(&r->body);
}

/* The problem document a request was answered with. New reference. */
static json_t *answer(const struct request *r, unsigned status, const char *type)
{
	FUZZ_CHECK(r->responded && r->resp.status == status, "answered %u, not %u", r->resp.status, status);
	FUZZ_CHECK(r->resp.content_type && strcmp(r->resp.content_type, "application/problem+json") == 0,
		   "the %u is not problem JSON", status);
	json_t *doc = json_loadb(r->resp.body, r->resp.len, 0, NULL);
	FUZZ_CHECK(doc && json_is_object(doc), "the %u is not a JSON object", status);
	const char *t = json_string_value(json_object_get(doc, "type"));
	FUZZ_CHECK(t && strcmp(t, type) == 0, "the %u has the type %s, not %s", status, t ? t : "(none)", type);
	FUZZ_CHECK(json_is_string(json_object_get(doc, "detail")), "the %u %s has no detail", status, type);
	return doc;
}

/* The 422 of body_problem_fields lists every error, as it is. */
static void check_answer_fields(const struct verrors *e, const char *what)
{
	struct request r;
	request_init(&r, NULL, 0);
	body_problem_fields(&r, e);
	json_t *doc = answer(&r, 422, "/problems/validation-failed");
	const json_t *list = json_object_get(doc, "errors");
	FUZZ_CHECK(json_array_size(list) == e->n, "%s: %zu errors, %zu answered", what, e->n, json_array_size(list));
	for (size_t i = 0; i < e->n; i++) {
		const json_t *item = json_array_get(list, i);
		const char *ptr = json_string_value(json_object_get(item, "pointer"));
		const char *code = json_string_value(json_object_get(item, "code"));
		const char *msg = json_string_value(json_object_get(item, "message"));
		FUZZ_CHECK(ptr && code && msg && strcmp(ptr, e->v[i].pointer) == 0 && strcmp(code, e->v[i].code) == 0 &&
				   *msg,
			   "%s: error %zu (%s at '%s') answered as %s at '%s'", what, i, e->v[i].code, e->v[i].pointer,
			   code ? code : "-", ptr ? ptr : "-");
	}
	json_decref(doc);
	request_release(&r);
}

static void validate_all(const json_t *doc, const char *what)
{
	struct verrors errs;
	size_t n = validate_submission(doc, THIS_YEAR, &errs);
	check_errors(doc, &errs, n, what);
	if (n == 0)
		check_valid_submission(doc, what);
	else
		check_answer_fields(&errs, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request r;
	request_init(&r, data, size);
	json_t *doc = body_json(&r);
	if (!doc) {
		if (r.resp.status == 400) {
			json_t *a = answer(&r, 400, "/problems/malformed-json");
			FUZZ_CHECK(json_is_integer(json_object_get(a, "line")) && json_is_integer(json_object_get(a, "column")) &&
					   json_is_integer(json_object_get(a, "position")),
				   "the 400 has no position");
			json_decref(a);
			request_release(&r);
			return 0;
		}
		/* JSON, but not an object: refused as a body; the merge patch still takes it */
		json_decref(answer(&r, 422, "/problems/validation-failed"));
		doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
		FUZZ_CHECK(doc && !json_is_object(doc), "body_json refused a JSON object");
	}
	request_release(&r);
	for (int i = 0; i < 2; i++) {
		json_t *current = submission_editable(views[i]);
		json_t *merged = merge(current, doc);
		if (json_is_object(doc))
			validate_all(merged, i ? "PATCH over a pending revision" : "PATCH");
		json_decref(merged);
		json_decref(current);
	}
	if (json_is_object(doc)) {
		validate_all(doc, "POST");
		struct verrors errs;
		size_t n = validate_school_contact(doc, &errs);
		check_errors(doc, &errs, n, "school contact");
		for (int required = 0; required < 2; required++) {
			n = validate_reason(doc, required, &errs);
			check_errors(doc, &errs, n, "reason");
		}
		json_t *self = merge(doc, doc);
		json_decref(self);
	}
	json_decref(doc);
	return 0;
}
