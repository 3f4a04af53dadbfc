#include "http/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "http/cache.h"
#include "lib/log.h"
#include "http/metrics.h"
#include "http/router.h"
#include "lib/crypto.h"
#include "store/db.h"
#include "lib/banned.h"

/* Bytes of an unexpected request body read (and discarded) before answering 413. */
#define MAX_IGNORED_BODY 65536
/* A refused body (413, 415, any answer decided before the body is in) is read and dropped to its
 * end, so that a client that sends its whole body before it reads gets the answer instead of a
 * reset connection; past this many bytes the answer is sent and the connection closed. */
#define DRAIN_MAX_BYTES ((size_t)16 << 20)

struct http_server {
	struct MHD_Daemon *daemon;
	const struct app *app;
};

/* Requests begun and not yet completed, for draining at shutdown. */
static _Atomic long in_flight;

/* --- problems --- */

struct problem_kind {
	const char *slug;
	const char *title;
};

static const struct problem_kind problem_kinds[] = {
	{"invalid-parameter", "invalid parameter"},
	{"invalid-request", "malformed request"},
	{"not-found", "not found"},
	{"method-not-allowed", "method not allowed"},
	{"not-acceptable", "not acceptable"},
	{"uri-too-long", "request target too long"},
	{"payload-too-large", "request body too large"},
	{"malformed-json", "malformed JSON"},
	{"validation-failed", "the request body has errors"},
	{"unauthorized", "authentication needed"},
	{"forbidden", "not allowed"},
	{"conflict", "conflict with the current state"},
	{"too-many-requests", "too many requests"},
	{"idempotency-key-reused", "idempotency key reused with another request"},
	{"unsupported-media-type", "unsupported media type"},
	{"service-unavailable", "service unavailable"},
	{"internal-error", "internal error"},
};

static const char *problem_title(const char *slug)
{
	for (size_t i = 0; i < sizeof(problem_kinds) / sizeof(problem_kinds[0]); i++)
		if (strcmp(problem_kinds[i].slug, slug) == 0)
			return problem_kinds[i].title;
	return "error";
}

void http_respond(struct request *r, unsigned status, const char *content_type, char *body, size_t len)
{
	free(r->resp.body);
	memset(&r->resp, 0, sizeof(r->resp));
	r->resp.status = status;
	r->resp.content_type = content_type;
	r->resp.body = body;
	r->resp.len = len;
	r->responded = 1;
}

void http_ok(struct request *r, const char *content_type, char *body, size_t len)
{
	http_respond(r, 200, content_type, body, len);
	snprintf(r->resp.cache_control, sizeof(r->resp.cache_control), "public, max-age=%d, stale-if-error=86400",
		 r->app->cfg->cache_max_age_s);
}

void http_ok_json(struct request *r, const char *content_type, json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
	json_decref(doc);
	if (!s) {
		http_problem(r, 500, "internal-error", "the response could not be built");
		return;
	}
	http_ok(r, content_type, s, strlen(s));
}

static json_t *problem_doc(struct request *r, unsigned status, const char *slug, const char *detail)
{
	char type[64];
	snprintf(type, sizeof(type), "/problems/%s", slug);
	json_t *doc = json_object();
	json_object_set_new(doc, "type", json_string(type));
	json_object_set_new(doc, "title", json_string(problem_title(slug)));
	json_object_set_new(doc, "status", json_integer(status));
	if (detail)
		json_object_set_new(doc, "detail", json_string(detail));
	json_t *instance = r->target.path ? json_string(r->target.path) : NULL;
	if (instance) /* NULL too for a path that is not UTF-8 */
		json_object_set_new(doc, "instance", instance);
	return doc;
}

static void respond_problem_doc(struct request *r, unsigned status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!s) {
		static const char fallback[] = "{\"type\":\"/problems/internal-error\",\"title\":\"internal "
					       "error\",\"status\":500}";
		s = strdup(fallback);
		status = 500;
	}
	http_respond(r, status, "application/problem+json", s, s ? strlen(s) : 0);
	r->resp.cache_control[0] = '\0';
}

void http_problem(struct request *r, unsigned status, const char *slug, const char *detail)
{
	respond_problem_doc(r, status, problem_doc(r, status, slug, detail));
}

void http_problem_params(struct request *r, const struct perrors *errs)
{
	json_t *doc = problem_doc(r, 400, "invalid-parameter",
				  errs->n == 1 ? errs->v[0].message
					       : "several parameters are wrong; see errors");
	json_t *list = json_array();
	for (size_t i = 0; i < errs->n; i++) {
		/* Parameter names come from the request: jansson refuses invalid UTF-8, so fall back. */
		json_t *name = json_string(errs->v[i].parameter);
		json_t *msg = json_string(errs->v[i].message);
		json_array_append_new(list, json_pack("{s:o,s:s,s:o}", "parameter",
						      name ? name : json_string("(not UTF-8)"), "code",
						      errs->v[i].code, "message",
						      msg ? msg : json_string("invalid value")));
	}
	json_object_set_new(doc, "errors", list);
	respond_problem_doc(r, 400, doc);
}

void http_problem_param(struct request *r, const char *parameter, const char *code, const char *message)
{
	struct perrors errs = {.n = 1};
	snprintf(errs.v[0].parameter, sizeof(errs.v[0].parameter), "%s", parameter);
	errs.v[0].code = code;
	snprintf(errs.v[0].message, sizeof(errs.v[0].message), "%s", message);
	http_problem_params(r, &errs);
}

void http_problem_db(struct request *r, const struct db_error *e)
{
	/* The database's own message may name internals: it goes to the log, not the client. */
	switch (e->status) {
	case 400:
		http_problem(r, 400, "invalid-request", "the database refused a value of the request");
		break;
	case 409:
		http_problem(r, 409, "conflict", "the request conflicts with what is stored");
		break;
	case 422:
		http_problem(r, 422, "validation-failed", "the database refused the request: a rule of the data is not met");
		break;
	case 500: /* not the database's doing: out of memory, a response that could not be built */
		http_problem(r, 500, "internal-error", "the request could not be completed");
		break;
	default: /* 503, and anything else the store may say about the database */
		http_problem(r, 503, "service-unavailable", "the database is unavailable or busy; try again shortly");
		r->resp.retry_after = 1;
		break;
	}
}

/* --- content negotiation --- */

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_qvalue(const char *s, size_t n)
{
	if (n == 0 || n > 5 || (s[0] != '0' && s[0] != '1'))
		return -1;
	int q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.')
		return -1;
	int scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

int http_next_weighted(const char **p, struct http_weighted *w)
{
	for (const char *s = *p;;) {
		while (is_ows(*s) || *s == ',')
			s++;
		if (!*s) {
			*p = s;
			return 0;
		}
		size_t len = strcspn(s, ",");
		const char *end = s + len;
		const char *semi = memchr(s, ';', len);
		const char *v = s, *ve = semi ? semi : end;
		while (ve > v && is_ows(ve[-1]))
			ve--;
		w->v = v;
		w->vlen = (size_t)(ve - v);
		w->q = 1000;
		for (const char *a = semi; a && a < end;) {
			a++;
			const char *ae = memchr(a, ';', (size_t)(end - a));
			if (!ae)
				ae = end;
			while (a < ae && is_ows(*a))
				a++;
			const char *te = ae;
			while (te > a && is_ows(te[-1]))
				te--;
			if (te - a >= 2 && (a[0] == 'q' || a[0] == 'Q') && a[1] == '=') {
				w->q = parse_qvalue(a + 2, (size_t)(te - a - 2));
				break;
			}
			a = ae < end ? ae : NULL;
		}
		s = end;
		if (w->vlen) {
			*p = s;
			return 1;
		}
	}
}

static int media_match(const char *range, size_t rlen, const char *type)
{
	if (rlen == 3 && memcmp(range, "*/*", 3) == 0)
		return 1;
	const char *slash = memchr(range, '/', rlen);
	if (!slash)
		return 0;
	size_t major = (size_t)(slash - range);
	if (rlen == major + 2 && slash[1] == '*')
		return strncasecmp(range, type, major) == 0 && type[major] == '/';
	return strlen(type) == rlen && strncasecmp(range, type, rlen) == 0;
}

/* An exact type beats type/star, which beats star/star. */
static int media_specificity(const char *range, size_t rlen)
{
	if (rlen == 3 && memcmp(range, "*/*", 3) == 0)
		return 0;
	return range[rlen - 1] == '*' ? 1 : 2;
}

int http_accept_match(const char *accept, const char *const *types)
{
	struct http_weighted w;
	const char *p = accept;
	if (!accept || !http_next_weighted(&p, &w))
		return 0; /* no header, or one that names nothing: anything will do */
	int best = -1, best_q = 0, best_spec = -1;
	for (int i = 0; types[i]; i++) {
		/* A type's weight is that of the most specific range that names it: text/html;q=0 beside
		 * a star/star range refuses HTML and accepts the rest. Of equally specific ranges the
		 * highest weight counts. */
		int q = 0, spec = -1;
		for (p = accept; http_next_weighted(&p, &w);) {
			if (w.q < 0 || !media_match(w.v, w.vlen, types[i]))
				continue;
			int s = media_specificity(w.v, w.vlen);
			if (s > spec || (s == spec && w.q > q)) {
				spec = s;
				q = w.q;
			}
		}
		/* The highest weight wins; of equal weights the more specific range, then the list's order. */
		if (q > best_q || (q > 0 && q == best_q && spec > best_spec)) {
			best = i;
			best_q = q;
			best_spec = spec;
		}
	}
	return best;
}

int http_accepts_gzip(const char *accept_encoding)
{
	int gzip = -1, star = -1;
	struct http_weighted w;
	for (const char *p = accept_encoding ? accept_encoding : ""; http_next_weighted(&p, &w);) {
		if (w.q < 0)
			continue;
		if ((w.vlen == 4 && strncasecmp(w.v, "gzip", 4) == 0) || (w.vlen == 6 && strncasecmp(w.v, "x-gzip", 6) == 0))
			gzip = w.q > gzip ? w.q : gzip;
		else if (w.vlen == 1 && w.v[0] == '*')
			star = w.q > star ? w.q : star;
	}
	return gzip >= 0 ? gzip > 0 : star > 0;
}

int http_negotiate(struct request *r, const struct pvalue *f, const char *const *fvalues,
		   const char *const *types)
{
	if (f && f->present) {
		for (int i = 0; fvalues[i]; i++)
			if (strcmp(fvalues[i], f->raw) == 0)
				return i;
		/* validation already refused unknown values of f */
		return 0;
	}
	const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept");
	int i = http_accept_match(accept, types);
	if (i < 0) {
		char detail[200];
		snprintf(detail, sizeof(detail), "this resource is available as %s%s%s", types[0],
			 types[1] ? " or " : "", types[1] ? types[1] : "");
		http_problem(r, 406, "not-acceptable", detail);
	}
	return i;
}

void http_etag_ignore(struct request *r, size_t off, size_t len)
{
	if (off + len <= r->resp.len) {
		r->resp.etag_skip_off = off;
		r->resp.etag_skip_len = len;
	}
}

void http_now_rfc3339(char *dst, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(dst, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- the daemon --- */

/* Only a plain host[:port] is taken from a Host or X-Forwarded-Host header; anything else is ignored. */
static int plain_host(const char *host)
{
	int ok = host && *host && strlen(host) < 256;
	for (const char *p = host; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr(".-:[]", *p);
	return ok;
}

static void set_base_url(struct request *r)
{
	const struct config *cfg = r->app->cfg;
	if (cfg->public_base_url) {
		snprintf(r->base_url, sizeof(r->base_url), "%s", cfg->public_base_url);
		return;
	}
	const char *scheme = "http";
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host");
	if (r->via_proxy) {
		/* what the client asked the proxy for; from anyone else these headers mean nothing */
		const char *proto = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
		if (proto && strcasecmp(proto, "https") == 0)
			scheme = "https";
		const char *fhost = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-Host");
		if (plain_host(fhost))
			host = fhost;
	}
	if (plain_host(host))
		snprintf(r->base_url, sizeof(r->base_url), "%s://%s", scheme, host);
	else
		snprintf(r->base_url, sizeof(r->base_url), "http://localhost:%d", cfg->port);
}

/* X-Forwarded-For lines beyond these (the earliest ones) are not read. */
#define MAX_FORWARDED_LINES 16

struct forwarded_lines {
	const char *v[MAX_FORWARDED_LINES];
	size_t n;
};

static enum MHD_Result collect_forwarded(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct forwarded_lines *f = cls;
	if (strcasecmp(key, "X-Forwarded-For") != 0)
		return MHD_YES;
	if (f->n == MAX_FORWARDED_LINES) { /* keep the last ones: the walk starts from the right */
		memmove(f->v, f->v + 1, sizeof(f->v[0]) * (MAX_FORWARDED_LINES - 1));
		f->n--;
	}
	f->v[f->n++] = value ? value : "";
	return MHD_YES;
}

/* The client: the TCP peer, unless that is a trusted proxy, which says in X-Forwarded-For whom it
 * forwards for. The rate limits, the lockout and the log then see the client, not the proxy. */
static void set_client(struct request *r)
{
	const struct netranges *trusted = &r->app->cfg->trusted_proxies;
	if (!r->peer.family || !netranges_contain(trusted, &r->peer))
		return;
	r->via_proxy = 1;
	struct forwarded_lines f = {.n = 0};
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_forwarded, &f);
	struct netaddr client;
	if (netaddr_client(trusted, &r->peer, f.v, f.n, &client))
		netaddr_format(&client, r->remote, sizeof(r->remote));
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	const struct app *app = cls;
	struct request *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->app = app;
	r->conn = conn;
	in_flight++;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->raw_len = strlen(uri);
	/* keep at most one byte past the limit: enough to know it was too long */
	size_t keep = r->raw_len > (size_t)app->cfg->max_url_bytes ? (size_t)app->cfg->max_url_bytes : r->raw_len;
	r->raw = malloc(keep + 1);
	if (r->raw) {
		memcpy(r->raw, uri, keep);
		r->raw[keep] = '\0';
	}
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && netaddr_from_sockaddr(ci->client_addr, &r->peer) == 0)
		netaddr_format(&r->peer, r->remote, sizeof(r->remote));
	return r;
}

/* For a route that takes a JSON body: refuses another media type (415) and a declared length over
 * the limit (413) before a byte of the body is read. */
static void check_body_head(struct request *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = ct ? strcspn(ct, "; ") : 0;
	if (!ct || n != strlen("application/json") || strncasecmp(ct, "application/json", n) != 0) {
		http_problem(r, 415, "unsupported-media-type", "the body must be application/json");
		return;
	}
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > (unsigned long long)r->app->cfg->max_body_bytes) {
		char detail[96];
		snprintf(detail, sizeof(detail), "the body is larger than %d bytes", r->app->cfg->max_body_bytes);
		http_problem(r, 413, "payload-too-large", detail);
	}
}

/* Parses the target and finds the route, as soon as the head is in. Answers (sets r->responded)
 * when the request cannot go on: too long, malformed, no such path or method, a body refused. */
static void prepare(struct request *r)
{
	set_client(r);
	if (!r->raw) {
		http_problem(r, 500, "internal-error", "out of memory");
		return;
	}
	if (r->raw_len > (size_t)r->app->cfg->max_url_bytes) {
		char detail[96];
		snprintf(detail, sizeof(detail), "the request target is longer than %d bytes",
			 r->app->cfg->max_url_bytes);
		http_problem(r, 414, "uri-too-long", detail);
		return;
	}
	enum target_status ts = target_parse(&r->target, r->raw);
	if (ts != TARGET_OK) {
		http_problem(r, 400, "invalid-request",
			     ts == TARGET_TOO_MANY ? "the request target has too many path segments or "
						     "parameters"
						   : "the request target is malformed (bad percent-encoding)");
		return;
	}
	r->parsed = 1;
	set_base_url(r);

	char allow[64];
	int m = router_match(r->app->routes, r->app->nroutes, r->method, &r->target, &r->route, allow, sizeof(allow));
	if (m == ROUTER_NOT_FOUND) {
		http_problem(r, 404, "not-found", "there is no resource at this path");
	} else if (m == ROUTER_OPTIONS) {
		http_respond(r, 204, NULL, NULL, 0);
		snprintf(r->resp.allow, sizeof(r->resp.allow), "%s", allow);
	} else if (m == ROUTER_METHOD_NOT_ALLOWED) {
		char detail[128];
		snprintf(detail, sizeof(detail), "%s is not allowed here; allowed: %s", r->method, allow);
		http_problem(r, 405, "method-not-allowed", detail);
		snprintf(r->resp.allow, sizeof(r->resp.allow), "%s", allow);
	} else if (r->route->takes_body) {
		check_body_head(r);
	}
}

static void dispatch(struct request *r)
{
	r->route->handler(r);
	if (!r->responded)
		http_problem(r, 500, "internal-error", "no response was produced");
}

static int add_header(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES ? 0 : -1;
}

/* A strong validator of the identity body: CRC-32, Adler-32 and length. */
static void make_etag(const struct response *rs, char *dst, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0), adl = adler32(0L, Z_NULL, 0);
	size_t skip_end = rs->etag_skip_off + rs->etag_skip_len;
	for (size_t off = 0; off < rs->len;) {
		if (rs->etag_skip_len && off == rs->etag_skip_off) {
			off = skip_end;
			continue;
		}
		size_t end = rs->etag_skip_len && off < rs->etag_skip_off ? rs->etag_skip_off : rs->len;
		uInt chunk = end - off > (1u << 30) ? (1u << 30) : (uInt)(end - off);
		crc = crc32(crc, (const Bytef *)rs->body + off, chunk);
		adl = adler32(adl, (const Bytef *)rs->body + off, chunk);
		off += chunk;
	}
	cache_etag_format(crc, adl, rs->len, dst, n);
}

static int accepts_gzip(struct MHD_Connection *conn)
{
	return http_accepts_gzip(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

#define GZIP_MIN_BYTES 1024
#define GZIP_MAX_BYTES ((size_t)1 << 30)

const char *http_request_header(const struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static int is_read_method(const char *m)
{
	return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS");
}

static enum MHD_Result queue(struct request *r)
{
	struct response *rs = &r->resp;
	/* A write this instance committed makes its cache stale before the client hears of it, so
	 * the client's next read here shows the change without waiting for the database's
	 * notification; that notification still comes and does the rest (other instances, the
	 * standby's position). */
	if (rs->status >= 200 && rs->status < 300 && r->method && !is_read_method(r->method) &&
	    cache_enabled(r->app->cache))
		cache_invalidate(r->app->cache);
	if (rs->ready) /* shared by every request: its headers are complete and never touched here */
		return MHD_queue_response(r->conn, rs->status, rs->ready);
	char etag[64] = "";
	int gz = 0;
	if (rs->status == 200 && rs->cache_control[0]) {
		make_etag(rs, etag, sizeof(etag));
		const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
		if (inm && cache_etag_matches(inm, etag)) {
			free(rs->body);
			rs->body = NULL;
			rs->len = 0;
			rs->status = 304;
		} else if (rs->len >= GZIP_MIN_BYTES && rs->len <= GZIP_MAX_BYTES && accepts_gzip(r->conn)) {
			char *z;
			size_t zlen;
			if (cache_gzip(rs->body, rs->len, &z, &zlen) == 0) {
				free(rs->body);
				rs->body = z;
				rs->len = zlen;
				gz = 1;
				snprintf(etag + strlen(etag) - 1, sizeof(etag) - strlen(etag) + 1, "-gz\"");
			}
		}
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (void *)"", rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	rs->body = NULL; /* MHD owns it now */
	if (rs->content_type && rs->status != 304)
		add_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rs->content_type);
	add_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, rs->cache_control[0] ? rs->cache_control : "no-store");
	if (etag[0]) {
		add_header(resp, MHD_HTTP_HEADER_ETAG, etag);
		add_header(resp, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	}
	if (gz)
		add_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	add_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->request_id[0])
		add_header(resp, "X-Request-Id", r->request_id);
	/* Public data may be read by any web page; the submission and moderation API only by our own
	 * pages (same origin), so a page elsewhere cannot use a token or key a browser holds. */
	int cors = !r->parsed || router_path_is_public(&r->target);
	if (cors)
		add_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
	if (rs->allow[0]) {
		add_header(resp, MHD_HTTP_HEADER_ALLOW, rs->allow);
		if (rs->status == 204 && cors) {
			add_header(resp, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
			add_header(resp, "Access-Control-Allow-Headers", "Accept, Accept-Language, If-None-Match");
			add_header(resp, "Access-Control-Max-Age", "86400");
		}
	}
	if (rs->www_authenticate)
		add_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"routekaart\"");
	if (rs->location[0])
		add_header(resp, MHD_HTTP_HEADER_LOCATION, rs->location);
	if (rs->disposition[0])
		add_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, rs->disposition);
	if (rs->retry_after > 0) {
		char v[16];
		snprintf(v, sizeof(v), "%d", rs->retry_after);
		add_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
	}
	enum MHD_Result ret = MHD_queue_response(r->conn, rs->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A public read may be answered from the cache: GET or HEAD of a route that is no one's own,
 * with no credentials. Computes the key (once) and tries it; stale entries only when allow_stale. */
static int answer_from_cache(struct request *r, int allow_stale, int just_stored, enum MHD_Result *ret)
{
	struct cache *c = r->app->cache;
	if (!cache_enabled(c) || !r->parsed || !r->route || r->route->static_file)
		return 0;
	if (!r->cache_keyed) {
		if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
			return 0;
		if (MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))
			return 0;
		const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
		buf_init(&r->cache_key, 16384);
		if (cache_key(&r->cache_key, r->base_url, &r->target, accept) < 0 || !r->cache_key.data) {
			buf_release(&r->cache_key);
			return 0;
		}
		r->cache_keyed = 1;
		r->cache_generation = cache_generation(c);
	}
	struct cache_ask ask = {
		.key = r->cache_key.data,
		.keylen = r->cache_key.len,
		.if_none_match = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
		.gzip_ok = accepts_gzip(r->conn),
		.allow_stale = allow_stale,
		.just_stored = just_stored,
		.request_id = r->request_id,
	};
	unsigned status;
	size_t len;
	if (!cache_answer(c, &ask, r->conn, ret, &status, &len))
		return 0;
	/* the response of the request itself, if any, is dropped; the log shows what was sent */
	free(r->resp.body);
	memset(&r->resp, 0, sizeof(r->resp));
	r->resp.status = status;
	r->resp.len = len;
	r->responded = 1;
	return 1;
}

/* Hands a public 200 over to the cache; 0 when it was kept (the body then belongs to it). */
static int keep_in_cache(struct request *r)
{
	struct response *rs = &r->resp;
	char etag[64];
	make_etag(rs, etag, sizeof(etag));
	struct cache_put put = {
		.key = r->cache_key.data,
		.keylen = r->cache_key.len,
		.generation = r->cache_generation,
		.standby_position = db_reads_position(),
		.content_type = rs->content_type,
		.cache_control = rs->cache_control,
		.disposition = rs->disposition,
		.etag = etag,
		.body = rs->body,
		.len = rs->len,
	};
	int rc = cache_store(r->app->cache, &put);
	if (rc == 0 || !put.body) {
		/* kept, or lost on the way: either way the body is no longer ours */
		rs->body = NULL;
		rs->len = 0;
	}
	return rc;
}

/* Expect: 100-continue (RFC 9110 10.1.1): the client sends its body only after a 100. */
static int expects_continue(struct MHD_Connection *conn)
{
	const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	return e && strcasecmp(e, "100-continue") == 0;
}

/* The request's id: the client's (a proxy's) X-Request-Id when it is well formed (1 to
 * REQUEST_ID_MAX characters of letters, digits, '-', '_', '.'), else 32 random hex digits. */
static void set_request_id(struct request *r)
{
	const char *given = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Request-Id");
	size_t n = given ? strlen(given) : 0;
	int ok = n >= 1 && n <= REQUEST_ID_MAX;
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)given[i]) || given[i] == '-' || given[i] == '_' || given[i] == '.';
	if (ok) {
		memcpy(r->request_id, given, n + 1);
		return;
	}
	uint8_t rnd[16];
	if (crypto_random(rnd, sizeof(rnd)) < 0) {
		/* no randomness: unique within the process all the same */
		static _Atomic unsigned long counter;
		snprintf(r->request_id, sizeof(r->request_id), "%lx-%lx", (unsigned long)getpid(), ++counter);
		return;
	}
	crypto_hex(rnd, sizeof(rnd), r->request_id);
}

static int has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	return (cl && strtoull(cl, NULL, 10) > 0) || te;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	(void)cls;
	(void)url;
	(void)version;
	struct request *r = *req_cls;
	if (!r)
		return MHD_NO;
	r->conn = conn;
	r->method = method;
	if (!r->head_seen) {
		r->head_seen = 1;
		buf_init(&r->body, (size_t)r->app->cfg->max_body_bytes);
		set_request_id(r);
		prepare(r);
		/* An answer decided now waits for the end of the request, and its body is read and
		 * dropped meanwhile (up to DRAIN_MAX_BYTES); but a client that waits for "100 Continue"
		 * before it sends a refused body gets the answer at once and sends none. */
		if (r->responded && r->resp.status >= 400 && has_body(conn) && expects_continue(conn))
			return queue(r);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->responded || !r->route->takes_body) {
			/* a body nobody asked for, or one refused, is read and dropped, up to a point */
			r->ignored_bytes += n;
			if (!r->responded && r->ignored_bytes > MAX_IGNORED_BODY)
				http_problem(r, 413, "payload-too-large", "this request takes no body");
			if (r->ignored_bytes <= DRAIN_MAX_BYTES)
				return MHD_YES;
			return queue(r); /* enough: answer, and MHD closes the connection */
		}
		if (buf_append(&r->body, upload_data, n) < 0) {
			char detail[96];
			snprintf(detail, sizeof(detail), "the body is larger than %d bytes", r->app->cfg->max_body_bytes);
			http_problem(r, 413, "payload-too-large", detail);
			r->ignored_bytes = n; /* the rest is drained, and answered at its end */
		}
		return MHD_YES;
	}
	if (!r->responded) {
		enum MHD_Result ret;
		if (answer_from_cache(r, 0, 0, &ret))
			return ret;
		db_reads_begin(); /* how current its reads are decides whether the cache keeps it */
		dispatch(r);
	}
	if (r->cache_keyed) {
		enum MHD_Result ret;
		struct response *rs = &r->resp;
		if (rs->status == 200 && strncmp(rs->cache_control, "public", 6) == 0) {
			int kept = keep_in_cache(r) == 0;
			/* not kept and the body gone: an entry of a newer generation was stored meanwhile
			 * and answers instead */
			if ((kept || !rs->body) && answer_from_cache(r, 1, kept, &ret))
				return ret;
			if (!rs->body)
				http_problem(r, 500, "internal-error", "the response was lost");
		} else if (rs->status >= 500 && answer_from_cache(r, 1, 0, &ret)) {
			/* stale-if-error: what the database said before beats no answer */
			return ret;
		}
	}
	return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct request *r = *req_cls;
	if (!r)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 + (double)(now.tv_nsec - r->start.tv_nsec) / 1e6;
	if (r->responded) {
		metrics_count_request(r->resp.status, ms);
		log_request(&(struct log_request){.id = r->request_id,
						  .method = r->method ? r->method : "-",
						  .target = r->raw,
						  .status = r->resp.status,
						  .bytes = r->resp.len,
						  .duration_ms = ms,
						  .remote = r->remote});
	}
	free(r->resp.body);
	free(r->raw);
	buf_release(&r->body);
	buf_release(&r->cache_key);
	target_release(&r->target);
	free(r);
	*req_cls = NULL;
	in_flight--;
}

/* libmicrohttpd's messages. A flood (connections refused at the limit, accept() failing) says the
 * same thing thousands of times a second: a message the same as the one before is logged at most
 * once per LOG_THROTTLE_S seconds, and the count of the others with the next line let through. */
static struct log_throttle mhd_messages = LOG_THROTTLE_INIT;

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	unsigned long repeated;
	if (!log_throttle(&mhd_messages, msg, &repeated))
		return;
	if (repeated) {
		char said[32];
		snprintf(said, sizeof(said), "%lu", repeated);
		log_info("http: the message before was repeated", "times", said);
	}
	log_error("http", msg);
}

struct http_server *http_start(const struct app *app, int *port, char *err, size_t errlen)
{
	const struct config *cfg = app->cfg;
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
	memset(&a6, 0, sizeof(a6));
	memset(&a4, 0, sizeof(a4));
	if (inet_pton(AF_INET, cfg->listen, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, cfg->listen, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)cfg->port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "LISTEN must be an IPv4 or IPv6 address, not '%s'", cfg->listen);
		return NULL;
	}
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->app = app;
	s->daemon = MHD_start_daemon(
		flags, (uint16_t)cfg->port, NULL, NULL, on_request, (void *)app,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->max_header_bytes,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, (void *)app,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)app,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "cannot listen on %s port %d (in use, or not allowed)", cfg->listen, cfg->port);
		free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	*port = di ? di->port : cfg->port;
	if (cfg->trusted_proxies.n && cfg->max_connections_per_ip) {
		/* the cap counts TCP peers: behind a proxy, the proxy as a whole */
		char n[16];
		snprintf(n, sizeof(n), "%d", cfg->max_connections_per_ip);
		log_info("TRUSTED_PROXIES is set: MAX_CONNECTIONS_PER_IP caps each proxy's connections as a "
			 "whole (0 leaves the limit per client to the proxy)",
			 "max_connections_per_ip", n);
	}
	return s;
}

/* How long the requests whose statements were cancelled at the end of the grace may take to send
 * their answers (503) before their connections are closed. */
#define CANCELLED_ANSWER_S 2.0

/* Waits until no request is running (its answer sent), or seconds have passed; returns how many
 * are still running. */
static long wait_for_requests(double seconds)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double waited = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (in_flight <= 0 || waited >= seconds)
			return in_flight;
		struct timespec tick = {0, 20 * 1000 * 1000};
		nanosleep(&tick, NULL);
	}
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Stop accepting first (new connections are refused), let the requests that have begun
	 * finish, up to the grace period, then close what is left (idle keep-alive connections). */
	MHD_socket fd = MHD_quiesce_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	long running = wait_for_requests((double)s->app->cfg->shutdown_grace_s);
	if (running > 0) {
		/* MHD_stop_daemon waits for every running request, and one whose statement waits for a
		 * lock would keep it waiting without end: the statements are cancelled, so those requests
		 * end with a 503, which they are given a moment to send, and the stop goes on. */
		char n[32];
		snprintf(n, sizeof(n), "%ld", running);
		log_error("stopping: requests still running after the grace period are cut off", n);
		db_pool_cancel_busy(s->app->pool);
		db_pool_cancel_busy(s->app->write_pool);
		wait_for_requests(CANCELLED_ANSWER_S);
	}
	MHD_stop_daemon(s->daemon);
	free(s);
}
