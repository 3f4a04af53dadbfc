/* A bounded pool of libpq connections shared by the worker threads.
 * A connection is used by one thread at a time: acquire, query, release. */
#ifndef RK_DB_H
#define RK_DB_H

#include <libpq-fe.h>
#include <stdint.h>

struct db_pool;

struct db_error {
	unsigned status;    /* HTTP status the failure maps to: 400, 409, 422, 500, 503 */
	char sqlstate[6];
	char constraint[64]; /* the violated constraint, for 23xxx */
	char message[256];
};

struct db_pool_stats {
	int size, in_use, connected;
	uint64_t acquired, timeouts, connect_failures, resets;
};

/* conninfo is a libpq connection string or URI; statement_timeout and application_name are added. */
struct db_pool *db_pool_new(const char *conninfo, int size, int acquire_timeout_ms,
			    int statement_timeout_ms, int connect_timeout_s);
void db_pool_free(struct db_pool *p);

/* Waits up to the acquire timeout for a free connection, opening or reopening it when needed.
 * NULL (with err->status 503) when none is free in time or the database cannot be reached. */
PGconn *db_pool_acquire(struct db_pool *p, struct db_error *err);
/* Returns a connection; a broken one is closed, to be reopened by the next acquire. */
void db_pool_release(struct db_pool *p, PGconn *c);
void db_pool_get_stats(struct db_pool *p, struct db_pool_stats *s);

/* Runs a parameterised statement (text parameters, text results). Returns a result with status
 * TUPLES_OK or COMMAND_OK (caller PQclears it), or NULL with err filled from the SQLSTATE. */
PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
		  struct db_error *err);

/* Maps a SQLSTATE to an HTTP status: 57014/08xxx/53xxx/57Pxx -> 503, class 22 -> 400,
 * 23505 -> 409, 23503/23514/23502/23P01 -> 422, anything else -> 500. */
unsigned db_sqlstate_status(const char *sqlstate);

#endif
