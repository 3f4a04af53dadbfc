/* How far the database of the public reads is behind the primary, for /metrics. */
#ifndef RK_STORE_REPLICA_H
#define RK_STORE_REPLICA_H

#include <stdint.h>

#include "store/db.h"

struct replica_lag {
	int standby;        /* the read pool's server is a standby (in recovery) */
	int bytes_known;    /* 0 when the primary did not say where its WAL is */
	uint64_t bytes;     /* WAL the primary has written and the standby not yet replayed */
	double seconds;     /* while the standby has received WAL it has not replayed: the age of the
			     * last transaction it replayed; else 0 */
};

/* Asks the read pool's server (and, for a standby, the write pool's) where their WAL stands;
 * both 0 when the reads go to a primary. Returns 0, or -1 with err filled when the read pool's
 * server did not answer. */
int store_replica_lag(struct db_pool *read, struct db_pool *write, struct replica_lag *lag,
		      struct db_error *err);

#endif
