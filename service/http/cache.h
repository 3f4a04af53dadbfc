/* The response cache: public responses kept ready to send, identity and gzip, keyed by the
 * normalised request. An entry belongs to a generation; the generation moves on with every
 * NOTIFY routekaart_changed the listener receives (and at midnight in Europe/Amsterdam, when
 * "today" changes), so a committed change is visible in the next request. With the reads on a
 * standby, an answer is kept only when the standby had replayed the primary's WAL up to where it
 * was when the last change was notified. An entry of an older
 * generation is not served, except while the database cannot answer (stale-if-error). While the
 * listener is not connected nothing is served fresh, because changes would go unnoticed. */
#ifndef RK_CACHE_H
#define RK_CACHE_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

struct cache;
struct buf;

struct cache_stats {
	uint64_t hits, misses, stale_served, stores, evictions, invalidations;
	uint64_t standby_behind; /* answers of a standby behind a notified change, not kept */
	uint64_t entries, bytes, max_bytes;
	int listening;
};

/* max_bytes = 0 gives a cache that stores nothing (every request goes to the database). */
struct cache *cache_new(size_t max_bytes);
/* Starts the listener thread on its own database connection. */
int cache_listen(struct cache *c, const char *conninfo, int connect_timeout_s);
void cache_free(struct cache *c);

int cache_enabled(const struct cache *c);
/* The generation a response computed from now on belongs to. */
uint64_t cache_generation(struct cache *c);
/* Marks every entry stale (a change was committed). */
void cache_invalidate(struct cache *c);
void cache_stats(struct cache *c, struct cache_stats *s);

/* How a request to be answered from the cache asks for it. */
struct cache_ask {
	const char *key;
	size_t keylen;
	const char *if_none_match; /* may be NULL */
	int gzip_ok;               /* the client accepts gzip */
	int allow_stale;           /* an entry of an older generation will do */
	int just_stored;           /* the entry was made for this request: not a hit */
	const char *request_id;    /* sent as X-Request-Id; may be NULL */
};

/* Queues the cached response for key on conn (a 304 when If-None-Match matches).
 * Returns 1 and sets *ret, *status and *len when it answered, 0 when there is no usable entry. */
int cache_answer(struct cache *c, const struct cache_ask *ask, struct MHD_Connection *conn,
		 enum MHD_Result *ret, unsigned *status, size_t *len);

/* A response to keep. The body is taken over on success (and left to the caller on failure). */
struct cache_put {
	const char *key;
	size_t keylen;
	uint64_t generation;      /* cache_generation() before the response was computed */
	uint64_t standby_position; /* db_reads_position() of its reads: 0 when all were on a
				    * primary; else what the standby had replayed, and the response
				    * is not kept when that is below the last notified change */
	const char *content_type; /* static */
	const char *cache_control;
	const char *disposition;  /* "" when none */
	const char *etag;         /* strong validator of the identity body, quoted */
	char *body;
	size_t len;
};

/* Stores the response; returns 0 when it was kept, -1 when not (too large, disabled, no memory). */
int cache_store(struct cache *c, struct cache_put *put);

/* Appends the normalised key of a request: base URL, path, the parameters sorted, Accept.
 * Returns -1 when the request should not be cached (too long). Pure; exposed for tests. */
struct target;
int cache_key(struct buf *dst, const char *base_url, const struct target *t, const char *accept);

/* The ETag the server gives a body: its CRC-32 and Adler-32 (as zlib computes them from their
 * initial values) and its length, quoted; dst >= 32. The gzip variant of an ETag (the same with
 * -gz, as If-None-Match may send it back); dst >= strlen(etag) + 4. */
void cache_etag_format(unsigned long crc, unsigned long adler, size_t len, char *dst, size_t n);
void cache_etag_gz(const char *etag, char *dst, size_t n);

/* If-None-Match uses the weak comparison: W/ prefixes and the -gz suffix do not matter. */
int cache_etag_matches(const char *if_none_match, const char *etag);

/* gzip of src into a new buffer; -1 when it fails or would not be smaller. */
int cache_gzip(const char *src, size_t len, char **out, size_t *outlen);

#endif
