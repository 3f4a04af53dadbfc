/* Integration tests of the website's serving: the built site (RK_WEB_ROOT) with every file the
 * pages refer to, content types, validators and caching, gzip, the Content-Security-Policy, the
 * landing page for browsers and for API clients, and that no request reaches a file outside the
 * site: "..", encoded slashes and dots, symbolic links, names that are not files of the site. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define BROWSER_ACCEPT "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

/* harness_server serves the real built site */
static struct server own; /* serves a site made by the tests, beside a secret file */
static char own_root[256];
static char secret_dir[64];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

static const char secret_text[] = "THE-SECRET-OUTSIDE-THE-SITE";

/* A site in a temporary folder: two pages, an asset, a symbolic link to a file outside the site
 * (which must never be served), a folder inside assets/, and a secret beside the site. */
static void make_own_site(void)
{
	char tmpl[] = "/tmp/rk-web-XXXXXX";
	ck_assert(mkdtemp(tmpl) != NULL);
	snprintf(secret_dir, sizeof(secret_dir), "%s", tmpl);
	snprintf(own_root, sizeof(own_root), "%s/site", secret_dir);
	ck_assert(mkdir(own_root, 0755) == 0);
	char assets[PATH_MAX + 8], sub[PATH_MAX + 16], link[PATH_MAX + 32], secret[PATH_MAX + 16];
	snprintf(assets, sizeof(assets), "%s/assets", own_root);
	ck_assert(mkdir(assets, 0755) == 0);
	snprintf(sub, sizeof(sub), "%s/sub", assets);
	ck_assert(mkdir(sub, 0755) == 0);
	write_file(secret_dir, "secret.js", secret_text);
	write_file(sub, "inner.js", secret_text);
	snprintf(secret, sizeof(secret), "%s/secret.js", secret_dir);
	snprintf(link, sizeof(link), "%s/linked.js", assets);
	ck_assert(symlink(secret, link) == 0);
	snprintf(link, sizeof(link), "%s/secret.html", own_root);
	ck_assert(symlink(secret, link) == 0);
	write_file(own_root, "index.html",
		   "<!doctype html><html lang=\"nl\"><head><meta name=\"routekaart-background\" content=\"\">"
		   "<title>kaart</title></head><body>de kaart</body></html>");
	write_file(own_root, "aanmelden.html", "<!doctype html><title>aanmelden</title><p>formulier</p>");
	char big[4096];
	memset(big, 0, sizeof(big));
	for (size_t i = 0; i + 1 < sizeof(big); i++)
		big[i] = "abcdefgh;\n"[i % 10];
	write_file(assets, "app.0123456789ab.js", big);
	write_file(assets, "style.0123456789ab.css", "body{margin:0}");
}

static void remove_own_site(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", secret_dir);
	ck_assert(system(cmd) == 0);
}

static void setup(void)
{
	const char *root = getenv("RK_WEB_ROOT");
	if (!root) {
		fprintf(stderr, "web: RK_WEB_ROOT (the built site) must be set (tests/run.sh does)\n");
		exit(EXIT_FAILURE);
	}
	char env_root[PATH_MAX + 16];
	snprintf(env_root, sizeof(env_root), "WEB_ROOT=%s", root);
	const char *env[] = {env_root, NULL};
	harness_setup_with(env);
	make_own_site();
	char own_env[PATH_MAX + 16];
	snprintf(own_env, sizeof(own_env), "WEB_ROOT=%s", own_root);
	const char *env2[] = {own_env, "WEB_BACKGROUND_URL=https://tegels.example.nl/{z}/{x}/{y}.png", NULL};
	if (server_start(&own, env2) != 0)
		exit(EXIT_FAILURE);
}

static void teardown(void)
{
	int st = server_stop(&own);
	remove_own_site();
	harness_teardown();
	if (st != 0) {
		fprintf(stderr, "web: the server of the tests' own site did not exit cleanly: status %d (see %s)\n", st,
			own.log);
		exit(EXIT_FAILURE);
	}
}

static char *header_copy(const struct resp *r, const char *name)
{
	const char *v = resp_header(r, name);
	return v ? strdup(v) : NULL;
}

/* The CSP of a page allows this origin only: every fetch directive is 'self' (or none). */
static void assert_csp_own_origin(const struct resp *r, const char *also_img)
{
	const char *csp = resp_header(r, "Content-Security-Policy");
	ck_assert_msg(csp != NULL, "a page without a Content-Security-Policy");
	char *c = strdup(csp);
	ck_assert_msg(strstr(c, "default-src 'self'") && strstr(c, "script-src 'self';") && strstr(c, "style-src 'self';") &&
			      strstr(c, "connect-src 'self';") && strstr(c, "object-src 'none'") &&
			      strstr(c, "frame-ancestors 'none'"),
		      "CSP: %s", c);
	ck_assert_msg(!strstr(c, "unsafe-inline") && !strstr(c, "unsafe-eval") && !strstr(c, "*"), "CSP: %s", c);
	/* no origin other than the one allowed for background images, anywhere in the policy: every
	 * source with "http" in it is that origin, exactly */
	int named = 0;
	char *save = NULL;
	for (char *src = strtok_r(c, " ;", &save); src; src = strtok_r(NULL, " ;", &save)) {
		if (!strstr(src, "http"))
			continue;
		ck_assert_msg(also_img && strcmp(src, also_img) == 0, "CSP names another origin, %s: %s", src, csp);
		named = 1;
	}
	ck_assert_msg(!also_img || named, "CSP does not name %s: %s", also_img, csp);
	free(c);
}

/* --- the built site --- */

START_TEST(browser_gets_the_map_api_client_gets_json)
{
	const char *browser[] = {BROWSER_ACCEPT, NULL};
	struct resp r = get("/", browser);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "text/html; charset=utf-8");
	ck_assert_msg(strstr(r.body, "<html") && strstr(r.body, "lang=\"nl\""), "not the Dutch map page");
	ck_assert_msg(strstr(r.body, "/assets/"), "the page refers to no assets");
	assert_csp_own_origin(&r, NULL);
	ck_assert_str_eq(resp_header(&r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "no-cache");
	ck_assert_str_eq(resp_header(&r, "Vary"), "Accept, Accept-Encoding");
	resp_free(&r);

	r = get("/?f=html", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "text/html; charset=utf-8");
	resp_free(&r);

	/* a shared view of the map: its filters in the query string are the page's business */
	r = get("/?niveau=3&route_kind=doorlopende_leerroute&q=zorg&id=7&choropleth=gemeente", browser);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "text/html; charset=utf-8");
	resp_free(&r);
	/* for JSON the landing page still takes only f */
	r = get("/?niveau=3", NULL);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
	resp_free(&r);

	/* no Accept, or JSON asked for: the OGC API landing page */
	const char *json[] = {"Accept: application/json", NULL};
	for (int i = 0; i < 2; i++) {
		r = get("/", i ? json : NULL);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/json");
		ck_assert_ptr_nonnull(json_object_get(r.json, "links"));
		resp_free(&r);
	}
	r = get("/?f=pdf", NULL);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
	resp_free(&r);
}
END_TEST

/* Every /assets/ reference of both pages is served, with its type and a year of caching. */
START_TEST(every_referenced_asset_is_served)
{
	const char *browser[] = {BROWSER_ACCEPT, NULL};
	static const char *const pages[] = {"/", "/aanmelden"};
	int seen_js = 0, seen_css = 0;
	for (int p = 0; p < 2; p++) {
		struct resp page = get(pages[p], browser);
		ck_assert_int_eq(page.status, 200);
		ck_assert_str_eq(resp_header(&page, "Content-Type"), "text/html; charset=utf-8");
		assert_csp_own_origin(&page, NULL);
		int refs = 0;
		for (const char *a = page.body; (a = strstr(a, "\"/assets/")) != NULL; a++) {
			char path[256];
			size_t n = strcspn(a + 1, "\"");
			ck_assert(n < sizeof(path));
			memcpy(path, a + 1, n);
			path[n] = '\0';
			struct resp r = get(path, NULL);
			ck_assert_msg(r.status == 200, "%s: %ld", path, r.status);
			const char *ct = resp_header(&r, "Content-Type");
			if (strstr(path, ".js")) {
				ck_assert_str_eq(ct, "text/javascript; charset=utf-8");
				seen_js++;
			} else if (strstr(path, ".css")) {
				ck_assert_str_eq(ct, "text/css; charset=utf-8");
				seen_css++;
			}
			ck_assert_str_eq(resp_header(&r, "Cache-Control"), "public, max-age=31536000, immutable");
			ck_assert_str_eq(resp_header(&r, "X-Content-Type-Options"), "nosniff");
			ck_assert_ptr_nonnull(resp_header(&r, "ETag"));
			resp_free(&r);
			refs++;
		}
		ck_assert_msg(refs >= 2, "%s refers to %d assets", pages[p], refs);
		/* nothing from another origin */
		ck_assert_msg(!strstr(page.body, "src=\"http") && !strstr(page.body, "href=\"http"),
			      "%s loads something from another origin", pages[p]);
		resp_free(&page);
	}
	ck_assert(seen_js >= 2 && seen_css >= 1);
}
END_TEST

/* --- serving, on a site of the tests' own --- */

START_TEST(validators_gzip_and_caching)
{
	struct resp r = http_fetch(&own, "/assets/app.0123456789ab.js", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 4095);
	ck_assert_ptr_null(resp_header(&r, "Content-Encoding"));
	ck_assert_ptr_null(resp_header(&r, "Content-Security-Policy")); /* pages only */
	ck_assert_str_eq(resp_header(&r, "Vary"), "Accept-Encoding");
	char *etag = header_copy(&r, "ETag");
	ck_assert_msg(etag && etag[0] == '"', "a strong ETag");

	const char *gzh[] = {"Accept-Encoding: gzip", NULL};
	struct resp z = http_fetch(&own, "/assets/app.0123456789ab.js", gzh);
	ck_assert_int_eq(z.status, 200);
	ck_assert_str_eq(resp_header(&z, "Content-Encoding"), "gzip");
	ck_assert_msg(z.len < r.len / 4, "gzip of 4 KiB of repeats is %zu bytes", z.len);
	ck_assert_str_ne(resp_header(&z, "ETag"), etag); /* another representation */
	char out[8192];
	ck_assert_uint_eq(gunzip(z.body, z.len, out, sizeof(out)), r.len);
	ck_assert(memcmp(out, r.body, r.len) == 0);
	char *gz_etag = header_copy(&z, "ETag");
	resp_free(&z);

	char inm[128];
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	const char *h304[] = {inm, NULL};
	struct resp nm = http_fetch(&own, "/assets/app.0123456789ab.js", h304);
	ck_assert_int_eq(nm.status, 304);
	ck_assert_uint_eq(nm.len, 0);
	ck_assert_str_eq(resp_header(&nm, "ETag"), etag);
	resp_free(&nm);
	snprintf(inm, sizeof(inm), "If-None-Match: W/\"nope\", %s", gz_etag);
	const char *h304gz[] = {inm, "Accept-Encoding: gzip", NULL};
	nm = http_fetch(&own, "/assets/app.0123456789ab.js", h304gz);
	ck_assert_int_eq(nm.status, 304);
	resp_free(&nm);
	const char *other[] = {"If-None-Match: \"something-else\"", NULL};
	nm = http_fetch(&own, "/assets/app.0123456789ab.js", other);
	ck_assert_int_eq(nm.status, 200);
	resp_free(&nm);

	/* a small file is not compressed; HEAD has the headers and no body */
	struct resp css = http_fetch(&own, "/assets/style.0123456789ab.css", gzh);
	ck_assert_int_eq(css.status, 200);
	ck_assert_str_eq(resp_header(&css, "Content-Type"), "text/css; charset=utf-8");
	ck_assert_ptr_null(resp_header(&css, "Content-Encoding"));
	ck_assert_str_eq(css.body, "body{margin:0}");
	resp_free(&css);
	struct resp head;
	char url[128];
	snprintf(url, sizeof(url), "%s/assets/app.0123456789ab.js", own.url);
	ck_assert(http_do("HEAD", url, NULL, &head) == 0);
	ck_assert_int_eq(head.status, 200);
	ck_assert_uint_eq(head.len, 0);
	ck_assert_str_eq(resp_header(&head, "ETag"), etag);
	resp_free(&head);
	free(etag);
	free(gz_etag);
	resp_free(&r);
}
END_TEST

START_TEST(pages_carry_the_background_and_its_origin)
{
	const char *browser[] = {BROWSER_ACCEPT, NULL};
	struct resp r = http_fetch(&own, "/", browser);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "<meta name=\"routekaart-background\" "
				     "content=\"https://tegels.example.nl/{z}/{x}/{y}.png\">"),
		      "%s", r.body);
	assert_csp_own_origin(&r, "https://tegels.example.nl");
	ck_assert_msg(strstr(resp_header(&r, "Content-Security-Policy"), "img-src 'self' data: https://tegels.example.nl;"),
		      "the tile server is allowed for images only");
	ck_assert_str_eq(resp_header(&r, "X-Frame-Options"), "DENY");
	resp_free(&r);
	r = http_fetch(&own, "/aanmelden", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "<!doctype html><title>aanmelden</title><p>formulier</p>");
	resp_free(&r);
}
END_TEST

/* A background URL as long as allowed, full of '&', is written into the page whole: each '&' as
 * &amp;, nothing cut. */
START_TEST(a_long_background_url_is_escaped_whole)
{
	char url[600], escaped[3000], env_bg[700], env_root[PATH_MAX + 16];
	int n = snprintf(url, sizeof(url), "https://tegels.example.nl/{z}/{x}/{y}.png?");
	int e = snprintf(escaped, sizeof(escaped), "content=\"%s", url);
	while (n + 2 <= 512) {
		n += snprintf(url + n, sizeof(url) - (size_t)n, "a&");
		e += snprintf(escaped + e, sizeof(escaped) - (size_t)e, "a&amp;");
	}
	snprintf(escaped + e, sizeof(escaped) - (size_t)e, "\">");
	snprintf(env_bg, sizeof(env_bg), "WEB_BACKGROUND_URL=%s", url);
	snprintf(env_root, sizeof(env_root), "WEB_ROOT=%s", own_root);
	const char *env[] = {env_root, env_bg, NULL};
	struct server bg;
	ck_assert_int_eq(server_start(&bg, env), 0);
	const char *browser[] = {BROWSER_ACCEPT, NULL};
	struct resp r = http_fetch(&bg, "/", browser);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, escaped), "the URL (%d bytes) is not in the page whole: %.300s", n, r.body);
	resp_free(&r);
	ck_assert_int_eq(server_stop(&bg), 0);
}
END_TEST

START_TEST(nothing_outside_the_site_is_reachable)
{
	static const char *const paths[] = {
		"/assets/linked.js",                 /* a symbolic link to a file outside */
		"/assets/sub/inner.js",              /* a folder inside assets/ */
		"/assets/sub%2Finner.js",            /* the same through an encoded slash */
		"/assets/sub%2finner.js",
		"/assets/..%2Fsecret.js",
		"/assets/..%2F..%2Fsecret.js",
		"/assets/%2e%2e%2f%2e%2e%2fsecret.js",
		"/assets/../../secret.js",
		"/assets/..",
		"/assets/.",
		"/assets/%2e%2e",
		"/assets/",
		"/assets/index.html",                /* a page is not an asset */
		"/assets/app.0123456789ab.js%00.png",
		"/secret.html",
		"/index.html",
		"/../secret.js",
		"/%2e%2e/secret.js",
		"/aanmelden/../../secret.js",
		"/assets/%5C..%5Csecret.js",
		"/assets/....%2F%2Fsecret.js",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp r = http_fetch(&own, paths[i], NULL);
		ck_assert_msg(r.status == 404 || r.status == 400, "%s: %ld", paths[i], r.status);
		ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
		ck_assert_msg(!r.body || !strstr(r.body, secret_text), "%s served the secret", paths[i]);
		resp_free(&r);
	}
	/* and only GET/HEAD */
	char url[128];
	snprintf(url, sizeof(url), "%s/assets/app.0123456789ab.js", own.url);
	struct resp r;
	ck_assert(http_body_do("PUT", url, NULL, "x", &r) == 0);
	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
}
END_TEST

/* A server without WEB_ROOT is an API only; a broken WEB_ROOT or background URL stops the start. */
START_TEST(without_a_site_and_with_a_bad_one)
{
	struct server api;
	ck_assert(server_start(&api, NULL) == 0);
	const char *browser[] = {BROWSER_ACCEPT, NULL};
	struct resp r = http_fetch(&api, "/", browser);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/json");
	resp_free(&r);
	r = http_fetch(&api, "/?f=html", NULL);
	ck_assert_int_eq(r.status, 406);
	resp_free(&r);
	r = http_fetch(&api, "/aanmelden", NULL);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
	resp_free(&r);
	ck_assert_int_eq(server_stop(&api), 0);

	/* each of these the server refuses at once: it exits by itself with a failure status (not a
	 * crash), and does not merely fail to listen (server_start: -1 and a reaped pid) */
	const char *no_root[] = {"WEB_ROOT=/nonexistent/routekaart-site", NULL};
	char env_root[PATH_MAX + 16];
	snprintf(env_root, sizeof(env_root), "WEB_ROOT=%s", own_root);
	const char *bad_bg[] = {env_root, "WEB_BACKGROUND_URL=javascript:alert(1)//{z}{x}{y}", NULL};
	const char *quote_bg[] = {env_root, "WEB_BACKGROUND_URL=https://x.example/{z}/{x}/{y}.png\"><script>", NULL};
	const struct {
		const char *const *env;
		const char *bad; /* the setting it refuses */
	} refused[] = {{no_root, no_root[0]}, {bad_bg, bad_bg[1]}, {quote_bg, quote_bg[1]}};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_msg(server_start(&api, refused[i].env) == -1, "%s: the server did not exit by itself (see %s)",
			      refused[i].bad, api.log);
		ck_assert_int_eq(api.pid, 0);
		/* 2 is a refused setting; a sanitizer's report would be 1, a crash 128 + its signal */
		ck_assert_msg(api.exit_status == 2, "%s: exit status %d, not 2 (128 + n: signal n)", refused[i].bad,
			      api.exit_status);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("web");
	TCase *t = tcase_create("site");
	tcase_add_unchecked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, browser_gets_the_map_api_client_gets_json);
	tcase_add_test(t, every_referenced_asset_is_served);
	tcase_add_test(t, validators_gzip_and_caching);
	tcase_add_test(t, pages_carry_the_background_and_its_origin);
	tcase_add_test(t, a_long_background_url_is_escaped_whole);
	tcase_add_test(t, nothing_outside_the_site_is_reachable);
	tcase_add_test(t, without_a_site_and_with_a_bad_one);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
