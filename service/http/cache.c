#include "http/cache.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "http/query.h"
#include "store/listen.h"
#include "lib/banned.h"

#define NBUCKETS 4096u
#define MAX_KEY_BYTES 12288
#define MAX_ACCEPT_BYTES 512
/* a response smaller than this is not worth compressing */
#define GZIP_MIN_BYTES 1024

struct entry {
	struct entry *chain;          /* next in the hash bucket */
	struct entry *newer, *older;  /* the LRU list */
	uint64_t hash;
	char *key;
	size_t keylen;
	uint64_t generation;
	/* References: the cache's own while the entry is in it, and one per response sending its
	 * body; the last to let go frees it. Everything below is not changed after the store. */
	_Atomic int refs;
	char *body;
	char *gzbody;                 /* NULL when gzip does not help */
	size_t len, gzlen;
	const char *content_type;     /* static */
	char *disposition;            /* NULL when none */
	size_t bytes;                 /* what the entry costs, for the cap */
	char etag[64];
	char etag_gz[72];
	char cache_control[64];
};

struct cache {
	pthread_mutex_t mu;
	struct entry *buckets[NBUCKETS];
	struct entry *newest, *oldest;
	size_t bytes, max_bytes;
	uint64_t entries;
	_Atomic uint64_t generation;
	_Atomic int listening;
	_Atomic uint64_t hits, misses, stale_served, stores, evictions, invalidations;
	/* the primary's WAL position when the listener last learned of a change (UINT64_MAX while
	 * it is asking), and the answers of a standby that had not replayed that far, which were
	 * sent but not kept */
	_Atomic uint64_t told_position;
	_Atomic uint64_t standby_behind;
	uint64_t known_position; /* the highest position learned; the listener's own */

	/* the listener */
	pthread_t thread;
	int thread_started;
	int stop_fd; /* eventfd that wakes the listener to stop */
	char *conninfo;
	int connect_timeout_s;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct cache *cache_new(size_t max_bytes)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->mu, NULL);
	c->max_bytes = max_bytes;
	c->stop_fd = -1;
	atomic_store(&c->generation, 1);
	return c;
}

int cache_enabled(const struct cache *c)
{
	return c && c->max_bytes > 0;
}

uint64_t cache_generation(struct cache *c)
{
	return atomic_load(&c->generation);
}

void cache_invalidate(struct cache *c)
{
	atomic_fetch_add(&c->generation, 1);
	atomic_fetch_add(&c->invalidations, 1);
}

void cache_stats(struct cache *c, struct cache_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->hits = atomic_load(&c->hits);
	s->misses = atomic_load(&c->misses);
	s->stale_served = atomic_load(&c->stale_served);
	s->stores = atomic_load(&c->stores);
	s->evictions = atomic_load(&c->evictions);
	s->invalidations = atomic_load(&c->invalidations);
	s->standby_behind = atomic_load(&c->standby_behind);
	s->listening = atomic_load(&c->listening);
	pthread_mutex_lock(&c->mu);
	s->entries = c->entries;
	s->bytes = c->bytes;
	pthread_mutex_unlock(&c->mu);
	s->max_bytes = c->max_bytes;
}

/* --- the table (callers hold mu) --- */

static void lru_unlink(struct cache *c, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push(struct cache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

static struct entry *find(struct cache *c, uint64_t h, const char *key, size_t keylen)
{
	for (struct entry *e = c->buckets[h % NBUCKETS]; e; e = e->chain)
		if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

static void entry_free(struct entry *e)
{
	free(e->body);
	free(e->gzbody);
	free(e->disposition);
	free(e->key);
	free(e);
}

/* Lets go of a reference (the cache's, or a response's when MHD is done with it). */
static void entry_unref(void *cls)
{
	struct entry *e = cls;
	if (atomic_fetch_sub(&e->refs, 1) == 1)
		entry_free(e);
}

static void remove_entry(struct cache *c, struct entry *e)
{
	struct entry **p = &c->buckets[e->hash % NBUCKETS];
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	lru_unlink(c, e);
	c->bytes -= e->bytes;
	c->entries--;
	entry_unref(e);
}

/* --- answering --- */

static int add_common_headers(struct MHD_Response *resp, const char *etag, const char *cache_control,
			      const char *request_id)
{
	int ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag) == MHD_YES;
	if (request_id && *request_id)
		ok &= MHD_add_response_header(resp, "X-Request-Id", request_id) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control) == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding") == MHD_YES;
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*") == MHD_YES;
	return ok ? 0 : -1;
}

void cache_etag_format(unsigned long crc, unsigned long adler, size_t len, char *dst, size_t n)
{
	snprintf(dst, n, "\"%08lx%08lx%zx\"", crc & 0xffffffffUL, adler & 0xffffffffUL, len);
}

void cache_etag_gz(const char *etag, char *dst, size_t n)
{
	size_t len = strlen(etag);
	snprintf(dst, n, "%.*s-gz\"", (int)(len ? len - 1 : 0), etag);
}

int cache_etag_matches(const char *header, const char *etag)
{
	size_t elen = etag ? strlen(etag) : 0;
	if (elen < 2 || !header)
		return 0;
	elen--; /* without the closing quote */
	for (const char *p = header; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*') {
			const char *q = p + 1;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == ',' || !*q)
				return 1;
		}
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, elen) == 0 && (p[elen] == '"' || strncmp(p + elen, "-gz\"", 4) == 0))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

/* The response of one hit, taking over the caller's reference to e (let go when MHD is done with
 * it, or at once when it cannot be made: then NULL). */
static struct MHD_Response *hit_response(struct entry *e, int gz, const char *request_id)
{
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
		gz ? e->gzlen : e->len, gz ? e->gzbody : e->body, entry_unref, e);
	if (!r) {
		entry_unref(e);
		return NULL;
	}
	int bad = add_common_headers(r, gz ? e->etag_gz : e->etag, e->cache_control, request_id) < 0;
	bad |= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, e->content_type) != MHD_YES;
	if (gz)
		bad |= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") != MHD_YES;
	if (e->disposition)
		bad |= MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, e->disposition) != MHD_YES;
	if (bad) {
		MHD_destroy_response(r); /* lets go of the reference */
		return NULL;
	}
	return r;
}

int cache_answer(struct cache *c, const struct cache_ask *ask, struct MHD_Connection *conn,
		 enum MHD_Result *ret, unsigned *status, size_t *len)
{
	if (!cache_enabled(c))
		return 0;
	uint64_t h = hash_bytes(ask->key, ask->keylen);
	uint64_t gen = atomic_load(&c->generation);
	int live = atomic_load(&c->listening);
	pthread_mutex_lock(&c->mu);
	struct entry *e = find(c, h, ask->key, ask->keylen);
	int fresh = e && live && e->generation == gen;
	if (!e || (!fresh && !ask->allow_stale)) {
		pthread_mutex_unlock(&c->mu);
		if (!ask->allow_stale)
			atomic_fetch_add(&c->misses, 1);
		return 0;
	}
	lru_unlink(c, e);
	lru_push(c, e);
	int use_gz = ask->gzip_ok && e->gzbody;
	if (ask->if_none_match && cache_etag_matches(ask->if_none_match, e->etag)) {
		struct MHD_Response *r304 = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (!r304 || add_common_headers(r304, use_gz ? e->etag_gz : e->etag, e->cache_control, ask->request_id) < 0) {
			if (r304)
				MHD_destroy_response(r304);
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
		pthread_mutex_unlock(&c->mu);
		*ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, r304);
		MHD_destroy_response(r304);
		*status = 304;
		*len = 0;
	} else {
		/* A response of this request's own (its X-Request-Id) that sends the entry's body
		 * without copying it: it holds a reference, so the entry outlives an eviction meanwhile. */
		atomic_fetch_add(&e->refs, 1);
		pthread_mutex_unlock(&c->mu);
		struct MHD_Response *resp = hit_response(e, use_gz, ask->request_id);
		if (!resp)
			return 0;
		*ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		*status = 200;
		*len = use_gz ? e->gzlen : e->len;
	}
	if (!ask->just_stored)
		atomic_fetch_add(fresh ? &c->hits : &c->stale_served, 1);
	return 1;
}

int cache_gzip(const char *src, size_t len, char **out, size_t *outlen)
{
	if (len > ((size_t)1 << 30))
		return -1;
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len);
	char *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END || n >= len) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int cache_store(struct cache *c, struct cache_put *put)
{
	if (!cache_enabled(c))
		return -1;
	/* A standby's answer from before a change the listener was told of is not kept: it would
	 * be served as fresh in the new generation until the next change. The answer itself goes
	 * out (the client may see the old data once); the next request asks again. Reads on the
	 * primary (standby_position 0) are as new as any notification, and cost one comparison. */
	if (put->standby_position && put->standby_position < atomic_load(&c->told_position)) {
		atomic_fetch_add(&c->standby_behind, 1);
		return -1;
	}
	size_t cost = put->len + put->keylen + sizeof(struct entry) + 512;
	if (cost > c->max_bytes / 4)
		return -1;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->key = malloc(put->keylen);
	if (!e->key) {
		free(e);
		return -1;
	}
	memcpy(e->key, put->key, put->keylen);
	e->keylen = put->keylen;
	e->hash = hash_bytes(put->key, put->keylen);
	e->generation = put->generation;
	snprintf(e->etag, sizeof(e->etag), "%s", put->etag);
	cache_etag_gz(e->etag, e->etag_gz, sizeof(e->etag_gz));
	snprintf(e->cache_control, sizeof(e->cache_control), "%s", put->cache_control);

	e->content_type = put->content_type;
	if (put->disposition && *put->disposition && !(e->disposition = strdup(put->disposition))) {
		free(e->key);
		free(e);
		return -1;
	}
	char *z = NULL;
	size_t zlen = 0;
	/* without the gzip variant the identity one still serves */
	if (put->len >= GZIP_MIN_BYTES && cache_gzip(put->body, put->len, &z, &zlen) == 0)
		e->gzbody = z;
	e->body = put->body;
	put->body = NULL; /* the entry's now */
	atomic_init(&e->refs, 1);
	e->len = put->len;
	e->gzlen = e->gzbody ? zlen : 0;
	e->bytes = cost + e->gzlen;

	pthread_mutex_lock(&c->mu);
	struct entry *old = find(c, e->hash, e->key, e->keylen);
	if (old) {
		/* a response computed earlier than the one kept does not replace it */
		if (old->generation > e->generation) {
			pthread_mutex_unlock(&c->mu);
			entry_free(e);
			return -1;
		}
		remove_entry(c, old);
	}
	while (c->oldest && c->bytes + e->bytes > c->max_bytes) {
		remove_entry(c, c->oldest);
		atomic_fetch_add(&c->evictions, 1);
	}
	e->chain = c->buckets[e->hash % NBUCKETS];
	c->buckets[e->hash % NBUCKETS] = e;
	lru_push(c, e);
	c->bytes += e->bytes;
	c->entries++;
	pthread_mutex_unlock(&c->mu);
	atomic_fetch_add(&c->stores, 1);
	return 0;
}

/* --- keys --- */

static int param_cmp(const void *a, const void *b)
{
	const struct qparam *x = *(const struct qparam *const *)a, *y = *(const struct qparam *const *)b;
	int k = strcmp(x->key, y->key);
	if (k)
		return k;
	/* the same name twice keeps its order (the handler reports it) */
	return x < y ? -1 : x > y;
}

int cache_key(struct buf *dst, const char *base_url, const struct target *t, const char *accept)
{
	if (accept && strlen(accept) > MAX_ACCEPT_BYTES)
		return -1;
	const struct qparam *sorted[QUERY_MAX_PARAMS];
	for (size_t i = 0; i < t->nparams; i++)
		sorted[i] = &t->params[i];
	qsort(sorted, t->nparams, sizeof(sorted[0]), param_cmp);
	/* every field carries its length, so that no decoded text can imitate another request */
	int rc = buf_printf(dst, "%zu:%s", strlen(base_url), base_url);
	rc |= buf_printf(dst, "|%zu", t->nseg);
	for (size_t i = 0; i < t->nseg; i++)
		rc |= buf_printf(dst, "|%zu:%s", strlen(t->seg[i]), t->seg[i]);
	rc |= buf_printf(dst, "|%zu", t->nparams);
	for (size_t i = 0; i < t->nparams; i++)
		rc |= buf_printf(dst, "|%zu:%s=%zu:%s", strlen(sorted[i]->key), sorted[i]->key,
				 strlen(sorted[i]->value), sorted[i]->value);
	rc |= buf_printf(dst, "|%zu:%s", accept ? strlen(accept) : 0, accept ? accept : "");
	return rc || dst->len > MAX_KEY_BYTES ? -1 : 0;
}

/* --- the listener --- */

/* Seconds until the next midnight in Europe/Amsterdam; an hour when the database does not say. */
static double seconds_to_midnight(struct db_listener *l)
{
	double s = 3600;
	db_listener_seconds_to_midnight(l, &s);
	return s > 0 ? s : 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to ms for the stop signal; 1 when it came. */
static int wait_stop(struct cache *c, int ms)
{
	struct pollfd p = {.fd = c->stop_fd, .events = POLLIN};
	return poll(&p, 1, ms) > 0;
}

/* A change was notified (or may have been missed while nobody listened): a new generation at
 * once, as without a standby, so the next request already computes its answer afresh; then where
 * the primary's WAL ends. Until that is known no standby answer is kept (told_position is the
 * highest there is), so an answer begun in the new generation is always compared with a position
 * at or past the change. -1 when the database did not say (and no standby answer is kept until a
 * new session learns one). */
static int learn_position(struct cache *c, struct db_listener *l)
{
	atomic_store(&c->told_position, UINT64_MAX);
	cache_invalidate(c);
	uint64_t at;
	if (db_listener_position(l, &at) < 0)
		return -1;
	if (at > c->known_position)
		c->known_position = at;
	atomic_store(&c->told_position, c->known_position);
	return 0;
}

static void listen_session(struct cache *c, struct db_listener *l)
{
	if (db_listener_start(l) < 0) {
		log_error("cache: LISTEN failed", db_listener_error(l));
		return;
	}
	double midnight = now_s() + seconds_to_midnight(l);
	/* whatever changed while nobody listened is unknown: start a new generation */
	if (learn_position(c, l) < 0) {
		log_error("cache: cannot read the WAL position", db_listener_error(l));
		return;
	}
	atomic_store(&c->listening, 1);
	log_info("cache: listening for changes", NULL, NULL);
	for (;;) {
		double left = midnight - now_s();
		if (left <= 0) {
			cache_invalidate(c); /* "today" changed */
			midnight = now_s() + seconds_to_midnight(l);
			continue;
		}
		int ms = left > 60 ? 60000 : (int)(left * 1000) + 1;
		struct pollfd p[2] = {{.fd = db_listener_fd(l), .events = POLLIN}, {.fd = c->stop_fd, .events = POLLIN}};
		int n = poll(p, 2, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (n == 0) {
			/* a quiet minute: make sure the connection still answers */
			if (db_listener_ping(l) < 0)
				break;
		}
		int changes = db_listener_consume(l);
		if (changes < 0)
			break;
		if (changes > 0 && learn_position(c, l) < 0)
			break;
	}
	atomic_store(&c->listening, 0);
}

static void *listener(void *arg)
{
	struct cache *c = arg;
	int logged = 0;
	for (;;) {
		struct db_listener *l = db_listener_new(c->conninfo, c->connect_timeout_s);
		if (l && db_listener_connected(l)) {
			logged = 0;
			listen_session(c, l);
			if (!wait_stop(c, 0))
				log_error("cache: lost the database connection; not serving cached responses "
					  "until it is back", NULL);
		} else if (!logged) {
			log_error("cache: cannot listen for changes", l ? db_listener_error(l) : "out of memory");
			logged = 1;
		}
		db_listener_free(l);
		/* retry soon: until the listener is back, nothing is served from the cache */
		if (wait_stop(c, 250))
			break;
	}
	return NULL;
}

int cache_listen(struct cache *c, const char *conninfo, int connect_timeout_s)
{
	if (!cache_enabled(c))
		return 0;
	c->conninfo = strdup(conninfo);
	c->connect_timeout_s = connect_timeout_s;
	c->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!c->conninfo || c->stop_fd < 0)
		return -1;
	if (pthread_create(&c->thread, NULL, listener, c) != 0)
		return -1;
	c->thread_started = 1;
	return 0;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	if (c->thread_started) {
		uint64_t one = 1;
		if (write(c->stop_fd, &one, sizeof(one)) < 0)
			log_error("cache: cannot stop the listener", strerror(errno));
		pthread_join(c->thread, NULL);
	}
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	while (c->oldest)
		remove_entry(c, c->oldest);
	pthread_mutex_destroy(&c->mu);
	free(c->conninfo);
	free(c);
}
