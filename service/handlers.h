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
void healthz_get(struct request *r);
void readyz_get(struct request *r);
void metrics_get(struct request *r);

#endif
