/* Who is asking: the edit token of a submission, or an API key with a role. Secrets arrive as
 * "Authorization: Bearer ..."; only their SHA-256 hashes are stored, compared in constant time.
 * Failed attempts count against the client's address (brute-force limit). */
#ifndef RK_AUTH_H
#define RK_AUTH_H

#include <stdint.h>

#include "lib/crypto.h"

struct request;

#define AUTH_TOKEN_PREFIX "rke_"  /* edit tokens of submissions */
#define AUTH_KEY_PREFIX "rkk_"    /* API keys: rkk_<id>_<secret> */

enum role { ROLE_NONE = 0, ROLE_MODERATOR = 1, ROLE_ANALYST = 2, ROLE_ADMIN = 4 };

struct principal {
	enum role role;
	char name[404];  /* whole: the database allows 100 characters, so at most 400 bytes */
	char actor[424]; /* for the audit log: "key:<name> (<role>)" */
};

/* The bearer secret of the request, or NULL (borrowed from MHD). */
const char *auth_bearer(struct request *r);
/* The same from the value of an Authorization header (NULL when there is none): a pointer into it. */
const char *auth_bearer_parse(const char *authorization);

#define AUTH_KEY_ID_BYTES 24 /* the id of an API key: 1 to 18 digits, and the NUL */
/* Splits an API key rkk_<id>_<secret>: the id into id, *secret after it; 0. When the key does not
 * have that shape: -1, id is "" and *secret is the whole key. */
int auth_key_split(const char *key, char id[AUTH_KEY_ID_BYTES], const char **secret);

/* Checks that the request's bearer token is the edit token whose hash is stored_hash.
 * Answers 401 (or 429 after too many failures) and returns -1 when not. */
int auth_check_token(struct request *r, const uint8_t stored_hash[CRYPTO_HASH_BYTES]);

/* Checks the request's API key and that its role is one of allowed (a mask; admin always may).
 * Fills who; answers 401/403/429/503 and returns -1 otherwise. */
int auth_require_key(struct request *r, unsigned allowed, struct principal *who);

const char *auth_role_name(enum role role);
enum role auth_role_parse(const char *name);

/* The brute-force limit state (created in main). */
void auth_init(int failures_per_minute);
void auth_shutdown(void);

#endif
