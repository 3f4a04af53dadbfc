#include "lib/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/banned.h"

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void set_v6(struct netaddr *a, const unsigned char b[16])
{
	memset(a, 0, sizeof(*a));
	if (memcmp(b, v4_mapped_prefix, sizeof(v4_mapped_prefix)) == 0) {
		a->family = 4;
		memcpy(a->bytes, b + 12, 4);
	} else {
		a->family = 6;
		memcpy(a->bytes, b, 16);
	}
}

static int is_port(const char *s, size_t len)
{
	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* An address alone: no brackets, no port. */
static int parse_plain(const char *s, size_t len, struct netaddr *a)
{
	char text[NETADDR_TEXT];
	unsigned char b[16];
	memset(a, 0, sizeof(*a));
	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, b) == 1) {
		a->family = 4;
		memcpy(a->bytes, b, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, b) == 1) {
		set_v6(a, b);
		return 0;
	}
	return -1;
}

int netaddr_parse(const char *s, size_t len, struct netaddr *a)
{
	if (len && s[0] == '[') { /* [v6] or [v6]:port */
		const char *close = memchr(s, ']', len);
		if (!close)
			return -1;
		size_t rest = len - (size_t)(close + 1 - s);
		if (rest && (close[1] != ':' || !is_port(close + 2, rest - 1)))
			return -1;
		/* brackets are for IPv6 text only */
		if (!memchr(s + 1, ':', (size_t)(close - s - 1)) ||
		    parse_plain(s + 1, (size_t)(close - s - 1), a) < 0)
			return -1;
		return 0;
	}
	/* One colon only: an IPv4 address with a port, as IPv6 text has two at least. */
	const char *colon = memchr(s, ':', len);
	if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
		if (!is_port(colon + 1, len - (size_t)(colon + 1 - s)))
			return -1;
		if (parse_plain(s, (size_t)(colon - s), a) < 0 || a->family != 4)
			return -1;
		return 0;
	}
	return parse_plain(s, len, a);
}

int netaddr_from_sockaddr(const void *sockaddr, struct netaddr *a)
{
	const struct sockaddr *sa = sockaddr;
	memset(a, 0, sizeof(*a));
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = sockaddr;
		a->family = 4;
		memcpy(a->bytes, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = sockaddr;
		set_v6(a, (const unsigned char *)&in6->sin6_addr);
		return 0;
	}
	return -1;
}

void netaddr_format(const struct netaddr *a, char *dst, size_t n)
{
	if (!n)
		return;
	if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, dst, (socklen_t)n))
		dst[0] = '\0';
}

static int in_range(const struct netrange *r, const struct netaddr *a)
{
	if (r->addr.family != a->family)
		return 0;
	unsigned whole = r->prefix / 8, bits = r->prefix % 8;
	if (memcmp(r->addr.bytes, a->bytes, whole) != 0)
		return 0;
	if (!bits)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - bits));
	return (r->addr.bytes[whole] & mask) == (a->bytes[whole] & mask);
}

int netranges_contain(const struct netranges *set, const struct netaddr *a)
{
	for (size_t i = 0; i < set->n; i++)
		if (in_range(&set->v[i], a))
			return 1;
	return 0;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* One entry of the list: an address, or address/prefix. */
static int parse_range(const char *s, size_t len, struct netrange *r, char *err, size_t errlen)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	int shown = (int)(len > 80 ? 80 : len);
	if (parse_plain(s, alen, &r->addr) < 0) {
		snprintf(err, errlen, "TRUSTED_PROXIES: '%.*s' is not an IPv4 or IPv6 address or range", shown, s);
		return -1;
	}
	int mapped = r->addr.family == 4 && memchr(s, ':', alen) != NULL; /* ::ffff:a.b.c.d */
	unsigned max = r->addr.family == 4 && !mapped ? 32 : 128;
	r->prefix = max;
	if (slash) {
		size_t plen = len - alen - 1;
		unsigned p = 0;
		int ok = plen > 0 && plen <= 3;
		for (size_t i = 0; ok && i < plen; i++) {
			ok = slash[1 + i] >= '0' && slash[1 + i] <= '9';
			p = p * 10 + (unsigned)(slash[1 + i] - '0');
		}
		if (!ok || p > max) {
			snprintf(err, errlen, "TRUSTED_PROXIES: the prefix of '%.*s' must be a number from 0 to %u",
				 shown, s, max);
			return -1;
		}
		r->prefix = p;
	}
	if (mapped) { /* ::ffff:a.b.c.d/N is the IPv4 range a.b.c.d/(N - 96) */
		if (r->prefix < 96) {
			snprintf(err, errlen, "TRUSTED_PROXIES: the prefix of '%.*s' must be at least 96", shown, s);
			return -1;
		}
		r->prefix -= 96;
	}
	unsigned bits = r->addr.family == 4 ? 32 : 128;
	for (unsigned bit = r->prefix; bit < bits; bit++) {
		if (r->addr.bytes[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(err, errlen,
				 "TRUSTED_PROXIES: '%.*s' has address bits set beyond its prefix; write the "
				 "network address",
				 shown, s);
			return -1;
		}
	}
	return 0;
}

int netranges_parse(const char *list, struct netranges *out, char *err, size_t errlen)
{
	out->n = 0;
	if (!list || !*list)
		return 0;
	for (const char *p = list;;) {
		size_t len = strcspn(p, ",");
		const char *s = p, *e = p + len;
		while (s < e && is_ows(*s))
			s++;
		while (e > s && is_ows(e[-1]))
			e--;
		if (s == e) {
			snprintf(err, errlen, "TRUSTED_PROXIES has an empty entry (two commas, or one at an end)");
			return -1;
		}
		if (out->n == NETRANGES_MAX) {
			snprintf(err, errlen, "TRUSTED_PROXIES lists more than %d addresses and ranges", NETRANGES_MAX);
			return -1;
		}
		if (parse_range(s, (size_t)(e - s), &out->v[out->n], err, errlen) < 0)
			return -1;
		out->n++;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

/* Walks one field line from its right end. Returns 1 when the client is decided, 0 when every
 * address in it is trusted (the line before may go on). */
static int walk_line(const struct netranges *trusted, const char *line, struct netaddr *client)
{
	const char *end = line + strlen(line);
	for (;;) {
		const char *s = end;
		while (s > line && s[-1] != ',')
			s--;
		const char *e = end, *b = s;
		while (b < e && is_ows(*b))
			b++;
		while (e > b && is_ows(e[-1]))
			e--;
		struct netaddr a;
		if (netaddr_parse(b, (size_t)(e - b), &a) < 0)
			return 1; /* not an address: nothing to its left can be checked */
		*client = a;
		if (!netranges_contain(trusted, &a))
			return 1;
		if (s == line)
			return 0;
		end = s - 1;
	}
}

int netaddr_client(const struct netranges *trusted, const struct netaddr *peer,
		   const char *const *forwarded, size_t n, struct netaddr *client)
{
	*client = *peer;
	if (!netranges_contain(trusted, peer))
		return 0;
	for (size_t i = n; i-- > 0;)
		if (forwarded[i] && walk_line(trusted, forwarded[i], client))
			break;
	return memcmp(client, peer, sizeof(*client)) != 0;
}
