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

/* Whether a query parameter's name looks like it carries a secret. Credentials travel in headers
 * here, but a client may put one in the query all the same. */
static int secret_name(const char *name, size_t n)
{
	static const char *const words[] = {"token", "key", "secret", "password", "passwd", "auth", "session"};
	char low[64];
	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

/* The query (after '?') with the value of every secret-looking parameter replaced, into dst. */
static void query_without_secrets(const char *q, char *dst, size_t cap)
{
	struct buf b;
	buf_init(&b, cap - 1);
	for (const char *p = q; *p;) {
		size_t len = strcspn(p, "&");
		size_t name = strcspn(p, "=&");
		if (p != q)
			buf_puts(&b, "&");
		if (name < len && secret_name(p, name)) {
			buf_append(&b, p, name);
			buf_puts(&b, "=(hidden)");
		} else {
			buf_append(&b, p, len);
		}
		p += len;
		if (*p == '&')
			p++;
	}
	snprintf(dst, cap, "%.*s", (int)b.len, b.data ? b.data : "");
	buf_release(&b);
}

void log_request(const struct log_request *q)
{
	if (quiet && q->status < 500)
		return;
	struct buf b;
	buf_init(&b, 16384);
	start(&b, q->status >= 500 ? "error" : "info");
	field(&b, "msg", "request");
	field(&b, "request_id", q->id);
	field(&b, "method", q->method);
	/* The path and the query are each cut to keep one line bounded. */
	const char *target = q->target ? q->target : "";
	size_t plen = strcspn(target, "?");
	char path[1025], query[1025];
	snprintf(path, sizeof(path), "%.*s", (int)plen, target);
	field(&b, "path", path);
	if (target[plen] == '?') {
		query_without_secrets(target + plen + 1, query, sizeof(query));
		field(&b, "query", query);
	}
	buf_printf(&b, ",\"status\":%u,\"bytes\":%zu,\"ms\":%.2f", q->status, q->bytes, q->duration_ms);
	field(&b, "remote", q->remote);
	finish(&b);
}
