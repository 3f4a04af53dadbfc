/* Vector tiles: /collections/{id}/tiles/{z}/{x}/{y} (Mapbox Vector Tile, rendered by the database
 * with ST_AsMVT) and /collections/{id}/tiles, a TileJSON document for map libraries. The
 * initiatives are clustered up to zoom 12; regions are simplified per zoom. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/resource.h"
#include "lib/codes.h"
#include "lib/banned.h"

#define MEDIA_MVT "application/vnd.mapbox-vector-tile"
#define MAX_ZOOM 22

static const char *const tile_formats[] = {"mvt", NULL};
static const char *const tile_media[] = {MEDIA_MVT, NULL};
static const struct pspec tile_specs[] = {
	{"f", PT_ENUM, 0, 0, tile_formats, NULL, NULL, 0, 0},
};

/* Collections with tiles: the initiatives and the region types. */
static int has_tiles(const struct collection *c)
{
	return c == &initiatives_collection || c->region_type != NULL;
}

static const struct collection *tiled_or_404(struct request *r)
{
	const struct collection *c = collection_find(r->target.seg[1]);
	if (!c || !has_tiles(c)) {
		char detail[160];
		snprintf(detail, sizeof(detail), "there are no tiles of a collection '%.60s'", r->target.seg[1]);
		http_problem(r, 404, "not-found", detail);
		return NULL;
	}
	return c;
}

/* A tile coordinate: digits only, no sign or leading zero, below limit. The last one may end in
 * .mvt or .pbf, as some clients write it. */
static int parse_coord(const char *s, long limit, int last, long *out)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 7 || (n > 1 && s[0] == '0'))
		return -1;
	if (s[n] && !(last && (strcmp(s + n, ".mvt") == 0 || strcmp(s + n, ".pbf") == 0)))
		return -1;
	*out = strtol(s, NULL, 10);
	return *out < limit ? 0 : -1;
}

void tile_get(struct request *r)
{
	const struct collection *c = tiled_or_404(r);
	if (!c)
		return;
	long z, x, y;
	if (parse_coord(r->target.seg[3], MAX_ZOOM + 1, 0, &z) < 0 ||
	    parse_coord(r->target.seg[4], 1L << z, 0, &x) < 0 ||
	    parse_coord(r->target.seg[5], 1L << z, 1, &y) < 0) {
		char detail[200];
		snprintf(detail, sizeof(detail),
			 "there is no tile %.20s/%.20s/%.20s: the zoom is 0 to %d, x and y 0 to 2^zoom - 1 "
			 "(y from the north)",
			 r->target.seg[3], r->target.seg[4], r->target.seg[5], MAX_ZOOM);
		http_problem(r, 404, "not-found", detail);
		return;
	}
	struct pvalue v[1];
	struct perrors errs;
	if (query_validate(&r->target, tile_specs, 1, v, &errs)) {
		http_problem_params(r, &errs);
		return;
	}
	if (http_negotiate(r, &v[0], tile_formats, tile_media) < 0)
		return;
	unsigned char *body;
	size_t len;
	struct db_error err;
	if (store_tile(r->app->pool, c->id, (int)z, x, y, &body, &len, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	http_ok(r, MEDIA_MVT, (char *)body, len);
}

/* The attributes of each layer, for TileJSON's vector_layers. */
/* (a cluster counts its initiatives per route kind, in code-list order: lib/codes.h) */
#define KIND_FIELD(code, label) "\"" code "\":\"Number\","
static const char initiatives_fields[] =
	"{\"count\":\"Number\"," CODELIST_ROUTE_KIND(KIND_FIELD) "\"route_kind\":\"String\",\"id\":\"Number\","
	"\"name\":\"String\"}";
static const char regions_fields[] =
	"{\"code\":\"String\",\"name\":\"String\",\"type\":\"String\",\"initiative_count\":\"Number\"}";

void tilejson_get(struct request *r)
{
	const struct collection *c = tiled_or_404(r);
	if (!c || resource_json_only(r) < 0)
		return;
	int initiatives = c == &initiatives_collection;
	json_t *fields = json_loads(initiatives ? initiatives_fields : regions_fields, 0, NULL);
	char tiles[512];
	snprintf(tiles, sizeof(tiles), "%s/collections/%s/tiles/{z}/{x}/{y}", r->base_url, c->id);
	json_t *doc = json_pack(
		"{s:s,s:s,s:s,s:s,s:[s],s:i,s:i,s:[f,f,f,f],s:[f,f,i],s:[{s:s,s:s,s:o,s:i,s:i}]}",
		"tilejson", "3.0.0", "name", c->id, "description",
		initiatives ? "Published initiatives; up to zoom 12 one point per cluster with its count"
			    : "Regions with the number of published initiatives; outlines simplified per zoom",
		"scheme", "xyz", "tiles", tiles, "minzoom", 0, "maxzoom", MAX_ZOOM,
		"bounds", 3.31, 50.75, 7.23, 53.56, "center", 5.29, 52.13, 7,
		"vector_layers", "id", initiatives ? "initiatives" : "regions", "description", c->title,
		"fields", fields, "minzoom", 0, "maxzoom", MAX_ZOOM);
	http_ok_json(r, MEDIA_JSON, doc);
}
