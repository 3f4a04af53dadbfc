/* Content negotiation: http_accept_match on an Accept header, with the media type lists the
 * resources negotiate with (items and features, JSON only, the landing page, the API document,
 * the overviews in their three orders, tiles), and http_accepts_gzip on the same text as an
 * Accept-Encoding header.
 *
 * The oracle is a second reading of RFC 9110 12.5.1, written without the service's parser: the
 * header is cut into elements at commas; an element's range is the text before its first ';'
 * trimmed of spaces and tabs (an empty one is no element); its weight is its first parameter
 * named q or Q, which must be a qvalue ("0" to "1", at most three decimals), else the element is
 * ignored. A type weighs what the most specific range naming it says (exact, then type/star,
 * then star/star; of equal ones the highest). Invariants: a header without elements gives the
 * first type; otherwise the type picked has the highest weight, above 0, and of those the most
 * specific range, and of those the first place in the list; -1 exactly when every type weighs 0.
 * The order of the elements does not matter, and neither does saying everything twice. */
#include <ctype.h>
#include <strings.h>

#include "fuzz.h"
#include "http/http.h"
#include "api/resource.h"

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
	char range[128]; /* the range, trimmed; longer ones cannot name any of the types */
	int long_range;
	int q;          /* thousandths; -1: not a qvalue */
};

#define MAX_ELEMENTS 4096

static int ows(int c)
{
	return c == ' ' || c == '\t';
}

/* "0", "0.", "0.5", "0.123", "1", "1.", "1.000"; -1 for anything else */
static int model_qvalue(const char *s, size_t n)
{
	char buf[8];
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "1") == 0 || strcmp(buf, "1.") == 0 || strcmp(buf, "1.0") == 0 || strcmp(buf, "1.00") == 0 ||
	    strcmp(buf, "1.000") == 0)
		return 1000;
	if (buf[0] != '0' || (n > 1 && buf[1] != '.'))
		return -1;
	int q = 0, digits = 0;
	for (size_t i = 2; i < n; i++) {
		if (!isdigit((unsigned char)buf[i]))
			return -1;
		q = q * 10 + (buf[i] - '0');
		digits++;
	}
	if (digits > 3) /* a qvalue has at most three decimals (RFC 9110 12.4.2) */
		return -1;
	while (digits++ < 3)
		q *= 10;
	return q;
}

static size_t split(const char *h, struct element *e)
{
	size_t n = 0;
	for (const char *p = h; n < MAX_ELEMENTS;) {
		size_t len = strcspn(p, ",");
		size_t rlen = strcspn(p, ";,");
		size_t b = 0;
		while (b < rlen && ows(p[b]))
			b++;
		while (rlen > b && ows(p[rlen - 1]))
			rlen--;
		if (rlen > b) {
			struct element *x = &e[n++];
			size_t l = rlen - b;
			x->long_range = l >= sizeof(x->range);
			if (x->long_range)
				l = sizeof(x->range) - 1;
			memcpy(x->range, p + b, l);
			x->range[l] = '\0';
			x->q = 1000;
			/* the parameters: ";" separated, each trimmed */
			for (size_t i = strcspn(p, ";,"); i < len;) {
				size_t s = i + 1, t = s + strcspn(p + s, ";,");
				size_t a = s, z = t;
				while (a < z && ows(p[a]))
					a++;
				while (z > a && ows(p[z - 1]))
					z--;
				if (z - a >= 2 && tolower((unsigned char)p[a]) == 'q' && p[a + 1] == '=') {
					x->q = model_qvalue(p + a + 2, z - a - 2);
					break;
				}
				i = t;
			}
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	return n;
}

/* -1: the range does not name the type; else its specificity */
static int names(const struct element *e, const char *type)
{
	if (e->long_range)
		return -1;
	if (strcmp(e->range, "*/*") == 0)
		return 0;
	size_t major = strcspn(type, "/");
	if (strlen(e->range) == major + 2 && strcmp(e->range + major, "/*") == 0)
		return strncasecmp(e->range, type, major) == 0 ? 1 : -1;
	return strcasecmp(e->range, type) == 0 ? 2 : -1;
}

static void weigh(const struct element *e, size_t ne, const char *type, int *q, int *spec)
{
	*q = 0;
	*spec = -1;
	for (size_t i = 0; i < ne; i++) {
		int s = names(&e[i], type);
		if (s < 0 || e[i].q < 0)
			continue;
		if (s > *spec || (s == *spec && e[i].q > *q)) {
			*spec = s;
			*q = e[i].q;
		}
	}
}

static struct element e[MAX_ELEMENTS];

static void check_list(const char *h, const char *const *types)
{
	int n = 0;
	while (types[n])
		n++;
	FUZZ_CHECK(http_accept_match(NULL, types) == 0 && http_accept_match("", types) == 0,
		   "no Accept header does not give the first type");
	int got = http_accept_match(h, types);
	FUZZ_CHECK(got >= -1 && got < n, "result %d for a list of %d", got, n);

	size_t ne = split(h, e);
	if (ne == MAX_ELEMENTS)
		return;
	int want = 0;
	if (ne > 0) {
		int best_q = 0, best_spec = -1;
		want = -1;
		for (int k = 0; k < n; k++) {
			int q, spec;
			weigh(e, ne, types[k], &q, &spec);
			if (q > best_q || (q > 0 && q == best_q && spec > best_spec)) {
				want = k;
				best_q = q;
				best_spec = spec;
			}
		}
	}
	FUZZ_CHECK(got == want, "'%s' gives %d, the model %d", h, got, want);

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
	snprintf(rev, 2 * hl + 2, "%s,%s", h, h);
	int got_twice = http_accept_match(rev, types);
	FUZZ_CHECK(got_twice == got, "'%s' gives %d, said twice %d", h, got, got_twice);
	free(rev);
}

/* Accept-Encoding: gzip (or x-gzip) with a weight above 0, or * above 0 when neither is named */
static void check_gzip(const char *h)
{
	size_t ne = split(h, e);
	if (ne == MAX_ELEMENTS)
		return;
	int gzip = -1, star = -1;
	for (size_t i = 0; i < ne; i++) {
		if (e[i].q < 0 || e[i].long_range)
			continue;
		if (strcasecmp(e[i].range, "gzip") == 0 || strcasecmp(e[i].range, "x-gzip") == 0)
			gzip = e[i].q > gzip ? e[i].q : gzip;
		else if (strcmp(e[i].range, "*") == 0)
			star = e[i].q > star ? e[i].q : star;
	}
	int want = gzip >= 0 ? gzip > 0 : star > 0;
	int got = http_accepts_gzip(h);
	FUZZ_CHECK(got == want, "Accept-Encoding '%s' gives %d, the model %d", h, got, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fuzz_string(data, size);
	const char *const *lists[] = {resource_item_media, resource_json_media, landing, api,
				      overview,            coverage,            contacts, tiles};
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		check_list(h, lists[i]);
	check_gzip(h);
	free(h);
	return 0;
}
