#include "http/validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/http.h"
#include "lib/codes.h"
#include "lib/utf8.h"
#include "lib/banned.h"

/* Copies what fits; pointers and parameters are bounded by the checks that make them. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void verrors_add(struct verrors *e, const char *pointer, const char *code, const char *param)
{
	if (e->n == VALIDATE_MAX_ERRORS)
		return;
	struct verror *v = &e->v[e->n++];
	copy_cut(v->pointer, sizeof(v->pointer), pointer);
	v->code = code;
	copy_cut(v->param, sizeof(v->param), param ? param : "");
}

/* --- shapes --- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int matches(const char *s, const char *shape)
{
	/* shape: 9 = digit, A = upper-case letter, anything else literal */
	for (; *shape; shape++, s++) {
		if (!*s)
			return 0;
		if (*shape == '9' ? !isdigit((unsigned char)*s) : *shape == 'A' ? !isupper((unsigned char)*s) : *s != *shape)
			return 0;
	}
	return *s == '\0';
}

static int is_email(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n > 254 || !at || at == s || strchr(at + 1, '@'))
		return 0;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 0x21)
			return 0;
	const char *dot = strchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] && s[n - 1] != '.' && !strstr(at, "..");
}

static int is_url(const char *s)
{
	const char *host;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	if (strlen(s) > 500)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
			return 0;
	size_t hlen = strcspn(host, "/?#");
	const char *dot = memchr(host, '.', hlen);
	return hlen > 2 && dot && dot != host && dot < host + hlen - 1 && !memchr(host, '@', hlen);
}

/* ^\+?[0-9][0-9 ()-]{5,19}$, as the database checks it */
static int is_phone(const char *s)
{
	const char *p = s + (*s == '+');
	size_t n = strlen(p);
	if (!isdigit((unsigned char)*p) || n < 6 || n > 20)
		return 0;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr(" ()-", *p))
			return 0;
	return 1;
}

static int is_date(const char *s)
{
	if (!matches(s, "9999-99-99"))
		return 0;
	struct tm tm = {0};
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = 12;
	struct tm check = tm;
	if (timegm(&check) == (time_t)-1)
		return 0;
	return check.tm_mon == tm.tm_mon && check.tm_mday == tm.tm_mday && tm.tm_year >= 100 && tm.tm_year <= 200;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static void join(char *dst, size_t n, const char *const *list)
{
	size_t used = 0;
	dst[0] = '\0';
	for (; *list && used < n; list++) {
		int w = snprintf(dst + used, n - used, "%s%s", used ? ", " : "", *list);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* --- field checks; each returns 0 when the value is usable --- */

struct ctx {
	struct verrors *errs;
	char ptr[128];
};

/* base/key as a JSON pointer (RFC 6901: ~ and / in a member name are written ~0 and ~1), cut if it
 * must be at a whole character, so that it stays text. */
static void at(char *dst, size_t n, const char *base, const char *key)
{
	int w = snprintf(dst, n, "%s/", base);
	if (w < 0 || (size_t)w >= n)
		return;
	size_t o = (size_t)w;
	for (const char *k = key; *k;) {
		if (*k == '~' || *k == '/') {
			if (o + 2 >= n)
				break;
			dst[o++] = '~';
			dst[o++] = *k == '~' ? '0' : '1';
			k++;
			continue;
		}
		size_t len = utf8_char(k); /* member names are UTF-8: jansson refuses anything else */
		if (!len)
			len = 1;
		if (o + len >= n)
			break;
		memcpy(dst + o, k, len);
		o += len;
		k += len;
	}
	dst[o] = '\0';
}

static void at_index(char *dst, size_t n, const char *base, size_t i)
{
	snprintf(dst, n, "%s/%zu", base, i);
}

static int want_type(struct verrors *e, const char *ptr, const json_t *v, json_type t, const char *name)
{
	if (json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v)))
		return 0;
	verrors_add(e, ptr, "type", name);
	return -1;
}

static int check_string(struct verrors *e, const char *ptr, const json_t *v, size_t min, size_t max)
{
	if (want_type(e, ptr, v, JSON_STRING, "string") < 0)
		return -1;
	const char *s = json_string_value(v);
	size_t n = utf8_chars(s);
	char lim[24];
	if (strlen(s) != json_string_length(v)) {
		verrors_add(e, ptr, "invalid_text", NULL); /* a NUL character inside */
		return -1;
	}
	if (n < min) {
		snprintf(lim, sizeof(lim), "%zu", min);
		verrors_add(e, ptr, "too_short", lim);
		return -1;
	}
	if (n > max) {
		snprintf(lim, sizeof(lim), "%zu", max);
		verrors_add(e, ptr, "too_long", lim);
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') {
			verrors_add(e, ptr, "invalid_text", NULL);
			return -1;
		}
	}
	return 0;
}

/* A string in the given shape: fmt names it in messages. */
static int check_format(struct verrors *e, const char *ptr, const json_t *v, size_t max, int (*ok)(const char *),
			const char *fmt)
{
	if (check_string(e, ptr, v, 1, max) < 0)
		return -1;
	if (!ok(json_string_value(v))) {
		verrors_add(e, ptr, "format", fmt);
		return -1;
	}
	return 0;
}

static int is_vestigingscode(const char *s) { return matches(s, "99AA99"); }
static int is_brin(const char *s) { return matches(s, "99AA"); }
static int is_kvk(const char *s) { return matches(s, "99999999"); }
static int is_crebo(const char *s) { return matches(s, "99999"); }

/* An array of distinct codes from list, with at least min and at most max of them. */
static void check_codes(struct verrors *e, const char *ptr, const json_t *v, const char *const *list, size_t min,
			size_t max)
{
	if (want_type(e, ptr, v, JSON_ARRAY, "array") < 0)
		return;
	char lim[24], item[160], allowed[200];
	size_t n = json_array_size(v);
	if (n < min) {
		snprintf(lim, sizeof(lim), "%zu", min);
		verrors_add(e, ptr, "too_few", lim);
	}
	if (n > max) {
		snprintf(lim, sizeof(lim), "%zu", max);
		verrors_add(e, ptr, "too_many", lim);
		return;
	}
	join(allowed, sizeof(allowed), list);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(v, i);
		at_index(item, sizeof(item), ptr, i);
		if (want_type(e, item, c, JSON_STRING, "string") < 0)
			continue;
		if (!in_list(list, json_string_value(c))) {
			verrors_add(e, item, "not_allowed", allowed);
			continue;
		}
		for (size_t k = 0; k < i; k++)
			if (json_equal(c, json_array_get(v, k))) {
				verrors_add(e, item, "duplicate", NULL);
				break;
			}
	}
}

/* Unknown members of an object are errors: a typo must not be silently dropped. */
static void check_members(struct verrors *e, const char *ptr, const json_t *obj, const char *const *known)
{
	const char *key;
	json_t *v;
	char p[160];
	json_object_foreach((json_t *)obj, key, v) {
		if (!in_list(known, key)) {
			at(p, sizeof(p), ptr, key);
			verrors_add(e, p, "unknown_field", NULL);
		}
	}
}

static const json_t *member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static void check_niveaus(struct verrors *e, const json_t *v)
{
	if (want_type(e, "/niveaus", v, JSON_ARRAY, "array") < 0)
		return;
	size_t n = json_array_size(v);
	if (n == 0)
		verrors_add(e, "/niveaus", "too_few", "1");
	if (n > 3) {
		verrors_add(e, "/niveaus", "too_many", "3");
		return;
	}
	char item[32];
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(v, i);
		at_index(item, sizeof(item), "/niveaus", i);
		if (want_type(e, item, c, JSON_INTEGER, "integer") < 0)
			continue;
		json_int_t lvl = json_integer_value(c);
		if (lvl == 1)
			verrors_add(e, item, "entree_not_allowed", NULL);
		else if (lvl < 2 || lvl > 4)
			verrors_add(e, item, "out_of_range", "2-4");
		else
			for (size_t k = 0; k < i; k++)
				if (json_equal(c, json_array_get(v, k))) {
					verrors_add(e, item, "duplicate", NULL);
					break;
				}
	}
}

static int array_is(const json_t *v, const char *only)
{
	return json_is_array(v) && json_array_size(v) == 1 && json_is_string(json_array_get(v, 0)) &&
	       strcmp(json_string_value(json_array_get(v, 0)), only) == 0;
}

static void check_location(struct verrors *e, const json_t *v)
{
	static const char *const known[] = {"vestigingscode", "lon", "lat", NULL};
	if (want_type(e, "/location", v, JSON_OBJECT, "object") < 0)
		return;
	check_members(e, "/location", v, known);
	const json_t *code = member(v, "vestigingscode"), *lon = member(v, "lon"), *lat = member(v, "lat");
	if (code && (lon || lat)) {
		verrors_add(e, "/location", "location_choice", NULL);
		return;
	}
	if (code) {
		check_format(e, "/location/vestigingscode", code, 6, is_vestigingscode, "vestigingscode");
		return;
	}
	if (!lon || !lat) {
		verrors_add(e, lon ? "/location/lat" : "/location/lon", "required", NULL);
		return;
	}
	/* The Netherlands' bounding box; the database checks the point against the gemeenten. */
	if (want_type(e, "/location/lon", lon, json_is_integer(lon) ? JSON_INTEGER : JSON_REAL, "number") == 0 &&
	    (json_number_value(lon) < 3.2 || json_number_value(lon) > 7.3))
		verrors_add(e, "/location/lon", "outside_netherlands", NULL);
	if (want_type(e, "/location/lat", lat, json_is_integer(lat) ? JSON_INTEGER : JSON_REAL, "number") == 0 &&
	    (json_number_value(lat) < 50.7 || json_number_value(lat) > 53.7))
		verrors_add(e, "/location/lat", "outside_netherlands", NULL);
}

static void check_conditions(struct verrors *e, const json_t *v)
{
	static const char *const known[] = {"agreement_signed_on", "agreement_topics", "rio_registered",
					    "combined_pta_oer", "cohort_guarantee", NULL};
	if (want_type(e, "/conditions", v, JSON_OBJECT, "object") < 0)
		return;
	check_members(e, "/conditions", v, known);
	const json_t *signed_on = member(v, "agreement_signed_on"), *t = member(v, "agreement_topics");
	if (signed_on)
		check_format(e, "/conditions/agreement_signed_on", signed_on, 10, is_date, "date");
	if (t) {
		check_codes(e, "/conditions/agreement_topics", t, codes_agreement_topics, 0, CODELIST_AGREEMENT_TOPIC_N);
		if (json_array_size(t) > 0 && !signed_on)
			verrors_add(e, "/conditions/agreement_signed_on", "required", NULL);
	}
	const char *flags[] = {"rio_registered", "combined_pta_oer", "cohort_guarantee"};
	for (size_t i = 0; i < 3; i++) {
		const json_t *f = member(v, flags[i]);
		char p[64];
		at(p, sizeof(p), "/conditions", flags[i]);
		if (f)
			want_type(e, p, f, JSON_TRUE, "boolean");
	}
}

static void check_parties(struct verrors *e, const json_t *v)
{
	static const char *const known[] = {"role", "vestigingscode", "brin", "kvk", "name", "plaats", NULL};
	if (want_type(e, "/parties", v, JSON_ARRAY, "array") < 0)
		return;
	size_t n = json_array_size(v);
	if (n > 20) {
		verrors_add(e, "/parties", "too_many", "20");
		return;
	}
	int vo = 0, mbo = 0;
	char allowed[64], base[32], p[64];
	join(allowed, sizeof(allowed), codes_party_roles);
	for (size_t i = 0; i < n; i++) {
		const json_t *party = json_array_get(v, i);
		at_index(base, sizeof(base), "/parties", i);
		if (want_type(e, base, party, JSON_OBJECT, "object") < 0)
			continue;
		check_members(e, base, party, known);
		const json_t *role = member(party, "role");
		at(p, sizeof(p), base, "role");
		if (!role) {
			verrors_add(e, p, "required", NULL);
			continue;
		}
		if (want_type(e, p, role, JSON_STRING, "string") < 0)
			continue;
		const char *r = json_string_value(role);
		if (!in_list(codes_party_roles, r)) {
			verrors_add(e, p, "not_allowed", allowed);
			continue;
		}
		const json_t *code = member(party, "vestigingscode"), *brin = member(party, "brin");
		const json_t *kvk = member(party, "kvk"), *name = member(party, "name"), *plaats = member(party, "plaats");
		if (code) {
			at(p, sizeof(p), base, "vestigingscode");
			check_format(e, p, code, 6, is_vestigingscode, "vestigingscode");
		}
		if (brin) {
			at(p, sizeof(p), base, "brin");
			check_format(e, p, brin, 4, is_brin, "brin");
		}
		if (kvk) {
			at(p, sizeof(p), base, "kvk");
			check_format(e, p, kvk, 8, is_kvk, "kvk");
		}
		if (name) {
			at(p, sizeof(p), base, "name");
			check_string(e, p, name, 2, 200);
		}
		if (plaats) {
			at(p, sizeof(p), base, "plaats");
			check_string(e, p, plaats, 1, 100);
		}
		/* what identifies each kind of party, and nothing else */
		int ok = 1;
		if (strcmp(r, "vo") == 0) {
			vo++;
			ok = code && !brin && !kvk;
			at(p, sizeof(p), base, "vestigingscode");
		} else if (strcmp(r, "mbo") == 0) {
			mbo++;
			ok = (code != NULL) != (brin != NULL) && !kvk;
			at(p, sizeof(p), base, "brin");
		} else if (strcmp(r, "bedrijf") == 0) {
			ok = kvk && name && !code && !brin;
			at(p, sizeof(p), base, kvk ? "name" : "kvk");
		} else {
			ok = name && !code && !brin && !kvk;
			at(p, sizeof(p), base, "name");
		}
		if (!ok)
			verrors_add(e, p, "party_identity", r);
	}
	if (!vo || !mbo)
		verrors_add(e, "/parties", "needs_vo_and_mbo", NULL);
}

static void check_contacts(struct verrors *e, const json_t *v)
{
	static const char *const known[] = {"id", "name", "function", "email", "phone", "sbo_contact", "public_consent", NULL};
	if (want_type(e, "/contacts", v, JSON_ARRAY, "array") < 0)
		return;
	size_t n = json_array_size(v);
	if (n == 0)
		verrors_add(e, "/contacts", "too_few", "1");
	if (n > 10) {
		verrors_add(e, "/contacts", "too_many", "10");
		return;
	}
	char base[32], p[64];
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(v, i);
		at_index(base, sizeof(base), "/contacts", i);
		if (want_type(e, base, c, JSON_OBJECT, "object") < 0)
			continue;
		check_members(e, base, c, known);
		const json_t *f;
		at(p, sizeof(p), base, "name");
		if (!(f = member(c, "name")))
			verrors_add(e, p, "required", NULL);
		else
			check_string(e, p, f, 2, 200);
		at(p, sizeof(p), base, "email");
		if (!(f = member(c, "email")))
			verrors_add(e, p, "required", NULL);
		else
			check_format(e, p, f, 254, is_email, "email");
		at(p, sizeof(p), base, "function");
		if ((f = member(c, "function")))
			check_string(e, p, f, 1, 200);
		at(p, sizeof(p), base, "phone");
		if ((f = member(c, "phone")))
			check_format(e, p, f, 21, is_phone, "phone");
		at(p, sizeof(p), base, "id");
		if ((f = member(c, "id")) && want_type(e, p, f, JSON_INTEGER, "integer") == 0 && json_integer_value(f) < 1)
			verrors_add(e, p, "out_of_range", ">= 1");
		at(p, sizeof(p), base, "sbo_contact");
		if ((f = member(c, "sbo_contact")))
			want_type(e, p, f, JSON_TRUE, "boolean");
		at(p, sizeof(p), base, "public_consent");
		if ((f = member(c, "public_consent")))
			want_type(e, p, f, JSON_TRUE, "boolean");
	}
}

size_t validate_submission(const json_t *doc, int this_year, struct verrors *errs)
{
	static const char *const known[] = {"name", "route_kind", "leerwegen", "profielen", "niveaus",
					    "opleidingsdomeinen", "crebo", "start_year", "description", "website",
					    "mailbox", "location", "conditions", "parties", "contacts", NULL};
	errs->n = 0;
	if (!json_is_object(doc)) {
		verrors_add(errs, "", "type", "object");
		return errs->n;
	}
	check_members(errs, "", doc, known);
	static const char *const required[] = {"name", "route_kind", "leerwegen", "niveaus", "opleidingsdomeinen",
					       "parties", "contacts", NULL};
	for (size_t i = 0; required[i]; i++) {
		if (!member(doc, required[i])) {
			char p[64];
			at(p, sizeof(p), "", required[i]);
			verrors_add(errs, p, "required", NULL);
		}
	}
	const json_t *v;
	char allowed[200];
	if ((v = member(doc, "name")))
		check_string(errs, "/name", v, 3, 200);
	if ((v = member(doc, "route_kind")) && want_type(errs, "/route_kind", v, JSON_STRING, "string") == 0 &&
	    !in_list(codes_route_kinds, json_string_value(v))) {
		join(allowed, sizeof(allowed), codes_route_kinds);
		verrors_add(errs, "/route_kind", "not_allowed", allowed);
	}
	const json_t *lw = member(doc, "leerwegen"), *pr = member(doc, "profielen"), *nv = member(doc, "niveaus");
	if (lw)
		check_codes(errs, "/leerwegen", lw, codes_leerwegen, 1, CODELIST_LEERWEG_N);
	if (pr)
		check_codes(errs, "/profielen", pr, codes_profielen, 0, CODELIST_PROFIEL_N);
	/* only a route in the theoretische leerweg has no beroepsgericht profiel */
	if ((!pr || json_array_size(pr) == 0) && lw && !array_is(lw, "TL"))
		verrors_add(errs, "/profielen", "required", NULL);
	if (nv)
		check_niveaus(errs, nv);
	if ((v = member(doc, "opleidingsdomeinen")))
		check_codes(errs, "/opleidingsdomeinen", v, codes_domeinen, 1, CODELIST_OPLEIDINGSDOMEIN_N);
	const json_t *kind = member(doc, "route_kind");
	if (json_is_string(kind) && strcmp(json_string_value(kind), "geintegreerde_route") == 0) {
		/* by law: basisberoepsgerichte leerweg to mbo niveau 2 */
		if (lw && !array_is(lw, "BB"))
			verrors_add(errs, "/leerwegen", "geintegreerde_route_bb", NULL);
		if (nv && !(json_is_array(nv) && json_array_size(nv) == 1 && json_integer_value(json_array_get(nv, 0)) == 2))
			verrors_add(errs, "/niveaus", "geintegreerde_route_niveau", NULL);
	}
	if ((v = member(doc, "crebo")) && want_type(errs, "/crebo", v, JSON_ARRAY, "array") == 0) {
		if (json_array_size(v) > 50)
			verrors_add(errs, "/crebo", "too_many", "50");
		else
			for (size_t i = 0; i < json_array_size(v); i++) {
				char p[32];
				at_index(p, sizeof(p), "/crebo", i);
				check_format(errs, p, json_array_get(v, i), 5, is_crebo, "crebo");
			}
	}
	if ((v = member(doc, "start_year")) && want_type(errs, "/start_year", v, JSON_INTEGER, "integer") == 0) {
		json_int_t y = json_integer_value(v);
		if (y < 2010 || y > this_year + 5) {
			char range[32];
			snprintf(range, sizeof(range), "2010-%d", this_year + 5);
			verrors_add(errs, "/start_year", "out_of_range", range);
		}
	}
	if ((v = member(doc, "description")))
		check_string(errs, "/description", v, 1, 5000);
	if ((v = member(doc, "website")))
		check_format(errs, "/website", v, 500, is_url, "url");
	if ((v = member(doc, "mailbox")))
		check_format(errs, "/mailbox", v, 254, is_email, "email");
	if ((v = member(doc, "location")))
		check_location(errs, v);
	if ((v = member(doc, "conditions")))
		check_conditions(errs, v);
	if ((v = member(doc, "parties")))
		check_parties(errs, v);
	if ((v = member(doc, "contacts")))
		check_contacts(errs, v);
	return errs->n;
}

size_t validate_school_contact(const json_t *doc, struct verrors *errs)
{
	static const char *const known[] = {"name", "function", "email", "phone", NULL};
	errs->n = 0;
	if (!json_is_object(doc)) {
		verrors_add(errs, "", "type", "object");
		return errs->n;
	}
	check_members(errs, "", doc, known);
	const json_t *v;
	if (!(v = member(doc, "name")))
		verrors_add(errs, "/name", "required", NULL);
	else
		check_string(errs, "/name", v, 2, 200);
	if (!(v = member(doc, "email")))
		verrors_add(errs, "/email", "required", NULL);
	else
		check_format(errs, "/email", v, 254, is_email, "email");
	if ((v = member(doc, "function")))
		check_string(errs, "/function", v, 1, 200);
	if ((v = member(doc, "phone")))
		check_format(errs, "/phone", v, 21, is_phone, "phone");
	return errs->n;
}

size_t validate_reason(const json_t *doc, int required, struct verrors *errs)
{
	static const char *const known[] = {"reason", NULL};
	errs->n = 0;
	if (!json_is_object(doc)) {
		verrors_add(errs, "", "type", "object");
		return errs->n;
	}
	check_members(errs, "", doc, known);
	const json_t *v = member(doc, "reason");
	if (!v) {
		if (required)
			verrors_add(errs, "/reason", "required", NULL);
	} else {
		check_string(errs, "/reason", v, 1, 2000);
	}
	return errs->n;
}

json_t *validate_merge_patch(const json_t *target, const json_t *patch)
{
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v)) {
			json_object_del(out, key);
		} else {
			json_t *merged = validate_merge_patch(json_object_get(out, key), v);
			json_object_set_new(out, key, merged);
		}
	}
	return out;
}

/* --- messages --- */

struct message {
	const char *code;
	const char *nl;
	const char *en;
};

/* %s is the error's param */
static const struct message messages[] = {
	{"required", "dit veld is verplicht", "this field is required"},
	{"type", "moet van het type %s zijn", "must be of type %s"},
	{"unknown_field", "onbekend veld", "unknown field"},
	{"invalid_text", "bevat niet-toegestane tekens", "contains characters that are not allowed"},
	{"too_short", "te kort: minstens %s tekens", "too short: at least %s characters"},
	{"too_long", "te lang: hoogstens %s tekens", "too long: at most %s characters"},
	{"too_few", "te weinig: minstens %s", "too few: at least %s"},
	{"too_many", "te veel: hoogstens %s", "too many: at most %s"},
	{"not_allowed", "ongeldige waarde; kies uit: %s", "not an allowed value; choose from: %s"},
	{"duplicate", "komt dubbel voor", "appears twice"},
	{"format", "ongeldig formaat (%s)", "not a valid %s"},
	{"out_of_range", "buiten het toegestane bereik (%s)", "out of range (%s)"},
	{"entree_not_allowed", "een route naar Entree (niveau 1) is niet toegestaan; kies niveau 2, 3 of 4",
	 "a route to Entree (niveau 1) is not allowed; choose niveau 2, 3 or 4"},
	{"geintegreerde_route_bb", "een geïntegreerde route gaat uit van de basisberoepsgerichte leerweg (BB) alleen",
	 "a geïntegreerde route starts from the basisberoepsgerichte leerweg (BB) only"},
	{"geintegreerde_route_niveau", "een geïntegreerde route leidt naar mbo-niveau 2",
	 "a geïntegreerde route leads to mbo niveau 2"},
	{"needs_vo_and_mbo", "een route heeft minstens één vo-partij en één mbo-partij",
	 "a route needs at least one vo party and one mbo party"},
	{"party_identity",
	 "deze partij (%s) wordt aangeduid met: vo een vestigingscode; mbo een BRIN of vestigingscode; bedrijf een KvK-nummer en naam; overig een naam",
	 "this party (%s) is identified by: vo a vestigingscode; mbo a BRIN or vestigingscode; bedrijf a KvK number and name; overig a name"},
	{"location_choice", "geef een vestigingscode of lon/lat, niet beide",
	 "give either a vestigingscode or lon/lat, not both"},
	{"outside_netherlands", "deze locatie ligt niet in Nederland", "this location is not in the Netherlands"},
	{"unknown_vestiging", "deze vestigingscode is onbekend (DUO)", "this vestigingscode is unknown (DUO)"},
	{"not_vmbo", "deze vestiging biedt geen vmbo aan", "this school location offers no vmbo"},
	{"unknown_brin", "deze BRIN is geen bekende mbo-instelling", "this BRIN is not a known mbo institution"},
	{"not_mbo", "deze vestiging is geen mbo-instelling", "this school location is not an mbo institution"},
	{"profiel_domein_mismatch", "dit opleidingsdomein past bij geen van de gekozen profielen",
	 "this opleidingsdomein fits none of the chosen profielen"},
	{"no_location", "geef een locatie of een vo-partij met een vestiging",
	 "give a location or a vo party with a school location"},
	{"invalid", "ongeldige waarde", "invalid value"},
};

void validate_message(const struct verror *e, enum lang lang, char *dst, size_t n)
{
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++) {
		if (strcmp(messages[i].code, e->code) == 0) {
			const char *fmt = lang == LANG_EN ? messages[i].en : messages[i].nl;
			/* fmt comes from the table above: at most one %s */
			if (strstr(fmt, "%s"))
				snprintf(dst, n, fmt, e->param);
			else
				snprintf(dst, n, "%s", fmt);
			return;
		}
	}
	snprintf(dst, n, "%s", lang == LANG_EN ? "invalid value" : "ongeldige waarde");
}

/* The highest weight a language was given, and the range (0, 1, ...) that first gave it. */
struct lang_pick {
	int w, at;
};

enum lang validate_lang(const char *al)
{
	/* The answer is Dutch or English: English when the client weighs en (or any en-XX) above nl
	 * (or above "*", which stands for nl when nl is not named), or the same and names it first at
	 * that weight; Dutch otherwise. A range with a malformed q-value counts for nothing. */
	if (!al)
		return LANG_NL;
	struct lang_pick en = {-1, 0}, nl = {-1, 0}, any = {-1, 0};
	struct http_weighted w;
	int range = 0;
	for (const char *p = al; http_next_weighted(&p, &w); range++) {
		size_t primary = 0; /* the primary subtag: up to a '-' */
		while (primary < w.vlen && w.v[primary] != '-' && w.v[primary] != ' ' && w.v[primary] != '\t')
			primary++;
		struct lang_pick *which = NULL;
		if (primary == 2 && strncasecmp(w.v, "en", 2) == 0)
			which = &en;
		else if (primary == 2 && strncasecmp(w.v, "nl", 2) == 0)
			which = &nl;
		else if (w.vlen == 1 && w.v[0] == '*')
			which = &any;
		if (which && w.q > which->w) {
			which->w = w.q;
			which->at = range;
		}
	}
	const struct lang_pick *dutch = nl.w >= 0 ? &nl : &any;
	if (en.w > 0 && (en.w > dutch->w || (en.w == dutch->w && en.at < dutch->at)))
		return LANG_EN;
	return LANG_NL;
}
