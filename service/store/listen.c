#include "store/listen.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/pg.h"
#include "lib/banned.h"

struct db_listener {
	PGconn *conn; /* never NULL; CONNECTION_BAD when it could not be made or broke */
};

static const char listen_sql[] = "listen routekaart_changed";

static const char ping_sql[] = "select 1";

/* The primary's WAL insert position, with the sizes of a WAL page and segment. Asked after a
 * notification has arrived, so after the commit that sent it: the commit record lies below it
 * (the write position could still be below an asynchronous commit's record). */
static const char position_sql[] =
	"select (pg_current_wal_insert_lsn() - '0/0')::text as inserted,"
	" current_setting('wal_block_size') as page,"
	" pg_size_bytes(current_setting('wal_segment_size'))::text as segment";

static const char midnight_sql[] = "select seconds from api.seconds_to_midnight()";

struct db_listener *db_listener_new(const char *conninfo, int connect_timeout_s)
{
	struct db_listener *l = malloc(sizeof(*l));
	if (!l)
		return NULL;
	char timeout[16];
	snprintf(timeout, sizeof(timeout), "%d", connect_timeout_s);
	const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
	const char *vals[] = {conninfo, "routekaartd-cache", timeout, NULL};
	l->conn = PQconnectdbParams(keys, vals, 1);
	if (!l->conn) {
		free(l);
		return NULL;
	}
	return l;
}

void db_listener_free(struct db_listener *l)
{
	if (!l)
		return;
	PQfinish(l->conn);
	free(l);
}

int db_listener_connected(const struct db_listener *l)
{
	return PQstatus(l->conn) == CONNECTION_OK;
}

const char *db_listener_error(const struct db_listener *l)
{
	return PQerrorMessage(l->conn);
}

/* Runs a statement without parameters: 1 when its result has the status wanted, else 0. */
static int run(struct db_listener *l, const char *sql, ExecStatusType wanted)
{
	PGresult *res = PQexecParams(l->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
	int ok = PQresultStatus(res) == wanted;
	PQclear(res);
	return ok;
}

int db_listener_start(struct db_listener *l)
{
	return run(l, listen_sql, PGRES_COMMAND_OK) ? 0 : -1;
}

int db_listener_fd(const struct db_listener *l)
{
	return PQsocket(l->conn);
}

int db_listener_consume(struct db_listener *l)
{
	if (!PQconsumeInput(l->conn))
		return -1;
	int n = 0;
	PGnotify *note;
	while ((note = PQnotifies(l->conn)) != NULL) {
		n++;
		PQfreemem(note);
	}
	return n;
}

int db_listener_ping(struct db_listener *l)
{
	return run(l, ping_sql, PGRES_TUPLES_OK) ? 0 : -1;
}

int db_listener_seconds_to_midnight(struct db_listener *l, double *seconds)
{
	PGresult *res = PQexecParams(l->conn, midnight_sql, 0, NULL, NULL, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok) {
		const char *v = db_value(res, 0, "seconds");
		*seconds = v ? strtod(v, NULL) : 0;
	}
	PQclear(res);
	return ok ? 0 : -1;
}

/* Without this, an idle primary whose WAL ends at a page boundary would seem ahead of a standby
 * that has replayed everything, and nothing of the standby's would be cached until more WAL came. */
uint64_t db_wal_record_end(uint64_t inserted, uint64_t page, uint64_t segment)
{
	if (page == 0 || segment == 0)
		return inserted;
	uint64_t off = inserted % page;
	if (off == 24 || (off == 40 && (inserted - off) % segment == 0))
		return inserted - off;
	return inserted;
}

int db_listener_position(struct db_listener *l, uint64_t *position)
{
	PGresult *res = PQexecParams(l->conn, position_sql, 0, NULL, NULL, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok) {
		const char *v = db_value(res, 0, "inserted"), *page = db_value(res, 0, "page"),
			   *segment = db_value(res, 0, "segment");
		ok = v && page && segment;
		if (ok)
			*position = db_wal_record_end(strtoull(v, NULL, 10), strtoull(page, NULL, 10),
						      strtoull(segment, NULL, 10));
	}
	PQclear(res);
	return ok ? 0 : -1;
}
