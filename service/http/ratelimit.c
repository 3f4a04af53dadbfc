#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/banned.h"

#define SETS 1024
#define WAYS 8

struct entry {
	uint64_t key; /* hash of the address; 0 = free */
	double tokens;
	double at;    /* seconds, monotonic, of the last refill */
};

struct ratelimit {
	pthread_mutex_t mu;
	double per_second, burst;
	struct entry e[SETS][WAYS];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

struct ratelimit *ratelimit_new(int per_minute, int burst)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	pthread_mutex_init(&rl->mu, NULL);
	rl->per_second = per_minute / 60.0;
	rl->burst = burst > 0 ? burst : 1;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

static int take(struct ratelimit *rl, const char *key, int consume)
{
	if (rl->per_second <= 0)
		return 0;
	uint64_t h = hash(key);
	double t = now_s();
	pthread_mutex_lock(&rl->mu);
	struct entry *set = rl->e[h % SETS], *e = NULL, *oldest = &set[0];
	for (int i = 0; i < WAYS && !e; i++) {
		if (set[i].key == h)
			e = &set[i];
		else if (set[i].at < oldest->at)
			oldest = &set[i];
	}
	if (!e) {
		e = oldest;
		e->key = h;
		e->tokens = rl->burst;
		e->at = t;
	}
	e->tokens = fmin(rl->burst, e->tokens + (t - e->at) * rl->per_second);
	e->at = t;
	int wait = 0;
	if (e->tokens >= 1) {
		if (consume)
			e->tokens -= 1;
	} else {
		wait = (int)ceil((1 - e->tokens) / rl->per_second);
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->mu);
	return wait;
}

int ratelimit_take(struct ratelimit *rl, const char *key)
{
	return take(rl, key, 1);
}

int ratelimit_peek(struct ratelimit *rl, const char *key)
{
	return take(rl, key, 0);
}
