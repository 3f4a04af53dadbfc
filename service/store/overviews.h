/* The regional overviews as the database computes them (api.overview, api.coverage,
 * api.overview_geojson) and the SBO contacts of a region (api.region_exists, api.region_contacts).
 *
 * type is a region type (provincie, arbeidsmarktregio, rmc, gemeente); as_of a date YYYY-MM-DD, or
 * NULL for today as the database decides (Dutch time); code a region code, or NULL for every region
 * of the type. Each function returns 0, or -1 with err filled (500 with "out of memory" when a copy
 * could not be made). The documents they give are JSON (GeoJSON) text, malloc'd: the caller frees
 * them. */
#ifndef RK_STORE_OVERVIEWS_H
#define RK_STORE_OVERVIEWS_H

#include <stddef.h>

#include "store/db.h"

/* {"region_type", "as_of" (the date asked, or today), "regions": [the figures of each region, by
 * code]}; with a code, "regions" holds that region or nothing. A read: sent once more on a fresh
 * connection when the first one broke. */
int store_overview(struct db_pool *pool, const char *type, const char *as_of, const char *code,
		   char **json, struct db_error *err);

/* The regions of the type as a GeoJSON FeatureCollection with their figures as properties, their
 * outlines snapped to a grid of simplify degrees (0: as they are); with a code, a collection of
 * that region only. *found is 0 when code names no region of the type (the collection is then
 * empty), else 1. *len is the length of *geojson. A read, retried as store_overview. */
int store_overview_geojson(struct db_pool *pool, const char *type, const char *as_of, double simplify,
			   const char *code, char **geojson, size_t *len, int *found, struct db_error *err);

/* The coverage of profiel x niveau per region of the type and nationally, with the gaps:
 * {"as_of", "region_type", "regions", "national", "gaps", "national_gaps"}. A read, retried as
 * store_overview. */
int store_coverage(struct db_pool *pool, const char *type, const char *as_of, char **json,
		   struct db_error *err);

/* Personal data: the two calls below are granted to the role of the write pool only, whose
 * statements are sent once and never again. */

/* *exists: 1 when the current division has a region of this type and code, else 0. */
int store_region_exists(struct db_pool *pool, const char *type, const char *code, int *exists,
			struct db_error *err);

/* The vmbo locations of the region with their SBO contact persons, a JSON array of objects
 * {vestigingscode, school, plaats, gemeente_code, contact_source, name, function, email, phone}
 * ([] when there are none). */
int store_region_contacts(struct db_pool *pool, const char *type, const char *code, char **json,
			  struct db_error *err);

#endif
