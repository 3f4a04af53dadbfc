#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "lib/banned.h"

int router_path_is_public(const struct target *t)
{
	if (t->nseg == 0)
		return 1;
	if (strcmp(t->seg[0], "admin") == 0 || strcmp(t->seg[0], "submissions") == 0)
		return 0;
	return !(strcmp(t->seg[0], "overviews") == 0 && strcmp(t->seg[t->nseg - 1], "contacts") == 0);
}

static int path_matches(const char *pattern, const struct target *t)
{
	size_t i = 0;
	const char *p = pattern + 1;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (i == t->nseg)
			return 0;
		int is_var = len >= 2 && p[0] == '{' && p[len - 1] == '}';
		if (!is_var && (strlen(t->seg[i]) != len || memcmp(p, t->seg[i], len) != 0))
			return 0;
		i++;
		p += len;
		if (*p == '/')
			p++;
	}
	return i == t->nseg;
}

enum router_result router_match(const struct route *routes, size_t nroutes, const char *method, const struct target *t, const struct route **out,
				char *allow, size_t allowlen)
{
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
	size_t used = 0;
	int path_found = 0;
	const char *listed[8]; /* the methods in allow: each once, though several patterns may match */
	size_t nlisted = 0;
	allow[0] = '\0';
	for (size_t i = 0; i < nroutes; i++) {
		if (!path_matches(routes[i].pattern, t))
			continue;
		if (strcmp(routes[i].method, want) == 0) {
			*out = &routes[i];
			return ROUTER_FOUND;
		}
		path_found = 1;
		size_t k = 0;
		while (k < nlisted && strcmp(listed[k], routes[i].method) != 0)
			k++;
		if (k < nlisted)
			continue; /* "coverage" and {code} both match, say */
		if (nlisted < sizeof(listed) / sizeof(listed[0]))
			listed[nlisted++] = routes[i].method;
		int w = snprintf(allow + used, allowlen - used, "%s%s%s", used ? ", " : "", routes[i].method,
				 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
		if (w > 0 && (size_t)w < allowlen - used)
			used += (size_t)w;
	}
	if (!path_found)
		return ROUTER_NOT_FOUND;
	snprintf(allow + used, allowlen - used, "%sOPTIONS", used ? ", " : "");
	return strcmp(method, "OPTIONS") == 0 ? ROUTER_OPTIONS : ROUTER_METHOD_NOT_ALLOWED;
}
