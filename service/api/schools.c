/* The schools collection: DUO vo school locations, with how many published routes each takes part in. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/resource.h"
#include "lib/banned.h"

static const char *const booleans[] = {"true", "false", NULL};

enum { P_REGION = 4, P_BRIN, P_VMBO, P_Q, NPARAMS };

static const struct pspec specs[] = {
	ITEMS_COMMON_SPECS,
	{"region", PT_LIST, 0, 0, NULL, query_is_region_code, "a CBS region code such as AM13, PV27, MC21 or GM0363", 0, 0},
	{"brin", PT_LIST, 0, 0, NULL, query_is_brin, "a BRIN number such as 00AH", 0, 0},
	{"vmbo", PT_ENUM, 0, 0, booleans, NULL, NULL, 0, 0},
	{"q", PT_TEXT, 0, 0, NULL, NULL, NULL, 200, 0},
};

#define SCHOOL_PROPERTIES                                                                          \
	"'vestigingscode', vestigingscode, 'brin', brin, 'name', name, 'address', address,"       \
	" 'postcode', postcode, 'plaats', plaats, 'gemeente_code', gemeente_code,"                 \
	" 'region_codes', region_codes, 'vmbo', vmbo, 'onderwijsstructuur', onderwijsstructuur,"   \
	" 'leerwegen', leerwegen, 'website', website, 'route_count', route_count"

static const char items_sql[] =
	"with m as ("
	"  select s.* from api.schools s"
	"   where ($1::float8[] is null or s.geom && st_makeenvelope($1[1], $1[2], $1[3], $1[4], 4326))"
	"     and ($2::text[] is null or s.region_codes && $2::text[])"
	"     and ($3::text[] is null or s.brin = any($3::text[]))"
	"     and ($4::bool is null or s.vmbo = $4::bool)"
	"     and ($5::text is null or strpos(lower(s.name || ' ' || s.plaats), lower($5::text)) > 0)"
	"), page as ("
	"  select * from m order by vestigingscode limit $6::int offset $7::int"
	")"
	"select (select string_agg(c, ',') from unnest($2::text[]) c"
	"         where not exists (select 1 from api.regions r where r.code = c)),"
	"       (select count(*) from m),"
	"       (select count(*) from page),"
	"       (select coalesce(string_agg(json_build_object("
	"          'type', 'Feature', 'id', vestigingscode,"
	"          'geometry', st_asgeojson(geom, 6)::json,"
	"          'properties', json_build_object(" SCHOOL_PROPERTIES ")"
	"        )::text, ',' order by vestigingscode), '') from page)";

static const char item_sql[] =
	"select json_build_object('type', 'Feature', 'id', vestigingscode,"
	"  'geometry', st_asgeojson(geom, 6)::json,"
	"  'properties', json_build_object(" SCHOOL_PROPERTIES "))::text"
	"  from api.schools where vestigingscode = $1::text";

static void items(struct request *r, const struct collection *c, struct pvalue *v)
{
	char bbox[128], limit[24], offset[24];
	snprintf(limit, sizeof(limit), "%ld", v[P_LIMIT].present ? v[P_LIMIT].i : 100L);
	snprintf(offset, sizeof(offset), "%ld", v[P_OFFSET].present ? v[P_OFFSET].i : 0L);
	char *region = query_pg_array(&v[P_REGION]);
	char *brin = query_pg_array(&v[P_BRIN]);
	const char *params[7] = {
		resource_bbox_param(&v[P_BBOX], bbox), region, brin,
		v[P_VMBO].present ? v[P_VMBO].raw : NULL, v[P_Q].present ? v[P_Q].raw : NULL, limit, offset,
	};
	PGresult *res = resource_query(r, items_sql, 7, params);
	free(region);
	free(brin);
	if (res)
		resource_send_page(r, c, v, res);
}

static void item(struct request *r, const struct collection *c, const char *id, struct pvalue *v)
{
	(void)v;
	int ok = strlen(id) == 6;
	for (size_t i = 0; ok && i < 6; i++)
		ok = (i == 2 || i == 3) ? isupper((unsigned char)id[i]) : isdigit((unsigned char)id[i]);
	const char *params[1] = {id};
	resource_send_one(r, c, id, ok, item_sql, params, 1, "school location with vestigingscode");
}

const struct collection schools_collection = {
	.id = "schools",
	.title = "Vo-vestigingen",
	.description = "School locations of secondary education (DUO), with the number of published "
		       "initiatives each takes part in. Source: DUO, Kadaster BAG (CC0).",
	.specs = specs,
	.nspecs = NPARAMS,
	.items = items,
	.item_specs = resource_item_f_spec,
	.nitem_specs = 1,
	.item = item,
};
