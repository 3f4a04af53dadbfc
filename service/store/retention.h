/* The AVG retention purge: api.retention_purge erases the contact persons of initiatives rejected
 * or withdrawn longer ago than the retention period. Several instances of the service may run it
 * on their schedules; a transaction-scoped advisory lock lets one purge at a time, and the others
 * skip their turn rather than wait. */
#ifndef RK_STORE_RETENTION_H
#define RK_STORE_RETENTION_H

#include "store/db.h"

/* Runs api.retention_purge(older_than_days days) on a connection of pool (the write role), sent
 * once, holding the advisory lock 'routekaart.retention_purge' for its transaction. Returns 0 with
 * the number of contact persons erased in *erased; 1 when another session holds the lock (nothing
 * was done, *erased is 0); -1 with err filled. */
int store_retention_purge(struct db_pool *pool, int older_than_days, long long *erased, struct db_error *err);

#endif
