/* What the fuzz targets share: turning the input into request text, and checking invariants.
 * A broken invariant prints what broke and aborts, so that libFuzzer keeps the input as a crash. */
#ifndef RK_FUZZ_H
#define RK_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn, format(printf, 4, 5))) static inline void fuzz_fail(const char *file, int line,
									     const char *cond, const char *fmt, ...)
{
	fprintf(stderr, "\n%s:%d: invariant broken: %s\n  ", file, line, cond);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FUZZ_CHECK(cond, ...) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))

/* The input as a C string, as the server sees text: up to the first NUL byte, in an allocation of
 * exactly that size, so that a read past the end is caught. The caller frees it. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* The next part of the input up to a newline (not included), as a fuzz_string; *data and *size
 * move past it. */
static inline char *fuzz_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl ? (size_t)(nl - *data) : *size;
	char *s = fuzz_string(*data, n);
	*data += nl ? n + 1 : n;
	*size -= nl ? n + 1 : n;
	return s;
}

/* Well-formed UTF-8 as PostgreSQL and jansson take it: no overlong forms, surrogates or code
 * points above U+10FFFF. Written independently of the service's own check. */
static inline int fuzz_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (p[0] < 0x80) {
			p++;
		} else if (p[0] >= 0xC2 && p[0] <= 0xDF && (p[1] & 0xC0) == 0x80) {
			p += 2;
		} else if (p[0] >= 0xE0 && p[0] <= 0xEF && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
			unsigned cp = (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
			if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
				return 0;
			p += 3;
		} else if (p[0] >= 0xF0 && p[0] <= 0xF4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
			   (p[3] & 0xC0) == 0x80) {
			unsigned long cp = (p[0] & 0x07ul) << 18 | (p[1] & 0x3Ful) << 12 | (p[2] & 0x3Ful) << 6 |
					   (p[3] & 0x3Ful);
			if (cp < 0x10000 || cp > 0x10FFFF)
				return 0;
			p += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Whether a fixed-size char array holds a NUL-terminated string. */
#define FUZZ_TERMINATED(arr) (memchr((arr), '\0', sizeof(arr)) != NULL)

#endif
