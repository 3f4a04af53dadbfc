/* The public collections as the database renders them: pages and single features of the
 * initiatives, schools and regions (GeoJSON Feature objects made by sql/api), the clusters of the
 * initiatives, the collections' extents and the code lists. Reads on the pool of the role that
 * sees no personal data; each is retried once when its connection broke.
 *
 * Every function returns 0, or -1 with err filled. Text it hands back is malloc'd and the
 * caller's, released with the matching *_release or free. */
#ifndef RK_STORE_FEATURES_H
#define RK_STORE_FEATURES_H

#include <stddef.h>

#include "store/db.h"

/* Which initiatives: every filter that is present must hold. */
struct initiative_filter {
	const double *bbox; /* minlon, minlat, maxlon, maxlat; NULL = anywhere */
	struct db_list region, route_kind, niveau, profiel, leerweg, opleidingsdomein, brin, start_year;
	const char *q; /* Dutch full text; NULL = none */
};

/* Which part of the matches: limit rows after skipping offset, or (keyset) after the id after. */
struct page_window {
	long limit, offset;
	int keyset;
	long long after;
};

/* A page of features. */
struct feature_page {
	char *unknown_regions; /* requested region codes that name no region, comma-separated; NULL when none */
	long long matched, returned;
	int estimated;         /* matched is the planner's estimate */
	int keyset;            /* more and last_id are known: the next page continues after last_id */
	int more;
	long long last_id;
	char *features;        /* the page's Feature objects, comma-separated */
	size_t features_len;
};
void feature_page_release(struct feature_page *p);

int store_initiative_page(struct db_pool *pool, const struct initiative_filter *f, const struct page_window *w,
			  struct feature_page *out, struct db_error *err);
/* One Feature as the database rendered it; text NULL when there is no such feature. */
struct feature_text {
	char *text;
	size_t len;
};

/* The published initiative id with its parties, conditions, regions and public contacts. */
int store_initiative_feature(struct db_pool *pool, const char *id, struct feature_text *out, struct db_error *err);

/* vmbo: "true", "false" or NULL (either); q: part of the name or place, or NULL. */
struct school_filter {
	const double *bbox;
	struct db_list region, brin;
	const char *vmbo;
	const char *q;
};
int store_school_page(struct db_pool *pool, const struct school_filter *f, const struct page_window *w,
		      struct feature_page *out, struct db_error *err);
int store_school_feature(struct db_pool *pool, const char *vestigingscode, struct feature_text *out,
			 struct db_error *err);

/* The regions of one CBS division (type) in its latest year, their outlines snapped to a grid of
 * simplify degrees (0: as stored). */
int store_region_page(struct db_pool *pool, const char *type, double simplify, const double *bbox,
		      const struct page_window *w, struct feature_page *out, struct db_error *err);
int store_region_feature(struct db_pool *pool, const char *type, double simplify, const char *code,
			 struct feature_text *out, struct db_error *err);

/* The matching initiatives grouped per cell of the grid of a zoom level. */
struct cluster_set {
	char *unknown_regions; /* as in feature_page */
	long long clusters, initiatives;
	char *features;        /* one Point Feature per cluster, comma-separated */
	size_t features_len;
};
void cluster_set_release(struct cluster_set *s);
int store_initiative_clusters(struct db_pool *pool, int zoom, const struct initiative_filter *f,
			      struct cluster_set *out, struct db_error *err);

/* The spatial extent of a collection, estimated from the planner's statistics. */
struct collection_extent {
	char collection[64];
	int known;        /* 0 for a collection that is still empty */
	double bbox[4];
};
/* Fills up to max extents; *n is how many. */
int store_collection_extents(struct db_pool *pool, struct collection_extent *out, size_t max, size_t *n,
			     struct db_error *err);

/* The code lists with their Dutch labels as one JSON document. */
int store_codelists(struct db_pool *pool, char **json, size_t *len, struct db_error *err);

/* The Mapbox Vector Tile z/x/y of a tiled collection (the bytes may be empty). */
int store_tile(struct db_pool *pool, const char *collection, int z, long x, long y, unsigned char **bytes,
	       size_t *len, struct db_error *err);

#endif
