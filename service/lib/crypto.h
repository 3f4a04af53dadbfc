/* Secrets: random tokens, their SHA-256 hashes, constant-time comparison. Only hashes are stored. */
#ifndef RK_CRYPTO_H
#define RK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_HASH_BYTES 32
#define CRYPTO_SECRET_BYTES 24 /* 192 bits of randomness */

/* Fills buf with n random bytes from the kernel; -1 on failure. */
int crypto_random(void *buf, size_t n);
/* A new secret: prefix followed by base64url of CRYPTO_SECRET_BYTES random bytes. dst >= 64. */
int crypto_new_secret(char *dst, size_t n, const char *prefix);
void crypto_sha256(const void *data, size_t len, uint8_t out[CRYPTO_HASH_BYTES]);
/* 1 when equal; the time taken does not depend on where they differ. */
int crypto_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* The value of a hexadecimal digit, or -1. */
int crypto_hex_digit(int c);
/* Hex of bytes into dst (2n+1). */
void crypto_hex(const uint8_t *bytes, size_t n, char *dst);
/* PostgreSQL bytea literal ("\\x..."), dst >= 2n+3. */
void crypto_bytea(const uint8_t *bytes, size_t n, char *dst);
/* Parses a bytea text result ("\\x..") into out (n bytes); -1 when it is not exactly n bytes. */
int crypto_from_bytea(const char *text, uint8_t *out, size_t n);

#endif
