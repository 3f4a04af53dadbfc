/* The HTTP layer: the MHD daemon, per-request state, and the helpers handlers answer with.
 * Every 4xx/5xx is application/problem+json (RFC 9457). */
#ifndef RK_HTTP_H
#define RK_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/config.h"
#include "lib/netaddr.h"
#include "store/db.h"
#include "lib/buf.h"
#include "http/query.h"

/* The longest request id kept from a client's X-Request-Id. */
#define REQUEST_ID_MAX 64

struct ratelimit;
struct cache;
struct web;
struct MHD_Response;
struct route;

struct app {
	const struct config *cfg;
	const struct route *routes;  /* the route table (api/routes.c) */
	size_t nroutes;
	struct db_pool *pool;        /* public reads: the role that sees no personal data */
	struct db_pool *write_pool;  /* submissions, moderation, keys: the role that may write */
	struct ratelimit *writes;    /* per-address limit on writes */
	struct cache *cache;         /* public responses ready to send */
	struct web *web;             /* the website's files; NULL when WEB_ROOT is not set */
};

struct response {
	unsigned status;
	const char *content_type; /* static */
	char *body;               /* owned, malloc'd */
	size_t len;
	char cache_control[64];    /* "" = no-store */
	char allow[64];            /* Allow header (405, OPTIONS) */
	int retry_after;           /* seconds; 0 = none */
	size_t etag_skip_off;      /* a part of the body the ETag ignores (a generation time) */
	size_t etag_skip_len;
	int www_authenticate;      /* 401: ask for a bearer secret */
	char location[384];        /* 201: Location header */
	char disposition[192];     /* Content-Disposition of a download */
	struct MHD_Response *ready; /* a response made beforehand with all its headers (borrowed) */
};

/* One request, from the first byte of its head to the completed callback that frees it. */
struct request {
	const struct app *app;
	struct MHD_Connection *conn;
	struct netaddr peer;       /* the TCP peer; remote is it, or whom a trusted proxy forwarded for */
	int via_proxy;             /* the peer is one of TRUSTED_PROXIES: its X-Forwarded-* count */
	const char *method;        /* borrowed from MHD */
	char *raw;                 /* the request target as sent, owned */
	size_t raw_len;
	struct target target;      /* parsed from raw */
	int parsed;
	int head_seen;
	const struct route *route;  /* NULL until routed */
	struct buf body;            /* the request body, for routes that take one (bounded) */
	size_t ignored_bytes;       /* body bytes read and dropped */
	struct timespec start;
	struct response resp;
	int responded;
	struct buf cache_key;       /* the normalised request, for the response cache */
	int cache_keyed;
	uint64_t cache_generation;  /* of the cache when the response began to be computed */
	char base_url[320];        /* scheme://host[:port] for absolute links */
	char remote[64];
	char request_id[REQUEST_ID_MAX + 1]; /* sent as X-Request-Id and logged; set with the head */
};

struct http_server;

/* Starts serving on cfg->listen:cfg->port; the chosen port is returned in *port. */
struct http_server *http_start(const struct app *app, int *port, char *err, size_t errlen);
/* Stops accepting, lets running requests finish, frees the server. */
void http_stop(struct http_server *s);

/* --- answering: each sets r->resp; the body is taken over (freed later) ---
 *
 * The one convention for "already answered": a function that may answer the request on its
 * caller's behalf (a bad parameter, a missing key, a refused body, a database error) returns -1,
 * or NULL where it returns an object, when it did; the caller then returns at once without
 * answering again. 0 (or the object) means nothing was answered and the caller goes on.
 * r->responded says whether an answer was set; a handler that ends without one is a 500. */
void http_respond(struct request *r, unsigned status, const char *content_type, char *body, size_t len);
/* A data response with public caching. */
void http_ok(struct request *r, const char *content_type, char *body, size_t len);
void http_ok_json(struct request *r, const char *content_type, json_t *doc); /* steals doc */
void http_problem(struct request *r, unsigned status, const char *slug, const char *detail);
void http_problem_params(struct request *r, const struct perrors *errs);
/* The same for one parameter at fault. */
void http_problem_param(struct request *r, const char *parameter, const char *code, const char *message);
void http_problem_db(struct request *r, const struct db_error *e);

/* A header of the request, or NULL. */
const char *http_request_header(const struct request *r, const char *name);


/* Content negotiation (RFC 9110 12.5.1): the index in types[] of the best match for the Accept
 * header, or -1 when it refuses them all. Each type weighs what the most specific range naming it
 * says; the highest weight wins, then the more specific range, then the order of types[]. A header
 * that is absent or names nothing gives the first type; a range whose q is not a qvalue is
 * ignored. Pure; exposed for tests. */
int http_accept_match(const char *accept, const char *const *types);
/* Whether an Accept-Encoding header accepts gzip (or x-gzip, or * when gzip is not named) with a
 * weight above 0. Pure. */
int http_accepts_gzip(const char *accept_encoding);

/* One element of a header list with weights (Accept, Accept-Encoding, Accept-Language: RFC 9110
 * 12.4.2): its value without the parameters, trimmed of spaces and tabs, and its weight in
 * thousandths, or -1 when the weight is not a qvalue ("0", "0.5", "1.000"; at most three decimals,
 * at most 1). */
struct http_weighted {
	const char *v;
	size_t vlen;
	int q;
};
/* The next element with a value from *p, which it moves past; 0 at the end of the list. The weight
 * is the first parameter named q (or Q); the parameters after it are extensions, and those before
 * it (a media type's own) are not weights. */
int http_next_weighted(const char **p, struct http_weighted *w);
/* Picks the response format from an `f` parameter (values fvalues[]) or else from Accept
 * (media types types[]); answers 406 itself and returns -1 when nothing fits. */
int http_negotiate(struct request *r, const struct pvalue *f, const char *const *fvalues,
		   const char *const *types);

/* Makes the ETag ignore body bytes [off, off + len), e.g. a timestamp of when the response was
 * generated, so that an unchanged representation still validates. Call after http_ok. */
void http_etag_ignore(struct request *r, size_t off, size_t len);

/* RFC 3339 UTC time of now, e.g. 2026-11-23T06:30:00Z */
void http_now_rfc3339(char *dst, size_t n);

#endif
