#include "lib/crypto.h"

#include <errno.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <string.h>
#include <sys/random.h>

#include "lib/banned.h"

int crypto_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int crypto_new_secret(char *dst, size_t n, const char *prefix)
{
	uint8_t raw[CRYPTO_SECRET_BYTES];
	size_t plen = strlen(prefix);
	if (n < plen + CRYPTO_SECRET_BYTES * 4 / 3 + 1 || crypto_random(raw, sizeof(raw)) < 0)
		return -1;
	memcpy(dst, prefix, plen);
	char *o = dst + plen;
	for (size_t i = 0; i < sizeof(raw); i += 3) { /* 24 bytes: whole groups, no padding */
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
		*o++ = b64url[v >> 18 & 63];
		*o++ = b64url[v >> 12 & 63];
		*o++ = b64url[v >> 6 & 63];
		*o++ = b64url[v & 63];
	}
	*o = '\0';
	memset(raw, 0, sizeof(raw));
	return 0;
}

void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_HASH_BYTES])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, CRYPTO_HASH_BYTES, out);
}

int crypto_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	/* nettle's comparison is written and kept to take the same time wherever the bytes differ;
	 * bench/constant-time.sh measures that it does */
	return memeql_sec(a, b, n);
}

void crypto_hex(const uint8_t *bytes, size_t n, char *dst)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hex[bytes[i] >> 4];
		dst[2 * i + 1] = hex[bytes[i] & 15];
	}
	dst[2 * n] = '\0';
}

void crypto_bytea(const uint8_t *bytes, size_t n, char *dst)
{
	dst[0] = '\\';
	dst[1] = 'x';
	crypto_hex(bytes, n, dst + 2);
}

int crypto_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crypto_from_bytea(const char *text, uint8_t *out, size_t n)
{
	if (!text || text[0] != '\\' || text[1] != 'x' || strlen(text + 2) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int h = crypto_hex_digit((unsigned char)text[2 + 2 * i]), l = crypto_hex_digit((unsigned char)text[3 + 2 * i]);
		if (h < 0 || l < 0)
			return -1;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return 0;
}
