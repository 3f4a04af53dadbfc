/* The response cache's view of a request: cache_etag_matches (If-None-Match against a stored
 * ETag) and cache_key (the normalised request). The input is three lines and a rest: the
 * If-None-Match header, a request target, an Accept header, and a body whose ETag is made as the
 * server makes it.
 *
 * Invariants: a header that lists the ETag (strong, W/ or the -gz variant), also after any other
 * text, matches; one that contains neither the tag nor a * element does not. The key is refused
 * exactly when the Accept header or the key is too long; otherwise it reads back to the base URL,
 * the segments, the parameters sorted by name (repeated names in their order) and the Accept
 * header, so two requests share a key only when they are the same request; the order of
 * parameters with distinct names does not change it. */
#include <ctype.h>
#include <zlib.h>

#include "lib/buf.h"
#include "http/cache.h"
#include "fuzz.h"
#include "http/query.h"

#define MAX_KEY_BYTES 12288   /* as cache.c */
#define MAX_ACCEPT_BYTES 512  /* as cache.c */
#define KEY_BUF_BYTES 16384   /* as http.c passes it */

/* --- If-None-Match --- */

static void make_etag(const uint8_t *body, size_t len, char *dst, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0), adl = adler32(0L, Z_NULL, 0);
	crc = crc32(crc, body, (uInt)len);
	adl = adler32(adl, body, (uInt)len);
	cache_etag_format(crc, adl, len, dst, n);
}

static int has_star_element(const char *h)
{
	for (const char *p = h;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		p = strchr(p, ',');
		if (!p)
			return 0;
	}
}

static void check_etag(const char *inm, const char *etag)
{
	int got = cache_etag_matches(inm, etag);
	FUZZ_CHECK(got == 0 || got == 1, "result %d", got);
	size_t elen = strlen(etag) - 1; /* the tag without its closing quote */
	char *open = malloc(elen + 1);
	memcpy(open, etag, elen);
	open[elen] = '\0';
	if (!strstr(inm, open) && !has_star_element(inm))
		FUZZ_CHECK(!got, "'%s' matches %s, which it does not contain", inm, etag);

	size_t n = strlen(inm) + 2 * elen + 16;
	char *h = malloc(n);
	const char *forms[] = {"%s, %s", "%s,W/%s", "%s , %s-gz\"", "%s,%s"};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(h, n, forms[i], inm, i == 2 ? open : etag);
		FUZZ_CHECK(cache_etag_matches(h, etag), "'%s' does not match %s", h, etag);
	}
	free(h);
	free(open);
}

/* --- the key --- */

static const char *read_field(const char **p, char sep, size_t *len)
{
	char *end;
	unsigned long long n = strtoull(*p, &end, 10);
	FUZZ_CHECK(end != *p && isdigit((unsigned char)**p) && *end == sep, "key: no length at '%.20s'", *p);
	const char *s = end + 1;
	FUZZ_CHECK(strnlen(s, n) == n, "key: a field of %llu bytes runs past the end", n);
	*len = n;
	*p = s + n;
	return s;
}

static void expect_field(const char **p, const char *want, const char *what)
{
	size_t len;
	const char *s = read_field(p, ':', &len);
	FUZZ_CHECK(len == strlen(want) && memcmp(s, want, len) == 0, "key: %s reads back as '%.*s', not '%s'", what,
		   (int)len, s, want);
}

static void expect_count(const char **p, size_t want, const char *what)
{
	char *end;
	unsigned long long n = strtoull(*p, &end, 10);
	FUZZ_CHECK(end != *p && n == want, "key: %llu %s, not %zu", n, what, want);
	*p = end;
}

static void expect_char(const char **p, char c)
{
	FUZZ_CHECK(**p == c, "key: '%c' expected at '%.20s'", c, *p);
	(*p)++;
}

static size_t digits(size_t n)
{
	size_t d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

static void check_key(const char *base, const struct target *t, const char *accept)
{
	struct buf key;
	buf_init(&key, KEY_BUF_BYTES);
	int rc = cache_key(&key, base, t, accept);

	/* how long the key is, field by field */
	size_t want_len = digits(strlen(base)) + 1 + strlen(base) + 1 + digits(t->nseg);
	for (size_t i = 0; i < t->nseg; i++)
		want_len += 1 + digits(strlen(t->seg[i])) + 1 + strlen(t->seg[i]);
	want_len += 1 + digits(t->nparams);
	for (size_t i = 0; i < t->nparams; i++) {
		size_t k = strlen(t->params[i].key), v = strlen(t->params[i].value);
		want_len += 1 + digits(k) + 1 + k + 1 + digits(v) + 1 + v;
	}
	size_t alen = accept ? strlen(accept) : 0;
	want_len += 1 + digits(alen) + 1 + alen;
	int refuse = alen > MAX_ACCEPT_BYTES || want_len > MAX_KEY_BYTES;
	FUZZ_CHECK((rc < 0) == refuse, "cache_key %s a key of %zu bytes (Accept %zu)", rc < 0 ? "refused" : "made",
		   want_len, alen);
	if (rc < 0) {
		buf_release(&key);
		return;
	}
	FUZZ_CHECK(key.data && key.len == want_len && strlen(key.data) == key.len, "key of %zu bytes, expected %zu",
		   key.len, want_len);

	/* it reads back to the request */
	const char *p = key.data;
	expect_field(&p, base, "the base URL");
	expect_char(&p, '|');
	expect_count(&p, t->nseg, "segments");
	for (size_t i = 0; i < t->nseg; i++) {
		expect_char(&p, '|');
		expect_field(&p, t->seg[i], "a segment");
	}
	expect_char(&p, '|');
	expect_count(&p, t->nparams, "parameters");
	const struct qparam *prev = NULL;
	int used[QUERY_MAX_PARAMS] = {0};
	for (size_t i = 0; i < t->nparams; i++) {
		expect_char(&p, '|');
		size_t klen, vlen;
		const char *k = read_field(&p, ':', &klen);
		expect_char(&p, '=');
		const char *v = read_field(&p, ':', &vlen);
		/* the first parameter not yet used with this name and value, in request order */
		size_t j = 0;
		while (j < t->nparams &&
		       (used[j] || strlen(t->params[j].key) != klen || memcmp(t->params[j].key, k, klen) != 0))
			j++;
		FUZZ_CHECK(j < t->nparams, "key: parameter '%.*s' is not in the request", (int)klen, k);
		FUZZ_CHECK(strlen(t->params[j].value) == vlen && memcmp(t->params[j].value, v, vlen) == 0,
			   "key: %s has the value '%.*s', not '%s'", t->params[j].key, (int)vlen, v, t->params[j].value);
		used[j] = 1;
		FUZZ_CHECK(!prev || strcmp(prev->key, t->params[j].key) < 0 ||
				   (strcmp(prev->key, t->params[j].key) == 0 && prev < &t->params[j]),
			   "key: parameters not in order of name, then of the request");
		prev = &t->params[j];
	}
	expect_char(&p, '|');
	expect_field(&p, accept ? accept : "", "Accept");
	FUZZ_CHECK(*p == '\0', "key: '%s' left over", p);

	/* the same request with its parameters in the opposite order has the same key */
	int distinct = 1;
	for (size_t i = 0; i < t->nparams; i++)
		for (size_t j = 0; j < i; j++)
			distinct &= strcmp(t->params[i].key, t->params[j].key) != 0;
	if (distinct && t->nparams > 1) {
		struct target r = *t;
		for (size_t i = 0; i < t->nparams; i++)
			r.params[i] = t->params[t->nparams - 1 - i];
		struct buf key2;
		buf_init(&key2, KEY_BUF_BYTES);
		FUZZ_CHECK(cache_key(&key2, base, &r, accept) == 0 && key2.len == key.len &&
				   memcmp(key2.data, key.data, key.len) == 0,
			   "the parameters in another order give another key");
		buf_release(&key2);
	}
	buf_release(&key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *inm = fuzz_line(&data, &size);
	char *raw = fuzz_line(&data, &size);
	char *accept = fuzz_line(&data, &size);

	char etag[48];
	make_etag(data, size, etag, sizeof(etag));
	check_etag(inm, etag);
	check_etag(inm, "\"00000000000000010\"");

	struct target t;
	if (target_parse(&t, raw) == TARGET_OK) {
		static const char *const bases[] = {"http://localhost:8080", "https://routekaart.example.nl", "http://[::1]:80"};
		for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
			check_key(bases[i], &t, accept);
			check_key(bases[i], &t, NULL);
		}
		target_release(&t);
	}
	free(inm);
	free(raw);
	free(accept);
	return 0;
}
