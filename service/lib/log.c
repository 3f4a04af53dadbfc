#include "lib/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/banned.h"

static int quiet;

void log_set_quiet(int q)
{
	quiet = q;
}

static void start(struct buf *b, const char *level)
{
	struct timespec ts;
	struct tm tm;
	char when[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\"", when, ts.tv_nsec / 1000000, level);
}

static void field(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, ",\"%s\":", key);
	buf_json_string(b, value ? value : "");
}

static void finish(struct buf *b)
{
	buf_puts(b, "}\n");
	if (b->data)
		fwrite(b->data, 1, b->len, stderr);
	fflush(stderr);
	buf_release(b);
}

void log_info(const char *msg, const char *key, const char *value)
{
	if (quiet)
		return;
	struct buf b;
	buf_init(&b, 16384);
	start(&b, "info");
	field(&b, "msg", msg);
	if (key)
		field(&b, key, value);
	finish(&b);
}

void log_error(const char *msg, const char *detail)
{
	struct buf b;
	buf_init(&b, 16384);
	start(&b, "error");
	field(&b, "msg", msg);
	if (detail)
		field(&b, "detail", detail);
	finish(&b);
}

int log_throttle(struct log_throttle *t, const char *key, unsigned long *unlogged)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&t->mu);
	int same = t->active && strcmp(t->key, key) == 0;
	int pass = !same || now.tv_sec - t->logged_at >= LOG_THROTTLE_S;
	if (pass) {
		*unlogged = t->active ? t->unlogged : 0;
		snprintf(t->key, sizeof(t->key), "%s", key);
		t->active = 1;
		t->logged_at = now.tv_sec;
		t->unlogged = 0;
	} else {
		t->unlogged++;
	}
	pthread_mutex_unlock(&t->mu);
	return pass;
}

int log_throttle_end(struct log_throttle *t, unsigned long *unlogged)
{
	pthread_mutex_lock(&t->mu);
	int was = t->active;
	*unlogged = t->unlogged;
	t->active = 0;
	t->unlogged = 0;
	pthread_mutex_unlock(&t->mu);
	return was;
}

void log_request(const char *method, const char *target, unsigned status, size_t bytes,
		 double duration_ms, const char *remote)
{
	if (quiet && status < 500)
		return;
	struct buf b;
	buf_init(&b, 16384);
	start(&b, status >= 500 ? "error" : "info");
	field(&b, "msg", "request");
	field(&b, "method", method);
	/* The target is cut to keep one line bounded; it never holds credentials (they travel in headers). */
	char t[1025];
	snprintf(t, sizeof(t), "%s", target ? target : "");
	field(&b, "target", t);
	buf_printf(&b, ",\"status\":%u,\"bytes\":%zu,\"ms\":%.2f", status, bytes, duration_ms);
	field(&b, "remote", remote);
	finish(&b);
}
