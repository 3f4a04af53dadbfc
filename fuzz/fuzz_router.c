/* Routing: target_parse, then router_match for every method (the real route table), as the server
 * does for each request, and the ids the submission handlers take from the path.
 *
 * Invariants: the outcome is what a plain reading of the route table gives (the first route whose
 * pattern matches the segments and whose method is the request's, HEAD served by GET); whether a
 * path exists does not depend on the method; the Allow list names each method of the path once,
 * fits its buffer, ends with OPTIONS, and every method in it is found; the moderation, submission
 * and contact-person routes are never public (CORS); an id accepted from the path is a positive
 * bigint of digits only. */
#include "fuzz.h"
#include "http/http.h"
#include "http/query.h"
#include "http/router.h"
#include "api/routes.h"
#include "api/submissions.h"

#define ALLOW_BYTES 64 /* as the server passes it */

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
				      "get", "PROPFIND", ""};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* Pattern segments: literal, or {name} for any one segment. */
static int pattern_matches(const char *pattern, const struct target *t)
{
	size_t i = 0;
	const char *p = pattern;
	while (*p == '/' && p[1]) {
		p++;
		size_t len = strcspn(p, "/");
		if (i >= t->nseg)
			return 0;
		int var = p[0] == '{' && p[len - 1] == '}';
		if (!var && !(strlen(t->seg[i]) == len && strncmp(p, t->seg[i], len) == 0))
			return 0;
		i++;
		p += len;
	}
	return i == t->nseg;
}

static int in_allow(const char *allow, const char *method)
{
	size_t n = strlen(method);
	for (const char *p = allow; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, method, n) == 0)
			return 1;
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

static int is_private(const char *pattern)
{
	size_t n = strlen(pattern);
	return strncmp(pattern, "/admin/", 7) == 0 || strcmp(pattern, "/admin") == 0 ||
	       strncmp(pattern, "/submissions", 12) == 0 ||
	       (strncmp(pattern, "/overviews/", 11) == 0 && n > 9 && strcmp(pattern + n - 9, "/contacts") == 0);
}

/* The id parse of the submission handlers (submission_id) on a segment. */
static void check_id(const char *seg)
{
	struct request r;
	memset(&r, 0, sizeof(r));
	char id[24];
	int rc = submission_id(&r, seg, id, sizeof(id));
	if (rc == 0) {
		size_t n = strlen(seg);
		FUZZ_CHECK(!r.responded && strcmp(id, seg) == 0, "id '%s' copied as '%s'", seg, id);
		FUZZ_CHECK(n >= 1 && n <= 18 && seg[0] != '0' && strspn(seg, "0123456789") == n,
			   "'%s' accepted as an id", seg);
	} else {
		FUZZ_CHECK(r.responded && r.resp.status == 404, "a refused id answered %u", r.resp.status);
	}
	free(r.resp.body);
}

static void check_method(const struct target *t, const char *method, int path_exists)
{
	size_t nroutes;
	const struct route *routes = api_routes(&nroutes);
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;

	/* the plain reading of the table */
	const struct route *expect = NULL;
	char expect_allow[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < nroutes; i++) {
		if (!pattern_matches(routes[i].pattern, t))
			continue;
		if (!expect && strcmp(routes[i].method, want) == 0)
			expect = &routes[i];
		if (!in_allow(expect_allow, routes[i].method))
			used += (size_t)snprintf(expect_allow + used, sizeof(expect_allow) - used, "%s%s%s",
						 used ? ", " : "", routes[i].method,
						 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
	}
	snprintf(expect_allow + used, sizeof(expect_allow) - used, "%sOPTIONS", used ? ", " : "");

	char *allow = malloc(ALLOW_BYTES);
	const struct route *got = NULL;
	enum router_result m = router_match(routes, nroutes, method, t, &got, allow, ALLOW_BYTES);
	FUZZ_CHECK(memchr(allow, '\0', ALLOW_BYTES), "%s: Allow is not terminated", method);
	if (!path_exists) {
		FUZZ_CHECK(m == ROUTER_NOT_FOUND, "%s: no pattern matches, yet the result is %d", method, m);
	} else if (expect) {
		FUZZ_CHECK(m == ROUTER_FOUND && got == expect, "%s: %s expected, result %d (%s)", method, expect->pattern,
			   m, m == ROUTER_FOUND ? got->pattern : "-");
		FUZZ_CHECK(strcmp(got->method, want) == 0, "%s: routed to a %s route", method, got->method);
		/* public: every route but moderation, submissions and contact persons (and a region code
		 * that reads "contacts", which is kept private too) */
		int public = router_path_is_public(t);
		if (is_private(got->pattern))
			FUZZ_CHECK(!public, "%s %s: a private route is public (CORS)", method, got->pattern);
		else if (!(t->nseg > 1 && strcmp(t->seg[0], "overviews") == 0 &&
			   strcmp(t->seg[t->nseg - 1], "contacts") == 0))
			FUZZ_CHECK(public, "%s %s: a public route is not public (CORS)", method, got->pattern);
		/* the ids the handlers read from the path */
		const char *p = got->pattern;
		for (size_t i = 0; *p == '/' && p[1] && i < t->nseg; i++) {
			p++;
			size_t len = strcspn(p, "/");
			if ((len == 14 && strncmp(p, "{submissionId}", 14) == 0) ||
			    (len == 11 && strncmp(p, "{contactId}", 11) == 0))
				check_id(t->seg[i]);
			p += len;
		}
	} else {
		FUZZ_CHECK(m == (strcmp(method, "OPTIONS") == 0 ? ROUTER_OPTIONS : ROUTER_METHOD_NOT_ALLOWED),
			   "%s: the path exists without this method, yet the result is %d", method, m);
		FUZZ_CHECK(strlen(expect_allow) < ALLOW_BYTES, "%s: Allow '%s' does not fit", method, expect_allow);
		FUZZ_CHECK(strcmp(allow, expect_allow) == 0, "%s: Allow is '%s', expected '%s'", method, allow,
			   expect_allow);
		FUZZ_CHECK(!in_allow(allow, method) || strcmp(method, "OPTIONS") == 0, "%s: refused but in Allow '%s'",
			   method, allow);
		/* every method in Allow is served */
		for (const char *a = allow; *a;) {
			size_t len = strcspn(a, ",");
			char name[16];
			snprintf(name, sizeof(name), "%.*s", (int)len, a);
			if (strcmp(name, "OPTIONS") != 0) {
				const struct route *r2;
				char allow2[ALLOW_BYTES];
				FUZZ_CHECK(router_match(routes, nroutes, name, t, &r2, allow2, sizeof(allow2)) == ROUTER_FOUND,
					   "%s is in Allow '%s' but not found", name, allow);
			}
			a += len;
			while (*a == ',' || *a == ' ')
				a++;
		}
	}
	free(allow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_string(data, size);
	struct target t;
	if (target_parse(&t, raw) != TARGET_OK) {
		free(raw);
		return 0;
	}
	size_t nroutes;
	const struct route *routes = api_routes(&nroutes);
	int exists = 0;
	for (size_t i = 0; i < nroutes; i++)
		exists |= pattern_matches(routes[i].pattern, &t);
	for (size_t i = 0; i < NMETHODS; i++)
		check_method(&t, methods[i], exists);
	target_release(&t);
	free(raw);
	return 0;
}
