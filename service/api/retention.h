/* The AVG retention purge, scheduled: a thread of the server runs it every
 * RETENTION_PURGE_INTERVAL seconds, and `routekaartd purge` runs it once (for a timer or by hand).
 * Each run is logged and counted on /metrics. */
#ifndef RK_RETENTION_H
#define RK_RETENTION_H

#include "lib/config.h"
#include "store/db.h"

struct retention;

/* The first purge comes one interval after start, or this many seconds after it when the interval
 * is longer: a server restarted more often than its interval still purges, and one that lives a
 * few minutes (a test, a release rolled back) does not. */
#define RETENTION_FIRST_DELAY_S 600

/* Starts the schedule on write_pool (borrowed; it outlives the schedule): a purge of what is older
 * than cfg->retention_days every cfg->retention_purge_interval_s seconds, the first as above.
 * NULL when the interval is 0 (no schedule) or the thread could not be started (logged). */
struct retention *retention_start(const struct config *cfg, struct db_pool *write_pool);
/* Stops the schedule, waiting for a purge under way to end; NULL is nothing to stop. */
void retention_stop(struct retention *r);

/* routekaartd purge: one purge on a connection of its own to DATABASE_URL. argv starts after
 * "purge". Returns the exit status: 0 when done or when another instance was purging, 1 when
 * the purge failed, 2 on a bad argument. */
int retention_main(int argc, char **argv, const struct config *cfg);

#endif
