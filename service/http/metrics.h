/* Counters for /metrics (Prometheus text format). Thread-safe. */
#ifndef RK_METRICS_H
#define RK_METRICS_H

#include "lib/buf.h"
#include "store/db.h"

void metrics_count_request(unsigned status, double ms);
/* Appends the exposition text. */
struct cache;
int metrics_render(struct buf *b, struct db_pool *pool, struct cache *cache);
/* Appends how far the reads' server is behind the primary (asked of both now) and how many
 * answers of a standby the cache did not keep; nothing of the lag when the reads' server does
 * not answer. */
int metrics_render_replica(struct buf *b, struct db_pool *read, struct db_pool *write, struct cache *cache);

#endif
