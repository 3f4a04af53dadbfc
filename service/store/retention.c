#include "store/retention.h"

#include <stdio.h>

#include "store/pg.h"
#include "lib/banned.h"

/* One statement is one transaction: the lock is taken before the purge starts (CASE evaluates its
 * branch only when the condition holds) and let go at its commit. NULL means the lock was held. */
static const char PURGE_SQL[] =
	"select case when pg_try_advisory_xact_lock(hashtext('routekaart.retention_purge'))"
	" then api.retention_purge(make_interval(days => $1::int)) end as erased";

int store_retention_purge(struct db_pool *pool, int older_than_days, long long *erased, struct db_error *err)
{
	char days[16];
	snprintf(days, sizeof(days), "%d", older_than_days);
	const char *params[1] = {days};
	*erased = 0;
	PGresult *res = db_run(pool, PURGE_SQL, 1, params, DB_ONCE, err);
	if (!res)
		return -1;
	int rc = db_value(res, 0, "erased") ? 0 : 1;
	*erased = db_int(res, 0, "erased");
	PQclear(res);
	return rc;
}
