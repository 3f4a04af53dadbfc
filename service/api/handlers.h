/* The request handlers, one per route (see router.c). */
#ifndef RK_HANDLERS_H
#define RK_HANDLERS_H

struct request;

void landing_get(struct request *r);
void api_get(struct request *r);
void conformance_get(struct request *r);
void collections_get(struct request *r);
void collection_get(struct request *r);
void items_get(struct request *r);
void item_get(struct request *r);
void codelists_get(struct request *r);
void clusters_get(struct request *r);
void tile_get(struct request *r);
void tilejson_get(struct request *r);
void healthz_get(struct request *r);
void readyz_get(struct request *r);
void metrics_get(struct request *r);

void submissions_post(struct request *r);
void submission_get(struct request *r);
void submission_patch(struct request *r);
void submission_delete(struct request *r);
void submission_contact_delete(struct request *r);

void admin_submissions_get(struct request *r);
void admin_submission_get(struct request *r);
void admin_submission_patch(struct request *r);
void admin_submission_action(struct request *r);
void admin_contact_delete(struct request *r);
void admin_school_contact(struct request *r);
void admin_audit_get(struct request *r);

void overviews_get(struct request *r);
void overview_region_get(struct request *r);
void coverage_get(struct request *r);
void region_contacts_get(struct request *r);

#endif
