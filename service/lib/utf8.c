#include "lib/utf8.h"

#include <string.h>

#include "lib/banned.h"

size_t utf8_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c = p[0], min;
	size_t n;
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	c &= 0x7Fu >> n;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	return c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ? 0 : n;
}

int utf8_valid(const char *s)
{
	while (*s) {
		size_t n = utf8_char(s);
		if (!n)
			return 0;
		s += n;
	}
	return 1;
}

int utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (n == max) /* s[n] is the first byte left out: not one inside a sequence */
		for (int k = 0; k < 3 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; k++)
			n--;
	return (int)n;
}
