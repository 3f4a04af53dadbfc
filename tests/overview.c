/* Integration tests of the regional overviews: figures against independently written SQL for every
 * region type, the CSV parsed back, the XLSX read back, every cell of both for every region type
 * against tests/overview-figures.sql (kaart.* and ref.* only), GeoJSON, as_of, the coverage gaps,
 * and the contact list behind an analyst's key. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char analyst_key[128], moderator_key[128];

static void create_key(const char *role, char *key, size_t n)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' keys create --role %s --name 'overviews-%s-%d' 2>/dev/null",
		 getenv("RK_TEST_DATABASE_URL"), getenv("RK_SERVER"), role, role, (int)getpid());
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(key, (int)n, p) || pclose(p) != 0) {
		fprintf(stderr, "overviews: cannot create a key\n");
		exit(EXIT_FAILURE);
	}
	key[strcspn(key, "\n")] = '\0';
}

static void setup(void)
{
	create_key("analyst", analyst_key, sizeof(analyst_key));
	create_key("moderator", moderator_key, sizeof(moderator_key));
	harness_setup();
}

static json_t *overview_json(const char *path)
{
	struct resp r = get(path, NULL);
	ck_assert_msg(r.status == 200, "%s: %ld %.300s", path, r.status, r.body);
	json_t *j = json_incref(r.json);
	resp_free(&r);
	return j;
}

static json_t *find_region(json_t *regions, const char *code)
{
	size_t i;
	json_t *g;
	json_array_foreach(regions, i, g) {
		if (strcmp(json_string_value(json_object_get(g, "code")), code) == 0)
			return g;
	}
	return NULL;
}

#define PUBLISHED "i.status = 'published'"
/* the gemeente of an initiative, derived independently of its region_codes */
#define GEM "coalesce((select s.gemeente_code from ref.school_location s where s.vestigingscode = i.location_vestiging)," \
	    " (select g.code from ref.region g where g.type = 'gemeente' and st_intersects(g.geom, i.geom) limit 1))"

struct region_case {
	const char *type, *code, *column; /* column of ref.gemeente_regio, NULL for gemeente */
	long n;
};

static const struct region_case region_cases[] = {
	{"provincie", "PV27", "provincie_code", 12},
	{"arbeidsmarktregio", "AM13", "arbeidsmarktregio_code", 35},
	{"rmc", "MC21", "rmc_code", 40},
	{"gemeente", "GM0363", NULL, 342},
};

/* SQL condition: gemeente code expression e lies in the case's region */
static void in_region(char *dst, size_t n, const struct region_case *c, const char *e)
{
	if (c->column)
		snprintf(dst, n, "(select gr.%s from ref.gemeente_regio gr where gr.gemeente_code = %s) = '%s'", c->column, e, c->code);
	else
		snprintf(dst, n, "%s = '%s'", e, c->code);
}

static long q(const char *fmt, const char *a, const char *b)
{
	char sql[4096];
	snprintf(sql, sizeof(sql), fmt, a, b);
	return sql_long(sql);
}

START_TEST(figures_match_sql)
{
	const struct region_case *c = &region_cases[_i];
	char path[128], ini[512], sch[512];
	snprintf(path, sizeof(path), "/overviews/%s", c->type);
	json_t *doc = overview_json(path);
	json_t *regions = json_object_get(doc, "regions");
	ck_assert_int_eq((long)json_array_size(regions), c->n);
	/* every published initiative lies in exactly one region of each type */
	long sum = 0;
	size_t i;
	json_t *g;
	json_array_foreach(regions, i, g)
		sum += (long)json_integer_value(json_object_get(g, "initiatives"));
	ck_assert_int_eq(sum, sql_long("select count(*) from kaart.initiative where status = 'published'"));

	json_t *reg = find_region(regions, c->code);
	ck_assert_ptr_nonnull(reg);
	in_region(ini, sizeof(ini), c, GEM);
	in_region(sch, sizeof(sch), c, "s.gemeente_code");
	struct { const char *field; long want; } checks[] = {
		{"initiatives", q("select count(*) from kaart.initiative i where " PUBLISHED " and %s", ini, "")},
		{"by_niveau.3", q("select count(*) from kaart.initiative i where " PUBLISHED " and 3 = any(i.niveaus) and %s", ini, "")},
		{"by_profiel.ZW", q("select count(*) from kaart.initiative i where " PUBLISHED " and 'ZW' = any(i.profielen) and %s", ini, "")},
		{"by_route_kind.doorlopende_leerroute", q("select count(*) from kaart.initiative i where " PUBLISHED " and i.route_kind = 'doorlopende_leerroute' and %s", ini, "")},
		{"by_opleidingsdomein.o", q("select count(*) from kaart.initiative i where " PUBLISHED " and 'o' = any(i.opleidingsdomeinen) and %s", ini, "")},
		{"with_agreement", q("select count(*) from kaart.initiative i where " PUBLISHED " and i.agreement_signed_on is not null and %s", ini, "")},
		{"with_rio", q("select count(*) from kaart.initiative i where " PUBLISHED " and i.rio_registered and %s", ini, "")},
		{"vmbo_locations", q("select count(*) from ref.school_location s where s.vmbo and %s", sch, "")},
		{"vmbo_locations_participating", q("select count(*) from ref.school_location s where s.vmbo and %s and exists (select 1 from kaart.party p join kaart.initiative i on i.id = p.initiative_id where p.vestigingscode = s.vestigingscode and " PUBLISHED ")", sch, "")},
		{"mbo_institutions", q("select count(distinct p.organisation_id) from kaart.party p join kaart.initiative i on i.id = p.initiative_id join kaart.organisation o on o.id = p.organisation_id where o.kind = 'mbo' and " PUBLISHED " and %s", ini, "")},
		{"companies", q("select count(distinct p.organisation_id) from kaart.party p join kaart.initiative i on i.id = p.initiative_id join kaart.organisation o on o.id = p.organisation_id where o.kind = 'company' and " PUBLISHED " and %s", ini, "")},
	};
	for (size_t k = 0; k < sizeof(checks) / sizeof(checks[0]); k++) {
		const char *f = checks[k].field;
		char key[64];
		snprintf(key, sizeof(key), "%s", f);
		json_t *v = reg;
		for (char *part = key, *dot; v && part; part = dot ? dot + 1 : NULL) {
			dot = strchr(part, '.');
			if (dot)
				*dot = '\0';
			v = json_object_get(v, part);
		}
		ck_assert_msg(json_is_integer(v), "%s %s: %s is not a whole number", c->type, c->code, f);
		ck_assert_msg(json_integer_value(v) == checks[k].want, "%s %s: %s = %lld, SQL says %ld", c->type, c->code, f,
			      (long long)json_integer_value(v), checks[k].want);
	}
	ck_assert_msg(json_integer_value(json_object_get(reg, "initiatives")) > 0, "pick a region with initiatives");
	json_decref(doc);
}
END_TEST

START_TEST(one_region_and_errors)
{
	json_t *doc = overview_json("/overviews/arbeidsmarktregio/AM13");
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "regions")), 1);
	json_decref(doc);
	const char *missing[] = {"/overviews/arbeidsmarktregio/AM99", "/overviews/arbeidsmarktregio/xx", "/overviews/wijk",
				 "/overviews/wijk/coverage"};
	for (size_t i = 0; i < 4; i++) {
		struct resp r = get(missing[i], NULL);
		ck_assert_msg(r.status == 404, "%s: %ld", missing[i], r.status);
		ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "/problems/not-found");
		resp_free(&r);
	}
	const char *bad[] = {"/overviews/rmc?as_of=2024-02-30", "/overviews/rmc?as_of=gisteren", "/overviews/rmc?as_of=2999-01-01",
			     "/overviews/rmc?colour=red", "/overviews/rmc/coverage?f=geojson", "/overviews/rmc?f=pdf"};
	for (size_t i = 0; i < 6; i++) {
		struct resp r = get(bad[i], NULL);
		ck_assert_msg(r.status == 400, "%s: %ld", bad[i], r.status);
		ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "/problems/invalid-parameter");
		resp_free(&r);
	}
	struct resp r = get("/overviews/rmc", (const char *const[]){"Accept: image/png", NULL});
	ck_assert_int_eq(r.status, 406);
	resp_free(&r);
}
END_TEST

/* RFC 4180 parsing, as a spreadsheet would: returns rows of fields (json arrays of strings). */
static json_t *parse_csv(const char *s, size_t len, char sep)
{
	json_t *rows = json_array(), *row = json_array();
	char *field = malloc(len + 1);
	size_t f = 0, i = 0;
	int quoted = 0;
	while (i < len) {
		char c = s[i];
		if (quoted) {
			if (c == '"' && i + 1 < len && s[i + 1] == '"') {
				field[f++] = '"';
				i += 2;
				continue;
			}
			if (c == '"')
				quoted = 0;
			else
				field[f++] = c;
			i++;
			continue;
		}
		if (c == '"' && f == 0) {
			quoted = 1;
		} else if (c == sep) {
			field[f] = '\0';
			json_array_append_new(row, json_string(field));
			f = 0;
		} else if (c == '\r' && i + 1 < len && s[i + 1] == '\n') {
			field[f] = '\0';
			json_array_append_new(row, json_string(field));
			json_array_append_new(rows, row);
			row = json_array();
			f = 0;
			i++;
		} else {
			field[f++] = c;
		}
		i++;
	}
	json_decref(row);
	free(field);
	return rows;
}

START_TEST(csv_parses_back)
{
	json_t *doc = overview_json("/overviews/arbeidsmarktregio");
	struct resp r = get("/overviews/arbeidsmarktregio?f=csv", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "text/csv; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Content-Disposition"), ".csv"));
	ck_assert(r.len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0);
	json_t *rows = parse_csv(r.body + 3, r.len - 3, ',');
	ck_assert_uint_eq(json_array_size(rows), 36);
	json_t *header = json_array_get(rows, 0);
	ck_assert_str_eq(json_string_value(json_array_get(header, 0)), "regiotype");
	ck_assert_str_eq(json_string_value(json_array_get(header, 1)), "regiocode");
	ck_assert_str_eq(json_string_value(json_array_get(header, 3)), "initiatieven");
	size_t ncols = json_array_size(header);
	/* every row has every column, and the figures are the JSON's */
	for (size_t i = 1; i < 36; i++) {
		json_t *row = json_array_get(rows, i);
		ck_assert_uint_eq(json_array_size(row), ncols);
		json_t *reg = find_region(json_object_get(doc, "regions"), json_string_value(json_array_get(row, 1)));
		ck_assert_ptr_nonnull(reg);
		ck_assert_str_eq(json_string_value(json_array_get(row, 2)), json_string_value(json_object_get(reg, "name")));
		ck_assert_int_eq(atol(json_string_value(json_array_get(row, 3))), json_integer_value(json_object_get(reg, "initiatives")));
	}
	json_decref(rows);
	resp_free(&r);
	/* Dutch Excel: semicolons and decimal commas */
	r = get("/overviews/arbeidsmarktregio?f=csv&sep=semicolon", NULL);
	rows = parse_csv(r.body + 3, r.len - 3, ';');
	ck_assert_uint_eq(json_array_size(json_array_get(rows, 0)), ncols);
	size_t share = 0;
	for (size_t k = 0; k < ncols; k++)
		if (strcmp(json_string_value(json_array_get(json_array_get(rows, 0), k)), "aandeel_deelnemend") == 0)
			share = k;
	ck_assert(share > 0);
	int comma_seen = 0;
	for (size_t i = 1; i < json_array_size(rows); i++) {
		const char *v = json_string_value(json_array_get(json_array_get(rows, i), share));
		ck_assert_ptr_null(strchr(v, '.'));
		comma_seen |= strchr(v, ',') != NULL;
	}
	ck_assert(comma_seen);
	json_decref(rows);
	resp_free(&r);
	json_decref(doc);
}
END_TEST

static json_t *read_xlsx(const struct resp *r)
{
	char path[] = "/tmp/routekaart-test-XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0 && write(fd, r->body, r->len) == (ssize_t)r->len);
	close(fd);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/xlsx_read.py' '%s'", getenv("RK_TOP"), path);
	FILE *p = popen(cmd, "r");
	json_error_t err;
	json_t *doc = json_loadf(p, 0, &err);
	pclose(p);
	unlink(path);
	ck_assert_msg(doc != NULL, "the workbook could not be read back: %s", err.text);
	return doc;
}

START_TEST(xlsx_reads_back)
{
	struct resp r = get("/overviews/arbeidsmarktregio?f=xlsx&as_of=2025-09-01", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Content-Disposition"), "2025-09-01.xlsx"));
	json_t *x = read_xlsx(&r);
	resp_free(&r);
	json_t *sheets = json_object_get(x, "sheets");
	ck_assert_uint_eq(json_array_size(sheets), 2);
	ck_assert_str_eq(json_string_value(json_array_get(sheets, 0)), "Overzicht");
	ck_assert_str_eq(json_string_value(json_array_get(sheets, 1)), "Toelichting");
	json_t *s = json_object_get(json_object_get(x, "data"), "Overzicht");
	ck_assert(json_is_true(json_object_get(s, "frozen_header")));
	ck_assert(json_is_true(json_object_get(s, "header_bold")));
	ck_assert(json_is_true(json_object_get(s, "widths")));
	json_t *rows = json_object_get(s, "rows");
	ck_assert_uint_eq(json_array_size(rows), 36);
	ck_assert_str_eq(json_string_value(json_array_get(json_array_get(rows, 0), 3)), "initiatieven");
	/* numbers are numbers */
	ck_assert(json_is_integer(json_array_get(json_array_get(rows, 1), 3)));
	ck_assert(json_is_string(json_array_get(json_array_get(rows, 1), 2)));
	/* the same figure as the JSON of that date */
	json_t *doc = overview_json("/overviews/arbeidsmarktregio?as_of=2025-09-01");
	json_t *reg = find_region(json_object_get(doc, "regions"), json_string_value(json_array_get(json_array_get(rows, 1), 1)));
	ck_assert_int_eq(json_integer_value(json_array_get(json_array_get(rows, 1), 3)), json_integer_value(json_object_get(reg, "initiatives")));
	json_decref(doc);
	/* the explanation names the date and every column */
	char *expl = json_dumps(json_object_get(json_object_get(x, "data"), "Toelichting"), 0);
	ck_assert_ptr_nonnull(strstr(expl, "2025-09-01"));
	ck_assert_ptr_nonnull(strstr(expl, "vmbo_vestigingen_deelnemend"));
	free(expl);
	json_decref(x);
}
END_TEST

/* Today's figures of every region of a type, computed by tests/overview-figures.sql from kaart.*
 * and ref.* (none of the server's SQL): an object of region code -> {header: value} (new reference). */
static json_t *figures_by_sql(const char *type)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/overview-figures.sql", getenv("RK_TOP"));
	char *sql = read_file(path);
	PGconn *db = db_connect();
	const char *params[] = {type};
	PGresult *res = PQexecParams(db, sql, 1, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "overview-figures.sql: %s", PQerrorMessage(db));
	json_t *all = json_object();
	for (int i = 0; i < PQntuples(res); i++) {
		json_error_t err;
		json_t *f = json_loads(PQgetvalue(res, i, 1), 0, &err);
		ck_assert_ptr_nonnull(f);
		json_object_set_new(all, PQgetvalue(res, i, 0), f);
	}
	PQclear(res);
	PQfinish(db);
	free(sql);
	return all;
}

/* Whether an exported cell (CSV text, or the XLSX value read back: number, string or null) is the
 * figure SQL computed; shares are compared as numbers (both rounded to 4 decimals). */
static int cell_is(const json_t *want, const char *csv, const json_t *xlsx)
{
	if (json_is_null(want))
		return csv ? csv[0] == '\0' : (!xlsx || json_is_null(xlsx));
	if (json_is_string(want))
		return csv ? strcmp(csv, json_string_value(want)) == 0
			   : json_is_string(xlsx) && strcmp(json_string_value(xlsx), json_string_value(want)) == 0;
	if (json_is_integer(want) && !csv)
		return json_is_integer(xlsx) && json_integer_value(xlsx) == json_integer_value(want);
	double got;
	if (csv) {
		char *end;
		got = strtod(csv, &end);
		if (end == csv || *end)
			return 0;
		if (json_is_integer(want)) /* a count is written as a whole number */
			return strchr(csv, '.') == NULL && got == (double)json_integer_value(want);
	} else {
		if (!json_is_number(xlsx))
			return 0;
		got = json_number_value(xlsx);
	}
	double d = got - json_number_value(want);
	return d < 1e-9 && d > -1e-9;
}

/* Every cell of rows (header first; json arrays of strings from the CSV, or of values from the
 * XLSX) is the figure of its column and region that SQL computed; every column SQL knows is there,
 * and every region. */
static void assert_export_is_sql(const char *what, json_t *rows, json_t *want, int from_csv)
{
	json_t *header = json_array_get(rows, 0);
	json_t *first = json_object_iter_value(json_object_iter(want));
	ck_assert_msg(json_array_size(header) == json_object_size(first), "%s: %zu columns, SQL computes %zu", what,
		      json_array_size(header), json_object_size(first));
	ck_assert_msg(json_array_size(rows) == json_object_size(want) + 1, "%s: %zu regions, SQL has %zu", what,
		      json_array_size(rows) - 1, json_object_size(want));
	for (size_t i = 1; i < json_array_size(rows); i++) {
		json_t *row = json_array_get(rows, i);
		const char *code = json_string_value(json_array_get(row, 1));
		json_t *fig = code ? json_object_get(want, code) : NULL;
		ck_assert_msg(fig != NULL, "%s: row %zu: region %s is not one SQL knows", what, i, code ? code : "(none)");
		for (size_t k = 0; k < json_array_size(header); k++) {
			const char *col = json_string_value(json_array_get(header, k));
			json_t *w = col ? json_object_get(fig, col) : NULL;
			ck_assert_msg(w != NULL, "%s: column %s is not one SQL computes", what, col ? col : "(none)");
			json_t *cell = json_array_get(row, k);
			const char *text = from_csv ? json_string_value(cell) : NULL;
			if (!cell_is(w, from_csv ? (text ? text : "") : NULL, cell)) {
				char *ws = json_dumps(w, JSON_ENCODE_ANY | JSON_REAL_PRECISION(6)),
				     *gs = json_dumps(cell ? cell : json_null(), JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
				ck_abort_msg("%s: %s, %s = %s, SQL says %s", what, code, col, gs, ws);
			}
		}
	}
}

START_TEST(exports_match_sql_in_every_cell)
{
	const char *type = region_cases[_i].type;
	json_t *want = figures_by_sql(type);
	char path[128], what[64];
	/* the regions with something to count, so that a swap of two columns can show */
	long nonzero = 0;
	const char *key;
	json_t *fig;
	json_object_foreach(want, key, fig)
		nonzero += json_integer_value(json_object_get(fig, "initiatieven")) > 0;
	ck_assert_msg(nonzero > 0, "%s: no region has initiatives", type);

	snprintf(path, sizeof(path), "/overviews/%s?f=csv", type);
	struct resp r = get(path, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(r.len > 3 && memcmp(r.body, "\xEF\xBB\xBF", 3) == 0);
	json_t *rows = parse_csv(r.body + 3, r.len - 3, ',');
	resp_free(&r);
	snprintf(what, sizeof(what), "%s CSV", type);
	assert_export_is_sql(what, rows, want, 1);
	json_decref(rows);

	snprintf(path, sizeof(path), "/overviews/%s?f=xlsx", type);
	r = get(path, NULL);
	ck_assert_int_eq(r.status, 200);
	json_t *x = read_xlsx(&r);
	resp_free(&r);
	snprintf(what, sizeof(what), "%s XLSX", type);
	assert_export_is_sql(what, json_object_get(json_object_get(json_object_get(x, "data"), "Overzicht"), "rows"), want, 0);
	json_decref(x);
	json_decref(want);
}
END_TEST

START_TEST(geojson_choropleth)
{
	struct resp r = get("/overviews/provincie?f=geojson&simplify=0.01", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/geo+json");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "FeatureCollection");
	json_t *features = json_object_get(r.json, "features");
	ck_assert_uint_eq(json_array_size(features), 12);
	json_t *f = json_array_get(features, 0);
	ck_assert(json_is_integer(json_object_get(json_object_get(f, "properties"), "initiatives")));
	ck_assert_ptr_nonnull(json_object_get(f, "geometry"));
	resp_free(&r);
	/* one region: one feature */
	r = get("/overviews/provincie/PV27?f=geojson", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "features")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "features"), 0), "id")), "PV27");
	resp_free(&r);
	r = get("/overviews/provincie/PV99?f=geojson", NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

/* as_of: the day before an initiative was published it does not count, that day it does. */
START_TEST(as_of_reproduces_the_past)
{
	char *day = sql_text("select published_at::date::text from kaart.initiative where status = 'published'"
			     " group by 1 order by count(*) desc, 1 limit 1");
	char *before = sql_text("select (published_at::date - 1)::text from kaart.initiative where status = 'published'"
				" group by published_at::date order by count(*) desc, 1 limit 1");
	char sql[1024], path[128];
	snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where published_at::date <= '%s'"
		 " and (withdrawn_at is null or withdrawn_at::date > '%s')", day, day);
	long on_day = sql_long(sql);
	snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where published_at::date <= '%s'"
		 " and (withdrawn_at is null or withdrawn_at::date > '%s')", before, before);
	long day_before = sql_long(sql);
	ck_assert_msg(on_day > day_before, "pick a day on which something was published");
	const char *dates[2] = {day, before};
	long want[2] = {on_day, day_before};
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "/overviews/provincie?as_of=%s", dates[k]);
		json_t *doc = overview_json(path);
		long sum = 0;
		size_t i;
		json_t *g;
		json_array_foreach(json_object_get(doc, "regions"), i, g)
			sum += (long)json_integer_value(json_object_get(g, "initiatives"));
		ck_assert_msg(sum == want[k], "as_of %s: %ld, SQL says %ld", dates[k], sum, want[k]);
		json_decref(doc);
	}
	free(day);
	free(before);
}
END_TEST

/* Gaps: (region, ZW, 3) is a gap exactly when no published doorlopende or geintegreerde route with
 * profiel ZW to niveau 3 lies in that region. */
START_TEST(coverage_gaps)
{
	struct resp r = get("/overviews/arbeidsmarktregio/coverage", NULL);
	ck_assert_int_eq(r.status, 200);
	json_t *gaps = json_object_get(r.json, "gaps");
	ck_assert(json_array_size(gaps) > 0);
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, "select gr.arbeidsmarktregio_code, count(i.id) from (select distinct arbeidsmarktregio_code from ref.gemeente_regio) gr"
				   " left join (select i.id, " GEM " as gem from kaart.initiative i where " PUBLISHED
				   " and i.route_kind in ('doorlopende_leerroute', 'geintegreerde_route') and 'ZW' = any(i.profielen) and 3 = any(i.niveaus)) i"
				   " on (select g2.arbeidsmarktregio_code from ref.gemeente_regio g2 where g2.gemeente_code = i.gem) = gr.arbeidsmarktregio_code"
				   " group by 1");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_int_eq(PQntuples(res), 35);
	int empty_seen = 0, full_seen = 0;
	for (int k = 0; k < PQntuples(res); k++) {
		const char *code = PQgetvalue(res, k, 0);
		int empty = strcmp(PQgetvalue(res, k, 1), "0") == 0;
		int listed = 0;
		size_t i;
		json_t *g;
		json_array_foreach(gaps, i, g) {
			listed |= strcmp(json_string_value(json_object_get(g, "code")), code) == 0 &&
				  strcmp(json_string_value(json_object_get(g, "profiel")), "ZW") == 0 &&
				  json_integer_value(json_object_get(g, "niveau")) == 3;
		}
		ck_assert_msg(listed == empty, "%s: gap listed %d, SQL routes %s", code, listed, PQgetvalue(res, k, 1));
		empty_seen |= empty;
		full_seen |= !empty;
	}
	ck_assert(full_seen);
	(void)empty_seen;
	PQclear(res);
	PQfinish(db);
	/* the largest regions' gaps first */
	long prev = -1;
	size_t i;
	json_t *g;
	json_array_foreach(gaps, i, g) {
		long students = (long)json_integer_value(json_object_get(g, "vmbo_students"));
		ck_assert(prev < 0 || students <= prev);
		prev = students;
	}
	resp_free(&r);
	r = get("/overviews/arbeidsmarktregio/coverage?f=xlsx", NULL);
	json_t *x = read_xlsx(&r);
	json_t *sheets = json_object_get(x, "sheets");
	ck_assert_str_eq(json_string_value(json_array_get(sheets, 0)), "Dekking");
	ck_assert_str_eq(json_string_value(json_array_get(sheets, 1)), "Lacunes");
	/* long form: 35 regions x 10 profielen x 3 niveaus, plus the header */
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(json_object_get(x, "data"), "Dekking"), "rows")), 1051);
	json_decref(x);
	resp_free(&r);
}
END_TEST

START_TEST(contact_list_behind_a_key)
{
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, "insert into kaart.school_contact (vestigingscode, name, function, email)"
				   " values ('01AA57', 'Sanne Overzicht', 'coördinator', 's.overzicht@landstede.example')"
				   " on conflict (vestigingscode) do update set name = excluded.name, email = excluded.email");
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(db);
	const char *path = "/overviews/gemeente/GM0193/contacts";
	struct resp r = get(path, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	char auth[256];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", moderator_key);
	r = get(path, (const char *const[]){auth, NULL});
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", analyst_key);
	r = get(path, (const char *const[]){auth, "Accept: text/csv", NULL});
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
	json_t *rows = parse_csv(r.body + 3, r.len - 3, ',');
	ck_assert_str_eq(json_string_value(json_array_get(json_array_get(rows, 0), 0)), "vestigingscode");
	ck_assert_ptr_nonnull(strstr(r.body, "s.overzicht@landstede.example"));
	/* every vmbo location of Zwolle appears */
	long locations = sql_long("select count(*) from ref.school_location where vmbo and gemeente_code = 'GM0193'");
	ck_assert((long)json_array_size(rows) - 1 >= locations);
	json_decref(rows);
	resp_free(&r);
	r = get("/overviews/gemeente/GM9999/contacts", (const char *const[]){auth, NULL});
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	/* a list of people has no date of figures; anything accepted gets CSV */
	r = get("/overviews/gemeente/GM0193/contacts?as_of=2025-01-01", (const char *const[]){auth, NULL});
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	r = get("/overviews/gemeente/GM0193/contacts", (const char *const[]){auth, "Accept: */*", NULL});
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "text/csv; charset=utf-8");
	resp_free(&r);
	/* the public figures never carry it */
	r = get("/overviews/gemeente/GM0193", NULL);
	ck_assert_ptr_null(strstr(r.body, "s.overzicht"));
	resp_free(&r);
}
END_TEST

static Suite *overviews_suite(void)
{
	Suite *s = suite_create("overviews");
	TCase *t = tcase_create("overviews");
	tcase_add_unchecked_fixture(t, setup, harness_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_loop_test(t, figures_match_sql, 0, 4);
	tcase_add_test(t, one_region_and_errors);
	tcase_add_test(t, csv_parses_back);
	tcase_add_test(t, xlsx_reads_back);
	tcase_add_loop_test(t, exports_match_sql_in_every_cell, 0, 4);
	tcase_add_test(t, geojson_choropleth);
	tcase_add_test(t, as_of_reproduces_the_past);
	tcase_add_test(t, coverage_gaps);
	tcase_add_test(t, contact_list_behind_a_key);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(overviews_suite());
}
