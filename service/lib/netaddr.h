/* Network addresses, address ranges (CIDR) and the client behind trusted proxies: which address a
 * request comes from when a reverse proxy (nginx, a load balancer) passes it on with
 * X-Forwarded-For. Pure: no allocation, no I/O. */
#ifndef RK_NETADDR_H
#define RK_NETADDR_H

#include <stddef.h>

/* An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is kept as IPv4, so that
 * one host has one form whichever socket or header it came through. */
struct netaddr {
	int family;               /* 4 or 6 */
	unsigned char bytes[16];  /* IPv4 in the first 4 */
};

struct netrange {
	struct netaddr addr;      /* the bits beyond prefix are 0 */
	unsigned prefix;          /* 0..32 for IPv4, 0..128 for IPv6 */
};

#define NETRANGES_MAX 64

struct netranges {
	size_t n;
	struct netrange v[NETRANGES_MAX];
};

/* Longest text of an address, with its terminating NUL. */
#define NETADDR_TEXT 46

/* Parses len bytes of s as one address: IPv4 dotted quad or IPv6 text, an IPv6 address in
 * brackets, either optionally followed by :port (as some proxies write them). 0, or -1 when it
 * is not one (nothing else is accepted: no names, no zone ids, no spaces). */
int netaddr_parse(const char *s, size_t len, struct netaddr *a);
/* Parses a socket address (struct sockaddr_in or sockaddr_in6); -1 for any other family. */
int netaddr_from_sockaddr(const void *sockaddr, struct netaddr *a);
/* The address as text (inet_ntop's form) into dst of at least NETADDR_TEXT bytes. */
void netaddr_format(const struct netaddr *a, char *dst, size_t n);

/* Parses a comma-separated list of addresses and ranges ("127.0.0.1, 10.0.0.0/8, ::1,
 * fd00::/8"; spaces around entries allowed); NULL or "" is the empty list. A range with bits set
 * beyond its prefix (10.0.0.1/8) is refused, as is an empty entry. On error writes a message to
 * err and returns -1. */
int netranges_parse(const char *list, struct netranges *out, char *err, size_t errlen);
/* Whether a is in one of the ranges. */
int netranges_contain(const struct netranges *set, const struct netaddr *a);

/* The client a request comes from. When the TCP peer is not one of the trusted proxies, that is
 * the peer, whatever the request's headers say. When it is, the X-Forwarded-For field lines
 * (forwarded[0..n), in the order received; a line may list several addresses) are read from the
 * right: each proxy appends the address it was reached from, so the right-most address that is
 * not itself a trusted proxy is the client. An element that is not an address ends the walk: what
 * lies left of it cannot be checked, and the last trusted address seen is taken. When every
 * address is a trusted proxy, the left-most is taken. Returns 1 when the client came from the
 * header, 0 when it is the peer. */
int netaddr_client(const struct netranges *trusted, const struct netaddr *peer,
		   const char *const *forwarded, size_t n, struct netaddr *client);

#endif
