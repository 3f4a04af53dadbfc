/* A growable byte buffer with a hard size limit set at birth.
 * Appends past the limit fail (return -1) and leave the buffer unchanged, so the caller can
 * answer 413/500 instead of truncating silently. The buffer is always NUL-terminated. */
#ifndef RK_BUF_H
#define RK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t limit; /* maximum len */
};

void buf_init(struct buf *b, size_t limit);
void buf_release(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int buf_json_string(struct buf *b, const char *s);
/* Hands the data to the caller (who frees it) and resets the buffer. Never NULL on success. */
char *buf_detach(struct buf *b, size_t *len);

#endif
