/* Content negotiation: http_accept_match on an Accept header, with the media type lists the
 * resources negotiate with (items and features, JSON only, the landing page, the API document,
 * the overviews in their three orders, tiles).
 *
 * Invariants: the result is -1 or an index of the list; no header picks the first type; the type
 * picked is named by an element of the header (exactly, as type/ *, or as * / *) that does not
 * refuse it with q=0; nothing is picked only when every element that names a type carries a q;
 * the order of the elements does not matter, and neither does saying everything twice. */
#include <strings.h>

#include "fuzz.h"
#include "http.h"
#include "resource.h"

#define MEDIA_CSV "text/csv"
#define MEDIA_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

static const char *const landing[] = {MEDIA_JSON, "text/html", NULL};
static const char *const api[] = {"application/vnd.oai.openapi+json", MEDIA_JSON, "application/vnd.oai.openapi",
				  "application/yaml", "text/yaml", NULL};
static const char *const overview[] = {MEDIA_JSON, MEDIA_CSV, MEDIA_XLSX, MEDIA_GEOJSON, NULL};
static const char *const coverage[] = {MEDIA_JSON, MEDIA_CSV, MEDIA_XLSX, NULL};
static const char *const contacts[] = {MEDIA_CSV, MEDIA_JSON, MEDIA_XLSX, NULL};
static const char *const tiles[] = {"application/vnd.mapbox-vector-tile", NULL};

struct element {
	const char *range; /* the media range, spaces trimmed */
	size_t rlen;
	const char *params; /* from the first ';' to the end of the element, or NULL */
	size_t plen;
};

#define MAX_ELEMENTS 4096

static size_t split(const char *h, struct element *e)
{
	size_t n = 0;
	for (const char *p = h;;) {
		size_t len = strcspn(p, ",");
		const char *semi = memchr(p, ';', len);
		size_t rlen = semi ? (size_t)(semi - p) : len;
		const char *r = p;
		while (rlen && *r == ' ') {
			r++;
			rlen--;
		}
		while (rlen && r[rlen - 1] == ' ')
			rlen--;
		e[n].range = r;
		e[n].rlen = rlen;
		e[n].params = semi;
		e[n].plen = semi ? len - (size_t)(semi - p) : 0;
		n++;
		if (!p[len] || n == MAX_ELEMENTS)
			break;
		p += len + 1;
	}
	return n;
}

static int names(const struct element *e, const char *type)
{
	if (e->rlen == 3 && memcmp(e->range, "*/*", 3) == 0)
		return 1;
	size_t major = strcspn(type, "/");
	if (e->rlen == major + 2 && memcmp(e->range + major, "/*", 2) == 0)
		return strncasecmp(e->range, type, major) == 0;
	return strlen(type) == e->rlen && strncasecmp(e->range, type, e->rlen) == 0;
}

/* The value of a q parameter: NULL when there is none. */
static const char *qvalue(const struct element *e, size_t *len)
{
	for (size_t i = 1; e->params && i + 1 < e->plen; i++) {
		const char *q = e->params + i;
		if (q[0] == 'q' && q[1] == '=' && (q[-1] == ';' || q[-1] == ' ')) {
			*len = strcspn(q + 2, ";, ");
			if (q + 2 + *len > e->params + e->plen)
				*len = (size_t)(e->params + e->plen - (q + 2));
			return q + 2;
		}
	}
	return NULL;
}

static int refuses(const struct element *e)
{
	size_t len;
	const char *q = qvalue(e, &len);
	if (!q || len == 0 || q[0] != '0')
		return 0;
	if (len == 1)
		return 1;
	return q[1] == '.' && len <= 5 && strspn(q + 2, "0") == len - 2;
}

static void check_list(const char *h, const char *const *types)
{
	int n = 0;
	while (types[n])
		n++;
	FUZZ_CHECK(http_accept_match(NULL, types) == 0 && http_accept_match("", types) == 0,
		   "no Accept header does not give the first type");
	int got = http_accept_match(h, types);
	FUZZ_CHECK(got >= -1 && got < n, "result %d for a list of %d", got, n);

	static struct element e[MAX_ELEMENTS];
	size_t ne = split(h, e);
	if (ne == MAX_ELEMENTS)
		return;
	if (!*h) {
		FUZZ_CHECK(got == 0, "an empty header gives %d", got);
	} else if (got >= 0) {
		int named = 0;
		for (size_t i = 0; i < ne && !named; i++)
			named = names(&e[i], types[got]) && !refuses(&e[i]);
		FUZZ_CHECK(named, "'%s' picked, but no element of the header names it", types[got]);
	} else {
		size_t len;
		for (size_t i = 0; i < ne; i++)
			for (int k = 0; k < n; k++)
				FUZZ_CHECK(!names(&e[i], types[k]) || qvalue(&e[i], &len),
					   "nothing picked, but element %zu names '%s' without a q", i, types[k]);
	}

	/* the elements in the opposite order, and everything twice */
	size_t hl = strlen(h);
	char *rev = malloc(2 * hl + 2);
	size_t o = 0, end = hl;
	for (size_t i = hl + 1; i-- > 0;) {
		if (i == 0 || h[i - 1] == ',') {
			memcpy(rev + o, h + i, end - i);
			o += end - i;
			if (i > 0) {
				rev[o++] = ',';
				end = i - 1;
			}
		}
	}
	rev[o] = '\0';
	int got_rev = http_accept_match(rev, types);
	FUZZ_CHECK(got_rev == got, "'%s' gives %d, in the opposite order '%s' %d", h, got, rev, got_rev);
	if (strspn(h, " ,") < hl) { /* (a header of empty elements only is not the same as none) */
		snprintf(rev, 2 * hl + 2, "%s,%s", h, h);
		int got_twice = http_accept_match(rev, types);
		FUZZ_CHECK(got_twice == got, "'%s' gives %d, said twice %d", h, got, got_twice);
	}
	free(rev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fuzz_string(data, size);
	const char *const *lists[] = {resource_item_media, resource_json_media, landing, api,
				      overview,            coverage,            contacts, tiles};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		check_list(h, lists[i]);
	free(h);
	return 0;
}
