/* Structured logging: one JSON object per line on stderr. */
#ifndef RK_LOG_H
#define RK_LOG_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

void log_set_quiet(int quiet); /* 1: only errors */
void log_info(const char *msg, const char *key, const char *value);
void log_error(const char *msg, const char *detail);
/* What one line per request says. */
struct log_request {
	const char *id;     /* the request id, also sent as X-Request-Id */
	const char *method;
	const char *target; /* as sent: logged as its path and its query, with secret-looking values hidden */
	unsigned status;
	size_t bytes;       /* of the body sent */
	double duration_ms;
	const char *remote; /* the client's address */
};
/* One JSON line: ts, level (error for a 5xx), msg "request", request_id, method, path, query (when
 * there is one), status, bytes, ms, remote. */
void log_request(const struct log_request *q);

/* A message that can come thousands of times a second (the database down, a connection flood):
 * the first of a run is logged, then at most one line per LOG_THROTTLE_S seconds, and the
 * occurrences in between are counted instead. */
#define LOG_THROTTLE_S 10
struct log_throttle {
	pthread_mutex_t mu;
	char key[512];          /* what the run is of */
	int active;             /* a run is on */
	time_t logged_at;       /* monotonic seconds of its last line */
	unsigned long unlogged; /* occurrences since that line */
};
#define LOG_THROTTLE_INIT {.mu = PTHREAD_MUTEX_INITIALIZER}
/* Counts one occurrence of key; 1 when it is to be logged now: it starts a run (no run is on, or
 * the run is of another key) or LOG_THROTTLE_S seconds have passed since the run's last line.
 * *unlogged then gets the occurrences that were not logged since that line (of the run before,
 * when another key starts one). */
int log_throttle(struct log_throttle *t, const char *key, unsigned long *unlogged);
/* Ends the run, if any (the database answers again): 1 when there was one, with *unlogged. */
int log_throttle_end(struct log_throttle *t, unsigned long *unlogged);

#endif
