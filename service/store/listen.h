/* A connection of its own that listens for committed changes: the triggers NOTIFY
 * routekaart_changed, and whoever holds a listener learns of it by polling its descriptor. One
 * thread uses a listener at a time. What to do on a change, a broken connection or a failure to
 * connect is the holder's to decide; this file only speaks to the database. */
#ifndef RK_STORE_LISTEN_H
#define RK_STORE_LISTEN_H

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
/* Seconds from now to the next midnight in Europe/Amsterdam, from the database's time zone data,
 * into *seconds: 0, or -1 when the database did not say. */
int db_listener_seconds_to_midnight(struct db_listener *l, double *seconds);

#endif
