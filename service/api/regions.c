/* The region collections: CBS divisions with the number of published initiatives in each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/resource.h"
#include "lib/banned.h"

enum { P_SIMPLIFY = 4, NPARAMS };

static const struct pspec specs[] = {
	ITEMS_COMMON_SPECS,
	{"simplify", PT_NUMBER, 0, 0.1, NULL, NULL, NULL, 0, 0},
};

static void items(struct request *r, const struct collection *c, struct pvalue *v)
{
	struct page_window w = resource_window(v);
	double simplify = v[P_SIMPLIFY].present ? v[P_SIMPLIFY].num : 0.0;
	struct feature_page pg;
	struct db_error err;
	int rc = store_region_page(r->app->pool, c->region_type, simplify, resource_bbox(&v[P_BBOX]), &w, &pg,
				   &err);
	resource_send_page(r, c, v, rc, &err, &pg);
}

static const struct pspec item_specs[] = {
	{"f", PT_ENUM, 0, 0, resource_item_formats, NULL, NULL, 0, 0},
	{"simplify", PT_NUMBER, 0, 0.1, NULL, NULL, NULL, 0, 0},
};

static void item(struct request *r, const struct collection *c, const char *id, struct pvalue *v)
{
	char what[64];
	snprintf(what, sizeof(what), "%s with code", c->region_type);
	double simplify = v[1].present ? v[1].num : 0.0;
	struct feature_text f = {0};
	struct db_error err;
	int rc = query_is_region_code(id)
			 ? store_region_feature(r->app->pool, c->region_type, simplify, id, &f, &err)
			 : 0;
	resource_send_one(r, c, id, rc, &err, &f, what);
}

#define REGION_COLLECTION(type_, title_, what_)                                                    \
	{                                                                                          \
		.id = "regions-" type_, .title = title_,                                           \
		.description = what_ " (CBS 2025), with the number of published initiatives in "   \
				     "each. Source: CBS, PDOK (CC BY 4.0).",                       \
		.region_type = type_, .specs = specs, .nspecs = NPARAMS, .items = items,           \
		.item_specs = item_specs, .nitem_specs = 2, .item = item,                          \
	}

const struct collection regions_collections[4] = {
	REGION_COLLECTION("provincie", "Provincies", "The 12 provinces"),
	REGION_COLLECTION("arbeidsmarktregio", "Arbeidsmarktregio's", "The 35 labour market regions"),
	REGION_COLLECTION("rmc", "RMC-regio's", "The 40 RMC regions (regionale meld- en coordinatiepunten)"),
	REGION_COLLECTION("gemeente", "Gemeenten", "The 342 municipalities"),
};
