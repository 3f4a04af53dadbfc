#include "http/query.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/utf8.h"
#include "lib/banned.h"

char *query_decode(const char *s, size_t len, int plus_is_space)
{
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= len || (h = crypto_hex_digit((unsigned char)s[i + 1])) < 0 ||
			    (l = crypto_hex_digit((unsigned char)s[i + 2])) < 0)
				goto out_bad;
			c = (char)(h * 16 + l);
			i += 2;
			if (c == '\0')
				goto out_bad;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '\0') {
			goto out_bad;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
out_bad:
	free(out);
	return NULL;
}

void target_release(struct target *t)
{
	free(t->path);
	for (size_t i = 0; i < t->nseg; i++)
		free(t->seg[i]);
	for (size_t i = 0; i < t->nparams; i++) {
		free(t->params[i].key);
		free(t->params[i].value);
	}
	memset(t, 0, sizeof(*t));
}

static enum target_status parse_path(struct target *t, const char *p, size_t len)
{
	t->path = malloc(len + 1);
	if (!t->path)
		return TARGET_BAD;
	memcpy(t->path, p, len);
	t->path[len] = '\0';
	/* "/" has no segments; "/a/b" has two; a trailing slash adds none ("/a/" = "/a"). */
	size_t i = 1;
	while (i < len) {
		size_t j = i;
		while (j < len && p[j] != '/')
			j++;
		if (j == i && j < len)
			return TARGET_BAD; /* empty segment: "//" */
		if (j > i) {
			if (t->nseg == QUERY_MAX_SEGMENTS)
				return TARGET_TOO_MANY;
			char *seg = query_decode(p + i, j - i, 0);
			if (!seg)
				return TARGET_BAD;
			t->seg[t->nseg++] = seg;
		}
		i = j + 1;
	}
	return TARGET_OK;
}

static enum target_status parse_query(struct target *t, const char *q)
{
	while (*q) {
		const char *end = strchr(q, '&');
		size_t len = end ? (size_t)(end - q) : strlen(q);
		if (len > 0) {
			if (t->nparams == QUERY_MAX_PARAMS)
				return TARGET_TOO_MANY;
			const char *eq = memchr(q, '=', len);
			size_t klen = eq ? (size_t)(eq - q) : len;
			struct qparam *p = &t->params[t->nparams];
			p->key = query_decode(q, klen, 1);
			p->value = eq ? query_decode(eq + 1, len - klen - 1, 1) : query_decode("", 0, 1);
			t->nparams++;
			if (!p->key || !p->value)
				return TARGET_BAD;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	return TARGET_OK;
}

enum target_status target_parse(struct target *t, const char *raw)
{
	memset(t, 0, sizeof(*t));
	if (!raw || raw[0] != '/')
		return TARGET_BAD;
	const char *hash = strchr(raw, '#');
	const char *qm = strchr(raw, '?');
	if (hash && (!qm || hash < qm))
		qm = NULL;
	size_t plen = qm ? (size_t)(qm - raw) : hash ? (size_t)(hash - raw) : strlen(raw);
	enum target_status st = parse_path(t, raw, plen);
	if (st == TARGET_OK && qm) {
		size_t qlen = hash ? (size_t)(hash - qm - 1) : strlen(qm + 1);
		char *q = malloc(qlen + 1);
		if (!q) {
			st = TARGET_BAD;
		} else {
			memcpy(q, qm + 1, qlen);
			q[qlen] = '\0';
			st = parse_query(t, q);
			free(q);
		}
	}
	if (st != TARGET_OK)
		target_release(t);
	return st;
}

/* --- validation --- */

static void add_error(struct perrors *errs, const char *parameter, const char *code, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

static void add_error(struct perrors *errs, const char *parameter, const char *code, const char *fmt, ...)
{
	if (errs->n == QUERY_MAX_ERRORS)
		return;
	struct perror *e = &errs->v[errs->n++];
	snprintf(e->parameter, sizeof(e->parameter), "%.*s", utf8_cut(parameter, sizeof(e->parameter) - 1),
		 parameter);
	e->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Plain decimal numbers only: no hex, inf, nan or surrounding space. */
static int parse_number(const char *s, double *out)
{
	if (!*s || strlen(s) > 40)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr(".-+eE", *p))
			return -1;
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	if (errno || *end || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

static int parse_long(const char *s, long *out)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (!*p || strlen(p) > 18)
		return -1;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	*out = strtol(s, NULL, 10);
	return 0;
}

static int in_list(const char *const *allowed, const char *s)
{
	for (; *allowed; allowed++)
		if (strcmp(*allowed, s) == 0)
			return 1;
	return 0;
}

static void list_allowed(char *dst, size_t n, const char *const *allowed)
{
	size_t used = 0;
	dst[0] = '\0';
	for (; *allowed && used < n; allowed++) {
		int w = snprintf(dst + used, n - used, "%s%s", used ? ", " : "", *allowed);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void check_bbox(const struct pspec *s, struct pvalue *v, struct perrors *errs)
{
	double n[6];
	size_t cnt = 0;
	const char *p = v->raw;
	char item[48];
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (cnt == 6 || len >= sizeof(item))
			goto out_bad;
		memcpy(item, p, len);
		item[len] = '\0';
		if (parse_number(item, &n[cnt]) < 0)
			goto out_bad;
		cnt++;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (cnt != 4 && cnt != 6)
		goto out_bad;
	/* With six numbers the third and sixth are heights, which a 2D collection ignores. */
	double minx = n[0], miny = n[1], maxx = n[cnt == 4 ? 2 : 3], maxy = n[cnt == 4 ? 3 : 4];
	if (minx < -180 || maxx > 180 || miny < -90 || maxy > 90) {
		add_error(errs, s->name, "out_of_range",
			  "bbox coordinates are longitude -180..180 and latitude -90..90 (CRS84)");
		return;
	}
	if (minx > maxx || miny > maxy) {
		add_error(errs, s->name, "invalid_bbox",
			  "bbox is minLon,minLat,maxLon,maxLat: the minimum must not exceed the maximum");
		return;
	}
	v->bbox[0] = minx;
	v->bbox[1] = miny;
	v->bbox[2] = maxx;
	v->bbox[3] = maxy;
	return;
out_bad:
	add_error(errs, s->name, "invalid_bbox",
		  "bbox must be 4 (or 6) comma-separated numbers: minLon,minLat,maxLon,maxLat");
}

static void check_list(const struct pspec *s, struct pvalue *v, struct perrors *errs)
{
	const char *p = v->raw;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (v->nitems == QUERY_MAX_LIST) {
			add_error(errs, s->name, "too_many_values", "at most %d values, comma-separated",
				  QUERY_MAX_LIST);
			return;
		}
		char *item = malloc(len + 1);
		if (!item)
			return;
		memcpy(item, p, len);
		item[len] = '\0';
		v->items[v->nitems++] = item;
		int ok;
		if (s->is_int) {
			long l;
			ok = parse_long(item, &l) == 0 && l >= s->min && l <= s->max;
		} else {
			ok = (s->allowed && in_list(s->allowed, item)) || (s->check && s->check(item));
		}
		if (!ok) {
			char allowed[150] = "";
			if (s->allowed)
				list_allowed(allowed, sizeof(allowed), s->allowed);
			add_error(errs, s->name, "invalid_value", "'%.*s' is not %s%s%s", utf8_cut(item, 40), item,
				  s->what, s->allowed ? ": one of " : "", allowed);
			return;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
}

static void check_one(const struct pspec *s, struct pvalue *v, struct perrors *errs)
{
	const char *raw = v->raw;
	if (!*raw) {
		add_error(errs, s->name, "empty", "%s needs a value", s->name);
		return;
	}
	switch (s->type) {
	case PT_INT:
		if (parse_long(raw, &v->i) < 0)
			add_error(errs, s->name, "not_an_integer", "%s must be a whole number", s->name);
		else if (v->i < s->min || v->i > s->max)
			add_error(errs, s->name, "out_of_range", "%s must be from %.0f to %.0f", s->name,
				  s->min, s->max);
		break;
	case PT_NUMBER:
		if (parse_number(raw, &v->num) < 0)
			add_error(errs, s->name, "not_a_number", "%s must be a number", s->name);
		else if (v->num < s->min || v->num > s->max)
			add_error(errs, s->name, "out_of_range", "%s must be from %g to %g", s->name,
				  s->min, s->max);
		break;
	case PT_BBOX:
		check_bbox(s, v, errs);
		break;
	case PT_LIST:
		check_list(s, v, errs);
		break;
	case PT_TEXT:
		/* the database takes text in UTF-8 only: anything else would fail there, as a 500 */
		if (strlen(raw) > s->max_len)
			add_error(errs, s->name, "too_long", "%s is at most %zu bytes", s->name, s->max_len);
		else if (!utf8_valid(raw))
			add_error(errs, s->name, "invalid_value", "%s must be UTF-8 text", s->name);
		break;
	case PT_ENUM:
		if (!in_list(s->allowed, raw)) {
			char allowed[150];
			list_allowed(allowed, sizeof(allowed), s->allowed);
			add_error(errs, s->name, "invalid_value", "%s must be one of %s", s->name, allowed);
		}
		break;
	}
}

size_t query_validate(const struct target *t, const struct pspec *specs, size_t nspecs,
		      struct pvalue *out, struct perrors *errs)
{
	memset(out, 0, nspecs * sizeof(*out));
	errs->n = 0;
	for (size_t i = 0; i < t->nparams; i++) {
		const struct qparam *p = &t->params[i];
		size_t k = 0;
		while (k < nspecs && strcmp(specs[k].name, p->key) != 0)
			k++;
		if (k == nspecs) {
			add_error(errs, p->key, "unknown_parameter",
				  "unknown parameter '%.*s' for this resource", utf8_cut(p->key, 60), p->key);
			continue;
		}
		if (out[k].present) {
			add_error(errs, specs[k].name, "duplicate_parameter",
				  "%s is given more than once; give several values comma-separated",
				  specs[k].name);
			continue;
		}
		out[k].present = 1;
		out[k].raw = p->value;
	}
	for (size_t k = 0; k < nspecs; k++)
		if (out[k].present)
			check_one(&specs[k], &out[k], errs);
	return errs->n;
}

void query_values_release(struct pvalue *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < v[k].nitems; i++)
			free(v[k].items[i]);
		v[k].nitems = 0;
	}
}

static int encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~,:", *p)) {
			if (buf_append(b, p, 1) < 0)
				return -1;
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			if (buf_append(b, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}

int query_build(struct buf *b, const struct pspec *specs, const struct pvalue *vals, size_t n,
		const char *const *override_names, const char *const *override_values, size_t noverride)
{
	int first = 1;
	for (size_t k = 0; k < n; k++) {
		const char *value = vals[k].present ? vals[k].raw : NULL;
		for (size_t o = 0; o < noverride; o++)
			if (strcmp(override_names[o], specs[k].name) == 0)
				value = override_values[o];
		if (!value)
			continue;
		if (buf_puts(b, first ? "" : "&") < 0 || encode(b, specs[k].name) < 0 ||
		    buf_puts(b, "=") < 0 || encode(b, value) < 0)
			return -1;
		first = 0;
	}
	return 0;
}

int query_is_region_code(const char *s)
{
	size_t n = strlen(s);
	int digits = (n == 4 && (strncmp(s, "PV", 2) == 0 || strncmp(s, "AM", 2) == 0 ||
				 strncmp(s, "MC", 2) == 0)) ||
		     (n == 6 && strncmp(s, "GM", 2) == 0);
	if (!digits)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int query_is_brin(const char *s)
{
	return strlen(s) == 4 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	       isupper((unsigned char)s[2]) && isupper((unsigned char)s[3]);
}
