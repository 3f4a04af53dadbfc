#include "http/metrics.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/cache.h"
#include "store/replica.h"
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

/* One family of the pools' figures: HELP and TYPE once, then a sample per pool. */
struct pool_family {
	const char *name, *type, *help;
	int counter; /* the value is a uint64_t counter, else an int gauge */
	size_t offset;
};

#define POOL_GAUGE(n, field, h) {.name = n, .type = "gauge", .help = h, .offset = offsetof(struct db_pool_stats, field)}
#define POOL_COUNTER(n, field, h) \
	{.name = n, .type = "counter", .help = h, .counter = 1, .offset = offsetof(struct db_pool_stats, field)}

static const struct pool_family pool_families[] = {
	POOL_GAUGE("routekaart_db_pool_size", size, "Database connections the pool may hold."),
	POOL_GAUGE("routekaart_db_pool_in_use", in_use, "Database connections lent to requests now."),
	POOL_GAUGE("routekaart_db_pool_waiting", waiting, "Requests waiting for a free database connection now."),
	POOL_GAUGE("routekaart_db_pool_connected", connected, "Open database connections."),
	POOL_GAUGE("routekaart_db_reachable", reachable,
		   "1 when the last attempt to open or use a database connection succeeded, else 0."),
	POOL_COUNTER("routekaart_db_pool_timeouts_total", timeouts,
		     "Requests that found no free database connection in time (answered 503)."),
	POOL_COUNTER("routekaart_db_connect_failures_total", connect_failures, "Failed attempts to open a database connection."),
	POOL_COUNTER("routekaart_db_connects_total", resets, "Database connections opened."),
	POOL_COUNTER("routekaart_db_pool_replaced_total", replaced,
		     "Database connections closed because they were lost or broken, or opened before another was lost."),
};

static int render_pools(struct buf *b, struct db_pool *read_pool, struct db_pool *write_pool)
{
	struct db_pool_stats st[2];
	const char *names[2] = {"read", "write"};
	db_pool_get_stats(read_pool, &st[0]);
	if (write_pool)
		db_pool_get_stats(write_pool, &st[1]);
	int n = write_pool ? 2 : 1, rc = 0;
	for (size_t f = 0; f < sizeof(pool_families) / sizeof(pool_families[0]); f++) {
		const struct pool_family *pf = &pool_families[f];
		rc |= buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", pf->name, pf->help, pf->name, pf->type);
		for (int i = 0; i < n; i++) {
			const char *field = (const char *)&st[i] + pf->offset;
			unsigned long long v;
			if (pf->counter) {
				uint64_t u;
				memcpy(&u, field, sizeof(u));
				v = u;
			} else {
				int g;
				memcpy(&g, field, sizeof(g));
				v = (unsigned long long)g;
			}
			rc |= buf_printf(b, "%s{pool=\"%s\"} %llu\n", pf->name, names[i], v);
		}
	}
	return rc;
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

int metrics_render(struct buf *b, struct db_pool *read_pool, struct db_pool *write_pool, struct cache *cache)
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
	rc |= render_pools(b, read_pool, write_pool);
	/* The read replica's figures (its replay lag, routekaart_db_replica_lag_seconds) belong here,
	 * after the pools they describe; deploy/prometheus/alerts.yml already alerts on that name. */
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

int metrics_render_replica(struct buf *b, struct db_pool *read, struct db_pool *write, struct cache *cache)
{
	struct cache_stats cs = {0};
	if (cache)
		cache_stats(cache, &cs);
	int rc = buf_printf(b,
			    "# HELP routekaart_cache_standby_behind_total Answers of a standby sent but not kept, "
			    "since it had not replayed a change the cache was told of.\n"
			    "# TYPE routekaart_cache_standby_behind_total counter\n"
			    "routekaart_cache_standby_behind_total %llu\n",
			    (unsigned long long)cs.standby_behind);
	struct replica_lag lag;
	struct db_error err;
	if (store_replica_lag(read, write, &lag, &err) < 0)
		return rc ? -1 : 0; /* nothing known of the lag while the reads' server is away */
	rc |= buf_printf(b,
			 "# HELP routekaart_db_replica_standby 1 when the public reads go to a standby.\n"
			 "# TYPE routekaart_db_replica_standby gauge\nroutekaart_db_replica_standby %d\n"
			 "# HELP routekaart_db_replica_lag_seconds Age of the last transaction the standby replayed, "
			 "while it has WAL it has not replayed; 0 when caught up or on a primary.\n"
			 "# TYPE routekaart_db_replica_lag_seconds gauge\nroutekaart_db_replica_lag_seconds %.3f\n",
			 lag.standby, lag.seconds);
	if (lag.bytes_known)
		rc |= buf_printf(b,
				 "# HELP routekaart_db_replica_lag_bytes WAL the primary has written and the standby "
				 "of the public reads has not replayed.\n"
				 "# TYPE routekaart_db_replica_lag_bytes gauge\nroutekaart_db_replica_lag_bytes %llu\n",
				 (unsigned long long)lag.bytes);
	return rc ? -1 : 0;
}
