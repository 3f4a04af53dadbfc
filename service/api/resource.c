#include "api/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/banned.h"

const char *const resource_item_formats[] = {"json", "geojson", NULL};
const char *const resource_json_formats[] = {"json", NULL};
const struct pspec resource_item_f_spec[1] = {
	{"f", PT_ENUM, 0, 0, resource_item_formats, NULL, NULL, 0, 0},
};
const char *const resource_item_media[] = {MEDIA_GEOJSON, MEDIA_JSON, NULL};
const char *const resource_json_media[] = {MEDIA_JSON, NULL};

#define BODY_LIMIT ((size_t)512 << 20)

PGresult *resource_query(struct request *r, const char *sql, int n, const char *const *params)
{
	return resource_query_on(r, r->app->pool, sql, n, params);
}

PGresult *resource_exec(struct db_pool *pool, const char *sql, int n, const char *const *params,
			struct db_error *err, int may_retry)
{
	return db_run(pool, sql, n, params, may_retry ? DB_READ_RETRY : DB_ONCE, err);
}

PGresult *resource_query_on(struct request *r, struct db_pool *pool, const char *sql, int n,
			    const char *const *params)
{
	struct db_error err;
	PGresult *res = resource_exec(pool, sql, n, params, &err, pool == r->app->pool);
	if (!res)
		http_problem_db(r, &err);
	return res;
}

const char *resource_bbox_param(const struct pvalue *bbox, char *dst)
{
	if (!bbox->present)
		return NULL;
	snprintf(dst, 128, "{%.9g,%.9g,%.9g,%.9g}", bbox->bbox[0], bbox->bbox[1], bbox->bbox[2],
		 bbox->bbox[3]);
	return dst;
}

static int add_link(struct buf *b, int *first, const char *base, const char *path, const char *query,
		    const char *rel, const char *type, const char *title)
{
	int rc = buf_puts(b, *first ? "" : ",");
	*first = 0;
	rc |= buf_puts(b, "{\"href\":");
	struct buf href;
	buf_init(&href, 16384);
	rc |= buf_printf(&href, "%s%s%s%s", base, path, query && *query ? "?" : "", query ? query : "");
	rc |= buf_json_string(b, href.data ? href.data : "");
	buf_release(&href);
	rc |= buf_printf(b, ",\"rel\":\"%s\",\"type\":\"%s\"", rel, type);
	if (title) {
		rc |= buf_puts(b, ",\"title\":");
		rc |= buf_json_string(b, title);
	}
	rc |= buf_puts(b, "}");
	return rc;
}

/* What the query said about the page besides its features. */
struct page {
	long matched, returned;
	int estimated;      /* matched is an estimate */
	int keyset;         /* more and last_id are known: the next link continues after last_id */
	int more;
	char last_id[24];
};

static void send_features(struct request *r, const struct collection *c, const struct pvalue *vals,
			  const struct page *pg, const char *features, size_t features_len)
{
	long matched = pg->matched, returned = pg->returned;
	long limit = vals[P_LIMIT].present ? vals[P_LIMIT].i : 100;
	long offset = vals[P_OFFSET].present ? vals[P_OFFSET].i : 0;
	char path[160], when[32];
	snprintf(path, sizeof(path), "/collections/%s/items", c->id);
	http_now_rfc3339(when, sizeof(when));

	struct buf b, q;
	buf_init(&b, BODY_LIMIT);
	buf_init(&q, 16384);
	int rc = 0, first = 1;
	rc |= buf_printf(&b, "{\"type\":\"FeatureCollection\",\"numberMatched\":%ld,%s\"numberReturned\":%ld,"
			     "\"timeStamp\":\"",
			 matched, pg->estimated ? "\"numberMatchedIsEstimate\":true," : "", returned);
	size_t when_off = b.len;
	rc |= buf_printf(&b, "%s\",\"links\":[", when);

	/* self keeps the parameters as given; next/prev replace only the offset. */
	rc |= query_build(&q, c->specs, vals, c->nspecs, NULL, NULL, 0);
	rc |= add_link(&b, &first, r->base_url, path, q.data, "self", MEDIA_GEOJSON, "this page");
	if (pg->keyset && pg->more) {
		/* continue after the last id: the next page does not count its way past this one */
		const char *names[] = {"offset", "after"};
		const char *values[] = {NULL, pg->last_id};
		buf_release(&q);
		rc |= query_build(&q, c->specs, vals, c->nspecs, names, values, 2);
		rc |= add_link(&b, &first, r->base_url, path, q.data, "next", MEDIA_GEOJSON, "next page");
	} else if (!pg->keyset && offset + returned < matched) {
		char next[24];
		snprintf(next, sizeof(next), "%ld", offset + returned);
		const char *names[] = {"offset"};
		const char *values[] = {next};
		buf_release(&q);
		rc |= query_build(&q, c->specs, vals, c->nspecs, names, values, 1);
		rc |= add_link(&b, &first, r->base_url, path, q.data, "next", MEDIA_GEOJSON, "next page");
	}
	if (offset > 0) {
		char prev[24];
		snprintf(prev, sizeof(prev), "%ld", offset > limit ? offset - limit : 0);
		const char *names[] = {"offset"};
		const char *values[] = {strcmp(prev, "0") == 0 ? NULL : prev};
		buf_release(&q);
		rc |= query_build(&q, c->specs, vals, c->nspecs, names, values, 1);
		rc |= add_link(&b, &first, r->base_url, path, q.data, "prev", MEDIA_GEOJSON, "previous page");
	}
	snprintf(path, sizeof(path), "/collections/%s", c->id);
	rc |= add_link(&b, &first, r->base_url, path, NULL, "collection", MEDIA_JSON, c->title);
	rc |= buf_puts(&b, "],\"features\":[");
	rc |= buf_append(&b, features, features_len);
	rc |= buf_puts(&b, "]}");
	buf_release(&q);
	resource_send_geojson(r, &b, rc, when_off, strlen(when));
}

void resource_send_geojson(struct request *r, struct buf *b, int rc, size_t when_off, size_t when_len)
{
	if (rc) {
		buf_release(b);
		http_problem(r, 500, "internal-error", "the response could not be built");
		return;
	}
	size_t len;
	char *body = buf_detach(b, &len);
	http_ok(r, MEDIA_GEOJSON, body, len);
	http_etag_ignore(r, when_off, when_len);
}

void resource_unknown_regions(struct request *r, const char *codes)
{
	char message[200];
	snprintf(message, sizeof(message), "no region has the code %.120s", codes);
	http_problem_param(r, "region", "unknown_region", message);
}

static void send_feature(struct request *r, const struct collection *c, const char *id,
			 const char *feature, size_t len)
{
	/* The database renders {"type":"Feature",...}; the links go in before its final brace. */
	if (len < 2 || feature[len - 1] != '}') {
		http_problem(r, 500, "internal-error", "the feature could not be rendered");
		return;
	}
	struct buf b, path;
	buf_init(&b, BODY_LIMIT);
	buf_init(&path, 4096);
	int rc = buf_append(&b, feature, len - 1);
	int first = 1;
	rc |= buf_puts(&b, ",\"links\":[");
	rc |= buf_printf(&path, "/collections/%s/items/", c->id);
	for (const char *p = id; *p; p++) /* ids are codes or numbers; encode anything else */
		rc |= (strchr("\"\\/?#%", *p) || (unsigned char)*p < 0x21) ? buf_printf(&path, "%%%02X", (unsigned char)*p)
							       : buf_append(&path, p, 1);
	rc |= add_link(&b, &first, r->base_url, path.data, NULL, "self", MEDIA_GEOJSON, "this feature");
	buf_release(&path);
	rc |= buf_printf(&path, "/collections/%s", c->id);
	rc |= add_link(&b, &first, r->base_url, path.data, NULL, "collection", MEDIA_JSON, c->title);
	rc |= buf_puts(&b, "]}");
	buf_release(&path);
	if (rc) {
		buf_release(&b);
		http_problem(r, 500, "internal-error", "the response could not be built");
		return;
	}
	size_t blen;
	char *body = buf_detach(&b, &blen);
	http_ok(r, MEDIA_GEOJSON, body, blen);
}

void resource_send_page(struct request *r, const struct collection *c, const struct pvalue *vals,
			PGresult *res)
{
	if (!PQgetisnull(res, 0, 0)) {
		resource_unknown_regions(r, PQgetvalue(res, 0, 0));
	} else {
		struct page pg = {
			.matched = strtol(PQgetvalue(res, 0, 1), NULL, 10),
			.returned = strtol(PQgetvalue(res, 0, 2), NULL, 10),
		};
		if (PQnfields(res) >= 7) {
			pg.estimated = PQgetvalue(res, 0, 4)[0] == 't';
			pg.keyset = 1;
			pg.more = PQgetvalue(res, 0, 5)[0] == 't';
			snprintf(pg.last_id, sizeof(pg.last_id), "%s", PQgetvalue(res, 0, 6));
		}
		send_features(r, c, vals, &pg, PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3));
	}
	PQclear(res);
}

void resource_send_one(struct request *r, const struct collection *c, const char *id, int valid,
		       const char *sql, const char *const *params, int nparams, const char *what)
{
	PGresult *res = NULL;
	if (valid) {
		res = resource_query(r, sql, nparams, params);
		if (!res)
			return;
	}
	if (!res || PQntuples(res) == 0) {
		char detail[160];
		snprintf(detail, sizeof(detail), "there is no %s '%.40s'", what, id);
		http_problem(r, 404, "not-found", detail);
	} else {
		send_feature(r, c, id, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	}
	PQclear(res);
}

/* Parameters of resources that take none but the format. */
static const struct pspec json_only_specs[] = {
	{"f", PT_ENUM, 0, 0, resource_json_formats, NULL, NULL, 0, 0},
};

int resource_json_only(struct request *r)
{
	struct pvalue v[1];
	struct perrors errs;
	if (query_validate(&r->target, json_only_specs, 1, v, &errs)) {
		http_problem_params(r, &errs);
		return -1;
	}
	return http_negotiate(r, &v[0], resource_json_formats, resource_json_media) < 0 ? -1 : 0;
}
