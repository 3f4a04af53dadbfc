#include "api/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/banned.h"

const char *const resource_item_formats[] = {"json", "geojson", NULL};
const char *const resource_json_formats[] = {"json", NULL};
const struct pspec resource_item_f_spec[1] = {
	{"f", PT_ENUM, 0, 0, resource_item_formats, NULL, NULL, 0, 0},
};
const char *const resource_item_media[] = {MEDIA_GEOJSON, MEDIA_JSON, NULL};
const char *const resource_json_media[] = {MEDIA_JSON, NULL};

#define BODY_LIMIT ((size_t)512 << 20)

const double *resource_bbox(const struct pvalue *bbox)
{
	return bbox->present ? bbox->bbox : NULL;
}

struct db_list resource_list(const struct pvalue *v)
{
	return (struct db_list){.present = v->present, .items = (const char *const *)v->items, .n = v->nitems};
}

struct page_window resource_window(const struct pvalue *vals)
{
	return (struct page_window){
		.limit = vals[P_LIMIT].present ? vals[P_LIMIT].i : 100,
		.offset = vals[P_OFFSET].present ? vals[P_OFFSET].i : 0,
	};
}

static int add_link(struct buf *b, int *first, const char *base, const char *path, const char *query,
		    const char *rel, const char *type, const char *title)
{
	int rc = buf_puts(b, *first ? "" : ",");
	*first = 0;
	rc |= buf_puts(b, "{\"href\":");
	struct buf href;
	buf_init(&href, 16384);
	rc |= buf_printf(&href, "%s%s%s%s", base, path, query && *query ? "?" : "", query ? query : "");
	rc |= buf_json_string(b, href.data ? href.data : "");
	buf_release(&href);
	rc |= buf_printf(b, ",\"rel\":\"%s\",\"type\":\"%s\"", rel, type);
	if (title) {
		rc |= buf_puts(b, ",\"title\":");
		rc |= buf_json_string(b, title);
	}
	rc |= buf_puts(b, "}");
	return rc;
}

static void send_features(struct request *r, const struct collection *c, const struct pvalue *vals,
			  const struct feature_page *pg)
{
	long matched = (long)pg->matched, returned = (long)pg->returned;
	long limit = vals[P_LIMIT].present ? vals[P_LIMIT].i : 100;
	long offset = vals[P_OFFSET].present ? vals[P_OFFSET].i : 0;
	char path[160], when[32];
	snprintf(path, sizeof(path), "/collections/%s/items", c->id);
	http_now_rfc3339(when, sizeof(when));

	struct buf b, q;
	buf_init(&b, BODY_LIMIT);
	buf_init(&q, 16384);
	int rc = 0, first = 1;
	rc |= buf_printf(&b, "{\"type\":\"FeatureCollection\",\"numberMatched\":%ld,%s\"numberReturned\":%ld,"
			     "\"timeStamp\":\"",
			 matched, pg->estimated ? "\"numberMatchedIsEstimate\":true," : "", returned);
	size_t when_off = b.len;
	rc |= buf_printf(&b, "%s\",\"links\":[", when);

	/* self keeps the parameters as given; next/prev replace only the offset. */
	rc |= query_build(&q, c->specs, vals, c->nspecs, NULL, NULL, 0);
	rc |= add_link(&b, &first, r->base_url, path, q.data, "self", MEDIA_GEOJSON, "this page");
	if (pg->keyset && pg->more) {
		/* continue after the last id: the next page does not count its way past this one */
		const char *names[] = {"offset", "after"};
		char last_id[24];
		snprintf(last_id, sizeof(last_id), "%lld", pg->last_id);
		const char *values[] = {NULL, last_id};
		buf_release(&q);
		rc |= query_build(&q, c->specs, vals, c->nspecs, names, values, 2);
		rc |= add_link(&b, &first, r->base_url, path, q.data, "next", MEDIA_GEOJSON, "next page");
	} else if (!pg->keyset && offset + returned < matched) {
		char next[24];
		snprintf(next, sizeof(next), "%ld", offset + returned);
		const char *names[] = {"offset"};
		const char *values[] = {next};
		buf_release(&q);
		rc |= query_build(&q, c->specs, vals, c->nspecs, names, values, 1);
		rc |= add_link(&b, &first, r->base_url, path, q.data, "next", MEDIA_GEOJSON, "next page");
	}
	if (offset > 0) {
		char prev[24];
		snprintf(prev, sizeof(prev), "%ld", offset > limit ? offset - limit : 0);
		const char *names[] = {"offset"};
		const char *values[] = {strcmp(prev, "0") == 0 ? NULL : prev};
		buf_release(&q);
		rc |= query_build(&q, c->specs, vals, c->nspecs, names, values, 1);
		rc |= add_link(&b, &first, r->base_url, path, q.data, "prev", MEDIA_GEOJSON, "previous page");
	}
	snprintf(path, sizeof(path), "/collections/%s", c->id);
	rc |= add_link(&b, &first, r->base_url, path, NULL, "collection", MEDIA_JSON, c->title);
	rc |= buf_puts(&b, "],\"features\":[");
	rc |= buf_append(&b, pg->features, pg->features_len);
	rc |= buf_puts(&b, "]}");
	buf_release(&q);
	resource_send_geojson(r, &b, rc, when_off, strlen(when));
}

void resource_send_geojson(struct request *r, struct buf *b, int rc, size_t when_off, size_t when_len)
{
	if (rc) {
		buf_release(b);
		http_problem(r, 500, "internal-error", "the response could not be built");
		return;
	}
	size_t len;
	char *body = buf_detach(b, &len);
	http_ok(r, MEDIA_GEOJSON, body, len);
	http_etag_ignore(r, when_off, when_len);
}

void resource_unknown_regions(struct request *r, const char *codes)
{
	char message[200];
	snprintf(message, sizeof(message), "no region has the code %.120s", codes);
	http_problem_param(r, "region", "unknown_region", message);
}

static void send_feature(struct request *r, const struct collection *c, const char *id,
			 const char *feature, size_t len)
{
	/* The database renders {"type":"Feature",...}; the links go in before its final brace. */
	if (len < 2 || feature[len - 1] != '}') {
		http_problem(r, 500, "internal-error", "the feature could not be rendered");
		return;
	}
	struct buf b, path;
	buf_init(&b, BODY_LIMIT);
	buf_init(&path, 4096);
	int rc = buf_append(&b, feature, len - 1);
	int first = 1;
	rc |= buf_puts(&b, ",\"links\":[");
	rc |= buf_printf(&path, "/collections/%s/items/", c->id);
	for (const char *p = id; *p; p++) /* ids are codes or numbers; encode anything else */
		rc |= (strchr("\"\\/?#%", *p) || (unsigned char)*p < 0x21) ? buf_printf(&path, "%%%02X", (unsigned char)*p)
							       : buf_append(&path, p, 1);
	rc |= add_link(&b, &first, r->base_url, path.data, NULL, "self", MEDIA_GEOJSON, "this feature");
	buf_release(&path);
	rc |= buf_printf(&path, "/collections/%s", c->id);
	rc |= add_link(&b, &first, r->base_url, path.data, NULL, "collection", MEDIA_JSON, c->title);
	rc |= buf_puts(&b, "]}");
	buf_release(&path);
	if (rc) {
		buf_release(&b);
		http_problem(r, 500, "internal-error", "the response could not be built");
		return;
	}
	size_t blen;
	char *body = buf_detach(&b, &blen);
	http_ok(r, MEDIA_GEOJSON, body, blen);
}

void resource_send_page(struct request *r, const struct collection *c, const struct pvalue *vals, int rc,
			const struct db_error *err, struct feature_page *pg)
{
	if (rc < 0) {
		http_problem_db(r, err);
		return;
	}
	if (pg->unknown_regions)
		resource_unknown_regions(r, pg->unknown_regions);
	else
		send_features(r, c, vals, pg);
	feature_page_release(pg);
}

void resource_send_one(struct request *r, const struct collection *c, const char *id, int rc,
		       const struct db_error *err, struct feature_text *f, const char *what)
{
	if (rc < 0) {
		http_problem_db(r, err);
	} else if (!f->text) {
		char detail[160];
		snprintf(detail, sizeof(detail), "there is no %s '%.40s'", what, id);
		http_problem(r, 404, "not-found", detail);
	} else {
		send_feature(r, c, id, f->text, f->len);
	}
	free(f->text);
	f->text = NULL;
}

/* Parameters of resources that take none but the format. */
static const struct pspec json_only_specs[] = {
	{"f", PT_ENUM, 0, 0, resource_json_formats, NULL, NULL, 0, 0},
};

int resource_json_only(struct request *r)
{
	struct pvalue v[1];
	struct perrors errs;
	if (query_validate(&r->target, json_only_specs, 1, v, &errs)) {
		http_problem_params(r, &errs);
		return -1;
	}
	return http_negotiate(r, &v[0], resource_json_formats, resource_json_media) < 0 ? -1 : 0;
}
