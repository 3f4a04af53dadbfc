/* Counters for /metrics (Prometheus text format). Thread-safe. */
#ifndef RK_METRICS_H
#define RK_METRICS_H

#include "lib/buf.h"
#include "store/db.h"

void metrics_count_request(unsigned status, double ms);
/* A run of the retention purge (api/retention.c): done (erased contact persons erased, at
 * unix_time), skipped (another instance held the lock) or failed. */
enum metrics_purge { METRICS_PURGE_DONE, METRICS_PURGE_SKIPPED, METRICS_PURGE_FAILED };
void metrics_count_retention_purge(enum metrics_purge outcome, long long erased, double unix_time);
/* Appends the exposition text: requests, the pools (labelled pool="read" and "write"; write_pool
 * may be NULL), the cache (may be NULL) and the retention purge. Every family has its HELP and
 * TYPE. */
struct cache;
int metrics_render(struct buf *b, struct db_pool *read_pool, struct db_pool *write_pool, struct cache *cache);
/* Appends how far the reads' server is behind the primary (asked of both now) and how many
 * answers of a standby the cache did not keep; nothing of the lag when the reads' server does
 * not answer. */
int metrics_render_replica(struct buf *b, struct db_pool *read, struct db_pool *write, struct cache *cache);

#endif
