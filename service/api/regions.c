/* The region collections: CBS divisions with the number of published initiatives in each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/resource.h"
#include "lib/banned.h"

enum { P_SIMPLIFY = 4, NPARAMS };

static const struct pspec specs[] = {
	ITEMS_COMMON_SPECS,
	{"simplify", PT_NUMBER, 0, 0.1, NULL, NULL, NULL, 0, 0},
};

/* Snapping to a grid keeps borders that two regions share identical in both, unlike a
 * per-polygon simplification, so a national map shows no slivers or gaps. */
#define REGION_FEATURE                                                                             \
	"json_build_object('type', 'Feature', 'id', code,"                                         \
	"  'geometry', st_asgeojson(case when $2::float8 > 0 then st_snaptogrid(geom, $2::float8)" \
	"                                else geom end, 6)::json,"                                   \
	"  'properties', json_build_object('type', type, 'code', code, 'year', year, 'name', name," \
	"                                  'initiative_count', initiative_count))::text"

static const char items_sql[] =
	"with m as ("
	"  select * from api.regions g"
	"   where g.type = $1::text"
	"     and g.year = (select max(year) from api.regions where type = $1::text)"
	"     and ($3::float8[] is null or g.geom && st_makeenvelope($3[1], $3[2], $3[3], $3[4], 4326))"
	"), page as ("
	"  select * from m order by code limit $4::int offset $5::int"
	")"
	"select null::text, (select count(*) from m), (select count(*) from page),"
	"       (select coalesce(string_agg(" REGION_FEATURE ", ',' order by code), '') from page)";

static const char item_sql[] =
	"select " REGION_FEATURE " from api.regions"
	" where type = $1::text and code = $3::text"
	" order by year desc limit 1";

static void items(struct request *r, const struct collection *c, struct pvalue *v)
{
	char bbox[128], limit[24], offset[24], simplify[32];
	snprintf(limit, sizeof(limit), "%ld", v[P_LIMIT].present ? v[P_LIMIT].i : 100L);
	snprintf(offset, sizeof(offset), "%ld", v[P_OFFSET].present ? v[P_OFFSET].i : 0L);
	snprintf(simplify, sizeof(simplify), "%.9g", v[P_SIMPLIFY].present ? v[P_SIMPLIFY].num : 0.0);
	const char *params[5] = {c->region_type, simplify, resource_bbox_param(&v[P_BBOX], bbox), limit, offset};
	PGresult *res = resource_query(r, items_sql, 5, params);
	if (res)
		resource_send_page(r, c, v, res);
}

static const struct pspec item_specs[] = {
	{"f", PT_ENUM, 0, 0, resource_item_formats, NULL, NULL, 0, 0},
	{"simplify", PT_NUMBER, 0, 0.1, NULL, NULL, NULL, 0, 0},
};

static void item(struct request *r, const struct collection *c, const char *id, struct pvalue *v)
{
	char simplify[32], what[64];
	snprintf(simplify, sizeof(simplify), "%.9g", v[1].present ? v[1].num : 0.0);
	snprintf(what, sizeof(what), "%s with code", c->region_type);
	const char *params[3] = {c->region_type, simplify, id};
	resource_send_one(r, c, id, query_is_region_code(id), item_sql, params, 3, what);
}

#define REGION_COLLECTION(type_, title_, what_)                                                    \
	{                                                                                          \
		.id = "regions-" type_, .title = title_,                                           \
		.description = what_ " (CBS 2025), with the number of published initiatives in "   \
				     "each. Source: CBS, PDOK (CC BY 4.0).",                       \
		.region_type = type_, .specs = specs, .nspecs = NPARAMS, .items = items,           \
		.item_specs = item_specs, .nitem_specs = 2, .item = item,                          \
	}

const struct collection regions_collections[4] = {
	REGION_COLLECTION("provincie", "Provincies", "The 12 provinces"),
	REGION_COLLECTION("arbeidsmarktregio", "Arbeidsmarktregio's", "The 35 labour market regions"),
	REGION_COLLECTION("rmc", "RMC-regio's", "The 40 RMC regions (regionale meld- en coordinatiepunten)"),
	REGION_COLLECTION("gemeente", "Gemeenten", "The 342 municipalities"),
};
