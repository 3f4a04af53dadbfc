/* Request targets: target_parse (path segments, query parameters, percent-decoding), then
 * query_validate against the parameter specifications of every collection (items and single
 * features) and a table with the edge cases of every parameter type, db_array_literal (the
 * store's array literal) on the lists and query_build (the paging links) on the values.
 *
 * Invariants: a target that parses re-encodes to one that parses to the same segments and
 * parameters; decoding agrees with a plain reference decoder; every validated value is what its
 * type promises (whole numbers in range, finite numbers, ordered CRS84 boxes, list items that pass
 * their check, UTF-8 text within its length, enum members); every unknown or repeated parameter
 * is reported; the error codes are those of the API contract and the messages are text when the
 * request was; a PostgreSQL array literal reads back to the same items; a paging link built from
 * the values validates to the same values. */
#include <ctype.h>
#include <math.h>

#include "lib/buf.h"
#include "lib/codes.h"
#include "fuzz.h"
#include "http/query.h"
#include "api/resource.h"
#include "store/pg.h"

/* --- a reference decoder and encoder --- */

static int hexval(int c)
{
	const char *digits = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower(c)) : NULL;
	return p ? (int)(p - digits) : -1;
}

/* The decoded text of s[0..len), or NULL where the service must refuse it. */
static char *ref_decode(const char *s, size_t len, int plus_is_space)
{
	char *out = malloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int h = i + 1 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int l = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (h < 0 || l < 0 || (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			c = (unsigned char)(h << 4 | l);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static void encode(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			buf_append(b, p, 1);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

static void check_decode(const char *s)
{
	size_t len = strlen(s);
	for (int plus = 0; plus < 2; plus++) {
		char *got = query_decode(s, len, plus), *want = ref_decode(s, len, plus);
		FUZZ_CHECK((got == NULL) == (want == NULL), "query_decode %s what the reference %s",
			   got ? "accepts" : "refuses", want ? "accepts" : "refuses");
		if (got) {
			FUZZ_CHECK(strcmp(got, want) == 0, "query_decode gives '%s', the reference '%s'", got, want);
			FUZZ_CHECK(strlen(got) <= len, "decoding made the text longer");
		}
		free(got);
		free(want);
	}
}

/* --- the target itself --- */

static int same_target(const struct target *a, const struct target *b)
{
	if (a->nseg != b->nseg || a->nparams != b->nparams)
		return 0;
	for (size_t i = 0; i < a->nseg; i++)
		if (strcmp(a->seg[i], b->seg[i]) != 0)
			return 0;
	for (size_t i = 0; i < a->nparams; i++)
		if (strcmp(a->params[i].key, b->params[i].key) != 0 || strcmp(a->params[i].value, b->params[i].value) != 0)
			return 0;
	return 1;
}

static void check_parsed(const char *raw, const struct target *t)
{
	FUZZ_CHECK(t->nseg <= QUERY_MAX_SEGMENTS && t->nparams <= QUERY_MAX_PARAMS, "%zu segments, %zu parameters",
		   t->nseg, t->nparams);
	size_t plen = strcspn(raw, "?#");
	FUZZ_CHECK(t->path && strlen(t->path) == plen && memcmp(t->path, raw, plen) == 0,
		   "path '%s' is not the target up to ? or #", t->path ? t->path : "(null)");
	/* the segments are the non-empty parts of the path between slashes, decoded */
	size_t n = 0;
	for (const char *p = raw + 1; p < raw + plen;) {
		size_t len = strcspn(p, "/?#");
		if (len) {
			FUZZ_CHECK(n < t->nseg, "more non-empty parts in the path than segments");
			char *want = ref_decode(p, len, 0);
			FUZZ_CHECK(want && strcmp(want, t->seg[n]) == 0, "segment %zu is '%s'", n, t->seg[n]);
			free(want);
			n++;
		}
		p += len + 1;
	}
	FUZZ_CHECK(n == t->nseg, "%zu parts in the path, %zu segments", n, t->nseg);
	for (size_t i = 0; i < t->nseg; i++)
		FUZZ_CHECK(t->seg[i][0] != '\0', "segment %zu is empty", i);

	/* percent-encoded again, it is the same request */
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "/");
	for (size_t i = 0; i < t->nseg; i++) {
		if (i)
			buf_puts(&b, "/");
		encode(&b, t->seg[i]);
	}
	for (size_t i = 0; i < t->nparams; i++) {
		buf_puts(&b, i ? "&" : "?");
		encode(&b, t->params[i].key);
		buf_puts(&b, "=");
		encode(&b, t->params[i].value);
	}
	struct target again;
	enum target_status st = target_parse(&again, b.data);
	FUZZ_CHECK(st == TARGET_OK, "the re-encoded target '%s' does not parse (%d)", b.data, st);
	FUZZ_CHECK(same_target(t, &again), "the re-encoded target '%s' parses to something else", b.data);
	target_release(&again);
	buf_release(&b);
}

/* --- validation --- */

static const char *const booleans[] = {"true", "false", NULL};

/* Every parameter type at its edges: negative and very large bounds, a list with both an allowed
 * list and a check, a short text. */
static const struct pspec edge_specs[] = {
	{"limit", PT_INT, -5, 5, NULL, NULL, NULL, 0, 0},
	{"after", PT_INT, 0, 9007199254740991.0, NULL, NULL, NULL, 0, 0},
	{"entity_id", PT_INT, -1e18, 1e18, NULL, NULL, NULL, 0, 0},
	{"simplify", PT_NUMBER, -1, 1e300, NULL, NULL, NULL, 0, 0},
	{"bbox", PT_BBOX, 0, 0, NULL, NULL, NULL, 0, 0},
	{"region", PT_LIST, 0, 0, codes_profielen, query_is_region_code, "a region or a profiel", 0, 0},
	{"niveau", PT_LIST, -3, 3, NULL, NULL, "a small number", 0, 1},
	{"q", PT_TEXT, 0, 0, NULL, NULL, NULL, 8, 0},
	{"vmbo", PT_ENUM, 0, 0, booleans, NULL, NULL, 0, 0},
};

static const char *const contract_codes[] = {"unknown_parameter", "duplicate_parameter", "empty", "invalid_value",
					     "not_an_integer", "not_a_number", "invalid_bbox", "out_of_range",
					     "too_long", "too_many_values", NULL};

static int listed(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static const struct pspec *spec_named(const struct pspec *specs, size_t n, const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(specs[k].name, name) == 0)
			return &specs[k];
	return NULL;
}

static int item_ok(const struct pspec *s, const char *item)
{
	if (s->is_int) {
		const char *p = item + (*item == '-');
		if (!*p || strlen(p) > 18 || strspn(p, "0123456789") != strlen(p))
			return 0;
		long l = strtol(item, NULL, 10);
		return l >= s->min && l <= s->max;
	}
	return listed(s->allowed, item) || (s->check && s->check(item));
}

/* Reads a PostgreSQL array literal of quoted strings back; aborts when it is not one. */
static size_t pg_array_read(const char *lit, char **items, size_t max)
{
	const char *p = lit;
	FUZZ_CHECK(*p == '{', "array literal '%s' does not open with {", lit);
	p++;
	size_t n = 0;
	if (*p == '}')
		goto out_end;
	for (;;) {
		FUZZ_CHECK(*p == '"' && n < max, "array literal '%s': item %zu is not quoted", lit, n);
		p++;
		struct buf b;
		buf_init(&b, 1 << 20);
		buf_puts(&b, "");
		while (*p != '"') {
			FUZZ_CHECK(*p, "array literal '%s' ends inside an item", lit);
			if (*p == '\\')
				p++;
			FUZZ_CHECK(*p, "array literal '%s' ends in an escape", lit);
			buf_append(&b, p, 1);
			p++;
		}
		p++;
		items[n++] = buf_detach(&b, NULL);
		if (*p == '}')
			break;
		FUZZ_CHECK(*p == ',', "array literal '%s': no comma after item %zu", lit, n);
		p++;
	}
out_end:
	FUZZ_CHECK(p[1] == '\0', "array literal '%s' goes on after its }", lit);
	return n;
}

static void check_pg_array(const struct pvalue *v)
{
	struct db_list list = resource_list(v);
	int oom = 0;
	char *lit = db_array_literal(&list, &oom);
	if (!v->present) {
		FUZZ_CHECK(lit == NULL, "an array literal for a parameter that is not there");
		return;
	}
	FUZZ_CHECK(lit != NULL, "no array literal for a present parameter");
	char *items[QUERY_MAX_LIST + 1];
	size_t n = pg_array_read(lit, items, QUERY_MAX_LIST + 1);
	FUZZ_CHECK(n == v->nitems, "array literal '%s' has %zu items, the value %zu", lit, n, v->nitems);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(strcmp(items[i], v->items[i]) == 0, "array literal '%s' reads back item %zu as '%s', not '%s'",
			   lit, i, items[i], v->items[i]);
		free(items[i]);
	}
	free(lit);
}

static void check_value(const struct pspec *s, const struct pvalue *v)
{
	const char *raw = v->raw;
	FUZZ_CHECK(*raw, "%s: an empty value passed", s->name);
	switch (s->type) {
	case PT_INT: {
		const char *p = raw + (*raw == '-');
		FUZZ_CHECK(*p && strlen(p) <= 18 && strspn(p, "0123456789") == strlen(p),
			   "%s: '%s' passed as a whole number", s->name, raw);
		FUZZ_CHECK(v->i == strtol(raw, NULL, 10), "%s: '%s' read as %ld", s->name, raw, v->i);
		FUZZ_CHECK(v->i >= s->min && v->i <= s->max, "%s: %ld passed, outside %g..%g", s->name, v->i, s->min,
			   s->max);
		break;
	}
	case PT_NUMBER:
		FUZZ_CHECK(isfinite(v->num) && v->num >= s->min && v->num <= s->max, "%s: '%s' passed as %g", s->name,
			   raw, v->num);
		FUZZ_CHECK(strspn(raw, "0123456789.eE+-") == strlen(raw), "%s: '%s' passed as a number", s->name, raw);
		break;
	case PT_BBOX: {
		const double *b = v->bbox;
		for (int i = 0; i < 4; i++)
			FUZZ_CHECK(isfinite(b[i]), "%s: '%s' has a coordinate that is not finite", s->name, raw);
		FUZZ_CHECK(b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] <= b[2] && b[1] <= b[3],
			   "%s: '%s' passed as %g,%g,%g,%g", s->name, raw, b[0], b[1], b[2], b[3]);
		size_t commas = 0;
		for (const char *p = raw; *p; p++)
			commas += *p == ',';
		FUZZ_CHECK(commas == 3 || commas == 5, "%s: '%s' passed with %zu numbers", s->name, raw, commas + 1);
		break;
	}
	case PT_LIST: {
		FUZZ_CHECK(v->nitems >= 1 && v->nitems <= QUERY_MAX_LIST, "%s: %zu items", s->name, v->nitems);
		struct buf b;
		buf_init(&b, 1 << 20);
		for (size_t i = 0; i < v->nitems; i++) {
			FUZZ_CHECK(item_ok(s, v->items[i]), "%s: item '%s' passed", s->name, v->items[i]);
			buf_printf(&b, "%s%s", i ? "," : "", v->items[i]);
		}
		FUZZ_CHECK(strcmp(b.data, raw) == 0, "%s: the items of '%s' join to '%s'", s->name, raw, b.data);
		buf_release(&b);
		break;
	}
	case PT_TEXT:
		FUZZ_CHECK(strlen(raw) <= s->max_len, "%s: %zu bytes passed", s->name, strlen(raw));
		FUZZ_CHECK(fuzz_utf8(raw), "%s: text that is not UTF-8 passed (the database refuses it)", s->name);
		break;
	case PT_ENUM:
		FUZZ_CHECK(listed(s->allowed, raw), "%s: '%s' passed", s->name, raw);
		break;
	}
}

/* The paging links: the values encoded by query_build must validate to the same values. */
static void check_build(const struct pspec *specs, size_t n, const struct pvalue *vals)
{
	const char *names[] = {specs[0].name, "offset"};
	const char *values[] = {NULL, "0"};
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, "/x?");
	FUZZ_CHECK(query_build(&b, specs, vals, n, names, values, 2) == 0, "query_build failed");
	struct target t;
	enum target_status st = target_parse(&t, b.data);
	FUZZ_CHECK(st == TARGET_OK, "the built query '%s' does not parse (%d)", b.data, st);
	struct pvalue again[QUERY_MAX_PARAMS];
	struct perrors errs;
	query_validate(&t, specs, n, again, &errs);
	FUZZ_CHECK(errs.n == 0, "the built query '%s' has %zu errors", b.data, errs.n);
	for (size_t k = 0; k < n; k++) {
		const char *want = vals[k].present ? vals[k].raw : NULL;
		if (k == 0)
			want = NULL;
		if (strcmp(specs[k].name, "offset") == 0)
			want = "0";
		FUZZ_CHECK(again[k].present == (want != NULL), "the built query '%s' %s %s", b.data,
			   again[k].present ? "has" : "lacks", specs[k].name);
		if (want)
			FUZZ_CHECK(strcmp(again[k].raw, want) == 0, "the built query '%s' gives %s='%s', not '%s'", b.data,
				   specs[k].name, again[k].raw, want);
	}
	query_values_release(again, n);
	target_release(&t);
	buf_release(&b);
}

static void check_validate(const struct target *t, const struct pspec *specs, size_t n)
{
	struct pvalue vals[QUERY_MAX_PARAMS];
	struct perrors errs;
	size_t nerr = query_validate(t, specs, n, vals, &errs);
	FUZZ_CHECK(nerr == errs.n && nerr <= QUERY_MAX_ERRORS, "%zu errors returned, %zu listed", nerr, errs.n);

	int text = 1; /* the decoded request is UTF-8 */
	for (size_t i = 0; i < t->nparams; i++)
		text &= fuzz_utf8(t->params[i].key) && fuzz_utf8(t->params[i].value);
	for (size_t i = 0; i < errs.n; i++) {
		const struct perror *e = &errs.v[i];
		FUZZ_CHECK(e->code && listed(contract_codes, e->code), "error code %s is not in the API contract",
			   e->code ? e->code : "(null)");
		FUZZ_CHECK(FUZZ_TERMINATED(e->parameter) && FUZZ_TERMINATED(e->message), "an error is not terminated");
		FUZZ_CHECK(!text || (fuzz_utf8(e->parameter) && fuzz_utf8(e->message)),
			   "an error about UTF-8 text is not UTF-8: parameter '%s', message '%s'", e->parameter, e->message);
	}

	/* each parameter is found, or reported unknown; a second one is reported */
	size_t unknown = 0, repeated = 0;
	for (size_t i = 0; i < t->nparams; i++) {
		const char *key = t->params[i].key;
		const struct pspec *s = spec_named(specs, n, key);
		if (!s) {
			unknown++;
			continue;
		}
		const struct pvalue *v = &vals[s - specs];
		FUZZ_CHECK(v->present, "%s is given but not present", key);
		size_t first = 0;
		while (strcmp(t->params[first].key, key) != 0)
			first++;
		if (first < i)
			repeated++;
		else
			FUZZ_CHECK(v->raw == t->params[i].value, "%s is not the value of its first occurrence", key);
	}
	size_t n_unknown = 0, n_repeated = 0;
	for (size_t i = 0; i < errs.n; i++) {
		n_unknown += strcmp(errs.v[i].code, "unknown_parameter") == 0;
		n_repeated += strcmp(errs.v[i].code, "duplicate_parameter") == 0;
	}
	if (unknown + repeated <= QUERY_MAX_ERRORS)
		FUZZ_CHECK(n_unknown == unknown && n_repeated == repeated,
			   "%zu unknown and %zu repeated parameters, %zu and %zu reported", unknown, repeated, n_unknown,
			   n_repeated);

	for (size_t k = 0; k < n; k++) {
		if (!vals[k].present) {
			FUZZ_CHECK(vals[k].nitems == 0, "%s: items without a value", specs[k].name);
			check_pg_array(&vals[k]);
			continue;
		}
		int faulted = 0;
		for (size_t i = 0; i < errs.n; i++)
			faulted |= strcmp(errs.v[i].parameter, specs[k].name) == 0 &&
				   strcmp(errs.v[i].code, "duplicate_parameter") != 0;
		if (!faulted && errs.n < QUERY_MAX_ERRORS)
			check_value(&specs[k], &vals[k]);
		if (specs[k].type == PT_LIST)
			check_pg_array(&vals[k]);
	}
	if (errs.n == 0)
		check_build(specs, n, vals);
	query_values_release(vals, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_string(data, size);
	check_decode(raw);
	struct target t;
	enum target_status st = target_parse(&t, raw);
	if (raw[0] != '/')
		FUZZ_CHECK(st == TARGET_BAD, "a target that does not begin with / parsed (%d)", st);
	if (st != TARGET_OK) {
		FUZZ_CHECK(t.path == NULL && t.nseg == 0 && t.nparams == 0, "a refused target was not released");
		free(raw);
		return 0;
	}
	check_parsed(raw, &t);

	const struct collection *const cs[] = {&initiatives_collection, &schools_collection,
					       &regions_collections[0], &regions_collections[1],
					       &regions_collections[2], &regions_collections[3]};
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		check_validate(&t, cs[i]->specs, cs[i]->nspecs);
		check_validate(&t, cs[i]->item_specs, cs[i]->nitem_specs);
	}
	check_validate(&t, resource_item_f_spec, 1);
	check_validate(&t, edge_specs, sizeof(edge_specs) / sizeof(edge_specs[0]));

	target_release(&t);
	free(raw);
	return 0;
}
