/* Counters for /metrics (Prometheus text format). Thread-safe. */
#ifndef RK_METRICS_H
#define RK_METRICS_H

#include "buf.h"
#include "db.h"

void metrics_count_request(unsigned status, double ms);
/* Appends the exposition text. */
struct cache;
int metrics_render(struct buf *b, struct db_pool *pool, struct cache *cache);

#endif
