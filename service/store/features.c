#include "store/features.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "lib/banned.h"

void feature_page_release(struct feature_page *p)
{
	free(p->unknown_regions);
	free(p->features);
	memset(p, 0, sizeof(*p));
}

void cluster_set_release(struct cluster_set *s)
{
	free(s->unknown_regions);
	free(s->features);
	memset(s, 0, sizeof(*s));
}

/* The filter's values as parameters $1..$10: bbox, region, route_kind, niveau, profiel, leerweg,
 * opleidingsdomein, brin, q, start_year. arrays[] holds what the caller frees. */
enum { FILTER_PARAMS = 10 };
static int initiative_params(const struct initiative_filter *f, char bbox[128], char *arrays[8],
			     const char *params[FILTER_PARAMS])
{
	const struct db_list *lists[8] = {&f->region, &f->route_kind, &f->niveau, &f->profiel,
					  &f->leerweg, &f->opleidingsdomein, &f->brin, &f->start_year};
	int oom = 0;
	for (int k = 0; k < 8; k++)
		arrays[k] = db_array_literal(lists[k], &oom);
	params[0] = db_bbox_literal(f->bbox, bbox);
	for (int k = 0; k < 7; k++)
		params[1 + k] = arrays[k];
	params[8] = f->q;
	params[9] = arrays[7];
	return oom ? -1 : 0;
}

static void free_arrays(char *arrays[8])
{
	for (int k = 0; k < 8; k++)
		free(arrays[k]);
}

/* Runs a page statement whose one row has the columns unknown_regions, matched, returned and
 * features, and with keyset also estimated, more and last_id. */
static int run_page(struct db_pool *pool, const char *sql, int n, const char *const *params, int keyset,
		    struct feature_page *out, struct db_error *err)
{
	memset(out, 0, sizeof(*out));
	PGresult *res = db_run(pool, sql, n, params, DB_READ_RETRY, err);
	if (!res)
		return -1;
	int oom = 0;
	out->unknown_regions = db_copy(res, 0, "unknown_regions", NULL, &oom);
	out->matched = db_int(res, 0, "matched");
	out->returned = db_int(res, 0, "returned");
	out->features = db_copy(res, 0, "features", &out->features_len, &oom);
	if (keyset) {
		out->keyset = 1;
		out->estimated = db_bool(res, 0, "estimated");
		out->more = db_bool(res, 0, "more");
		out->last_id = db_int(res, 0, "last_id");
	}
	PQclear(res);
	if (oom) {
		feature_page_release(out);
		db_fail(err, "out of memory");
		return -1;
	}
	return 0;
}

/* Runs a statement whose row, when there is one, has the column feature; no row leaves *feature
 * NULL, which is not an error. */
static int run_feature(struct db_pool *pool, const char *sql, int n, const char *const *params, char **feature,
		       size_t *len, struct db_error *err)
{
	return db_run_text(pool, sql, n, params, DB_READ_RETRY, "feature", feature, len, err) < 0 ? -1 : 0;
}

/* --- initiatives --- */

/* api.initiative_items finds the page through the indexes (keyset after an id, or an offset),
 * counts the matches (estimating beyond a cap) and renders the page's features. */
static const char initiative_page_sql[] =
	"select unknown_regions, matched, returned, features, estimated, more, last_id"
	"  from api.initiative_items($1::float8[], $2::text[], $3::text[], $4::int[], $5::text[],"
	"                            $6::text[], $7::text[], $8::text[], $9::text, $10::int[],"
	"                            $11::bigint, $12::int, $13::int)";

int store_initiative_page(struct db_pool *pool, const struct initiative_filter *f, const struct page_window *w,
			  struct feature_page *out, struct db_error *err)
{
	char bbox[128], after[24], limit[24], offset[24];
	char *arrays[8];
	const char *params[FILTER_PARAMS + 3];
	int rc = initiative_params(f, bbox, arrays, params);
	snprintf(after, sizeof(after), "%lld", w->after);
	snprintf(limit, sizeof(limit), "%ld", w->limit);
	snprintf(offset, sizeof(offset), "%ld", w->offset);
	params[10] = w->keyset ? after : NULL;
	params[11] = limit;
	params[12] = offset;
	if (rc == 0)
		rc = run_page(pool, initiative_page_sql, FILTER_PARAMS + 3, params, 1, out, err);
	else
		db_fail(err, "out of memory");
	free_arrays(arrays);
	return rc;
}

static const char initiative_feature_sql[] = "select feature from api.initiative_item($1::bigint)";

int store_initiative_feature(struct db_pool *pool, const char *id, struct feature_text *out, struct db_error *err)
{
	const char *params[1] = {id};
	return run_feature(pool, initiative_feature_sql, 1, params, &out->text, &out->len, err);
}

static const char clusters_sql[] =
	"select unknown_regions, clusters, initiatives, features"
	"  from api.initiative_cluster_features($1::int, $2::float8[], $3::text[], $4::text[], $5::int[],"
	"                                       $6::text[], $7::text[], $8::text[], $9::text[], $10::text,"
	"                                       $11::int[])";

int store_initiative_clusters(struct db_pool *pool, int zoom, const struct initiative_filter *f,
			      struct cluster_set *out, struct db_error *err)
{
	memset(out, 0, sizeof(*out));
	char zs[16], bbox[128];
	char *arrays[8];
	const char *params[1 + FILTER_PARAMS];
	snprintf(zs, sizeof(zs), "%d", zoom);
	params[0] = zs;
	int rc = initiative_params(f, bbox, arrays, params + 1);
	PGresult *res = NULL;
	if (rc < 0)
		db_fail(err, "out of memory");
	else if (!(res = db_run(pool, clusters_sql, 1 + FILTER_PARAMS, params, DB_READ_RETRY, err)))
		rc = -1;
	free_arrays(arrays);
	if (rc < 0)
		return -1;
	int oom = 0;
	out->unknown_regions = db_copy(res, 0, "unknown_regions", NULL, &oom);
	out->clusters = db_int(res, 0, "clusters");
	out->initiatives = db_int(res, 0, "initiatives");
	out->features = db_copy(res, 0, "features", &out->features_len, &oom);
	PQclear(res);
	if (oom) {
		cluster_set_release(out);
		db_fail(err, "out of memory");
		return -1;
	}
	return 0;
}

/* --- schools --- */

static const char school_page_sql[] =
	"select unknown_regions, matched, returned, features"
	"  from api.school_items($1::float8[], $2::text[], $3::text[], $4::boolean, $5::text, $6::int, $7::int)";

int store_school_page(struct db_pool *pool, const struct school_filter *f, const struct page_window *w,
		      struct feature_page *out, struct db_error *err)
{
	char bbox[128], limit[24], offset[24];
	snprintf(limit, sizeof(limit), "%ld", w->limit);
	snprintf(offset, sizeof(offset), "%ld", w->offset);
	int oom = 0;
	char *region = db_array_literal(&f->region, &oom);
	char *brin = db_array_literal(&f->brin, &oom);
	const char *params[7] = {db_bbox_literal(f->bbox, bbox), region, brin, f->vmbo, f->q, limit, offset};
	int rc = -1;
	if (oom)
		db_fail(err, "out of memory");
	else
		rc = run_page(pool, school_page_sql, 7, params, 0, out, err);
	free(region);
	free(brin);
	return rc;
}

static const char school_feature_sql[] = "select feature from api.school_item($1::text)";

int store_school_feature(struct db_pool *pool, const char *vestigingscode, struct feature_text *out,
			 struct db_error *err)
{
	const char *params[1] = {vestigingscode};
	return run_feature(pool, school_feature_sql, 1, params, &out->text, &out->len, err);
}

/* --- regions --- */

static const char region_page_sql[] =
	"select unknown_regions, matched, returned, features"
	"  from api.region_items($1::text, $2::float8, $3::float8[], $4::int, $5::int)";

int store_region_page(struct db_pool *pool, const char *type, double simplify, const double *bbox,
		      const struct page_window *w, struct feature_page *out, struct db_error *err)
{
	char bb[128], limit[24], offset[24], simp[32];
	snprintf(limit, sizeof(limit), "%ld", w->limit);
	snprintf(offset, sizeof(offset), "%ld", w->offset);
	snprintf(simp, sizeof(simp), "%.9g", simplify);
	const char *params[5] = {type, simp, db_bbox_literal(bbox, bb), limit, offset};
	return run_page(pool, region_page_sql, 5, params, 0, out, err);
}

static const char region_feature_sql[] = "select feature from api.region_item($1::text, $2::text, $3::float8)";

int store_region_feature(struct db_pool *pool, const char *type, double simplify, const char *code,
			 struct feature_text *out, struct db_error *err)
{
	char simp[32];
	snprintf(simp, sizeof(simp), "%.9g", simplify);
	const char *params[3] = {type, code, simp};
	return run_feature(pool, region_feature_sql, 3, params, &out->text, &out->len, err);
}

/* --- collections --- */

/* Estimated from the planner's statistics, so that it costs the same at a thousand rows and at
 * millions; one round trip for every collection. */
static const char extents_sql[] = "select collection, xmin, ymin, xmax, ymax from api.collection_extents()";

int store_collection_extents(struct db_pool *pool, struct collection_extent *out, size_t max, size_t *n,
			     struct db_error *err)
{
	*n = 0;
	PGresult *res = db_run(pool, extents_sql, 0, NULL, DB_READ_RETRY, err);
	if (!res)
		return -1;
	static const char *const corners[4] = {"xmin", "ymin", "xmax", "ymax"};
	for (int i = 0; i < PQntuples(res) && *n < max; i++) {
		struct collection_extent *e = &out[(*n)++];
		const char *id = db_value(res, i, "collection");
		snprintf(e->collection, sizeof(e->collection), "%s", id ? id : "");
		e->known = db_value(res, i, "xmin") != NULL;
		for (int k = 0; k < 4; k++) {
			const char *v = db_value(res, i, corners[k]);
			e->bbox[k] = v ? strtod(v, NULL) : 0;
		}
	}
	PQclear(res);
	return 0;
}

int store_codelists(struct db_pool *pool, char **json, size_t *len, struct db_error *err)
{
	if (run_feature(pool, "select api.codelists_json()::text as feature", 0, NULL, json, len, err) < 0)
		return -1;
	if (!*json) {
		db_fail(err, "the code lists are missing");
		err->status = 503; /* the database is not as this version expects it: not migrated yet */
		return -1;
	}
	return 0;
}

int store_tile(struct db_pool *pool, const char *collection, int z, long x, long y, unsigned char **bytes,
	       size_t *len, struct db_error *err)
{
	*bytes = NULL;
	*len = 0;
	char zs[16], xs[24], ys[24];
	snprintf(zs, sizeof(zs), "%d", z);
	snprintf(xs, sizeof(xs), "%ld", x);
	snprintf(ys, sizeof(ys), "%ld", y);
	const char *params[4] = {collection, zs, xs, ys};
	PGresult *res = db_run(pool, "select api.tile($1, $2::int, $3::int, $4::int) as tile", 4, params,
			       DB_READ_RETRY, err);
	if (!res)
		return -1;
	const char *text = db_value(res, 0, "tile");
	size_t n = 0;
	unsigned char *raw = text ? PQunescapeBytea((const unsigned char *)text, &n) : NULL;
	PQclear(res);
	*bytes = raw ? malloc(n ? n : 1) : NULL;
	if (*bytes) {
		memcpy(*bytes, raw, n);
		*len = n;
	}
	if (raw)
		PQfreemem(raw);
	if (!*bytes) {
		db_fail(err, "the tile could not be rendered");
		return -1;
	}
	return 0;
}
