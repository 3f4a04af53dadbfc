/* The initiatives collection: published cooperation initiatives as GeoJSON points. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "resource.h"
#include "banned.h"

enum { P_REGION = 4, P_ROUTE_KIND, P_NIVEAU, P_PROFIEL, P_LEERWEG, P_DOMEIN, P_BRIN, P_Q, P_START_YEAR, NPARAMS };

static const struct pspec specs[] = {
	ITEMS_COMMON_SPECS,
	{"region", PT_LIST, 0, 0, NULL, query_is_region_code, "a CBS region code such as AM13, PV27, MC21 or GM0363", 0, 0},
	{"route_kind", PT_LIST, 0, 0, codes_route_kinds, NULL, "a route kind", 0, 0},
	{"niveau", PT_LIST, 2, 4, NULL, NULL, "an mbo niveau from 2 to 4", 0, 1},
	{"profiel", PT_LIST, 0, 0, codes_profielen, NULL, "a vmbo profiel", 0, 0},
	{"leerweg", PT_LIST, 0, 0, codes_leerwegen, NULL, "a vmbo leerweg", 0, 0},
	{"opleidingsdomein", PT_LIST, 0, 0, codes_domeinen, NULL, "an mbo opleidingsdomein", 0, 0},
	{"brin", PT_LIST, 0, 0, NULL, query_is_brin, "a BRIN number such as 00AH", 0, 0},
	{"q", PT_TEXT, 0, 0, NULL, NULL, NULL, 200, 0},
	{"start_year", PT_LIST, 2000, 2100, NULL, NULL, "a school year from 2000 to 2100", 0, 1},
};

/* One round trip: the codes among $2 that name no region, the number matched, the page. */
static const char items_sql[] =
	"with m as ("
	"  select i.* from api.initiatives i"
	"   where ($1::float8[] is null or i.geom && st_makeenvelope($1[1], $1[2], $1[3], $1[4], 4326))"
	"     and ($2::text[] is null or i.region_codes && $2::text[])"
	"     and ($3::text[] is null or i.route_kind = any($3::text[]))"
	"     and ($4::int[] is null or i.niveaus && $4::int[])"
	"     and ($5::text[] is null or i.profielen && $5::text[])"
	"     and ($6::text[] is null or i.leerwegen && $6::text[])"
	"     and ($7::text[] is null or i.opleidingsdomeinen && $7::text[])"
	"     and ($8::text[] is null or i.brins && $8::text[])"
	"     and ($9::text is null or i.search @@ websearch_to_tsquery('dutch', $9::text))"
	"     and ($10::int[] is null or i.start_year = any($10::int[]))"
	"), page as ("
	"  select * from m order by id limit $11::int offset $12::int"
	")"
	"select (select string_agg(c, ',') from unnest($2::text[]) c"
	"         where not exists (select 1 from api.regions r where r.code = c)),"
	"       (select count(*) from m),"
	"       (select count(*) from page),"
	"       (select coalesce(string_agg(json_build_object("
	"          'type', 'Feature', 'id', id,"
	"          'geometry', st_asgeojson(geom, 6)::json,"
	"          'properties', json_build_object("
	"            'id', id, 'name', name, 'route_kind', route_kind, 'leerwegen', leerwegen,"
	"            'profielen', profielen, 'niveaus', niveaus, 'opleidingsdomeinen', opleidingsdomeinen,"
	"            'crebo', crebo, 'start_year', start_year, 'place', place, 'website', website,"
	"            'mailbox', mailbox, 'region_codes', region_codes, 'published_at', published_at)"
	"        )::text, ',' order by id), '') from page)";

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
	char bbox[128], limit[24], offset[24];
	snprintf(limit, sizeof(limit), "%ld", v[P_LIMIT].present ? v[P_LIMIT].i : 100L);
	snprintf(offset, sizeof(offset), "%ld", v[P_OFFSET].present ? v[P_OFFSET].i : 0L);
	char *arrays[NPARAMS] = {0};
	for (int k = P_REGION; k < NPARAMS; k++)
		if (k != P_Q)
			arrays[k] = query_pg_array(&v[k]);
	const char *params[12] = {
		resource_bbox_param(&v[P_BBOX], bbox), arrays[P_REGION], arrays[P_ROUTE_KIND],
		arrays[P_NIVEAU], arrays[P_PROFIEL], arrays[P_LEERWEG], arrays[P_DOMEIN], arrays[P_BRIN],
		v[P_Q].present ? v[P_Q].raw : NULL, arrays[P_START_YEAR], limit, offset,
	};
	PGresult *res = resource_query(r, items_sql, 12, params);
	for (int k = 0; k < NPARAMS; k++)
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
