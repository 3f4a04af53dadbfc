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

/* The filter values as query parameters, in FILTER_SPECS order: PostgreSQL array literals (freed
 * by the caller from arrays[]) and the text of q. */
static void filter_params(const struct pvalue *f, char *arrays[NFILTERS], const char *out[NFILTERS])
{
	for (int k = 0; k < NFILTERS; k++) {
		arrays[k] = k == F_Q ? NULL : query_pg_array(&f[k]);
		out[k] = k == F_Q ? (f[k].present ? f[k].raw : NULL) : arrays[k];
	}
}

/* One round trip. api.initiative_page finds the page through the indexes (keyset after an id,
 * or an offset) and counts the matches, estimating beyond a cap; the features are rendered from
 * the public view for the ids of the page only. Columns: unknown region codes, number matched,
 * number returned, the features, whether the count is an estimate, whether more follow, the
 * last id. */
static const char items_sql[] =
	"select p.unknown_regions, p.matched, cardinality(p.ids),"
	"       (select coalesce(string_agg(json_build_object("
	"          'type', 'Feature', 'id', id,"
	"          'geometry', st_asgeojson(geom, 6)::json,"
	"          'properties', json_build_object("
	"            'id', id, 'name', name, 'route_kind', route_kind, 'leerwegen', leerwegen,"
	"            'profielen', profielen, 'niveaus', niveaus, 'opleidingsdomeinen', opleidingsdomeinen,"
	"            'crebo', crebo, 'start_year', start_year, 'place', place, 'website', website,"
	"            'mailbox', mailbox, 'region_codes', region_codes, 'published_at', published_at)"
	"        )::text, ',' order by id), '') from api.initiatives where id = any (p.ids)),"
	"       p.estimated, p.more, p.ids[cardinality(p.ids)]"
	"  from api.initiative_page($1::float8[], $2::text[], $3::text[], $4::int[], $5::text[],"
	"                           $6::text[], $7::text[], $8::text[], $9::text, $10::int[],"
	"                           $11::bigint, $12::int, $13::int) p";

static const char item_sql[] =
	"select json_build_object("
	"  'type', 'Feature', 'id', id,"
	"  'geometry', st_asgeojson(geom, 6)::json,"
	"  'properties', json_build_object("
	"    'id', id, 'name', name, 'route_kind', route_kind, 'leerwegen', leerwegen,"
	"    'profielen', profielen, 'niveaus', niveaus, 'opleidingsdomeinen', opleidingsdomeinen,"
	"    'crebo', crebo, 'start_year', start_year, 'description', description, 'place', place,"
	"    'website', website, 'mailbox', mailbox, 'region_codes', region_codes,"
	"    'parties', parties, 'conditions', conditions, 'regions', regions, 'contacts', contacts,"
	"    'published_at', published_at, 'updated_at', updated_at))::text"
	"  from api.initiatives where id = $1::bigint";

static void items(struct request *r, const struct collection *c, struct pvalue *v)
{
	char bbox[128], limit[24], offset[24], after[24];
	snprintf(limit, sizeof(limit), "%ld", v[P_LIMIT].present ? v[P_LIMIT].i : 100L);
	snprintf(offset, sizeof(offset), "%ld", v[P_OFFSET].present ? v[P_OFFSET].i : 0L);
	snprintf(after, sizeof(after), "%ld", v[P_AFTER].present ? v[P_AFTER].i : 0L);
	char *arrays[NFILTERS];
	const char *params[13];
	params[0] = resource_bbox_param(&v[P_BBOX], bbox);
	filter_params(&v[P_FILTERS], arrays, params + 1);
	params[10] = v[P_AFTER].present ? after : NULL;
	params[11] = limit;
	params[12] = offset;
	PGresult *res = resource_query(r, items_sql, 13, params);
	for (int k = 0; k < NFILTERS; k++)
		free(arrays[k]);
	if (res)
		resource_send_page(r, c, v, res);
}

static void item(struct request *r, const struct collection *c, const char *id, struct pvalue *v)
{
	(void)v;
	/* Ids are positive whole numbers; anything else names no feature. */
	size_t n = strlen(id);
	int ok = n > 0 && n < 19 && id[0] != '0';
	for (size_t i = 0; ok && i < n; i++)
		ok = id[i] >= '0' && id[i] <= '9';
	const char *params[1] = {id};
	resource_send_one(r, c, id, ok, item_sql, params, 1, "published initiative with id");
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

/* Columns: unknown region codes, clusters, initiatives in them, the Feature objects. */
static const char clusters_sql[] =
	"with k as ("
	"  select * from api.initiative_clusters($1::int, $2::float8[], $3::text[], $4::text[],"
	"                                        $7::text[], $6::text[], $5::int[], $8::text[],"
	"                                        $9::text[], $10::text, $11::int[]))"
	"select (select string_agg(c, ',' order by c) from unnest($3::text[]) c"
	"         where not exists (select 1 from api.regions r where r.code = c)),"
	"       (select count(*) from k), (select coalesce(sum(count), 0) from k),"
	"       (select coalesce(string_agg(json_build_object("
	"          'type', 'Feature',"
	"          'geometry', json_build_object('type', 'Point',"
	"                                        'coordinates', json_build_array(round(lon::numeric, 6), round(lat::numeric, 6))),"
	"          'properties', json_strip_nulls(json_build_object("
	"            'count', count, 'route_kind_counts', route_kind_counts, 'id', id)))::text,"
	"          ',' order by count desc, lon, lat), '') from k)";

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
	char zoom[8], bbox[128];
	snprintf(zoom, sizeof(zoom), "%ld", v[C_ZOOM].i);
	char *arrays[NFILTERS];
	const char *params[11];
	params[0] = zoom;
	params[1] = resource_bbox_param(&v[C_BBOX], bbox);
	filter_params(&v[C_FILTERS], arrays, params + 2);
	PGresult *res = resource_query(r, clusters_sql, 11, params);
	for (int k = 0; k < NFILTERS; k++)
		free(arrays[k]);
	query_values_release(v, NCLUSTER_PARAMS);
	if (!res)
		return;
	if (!PQgetisnull(res, 0, 0)) {
		resource_unknown_regions(r, PQgetvalue(res, 0, 0));
		PQclear(res);
		return;
	}
	struct buf b;
	buf_init(&b, (size_t)256 << 20);
	char when[32];
	http_now_rfc3339(when, sizeof(when));
	int rc = buf_printf(&b, "{\"type\":\"FeatureCollection\",\"zoom\":%s,\"numberMatched\":%s,"
			     "\"numberReturned\":%s,\"initiatives\":%s,\"timeStamp\":\"",
			 zoom, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	size_t when_off = b.len;
	rc |= buf_printf(&b, "%s\",\"features\":[", when);
	rc |= buf_append(&b, PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3));
	rc |= buf_puts(&b, "]}");
	PQclear(res);
	resource_send_geojson(r, &b, rc, when_off, strlen(when));
}
