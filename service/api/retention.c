#include "api/retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "http/metrics.h"
#include "lib/log.h"
#include "store/retention.h"
#include "lib/banned.h"

/* One purge, logged and counted. Returns what store_retention_purge returned. */
static int purge_once(struct db_pool *pool, int days, long long *erased, struct db_error *err)
{
	int rc = store_retention_purge(pool, days, erased, err);
	char v[32];
	if (rc == 0) {
		snprintf(v, sizeof(v), "%lld", *erased);
		log_info("retention purge done", "contact_persons_erased", v);
		metrics_count_retention_purge(METRICS_PURGE_DONE, *erased, (double)time(NULL));
	} else if (rc == 1) {
		log_info("retention purge skipped: another instance is purging", NULL, NULL);
		metrics_count_retention_purge(METRICS_PURGE_SKIPPED, 0, 0);
	} else {
		log_error("retention purge failed", err->message);
		metrics_count_retention_purge(METRICS_PURGE_FAILED, 0, 0);
	}
	return rc;
}

struct retention {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	int stopping;
	int interval_s, days;
	struct db_pool *pool;
};

/* Waits until seconds have passed or the schedule is stopped; 1 when it is stopped. Called with
 * r->mu held. */
static int wait_or_stop(struct retention *r, int seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	while (!r->stopping && pthread_cond_timedwait(&r->wake, &r->mu, &until) != ETIMEDOUT)
		;
	return r->stopping;
}

static void *schedule(void *arg)
{
	struct retention *r = arg;
	int wait = r->interval_s < RETENTION_FIRST_DELAY_S ? r->interval_s : RETENTION_FIRST_DELAY_S;
	pthread_mutex_lock(&r->mu);
	while (!wait_or_stop(r, wait)) {
		pthread_mutex_unlock(&r->mu);
		long long erased;
		struct db_error err;
		purge_once(r->pool, r->days, &erased, &err);
		wait = r->interval_s;
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

struct retention *retention_start(const struct config *cfg, struct db_pool *write_pool)
{
	if (cfg->retention_purge_interval_s == 0)
		return NULL;
	struct retention *r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("retention purge not scheduled", "out of memory");
		return NULL;
	}
	r->interval_s = cfg->retention_purge_interval_s;
	r->days = cfg->retention_days;
	r->pool = write_pool;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thread, NULL, schedule, r) != 0) {
		log_error("retention purge not scheduled", "the thread could not be started");
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	char v[64];
	snprintf(v, sizeof(v), "every %d s, older than %d days", r->interval_s, r->days);
	log_info("retention purge scheduled", "schedule", v);
	return r;
}

void retention_stop(struct retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

int retention_main(int argc, char **argv, const struct config *cfg)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "usage: routekaartd purge\n");
		return 2;
	}
	struct db_pool *pool = db_pool_new(cfg->database_url, 1, cfg->db_acquire_timeout_ms,
					   cfg->db_statement_timeout_ms, cfg->db_connect_timeout_s);
	if (!pool) {
		fprintf(stderr, "routekaartd: out of memory\n");
		return 1;
	}
	long long erased;
	struct db_error err;
	int rc = purge_once(pool, cfg->retention_days, &erased, &err);
	db_pool_free(pool);
	if (rc == 0)
		printf("%lld contact person%s erased (of initiatives rejected or withdrawn more than %d days ago)\n",
		       erased, erased == 1 ? "" : "s", cfg->retention_days);
	else if (rc == 1)
		printf("nothing done: another instance is purging\n");
	return rc < 0 ? 1 : 0;
}
