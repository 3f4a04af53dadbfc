/* Unit tests of the pure parts of routekaartd: request targets, parameters, routing, content
 * negotiation, buffers, configuration, SQLSTATE mapping, and the router against openapi.yaml. */
#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "http/cache.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "store/db.h"
#include "http/http.h"
#include "api/openapi_doc.h"
#include "http/query.h"
#include "http/router.h"
#include "api/routes.h"
#include "store/pg.h"
#include "store/listen.h"
#include "http/validate.h"

/* --- request targets --- */

START_TEST(target_splits_and_decodes)
{
	struct target t;
	ck_assert_int_eq(target_parse(&t, "/collections/a%20b/items?x=1&y=%C3%A9+z&flag&z="), TARGET_OK);
	ck_assert_uint_eq(t.nseg, 3);
	ck_assert_str_eq(t.seg[0], "collections");
	ck_assert_str_eq(t.seg[1], "a b");
	ck_assert_str_eq(t.seg[2], "items");
	ck_assert_uint_eq(t.nparams, 4);
	ck_assert_str_eq(t.params[0].key, "x");
	ck_assert_str_eq(t.params[0].value, "1");
	ck_assert_str_eq(t.params[1].value, "\xc3\xa9 z");
	ck_assert_str_eq(t.params[2].key, "flag");
	ck_assert_str_eq(t.params[2].value, "");
	ck_assert_str_eq(t.params[3].value, "");
	target_release(&t);
}
END_TEST

START_TEST(target_root_and_trailing_slash)
{
	struct target t;
	ck_assert_int_eq(target_parse(&t, "/"), TARGET_OK);
	ck_assert_uint_eq(t.nseg, 0);
	target_release(&t);
	ck_assert_int_eq(target_parse(&t, "/collections/"), TARGET_OK);
	ck_assert_uint_eq(t.nseg, 1);
	target_release(&t);
	ck_assert_int_eq(target_parse(&t, "/a?&&b=1&"), TARGET_OK);
	ck_assert_uint_eq(t.nparams, 1);
	target_release(&t);
	/* a fragment is not part of the query */
	ck_assert_int_eq(target_parse(&t, "/a?b=1#c=2"), TARGET_OK);
	ck_assert_uint_eq(t.nparams, 1);
	ck_assert_str_eq(t.params[0].value, "1");
	target_release(&t);
}
END_TEST

START_TEST(target_rejects_malformed)
{
	struct target t;
	ck_assert_int_eq(target_parse(&t, "/a%2"), TARGET_BAD);
	ck_assert_int_eq(target_parse(&t, "/a%zz"), TARGET_BAD);
	ck_assert_int_eq(target_parse(&t, "/a%00b"), TARGET_BAD);
	ck_assert_int_eq(target_parse(&t, "/a?x=%00"), TARGET_BAD);
	ck_assert_int_eq(target_parse(&t, "/a//b"), TARGET_BAD);
	ck_assert_int_eq(target_parse(&t, "a/b"), TARGET_BAD);
	ck_assert_int_eq(target_parse(&t, "*"), TARGET_BAD);
	/* an encoded slash stays inside its segment: it never creates a new one */
	ck_assert_int_eq(target_parse(&t, "/collections/a%2Fb"), TARGET_OK);
	ck_assert_uint_eq(t.nseg, 2);
	ck_assert_str_eq(t.seg[1], "a/b");
	target_release(&t);
}
END_TEST

START_TEST(target_limits_counts)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "/x?");
	for (int i = 0; i <= QUERY_MAX_PARAMS; i++)
		buf_printf(&b, "p%d=1&", i);
	struct target t;
	ck_assert_int_eq(target_parse(&t, b.data), TARGET_TOO_MANY);
	buf_release(&b);
	for (int i = 0; i <= QUERY_MAX_SEGMENTS; i++)
		buf_puts(&b, "/s");
	ck_assert_int_eq(target_parse(&t, b.data), TARGET_TOO_MANY);
	buf_release(&b);
}
END_TEST

/* --- parameters --- */

static const char *const kinds[] = {"a", "b", NULL};
static const struct pspec specs[] = {
	{"limit", PT_INT, 1, 10000, NULL, NULL, NULL, 0, 0},
	{"bbox", PT_BBOX, 0, 0, NULL, NULL, NULL, 0, 0},
	{"kind", PT_LIST, 0, 0, kinds, NULL, "a kind", 0, 0},
	{"region", PT_LIST, 0, 0, NULL, query_is_region_code, "a region code", 0, 0},
	{"niveau", PT_LIST, 2, 4, NULL, NULL, "a niveau", 0, 1},
	{"q", PT_TEXT, 0, 0, NULL, NULL, NULL, 10, 0},
	{"simplify", PT_NUMBER, 0, 0.1, NULL, NULL, NULL, 0, 0},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* Validates target text; returns the error count, leaves the errors in errs and values in v. */
static size_t validate(const char *raw, struct pvalue *v, struct perrors *errs)
{
	struct target t;
	ck_assert_int_eq(target_parse(&t, raw), TARGET_OK);
	size_t n = query_validate(&t, specs, NSPECS, v, errs);
	/* values borrow from the target: keep what the tests read, then release */
	for (size_t k = 0; k < NSPECS; k++)
		v[k].raw = v[k].present ? "(released)" : NULL;
	target_release(&t);
	return n;
}

/* A list parameter as the store sends it to PostgreSQL: an array literal, or NULL when absent. */
static char *pg_array(const struct pvalue *v)
{
	struct db_list list = {.present = v->present, .items = (const char *const *)v->items, .n = v->nitems};
	int oom = 0;
	return db_array_literal(&list, &oom);
}

START_TEST(params_valid)
{
	struct pvalue v[NSPECS];
	struct perrors errs;
	ck_assert_uint_eq(validate("/x?limit=25&bbox=4.1,52.0,5.5,52.5&kind=a,b&region=AM13,GM0363&niveau=2,4&q=zorg&simplify=0.01", v, &errs), 0);
	ck_assert_int_eq(v[0].i, 25);
	ck_assert(v[1].bbox[0] == 4.1 && v[1].bbox[3] == 52.5);
	ck_assert_uint_eq(v[2].nitems, 2);
	ck_assert_str_eq(v[3].items[1], "GM0363");
	ck_assert_str_eq(v[4].items[1], "4");
	ck_assert(v[6].num == 0.01);
	char *arr = pg_array(&v[3]);
	ck_assert_str_eq(arr, "{\"AM13\",\"GM0363\"}");
	free(arr);
	query_values_release(v, NSPECS);
	/* six numbers: the heights are dropped */
	ck_assert_uint_eq(validate("/x?bbox=4,51,-10,5,52,100", v, &errs), 0);
	ck_assert(v[1].bbox[0] == 4 && v[1].bbox[1] == 51 && v[1].bbox[2] == 5 && v[1].bbox[3] == 52);
}
END_TEST

static void expect_error(const char *raw, const char *param, const char *code)
{
	struct pvalue v[NSPECS];
	struct perrors errs;
	size_t n = validate(raw, v, &errs);
	query_values_release(v, NSPECS);
	ck_assert_msg(n == 1, "%s: expected one error, got %zu", raw, n);
	ck_assert_str_eq(errs.v[0].parameter, param);
	ck_assert_msg(strcmp(errs.v[0].code, code) == 0, "%s: code %s, expected %s", raw, errs.v[0].code, code);
	ck_assert(strlen(errs.v[0].message) > 5);
}

START_TEST(params_invalid)
{
	expect_error("/x?limit=0", "limit", "out_of_range");
	expect_error("/x?limit=10001", "limit", "out_of_range");
	expect_error("/x?limit=ten", "limit", "not_an_integer");
	expect_error("/x?limit=1.5", "limit", "not_an_integer");
	expect_error("/x?limit=", "limit", "empty");
	expect_error("/x?limit=99999999999999999999", "limit", "not_an_integer");
	expect_error("/x?bbox=1,2,3", "bbox", "invalid_bbox");
	expect_error("/x?bbox=1,2,3,4,5", "bbox", "invalid_bbox");
	expect_error("/x?bbox=5,52,4,53", "bbox", "invalid_bbox");
	expect_error("/x?bbox=4,52,5,91", "bbox", "out_of_range");
	expect_error("/x?bbox=nan,1,2,3", "bbox", "invalid_bbox");
	expect_error("/x?bbox=0x1,1,2,3", "bbox", "invalid_bbox");
	expect_error("/x?kind=c", "kind", "invalid_value");
	expect_error("/x?kind=a,,b", "kind", "invalid_value");
	expect_error("/x?region=AM1", "region", "invalid_value");
	expect_error("/x?region=am13", "region", "invalid_value");
	expect_error("/x?region=GM036", "region", "invalid_value");
	expect_error("/x?niveau=1", "niveau", "invalid_value");
	expect_error("/x?niveau=5", "niveau", "invalid_value");
	expect_error("/x?q=12345678901", "q", "too_long");
	expect_error("/x?simplify=0.2", "simplify", "out_of_range");
	expect_error("/x?limit=5&limit=6", "limit", "duplicate_parameter");
	expect_error("/x?colour=red", "colour", "unknown_parameter");
}
END_TEST

START_TEST(params_all_errors_at_once)
{
	struct pvalue v[NSPECS];
	struct perrors errs;
	size_t n = validate("/x?limit=0&niveau=7&foo=1&bbox=1", v, &errs);
	query_values_release(v, NSPECS);
	ck_assert_uint_eq(n, 4);
	const char *seen[4];
	for (size_t i = 0; i < n; i++)
		seen[i] = errs.v[i].parameter;
	const char *want[] = {"foo", "limit", "bbox", "niveau"};
	for (size_t w = 0; w < 4; w++) {
		int found = 0;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(seen[i], want[w]) == 0;
		ck_assert_msg(found, "no error for %s", want[w]);
	}
}
END_TEST

START_TEST(params_build_keeps_filters)
{
	struct target t;
	ck_assert_int_eq(target_parse(&t, "/x?niveau=3&region=AM13,PV27&q=zorg+en&limit=5"), TARGET_OK);
	struct pvalue v[NSPECS];
	struct perrors errs;
	ck_assert_uint_eq(query_validate(&t, specs, NSPECS, v, &errs), 0);
	struct buf b;
	buf_init(&b, 4096);
	const char *names[] = {"limit", "simplify"};
	const char *values[] = {"10", NULL};
	ck_assert_int_eq(query_build(&b, specs, v, NSPECS, names, values, 2), 0);
	ck_assert_str_eq(b.data, "limit=10&region=AM13,PV27&niveau=3&q=zorg%20en");
	buf_release(&b);
	query_values_release(v, NSPECS);
	target_release(&t);
}
END_TEST

START_TEST(params_pg_array_escapes)
{
	struct pvalue v = {0};
	char q[] = "a\"b", bs[] = "c\\d";
	v.present = 1;
	v.items[0] = q;
	v.items[1] = bs;
	v.nitems = 2;
	char *s = pg_array(&v);
	ck_assert_str_eq(s, "{\"a\\\"b\",\"c\\\\d\"}");
	free(s);
	v.present = 0;
	ck_assert_ptr_null(pg_array(&v));
}
END_TEST

/* --- routing --- */

static enum router_result route(const char *method, const char *raw, const struct route **r, char *allow)
{
	struct target t;
	size_t nroutes;
	const struct route *routes = api_routes(&nroutes);
	ck_assert_int_eq(target_parse(&t, raw), TARGET_OK);
	enum router_result m = router_match(routes, nroutes, method, &t, r, allow, 64);
	target_release(&t);
	return m;
}

START_TEST(router_matches)
{
	const struct route *r = NULL;
	char allow[64];
	ck_assert_int_eq(route("GET", "/", &r, allow), ROUTER_FOUND);
	ck_assert_str_eq(r->pattern, "/");
	ck_assert_int_eq(route("GET", "/collections/initiatives/items?x=1", &r, allow), ROUTER_FOUND);
	ck_assert_str_eq(r->pattern, "/collections/{collectionId}/items");
	ck_assert_int_eq(route("HEAD", "/collections/x/items/12", &r, allow), ROUTER_FOUND);
	ck_assert_str_eq(r->pattern, "/collections/{collectionId}/items/{featureId}");
	ck_assert_int_eq(route("GET", "/collections/x/items/12/more", &r, allow), ROUTER_NOT_FOUND);
	ck_assert_int_eq(route("GET", "/nothing", &r, allow), ROUTER_NOT_FOUND);
	ck_assert_int_eq(route("POST", "/collections", &r, allow), ROUTER_METHOD_NOT_ALLOWED);
	ck_assert_str_eq(allow, "GET, HEAD, OPTIONS");
	ck_assert_int_eq(route("OPTIONS", "/healthz", &r, allow), ROUTER_OPTIONS);
	ck_assert_str_eq(allow, "GET, HEAD, OPTIONS");
}
END_TEST

/* The router and openapi.yaml name the same (method, path) pairs. */
START_TEST(router_equals_openapi)
{
	json_error_t err;
	json_t *doc = json_loadb(openapi_json, openapi_json_len, 0, &err);
	ck_assert_msg(doc != NULL, "openapi.yaml does not convert to JSON: %s", err.text);
	json_t *paths = json_object_get(doc, "paths");
	ck_assert_ptr_nonnull(paths);
	static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head", "options", "trace"};
	size_t nroutes, in_spec = 0;
	const struct route *routes = api_routes(&nroutes);
	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item) {
		for (size_t m = 0; m < 8; m++) {
			if (!json_object_get(item, methods[m]))
				continue;
			in_spec++;
			int found = 0;
			for (size_t i = 0; i < nroutes; i++)
				found |= strcasecmp(routes[i].method, methods[m]) == 0 && strcmp(routes[i].pattern, path) == 0;
			ck_assert_msg(found, "openapi.yaml has %s %s, the router does not", methods[m], path);
		}
	}
	for (size_t i = 0; i < nroutes; i++) {
		json_t *p = json_object_get(paths, routes[i].pattern);
		char m[16];
		size_t k = 0;
		for (; routes[i].method[k] && k < sizeof(m) - 1; k++)
			m[k] = (char)(routes[i].method[k] - 'A' + 'a');
		m[k] = '\0';
		ck_assert_msg(p && json_object_get(p, m), "the router has %s %s, openapi.yaml does not",
			      routes[i].method, routes[i].pattern);
	}
	ck_assert_uint_eq(in_spec, nroutes);
	json_decref(doc);
}
END_TEST

/* --- content negotiation --- */

START_TEST(accept_negotiation)
{
	const char *const items[] = {"application/geo+json", "application/json", NULL};
	ck_assert_int_eq(http_accept_match(NULL, items), 0);
	ck_assert_int_eq(http_accept_match("", items), 0);
	ck_assert_int_eq(http_accept_match("*/*", items), 0);
	ck_assert_int_eq(http_accept_match("application/json", items), 1);
	ck_assert_int_eq(http_accept_match("application/*", items), 0);
	ck_assert_int_eq(http_accept_match("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", items), 0);
	ck_assert_int_eq(http_accept_match("application/json;q=0.5, application/geo+json", items), 0);
	ck_assert_int_eq(http_accept_match("application/geo+json;q=0.2, application/json;q=0.9", items), 1);
	ck_assert_int_eq(http_accept_match("text/csv", items), -1);
	ck_assert_int_eq(http_accept_match("application/json;q=0", items), -1);
	ck_assert_int_eq(http_accept_match("APPLICATION/JSON", items), 1);
	ck_assert_int_eq(http_accept_match("text/*, application/json;q=0.1", items), 1);

	/* RFC 9110 12.5.1: the most specific range that names a type gives its weight */
	ck_assert_int_eq(http_accept_match("application/geo+json;q=0, */*", items), 1);
	ck_assert_int_eq(http_accept_match("*/*, application/geo+json;q=0", items), 1);
	ck_assert_int_eq(http_accept_match("application/*;q=0, */*", items), -1);
	ck_assert_int_eq(http_accept_match("application/*;q=0, application/json", items), 1);
	/* spaces and tabs around elements and parameters; Q is q */
	ck_assert_int_eq(http_accept_match("application/geo+json;q=0.1,\tapplication/json", items), 1);
	ck_assert_int_eq(http_accept_match("application/geo+json ; Q=0.1 , application/json", items), 1);
	ck_assert_int_eq(http_accept_match("application/json\t;\tq=0", items), -1);
	/* a media type's own parameters come before the weight and are not weights */
	ck_assert_int_eq(http_accept_match("application/json;charset=utf-8;q=0.9, application/geo+json;q=0.5", items), 1);
	ck_assert_int_eq(http_accept_match("application/json;q=0.5;level=1, application/geo+json;q=0.4", items), 1);
	/* a weight that is not a qvalue makes the range count for nothing */
	ck_assert_int_eq(http_accept_match("application/json;q=2", items), -1);
	ck_assert_int_eq(http_accept_match("application/json;q=inf", items), -1);
	ck_assert_int_eq(http_accept_match("application/json;q=1.5, application/geo+json;q=0.1", items), 0);
	ck_assert_int_eq(http_accept_match("application/json;q=0.0001", items), -1);
	ck_assert_int_eq(http_accept_match("application/json;q=1.000, application/geo+json;q=0.999", items), 1);
	/* a header that names nothing is no header */
	ck_assert_int_eq(http_accept_match(" , ,", items), 0);
	ck_assert_int_eq(http_accept_match(";q=0", items), 0);
}
END_TEST

START_TEST(accept_encoding_gzip)
{
	ck_assert_int_eq(http_accepts_gzip(NULL), 0);
	ck_assert_int_eq(http_accepts_gzip(""), 0);
	ck_assert_int_eq(http_accepts_gzip("gzip"), 1);
	ck_assert_int_eq(http_accepts_gzip("gzip, deflate, br"), 1);
	ck_assert_int_eq(http_accepts_gzip("br;q=1.0, GZIP;q=0.5"), 1);
	ck_assert_int_eq(http_accepts_gzip("x-gzip"), 1);
	ck_assert_int_eq(http_accepts_gzip("gzip;q=0"), 0);
	ck_assert_int_eq(http_accepts_gzip("gzip; q=0"), 0);
	ck_assert_int_eq(http_accepts_gzip("gzip;q=0.000, br"), 0);
	ck_assert_int_eq(http_accepts_gzip("gzip;q=0.001"), 1);
	ck_assert_int_eq(http_accepts_gzip("*"), 1);
	ck_assert_int_eq(http_accepts_gzip("*;q=0"), 0);
	ck_assert_int_eq(http_accepts_gzip("gzip;q=0, *"), 0);
	ck_assert_int_eq(http_accepts_gzip("identity"), 0);
	ck_assert_int_eq(http_accepts_gzip("gzipper, deflate"), 0);
	ck_assert_int_eq(http_accepts_gzip("gzip;q=2"), 0);
}
END_TEST

START_TEST(if_none_match)
{
	const char *etag = "\"0a1b2c3d4e5f60718\"";
	ck_assert_int_eq(cache_etag_matches("\"0a1b2c3d4e5f60718\"", etag), 1);
	ck_assert_int_eq(cache_etag_matches("W/\"0a1b2c3d4e5f60718\"", etag), 1);
	ck_assert_int_eq(cache_etag_matches("\"x\", \"0a1b2c3d4e5f60718-gz\"", etag), 1);
	ck_assert_int_eq(cache_etag_matches("\"x\",\t\"0a1b2c3d4e5f60718\"", etag), 1);
	ck_assert_int_eq(cache_etag_matches("*", etag), 1);
	ck_assert_int_eq(cache_etag_matches("\"x\" , * ", etag), 1);
	ck_assert_int_eq(cache_etag_matches("*x", etag), 0);
	ck_assert_int_eq(cache_etag_matches("\"0a1b2c3d4e5f6071\"", etag), 0);
	ck_assert_int_eq(cache_etag_matches("\"0a1b2c3d4e5f607189\"", etag), 0);
	ck_assert_int_eq(cache_etag_matches("", etag), 0);
	ck_assert_int_eq(cache_etag_matches("\"\"", ""), 0);
	ck_assert_int_eq(cache_etag_matches("*", ""), 0);
	ck_assert_int_eq(cache_etag_matches(NULL, etag), 0);
}
END_TEST

/* --- buffers --- */

START_TEST(buf_respects_limit)
{
	struct buf b;
	buf_init(&b, 8);
	ck_assert_int_eq(buf_puts(&b, "12345"), 0);
	ck_assert_int_eq(buf_puts(&b, "6789"), -1);
	ck_assert_str_eq(b.data, "12345");
	ck_assert_int_eq(buf_puts(&b, "678"), 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(buf_printf(&b, "%d", 1), -1);
	buf_release(&b);
}
END_TEST

START_TEST(buf_json_string_escapes)
{
	struct buf b;
	buf_init(&b, 1024);
	buf_json_string(&b, "a\"b\\c\n\x01\xc3\xa9");
	ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
	json_t *j = json_loads(b.data, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(j), "a\"b\\c\n\x01\xc3\xa9");
	json_decref(j);
	buf_release(&b);
}
END_TEST

/* --- configuration and errors --- */

START_TEST(config_defaults_and_errors)
{
	struct config cfg;
	char err[256];
	unsetenv("PORT");
	unsetenv("DB_POOL_SIZE");
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.port, 8080);
	ck_assert_str_eq(cfg.listen, "127.0.0.1");
	setenv("PORT", "70000", 1);
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "PORT"));
	setenv("PORT", "80x", 1);
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), -1);
	setenv("PORT", "0", 1);
	setenv("PUBLIC_BASE_URL", "https://example.org/", 1);
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), -1);
	setenv("PUBLIC_BASE_URL", "https://example.org", 1);
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.port, 0);
	unsetenv("PUBLIC_BASE_URL");
	unsetenv("PORT");
}
END_TEST

START_TEST(sqlstate_mapping)
{
	ck_assert_uint_eq(db_sqlstate_status("57014"), 503);
	ck_assert_uint_eq(db_sqlstate_status("08006"), 503);
	ck_assert_uint_eq(db_sqlstate_status("57P01"), 503);
	ck_assert_uint_eq(db_sqlstate_status("40001"), 503); /* a standby's conflict with recovery */
	ck_assert_uint_eq(db_sqlstate_status("40P01"), 503);
	ck_assert_uint_eq(db_sqlstate_status("22P02"), 400);
	ck_assert_uint_eq(db_sqlstate_status("23505"), 409);
	ck_assert_uint_eq(db_sqlstate_status("23503"), 422);
	ck_assert_uint_eq(db_sqlstate_status("23514"), 422);
	/* nothing the database does is a 500: read-only (a standby), serialization, cannot connect
	 * now, an object this version expects missing, no SQLSTATE at all (libpq's own error) */
	ck_assert_uint_eq(db_sqlstate_status("25006"), 503);
	ck_assert_uint_eq(db_sqlstate_status("40001"), 503);
	ck_assert_uint_eq(db_sqlstate_status("57P03"), 503);
	ck_assert_uint_eq(db_sqlstate_status("42P01"), 503);
	ck_assert_uint_eq(db_sqlstate_status("XX000"), 503);
	ck_assert_uint_eq(db_sqlstate_status(NULL), 503);
	ck_assert_uint_eq(db_sqlstate_status(""), 503);
	ck_assert_uint_eq(db_sqlstate_status("23P01"), 422);
}
END_TEST


/* --- submission documents --- */

static json_t *valid_submission(void)
{
	char path[1024];
	const char *top = getenv("RK_TOP");
	snprintf(path, sizeof(path), "%s/tests/cases/submission-valid.json", top ? top : ".");
	json_error_t err;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(doc != NULL, "%s: %s", path, err.text);
	return doc;
}

static int has_error(const struct verrors *e, const char *pointer, const char *code)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].pointer, pointer) == 0 && strcmp(e->v[i].code, code) == 0)
			return 1;
	return 0;
}

static void expect_only(json_t *doc, const char *pointer, const char *code)
{
	struct verrors e;
	size_t n = validate_submission(doc, 2026, &e);
	char all[2048] = "";
	for (size_t i = 0; i < e.n; i++) {
		size_t used = strlen(all);
		snprintf(all + used, sizeof(all) - used, " %s:%s", e.v[i].pointer, e.v[i].code);
	}
	ck_assert_msg(n == 1 && has_error(&e, pointer, code), "expected only %s:%s, got%s", pointer, code, all);
	json_decref(doc);
}

START_TEST(submission_valid_passes)
{
	json_t *doc = valid_submission();
	struct verrors e;
	ck_assert_uint_eq(validate_submission(doc, 2026, &e), 0);
	/* a theoretische-leerweg route needs no profiel */
	json_object_set_new(doc, "leerwegen", json_pack("[s]", "TL"));
	json_object_del(doc, "profielen");
	ck_assert_uint_eq(validate_submission(doc, 2026, &e), 0);
	json_decref(doc);
	doc = valid_submission();
	json_object_set_new(doc, "route_kind", json_string("geintegreerde_route"));
	json_object_set_new(doc, "leerwegen", json_pack("[s]", "BB"));
	json_object_set_new(doc, "niveaus", json_pack("[i]", 2));
	json_object_set_new(doc, "location", json_pack("{s:f,s:f}", "lon", 6.09, "lat", 52.51));
	json_object_set_new(doc, "conditions", json_pack("{s:s,s:[s,s],s:b}", "agreement_signed_on", "2024-02-29",
							 "agreement_topics", "profiel_domein", "medezeggenschap", "rio_registered", 1));
	ck_assert_uint_eq(validate_submission(doc, 2026, &e), 0);
	json_decref(doc);
}
END_TEST

START_TEST(submission_errors)
{
	json_t *d;
	d = valid_submission(); json_object_set_new(d, "niveaus", json_pack("[i,i]", 2, 1)); expect_only(d, "/niveaus/1", "entree_not_allowed");
	d = valid_submission(); json_object_set_new(d, "niveaus", json_pack("[i]", 5)); expect_only(d, "/niveaus/0", "out_of_range");
	d = valid_submission(); json_object_set_new(d, "niveaus", json_pack("[s]", "3")); expect_only(d, "/niveaus/0", "type");
	d = valid_submission(); json_object_set_new(d, "niveaus", json_array()); expect_only(d, "/niveaus", "too_few");
	d = valid_submission(); json_object_set_new(d, "route_kind", json_string("entree")); expect_only(d, "/route_kind", "not_allowed");
	d = valid_submission(); json_object_set_new(d, "profielen", json_pack("[s]", "XX")); expect_only(d, "/profielen/0", "not_allowed");
	d = valid_submission(); json_object_set_new(d, "profielen", json_array()); expect_only(d, "/profielen", "required");
	d = valid_submission(); json_object_set_new(d, "crebo", json_pack("[s]", "1234")); expect_only(d, "/crebo/0", "format");
	d = valid_submission(); json_object_set_new(d, "start_year", json_integer(2009)); expect_only(d, "/start_year", "out_of_range");
	d = valid_submission(); json_object_set_new(d, "website", json_string("javascript:alert(1)")); expect_only(d, "/website", "format");
	d = valid_submission(); json_object_set_new(d, "mailbox", json_string("a@b")); expect_only(d, "/mailbox", "format");
	d = valid_submission(); json_object_set_new(d, "extra", json_true()); expect_only(d, "/extra", "unknown_field");
	d = valid_submission(); json_object_set_new(d, "location", json_pack("{s:s,s:f}", "vestigingscode", "01AA57", "lon", 5.0)); expect_only(d, "/location", "location_choice");
	d = valid_submission(); json_object_set_new(d, "location", json_pack("{s:f}", "lon", 5.0)); expect_only(d, "/location/lat", "required");
	d = valid_submission(); json_object_set_new(d, "conditions", json_pack("{s:s}", "agreement_signed_on", "2023-02-29")); expect_only(d, "/conditions/agreement_signed_on", "format");
	d = valid_submission(); json_object_set_new(d, "conditions", json_pack("{s:[s]}", "agreement_topics", "inrichting")); expect_only(d, "/conditions/agreement_signed_on", "required");
	d = valid_submission(); json_object_set_new(json_array_get(json_object_get(d, "parties"), 1), "kvk", json_string("12345678")); expect_only(d, "/parties/1/brin", "party_identity");
	d = valid_submission(); json_array_remove(json_object_get(d, "parties"), 0); expect_only(d, "/parties", "needs_vo_and_mbo");
	d = valid_submission(); json_array_append_new(json_object_get(d, "parties"), json_pack("{s:s,s:s}", "role", "bedrijf", "name", "Bakkerij")); expect_only(d, "/parties/2/kvk", "party_identity");
	d = valid_submission(); json_object_set_new(json_array_get(json_object_get(d, "contacts"), 0), "phone", json_string("06-abc")); expect_only(d, "/contacts/0/phone", "format");
	d = valid_submission(); json_object_del(json_array_get(json_object_get(d, "contacts"), 0), "email"); expect_only(d, "/contacts/0/email", "required");
	/* the phone shape is the database's: an optional +, then 6 to 20 digits, spaces, ()- */
	d = valid_submission(); json_object_set_new(json_array_get(json_object_get(d, "contacts"), 0), "phone", json_string("+12345")); expect_only(d, "/contacts/0/phone", "format");
	d = valid_submission(); json_object_set_new(json_array_get(json_object_get(d, "contacts"), 0), "phone", json_string("123456789012345678901")); expect_only(d, "/contacts/0/phone", "format");
	d = valid_submission(); json_object_set_new(json_array_get(json_object_get(d, "contacts"), 0), "phone", json_string("+31 (0)38 123-45-67"));
	struct verrors pe;
	ck_assert_uint_eq(validate_submission(d, 2026, &pe), 0);
	json_decref(d);
	d = valid_submission(); json_object_set_new(d, "name", json_string("Ab")); expect_only(d, "/name", "too_short");
	d = valid_submission(); json_object_set_new(d, "name", json_string("Tab\x01route")); expect_only(d, "/name", "invalid_text");
	/* 200 characters of two bytes each are 200 characters, not 400 */
	char name[401];
	for (int i = 0; i < 200; i++) { name[2 * i] = '\xc3'; name[2 * i + 1] = '\xab'; }
	name[400] = '\0';
	d = valid_submission(); json_object_set_new(d, "name", json_string(name));
	struct verrors e;
	ck_assert_uint_eq(validate_submission(d, 2026, &e), 0);
	json_decref(d);
}
END_TEST

START_TEST(submission_geintegreerde_route)
{
	json_t *d = valid_submission();
	json_object_set_new(d, "route_kind", json_string("geintegreerde_route"));
	struct verrors e;
	/* leerwegen BB,KB and niveaus 2,3: both wrong */
	ck_assert_uint_eq(validate_submission(d, 2026, &e), 2);
	ck_assert(has_error(&e, "/leerwegen", "geintegreerde_route_bb"));
	ck_assert(has_error(&e, "/niveaus", "geintegreerde_route_niveau"));
	json_decref(d);
}
END_TEST

START_TEST(submission_every_error_at_once)
{
	json_t *d = json_pack("{s:i,s:s,s:[s],s:[i],s:[],s:[],s:{}}", "name", 7, "route_kind", "x", "leerwegen", "QQ",
			      "niveaus", 9, "opleidingsdomeinen", "parties", "conditions");
	struct verrors e;
	size_t n = validate_submission(d, 2026, &e);
	ck_assert(has_error(&e, "/name", "type"));
	ck_assert(has_error(&e, "/route_kind", "not_allowed"));
	ck_assert(has_error(&e, "/leerwegen/0", "not_allowed"));
	ck_assert(has_error(&e, "/niveaus/0", "out_of_range"));
	ck_assert(has_error(&e, "/opleidingsdomeinen", "too_few"));
	ck_assert(has_error(&e, "/parties", "needs_vo_and_mbo"));
	ck_assert(has_error(&e, "/contacts", "required"));
	ck_assert(has_error(&e, "/profielen", "required"));
	ck_assert_uint_eq(n, 8);
	json_decref(d);
}
END_TEST

START_TEST(merge_patch_rfc7396)
{
	json_t *target = json_pack("{s:s,s:{s:i,s:i},s:[i]}", "a", "b", "c", "d", 1, "e", 2, "f", 3);
	json_t *patch = json_pack("{s:n,s:{s:i},s:[i,i],s:s}", "a", "c", "d", 5, "f", 4, 5, "g", "h");
	json_t *out = validate_merge_patch(target, patch);
	json_t *want = json_pack("{s:{s:i,s:i},s:[i,i],s:s}", "c", "d", 5, "e", 2, "f", 4, 5, "g", "h");
	ck_assert(json_equal(out, want));
	/* the target is not changed */
	ck_assert_str_eq(json_string_value(json_object_get(target, "a")), "b");
	json_decref(target);
	json_decref(patch);
	json_decref(out);
	json_decref(want);
}
END_TEST

START_TEST(messages_per_language)
{
	struct verror e = {.code = "too_long"};
	snprintf(e.param, sizeof(e.param), "200");
	char m[256];
	validate_message(&e, LANG_NL, m, sizeof(m));
	ck_assert_str_eq(m, "te lang: hoogstens 200 tekens");
	validate_message(&e, LANG_EN, m, sizeof(m));
	ck_assert_str_eq(m, "too long: at most 200 characters");
	ck_assert_int_eq(validate_lang(NULL), LANG_NL);
	ck_assert_int_eq(validate_lang("nl-NL,nl;q=0.9,en;q=0.8"), LANG_NL);
	ck_assert_int_eq(validate_lang("en-US,en;q=0.9"), LANG_EN);
	/* weights decide, not only the order: a browser set to German with English second */
	ck_assert_int_eq(validate_lang("de-DE,de;q=0.9,en;q=0.8"), LANG_EN);
	ck_assert_int_eq(validate_lang("de, en;q=0.5, nl;q=0.6"), LANG_NL);
	ck_assert_int_eq(validate_lang("nl;q=0.4, en;q=0.5"), LANG_EN);
	ck_assert_int_eq(validate_lang("  EN-gb ; Q=1.0"), LANG_EN);
	/* en refused, or not en at all */
	ck_assert_int_eq(validate_lang("en;q=0"), LANG_NL);
	ck_assert_int_eq(validate_lang("en;q=0.000, fr"), LANG_NL);
	ck_assert_int_eq(validate_lang("enm, eng"), LANG_NL);
	ck_assert_int_eq(validate_lang("fr"), LANG_NL);
	/* "*" stands for Dutch when nl is not named; a tie goes to the range named first */
	ck_assert_int_eq(validate_lang("*, en;q=0.9"), LANG_NL);
	ck_assert_int_eq(validate_lang("en, *"), LANG_EN);
	ck_assert_int_eq(validate_lang("*;q=0.1, en;q=0.5"), LANG_EN);
	ck_assert_int_eq(validate_lang("nl, en"), LANG_NL);
	ck_assert_int_eq(validate_lang("en;q=0.5, nl;q=0.5"), LANG_EN);
	/* a malformed q-value makes its range count for nothing */
	ck_assert_int_eq(validate_lang("en;q=2"), LANG_NL);
	ck_assert_int_eq(validate_lang("en;q=0.5x"), LANG_NL);
	ck_assert_int_eq(validate_lang("nl;q=abc, en;q=0.1"), LANG_EN);
	ck_assert_int_eq(validate_lang(""), LANG_NL);
	ck_assert_int_eq(validate_lang(",,,;"), LANG_NL);
	/* every code the validation can produce has a message in both languages */
	const char *codes[] = {"required", "type", "unknown_field", "invalid_text", "too_short", "too_long", "too_few",
			       "too_many", "not_allowed", "duplicate", "format", "out_of_range", "entree_not_allowed",
			       "geintegreerde_route_bb", "geintegreerde_route_niveau", "needs_vo_and_mbo",
			       "party_identity", "location_choice", "outside_netherlands", "unknown_vestiging",
			       "not_vmbo", "unknown_brin", "profiel_domein_mismatch", "no_location"};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		e.code = codes[i];
		validate_message(&e, LANG_NL, m, sizeof(m));
		ck_assert_msg(strcmp(m, "ongeldige waarde") != 0, "no Dutch message for %s", codes[i]);
		validate_message(&e, LANG_EN, m, sizeof(m));
		ck_assert_msg(strcmp(m, "invalid value") != 0, "no English message for %s", codes[i]);
	}
}
END_TEST

/* --- secrets --- */

START_TEST(crypto_equal_compares_every_byte)
{
	uint8_t a[CRYPTO_HASH_BYTES], b[CRYPTO_HASH_BYTES];
	crypto_sha256("geheim", 6, a);
	memcpy(b, a, sizeof(a));
	ck_assert_int_eq(crypto_equal(a, b, sizeof(a)), 1);
	for (size_t i = 0; i < sizeof(a); i++)
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			ck_assert_msg(!crypto_equal(a, b, sizeof(a)), "a difference in byte %zu bit %d is not seen", i, bit);
			b[i] ^= (uint8_t)(1u << bit);
		}
	ck_assert_int_eq(crypto_equal(a, b, sizeof(a)), 1);
}
END_TEST

/* A call, begun in the len bytes at line, of a comparison that stops at the first difference
 * (memcmp and the str*cmp family) whose arguments, string literals aside and over as many lines as
 * they take, name a secret or its hash: 1, the text of the call in *what. */
static int compares_a_secret(const char *line, size_t len, char *what, size_t n)
{
	static const char *const cmps[] = {"memcmp", "bcmp", "strcmp", "strncmp", "strcasecmp", "strncasecmp", NULL};
	static const char *const words[] = {"hash", "secret", "token", "digest", "passw", "mac", NULL};
	for (int c = 0; cmps[c]; c++) {
		size_t cl = strlen(cmps[c]);
		for (const char *p = strstr(line, cmps[c]); p && p < line + len; p = strstr(p + 1, cmps[c])) {
			if ((p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
				continue;
			const char *a = p + cl;
			while (*a == ' ')
				a++;
			if (*a != '(')
				continue;
			/* the arguments up to the matching parenthesis, without literals, in lower case */
			char args[512];
			size_t k = 0;
			int depth = 0, in_str = 0;
			for (const char *q = a; *q && k + 1 < sizeof(args); q++) {
				if (in_str) {
					if (*q == '\\' && q[1])
						q++;
					else if (*q == '"')
						in_str = 0;
					continue;
				}
				if (*q == '"') {
					in_str = 1;
					continue;
				}
				if (isspace((unsigned char)*q)) {
					if (k > 0 && args[k - 1] != ' ')
						args[k++] = ' ';
					continue;
				}
				if (*q == '(')
					depth++;
				else if (*q == ')' && --depth == 0)
					break;
				args[k++] = (char)tolower((unsigned char)*q);
			}
			args[k] = '\0';
			for (int w = 0; words[w]; w++)
				if (strstr(args, words[w])) {
					snprintf(what, n, "%s%s)", cmps[c], args);
					return 1;
				}
		}
	}
	return 0;
}

static int secret_call(const char *code)
{
	char what[600];
	return compares_a_secret(code, strlen(code), what, sizeof(what));
}

/* Reads every .c and .h below dir (rel: its path under service/), counting the files, the calls of
 * crypto_equal and the comparisons of secrets that stop at the first difference (listed in report). */
static void scan_for_secret_compares(const char *dir, const char *rel, int *files, int *equal_calls, int *found,
				     char *report, size_t reportlen)
{
	char what[600];
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot read %s (RK_TOP)", dir);
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		char path[8192], sub[512];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		snprintf(sub, sizeof(sub), "%s%s", rel, de->d_name);
		size_t nl = strlen(de->d_name);
		if (de->d_name[0] != '.' && de->d_type == DT_DIR) {
			snprintf(sub, sizeof(sub), "%s%s/", rel, de->d_name);
			scan_for_secret_compares(path, sub, files, equal_calls, found, report, reportlen);
			continue;
		}
		if (nl < 3 || (strcmp(de->d_name + nl - 2, ".c") != 0 && strcmp(de->d_name + nl - 2, ".h") != 0))
			continue;
		FILE *f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		fseek(f, 0, SEEK_END);
		size_t size = (size_t)ftell(f);
		rewind(f);
		char *text = malloc(size + 1);
		ck_assert(fread(text, 1, size, f) == size);
		text[size] = '\0';
		fclose(f);
		(*files)++;
		/* line by line, but a call's arguments are read on as far as they go */
		int ln = 1;
		for (const char *line = text; *line; ln++) {
			size_t len = strcspn(line, "\n");
			const char *eq = strstr(line, "crypto_equal(");
			*equal_calls += eq && eq < line + len;
			if (compares_a_secret(line, len, what, sizeof(what))) {
				(*found)++;
				size_t used = strlen(report);
				snprintf(report + used, reportlen - used, "\n  service/%s:%d: %s", sub, ln, what);
			}
			line += len + (line[len] == '\n');
		}
		free(text);
	}
	closedir(d);
}

START_TEST(secrets_compared_in_constant_time)
{
	char what[600];
	/* what the scan must find, and what it must let be */
	ck_assert_int_eq(secret_call("if (memcmp(h, stored_hash, 32) == 0)"), 1);
	ck_assert_int_eq(secret_call("ok = strcmp(tok, row->token) == 0;"), 1);
	ck_assert_int_eq(secret_call("x = strncmp ( secret, given, n );"), 1);
	ck_assert_int_eq(secret_call("if (strncasecmp(h, \"Bearer \", 7) != 0)"), 0);
	ck_assert_int_eq(secret_call("memcmp(e->key, key, keylen) == 0"), 0);
	ck_assert_int_eq(secret_call("ok = crypto_equal(h, stored_hash, 32);"), 0);
	ck_assert_int_eq(secret_call("if (memcmp(h,\n\t   stored_hash, 32) == 0)"), 1);
	/* a call is found on the line where it begins, once */
	ck_assert_int_eq(compares_a_secret("x = 1;\nmemcmp(a, hash, 2);", 7, what, sizeof(what)), 0);

	/* every comparison in the service's sources, in every folder of service/ */
	const char *top = getenv("RK_TOP") ? getenv("RK_TOP") : ".";
	char root[4096];
	snprintf(root, sizeof(root), "%s/service", top);
	int files = 0, equal_calls = 0, found = 0;
	char report[4096] = "";
	scan_for_secret_compares(root, "", &files, &equal_calls, &found, report, sizeof(report));
	ck_assert_int_gt(files, 10);
	ck_assert_msg(found == 0, "secrets compared with a function that stops at the first difference:%s", report);
	/* the edit token, the API key and the idempotency request hash go through crypto_equal
	 * (its definition and declaration aside) */
	ck_assert_int_ge(equal_calls - 2, 3);
}
END_TEST

/* What a standby reports when it has replayed everything (0/4000000 after a WAL switch) against
 * the primary's insert position then (0/4000028, past the segment's long page header). */
START_TEST(wal_record_end_skips_a_page_header)
{
	const uint64_t page = 8192, seg = 16u << 20;
	ck_assert_uint_eq(db_wal_record_end(0x4000028, page, seg), 0x4000000); /* segment start */
	ck_assert_uint_eq(db_wal_record_end(0x4002018, page, seg), 0x4002000); /* page start */
	/* 40 bytes into a page that is not a segment's start is 16 bytes of a record */
	ck_assert_uint_eq(db_wal_record_end(0x4002028, page, seg), 0x4002028);
	ck_assert_uint_eq(db_wal_record_end(0x4000078, page, seg), 0x4000078);
	/* the segment size decides which pages start with the long header */
	ck_assert_uint_eq(db_wal_record_end(0x1100028, page, 1u << 20), 0x1100000);
	ck_assert_uint_eq(db_wal_record_end(0x1100028, page, seg), 0x1100028);
	ck_assert_uint_eq(db_wal_record_end(0x4000028, 0, seg), 0x4000028);
}
END_TEST

static Suite *unit_suite(void)
{
	Suite *s = suite_create("unit");
	TCase *t = tcase_create("target");
	tcase_add_test(t, target_splits_and_decodes);
	tcase_add_test(t, target_root_and_trailing_slash);
	tcase_add_test(t, target_rejects_malformed);
	tcase_add_test(t, target_limits_counts);
	suite_add_tcase(s, t);
	t = tcase_create("params");
	tcase_add_test(t, params_valid);
	tcase_add_test(t, params_invalid);
	tcase_add_test(t, params_all_errors_at_once);
	tcase_add_test(t, params_build_keeps_filters);
	tcase_add_test(t, params_pg_array_escapes);
	suite_add_tcase(s, t);
	t = tcase_create("router");
	tcase_add_test(t, router_matches);
	tcase_add_test(t, router_equals_openapi);
	suite_add_tcase(s, t);
	t = tcase_create("misc");
	tcase_add_test(t, accept_negotiation);
	tcase_add_test(t, accept_encoding_gzip);
	tcase_add_test(t, if_none_match);
	tcase_add_test(t, buf_respects_limit);
	tcase_add_test(t, buf_json_string_escapes);
	tcase_add_test(t, config_defaults_and_errors);
	tcase_add_test(t, sqlstate_mapping);
	tcase_add_test(t, wal_record_end_skips_a_page_header);
	suite_add_tcase(s, t);
	t = tcase_create("secrets");
	tcase_add_test(t, crypto_equal_compares_every_byte);
	tcase_add_test(t, secrets_compared_in_constant_time);
	suite_add_tcase(s, t);
	t = tcase_create("validate");
	tcase_add_test(t, submission_valid_passes);
	tcase_add_test(t, submission_errors);
	tcase_add_test(t, submission_geintegreerde_route);
	tcase_add_test(t, submission_every_error_at_once);
	tcase_add_test(t, merge_patch_rfc7396);
	tcase_add_test(t, messages_per_language);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
