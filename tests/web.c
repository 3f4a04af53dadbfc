/* Integration tests of the website's serving: the built site (RK_WEB_ROOT) with every file the
 * pages refer to, content types, validators and caching, gzip, the Content-Security-Policy, the
 * landing page for browsers and for API clients, and that no request reaches a file outside the
 * site: "..", encoded slashes and dots, symbolic links, names that are not files of the site. */
#include <check.h>
#include <ctype.h>
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

/* X-Content-Type-Options: nosniff: what says which answer it is. */
static void assert_nosniff(const struct resp *r, const char *what)
{
	const char *v = resp_header(r, "X-Content-Type-Options");
	ck_assert_msg(v && strcmp(v, "nosniff") == 0, "%s (status %ld): X-Content-Type-Options is %s", what, r->status,
		      v ? v : "missing");
}

static char *header_copy(const struct resp *r, const char *name)
{
	const char *v = resp_header(r, name);
	return v ? strdup(v) : NULL;
}

/* The policy every page must carry: each directive with its sources, exactly. img-src also allows
 * the background's origin when one is set (the "%s" below). */
static const struct {
	const char *name;
	const char *sources; /* space-separated; "%s" stands for the background origin, when set */
} csp_want[] = {
	{.name = "default-src", .sources = "'self'"},
	{.name = "script-src", .sources = "'self'"},
	{.name = "style-src", .sources = "'self'"},
	{.name = "img-src", .sources = "'self' data: %s"},
	{.name = "connect-src", .sources = "'self'"},
	{.name = "font-src", .sources = "'self'"},
	{.name = "object-src", .sources = "'none'"},
	{.name = "base-uri", .sources = "'none'"},
	{.name = "form-action", .sources = "'self'"},
	{.name = "frame-ancestors", .sources = "'none'"},
};

#define CSP_MAX_SOURCES 16

/* One directive of a policy: its name (lower case, as CSP names are case-insensitive) and its
 * source expressions in order. */
struct csp_directive {
	char name[64];
	char sources[CSP_MAX_SOURCES][256];
	size_t n;
};

/* Splits text at whitespace into words (at most max); returns how many, or max + 1 when there were
 * more. */
static size_t split_words(const char *text, char words[][256], size_t max)
{
	size_t n = 0;
	for (const char *p = text;;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, " \t");
		if (len == 0)
			return n;
		if (n == max)
			return max + 1;
		ck_assert_msg(len < 256, "a CSP word of %zu bytes", len);
		memcpy(words[n], p, len);
		words[n][len] = '\0';
		n++;
		p += len;
	}
}

/* Parses a Content-Security-Policy (CSP3 "parse a serialized CSP": directives separated by ';', each
 * a name and its source list) into out; returns the number of directives. An empty directive (two
 * ';' in a row, or a trailing one) is skipped, as a browser does. */
static size_t csp_parse(const char *policy, struct csp_directive *out, size_t max)
{
	size_t n = 0;
	char *copy = strdup(policy), *save = NULL;
	for (char *d = strtok_r(copy, ";", &save); d; d = strtok_r(NULL, ";", &save)) {
		char words[CSP_MAX_SOURCES + 1][256];
		size_t w = split_words(d, words, CSP_MAX_SOURCES + 1);
		if (w == 0)
			continue;
		ck_assert_msg(w <= CSP_MAX_SOURCES, "a CSP directive with too many sources: %s", d);
		ck_assert_msg(n < max, "more than %zu CSP directives: %s", max, policy);
		snprintf(out[n].name, sizeof(out[n].name), "%.63s", words[0]);
		for (char *c = out[n].name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		out[n].n = w - 1;
		for (size_t i = 1; i < w; i++)
			memcpy(out[n].sources[i - 1], words[i], sizeof(words[i]));
		n++;
	}
	free(copy);
	return n;
}

/* Whether a source list holds exactly these sources (in any order, each once). */
static int same_sources(const struct csp_directive *d, char want[][256], size_t nwant)
{
	if (d->n != nwant)
		return 0;
	for (size_t i = 0; i < nwant; i++) {
		size_t seen = 0;
		for (size_t k = 0; k < d->n; k++)
			seen += strcmp(d->sources[k], want[i]) == 0;
		if (seen != 1)
			return 0;
	}
	return 1;
}

/* Whether a policy text is csp_want exactly: every directive there once, no other directive, and
 * each with exactly its sources, also_img (an origin, or NULL) added to img-src. A source more (say
 * default-src 'self' evil.example), a source less, or a directive more or less is a mismatch.
 * Returns 0 when it is; else -1 with the reason in why. */
static int csp_mismatch(const char *csp, const char *also_img, char *why, size_t whylen)
{
	struct csp_directive got[32];
	size_t n = csp_parse(csp, got, sizeof(got) / sizeof(got[0]));
	size_t nwant = sizeof(csp_want) / sizeof(csp_want[0]);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < nwant && strcmp(csp_want[k].name, got[i].name) != 0)
			k++;
		if (k == nwant) {
			snprintf(why, whylen, "a directive it should not have, %.63s", got[i].name);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(got[j].name, got[i].name) == 0) {
				snprintf(why, whylen, "%.63s twice", got[i].name);
				return -1;
			}
		}
		char sources[256], want[CSP_MAX_SOURCES][256];
		snprintf(sources, sizeof(sources), csp_want[k].sources, also_img ? also_img : "");
		size_t w = split_words(sources, want, CSP_MAX_SOURCES);
		if (!same_sources(&got[i], want, w)) {
			size_t len = (size_t)snprintf(why, whylen, "%s is '", got[i].name);
			for (size_t s = 0; s < got[i].n && len < whylen; s++)
				len += (size_t)snprintf(why + len, whylen - len, "%s%s", s ? " " : "", got[i].sources[s]);
			if (len < whylen)
				snprintf(why + len, whylen - len, "', expected '%s'", sources);
			return -1;
		}
	}
	for (size_t k = 0; k < nwant; k++) {
		size_t i = 0;
		while (i < n && strcmp(got[i].name, csp_want[k].name) != 0)
			i++;
		if (i == n) {
			snprintf(why, whylen, "no %s", csp_want[k].name);
			return -1;
		}
	}
	return 0;
}

/* The CSP of a page allows this origin only (and also_img, an origin or NULL, for images). */
static void assert_csp_own_origin(const struct resp *r, const char *also_img)
{
	const char *csp = resp_header(r, "Content-Security-Policy");
	ck_assert_msg(csp != NULL, "a page without a Content-Security-Policy");
	char why[512];
	ck_assert_msg(csp_mismatch(csp, also_img, why, sizeof(why)) == 0, "CSP: %s: %s", why, csp);
}

/* Near misses of the policy that the comparison must refuse (csp_comparison_refuses_near_misses). */
static const char *const csp_near_misses[] = {
	"default-src 'self' evil.example; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'",
	"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'; script-src https://evil.example",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://evil.example; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'; sandbox",
};

/* The comparison itself can fail: each near miss is refused, with the reason, and the policy as it
 * should be (with spaces and a trailing ';' a browser ignores) passes. */
START_TEST(csp_comparison_refuses_near_misses)
{
	char why[512];
	for (size_t i = 0; i < sizeof(csp_near_misses) / sizeof(csp_near_misses[0]); i++)
		ck_assert_msg(csp_mismatch(csp_near_misses[i], NULL, why, sizeof(why)) == -1, "passed: %s",
			      csp_near_misses[i]);
	const char *fine = "  default-src 'self' ;script-src 'self'; style-src 'self'; IMG-SRC data: 'self' x.example; "
			   "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
			   "frame-ancestors 'none';";
	ck_assert_msg(csp_mismatch(fine, "x.example", why, sizeof(why)) == 0, "%s", why);
	ck_assert_msg(csp_mismatch(fine, NULL, why, sizeof(why)) == -1, "another origin for images passed");
}
END_TEST

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
	char inm[200];
	snprintf(inm, sizeof(inm), "If-None-Match: %s", resp_header(&r, "ETag"));
	resp_free(&r);
	r = get("/", (const char *const[]){BROWSER_ACCEPT, inm, NULL});
	ck_assert_int_eq(r.status, 304);
	assert_nosniff(&r, "304 of the map page");
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
	assert_nosniff(&nm, "304 of an asset");
	resp_free(&nm);
	snprintf(inm, sizeof(inm), "If-None-Match: W/\"nope\", %s", gz_etag);
	const char *h304gz[] = {inm, "Accept-Encoding: gzip", NULL};
	nm = http_fetch(&own, "/assets/app.0123456789ab.js", h304gz);
	ck_assert_int_eq(nm.status, 304);
	assert_nosniff(&nm, "304 of the gzip form of an asset");
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
		assert_nosniff(&r, paths[i]);
		ck_assert_msg(!r.body || !strstr(r.body, secret_text), "%s served the secret", paths[i]);
		resp_free(&r);
	}
	/* and only GET/HEAD */
	char url[128];
	snprintf(url, sizeof(url), "%s/assets/app.0123456789ab.js", own.url);
	struct resp r;
	ck_assert(http_body_do("PUT", url, NULL, "x", &r) == 0);
	ck_assert_int_eq(r.status, 405);
	assert_nosniff(&r, "PUT of an asset");
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
	tcase_add_test(t, csp_comparison_refuses_near_misses);
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
