#include "metrics.h"

#include <stdatomic.h>
#include <stdint.h>

#include "banned.h"

static _Atomic uint64_t by_class[6];      /* 1xx..5xx, index = status / 100 */
static _Atomic uint64_t duration_us_total;
static _Atomic uint64_t buckets[7];       /* <=1, 5, 10, 50, 100, 500 ms, +Inf */
static const double bucket_ms[] = {1, 5, 10, 50, 100, 500};

void metrics_count_request(unsigned status, double ms)
{
	unsigned cls = status / 100;
	if (cls > 5)
		cls = 5;
	atomic_fetch_add(&by_class[cls], 1);
	atomic_fetch_add(&duration_us_total, (uint64_t)(ms * 1000));
	for (int i = 0; i < 6; i++)
		if (ms <= bucket_ms[i])
			atomic_fetch_add(&buckets[i], 1);
	atomic_fetch_add(&buckets[6], 1);
}

int metrics_render(struct buf *b, struct db_pool *pool)
{
	int rc = 0;
	rc |= buf_puts(b, "# HELP routekaart_http_requests_total HTTP requests answered, by status class.\n"
			  "# TYPE routekaart_http_requests_total counter\n");
	for (unsigned c = 1; c <= 5; c++)
		rc |= buf_printf(b, "routekaart_http_requests_total{code=\"%uxx\"} %llu\n", c,
				 (unsigned long long)atomic_load(&by_class[c]));
	rc |= buf_puts(b, "# HELP routekaart_http_request_duration_seconds Time from request line to response.\n"
			  "# TYPE routekaart_http_request_duration_seconds histogram\n");
	for (int i = 0; i < 6; i++)
		rc |= buf_printf(b, "routekaart_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				 bucket_ms[i] / 1000, (unsigned long long)atomic_load(&buckets[i]));
	rc |= buf_printf(b, "routekaart_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			 (unsigned long long)atomic_load(&buckets[6]));
	rc |= buf_printf(b, "routekaart_http_request_duration_seconds_sum %.6f\n",
			 (double)atomic_load(&duration_us_total) / 1e6);
	rc |= buf_printf(b, "routekaart_http_request_duration_seconds_count %llu\n",
			 (unsigned long long)atomic_load(&buckets[6]));
	struct db_pool_stats s;
	db_pool_get_stats(pool, &s);
	rc |= buf_printf(b,
			 "# HELP routekaart_db_pool_size Database connections the pool may hold.\n"
			 "# TYPE routekaart_db_pool_size gauge\nroutekaart_db_pool_size %d\n"
			 "# HELP routekaart_db_pool_in_use Database connections lent to requests now.\n"
			 "# TYPE routekaart_db_pool_in_use gauge\nroutekaart_db_pool_in_use %d\n"
			 "# HELP routekaart_db_pool_connected Open database connections.\n"
			 "# TYPE routekaart_db_pool_connected gauge\nroutekaart_db_pool_connected %d\n"
			 "# HELP routekaart_db_pool_timeouts_total Requests that found no free connection in time.\n"
			 "# TYPE routekaart_db_pool_timeouts_total counter\nroutekaart_db_pool_timeouts_total %llu\n"
			 "# HELP routekaart_db_connect_failures_total Failed attempts to open a database connection.\n"
			 "# TYPE routekaart_db_connect_failures_total counter\nroutekaart_db_connect_failures_total %llu\n"
			 "# HELP routekaart_db_connects_total Database connections opened.\n"
			 "# TYPE routekaart_db_connects_total counter\nroutekaart_db_connects_total %llu\n",
			 s.size, s.in_use, s.connected, (unsigned long long)s.timeouts,
			 (unsigned long long)s.connect_failures, (unsigned long long)s.resets);
	return rc ? -1 : 0;
}
