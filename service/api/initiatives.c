/* The initiatives collection: published cooperation initiatives as GeoJSON points. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codes.h"
#include "api/handlers.h"
#include "api/resource.h"
#include "lib/banned.h"

/* The filters of the initiatives, in this order wherever they are used (items, clusters). */
enum { F_REGION, F_ROUTE_KIND, F_NIVEAU, F_PROFIEL, F_LEERWEG, F_DOMEIN, F_BRIN, F_Q, F_START_YEAR, NFILTERS };
#define FILTER_SPECS                                                                                            \
	{"region", PT_LIST, 0, 0, NULL, query_is_region_code, "a CBS region code such as AM13, PV27, MC21 or GM0363", 0, 0}, \
	{"route_kind", PT_LIST, 0, 0, codes_route_kinds, NULL, "a route kind", 0, 0},                             \
	{"niveau", PT_LIST, 2, 4, NULL, NULL, "an mbo niveau from 2 to 4", 0, 1},                                  \
	{"profiel", PT_LIST, 0, 0, codes_profielen, NULL, "a vmbo profiel", 0, 0},                                 \
	{"leerweg", PT_LIST, 0, 0, codes_leerwegen, NULL, "a vmbo leerweg", 0, 0},                                 \
	{"opleidingsdomein", PT_LIST, 0, 0, codes_domeinen, NULL, "an mbo opleidingsdomein", 0, 0},                \
	{"brin", PT_LIST, 0, 0, NULL, query_is_brin, "a BRIN number such as 00AH", 0, 0},                          \
	{"q", PT_TEXT, 0, 0, NULL, NULL, NULL, 200, 0},                                                            \
	{"start_year", PT_LIST, 2000, 2100, NULL, NULL, "a school year from 2000 to 2100", 0, 1}

enum { P_FILTERS = 4, P_AFTER = P_FILTERS + NFILTERS, NPARAMS };

static const struct pspec specs[] = {
	ITEMS_COMMON_SPECS,
	FILTER_SPECS,
	/* keyset paging: the next link carries the last id of the page */
	{"after", PT_INT, 0, 9007199254740991.0, NULL, NULL, NULL, 0, 0},
};

/* The filter as the store takes it, from the values in FILTER_SPECS order (borrowed). */
static struct initiative_filter filter_of(const struct pvalue *bbox, const struct pvalue *f)
{
	return (struct initiative_filter){
		.bbox = resource_bbox(bbox),
		.region = resource_list(&f[F_REGION]),
		.route_kind = resource_list(&f[F_ROUTE_KIND]),
		.niveau = resource_list(&f[F_NIVEAU]),
		.profiel = resource_list(&f[F_PROFIEL]),
		.leerweg = resource_list(&f[F_LEERWEG]),
		.opleidingsdomein = resource_list(&f[F_DOMEIN]),
		.brin = resource_list(&f[F_BRIN]),
		.start_year = resource_list(&f[F_START_YEAR]),
		.q = f[F_Q].present ? f[F_Q].raw : NULL,
	};
}

static void items(struct request *r, const struct collection *c, struct pvalue *v)
{
	struct initiative_filter f = filter_of(&v[P_BBOX], &v[P_FILTERS]);
	struct page_window w = resource_window(v);
	w.keyset = v[P_AFTER].present;
	w.after = v[P_AFTER].present ? v[P_AFTER].i : 0;
	struct feature_page pg;
	struct db_error err;
	int rc = store_initiative_page(r->app->pool, &f, &w, &pg, &err);
	resource_send_page(r, c, v, rc, &err, &pg);
}

static void item(struct request *r, const struct collection *c, const char *id, struct pvalue *v)
{
	(void)v;
	/* Ids are positive whole numbers; anything else names no feature. */
	size_t n = strlen(id);
	int ok = n > 0 && n < 19 && id[0] != '0';
	for (size_t i = 0; ok && i < n; i++)
		ok = id[i] >= '0' && id[i] <= '9';
	struct feature_text f = {0};
	struct db_error err;
	int rc = ok ? store_initiative_feature(r->app->pool, id, &f, &err) : 0;
	resource_send_one(r, c, id, rc, &err, &f, "published initiative with id");
}

const struct collection initiatives_collection = {
	.id = "initiatives",
	.title = "Samenwerkingsinitiatieven vmbo-mbo",
	.description = "Published cooperation initiatives between vmbo schools, mbo institutions and "
		       "companies (doorlopende leerroutes, geintegreerde routes, leerlabs and other "
		       "cooperation), at their uitvoeringslocatie.",
	.specs = specs,
	.nspecs = NPARAMS,
	.items = items,
	.item_specs = resource_item_f_spec,
	.nitem_specs = 1,
	.item = item,
};

/* --- clusters: the initiatives grouped per cell of a zoom's grid, for maps without tiles --- */

enum { C_ZOOM, C_BBOX, C_F, C_FILTERS, NCLUSTER_PARAMS = C_FILTERS + NFILTERS };

static const struct pspec cluster_specs[] = {
	{"zoom", PT_INT, 0, 20, NULL, NULL, NULL, 0, 0},
	{"bbox", PT_BBOX, 0, 0, NULL, NULL, NULL, 0, 0},
	{"f", PT_ENUM, 0, 0, resource_item_formats, NULL, NULL, 0, 0},
	FILTER_SPECS,
};

void clusters_get(struct request *r)
{
	if (strcmp(r->target.seg[1], initiatives_collection.id) != 0) {
		char detail[160];
		snprintf(detail, sizeof(detail), "there are no clusters of a collection '%.60s'", r->target.seg[1]);
		http_problem(r, 404, "not-found", detail);
		return;
	}
	struct pvalue v[NCLUSTER_PARAMS];
	struct perrors errs;
	if (query_validate(&r->target, cluster_specs, NCLUSTER_PARAMS, v, &errs)) {
		http_problem_params(r, &errs);
		query_values_release(v, NCLUSTER_PARAMS);
		return;
	}
	if (!v[C_ZOOM].present) {
		http_problem_param(r, "zoom", "required", "zoom is required: the map's zoom level, 0 to 20");
		query_values_release(v, NCLUSTER_PARAMS);
		return;
	}
	if (http_negotiate(r, &v[C_F], resource_item_formats, resource_item_media) < 0) {
		query_values_release(v, NCLUSTER_PARAMS);
		return;
	}
	int zoom = (int)v[C_ZOOM].i;
	struct initiative_filter f = filter_of(&v[C_BBOX], &v[C_FILTERS]);
	struct cluster_set k;
	struct db_error err;
	int rc = store_initiative_clusters(r->app->pool, zoom, &f, &k, &err);
	query_values_release(v, NCLUSTER_PARAMS);
	if (rc < 0) {
		http_problem_db(r, &err);
		return;
	}
	if (k.unknown_regions) {
		resource_unknown_regions(r, k.unknown_regions);
		cluster_set_release(&k);
		return;
	}
	struct buf b;
	buf_init(&b, (size_t)256 << 20);
	char when[32];
	http_now_rfc3339(when, sizeof(when));
	rc = buf_printf(&b, "{\"type\":\"FeatureCollection\",\"zoom\":%d,\"numberMatched\":%lld,"
			    "\"numberReturned\":%lld,\"initiatives\":%lld,\"timeStamp\":\"",
			zoom, k.clusters, k.clusters, k.initiatives);
	size_t when_off = b.len;
	rc |= buf_printf(&b, "%s\",\"features\":[", when);
	rc |= buf_append(&b, k.features, k.features_len);
	rc |= buf_puts(&b, "]}");
	cluster_set_release(&k);
	resource_send_geojson(r, &b, rc, when_off, strlen(when));
}
