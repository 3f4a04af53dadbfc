#include "api/auth.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/ratelimit.h"
#include "store/keys.h"
#include "lib/banned.h"

static struct ratelimit *failures;

void auth_init(int failures_per_minute)
{
	failures = ratelimit_new(failures_per_minute, failures_per_minute > 10 ? failures_per_minute : 10);
}

void auth_shutdown(void)
{
	ratelimit_free(failures);
	failures = NULL;
}

const char *auth_role_name(enum role role)
{
	switch (role) {
	case ROLE_MODERATOR: return "moderator";
	case ROLE_ANALYST: return "analyst";
	case ROLE_ADMIN: return "admin";
	default: return "none";
	}
}

enum role auth_role_parse(const char *name)
{
	if (!name)
		return ROLE_NONE;
	if (strcmp(name, "moderator") == 0)
		return ROLE_MODERATOR;
	if (strcmp(name, "analyst") == 0)
		return ROLE_ANALYST;
	if (strcmp(name, "admin") == 0)
		return ROLE_ADMIN;
	return ROLE_NONE;
}

const char *auth_bearer_parse(const char *h)
{
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

const char *auth_bearer(struct request *r)
{
	return auth_bearer_parse(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
}

int auth_key_split(const char *key, char id[AUTH_KEY_ID_BYTES], const char **secret)
{
	const size_t plen = strlen(AUTH_KEY_PREFIX);
	*secret = key;
	id[0] = '\0';
	/* the prefix first: a shorter key must not be read past its end */
	if (strncmp(key, AUTH_KEY_PREFIX, plen) != 0)
		return -1;
	const char *p = key + plen;
	size_t n = strspn(p, "0123456789");
	if (n == 0 || n > 18 || p[n] != '_') /* 18 digits always fit a bigint */
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	*secret = p + n + 1;
	return 0;
}

static void unauthorized(struct request *r, const char *detail)
{
	http_problem(r, 401, "unauthorized", detail);
	r->resp.www_authenticate = 1;
}

/* Too many failed attempts from this address: 429 before any secret is even looked at. */
static int locked_out(struct request *r)
{
	int wait = failures ? ratelimit_peek(failures, r->remote) : 0;
	if (!wait)
		return 0;
	http_problem(r, 429, "too-many-requests", "too many failed authentication attempts; wait and try again");
	r->resp.retry_after = wait;
	return 1;
}

static void failed(struct request *r)
{
	if (failures)
		ratelimit_take(failures, r->remote);
}

int auth_check_token(struct request *r, const uint8_t stored_hash[CRYPTO_HASH_BYTES])
{
	if (locked_out(r))
		return -1;
	const char *tok = auth_bearer(r);
	if (!tok) {
		unauthorized(r, "this needs the edit token of the submission: Authorization: Bearer <token>");
		return -1;
	}
	uint8_t h[CRYPTO_HASH_BYTES];
	crypto_sha256(tok, strlen(tok), h);
	if (!stored_hash || !crypto_equal(h, stored_hash, CRYPTO_HASH_BYTES)) {
		failed(r);
		unauthorized(r, "the edit token is not valid for this submission");
		return -1;
	}
	return 0;
}

int auth_require_key(struct request *r, unsigned allowed, struct principal *who)
{
	memset(who, 0, sizeof(*who));
	if (locked_out(r))
		return -1;
	const char *key = auth_bearer(r);
	if (!key) {
		unauthorized(r, "this needs an API key: Authorization: Bearer <key>");
		return -1;
	}
	/* rkk_<id>_<secret>: the id finds the key, the hash of the secret proves it */
	char id[AUTH_KEY_ID_BYTES];
	const char *secret;
	int lookup = 1; /* as store_key_lookup answers: 0 the key with this id, 1 no such key */
	struct store_key k;
	struct db_error err;
	if (auth_key_split(key, id, &secret) == 0) {
		lookup = store_key_lookup(r->app->write_pool, id, &k, &err);
		if (lookup < 0) {
			http_problem_db(r, &err);
			return -1;
		}
	}
	uint8_t h[CRYPTO_HASH_BYTES];
	crypto_sha256(secret, strlen(secret), h);
	if (lookup != 0 || !k.has_secret_hash || !crypto_equal(h, k.secret_hash, sizeof(h))) {
		failed(r);
		unauthorized(r, "the API key is not valid (unknown, revoked or mistyped)");
		return -1;
	}
	who->role = auth_role_parse(k.role);
	snprintf(who->name, sizeof(who->name), "%s", k.name);
	snprintf(who->actor, sizeof(who->actor), "key:%s (%s)", who->name, auth_role_name(who->role));
	if (who->role != ROLE_ADMIN && !(who->role & allowed)) {
		char detail[160];
		snprintf(detail, sizeof(detail), "a key with the role %s may not do this", auth_role_name(who->role));
		http_problem(r, 403, "forbidden", detail);
		return -1;
	}
	if (store_key_touch(r->app->write_pool, id, &err) < 0) {
		http_problem_db(r, &err);
		return -1;
	}
	return 0;
}
