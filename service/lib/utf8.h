/* UTF-8 as PostgreSQL and jansson take it: no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
#ifndef RK_UTF8_H
#define RK_UTF8_H

#include <stddef.h>

/* The length of the character at p (1 to 4), or 0 when there is none: an invalid or cut sequence,
 * or the end of the string. */
size_t utf8_char(const char *p);
/* Whether s is well-formed UTF-8. */
int utf8_valid(const char *s);
/* How many bytes of s to keep when at most max fit: never ending inside a sequence, so that a text
 * cut short is still text. An int, for "%.*s". */
int utf8_cut(const char *s, size_t max);

#endif
