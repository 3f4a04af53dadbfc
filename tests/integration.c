/* Integration tests: the real routekaartd against the real PostGIS test cluster with the reference
 * and demo data (tests/run.sh sets it up). Figures are checked against SQL written independently of
 * the api views the server reads. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* GET path and expect status; returns the response (caller frees). */
static struct resp get_expect(const char *path, long status)
{
	struct resp r = get(path, NULL);
	ck_assert_msg(r.status == status, "GET %s: status %ld, expected %ld: %.300s", path, r.status, status,
		      r.body);
	return r;
}

/* The problem+json checks every 4xx/5xx must pass. */
static void assert_problem(const struct resp *r, long status, const char *type)
{
	const char *ct = resp_header(r, "Content-Type");
	ck_assert_msg(ct && strcmp(ct, "application/problem+json") == 0, "content type %s", ct ? ct : "(none)");
	ck_assert_ptr_nonnull(r->json);
	ck_assert_int_eq(json_integer_value(json_object_get(r->json, "status")), status);
	ck_assert_str_eq(json_string_value(json_object_get(r->json, "type")), type);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(r->json, "title")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(r->json, "detail")));
}

/* X-Content-Type-Options: nosniff, on every answer: what says which answer it is. */
static void assert_nosniff(const struct resp *r, const char *what)
{
	const char *v = resp_header(r, "X-Content-Type-Options");
	ck_assert_msg(v && strcmp(v, "nosniff") == 0, "%s (status %ld): X-Content-Type-Options is %s", what, r->status,
		      v ? v : "missing");
}

/* A 400 whose errors name exactly these parameters (any order) with these codes. */
static void expect_param_errors(const char *path, size_t n, const char *const *params, const char *const *codes)
{
	struct resp r = get_expect(path, 400);
	assert_problem(&r, 400, "/problems/invalid-parameter");
	json_t *errs = json_object_get(r.json, "errors");
	ck_assert_msg(json_array_size(errs) == n, "%s: %zu errors, expected %zu: %s", path, json_array_size(errs), n, r.body);
	for (size_t i = 0; i < n; i++) {
		int found = 0;
		size_t k;
		json_t *e;
		json_array_foreach(errs, k, e) {
			found |= strcmp(json_string_value(json_object_get(e, "parameter")), params[i]) == 0 &&
				 strcmp(json_string_value(json_object_get(e, "code")), codes[i]) == 0 &&
				 json_string_length(json_object_get(e, "message")) > 0;
		}
		ck_assert_msg(found, "%s: no error %s/%s in %s", path, params[i], codes[i], r.body);
	}
	resp_free(&r);
}

static void expect_param_error(const char *path, const char *param, const char *code)
{
	expect_param_errors(path, 1, (const char *const[]){param}, (const char *const[]){code});
}

static json_t *find_link(json_t *links, const char *rel)
{
	size_t i;
	json_t *l;
	json_array_foreach(links, i, l) {
		if (strcmp(json_string_value(json_object_get(l, "rel")), rel) == 0)
			return l;
	}
	return NULL;
}

/* --- the OGC API frame --- */

START_TEST(landing_page_links)
{
	struct resp r = get_expect("/", 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/json");
	ck_assert_str_eq(resp_header(&r, "Access-Control-Allow-Origin"), "*");
	ck_assert_str_eq(resp_header(&r, "X-Content-Type-Options"), "nosniff");
	json_t *links = json_object_get(r.json, "links");
	const char *rels[] = {"self", "service-desc", "service-doc", "conformance", "data"};
	for (size_t i = 0; i < 5; i++) {
		json_t *l = find_link(links, rels[i]);
		ck_assert_msg(l, "no %s link", rels[i]);
		ck_assert_msg(strncmp(json_string_value(json_object_get(l, "href")), harness_server.url,
				      strlen(harness_server.url)) == 0,
			      "%s link is not absolute on this server", rels[i]);
	}
	ck_assert_str_eq(json_string_value(json_object_get(find_link(links, "service-desc"), "type")),
			 "application/vnd.oai.openapi+json;version=3.0");
	resp_free(&r);
}
END_TEST

START_TEST(api_document_json_and_yaml)
{
	struct resp r = get_expect("/api", 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/vnd.oai.openapi+json;version=3.0");
	ck_assert_ptr_nonnull(r.json);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "openapi")), "3.0.3");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(r.json, "paths"), "/collections/{collectionId}/items"));
	resp_free(&r);
	r = get_expect("/api?f=yaml", 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/vnd.oai.openapi;version=3.0");
	ck_assert(strncmp(r.body, "openapi: 3.0.3", 14) == 0);
	resp_free(&r);
}
END_TEST

START_TEST(conformance_classes)
{
	struct resp r = get_expect("/conformance", 200);
	json_t *c = json_object_get(r.json, "conformsTo");
	ck_assert_uint_eq(json_array_size(c), 3);
	const char *want[] = {"core", "geojson", "oas30"};
	for (size_t i = 0; i < 3; i++) {
		char uri[128];
		snprintf(uri, sizeof(uri), "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/%s", want[i]);
		int found = 0;
		for (size_t k = 0; k < json_array_size(c); k++)
			found |= strcmp(json_string_value(json_array_get(c, k)), uri) == 0;
		ck_assert_msg(found, "%s missing", uri);
	}
	resp_free(&r);
}
END_TEST

START_TEST(collections_with_extents)
{
	struct resp r = get_expect("/collections", 200);
	json_t *cols = json_object_get(r.json, "collections");
	const char *ids[] = {"initiatives", "schools", "regions-provincie", "regions-arbeidsmarktregio", "regions-rmc", "regions-gemeente"};
	ck_assert_uint_eq(json_array_size(cols), 6);
	for (size_t i = 0; i < 6; i++) {
		json_t *c = json_array_get(cols, i);
		ck_assert_str_eq(json_string_value(json_object_get(c, "id")), ids[i]);
		ck_assert_str_eq(json_string_value(json_object_get(c, "itemType")), "feature");
		json_t *bbox = json_array_get(json_object_get(json_object_get(json_object_get(c, "extent"), "spatial"), "bbox"), 0);
		ck_assert_uint_eq(json_array_size(bbox), 4);
		double x0 = json_real_value(json_array_get(bbox, 0)), y0 = json_real_value(json_array_get(bbox, 1));
		double x1 = json_real_value(json_array_get(bbox, 2)), y1 = json_real_value(json_array_get(bbox, 3));
		/* inside the Netherlands, and not a point */
		ck_assert_msg(x0 >= 3.3 && y0 >= 50.7 && x1 <= 7.3 && y1 <= 53.6 && x0 < x1 && y0 < y1,
			      "%s extent %f %f %f %f", ids[i], x0, y0, x1, y1);
		json_t *items = find_link(json_object_get(c, "links"), "items");
		ck_assert_ptr_nonnull(items);
		ck_assert_str_eq(json_string_value(json_object_get(items, "type")), "application/geo+json");
	}
	resp_free(&r);
	r = get_expect("/collections/regions-rmc", 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")), "regions-rmc");
	resp_free(&r);
	r = get_expect("/collections/nope", 404);
	assert_problem(&r, 404, "/problems/not-found");
	resp_free(&r);
}
END_TEST

/* /codelists is geo/codelists.json, the lists' one source: every entry in its order, every value
 * and label (a profiel's "opleidingsdomeinen" are the source's "domeinen"). */
START_TEST(codelists_complete)
{
	static const char *const lists[][2] = {
		{"route_kinds", "route_kind"},   {"leerwegen", "leerweg"},
		{"profielen", "profiel"},        {"niveaus", "niveau"},
		{"opleidingsdomeinen", "opleidingsdomein"}, {"region_types", "region_type"},
		{"agreement_topics", "agreement_topic"},
	};
	char path[4096];
	snprintf(path, sizeof(path), "%s/geo/codelists.json", getenv("RK_TOP") ? getenv("RK_TOP") : ".");
	json_error_t jerr;
	json_t *src = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(src != NULL, "%s: %s", path, jerr.text);
	struct resp r = get_expect("/codelists", 200);
	ck_assert_uint_eq(json_object_size(r.json), sizeof(lists) / sizeof(lists[0]));
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		json_t *got = json_object_get(r.json, lists[l][0]), *want = json_object_get(src, lists[l][1]);
		ck_assert_msg(json_array_size(got) == json_array_size(want), "%s: %zu entries, the source %zu",
			      lists[l][0], json_array_size(got), json_array_size(want));
		size_t i;
		json_t *e;
		json_array_foreach(got, i, e) {
			json_t *w = json_array_get(want, i);
			const char *k;
			json_t *v;
			json_object_foreach(e, k, v) {
				json_t *wv = json_object_get(w, strcmp(k, "opleidingsdomeinen") == 0 ? "domeinen" : k);
				char *a = json_dumps(v, JSON_ENCODE_ANY), *b = json_dumps(wv, JSON_ENCODE_ANY);
				ck_assert_msg(wv && json_equal(v, wv), "/codelists %s[%zu].%s is %s, the source has %s",
					      lists[l][0], i, k, a, b ? b : "nothing");
				free(a);
				free(b);
			}
		}
	}
	resp_free(&r);
	json_decref(src);
}
END_TEST

START_TEST(health_and_metrics)
{
	struct resp r = get_expect("/healthz", 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ok");
	resp_free(&r);
	r = get_expect("/readyz", 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "database")), "ok");
	resp_free(&r);
	r = get_expect("/metrics", 200);
	ck_assert(strncmp(resp_header(&r, "Content-Type"), "text/plain; version=0.0.4", 25) == 0);
	ck_assert_ptr_nonnull(strstr(r.body, "routekaart_http_requests_total{code=\"2xx\"} "));
	ck_assert_ptr_nonnull(strstr(r.body, "routekaart_db_pool_size{pool=\"read\"} 8\n"));
	resp_free(&r);
}
END_TEST

/* --- initiatives --- */

static const char published_sql[] = "select count(*) from kaart.initiative where status = 'published'";

START_TEST(items_default_page)
{
	long published = sql_long(published_sql);
	ck_assert_msg(published >= 500, "the demo data should publish about 600 initiatives, not %ld", published);
	struct resp r = get_expect("/collections/initiatives/items", 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/geo+json");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "FeatureCollection");
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberMatched")), published);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberReturned")), 100);
	json_t *features = json_object_get(r.json, "features");
	ck_assert_uint_eq(json_array_size(features), 100);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(r.json, "timeStamp")));
	json_t *f = json_array_get(features, 0);
	ck_assert_str_eq(json_string_value(json_object_get(f, "type")), "Feature");
	ck_assert(json_is_integer(json_object_get(f, "id")));
	json_t *g = json_object_get(f, "geometry");
	ck_assert_str_eq(json_string_value(json_object_get(g, "type")), "Point");
	json_t *xy = json_object_get(g, "coordinates");
	ck_assert(json_is_number(json_array_get(xy, 0)) && json_is_number(json_array_get(xy, 1)));
	double lon = json_number_value(json_array_get(xy, 0)), lat = json_number_value(json_array_get(xy, 1));
	ck_assert_msg(lon > 3.3 && lon < 7.3 && lat > 50.7 && lat < 53.6, "lon/lat order: %f %f", lon, lat);
	json_t *props = json_object_get(f, "properties");
	ck_assert(json_is_array(json_object_get(props, "niveaus")));
	ck_assert(json_is_integer(json_array_get(json_object_get(props, "niveaus"), 0)));
	ck_assert(json_is_array(json_object_get(props, "profielen")));
	ck_assert(json_is_array(json_object_get(props, "region_codes")));
	ck_assert(json_is_string(json_object_get(props, "route_kind")));
	/* no personal data in the list */
	ck_assert_ptr_null(json_object_get(props, "contacts"));
	ck_assert(find_link(json_object_get(r.json, "links"), "self") && find_link(json_object_get(r.json, "links"), "next"));
	ck_assert_ptr_null(find_link(json_object_get(r.json, "links"), "prev"));
	resp_free(&r);
}
END_TEST

struct filter_case {
	const char *query;
	const char *where; /* independent SQL condition on kaart.initiative i */
};

/* The regions of an initiative, derived here independently: from the school's gemeente when the
 * point is a school location, else from the gemeente polygon the point lies in. */
#define GEMEENTE_OF_I                                                                              \
	"coalesce((select s.gemeente_code from ref.school_location s where s.vestigingscode = i.location_vestiging)," \
	" (select g.code from ref.region g where g.type = 'gemeente' and st_intersects(g.geom, i.geom) limit 1))"
#define IN_REGION(col, code)                                                                       \
	"exists (select 1 from ref.gemeente_regio gr where gr.gemeente_code = " GEMEENTE_OF_I     \
	" and gr." col " = '" code "')"

static const struct filter_case filter_cases[] = {
	{"region=AM13", IN_REGION("arbeidsmarktregio_code", "AM13")},
	{"region=PV27", IN_REGION("provincie_code", "PV27")},
	{"region=MC21", IN_REGION("rmc_code", "MC21")},
	{"region=GM0363", GEMEENTE_OF_I " = 'GM0363'"},
	{"region=AM13,PV20", "(" IN_REGION("arbeidsmarktregio_code", "AM13") " or " IN_REGION("provincie_code", "PV20") ")"},
	{"niveau=3", "3 = any(i.niveaus)"},
	{"niveau=2,4", "(2 = any(i.niveaus) or 4 = any(i.niveaus))"},
	{"route_kind=geintegreerde_route", "i.route_kind = 'geintegreerde_route'"},
	{"route_kind=leerlab,samenwerking", "i.route_kind in ('leerlab', 'samenwerking')"},
	{"profiel=ZW", "'ZW' = any(i.profielen)"},
	{"leerweg=BB", "'BB' = any(i.leerwegen)"},
	{"opleidingsdomein=o", "'o' = any(i.opleidingsdomeinen)"},
	{"start_year=2023,2024", "i.start_year in (2023, 2024)"},
	{"bbox=4.7,52.0,5.3,52.5", "i.geom && st_makeenvelope(4.7, 52.0, 5.3, 52.5, 4326)"},
	{"bbox=4.7,52.0,-100,5.3,52.5,100", "i.geom && st_makeenvelope(4.7, 52.0, 5.3, 52.5, 4326)"},
	{"region=AM13&niveau=3", IN_REGION("arbeidsmarktregio_code", "AM13") " and 3 = any(i.niveaus)"},
	{"profiel=ZW&niveau=3&leerweg=KB", "'ZW' = any(i.profielen) and 3 = any(i.niveaus) and 'KB' = any(i.leerwegen)"},
	{"q=zorg", "to_tsvector('dutch', i.name || ' ' || coalesce(i.description, '')) @@ to_tsquery('dutch', 'zorg')"},
	{"brin=00AH", "exists (select 1 from kaart.party p join ref.school_location s on s.vestigingscode = p.vestigingscode"
		      " where p.initiative_id = i.id and s.brin = '00AH')"},
};

START_TEST(items_filters_match_sql)
{
	const struct filter_case *fc = &filter_cases[_i];
	char sql[4096], path[512];
	snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative i where i.status = 'published' and %s", fc->where);
	long want = sql_long(sql);
	snprintf(path, sizeof(path), "/collections/initiatives/items?limit=10000&%s", fc->query);
	struct resp r = get_expect(path, 200);
	long matched = (long)json_integer_value(json_object_get(r.json, "numberMatched"));
	ck_assert_msg(matched == want, "%s: numberMatched %ld, SQL says %ld", fc->query, matched, want);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "features")), (size_t)want);
	resp_free(&r);
}
END_TEST

/* Some filters must select something, or the comparison above proves little. */
START_TEST(items_filters_not_trivial)
{
	const char *queries[] = {"region=AM13", "niveau=3", "profiel=ZW", "region=AM13&niveau=3", "q=zorg"};
	long all = sql_long(published_sql);
	for (size_t i = 0; i < 5; i++) {
		char path[256];
		snprintf(path, sizeof(path), "/collections/initiatives/items?limit=1&%s", queries[i]);
		struct resp r = get_expect(path, 200);
		long m = (long)json_integer_value(json_object_get(r.json, "numberMatched"));
		ck_assert_msg(m > 0 && m < all, "%s matched %ld of %ld", queries[i], m, all);
		resp_free(&r);
	}
}
END_TEST

/* Following next links from the first page sees every feature exactly once; each next link
 * continues after the last id of its page (keyset), not at an offset. */
START_TEST(items_paging_walk)
{
	long published = sql_long(published_sql);
	long max_id = sql_long("select max(id) from kaart.initiative");
	char *seen = calloc((size_t)max_id + 1, 1);
	char url[4096];
	snprintf(url, sizeof(url), "%s/collections/initiatives/items?limit=37", harness_server.url);
	long total = 0, pages = 0;
	for (;;) {
		struct resp r;
		ck_assert(http_do("GET", url, NULL, &r) == 0 && r.status == 200);
		size_t i;
		json_t *f;
		json_int_t last = 0;
		json_array_foreach(json_object_get(r.json, "features"), i, f) {
			json_int_t id = json_integer_value(json_object_get(f, "id"));
			ck_assert(id > last && id <= max_id);
			ck_assert_msg(!seen[id], "feature %lld seen twice", (long long)id);
			seen[id] = 1;
			last = id;
			total++;
		}
		ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberMatched")), published);
		ck_assert_ptr_null(json_object_get(r.json, "numberMatchedIsEstimate"));
		pages++;
		json_t *links = json_object_get(r.json, "links");
		json_t *next = find_link(links, "next");
		if (!next) {
			resp_free(&r);
			break;
		}
		snprintf(url, sizeof(url), "%s", json_string_value(json_object_get(next, "href")));
		char want[64];
		snprintf(want, sizeof(want), "&after=%lld", (long long)last);
		ck_assert_msg(strstr(url, want) && !strstr(url, "offset="), "next link %s", url);
		resp_free(&r);
		ck_assert(pages < 100);
	}
	ck_assert_int_eq(total, published);
	ck_assert_int_eq(pages, (published + 36) / 37);
	free(seen);
}
END_TEST

START_TEST(items_links_keep_filters)
{
	struct resp r = get_expect("/collections/initiatives/items?niveau=3&region=AM13,PV27&limit=2&q=zorg+welzijn&bbox=3.3,50.7,7.3,53.6", 200);
	json_t *next = find_link(json_object_get(r.json, "links"), "next");
	ck_assert_msg(next, "no next link: %s", r.body);
	const char *href = json_string_value(json_object_get(next, "href"));
	char after[64];
	snprintf(after, sizeof(after), "after=%lld",
		 (long long)json_integer_value(json_object_get(json_array_get(json_object_get(r.json, "features"), 1), "id")));
	const char *parts[] = {"limit=2", after, "bbox=3.3,50.7,7.3,53.6", "region=AM13,PV27", "niveau=3", "q=zorg%20welzijn"};
	for (size_t i = 0; i < 6; i++)
		ck_assert_msg(strstr(href, parts[i]), "next link %s lacks %s", href, parts[i]);
	ck_assert_str_eq(json_string_value(json_object_get(next, "type")), "application/geo+json");
	resp_free(&r);
	/* the last page has prev but no next */
	long published = sql_long(published_sql);
	char path[128];
	snprintf(path, sizeof(path), "/collections/initiatives/items?limit=10&offset=%ld", published - 3);
	r = get_expect(path, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberReturned")), 3);
	ck_assert_ptr_null(find_link(json_object_get(r.json, "links"), "next"));
	ck_assert_ptr_nonnull(find_link(json_object_get(r.json, "links"), "prev"));
	resp_free(&r);
	/* past the end: empty, still valid */
	r = get_expect("/collections/initiatives/items?offset=1000000", 200);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "features")), 0);
	resp_free(&r);
}
END_TEST

START_TEST(items_parameter_errors)
{
	expect_param_error("/collections/initiatives/items?colour=red", "colour", "unknown_parameter");
	expect_param_error("/collections/initiatives/items?simplify=0.1", "simplify", "unknown_parameter");
	expect_param_error("/collections/initiatives/items?limit=0", "limit", "out_of_range");
	expect_param_error("/collections/initiatives/items?limit=10001", "limit", "out_of_range");
	expect_param_error("/collections/initiatives/items?limit=abc", "limit", "not_an_integer");
	expect_param_error("/collections/initiatives/items?offset=-1", "offset", "out_of_range");
	expect_param_error("/collections/initiatives/items?bbox=4,52,5", "bbox", "invalid_bbox");
	expect_param_error("/collections/initiatives/items?bbox=5,52,4,53", "bbox", "invalid_bbox");
	expect_param_error("/collections/initiatives/items?bbox=4,52,5,95", "bbox", "out_of_range");
	expect_param_error("/collections/initiatives/items?niveau=1", "niveau", "invalid_value");
	expect_param_error("/collections/initiatives/items?profiel=XX", "profiel", "invalid_value");
	expect_param_error("/collections/initiatives/items?route_kind=entree", "route_kind", "invalid_value");
	expect_param_error("/collections/initiatives/items?region=XX99", "region", "invalid_value");
	expect_param_error("/collections/initiatives/items?region=AM99", "region", "unknown_region");
	expect_param_error("/collections/initiatives/items?brin=0AH", "brin", "invalid_value");
	expect_param_error("/collections/initiatives/items?niveau=", "niveau", "empty");
	expect_param_error("/collections/initiatives/items?niveau=2&niveau=3", "niveau", "duplicate_parameter");
	expect_param_error("/collections/initiatives/items?f=xml", "f", "invalid_value");
	expect_param_errors("/collections/initiatives/items?limit=0&niveau=7&bogus=1", 3,
			    (const char *const[]){"limit", "niveau", "bogus"},
			    (const char *const[]){"out_of_range", "invalid_value", "unknown_parameter"});
}
END_TEST

START_TEST(request_errors)
{
	struct resp r = get_expect("/collections/initiatives/items/999999999", 404);
	assert_problem(&r, 404, "/problems/not-found");
	resp_free(&r);
	r = get_expect("/collections/initiatives/items/abc", 404);
	assert_problem(&r, 404, "/problems/not-found");
	resp_free(&r);
	r = get_expect("/collections/initiatives/items/0", 404);
	resp_free(&r);
	r = get_expect("/no/such/thing", 404);
	assert_problem(&r, 404, "/problems/not-found");
	resp_free(&r);
	r = get_expect("/collections/initiatives/items?q=%zz", 400);
	assert_problem(&r, 400, "/problems/invalid-request");
	resp_free(&r);

	char url[128];
	snprintf(url, sizeof(url), "%s/collections", harness_server.url);
	ck_assert(http_do("POST", url, NULL, &r) == 0);
	ck_assert_int_eq(r.status, 405);
	assert_problem(&r, 405, "/problems/method-not-allowed");
	ck_assert_str_eq(resp_header(&r, "Allow"), "GET, HEAD, OPTIONS");
	resp_free(&r);
	ck_assert(http_do("DELETE", url, NULL, &r) == 0 && r.status == 405);
	resp_free(&r);
	ck_assert(http_do("OPTIONS", url, NULL, &r) == 0 && r.status == 204);
	ck_assert_str_eq(resp_header(&r, "Allow"), "GET, HEAD, OPTIONS");
	resp_free(&r);

	snprintf(url, sizeof(url), "%s/collections/initiatives/items", harness_server.url);
	ck_assert(http_do("GET", url, (const char *const[]){"Accept: text/csv", NULL}, &r) == 0);
	ck_assert_int_eq(r.status, 406);
	assert_problem(&r, 406, "/problems/not-acceptable");
	resp_free(&r);
	ck_assert(http_do("GET", url, (const char *const[]){"Accept: text/html,*/*;q=0.8", NULL}, &r) == 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/geo+json");
	resp_free(&r);
	ck_assert(http_do("HEAD", url, NULL, &r) == 0 && r.status == 200 && r.len == 0);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/geo+json");
	resp_free(&r);

	/* a request target over the limit (8 KiB) */
	char *longpath = malloc(10000);
	memset(longpath, 'a', 9999);
	longpath[0] = '/';
	longpath[9999] = '\0';
	r = get_expect(longpath, 414);
	assert_problem(&r, 414, "/problems/uri-too-long");
	resp_free(&r);
	free(longpath);
}
END_TEST

/* Every kind of answer carries nosniff, not only pages and data: errors of each status, a 304, the
 * 204 of OPTIONS, a HEAD, a cached answer, a vector tile and the clusters. (The 503 of a database
 * away: database_unreachable; the 431 of an oversized head: oversized_headers_refused.) */
START_TEST(every_answer_is_nosniff)
{
	static const struct {
		const char *method, *path, *header;
		long status;
	} cases[] = {
		{.method = "GET", .path = "/no/such/thing", .status = 404},
		{.method = "GET", .path = "/collections/initiatives/items/999999999", .status = 404},
		{.method = "GET", .path = "/collections/initiatives/items?limit=0", .status = 400},
		{.method = "GET", .path = "/collections/initiatives/items?q=%zz", .status = 400},
		{.method = "POST", .path = "/collections", .status = 405},
		{.method = "OPTIONS", .path = "/collections", .status = 204},
		{.method = "GET", .path = "/collections/initiatives/items", .header = "Accept: text/csv", .status = 406},
		{.method = "HEAD", .path = "/collections/initiatives/items?limit=3", .status = 200},
		{.method = "GET", .path = "/collections/initiatives/items?limit=3", .status = 200},
		{.method = "GET", .path = "/collections/initiatives/items?limit=3", .status = 200}, /* from the cache */
		{.method = "GET", .path = "/collections/initiatives/tiles/5/16/10", .status = 200},
		{.method = "GET", .path = "/collections/regions-provincie/tiles/5/16/10", .status = 200},
		{.method = "GET", .path = "/collections/initiatives/tiles/23/0/0", .status = 404},
		{.method = "GET", .path = "/collections/initiatives/clusters?zoom=7", .status = 200},
		{.method = "GET", .path = "/overviews/provincie?f=csv", .status = 200},
	};
	char url[256], what[320];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(url, sizeof(url), "%s%s", harness_server.url, cases[i].path);
		snprintf(what, sizeof(what), "%s %s", cases[i].method, cases[i].path);
		struct resp r;
		ck_assert_msg(http_do(cases[i].method, url, (const char *const[]){cases[i].header, NULL}, &r) == 0,
			      "%s: no response", what);
		ck_assert_msg(r.status == cases[i].status, "%s: status %ld, expected %ld", what, r.status, cases[i].status);
		assert_nosniff(&r, what);
		/* and its 304, for those that have a validator */
		const char *etag = resp_header(&r, "ETag");
		if (r.status == 200 && etag) {
			char inm[200];
			snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
			struct resp nm;
			ck_assert_msg(http_do("GET", url, (const char *const[]){inm, NULL}, &nm) == 0, "%s: no 304", what);
			ck_assert_msg(nm.status == 304, "%s with its ETag: status %ld", what, nm.status);
			snprintf(what, sizeof(what), "GET %s with its ETag (304)", cases[i].path);
			assert_nosniff(&nm, what);
			resp_free(&nm);
		}
		resp_free(&r);
	}
	/* the 414 of a request target over the limit */
	char *longpath = malloc(10000);
	memset(longpath, 'a', 9999);
	longpath[0] = '/';
	longpath[9999] = '\0';
	struct resp r = get_expect(longpath, 414);
	assert_nosniff(&r, "a target of 10,000 bytes");
	resp_free(&r);
	free(longpath);
}
END_TEST

/* A request head over MAX_HEADER_BYTES (32 KiB here) is refused with 431 and the server goes on;
 * one just under it is served. The 431 is libmicrohttpd's own answer (an HTML body, no
 * problem+json, no nosniff: the head never reaches the service's code), so only its status and
 * that the connection is closed are asserted. */
START_TEST(oversized_headers_refused)
{
	char url[128];
	snprintf(url, sizeof(url), "%s/healthz", harness_server.url);
	const size_t sizes[] = {69000, 33000, 30000};
	const long want[] = {431, 431, 200};
	for (size_t i = 0; i < 3; i++) {
		char *big = malloc(sizes[i] + 16);
		snprintf(big, 16, "X-Filler: ");
		memset(big + 10, 'x', sizes[i]);
		big[sizes[i] + 10] = '\0';
		struct resp r;
		ck_assert_msg(http_do("GET", url, (const char *const[]){big, NULL}, &r) == 0,
			      "a head with a header of %zu bytes: no response at all", sizes[i]);
		ck_assert_msg(r.status == want[i], "a head with a header of %zu bytes: status %ld, expected %ld", sizes[i],
			      r.status, want[i]);
		if (want[i] == 431) {
			const char *conn = resp_header(&r, "Connection");
			ck_assert_msg(conn && strcmp(conn, "close") == 0, "431 without Connection: close");
		}
		resp_free(&r);
		free(big);
		struct resp ok = get_expect("/healthz", 200);
		resp_free(&ok);
	}
}
END_TEST

START_TEST(caching_headers)
{
	char url[256];
	snprintf(url, sizeof(url), "%s/collections/initiatives/items?niveau=3", harness_server.url);
	struct resp r;
	ck_assert(http_do("GET", url, NULL, &r) == 0 && r.status == 200);
	const char *etag0 = resp_header(&r, "ETag");
	ck_assert_ptr_nonnull(etag0);
	char etag[128], inm[160];
	snprintf(etag, sizeof(etag), "%s", etag0);
	ck_assert(strncmp(resp_header(&r, "Cache-Control"), "public, max-age=", 16) == 0);
	size_t plain_len = r.len;
	resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	/* a second later the timeStamp differs, but the representation is the same */
	usleep(1100 * 1000);
	ck_assert(http_do("GET", url, (const char *const[]){inm, NULL}, &r) == 0);
	ck_assert_int_eq(r.status, 304);
	ck_assert_uint_eq(r.len, 0);
	resp_free(&r);
	ck_assert(http_do("GET", url, (const char *const[]){"If-None-Match: \"other\"", NULL}, &r) == 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* gzip when asked for: smaller, and the same document once inflated */
	ck_assert(http_do("GET", url, (const char *const[]){"Accept-Encoding: gzip", NULL}, &r) == 0);
	ck_assert_str_eq(resp_header(&r, "Content-Encoding"), "gzip");
	ck_assert(r.len < plain_len / 2);
	resp_free(&r);
	/* errors are never cached */
	r = get_expect("/collections/initiatives/items?limit=0", 400);
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
	resp_free(&r);
}
END_TEST

/* --- one initiative, and personal data --- */

START_TEST(item_details)
{
	long id = sql_long("select min(i.id) from kaart.initiative i where i.status = 'published'"
			   " and exists (select 1 from kaart.contact_person c where c.initiative_id = i.id and c.public_consent)");
	char path[128];
	snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", id);
	struct resp r = get_expect(path, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/geo+json");
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "id")), id);
	json_t *p = json_object_get(r.json, "properties");
	ck_assert(json_array_size(json_object_get(p, "parties")) >= 2);
	json_t *regions = json_object_get(p, "regions");
	ck_assert_uint_eq(json_array_size(regions), 4);
	ck_assert(json_is_object(json_object_get(p, "conditions")));
	json_t *contacts = json_object_get(p, "contacts");
	char sql[256];
	snprintf(sql, sizeof(sql), "select count(*) from kaart.contact_person where initiative_id = %ld and public_consent", id);
	ck_assert_int_eq((long)json_array_size(contacts), sql_long(sql));
	size_t i;
	json_t *c;
	json_array_foreach(contacts, i, c) {
		ck_assert_ptr_null(json_object_get(c, "email"));
		ck_assert_ptr_null(json_object_get(c, "phone"));
	}
	json_t *links = json_object_get(r.json, "links");
	ck_assert_ptr_nonnull(find_link(links, "self"));
	ck_assert_ptr_nonnull(find_link(links, "collection"));
	resp_free(&r);
	/* not published: not there */
	long pending = sql_long("select coalesce(min(id), 0) from kaart.initiative where status = 'submitted'");
	ck_assert(pending > 0);
	snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", pending);
	r = get_expect(path, 404);
	resp_free(&r);
}
END_TEST

/* No contact person's email or phone appears in any public output, nor the name of one who did
 * not consent. */
START_TEST(no_personal_data_in_public_output)
{
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, "select i.id, c.name, c.email, coalesce(c.phone, ''), c.public_consent"
				   "  from kaart.contact_person c join kaart.initiative i on i.id = c.initiative_id"
				   " where i.status = 'published' order by i.id");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_msg(PQntuples(res) > 10, "the demo data should have contact persons");
	struct resp all = get_expect("/collections/initiatives/items?limit=10000", 200);
	int private_seen = 0;
	long last = 0;
	struct resp one = {0};
	for (int row = 0; row < PQntuples(res); row++) {
		long id = strtol(PQgetvalue(res, row, 0), NULL, 10);
		if (id != last) {
			resp_free(&one);
			char path[96];
			snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", id);
			one = get_expect(path, 200);
			last = id;
		}
		const char *name = PQgetvalue(res, row, 1), *email = PQgetvalue(res, row, 2), *phone = PQgetvalue(res, row, 3);
		int consent = PQgetvalue(res, row, 4)[0] == 't';
		ck_assert_msg(!*email || !strstr(one.body, email), "email %s in initiative %ld", email, id);
		ck_assert_msg(!*email || !strstr(all.body, email), "email %s in the list", email);
		ck_assert_msg(!*phone || !strstr(one.body, phone), "phone %s in initiative %ld", phone, id);
		if (!consent) {
			private_seen = 1;
			ck_assert_msg(!strstr(one.body, name), "name %s without consent in initiative %ld", name, id);
		} else {
			ck_assert_msg(strstr(one.body, name), "consented name %s missing in %ld", name, id);
		}
	}
	ck_assert_msg(private_seen, "the demo data should have contacts without consent");
	resp_free(&one);
	resp_free(&all);
	PQclear(res);
	PQfinish(db);
}
END_TEST

/* The personal values no public document may hold: every contact person's and school contact's
 * e-mail and phone, and every contact person's name (the formats below show no person at all). */
struct personal {
	PGresult *res; /* value, kind */
};

static struct personal personal_load(PGconn *db)
{
	struct personal p;
	p.res = PQexec(db, "select email, 'e-mail' from kaart.contact_person where email is not null"
			   " union select phone, 'phone' from kaart.contact_person where phone is not null"
			   " union select email, 'e-mail' from kaart.school_contact where email is not null"
			   " union select phone, 'phone' from kaart.school_contact where phone is not null"
			   " union select name, 'name' from kaart.contact_person where length(name) >= 6");
	ck_assert_int_eq(PQresultStatus(p.res), PGRES_TUPLES_OK);
	ck_assert_msg(PQntuples(p.res) > 100, "the demo data should have contact persons");
	return p;
}

/* Whether the bytes of body hold text, anywhere. */
static int bytes_hold(const char *body, size_t len, const char *text)
{
	size_t n = strlen(text);
	for (size_t i = 0; n && i + n <= len; i++)
		if (body[i] == text[0] && memcmp(body + i, text, n) == 0)
			return 1;
	return 0;
}

/* Fails the test when the bytes of a document (what names it) hold a personal value. */
static void assert_nothing_personal(const struct personal *p, const char *what, const char *body, size_t len)
{
	ck_assert_msg(body && len > 0, "%s: an empty document", what);
	for (int i = 0; i < PQntuples(p->res); i++)
		ck_assert_msg(!bytes_hold(body, len, PQgetvalue(p->res, i, 0)), "%s holds the %s %s", what,
			      PQgetvalue(p->res, i, 1), PQgetvalue(p->res, i, 0));
}

/* The text of every file of an XLSX workbook (unzip -p), NUL-terminated; caller frees. */
static char *xlsx_text(const struct resp *r, size_t *len)
{
	char path[] = "/tmp/rk-xlsx-XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	ck_assert(write(fd, r->body, r->len) == (ssize_t)r->len);
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "unzip -p '%s'", path);
	FILE *f = popen(cmd, "r");
	ck_assert(f != NULL);
	char *out = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n + 65536 + 1 > cap)
			out = realloc(out, cap = cap * 2 + 65536 + 1);
		got = fread(out + n, 1, 65536, f);
		n += got;
	} while (got > 0);
	ck_assert_msg(pclose(f) == 0, "unzip of the workbook failed");
	unlink(path);
	out[n] = '\0';
	*len = n;
	return out;
}

/* The z/x/y of the tile at zoom z holding initiative id's point. */
static void tile_of(long id, int z, long *x, long *y)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "select floor((st_x(geom) + 180) / 360 * 2 ^ %d)::bigint from kaart.initiative where id = %ld",
		 z, id);
	*x = sql_long(sql);
	snprintf(sql, sizeof(sql),
		 "select floor((1 - ln(tan(radians(st_y(geom))) + 1 / cos(radians(st_y(geom)))) / pi()) / 2 * 2 ^ %d)::bigint"
		 " from kaart.initiative where id = %ld", z, id);
	*y = sql_long(sql);
}

/* Tiles, clusters and the overviews in every format hold no personal value. First the scan is
 * shown to find one: a contact's e-mail planted in a published initiative's name (which the items
 * and the points of a zoom-13 tile show), then taken out again. */
START_TEST(no_personal_data_in_tiles_clusters_and_overviews)
{
	PGconn *db = db_connect();
	struct personal p = personal_load(db);
	long id = sql_long("select min(i.id) from kaart.initiative i where i.status = 'published'");
	char *name = sql_text("select name from kaart.initiative where id = (select min(id) from kaart.initiative where status = 'published')");
	char *email = sql_text("select min(email) from kaart.contact_person");
	ck_assert(name && email);
	long x, y;
	tile_of(id, 13, &x, &y);
	char item[96], tile[128];
	snprintf(item, sizeof(item), "/collections/initiatives/items/%ld", id);
	snprintf(tile, sizeof(tile), "/collections/initiatives/tiles/13/%ld/%ld", x, y);
	/* plant */
	const char *params[] = {email, NULL};
	char idtext[32];
	snprintf(idtext, sizeof(idtext), "%ld", id);
	params[1] = idtext;
	PGresult *res = PQexecParams(db, "update kaart.initiative set name = left(name, 100) || ' ' || $1 where id = $2::bigint",
				     2, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "plant: %s", PQerrorMessage(db));
	PQclear(res);
	/* the change reaches the cache by its notification: poll until the item shows it */
	struct resp r = {0};
	for (int i = 0; i < 100; i++) {
		resp_free(&r);
		r = get_expect(item, 200);
		if (bytes_hold(r.body, r.len, email))
			break;
		usleep(100000);
	}
	ck_assert_msg(bytes_hold(r.body, r.len, email), "the planted e-mail never showed in %s", item);
	resp_free(&r);
	r = get_expect(tile, 200);
	int found = bytes_hold(r.body, r.len, email);
	resp_free(&r);
	/* restore before any assertion on it can stop the test */
	const char *back[] = {name, idtext};
	res = PQexecParams(db, "update kaart.initiative set name = $1 where id = $2::bigint", 2, NULL, back, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "restore: %s", PQerrorMessage(db));
	PQclear(res);
	ck_assert_msg(found, "the scan does not find an e-mail planted in the points of %s", tile);
	for (int i = 0; i < 100; i++) {
		r = get_expect(item, 200);
		found = bytes_hold(r.body, r.len, email);
		resp_free(&r);
		if (!found)
			break;
		usleep(100000);
	}
	ck_assert_msg(!found, "the planted e-mail stays in %s after it was taken out", item);

	/* every zoom-13 tile with a published initiative (their points carry names), and the tiles and
	 * clusters of the whole country at lower zooms */
	res = PQexec(db, "select distinct floor((st_x(geom) + 180) / 360 * 8192)::bigint,"
			 " floor((1 - ln(tan(radians(st_y(geom))) + 1 / cos(radians(st_y(geom)))) / pi()) / 2 * 8192)::bigint"
			 " from kaart.initiative where status = 'published'");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert(PQntuples(res) > 10);
	for (int i = 0; i < PQntuples(res); i++) {
		snprintf(tile, sizeof(tile), "/collections/initiatives/tiles/13/%s/%s", PQgetvalue(res, i, 0),
			 PQgetvalue(res, i, 1));
		r = get_expect(tile, 200);
		assert_nothing_personal(&p, tile, r.body, r.len);
		resp_free(&r);
	}
	PQclear(res);
	static const char *const docs[] = {
		"/collections/initiatives/tiles/5/16/10",
		"/collections/initiatives/tiles/8/131/84", "/collections/regions-gemeente/tiles/5/16/10",
		"/collections/initiatives/clusters?zoom=3", "/collections/initiatives/clusters?zoom=8",
		"/collections/initiatives/clusters?zoom=12",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		r = get_expect(docs[i], 200);
		assert_nothing_personal(&p, docs[i], r.body, r.len);
		resp_free(&r);
	}
	/* the overviews, every type in every format, and the coverage */
	static const char *const types[] = {"provincie", "arbeidsmarktregio", "rmc", "gemeente"};
	static const char *const formats[] = {"", "?f=json", "?f=csv", "?f=geojson&simplify=0.01", "?f=xlsx", "/coverage"};
	for (size_t t = 0; t < 4; t++) {
		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
			char path[128];
			snprintf(path, sizeof(path), "/overviews/%s%s", types[t], formats[f]);
			r = get_expect(path, 200);
			if (strstr(path, "xlsx")) {
				size_t len;
				char *text = xlsx_text(&r, &len);
				/* the unzipped sheets are text a scan can read: Utrecht is named in each */
				ck_assert_msg(bytes_hold(text, len, "Utrecht"), "%s: the unzipped workbook does not name Utrecht", path);
				assert_nothing_personal(&p, path, text, len);
				free(text);
			} else {
				assert_nothing_personal(&p, path, r.body, r.len);
			}
			resp_free(&r);
		}
	}
	free(name);
	free(email);
	PQclear(p.res);
	PQfinish(db);
}
END_TEST

/* The role the service logs in as cannot read personal data, whatever the C does. */
START_TEST(web_role_cannot_read_private_tables)
{
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, "set role routekaart_web");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	const char *denied[] = {"select count(*) from kaart.contact_person", "select count(*) from kaart.initiative",
				"select count(*) from audit.log", "select email from kaart.contact_person limit 1"};
	for (size_t i = 0; i < 4; i++) {
		res = PQexec(db, denied[i]);
		ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR, "%s was allowed", denied[i]);
		ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
		PQclear(res);
	}
	res = PQexec(db, "select count(*) from api.initiatives");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	PQfinish(db);
}
END_TEST

/* --- schools and regions --- */

START_TEST(schools_collection)
{
	struct resp r = get_expect("/collections/schools/items?limit=10000", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberMatched")),
			 sql_long("select count(*) from ref.school_location"));
	resp_free(&r);
	r = get_expect("/collections/schools/items?vmbo=true&limit=1", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberMatched")), 1176);
	resp_free(&r);
	r = get_expect("/collections/schools/items?region=GM0153&limit=1", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberMatched")),
			 sql_long("select count(*) from ref.school_location where gemeente_code = 'GM0153'"));
	resp_free(&r);
	/* route_count of the busiest school equals the published initiatives it is a party in */
	char *code = sql_text("select p.vestigingscode from kaart.party p join kaart.initiative i on i.id = p.initiative_id"
			      " where i.status = 'published' and p.vestigingscode is not null"
			      " group by 1 order by count(distinct i.id) desc, 1 limit 1");
	char path[128], sql[512];
	snprintf(path, sizeof(path), "/collections/schools/items/%s", code);
	r = get_expect(path, 200);
	snprintf(sql, sizeof(sql), "select count(distinct i.id) from kaart.party p join kaart.initiative i on i.id = p.initiative_id"
		 " where i.status = 'published' and p.vestigingscode = '%s'", code);
	long want = sql_long(sql);
	ck_assert(want >= 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r.json, "properties"), "route_count")), want);
	resp_free(&r);
	free(code);
	r = get_expect("/collections/schools/items?q=stedelijk&limit=100", 200);
	ck_assert(json_integer_value(json_object_get(r.json, "numberMatched")) >= 2);
	resp_free(&r);
	r = get_expect("/collections/schools/items/99ZZ99", 404);
	resp_free(&r);
	expect_param_error("/collections/schools/items?vmbo=yes", "vmbo", "invalid_value");
	expect_param_error("/collections/schools/items?niveau=3", "niveau", "unknown_parameter");
}
END_TEST

START_TEST(region_collections_counts)
{
	const struct { const char *type; long n; } types[] = {
		{"provincie", 12}, {"arbeidsmarktregio", 35}, {"rmc", 40}, {"gemeente", 342}};
	long published = sql_long(published_sql);
	for (size_t t = 0; t < 4; t++) {
		char path[128];
		snprintf(path, sizeof(path), "/collections/regions-%s/items?limit=1000&simplify=0.005", types[t].type);
		struct resp r = get_expect(path, 200);
		json_t *features = json_object_get(r.json, "features");
		ck_assert_uint_eq(json_array_size(features), (size_t)types[t].n);
		/* each initiative lies in exactly one region of each type */
		long sum = 0;
		size_t i;
		json_t *f;
		json_array_foreach(features, i, f) {
			json_t *p = json_object_get(f, "properties");
			sum += (long)json_integer_value(json_object_get(p, "initiative_count"));
			ck_assert_str_eq(json_string_value(json_object_get(p, "type")), types[t].type);
			ck_assert_str_eq(json_string_value(json_object_get(json_object_get(f, "geometry"), "type")), "MultiPolygon");
		}
		ck_assert_msg(sum == published, "%s: counts add up to %ld, not %ld", types[t].type, sum, published);
		resp_free(&r);
	}
	/* one region's count against independent SQL */
	struct resp r = get_expect("/collections/regions-arbeidsmarktregio/items/AM13", 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r.json, "properties"), "initiative_count")),
			 sql_long("select count(*) from kaart.initiative i where i.status = 'published' and "
				  IN_REGION("arbeidsmarktregio_code", "AM13")));
	size_t full = r.len;
	resp_free(&r);
	r = get_expect("/collections/regions-arbeidsmarktregio/items/AM13?simplify=0.01", 200);
	ck_assert_msg(r.len < full, "simplify=0.01 (%zu bytes) is not smaller than full (%zu)", r.len, full);
	resp_free(&r);
	/* all gemeenten for a national view stay small when simplified */
	r = get_expect("/collections/regions-gemeente/items?limit=1000&simplify=0.01", 200);
	ck_assert_msg(r.len < 1000000, "all gemeenten simplified take %zu bytes", r.len);
	resp_free(&r);
	r = get_expect("/collections/regions-provincie/items/AM13", 404);
	resp_free(&r);
	expect_param_error("/collections/regions-gemeente/items?simplify=1", "simplify", "out_of_range");
	expect_param_error("/collections/regions-gemeente/items?region=AM13", "region", "unknown_parameter");
}
END_TEST

/* The example of the issue: what a web map draws as is. */
START_TEST(map_example_request)
{
	struct resp r = get_expect("/collections/initiatives/items?region=AM13&niveau=3", 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "FeatureCollection");
	ck_assert(json_array_size(json_object_get(r.json, "features")) > 0);
	ck_assert_ptr_null(json_object_get(r.json, "crs"));
	resp_free(&r);
}
END_TEST

/* --- the database away, busy, and back --- */

START_TEST(database_unreachable)
{
	struct server down;
	const char *env[] = {"DATABASE_URL=host=/nonexistent/socket/dir dbname=routekaart user=routekaart_app",
			     "DATABASE_READ_URL=host=/nonexistent/socket/dir dbname=routekaart user=routekaart_web", NULL};
	ck_assert_int_eq(server_start(&down, env), 0);
	char url[128];
	struct resp r;
	snprintf(url, sizeof(url), "%s/readyz", down.url);
	ck_assert(http_do("GET", url, NULL, &r) == 0);
	ck_assert_int_eq(r.status, 503);
	assert_problem(&r, 503, "/problems/service-unavailable");
	ck_assert_str_eq(resp_header(&r, "Retry-After"), "1");
	assert_nosniff(&r, "/readyz, the database away");
	resp_free(&r);
	snprintf(url, sizeof(url), "%s/collections/initiatives/items", down.url);
	ck_assert(http_do("GET", url, NULL, &r) == 0 && r.status == 503);
	assert_nosniff(&r, "a read, the database away");
	resp_free(&r);
	snprintf(url, sizeof(url), "%s/healthz", down.url);
	ck_assert(http_do("GET", url, NULL, &r) == 0 && r.status == 200);
	resp_free(&r);
	ck_assert_int_eq(server_stop(&down), 0);
}
END_TEST

struct slow_get {
	const char *url;
	long status;
};

static void *slow_get_thread(void *arg)
{
	struct slow_get *g = arg;
	struct resp r;
	http_do("GET", g->url, NULL, &r);
	g->status = r.status;
	resp_free(&r);
	return NULL;
}

/* With the only connection held by a blocked query, the next request gets 503 + Retry-After
 * after the acquire timeout; both succeed once the block is gone. */
START_TEST(pool_exhausted)
{
	struct server one;
	const char *env[] = {"DB_POOL_SIZE=1", "DB_ACQUIRE_TIMEOUT_MS=300", NULL};
	ck_assert_int_eq(server_start(&one, env), 0);
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, "begin; lock table kaart.initiative in access exclusive mode");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	char url[128];
	snprintf(url, sizeof(url), "%s/collections/initiatives/items?limit=1", one.url);
	struct slow_get g = {url, 0};
	pthread_t t;
	pthread_create(&t, NULL, slow_get_thread, &g);
	/* wait until the blocked query is really waiting for the lock: the pool's one read connection
	 * is then taken */
	long waiting = 0;
	for (int i = 0; i < 200 && (waiting = sql_long("select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
						       " and application_name = 'routekaartd'")) == 0; i++)
		usleep(50000);
	ck_assert_msg(waiting == 1, "the blocked read never waited for the lock (%ld waiting)", waiting);
	ck_assert_msg(server_metric(&one, "routekaart_db_pool_in_use{pool=\"read\"}") == 1 &&
			      server_metric(&one, "routekaart_db_pool_size{pool=\"read\"}") == 1,
		      "the read pool is not exhausted");
	/* /readyz asks for a connection of the same pool (select 1, no lock involved): it gets none in
	 * DB_ACQUIRE_TIMEOUT_MS, and says 503 */
	struct resp r;
	char url2[128];
	snprintf(url2, sizeof(url2), "%s/readyz", one.url);
	ck_assert(http_do("GET", url2, NULL, &r) == 0);
	ck_assert_int_eq(r.status, 503);
	assert_problem(&r, 503, "/problems/service-unavailable");
	ck_assert_ptr_nonnull(resp_header(&r, "Retry-After"));
	resp_free(&r);
	res = PQexec(db, "rollback");
	PQclear(res);
	pthread_join(t, NULL);
	ck_assert_int_eq(g.status, 200);
	ck_assert(http_do("GET", url2, NULL, &r) == 0 && r.status == 200);
	resp_free(&r);
	PQfinish(db);
	ck_assert_int_eq(server_stop(&one), 0);
}
END_TEST

/* PostgreSQL restarts under a running server: a response the cache holds is still served
 * (stale-if-error), anything else is 503 while it is away; then the server recovers by itself,
 * without a restart of its own. */
START_TEST(database_restart_recovery)
{
	struct resp r = get_expect("/collections/initiatives/items?limit=1", 200);
	char etag[128];
	snprintf(etag, sizeof(etag), "%s", resp_header(&r, "ETag"));
	resp_free(&r);
	pg_test_cluster("stop");
	r = get_expect("/readyz", 503);
	resp_free(&r);
	r = get_expect("/collections/initiatives/items?limit=1", 200);
	ck_assert_str_eq(resp_header(&r, "ETag"), etag);
	ck_assert_ptr_nonnull(strstr(resp_header(&r, "Cache-Control"), "stale-if-error"));
	resp_free(&r);
	r = get_expect("/collections/initiatives/items?limit=2", 503);
	assert_problem(&r, 503, "/problems/service-unavailable");
	ck_assert_ptr_nonnull(resp_header(&r, "Retry-After"));
	resp_free(&r);
	pg_test_cluster("start");
	/* the first request after the restart already succeeds: broken connections are replaced */
	r = get_expect("/collections/initiatives/items?limit=2", 200);
	resp_free(&r);
	r = get_expect("/readyz", 200);
	resp_free(&r);
}
END_TEST

static Suite *integration_suite(void)
{
	Suite *s = suite_create("integration");
	TCase *t = tcase_create("api");
	tcase_add_unchecked_fixture(t, harness_setup, harness_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, landing_page_links);
	tcase_add_test(t, api_document_json_and_yaml);
	tcase_add_test(t, conformance_classes);
	tcase_add_test(t, collections_with_extents);
	tcase_add_test(t, codelists_complete);
	tcase_add_test(t, health_and_metrics);
	tcase_add_test(t, items_default_page);
	tcase_add_loop_test(t, items_filters_match_sql, 0, (int)(sizeof(filter_cases) / sizeof(filter_cases[0])));
	tcase_add_test(t, items_filters_not_trivial);
	tcase_add_test(t, items_paging_walk);
	tcase_add_test(t, items_links_keep_filters);
	tcase_add_test(t, items_parameter_errors);
	tcase_add_test(t, request_errors);
	tcase_add_test(t, every_answer_is_nosniff);
	tcase_add_test(t, oversized_headers_refused);
	tcase_add_test(t, caching_headers);
	tcase_add_test(t, item_details);
	tcase_add_test(t, no_personal_data_in_public_output);
	tcase_add_test(t, no_personal_data_in_tiles_clusters_and_overviews);
	tcase_add_test(t, web_role_cannot_read_private_tables);
	tcase_add_test(t, schools_collection);
	tcase_add_test(t, region_collections_counts);
	tcase_add_test(t, map_example_request);
	tcase_add_test(t, database_unreachable);
	tcase_add_test(t, pool_exhausted);
	/* last: it restarts the database under the shared server */
	tcase_add_test(t, database_restart_recovery);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(integration_suite());
}
