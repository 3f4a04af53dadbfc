/* A connection of its own that listens for committed changes: the triggers NOTIFY
 * routekaart_changed, and whoever holds a listener learns of it by polling its descriptor. One
 * thread uses a listener at a time. What to do on a change, a broken connection or a failure to
 * connect is the holder's to decide; this file only speaks to the database. */
#ifndef RK_STORE_LISTEN_H
#define RK_STORE_LISTEN_H

#include <stdint.h>

struct db_listener;

/* Connects to conninfo (a connection string or URI, as for the pool) as application
 * "routekaartd-cache", waiting up to connect_timeout_s. Returns a new listener, which the caller
 * frees with db_listener_free whether or not it connected; NULL only when out of memory. */
struct db_listener *db_listener_new(const char *conninfo, int connect_timeout_s);
void db_listener_free(struct db_listener *l);

/* 1 when the connection was made and has not broken since, else 0. */
int db_listener_connected(const struct db_listener *l);
/* What went wrong last, as libpq says it (may end with a newline); borrowed from l, valid until
 * its next call. */
const char *db_listener_error(const struct db_listener *l);

/* Sends LISTEN routekaart_changed: 0, or -1 (see db_listener_error). */
int db_listener_start(struct db_listener *l);
/* The descriptor to poll for input (readable: a notification or the connection's end). */
int db_listener_fd(const struct db_listener *l);
/* Reads what has arrived: the number of notifications among it (0 or more), or -1 when the
 * connection broke. */
int db_listener_consume(struct db_listener *l);
/* Whether the connection still answers a query: 0, or -1. */
int db_listener_ping(struct db_listener *l);
/* Where the primary's WAL ends now (bytes from position 0/0), into *position: every transaction
 * committed before the call lies below it. 0, or -1 when the database did not say. A standby that
 * has replayed up to it (db_reads_position) answers with every change notified so far. */
int db_listener_position(struct db_listener *l, uint64_t *position);
/* Where the last WAL record ends, given the insert position (both in bytes from 0/0) and the
 * sizes of a WAL page and segment: the insert position of a WAL that ends exactly at a page
 * boundary lies past the next page's header (24 bytes; 40 at the start of a segment), while a
 * standby that has replayed all of it reports the boundary. Pure; exposed for tests. */
uint64_t db_wal_record_end(uint64_t inserted, uint64_t page, uint64_t segment);
/* Seconds from now to the next midnight in Europe/Amsterdam, from the database's time zone data,
 * into *seconds: 0, or -1 when the database did not say. */
int db_listener_seconds_to_midnight(struct db_listener *l, double *seconds);

#endif
