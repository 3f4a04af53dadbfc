/* Counters for /metrics (Prometheus text format). Thread-safe. */
#ifndef RK_METRICS_H
#define RK_METRICS_H

#include "lib/buf.h"
#include "store/db.h"

void metrics_count_request(unsigned status, double ms);
/* Appends the exposition text: requests, the pools (labelled pool="read" and "write"; write_pool
 * may be NULL) and the cache (may be NULL). Every family has its HELP and TYPE. */
struct cache;
int metrics_render(struct buf *b, struct db_pool *read_pool, struct db_pool *write_pool, struct cache *cache);

#endif
