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

static void items(struct request *r, const struct collection *c, struct pvalue *v)
{
	struct school_filter f = {
		.bbox = resource_bbox(&v[P_BBOX]),
		.region = resource_list(&v[P_REGION]),
		.brin = resource_list(&v[P_BRIN]),
		.vmbo = v[P_VMBO].present ? v[P_VMBO].raw : NULL,
		.q = v[P_Q].present ? v[P_Q].raw : NULL,
	};
	struct page_window w = resource_window(v);
	struct feature_page pg;
	struct db_error err;
	int rc = store_school_page(r->app->pool, &f, &w, &pg, &err);
	resource_send_page(r, c, v, rc, &err, &pg);
}

static void item(struct request *r, const struct collection *c, const char *id, struct pvalue *v)
{
	(void)v;
	int ok = strlen(id) == 6;
	for (size_t i = 0; ok && i < 6; i++)
		ok = (i == 2 || i == 3) ? isupper((unsigned char)id[i]) : isdigit((unsigned char)id[i]);
	struct feature_text f = {0};
	struct db_error err;
	int rc = ok ? store_school_feature(r->app->pool, id, &f, &err) : 0;
	resource_send_one(r, c, id, rc, &err, &f, "school location with vestigingscode");
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
