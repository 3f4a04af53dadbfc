/* Regional overviews for the ministry: figures per region, the coverage matrix of profiel x
 * niveau with its gaps, and the SBO contact list, as JSON, CSV, XLSX or GeoJSON. The database
 * computes the figures (store/overviews.h); this file shapes them into tables. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "lib/codes.h"
#include "lib/export.h"
#include "api/handlers.h"
#include "api/resource.h"
#include "store/overviews.h"
#include "lib/banned.h"

#define MEDIA_CSV "text/csv; charset=utf-8"
#define MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#define REGION_TYPE(type, label) type,
static const char *const region_types[] = {CODELIST_REGION_TYPE(REGION_TYPE) NULL};
static const char *const formats[] = {"json", "csv", "xlsx", "geojson", NULL};
static const char *const media[] = {MEDIA_JSON, "text/csv", MEDIA_XLSX, MEDIA_GEOJSON, NULL};
static const char *const separators[] = {"comma", "semicolon", NULL};
enum { F_JSON, F_CSV, F_XLSX, F_GEOJSON };

/* --- the columns of the tables --- */

#define C(path, header, meaning) {path, header, meaning, 0}
/* a column per route kind, profiel and opleidingsdomein, in code-list order (lib/codes.h) */
#define ROUTE_KIND(code, meaning, width) {"by_route_kind." code, code, meaning, width},
#define PROFIEL(code, name) {"by_profiel." code, "profiel_" code, "gepubliceerde initiatieven met profiel " name, 10},
#define DOMEIN(code, name) {"by_opleidingsdomein." code, "domein_" code, "gepubliceerde initiatieven in opleidingsdomein " name, 10},

static const struct column overview_cols[] = {
	{"type", "regiotype", "CBS-indeling: provincie, arbeidsmarktregio, rmc of gemeente", 18},
	{"code", "regiocode", "CBS-code van de regio", 10},
	{"name", "regio", "naam van de regio (CBS)", 30},
	C("initiatives", "initiatieven", "gepubliceerde initiatieven in de regio op de peildatum"),
	CODELIST_ROUTE_KIND_OVERVIEW(ROUTE_KIND)
	C("by_niveau.2", "niveau_2", "initiatieven naar mbo-niveau 2 (een initiatief kan meer niveaus hebben)"),
	C("by_niveau.3", "niveau_3", "initiatieven naar mbo-niveau 3"),
	C("by_niveau.4", "niveau_4", "initiatieven naar mbo-niveau 4"),
	CODELIST_PROFIEL(PROFIEL)
	CODELIST_OPLEIDINGSDOMEIN(DOMEIN)
	C("vmbo_locations", "vmbo_vestigingen", "vestigingen met vmbo in de regio (DUO)"),
	C("vmbo_locations_participating", "vmbo_vestigingen_deelnemend", "daarvan partij in minstens één gepubliceerd initiatief"),
	C("vmbo_participation_share", "aandeel_deelnemend", "deelnemende vmbo-vestigingen gedeeld door alle vmbo-vestigingen (0 tot 1)"),
	C("vmbo_students", "vmbo_leerlingen", "leerlingen van de vmbo-vestigingen in de regio (DUO)"),
	C("mbo_institutions", "mbo_instellingen", "verschillende mbo-instellingen die partij zijn"),
	C("companies", "bedrijven", "verschillende bedrijven die partij zijn"),
	C("with_agreement", "met_overeenkomst", "initiatieven met een getekende samenwerkingsovereenkomst"),
	C("with_rio", "met_rio", "initiatieven geregistreerd bij DUO (RIO)"),
	C("with_cohort_guarantee", "met_cohortgarantie", "initiatieven met een cohortgarantie"),
	C("sbo_contact_locations", "vestigingen_met_sbo_contact", "vmbo-vestigingen met een aangewezen Sterk beroepsonderwijs-contactpersoon"),
	C("sbo_contact_share", "aandeel_sbo_contact", "vmbo-vestigingen met SBO-contactpersoon gedeeld door alle vmbo-vestigingen (0 tot 1)"),
};

static const struct column cell_cols[] = {
	{"code", "regiocode", "CBS-code van de regio", 10},
	{"name", "regio", "naam van de regio (CBS)", 30},
	C("vmbo_students", "vmbo_leerlingen", "leerlingen van de vmbo-vestigingen in de regio"),
	{"profiel", "profiel", "vmbo-beroepsgericht profiel", 9},
	C("niveau", "niveau", "mbo-niveau (2, 3 of 4)"),
	C("routes", "routes", "doorlopende leerroutes en geïntegreerde routes met dit profiel naar dit niveau; 0 is een lacune"),
};

static const struct column gap_cols[] = {
	{"code", "regiocode", "CBS-code van de regio zonder route", 10},
	{"name", "regio", "naam van de regio", 30},
	C("vmbo_students", "vmbo_leerlingen", "leerlingen van de vmbo-vestigingen in de regio (grootste regio's eerst)"),
	{"profiel", "profiel", "profiel zonder route naar dit niveau", 9},
	{"profiel_name", "profiel_naam", "naam van het profiel", 34},
	C("niveau", "niveau", "mbo-niveau zonder route"),
};

static const struct column contact_cols[] = {
	{"vestigingscode", "vestigingscode", "DUO-vestigingscode (BRIN + volgnummer)", 14},
	{"school", "school", "naam van de vestiging", 40},
	{"plaats", "plaats", "plaats", 18},
	{"gemeente_code", "gemeente", "CBS-gemeentecode", 10},
	{"contact_source", "bron", "school: aangewezen door het programmateam; initiative: SBO-contact van een initiatief", 10},
	{"name", "naam", "naam van de contactpersoon", 26},
	{"function", "functie", "functie", 24},
	{"email", "email", "e-mailadres (persoonsgegeven: alleen voor geautoriseerd gebruik)", 30},
	{"phone", "telefoon", "telefoonnummer (persoonsgegeven)", 16},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- parameters --- */

static int is_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	struct tm tm = {.tm_year = atoi(s) - 1900, .tm_mon = atoi(s + 5) - 1, .tm_mday = atoi(s + 8), .tm_hour = 12};
	struct tm check = tm;
	time_t t = timegm(&check);
	return t != (time_t)-1 && check.tm_mday == tm.tm_mday && check.tm_mon == tm.tm_mon && tm.tm_year >= 100 &&
	       t <= time(NULL) + 86400;
}

enum { P_AS_OF, P_FORMAT, P_SEP, P_SIMPLIFY };
static const struct pspec overview_specs[] = {
	{"as_of", PT_LIST, 0, 0, NULL, is_date, "a date (YYYY-MM-DD) from 2000 up to today", 0, 0},
	{"f", PT_ENUM, 0, 0, formats, NULL, NULL, 0, 0},
	{"sep", PT_ENUM, 0, 0, separators, NULL, NULL, 0, 0},
	{"simplify", PT_NUMBER, 0, 0.1, NULL, NULL, NULL, 0, 0},
};

struct ask {
	const char *type;
	char as_of[11]; /* YYYY-MM-DD as asked; "" = today, which the database decides (Dutch time) */
	int fmt;
	char sep;
	double simplify; /* degrees; 0: outlines as they are */
};

/* Validates the region type (404), the parameters of the mask `params` (bits: 1 << P_AS_OF ...;
 * others are unknown: 400) and the format (406). */
static int read_ask(struct request *r, struct ask *a, unsigned params, int allowed_formats, int first)
{
	const char *type = r->target.seg[1];
	int ok = 0;
	for (size_t i = 0; region_types[i]; i++)
		ok |= strcmp(region_types[i], type) == 0;
	if (!ok) {
		http_problem(r, 404, "not-found", "region types are provincie, arbeidsmarktregio, rmc and gemeente");
		return -1;
	}
	a->type = type;
	/* the specification of this resource: the parameters in the mask, at their usual index */
	struct pspec specs[4];
	int index[4];
	size_t nspecs = 0;
	for (int k = 0; k < 4; k++) {
		index[k] = -1;
		if (params & (1u << k)) {
			index[k] = (int)nspecs;
			specs[nspecs++] = overview_specs[k];
		}
	}
	struct pvalue got[4], v[4];
	struct perrors errs;
	if (query_validate(&r->target, specs, nspecs, got, &errs)) {
		http_problem_params(r, &errs);
		query_values_release(got, nspecs);
		return -1;
	}
	for (int k = 0; k < 4; k++) {
		if (index[k] >= 0)
			v[k] = got[index[k]];
		else
			memset(&v[k], 0, sizeof(v[k]));
	}
	int explicit_as_of = v[P_AS_OF].present;
	a->as_of[0] = '\0';
	if (explicit_as_of && v[P_AS_OF].nitems != 1) {
		query_values_release(got, nspecs);
		http_problem_param(r, "as_of", "invalid_value", "as_of is one date (YYYY-MM-DD)");
		return -1;
	}
	if (explicit_as_of)
		snprintf(a->as_of, sizeof(a->as_of), "%s", v[P_AS_OF].items[0]);
	a->sep = v[P_SEP].present && strcmp(v[P_SEP].raw, "semicolon") == 0 ? ';' : ',';
	a->simplify = v[P_SIMPLIFY].present ? v[P_SIMPLIFY].num : 0.0;
	/* f names a format; Accept otherwise, among the formats this resource has */
	const char *fs[5] = {NULL}, *ms[5] = {NULL};
	int map[5], n = 0;
	/* the first format answers a client that takes anything */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; formats[i]; i++)
			if ((allowed_formats & (1 << i)) && (pass == 0) == (i == first)) {
				fs[n] = formats[i];
				ms[n] = media[i];
				map[n++] = i;
			}
	if (v[P_FORMAT].present) {
		int k = 0;
		while (k < n && strcmp(fs[k], v[P_FORMAT].raw) != 0)
			k++;
		query_values_release(got, nspecs);
		if (k == n) {
			http_problem_param(r, "f", "invalid_value", "this resource is not available in that format");
			return -1;
		}
		a->fmt = map[k];
		return 0;
	}
	query_values_release(got, nspecs);
	int k = http_negotiate(r, NULL, fs, ms);
	if (k < 0)
		return -1;
	a->fmt = map[k];
	return 0;
}

/* The date asked for, or NULL for today. */
static const char *asked_date(const struct ask *a)
{
	return a->as_of[0] ? a->as_of : NULL;
}

static void download(struct request *r, const struct ask *a, const char *as_of, const char *what, const char *ext)
{
	snprintf(r->resp.disposition, sizeof(r->resp.disposition),
		 "attachment; filename=\"routekaart-%s-%s%s%s.%s\"", what, a->type, as_of ? "-" : "", as_of ? as_of : "", ext);
}

/* Answers with the table(s) in the asked format; json_text is the database's JSON as is, and
 * as_of the date of the figures (NULL for lists that have none). */
static void answer_tables(struct request *r, const struct ask *a, const struct table *tables, size_t n,
			  const char *title, const char *what, const char *json_text, const char *as_of)
{
	if (a->fmt == F_JSON) {
		char *s = strdup(json_text);
		http_ok(r, MEDIA_JSON, s, s ? strlen(s) : 0);
		return;
	}
	if (a->fmt == F_CSV) {
		struct buf b;
		buf_init(&b, (size_t)64 << 20);
		if (export_csv(&b, &tables[0], a->sep) < 0) {
			buf_release(&b);
			http_problem(r, 500, "internal-error", "the CSV could not be built");
			return;
		}
		size_t len;
		char *body = buf_detach(&b, &len);
		http_ok(r, MEDIA_CSV, body, len);
		download(r, a, as_of, what, "csv");
		return;
	}
	char *data;
	size_t len;
	if (export_xlsx(tables, n, title, as_of ? as_of : "", &data, &len) < 0) {
		http_problem(r, 500, "internal-error", "the workbook could not be built");
		return;
	}
	http_ok(r, MEDIA_XLSX, data, len);
	download(r, a, as_of, what, "xlsx");
}

/* --- /overviews/{type} and /overviews/{type}/{code} --- */

/* The regions as GeoJSON features with their figures. */
static void overview_geojson(struct request *r, const struct ask *a, const char *code)
{
	char *geojson;
	size_t len;
	int found;
	struct db_error err;
	if (store_overview_geojson(r->app->pool, a->type, asked_date(a), a->simplify, code,
				   &geojson, &len, &found, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	if (!found) {
		free(geojson);
		http_problem(r, 404, "not-found", "there is no such region");
		return;
	}
	http_ok(r, MEDIA_GEOJSON, geojson, len);
}

static void overview(struct request *r, const char *code)
{
	struct ask a;
	if (read_ask(r, &a, 1 << P_AS_OF | 1 << P_FORMAT | 1 << P_SEP | 1 << P_SIMPLIFY,
		     1 << F_JSON | 1 << F_CSV | 1 << F_XLSX | 1 << F_GEOJSON, F_JSON) < 0)
		return;
	if (a.fmt == F_GEOJSON) {
		overview_geojson(r, &a, code);
		return;
	}
	char *text;
	struct db_error err;
	if (store_overview(r->app->pool, a.type, asked_date(&a), code, &text, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	json_t *doc = json_loads(text, 0, NULL);
	json_t *rows = json_object_get(doc, "regions");
	if (!doc) {
		http_problem(r, 500, "internal-error", "the figures could not be read");
	} else if (code && json_array_size(rows) == 0) {
		char detail[128];
		snprintf(detail, sizeof(detail), "there is no %s with code '%.20s'", a.type, code);
		http_problem(r, 404, "not-found", detail);
	} else {
		struct table t = {"Overzicht", overview_cols, N(overview_cols), rows};
		answer_tables(r, &a, &t, 1, "Samenwerking vmbo-mbo per regio", "overzicht", text,
			      json_string_value(json_object_get(doc, "as_of")));
	}
	json_decref(doc);
	free(text);
}

void overviews_get(struct request *r)
{
	overview(r, NULL);
}

void overview_region_get(struct request *r)
{
	const char *code = r->target.seg[2];
	if (!query_is_region_code(code)) {
		http_problem(r, 404, "not-found", "a region code looks like PV27, AM13, MC21 or GM0363");
		return;
	}
	overview(r, code);
}

/* --- /overviews/{type}/coverage --- */

void coverage_get(struct request *r)
{
	static const char *const niveaus[] = {"2", "3", "4"};
	struct ask a;
	if (read_ask(r, &a, 1 << P_AS_OF | 1 << P_FORMAT | 1 << P_SEP, 1 << F_JSON | 1 << F_CSV | 1 << F_XLSX, F_JSON) < 0)
		return;
	char *text;
	struct db_error err;
	if (store_coverage(r->app->pool, a.type, asked_date(&a), &text, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	json_t *doc = json_loads(text, 0, NULL);
	if (!doc) {
		free(text);
		http_problem(r, 500, "internal-error", "the coverage could not be read");
		return;
	}
	/* the matrix in long form: one row per region, profiel and niveau, zeros included */
	json_t *cells = json_array();
	size_t i;
	json_t *region;
	json_array_foreach(json_object_get(doc, "regions"), i, region) {
		const char *profiel;
		json_t *row;
		json_object_foreach(json_object_get(region, "cells"), profiel, row) {
			for (size_t k = 0; k < 3; k++)
				json_array_append_new(cells, json_pack("{s:O,s:O,s:O,s:s,s:i,s:O}", "code",
								       json_object_get(region, "code"), "name",
								       json_object_get(region, "name"), "vmbo_students",
								       json_object_get(region, "vmbo_students"), "profiel",
								       profiel, "niveau", atoi(niveaus[k]), "routes",
								       json_object_get(row, niveaus[k])));
		}
	}
	json_t *gaps = json_object_get(doc, "gaps");
	/* the gaps as numbers: niveau may come as text */
	json_array_foreach(gaps, i, region) {
		json_t *nv = json_object_get(region, "niveau");
		if (json_is_string(nv))
			json_object_set_new(region, "niveau", json_integer(atoi(json_string_value(nv))));
	}
	struct table t[2] = {{"Dekking", cell_cols, N(cell_cols), cells}, {"Lacunes", gap_cols, N(gap_cols), gaps}};
	answer_tables(r, &a, t, 2, "Dekking profiel x niveau per regio", "dekking", text,
		      json_string_value(json_object_get(doc, "as_of")));
	json_decref(cells);
	json_decref(doc);
	free(text);
}

/* --- /overviews/{type}/{code}/contacts: personal data, analysts and admins only --- */

void region_contacts_get(struct request *r)
{
	struct principal who;
	if (auth_require_key(r, ROLE_ANALYST, &who) < 0)
		return;
	const char *code = r->target.seg[2];
	if (!query_is_region_code(code)) {
		http_problem(r, 404, "not-found", "a region code looks like PV27, AM13, MC21 or GM0363");
		return;
	}
	struct ask a;
	if (read_ask(r, &a, 1 << P_FORMAT | 1 << P_SEP, 1 << F_CSV | 1 << F_XLSX | 1 << F_JSON, F_CSV) < 0)
		return;
	int exists;
	struct db_error err;
	if (store_region_exists(r->app->write_pool, a.type, code, &exists, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	if (!exists) {
		http_problem(r, 404, "not-found", "there is no such region");
		return;
	}
	char *text;
	if (store_region_contacts(r->app->write_pool, a.type, code, &text, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	json_t *rows = json_loads(text, 0, NULL);
	struct table t = {"Contactpersonen", contact_cols, N(contact_cols), rows};
	answer_tables(r, &a, &t, 1, "SBO-contactpersonen per vestiging", "contactpersonen", text, NULL);
	/* personal data: never kept by a cache */
	r->resp.cache_control[0] = '\0';
	json_decref(rows);
	free(text);
}
