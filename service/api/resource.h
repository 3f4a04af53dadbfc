/* What the feature collections share: their registry, the common paging parameters, and wrapping
 * the features the database rendered into a response. */
#ifndef RK_RESOURCE_H
#define RK_RESOURCE_H

#include "store/features.h"
#include <stddef.h>

#include "http/http.h"
#include "http/query.h"

#define MEDIA_GEOJSON "application/geo+json"
#define MEDIA_JSON "application/json"

struct collection {
	const char *id;
	const char *title;
	const char *description;
	const char *region_type; /* regions-* collections: the CBS division */
	const struct pspec *specs; /* items parameters; the first four are ITEMS_COMMON_SPECS */
	size_t nspecs;
	void (*items)(struct request *, const struct collection *, struct pvalue *vals);
	const struct pspec *item_specs; /* single-feature parameters; the first is f */
	size_t nitem_specs;
	void (*item)(struct request *, const struct collection *, const char *id, struct pvalue *vals);
	const char *extent_sql; /* one row: xmin, ymin, xmax, ymax; $1 = region_type */
};

/* limit, offset, bbox, f: positions 0..3 of every items specification */
enum { P_LIMIT, P_OFFSET, P_BBOX, P_F };
#define ITEMS_COMMON_SPECS                                                                         \
	{"limit", PT_INT, 1, 10000, NULL, NULL, NULL, 0, 0},                                       \
	{"offset", PT_INT, 0, 1000000, NULL, NULL, NULL, 0, 0},                                    \
	{"bbox", PT_BBOX, 0, 0, NULL, NULL, NULL, 0, 0},                                           \
	{"f", PT_ENUM, 0, 0, resource_item_formats, NULL, NULL, 0, 0}

extern const char *const resource_item_formats[];  /* json, geojson */
extern const struct pspec resource_item_f_spec[1]; /* f for single features */
extern const char *const resource_json_formats[];  /* json */
extern const char *const resource_item_media[];    /* application/geo+json, application/json */
extern const char *const resource_json_media[];    /* application/json */

const struct collection *collection_find(const char *id);
extern const struct collection initiatives_collection, schools_collection;
extern const struct collection regions_collections[4];

/* For resources whose only parameter is f=json: validates the query and negotiates JSON;
 * answers (400/406) and returns -1 when that fails. */
int resource_json_only(struct request *r);


/* Request parameters as the store takes them (borrowed from v). */
const double *resource_bbox(const struct pvalue *bbox); /* NULL when absent */
struct db_list resource_list(const struct pvalue *v);
/* limit (100 when absent) and offset of the items parameters. */
struct page_window resource_window(const struct pvalue *vals);

/* Answers an items query with what the store call that filled pg returned (rc, err): the
 * database's failure, a 400 naming the page's unknown region codes, or a FeatureCollection with
 * paging links that keep every parameter. With a keyset page the next link continues after its
 * last id (after=) and no prev link is given. Releases pg. */
void resource_send_page(struct request *r, const struct collection *c, const struct pvalue *vals, int rc,
			const struct db_error *err, struct feature_page *pg);

/* Answers 400 unknown_region naming the region codes (comma-separated) that name no region. */
void resource_unknown_regions(struct request *r, const char *codes);

/* Answers with the GeoJSON document in b (a 500 when rc, the result of building it, is not 0);
 * the ETag ignores the generation time at [when_off, when_off + when_len). Takes b over. */
void resource_send_geojson(struct request *r, struct buf *b, int rc, size_t when_off, size_t when_len);

/* Answers a single feature with what the store call that filled f returned (rc, err): the
 * database's failure, the Feature with self and collection links, or 404 "there is no <what> ..."
 * when f holds none. Frees f's text. */
void resource_send_one(struct request *r, const struct collection *c, const char *id, int rc,
		       const struct db_error *err, struct feature_text *f, const char *what);

#endif
