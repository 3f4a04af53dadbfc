/* The database as the layers above the store see it: a bounded pool of connections shared by the
 * worker threads, and the errors a store call reports. The store's own files run statements
 * through store/pg.h; nothing above the store sees libpq. */
#ifndef RK_DB_H
#define RK_DB_H

#include <stddef.h>
#include <stdint.h>

struct db_pool;

struct db_error {
	unsigned status;    /* HTTP status the failure maps to: 400, 409, 422, 500, 503 */
	char sqlstate[6];
	char constraint[64]; /* the violated constraint, for 23xxx */
	char message[256];
};

struct db_pool_stats {
	int size, in_use, connected, waiting;
	int reachable; /* 1 when the last attempt to open or use a connection succeeded */
	/* resets: connections opened; replaced: connections closed because they were lost, broken or
	 * suspect (opened before another was found lost) */
	uint64_t acquired, timeouts, connect_failures, resets, replaced;
};

/* conninfo is a libpq connection string or URI; statement_timeout and application_name are added. */
struct db_pool *db_pool_new(const char *conninfo, int size, int acquire_timeout_ms,
			    int statement_timeout_ms, int connect_timeout_s);
void db_pool_free(struct db_pool *p);
/* Asks the database to cancel the statement each connection now checked out is running (the
 * request using it then gets SQLSTATE 57014); returns how many were asked. For a stop whose grace
 * has run out: a statement held by a lock would otherwise keep its request, and the stop, waiting. */
int db_pool_cancel_busy(struct db_pool *p);

/* For a pool whose connection string prefers a standby (target_session_attrs=prefer-standby,
 * a standby listed before the primary): a connection that found only the primary is reopened
 * when it is taken after seconds, so the reads return to the standby when it is back. Nothing
 * for any other pool. Call before the pool is shared. */
void db_pool_retry_standby(struct db_pool *p, int seconds);

/* Whether the database answers a query on a connection of the pool: 0, or -1 with err filled. */
int db_pool_ready(struct db_pool *p, struct db_error *err);
void db_pool_get_stats(struct db_pool *p, struct db_pool_stats *s);

/* The values of a list parameter (e.g. region=AM13,AM14); present = 0: no such filter. */
struct db_list {
	int present;
	const char *const *items; /* borrowed */
	size_t n;
};

/* How current a request's reads are. A standby (a DATABASE_READ_URL server in recovery) answers
 * from what it has replayed, which may be behind a change the primary already reported. The store
 * notes, per thread, the lowest WAL position (bytes from 0/0) a standby had replayed before each
 * read it answered since db_reads_begin(); db_reads_position() returns it, or 0 when every read
 * went to a primary, whose answers include every committed change. Reads on a primary cost
 * nothing more; a read on a standby costs one round trip more. */
void db_reads_begin(void);
uint64_t db_reads_position(void);

/* Maps a SQLSTATE to an HTTP status: class 22 -> 400, 23505 -> 409, the rest of class 23 -> 422,
 * anything else (and no SQLSTATE: the connection failed) -> 503. Nothing the database does is a
 * 500. */
unsigned db_sqlstate_status(const char *sqlstate);

#endif
