/* For the store's own files only: connections of the pool, running statements, and reading their
 * results by column name. This is the one header that brings in libpq; nothing above the store
 * includes it. */
#ifndef RK_PG_H
#define RK_PG_H

#include <libpq-fe.h>
#include <stddef.h>

#include "store/db.h"

/* Waits up to the acquire timeout for a free connection, opening or reopening it when needed: a
 * connection the server has closed, or one opened before another was found lost, is replaced
 * before it is handed out. NULL (with err->status 503) when none is free in time or the database
 * cannot be reached. */
PGconn *db_pool_acquire(struct db_pool *p, struct db_error *err);
/* Returns a connection; a broken one is closed, to be reopened by the next acquire. */
void db_pool_release(struct db_pool *p, PGconn *c);

/* Runs a parameterised statement (text parameters, text results). Returns a result with status
 * TUPLES_OK or COMMAND_OK (caller PQclears it), or NULL with err filled from the SQLSTATE. */
PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
		  struct db_error *err);

enum db_retry { DB_ONCE, DB_READ_RETRY };
/* Runs sql on a connection of the pool. DB_READ_RETRY: a read that failed because its connection
 * was lost (the database restarted, failed over) is sent once more on a connection opened after
 * the loss; writes use DB_ONCE, since the first may have committed before the break (acquire does
 * not hand out a connection it can see is dead, so a write is not sent on one). Either kind is
 * run once more after a serialization failure or deadlock (40001, 40P01), which rolled it back.
 * NULL with err filled on failure. */
PGresult *db_run(struct db_pool *pool, const char *sql, int n, const char *const *params,
		 enum db_retry retry, struct db_error *err);

/* Runs sql, which returns at most one row, on the pool and copies that row's value of column into
 * *out (malloc'd, the caller frees it; NULL for SQL NULL), its length into *len when len is not
 * NULL. Returns 0, 1 when there is no row (*out NULL), or -1 with err filled. */
int db_run_text(struct db_pool *pool, const char *sql, int n, const char *const *params,
		enum db_retry retry, const char *column, char **out, size_t *len, struct db_error *err);
/* The same for a short value (a word, a boolean): copied into dst (size bytes, cut to fit; "" for
 * SQL NULL and when there is no row). Returns 0, or -1 with err filled. */
int db_run_word(struct db_pool *pool, const char *sql, int n, const char *const *params,
		enum db_retry retry, const char *column, char *dst, size_t size, struct db_error *err);

/* Columns are found by name; a statement's columns are fixed by sql/api, so a missing one is a
 * programming error (asserted). */
/* The value in row, column name: NULL for SQL NULL (borrowed from res). */
const char *db_value(const PGresult *res, int row, const char *column);
/* Its length in bytes (0 for NULL). */
size_t db_length(const PGresult *res, int row, const char *column);
/* A malloc'd copy of the value (*len its length when len is not NULL); NULL for SQL NULL. Sets
 * *oom when the copy could not be made. */
char *db_copy(const PGresult *res, int row, const char *column, size_t *len, int *oom);
/* true ("t") -> 1, false or NULL -> 0 */
int db_bool(const PGresult *res, int row, const char *column);
/* A whole number (0 for NULL). */
long long db_int(const PGresult *res, int row, const char *column);
/* Parameters as PostgreSQL reads them. A list as an array literal ({"a","b"}), NULL when the list
 * is not present or memory ran out (*oom set); the caller frees it. */
char *db_array_literal(const struct db_list *list, int *oom);
/* A bbox (minlon, minlat, maxlon, maxlat) as a float8[] literal into dst (128 bytes), or NULL
 * when bbox is NULL. */
const char *db_bbox_literal(const double *bbox, char dst[128]);

/* Fills err for a failure that is not the database's (e.g. out of memory): status 500. */
void db_fail(struct db_error *err, const char *message);

#endif
