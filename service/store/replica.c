#include "store/replica.h"

#include <stdlib.h>
#include <string.h>

#include "store/pg.h"
#include "lib/banned.h"

/* Positions are bytes from WAL position 0/0. The seconds follow the usual rule: a standby that
 * has replayed all it received is not behind, however old its last transaction (an idle primary
 * sends none); one that has not is as far behind as its last replayed commit is old. */
static const char standby_sql[] =
	"select pg_is_in_recovery() as standby,"
	" (pg_last_wal_replay_lsn() - '0/0')::text as replayed,"
	" case when not pg_is_in_recovery()"
	"        or pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0"
	"      else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0)"
	" end::text as seconds";

static const char primary_sql[] = "select (pg_current_wal_lsn() - '0/0')::text as written";

int store_replica_lag(struct db_pool *read, struct db_pool *write, struct replica_lag *lag,
		      struct db_error *err)
{
	memset(lag, 0, sizeof(*lag));
	PGresult *res = db_run(read, standby_sql, 0, NULL, DB_READ_RETRY, err);
	if (!res)
		return -1;
	lag->standby = db_bool(res, 0, "standby");
	const char *v = db_value(res, 0, "replayed");
	uint64_t replayed = v ? strtoull(v, NULL, 10) : 0;
	v = db_value(res, 0, "seconds");
	lag->seconds = v ? strtod(v, NULL) : 0;
	PQclear(res);
	if (!lag->standby) {
		lag->bytes_known = 1;
		return 0;
	}
	struct db_error perr;
	res = db_run(write, primary_sql, 0, NULL, DB_READ_RETRY, &perr);
	if (!res)
		return 0; /* the primary is away: how far behind is not known */
	v = db_value(res, 0, "written");
	uint64_t written = v ? strtoull(v, NULL, 10) : 0;
	PQclear(res);
	lag->bytes_known = 1;
	lag->bytes = written > replayed ? written - replayed : 0;
	return 0;
}
