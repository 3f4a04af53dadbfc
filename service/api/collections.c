/* The OGC API - Features frame: landing page, API document, conformance, the collections and the
 * dispatch of items requests to each collection's handlers. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/openapi_doc.h"
#include "api/resource.h"
#include "http/web.h"
#include "lib/banned.h"

#define CRS84 "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#define MEDIA_OAS_JSON "application/vnd.oai.openapi+json;version=3.0"
#define MEDIA_OAS_YAML "application/vnd.oai.openapi;version=3.0"

static const struct collection *const all_collections[] = {
	&initiatives_collection, &schools_collection,    &regions_collections[0],
	&regions_collections[1], &regions_collections[2], &regions_collections[3],
};
#define NCOLLECTIONS (sizeof(all_collections) / sizeof(all_collections[0]))

const struct collection *collection_find(const char *id)
{
	for (size_t i = 0; i < NCOLLECTIONS; i++)
		if (strcmp(all_collections[i]->id, id) == 0)
			return all_collections[i];
	return NULL;
}

static json_t *link(const struct request *r, const char *path, const char *rel, const char *type,
		    const char *title)
{
	char href[512];
	snprintf(href, sizeof(href), "%s%s", r->base_url, path);
	json_t *l = json_pack("{s:s,s:s,s:s}", "href", href, "rel", rel, "type", type);
	if (title)
		json_object_set_new(l, "title", json_string(title));
	return l;
}

/* Whether a request for / wants the map: f=html, or no f and an Accept that prefers HTML. */
static int wants_html(struct request *r)
{
	static const char *const media[] = {MEDIA_JSON, "text/html", NULL};
	const char *f = NULL;
	for (size_t i = 0; i < r->target.nparams; i++)
		if (strcmp(r->target.params[i].key, "f") == 0)
			f = r->target.params[i].value;
	if (f)
		return strcmp(f, "html") == 0;
	const char *accept = http_request_header(r, "Accept");
	return r->app->web && http_accept_match(accept, media) == 1;
}

/* The landing page: JSON for API clients; the map for browsers (Accept: text/html, or f=html),
 * when this server serves the website. The map keeps its view in the query string (the filters
 * of the items, the selected initiative), which is the page's own business: for HTML every
 * parameter is accepted. */
void landing_get(struct request *r)
{
	if (wants_html(r)) {
		if (r->app->web)
			web_send(r, WEB_PAGE, "index.html");
		else
			http_problem(r, 406, "not-acceptable", "this server does not serve the website: only JSON");
		return;
	}
	if (resource_json_only(r) < 0)
		return;
	json_t *links = json_array();
	json_array_append_new(links, link(r, "/", "self", MEDIA_JSON, "this document"));
	json_array_append_new(links, link(r, "/api", "service-desc", MEDIA_OAS_JSON, "the API definition (OpenAPI 3.0, JSON)"));
	json_array_append_new(links, link(r, "/api?f=yaml", "service-doc", MEDIA_OAS_YAML, "the API definition (OpenAPI 3.0, YAML)"));
	json_array_append_new(links, link(r, "/conformance", "conformance", MEDIA_JSON, "conformance classes"));
	json_array_append_new(links, link(r, "/collections", "data", MEDIA_JSON, "the collections"));
	json_array_append_new(links, link(r, "/codelists", "describedby", MEDIA_JSON, "code lists"));
	json_t *doc = json_pack("{s:s,s:s,s:o}", "title", "routekaart",
				"description",
				"Samenwerking vmbo-mbo-bedrijfsleven: doorlopende leerroutes and other "
				"cooperation initiatives in the Netherlands, with the school locations and "
				"CBS regions they belong to.",
				"links", links);
	http_ok_json(r, MEDIA_JSON, doc);
}

void api_get(struct request *r)
{
	static const char *const formats[] = {"json", "yaml", NULL};
	static const char *const media[] = {"application/vnd.oai.openapi+json", MEDIA_JSON,
					    "application/vnd.oai.openapi", "application/yaml", "text/yaml", NULL};
	static const struct pspec specs[] = {{"f", PT_ENUM, 0, 0, formats, NULL, NULL, 0, 0}};
	struct pvalue v[1];
	struct perrors errs;
	if (query_validate(&r->target, specs, 1, v, &errs)) {
		http_problem_params(r, &errs);
		return;
	}
	int fmt = http_negotiate(r, &v[0], formats, media);
	if (fmt < 0)
		return;
	int yaml = v[0].present ? fmt == 1 : fmt >= 2;
	const char *src = yaml ? openapi_yaml : openapi_json;
	size_t len = yaml ? openapi_yaml_len : openapi_json_len;
	char *body = malloc(len);
	if (!body) {
		http_problem(r, 500, "internal-error", "out of memory");
		return;
	}
	memcpy(body, src, len);
	http_ok(r, yaml ? MEDIA_OAS_YAML : MEDIA_OAS_JSON, body, len);
}

void conformance_get(struct request *r)
{
	if (resource_json_only(r) < 0)
		return;
	json_t *doc = json_pack("{s:[s,s,s]}", "conformsTo",
				"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
				"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
				"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30");
	http_ok_json(r, MEDIA_JSON, doc);
}

/* The spatial extents of every collection, in one round trip; 0, or -1 when it answered. */
struct extents {
	struct collection_extent v[NCOLLECTIONS];
	size_t n;
};

static int get_extents(struct request *r, struct extents *e)
{
	struct db_error err;
	if (store_collection_extents(r->app->pool, e->v, NCOLLECTIONS, &e->n, &err) < 0) {
		http_problem_db(r, &err);
		return -1;
	}
	return 0;
}

static json_t *collection_doc(const struct request *r, const struct collection *c, const struct extents *ext)
{
	char path[160];
	/* The Netherlands, for a collection that is still empty */
	double bbox[4] = {3.31, 50.75, 7.23, 53.56};
	for (size_t i = 0; i < ext->n; i++)
		if (ext->v[i].known && strcmp(ext->v[i].collection, c->id) == 0)
			memcpy(bbox, ext->v[i].bbox, sizeof(bbox));
	json_t *links = json_array();
	snprintf(path, sizeof(path), "/collections/%s", c->id);
	json_array_append_new(links, link(r, path, "self", MEDIA_JSON, c->title));
	snprintf(path, sizeof(path), "/collections/%s/items", c->id);
	json_array_append_new(links, link(r, path, "items", MEDIA_GEOJSON, "the features"));
	return json_pack("{s:s,s:s,s:s,s:s,s:[s],s:{s:{s:[[f,f,f,f]],s:s}},s:o}", "id", c->id, "title",
			 c->title, "description", c->description, "itemType", "feature", "crs", CRS84,
			 "extent", "spatial", "bbox", bbox[0], bbox[1], bbox[2], bbox[3], "crs", CRS84,
			 "links", links);
}

void collections_get(struct request *r)
{
	if (resource_json_only(r) < 0)
		return;
	struct extents ext;
	if (get_extents(r, &ext) < 0)
		return;
	json_t *list = json_array();
	for (size_t i = 0; i < NCOLLECTIONS; i++)
		json_array_append_new(list, collection_doc(r, all_collections[i], &ext));
	json_t *links = json_array();
	json_array_append_new(links, link(r, "/collections", "self", MEDIA_JSON, "the collections"));
	http_ok_json(r, MEDIA_JSON, json_pack("{s:o,s:o}", "links", links, "collections", list));
}

static const struct collection *find_or_404(struct request *r)
{
	const struct collection *c = collection_find(r->target.seg[1]);
	if (!c) {
		char detail[160];
		snprintf(detail, sizeof(detail), "there is no collection '%.60s'; see /collections",
			 r->target.seg[1]);
		http_problem(r, 404, "not-found", detail);
	}
	return c;
}

void collection_get(struct request *r)
{
	const struct collection *c = find_or_404(r);
	if (!c || resource_json_only(r) < 0)
		return;
	struct extents ext;
	if (get_extents(r, &ext) < 0)
		return;
	json_t *doc = collection_doc(r, c, &ext);
	http_ok_json(r, MEDIA_JSON, doc);
}

void items_get(struct request *r)
{
	const struct collection *c = find_or_404(r);
	if (!c)
		return;
	struct pvalue vals[24];
	struct perrors errs;
	if (query_validate(&r->target, c->specs, c->nspecs, vals, &errs)) {
		http_problem_params(r, &errs);
	} else if (http_negotiate(r, &vals[P_F], resource_item_formats, resource_item_media) >= 0) {
		c->items(r, c, vals);
	}
	query_values_release(vals, c->nspecs);
}

void item_get(struct request *r)
{
	const struct collection *c = find_or_404(r);
	if (!c)
		return;
	struct pvalue v[4];
	struct perrors errs;
	if (query_validate(&r->target, c->item_specs, c->nitem_specs, v, &errs))
		http_problem_params(r, &errs);
	else if (http_negotiate(r, &v[0], resource_item_formats, resource_item_media) >= 0)
		c->item(r, c, r->target.seg[3], v);
	query_values_release(v, c->nitem_specs);
}

void codelists_get(struct request *r)
{
	if (resource_json_only(r) < 0)
		return;
	char *body;
	size_t len;
	struct db_error err;
	if (store_codelists(r->app->pool, &body, &len, &err) < 0)
		http_problem_db(r, &err);
	else
		http_ok(r, MEDIA_JSON, body, len);
}
