#include "store/overviews.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "lib/banned.h"

static const char overview_sql[] =
	"select document from api.overview_document($1::text, $2::date, $3::text)";

/* all regions (code NULL), or the one region of that code (matched 0 when there is none) */
static const char geojson_sql[] =
	"select geojson, matched from api.overview_features($1::text, $2::date, $3::float8, $4::text)";

static const char coverage_sql[] = "select api.coverage($1::text, $2::date)::text as coverage";

static const char region_exists_sql[] = "select api.region_exists($1::text, $2::text) as found";

static const char region_contacts_sql[] = "select contacts from api.region_contacts_json($1::text, $2::text)";

/* A malloc'd copy of column in the first row of res into *text (*len its length when len is not
 * NULL); SQL NULL gives "", as libpq reads it. 0, or -1 with err filled when out of memory. */
static int copy_text(const PGresult *res, const char *column, char **text, size_t *len,
		     struct db_error *err)
{
	int oom = 0;
	size_t n = 0;
	char *s = db_copy(res, 0, column, &n, &oom);
	if (!s && !oom)
		s = calloc(1, 1);
	if (!s) {
		db_fail(err, "out of memory");
		return -1;
	}
	*text = s;
	if (len)
		*len = n;
	return 0;
}

/* Runs sql (one row) and copies its column into *text; SQL NULL gives "", as libpq reads it. */
static int run_text(struct db_pool *pool, const char *sql, int n, const char *const *params,
		    enum db_retry retry, const char *column, char **text, struct db_error *err)
{
	if (db_run_text(pool, sql, n, params, retry, column, text, NULL, err) < 0)
		return -1;
	if (!*text && !(*text = calloc(1, 1))) {
		db_fail(err, "out of memory");
		return -1;
	}
	return 0;
}

int store_overview(struct db_pool *pool, const char *type, const char *as_of, const char *code,
		   char **json, struct db_error *err)
{
	const char *params[3] = {type, as_of, code};
	return run_text(pool, overview_sql, 3, params, DB_READ_RETRY, "document", json, err);
}

int store_overview_geojson(struct db_pool *pool, const char *type, const char *as_of, double simplify,
			   const char *code, char **geojson, size_t *len, int *found, struct db_error *err)
{
	char grid[32];
	snprintf(grid, sizeof(grid), "%.9g", simplify);
	const char *params[4] = {type, as_of, grid, code};
	PGresult *res = db_run(pool, geojson_sql, 4, params, DB_READ_RETRY, err);
	if (!res)
		return -1;
	*found = db_int(res, 0, "matched") != 0;
	int rc = copy_text(res, "geojson", geojson, len, err);
	PQclear(res);
	return rc;
}

int store_coverage(struct db_pool *pool, const char *type, const char *as_of, char **json,
		   struct db_error *err)
{
	const char *params[2] = {type, as_of};
	return run_text(pool, coverage_sql, 2, params, DB_READ_RETRY, "coverage", json, err);
}

int store_region_exists(struct db_pool *pool, const char *type, const char *code, int *exists,
			struct db_error *err)
{
	const char *params[2] = {type, code};
	PGresult *res = db_run(pool, region_exists_sql, 2, params, DB_READ_RETRY, err);
	if (!res)
		return -1;
	*exists = db_bool(res, 0, "found");
	PQclear(res);
	return 0;
}

int store_region_contacts(struct db_pool *pool, const char *type, const char *code, char **json,
			  struct db_error *err)
{
	const char *params[2] = {type, code};
	return run_text(pool, region_contacts_sql, 2, params, DB_READ_RETRY, "contacts", json, err);
}
