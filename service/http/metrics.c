#include "http/metrics.h"

#include <stdatomic.h>
#include <stdint.h>

#include "http/cache.h"
#include "lib/banned.h"

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

static _Atomic uint64_t purge_runs[3];    /* by enum metrics_purge */
static _Atomic uint64_t purge_erased;
static _Atomic uint64_t purge_last_success; /* unix seconds; 0 = none yet */

void metrics_count_retention_purge(enum metrics_purge outcome, long long erased, double unix_time)
{
	atomic_fetch_add(&purge_runs[outcome], 1);
	if (outcome == METRICS_PURGE_DONE) {
		atomic_fetch_add(&purge_erased, (uint64_t)erased);
		atomic_store(&purge_last_success, (uint64_t)unix_time);
	}
}

static int render_retention_purge(struct buf *b)
{
	return buf_printf(b,
			  "# HELP routekaart_retention_purge_runs_total Runs of the retention purge, by outcome (skipped: another instance was purging).\n"
			  "# TYPE routekaart_retention_purge_runs_total counter\n"
			  "routekaart_retention_purge_runs_total{outcome=\"done\"} %llu\n"
			  "routekaart_retention_purge_runs_total{outcome=\"skipped\"} %llu\n"
			  "routekaart_retention_purge_runs_total{outcome=\"failed\"} %llu\n"
			  "# HELP routekaart_retention_purge_erased_total Contact persons erased by the retention purge.\n"
			  "# TYPE routekaart_retention_purge_erased_total counter\nroutekaart_retention_purge_erased_total %llu\n"
			  "# HELP routekaart_retention_purge_last_success_timestamp_seconds When this instance last completed a purge (0: not yet).\n"
			  "# TYPE routekaart_retention_purge_last_success_timestamp_seconds gauge\n"
			  "routekaart_retention_purge_last_success_timestamp_seconds %llu\n",
			  (unsigned long long)atomic_load(&purge_runs[METRICS_PURGE_DONE]),
			  (unsigned long long)atomic_load(&purge_runs[METRICS_PURGE_SKIPPED]),
			  (unsigned long long)atomic_load(&purge_runs[METRICS_PURGE_FAILED]),
			  (unsigned long long)atomic_load(&purge_erased),
			  (unsigned long long)atomic_load(&purge_last_success));
}

int metrics_render(struct buf *b, struct db_pool *pool, struct cache *cache)
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
	if (cache) {
		struct cache_stats cs;
		cache_stats(cache, &cs);
		rc |= buf_printf(b,
				 "# HELP routekaart_cache_requests_total Public reads looked up in the response cache, by outcome.\n"
				 "# TYPE routekaart_cache_requests_total counter\n"
				 "routekaart_cache_requests_total{outcome=\"hit\"} %llu\n"
				 "routekaart_cache_requests_total{outcome=\"miss\"} %llu\n"
				 "routekaart_cache_requests_total{outcome=\"stale\"} %llu\n"
				 "# HELP routekaart_cache_stores_total Responses put in the cache.\n"
				 "# TYPE routekaart_cache_stores_total counter\nroutekaart_cache_stores_total %llu\n"
				 "# HELP routekaart_cache_evictions_total Entries dropped for room.\n"
				 "# TYPE routekaart_cache_evictions_total counter\nroutekaart_cache_evictions_total %llu\n"
				 "# HELP routekaart_cache_invalidations_total Changes that made every entry stale.\n"
				 "# TYPE routekaart_cache_invalidations_total counter\nroutekaart_cache_invalidations_total %llu\n"
				 "# HELP routekaart_cache_entries Responses in the cache.\n"
				 "# TYPE routekaart_cache_entries gauge\nroutekaart_cache_entries %llu\n"
				 "# HELP routekaart_cache_bytes Memory the cached responses take.\n"
				 "# TYPE routekaart_cache_bytes gauge\nroutekaart_cache_bytes %llu\n"
				 "# HELP routekaart_cache_max_bytes The cap on that memory.\n"
				 "# TYPE routekaart_cache_max_bytes gauge\nroutekaart_cache_max_bytes %llu\n"
				 "# HELP routekaart_cache_listening 1 while changes in the database are being listened for.\n"
				 "# TYPE routekaart_cache_listening gauge\nroutekaart_cache_listening %d\n",
				 (unsigned long long)cs.hits, (unsigned long long)cs.misses,
				 (unsigned long long)cs.stale_served, (unsigned long long)cs.stores,
				 (unsigned long long)cs.evictions, (unsigned long long)cs.invalidations,
				 (unsigned long long)cs.entries, (unsigned long long)cs.bytes,
				 (unsigned long long)cs.max_bytes, cs.listening);
	}
	rc |= render_retention_purge(b);
	return rc ? -1 : 0;
}
