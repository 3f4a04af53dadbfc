/* The other request headers the service reads: Authorization (auth_bearer_parse, and
 * auth_key_split on an API key, as auth_require_key does) and Accept-Language (validate_lang). The
 * input is one header value.
 *
 * Invariants: a bearer secret is a non-empty tail of the header after "Bearer" and its spaces, and
 * none is found without that scheme; a key is split only when it is rkk_, 1 to 18 digits (a
 * bigint), _ and the secret, which is then the tail after the id; a key of another shape is hashed
 * whole; no read goes past the end of the value. Accept-Language: English only when en is named;
 * "en," or "nl," put first decides; a refused en ("en;q=0", first or last) or an unknown language
 * put first changes nothing. */
#define _GNU_SOURCE /* strcasestr */
#include <string.h>
#include <strings.h>

#include "api/auth.h"
#include "fuzz.h"
#include "http/validate.h"

static void check_key(const char *key)
{
	char *id = malloc(AUTH_KEY_ID_BYTES);
	const char *secret = NULL;
	int rc = auth_key_split(key, id, &secret);
	FUZZ_CHECK(memchr(id, '\0', AUTH_KEY_ID_BYTES), "the id is not terminated");
	size_t n = strlen(id);
	if (rc == 0) {
		FUZZ_CHECK(strncmp(key, AUTH_KEY_PREFIX, 4) == 0 && n >= 1 && n <= 18 && strspn(id, "0123456789") == n &&
				   memcmp(key + 4, id, n) == 0 && key[4 + n] == '_' && secret == key + 4 + n + 1,
			   "'%s' split into id '%s' and secret '%s'", key, id, secret);
	} else {
		FUZZ_CHECK(rc == -1 && n == 0 && secret == key, "'%s' refused with id '%s' and secret '%s'", key, id,
			   secret ? secret : "(null)");
		const char *p = key + 4;
		size_t digits = strncmp(key, AUTH_KEY_PREFIX, 4) == 0 ? strspn(p, "0123456789") : 0;
		FUZZ_CHECK(strncmp(key, AUTH_KEY_PREFIX, 4) != 0 || digits == 0 || digits > 18 || p[digits] != '_',
			   "'%s' has the shape of a key but was refused", key);
	}
	free(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fuzz_string(data, size);

	/* Authorization */
	const char *bearer = auth_bearer_parse(h);
	if (bearer) {
		size_t len = strlen(h);
		FUZZ_CHECK(strncasecmp(h, "Bearer ", 7) == 0 && bearer >= h + 7 && bearer < h + len && *bearer != ' ',
			   "'%s' gives the secret '%s'", h, bearer);
		FUZZ_CHECK(strspn(h + 7, " ") == (size_t)(bearer - h - 7), "spaces left before the secret in '%s'", h);
		check_key(bearer);
	} else {
		FUZZ_CHECK(strncasecmp(h, "Bearer ", 7) != 0 || strspn(h + 7, " ") == strlen(h + 7),
			   "no secret found in '%s'", h);
	}
	FUZZ_CHECK(auth_bearer_parse(NULL) == NULL, "a secret without a header");
	check_key(h);

	/* Accept-Language: properties of the choice, not a second copy of it */
	FUZZ_CHECK(validate_lang(NULL) == LANG_NL, "no header is not Dutch");
	enum lang lang = validate_lang(h);
	FUZZ_CHECK(lang == LANG_NL || strcasestr(h, "en"), "'%s' gives English without naming it", h);
	size_t n = strlen(h);
	char *x = malloc(n + 16);
	/* a range of weight 1 named first wins */
	snprintf(x, n + 16, "en,%s", h);
	FUZZ_CHECK(validate_lang(x) == LANG_EN, "'%s' does not give English", x);
	snprintf(x, n + 16, "nl,%s", h);
	FUZZ_CHECK(validate_lang(x) == LANG_NL, "'%s' does not give Dutch", x);
	/* a refused en and an unknown language change nothing, before or after */
	snprintf(x, n + 16, "en;q=0,%s", h);
	FUZZ_CHECK(validate_lang(x) == lang, "'%s' differs from '%s'", x, h);
	snprintf(x, n + 16, "%s,en;q=0", h);
	FUZZ_CHECK(validate_lang(x) == lang, "'%s' differs from '%s'", x, h);
	snprintf(x, n + 16, "zz-ZZ,%s", h);
	FUZZ_CHECK(validate_lang(x) == lang, "'%s' differs from '%s'", x, h);
	free(x);

	free(h);
	return 0;
}
