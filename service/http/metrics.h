/* Counters for /metrics (Prometheus text format). Thread-safe. */
#ifndef RK_METRICS_H
#define RK_METRICS_H

#include "lib/buf.h"
#include "store/db.h"

void metrics_count_request(unsigned status, double ms);
/* Appends the exposition text. */
struct cache;
int metrics_render(struct buf *b, struct db_pool *pool, struct cache *cache);

#endif
