/* Integration tests of the vector tiles and the GeoJSON clusters: tiles decoded (a small reader of
 * the Mapbox Vector Tile protobuf below) and compared with independent SQL; the HTTP side of tiles
 * (media type, 404s, caching and invalidation); TileJSON; clusters that add up. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* --- a minimal Mapbox Vector Tile reader (protobuf wire format) --- */

#define MAX_FEATURES 20000
#define MAX_KEYS 64

struct mvt_value {
	int is_string;
	char str[128];
	double num;
};

struct mvt_feature {
	uint64_t id;
	int has_id;
	int type; /* 1 point, 2 line, 3 polygon */
	uint32_t tags[2 * MAX_KEYS];
	size_t ntags;
	size_t ngeom; /* geometry integers */
};

struct mvt_layer {
	char name[64];
	unsigned extent;
	char keys[MAX_KEYS][64];
	size_t nkeys;
	struct mvt_value *values;
	size_t nvalues;
	struct mvt_feature *features;
	size_t nfeatures;
};

static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* Reads one field: its number, wire type, and for length-delimited fields the bytes. */
static int field(const unsigned char **p, const unsigned char *end, unsigned *num, unsigned *wt,
		 uint64_t *v, const unsigned char **data, size_t *len)
{
	uint64_t key;
	if (varint(p, end, &key) < 0)
		return -1;
	*num = (unsigned)(key >> 3);
	*wt = (unsigned)(key & 7);
	switch (*wt) {
	case 0:
		return varint(p, end, v);
	case 1:
		if (end - *p < 8)
			return -1;
		memcpy(v, *p, 8);
		*p += 8;
		return 0;
	case 2:
		if (varint(p, end, v) < 0 || (uint64_t)(end - *p) < *v)
			return -1;
		*data = *p;
		*len = (size_t)*v;
		*p += *len;
		return 0;
	case 5:
		if (end - *p < 4)
			return -1;
		*v = 0;
		memcpy(v, *p, 4);
		*p += 4;
		return 0;
	default:
		return -1;
	}
}

static void read_value(const unsigned char *p, const unsigned char *end, struct mvt_value *out)
{
	memset(out, 0, sizeof(*out));
	unsigned num, wt;
	uint64_t v;
	const unsigned char *d;
	size_t len;
	while (p < end) {
		ck_assert(field(&p, end, &num, &wt, &v, &d, &len) == 0);
		if (num == 1) {
			out->is_string = 1;
			snprintf(out->str, sizeof(out->str), "%.*s", (int)len, (const char *)d);
		} else if (num == 2) {
			float f;
			uint32_t u = (uint32_t)v;
			memcpy(&f, &u, 4);
			out->num = f;
		} else if (num == 3) {
			memcpy(&out->num, &v, 8);
		} else if (num == 4) {
			out->num = (double)(int64_t)v;
		} else if (num == 5) {
			out->num = (double)v;
		} else if (num == 6) {
			out->num = (double)((int64_t)(v >> 1) ^ -(int64_t)(v & 1));
		} else if (num == 7) {
			out->num = (double)v;
		}
	}
}

static void read_packed(const unsigned char *d, size_t len, uint32_t *out, size_t cap, size_t *n)
{
	const unsigned char *p = d, *end = d + len;
	while (p < end) {
		uint64_t v;
		ck_assert(varint(&p, end, &v) == 0);
		if (out && *n < cap)
			out[*n] = (uint32_t)v;
		(*n)++;
	}
}

static void read_feature(const unsigned char *p, const unsigned char *end, struct mvt_feature *f)
{
	memset(f, 0, sizeof(*f));
	unsigned num, wt;
	uint64_t v;
	const unsigned char *d;
	size_t len;
	while (p < end) {
		ck_assert(field(&p, end, &num, &wt, &v, &d, &len) == 0);
		if (num == 1) {
			f->id = v;
			f->has_id = 1;
		} else if (num == 2) {
			read_packed(d, len, f->tags, 2 * MAX_KEYS, &f->ntags);
		} else if (num == 3) {
			f->type = (int)v;
		} else if (num == 4) {
			read_packed(d, len, NULL, 0, &f->ngeom);
		}
	}
}

/* Reads the layer called name from a tile; 0 when found. */
static int mvt_layer(const char *tile, size_t tlen, const char *name, struct mvt_layer *out)
{
	const unsigned char *p = (const unsigned char *)tile, *end = p + tlen;
	memset(out, 0, sizeof(*out));
	unsigned num, wt;
	uint64_t v;
	const unsigned char *d;
	size_t len;
	while (p < end) {
		ck_assert(field(&p, end, &num, &wt, &v, &d, &len) == 0);
		if (num != 3)
			continue;
		/* a layer: first its name */
		const unsigned char *q = d, *qend = d + len;
		struct mvt_layer l;
		memset(&l, 0, sizeof(l));
		l.values = calloc(4096, sizeof(*l.values));
		l.features = calloc(MAX_FEATURES, sizeof(*l.features));
		while (q < qend) {
			const unsigned char *fd;
			size_t flen;
			ck_assert(field(&q, qend, &num, &wt, &v, &fd, &flen) == 0);
			if (num == 1)
				snprintf(l.name, sizeof(l.name), "%.*s", (int)flen, (const char *)fd);
			else if (num == 2 && l.nfeatures < MAX_FEATURES)
				read_feature(fd, fd + flen, &l.features[l.nfeatures++]);
			else if (num == 3 && l.nkeys < MAX_KEYS)
				snprintf(l.keys[l.nkeys++], 64, "%.*s", (int)flen, (const char *)fd);
			else if (num == 4 && l.nvalues < 4096)
				read_value(fd, fd + flen, &l.values[l.nvalues++]);
			else if (num == 5)
				l.extent = (unsigned)v;
		}
		if (strcmp(l.name, name) == 0) {
			*out = l;
			return 0;
		}
		free(l.values);
		free(l.features);
	}
	return -1;
}

static void mvt_free(struct mvt_layer *l)
{
	free(l->values);
	free(l->features);
}

/* The value of a feature's property, or NULL. */
static const struct mvt_value *prop(const struct mvt_layer *l, const struct mvt_feature *f, const char *key)
{
	for (size_t i = 0; i + 1 < f->ntags; i += 2) {
		ck_assert(f->tags[i] < l->nkeys && f->tags[i + 1] < l->nvalues);
		if (strcmp(l->keys[f->tags[i]], key) == 0)
			return &l->values[f->tags[i + 1]];
	}
	return NULL;
}

static struct resp get_tile(const char *path)
{
	struct resp r = get(path, NULL);
	ck_assert_msg(r.status == 200, "%s: %ld %.200s", path, r.status, r.body ? r.body : "");
	ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/vnd.mapbox-vector-tile");
	return r;
}

/* --- tiles --- */

/* The tile 5/16/10 holds the whole of the Netherlands. */
START_TEST(national_tile_counts_every_published_initiative)
{
	struct resp r = get_tile("/collections/initiatives/tiles/5/16/10");
	struct mvt_layer l;
	ck_assert_int_eq(mvt_layer(r.body, r.len, "initiatives", &l), 0);
	ck_assert_uint_eq(l.extent, 4096);
	long total = 0, singles = 0;
	long by_kind[4] = {0};
	const char *kinds[] = {"doorlopende_leerroute", "geintegreerde_route", "leerlab", "samenwerking"};
	for (size_t i = 0; i < l.nfeatures; i++) {
		ck_assert_int_eq(l.features[i].type, 1);
		const struct mvt_value *c = prop(&l, &l.features[i], "count");
		ck_assert_ptr_nonnull(c);
		total += (long)c->num;
		long sum = 0;
		for (int k = 0; k < 4; k++) {
			const struct mvt_value *v = prop(&l, &l.features[i], kinds[k]);
			ck_assert_ptr_nonnull(v);
			by_kind[k] += (long)v->num;
			sum += (long)v->num;
		}
		ck_assert_int_eq(sum, (long)c->num);
		if (c->num == 1) {
			/* a cluster of one names its initiative */
			const struct mvt_value *id = prop(&l, &l.features[i], "id");
			ck_assert_ptr_nonnull(id);
			char sql[160];
			snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where id = %.0f and status = 'published'", id->num);
			ck_assert_int_eq(sql_long(sql), 1);
			singles++;
		}
	}
	ck_assert_int_eq(total, sql_long("select count(*) from kaart.initiative where status = 'published'"));
	for (int k = 0; k < 4; k++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where status = 'published' and route_kind = '%s'", kinds[k]);
		ck_assert_int_eq(by_kind[k], sql_long(sql));
	}
	/* clustered: at most one point per cell of an 8 x 8 grid, and the country spans several */
	ck_assert(l.nfeatures >= 2 && l.nfeatures <= 64);
	mvt_free(&l);
	resp_free(&r);
}
END_TEST

/* At zoom 14 a tile holds the initiatives themselves: exactly those within the tile and its
 * buffer (64 of 4096 units), by id. */
START_TEST(zoom_14_tile_has_the_initiatives_in_it)
{
	char *lonlat = sql_text("select st_x(geom) || ' ' || st_y(geom) from kaart.initiative"
				" where status = 'published' order by id limit 1");
	double lon, lat;
	ck_assert(sscanf(lonlat, "%lf %lf", &lon, &lat) == 2);
	free(lonlat);
	int z = 14;
	long x = (long)floor((lon + 180) / 360 * (1 << z));
	double rad = lat * M_PI / 180;
	long y = (long)floor((1 - log(tan(rad) + 1 / cos(rad)) / M_PI) / 2 * (1 << z));
	char path[128], sql[600];
	snprintf(path, sizeof(path), "/collections/initiatives/tiles/%d/%ld/%ld", z, x, y);
	struct resp r = get_tile(path);
	struct mvt_layer l;
	ck_assert_int_eq(mvt_layer(r.body, r.len, "initiatives", &l), 0);
	snprintf(sql, sizeof(sql),
		 "select count(*) from kaart.initiative where status = 'published'"
		 " and st_transform(geom, 3857) && st_expand(st_tileenvelope(%d, %ld, %ld),"
		 "     (st_xmax(st_tileenvelope(%d, %ld, %ld)) - st_xmin(st_tileenvelope(%d, %ld, %ld))) * 64 / 4096)",
		 z, x, y, z, x, y, z, x, y);
	long want = sql_long(sql);
	ck_assert(want >= 1);
	ck_assert_uint_eq(l.nfeatures, (size_t)want);
	for (size_t i = 0; i < l.nfeatures; i++) {
		const struct mvt_value *id = prop(&l, &l.features[i], "id");
		const struct mvt_value *name = prop(&l, &l.features[i], "name");
		ck_assert(id && name && name->is_string);
		snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where id = %.0f and name = $$%.200s$$"
			 " and status = 'published'", id->num, name->str);
		ck_assert_int_eq(sql_long(sql), 1);
	}
	mvt_free(&l);
	resp_free(&r);
}
END_TEST

START_TEST(region_tiles_have_every_region_with_its_count)
{
	struct resp r = get_tile("/collections/regions-provincie/tiles/5/16/10");
	struct mvt_layer l;
	ck_assert_int_eq(mvt_layer(r.body, r.len, "regions", &l), 0);
	ck_assert_uint_eq(l.nfeatures, (size_t)sql_long("select count(*) from ref.region r join ref.division d"
						     " on d.year = r.year and d.is_current where r.type = 'provincie'"));
	for (size_t i = 0; i < l.nfeatures; i++) {
		ck_assert_int_eq(l.features[i].type, 3);
		const struct mvt_value *code = prop(&l, &l.features[i], "code");
		const struct mvt_value *n = prop(&l, &l.features[i], "initiative_count");
		ck_assert(code && code->is_string && n);
		char sql[300];
		snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where status = 'published'"
			 " and '%.20s' = any (region_codes)", code->str);
		ck_assert_msg((long)n->num == sql_long(sql), "%s: %.0f", code->str, n->num);
	}
	/* simplified more at a national zoom than close by */
	size_t coarse = 0;
	for (size_t i = 0; i < l.nfeatures; i++)
		coarse += l.features[i].ngeom;
	mvt_free(&l);
	resp_free(&r);
	r = get_tile("/collections/regions-gemeente/tiles/5/16/10");
	ck_assert_int_eq(mvt_layer(r.body, r.len, "regions", &l), 0);
	ck_assert_uint_eq(l.nfeatures, (size_t)sql_long("select count(*) from ref.region r join ref.division d"
						     " on d.year = r.year and d.is_current where r.type = 'gemeente'"));
	ck_assert(coarse > 0);
	mvt_free(&l);
	resp_free(&r);
}
END_TEST

START_TEST(tile_errors_and_caching)
{
	const char *bad[] = {
		"/collections/schools/tiles/5/16/10",      "/collections/nope/tiles/5/16/10",
		"/collections/initiatives/tiles/23/0/0",   "/collections/initiatives/tiles/5/32/10",
		"/collections/initiatives/tiles/5/16/abc", "/collections/initiatives/tiles/05/16/10",
		"/collections/initiatives/tiles/5/-1/10",  "/collections/initiatives/tiles/5/16/10.png",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp r = get(bad[i], NULL);
		ck_assert_msg(r.status == 404, "%s: %ld", bad[i], r.status);
		ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
		resp_free(&r);
	}
	struct resp r = get("/collections/initiatives/tiles/5/16/10?f=png", NULL);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	r = get("/collections/initiatives/tiles/5/16/10", (const char *const[]){"Accept: application/json", NULL});
	ck_assert_int_eq(r.status, 406);
	resp_free(&r);
	/* .mvt is the same tile; an empty tile (the middle of the ocean) is 200 and empty */
	struct resp a = get_tile("/collections/initiatives/tiles/5/16/10");
	struct resp b = get_tile("/collections/initiatives/tiles/5/16/10.mvt");
	ck_assert(a.len == b.len && memcmp(a.body, b.body, a.len) == 0);
	char etag[128], inm[160];
	snprintf(etag, sizeof(etag), "%s", resp_header(&a, "ETag"));
	snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
	r = get("/collections/initiatives/tiles/5/16/10", (const char *const[]){inm, NULL});
	ck_assert_int_eq(r.status, 304);
	resp_free(&r);
	r = get_tile("/collections/initiatives/tiles/5/0/0");
	ck_assert_uint_eq(r.len, 0);
	resp_free(&r);
	resp_free(&a);
	resp_free(&b);
}
END_TEST

/* Withdrawing an initiative takes it out of the (cached) national tile within a second. */
START_TEST(a_cached_tile_follows_a_change)
{
	for (int i = 0; i < 100; i++) {
		struct resp m = get("/metrics", NULL);
		int listening = strstr(m.body, "\nroutekaart_cache_listening 1") != NULL;
		resp_free(&m);
		if (listening)
			break;
		usleep(50 * 1000);
	}
	const char *path = "/collections/initiatives/tiles/5/16/10";
	struct resp r = get_tile(path);
	resp_free(&r);
	long before = sql_long("select count(*) from kaart.initiative where status = 'published'");
	long id = sql_long("select max(id) from kaart.initiative where status = 'published'");
	char sql[200];
	snprintf(sql, sizeof(sql), "update kaart.initiative set status = 'withdrawn', withdrawn_at = now() where id = %ld", id);
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "%s", PQerrorMessage(db));
	PQclear(res);
	PQfinish(db);
	double t0 = monotonic_s();
	long total = before;
	while (monotonic_s() - t0 < 3) {
		r = get_tile(path);
		struct mvt_layer l;
		ck_assert_int_eq(mvt_layer(r.body, r.len, "initiatives", &l), 0);
		total = 0;
		for (size_t i = 0; i < l.nfeatures; i++)
			total += (long)prop(&l, &l.features[i], "count")->num;
		mvt_free(&l);
		resp_free(&r);
		if (total == before - 1)
			break;
		usleep(20 * 1000);
	}
	ck_assert_int_eq(total, before - 1);
	ck_assert_msg(monotonic_s() - t0 < 1.0, "the change took %.3f s to show", monotonic_s() - t0);
}
END_TEST

START_TEST(tilejson_points_at_the_tiles)
{
	struct resp r = get("/collections/initiatives/tiles", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "tilejson")), "3.0.0");
	const char *t = json_string_value(json_array_get(json_object_get(r.json, "tiles"), 0));
	char want[256];
	snprintf(want, sizeof(want), "%s/collections/initiatives/tiles/{z}/{x}/{y}", harness_server.url);
	ck_assert_str_eq(t, want);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "vector_layers"), 0), "id")),
			 "initiatives");
	resp_free(&r);
	r = get("/collections/regions-rmc/tiles", NULL);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	r = get("/collections/schools/tiles", NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

/* --- clusters --- */

static long cluster_sum(const char *path, long *nclusters)
{
	struct resp r = get(path, NULL);
	ck_assert_msg(r.status == 200, "%s: %ld %.300s", path, r.status, r.body);
	json_t *features = json_object_get(r.json, "features");
	long sum = 0;
	size_t i;
	json_t *f;
	json_array_foreach(features, i, f) {
		json_t *p = json_object_get(f, "properties");
		long n = (long)json_integer_value(json_object_get(p, "count"));
		ck_assert(n >= 1);
		long kinds = 0;
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(p, "route_kind_counts"), k, v)
			kinds += (long)json_integer_value(v);
		ck_assert_int_eq(kinds, n);
		ck_assert((n == 1) == (json_object_get(p, "id") != NULL));
		sum += n;
	}
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "initiatives")), sum);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "numberReturned")), (json_int_t)json_array_size(features));
	*nclusters = (long)json_array_size(features);
	resp_free(&r);
	return sum;
}

START_TEST(clusters_add_up)
{
	long n5, n9, nf;
	long published = sql_long("select count(*) from kaart.initiative where status = 'published'");
	ck_assert_int_eq(cluster_sum("/collections/initiatives/clusters?zoom=5", &n5), published);
	ck_assert_int_eq(cluster_sum("/collections/initiatives/clusters?zoom=9", &n9), published);
	ck_assert(n5 < n9); /* closer in, more and smaller clusters */
	ck_assert_int_eq(cluster_sum("/collections/initiatives/clusters?zoom=7&niveau=3&profiel=ZW", &nf),
			 sql_long("select count(*) from kaart.initiative where status = 'published'"
				  " and niveaus && '{3}' and profielen && '{ZW}'"));
	/* a bbox selects the cells of the zoom's grid it touches (8 x 8 per tile; 2^11 across at
	 * zoom 8), whole, so that clusters stay put while the map pans */
	ck_assert_int_eq(cluster_sum("/collections/initiatives/clusters?zoom=8&bbox=4.7,51.9,5.5,52.4", &nf),
			 sql_long("with b as (select st_transform(st_point(4.7, 51.9, 4326), 3857) lo,"
				  "  st_transform(st_point(5.5, 52.4, 4326), 3857) hi,"
				  "  20037508.342789244 w, 2 * 20037508.342789244 / 2048 cs)"
				  " select count(*) from kaart.initiative i cross join b"
				  " cross join lateral (select st_transform(i.geom, 3857) p) t"
				  " where i.status = 'published'"
				  "   and floor((st_x(p) + w) / cs) between floor((st_x(lo) + w) / cs) and floor((st_x(hi) + w) / cs)"
				  "   and floor((w - st_y(p)) / cs) between floor((w - st_y(hi)) / cs) and floor((w - st_y(lo)) / cs)"));
	ck_assert(nf >= 2);
	struct resp r = get("/collections/initiatives/clusters", NULL);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0), "parameter")), "zoom");
	resp_free(&r);
	r = get("/collections/initiatives/clusters?zoom=21", NULL);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	r = get("/collections/regions-rmc/clusters?zoom=3", NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	r = get("/collections/initiatives/clusters?zoom=3&region=GM9999", NULL);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
}
END_TEST

static Suite *tiles_suite(void)
{
	Suite *s = suite_create("tiles");
	TCase *t = tcase_create("tiles");
	tcase_add_unchecked_fixture(t, harness_setup, harness_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, national_tile_counts_every_published_initiative);
	tcase_add_test(t, zoom_14_tile_has_the_initiatives_in_it);
	tcase_add_test(t, region_tiles_have_every_region_with_its_count);
	tcase_add_test(t, tile_errors_and_caching);
	tcase_add_test(t, tilejson_points_at_the_tiles);
	tcase_add_test(t, clusters_add_up);
	/* last: it withdraws an initiative */
	tcase_add_test(t, a_cached_tile_follows_a_change);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(tiles_suite());
}
