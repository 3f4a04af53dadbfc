/* Integration tests of the response cache: hits with the same bytes, normalised keys, gzip and
 * 304 from the cache, what is never cached, invalidation by NOTIFY within a second of a commit
 * (of the item and of a list cached before), a change made while the listener was away, and the
 * memory cap. Whether an answer came from the cache is judged by /metrics and by what the client
 * sees: a change made with session_replication_role = replica sends no NOTIFY, so a cached answer
 * still shows the old value and a fresh one the new. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* A counter or gauge of /metrics, e.g. routekaart_cache_requests_total{outcome="hit"}. */
static double metric_on(const struct server *s, const char *name)
{
	return server_metric(s, name);
}

static double metric(const char *name)
{
	return metric_on(&harness_server, name);
}

#define HITS "routekaart_cache_requests_total{outcome=\"hit\"}"

/* Waits until the listener is connected (it starts beside the server). */
static void wait_listening(const struct server *s)
{
	for (int i = 0; i < 100 && metric_on(s, "routekaart_cache_listening") != 1; i++)
		usleep(50 * 1000);
	ck_assert(metric_on(s, "routekaart_cache_listening") == 1);
}

START_TEST(second_request_is_a_hit_with_the_same_bytes)
{
	wait_listening(&harness_server);
	const char *path = "/collections/initiatives/items?niveau=3&limit=20&route_kind=doorlopende_leerroute";
	struct resp a = get(path, NULL);
	ck_assert_int_eq(a.status, 200);
	double hits = metric(HITS);
	struct resp b = get(path, NULL);
	ck_assert_int_eq(b.status, 200);
	ck_assert(metric(HITS) == hits + 1);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(memcmp(a.body, b.body, a.len) == 0);
	ck_assert_str_eq(resp_header(&b, "Content-Type"), "application/geo+json");
	char etag[128];
	snprintf(etag, sizeof(etag), "%s", resp_header(&a, "ETag"));
	ck_assert_str_eq(resp_header(&b, "ETag"), etag);
	/* the same request with its parameters in another order is the same entry */
	struct resp c = get("/collections/initiatives/items?route_kind=doorlopende_leerroute&limit=20&niveau=3", NULL);
	ck_assert(metric(HITS) == hits + 2);
	ck_assert(c.len == a.len && memcmp(a.body, c.body, a.len) == 0);
	/* a different value is not */
	struct resp d = get("/collections/initiatives/items?route_kind=doorlopende_leerroute&limit=21&niveau=3", NULL);
	ck_assert(metric(HITS) == hits + 2);
	ck_assert_int_eq(json_integer_value(json_object_get(d.json, "numberReturned")), 21);
	resp_free(&a);
	resp_free(&b);
	resp_free(&c);
	resp_free(&d);
}
END_TEST

START_TEST(gzip_and_304_from_the_cache)
{
	wait_listening(&harness_server);
	const char *path = "/collections/regions-provincie/items?simplify=0.01";
	struct resp plain = get(path, NULL);
	ck_assert_int_eq(plain.status, 200);
	double hits = metric(HITS);
	struct resp gz = get(path, (const char *const[]){"Accept-Encoding: gzip", NULL});
	ck_assert(metric(HITS) == hits + 1);
	ck_assert_str_eq(resp_header(&gz, "Content-Encoding"), "gzip");
	ck_assert(gz.len < plain.len / 2);
	char *out = malloc(plain.len + 1);
	ck_assert_uint_eq(gunzip(gz.body, gz.len, out, plain.len + 1), plain.len);
	ck_assert(memcmp(out, plain.body, plain.len) == 0);
	free(out);
	/* the gzip variant has its own validator; either one gives a 304 */
	char etag[128], etag_gz[128], inm[200];
	snprintf(etag, sizeof(etag), "%s", resp_header(&plain, "ETag"));
	snprintf(etag_gz, sizeof(etag_gz), "%s", resp_header(&gz, "ETag"));
	ck_assert_str_ne(etag, etag_gz);
	ck_assert_str_eq(resp_header(&gz, "Vary"), "Accept, Accept-Encoding");
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag_gz);
	struct resp nm = get(path, (const char *const[]){inm, "Accept-Encoding: gzip", NULL});
	ck_assert_int_eq(nm.status, 304);
	ck_assert_uint_eq(nm.len, 0);
	ck_assert_str_eq(resp_header(&nm, "ETag"), etag_gz);
	resp_free(&nm);
	snprintf(inm, sizeof(inm), "If-None-Match: \"x\", %s", etag);
	nm = get(path, (const char *const[]){inm, NULL});
	ck_assert_int_eq(nm.status, 304);
	resp_free(&nm);
	resp_free(&plain);
	resp_free(&gz);
}
END_TEST

/* Runs sql as the superuser in one transaction; fails the test on an error. */
static void sql_exec(const char *sql)
{
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK,
		      "%s: %s", sql, PQerrorMessage(db));
	PQclear(res);
	PQfinish(db);
}

/* Renames initiative id in the database without telling anyone: with session_replication_role =
 * replica no ordinary trigger fires, so no NOTIFY routekaart_changed is sent. extra (may be "") runs
 * in the same transaction after the update. */
static void rename_silently(long id, const char *name, const char *extra)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "begin; set local session_replication_role = replica;"
		 " update kaart.initiative set name = '%s' where id = %ld; %s commit",
		 name, id, extra);
	sql_exec(sql);
}

/* The name of initiative id as path shows it: the item itself, or the first feature of a list. */
static char *name_shown(const char *path)
{
	struct resp r = get(path, NULL);
	ck_assert_msg(r.status == 200, "%s: %ld", path, r.status);
	json_t *f = json_object_get(r.json, "features") ? json_array_get(json_object_get(r.json, "features"), 0) : r.json;
	const char *got = json_string_value(json_object_get(json_object_get(f, "properties"), "name"));
	char *name = strdup(got ? got : "(none)");
	resp_free(&r);
	return name;
}

static void assert_name_shown(const char *path, const char *want, const char *why)
{
	char *got = name_shown(path);
	ck_assert_msg(strcmp(got, want) == 0, "%s: %s shows \"%s\", not \"%s\"", why, path, got, want);
	free(got);
}

START_TEST(what_is_never_served_from_the_cache)
{
	wait_listening(&harness_server);
	/* errors */
	struct resp r = get("/collections/initiatives/items?limit=0", NULL);
	double hits = metric(HITS);
	resp_free(&r);
	r = get("/collections/initiatives/items?limit=0", NULL);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
	resp_free(&r);
	ck_assert(metric(HITS) == hits);
	/* a request with credentials is no one else's: after a change that sends no notification
	 * the anonymous list still shows the cached name, the one with credentials the new one */
	long id = sql_long("select min(id) from kaart.initiative where status = 'published'");
	char *was = name_shown("/collections/initiatives/items?limit=3");
	hits = metric(HITS);
	rename_silently(id, "Doorlopende route met sleutel", "");
	r = get("/collections/initiatives/items?limit=3", (const char *const[]){"Authorization: Bearer rkk_1_x", NULL});
	ck_assert_int_eq(r.status, 200);
	const char *keyed = json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(r.json, "features"), 0), "properties"), "name"));
	ck_assert_msg(keyed && strcmp(keyed, "Doorlopende route met sleutel") == 0,
		      "a request with credentials was answered from the cache: \"%s\"", keyed ? keyed : "(none)");
	resp_free(&r);
	ck_assert(metric(HITS) == hits);
	assert_name_shown("/collections/initiatives/items?limit=3", was, "the anonymous list, cached");
	free(was);
	hits = metric(HITS);
	/* operational endpoints answer for the moment */
	r = get("/readyz", NULL);
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
	resp_free(&r);
	r = get("/readyz", NULL);
	resp_free(&r);
	ck_assert(metric(HITS) == hits);
}
END_TEST

/* Renames initiative id in the database (its trigger notifies) and returns the seconds until path
 * shows the new name (or 99 when it never does within 3 s). */
static double seconds_until_renamed(long id, const char *name, const char *path)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "update kaart.initiative set name = '%s' where id = %ld", name, id);
	sql_exec(sql);
	double t0 = monotonic_s();
	for (;;) {
		char *got = name_shown(path);
		int seen = strcmp(got, name) == 0;
		free(got);
		double dt = monotonic_s() - t0;
		if (seen || dt > 3)
			return seen ? dt : 99;
		usleep(20 * 1000);
	}
}

/* Requests path twice and asserts that the second answer came from the cache. */
static void cache_it(const char *path)
{
	char *first = name_shown(path);
	double hits = metric(HITS);
	char *second = name_shown(path);
	ck_assert_msg(metric(HITS) == hits + 1, "%s: the second request was not a cache hit", path);
	ck_assert_str_eq(first, second);
	free(first);
	free(second);
}

START_TEST(a_commit_is_visible_within_a_second)
{
	wait_listening(&harness_server);
	long id = sql_long("select min(id) from kaart.initiative where status = 'published'");
	char item[128];
	snprintf(item, sizeof(item), "/collections/initiatives/items/%ld", id);
	/* the list's first feature is that initiative (the lists are in order of id) */
	const char *list = "/collections/initiatives/items?limit=1";
	cache_it(item);
	cache_it(list);
	char *before = name_shown(item);
	/* Both come from the cache, as the client sees it too: a change that sends no notification
	 * is not shown by either (it would be, were they computed afresh). */
	rename_silently(id, "Doorlopende route ongemeld", "");
	assert_name_shown(item, before, "a change without NOTIFY, item cached");
	assert_name_shown(list, before, "a change without NOTIFY, list cached");
	/* A committed change (its trigger notifies) shows in both within a second: every entry is
	 * stale, not only the item's. The margin is wide: the notification takes milliseconds. */
	double dt = seconds_until_renamed(id, "Doorlopende route cachetest een", item);
	ck_assert_msg(dt < 1.0, "the change took %.3f s to show in the item", dt);
	assert_name_shown(list, "Doorlopende route cachetest een", "the list cached before the change");
	free(before);
}
END_TEST

START_TEST(a_change_while_the_listener_was_away_is_not_hidden)
{
	wait_listening(&harness_server);
	long id = sql_long("select min(id) from kaart.initiative where status = 'published'");
	char item[128];
	snprintf(item, sizeof(item), "/collections/initiatives/items/%ld", id);
	const char *list = "/collections/initiatives/items?limit=1";
	cache_it(item);
	cache_it(list);
	double invalidations = metric("routekaart_cache_invalidations_total");
	/* Cut the listener off and change the name without a notification, in one transaction: the
	 * change commits a moment after the listener's backend is ended, and the listener waits
	 * 250 ms before it reconnects, so the change is made while nobody listens. Only the server
	 * itself (serving nothing from the cache while it does not listen, and starting afresh
	 * when it listens again) can make the change show. */
	rename_silently(id, "Doorlopende route cachetest twee",
			"select pg_terminate_backend(pid) from pg_stat_activity"
			" where application_name = 'routekaartd-cache';");
	/* wait until the server has seen the listener go (or already came back, which starts a
	 * new generation of the cache) */
	for (int i = 0; i < 200; i++) {
		if (metric("routekaart_cache_listening") == 0 ||
		    metric("routekaart_cache_invalidations_total") > invalidations)
			break;
		usleep(5 * 1000);
	}
	/* the very next answers show the change: no polling */
	assert_name_shown(item, "Doorlopende route cachetest twee", "a change while the listener was away");
	assert_name_shown(list, "Doorlopende route cachetest twee", "a change while the listener was away");
	wait_listening(&harness_server);
	assert_name_shown(item, "Doorlopende route cachetest twee", "after the listener came back");
	assert_name_shown(list, "Doorlopende route cachetest twee", "after the listener came back");
}
END_TEST

START_TEST(memory_cap_evicts_the_least_recently_used)
{
	struct server small;
	ck_assert_int_eq(server_start(&small, (const char *const[]){"CACHE_MAX_BYTES=300000", NULL}), 0);
	wait_listening(&small);
	char path[128];
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "/collections/initiatives/items?limit=60&offset=%d", i * 10);
		struct resp r = http_fetch(&small, path, NULL);
		ck_assert_int_eq(r.status, 200);
		ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberReturned")), 60);
		resp_free(&r);
	}
	ck_assert(metric_on(&small, "routekaart_cache_bytes") <= 300000);
	ck_assert(metric_on(&small, "routekaart_cache_evictions_total") > 0);
	ck_assert(metric_on(&small, "routekaart_cache_entries") >= 2);
	/* the newest is still there, the oldest is gone */
	double hits = metric_on(&small, HITS);
	struct resp r = http_fetch(&small, path, NULL);
	resp_free(&r);
	ck_assert(metric_on(&small, HITS) == hits + 1);
	r = http_fetch(&small, "/collections/initiatives/items?limit=60&offset=0", NULL);
	resp_free(&r);
	ck_assert(metric_on(&small, HITS) == hits + 1);
	ck_assert_int_eq(server_stop(&small), 0);

	/* CACHE_MAX_BYTES=0: no cache, the same answers */
	struct server none;
	ck_assert_int_eq(server_start(&none, (const char *const[]){"CACHE_MAX_BYTES=0", NULL}), 0);
	for (int i = 0; i < 2; i++) {
		r = http_fetch(&none, "/collections/initiatives/items?limit=5", NULL);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	ck_assert(metric_on(&none, HITS) == 0);
	ck_assert(metric_on(&none, "routekaart_cache_entries") == 0);
	ck_assert_int_eq(server_stop(&none), 0);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *t = tcase_create("cache");
	tcase_add_unchecked_fixture(t, harness_setup, harness_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, second_request_is_a_hit_with_the_same_bytes);
	tcase_add_test(t, gzip_and_304_from_the_cache);
	tcase_add_test(t, what_is_never_served_from_the_cache);
	tcase_add_test(t, a_commit_is_visible_within_a_second);
	tcase_add_test(t, a_change_while_the_listener_was_away_is_not_hidden);
	tcase_add_test(t, memory_cap_evicts_the_least_recently_used);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(cache_suite());
}
