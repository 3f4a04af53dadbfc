/* Unit tests of the client address behind reverse proxies: TRUSTED_PROXIES (addresses and CIDR
 * ranges, IPv4 and IPv6) and the choice of the client from X-Forwarded-For (many hops, malformed
 * elements, spoofed headers from untrusted peers). */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/config.h"
#include "lib/netaddr.h"

static struct netaddr addr(const char *s)
{
	struct netaddr a;
	ck_assert_msg(netaddr_parse(s, strlen(s), &a) == 0, "'%s' should parse", s);
	return a;
}

static const char *text(const struct netaddr *a)
{
	static char t[NETADDR_TEXT];
	netaddr_format(a, t, sizeof(t));
	return t;
}

static struct netranges ranges(const char *list)
{
	struct netranges set;
	char err[256];
	ck_assert_msg(netranges_parse(list, &set, err, sizeof(err)) == 0, "'%s': %s", list, err);
	return set;
}

START_TEST(addresses_parse)
{
	static const struct {
		const char *in, *out;
		int family;
	} good[] = {
		{.in = "203.0.113.7", .out = "203.0.113.7", .family = 4},
		{.in = "0.0.0.0", .out = "0.0.0.0", .family = 4},
		{.in = "203.0.113.7:4711", .out = "203.0.113.7", .family = 4},
		{.in = "2001:db8::7", .out = "2001:db8::7", .family = 6},
		{.in = "2001:DB8:0:0:0:0:0:7", .out = "2001:db8::7", .family = 6},
		{.in = "::1", .out = "::1", .family = 6},
		{.in = "[2001:db8::7]", .out = "2001:db8::7", .family = 6},
		{.in = "[2001:db8::7]:443", .out = "2001:db8::7", .family = 6},
		{.in = "::ffff:192.0.2.1", .out = "192.0.2.1", .family = 4},
		{.in = "[::ffff:192.0.2.1]:80", .out = "192.0.2.1", .family = 4},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct netaddr a = addr(good[i].in);
		ck_assert_int_eq(a.family, good[i].family);
		ck_assert_str_eq(text(&a), good[i].out);
	}
	static const char *const bad[] = {
		"", " 203.0.113.7", "203.0.113.7 ", "203.0.113", "203.0.113.7.1", "256.0.0.1", "01.2.3.4",
		"unknown", "example.org", "_hidden", "[203.0.113.7]", "[::1", "[::1]x", "[::1]:", "[::1]:123456",
		"203.0.113.7:", "203.0.113.7:http", "203.0.113.7:123456", "fe80::1%eth0", ":::", "2001:db8::7::1",
		"[]", "1:2", "203.0.113.7/32", "2001:db8::7/128",
		"0123456789012345678901234567890123456789012345678901234567890123456789",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct netaddr a;
		ck_assert_msg(netaddr_parse(bad[i], strlen(bad[i]), &a) == -1, "'%s' should not parse", bad[i]);
	}
	/* only the given length is read */
	struct netaddr a;
	ck_assert_int_eq(netaddr_parse("10.0.0.1, 10.0.0.2", 8, &a), 0);
	ck_assert_str_eq(text(&a), "10.0.0.1");
}
END_TEST

START_TEST(socket_addresses)
{
	struct sockaddr_in in4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.2", &in4.sin_addr);
	struct netaddr a;
	ck_assert_int_eq(netaddr_from_sockaddr(&in4, &a), 0);
	ck_assert_str_eq(text(&a), "127.0.0.2");
	/* a dual-stack socket gives IPv4 peers as ::ffff:a.b.c.d: the same host as the IPv4 form */
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
	ck_assert_int_eq(netaddr_from_sockaddr(&in6, &a), 0);
	ck_assert_int_eq(a.family, 4);
	ck_assert_int_eq(netranges_contain((const struct netranges[]){ranges("127.0.0.1")}, &a), 1);
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	ck_assert_int_eq(netaddr_from_sockaddr(&in6, &a), 0);
	ck_assert_str_eq(text(&a), "::1");
	struct sockaddr other = {.sa_family = AF_UNIX};
	ck_assert_int_eq(netaddr_from_sockaddr(&other, &a), -1);
	ck_assert_int_eq(netaddr_from_sockaddr(NULL, &a), -1);
}
END_TEST

START_TEST(ranges_parse)
{
	struct netranges set = ranges(" 127.0.0.1, ::1,10.0.0.0/8 ,\tfd00::/8,192.168.1.128/25 ");
	ck_assert_uint_eq(set.n, 5);
	ck_assert_uint_eq(set.v[0].prefix, 32);
	ck_assert_uint_eq(set.v[1].prefix, 128);
	ck_assert_uint_eq(set.v[2].prefix, 8);
	ck_assert_uint_eq(set.v[3].prefix, 8);
	ck_assert_uint_eq(set.v[4].prefix, 25);
	ck_assert_uint_eq(ranges("").n, 0);
	struct netranges none;
	char err[256];
	ck_assert_int_eq(netranges_parse(NULL, &none, err, sizeof(err)), 0);
	ck_assert_uint_eq(none.n, 0);
	/* an IPv4-mapped range is the IPv4 range */
	set = ranges("::ffff:10.0.0.0/104");
	ck_assert_int_eq(set.v[0].addr.family, 4);
	ck_assert_uint_eq(set.v[0].prefix, 8);
	static const struct {
		const char *in, *says;
	} bad[] = {
		{.in = "10.0.0.1/8", .says = "beyond its prefix"},
		{.in = "2001:db8::1/32", .says = "beyond its prefix"},
		{.in = "10.0.0.0/33", .says = "from 0 to 32"},
		{.in = "::/129", .says = "from 0 to 128"},
		{.in = "10.0.0.0/", .says = "prefix"},
		{.in = "10.0.0.0/x", .says = "prefix"},
		{.in = "10.0.0.0/-1", .says = "prefix"},
		{.in = "10.0.0.0/0008", .says = "prefix"},
		{.in = "::ffff:10.0.0.0/95", .says = "at least 96"},
		{.in = "127.0.0.1,,::1", .says = "empty entry"},
		{.in = "127.0.0.1,", .says = "empty entry"},
		{.in = " ", .says = "empty entry"},
		{.in = "[::1]", .says = "not an IPv4 or IPv6"},
		{.in = "127.0.0.1:8080", .says = "not an IPv4 or IPv6"},
		{.in = "proxy.example.org", .says = "not an IPv4 or IPv6"},
		{.in = "127.0.0.1 ::1", .says = "not an IPv4 or IPv6"},
		{.in = "/8", .says = "not an IPv4 or IPv6"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(netranges_parse(bad[i].in, &set, err, sizeof(err)) == -1, "'%s' should be refused", bad[i].in);
		ck_assert_msg(strstr(err, bad[i].says) && strstr(err, "TRUSTED_PROXIES"), "'%s': %s", bad[i].in, err);
	}
	/* a bounded list */
	char many[NETRANGES_MAX * 16 + 32] = "";
	for (int i = 0; i <= NETRANGES_MAX; i++) {
		char one[16];
		snprintf(one, sizeof(one), "%s10.0.%d.1", i ? "," : "", i);
		strcat(many, one);
	}
	ck_assert_int_eq(netranges_parse(many, &set, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	*strrchr(many, ',') = '\0';
	ck_assert_int_eq(netranges_parse(many, &set, err, sizeof(err)), 0);
	ck_assert_uint_eq(set.n, NETRANGES_MAX);
}
END_TEST

static int contains(const char *list, const char *a)
{
	struct netranges set = ranges(list);
	struct netaddr x = addr(a);
	return netranges_contain(&set, &x);
}

START_TEST(range_edges)
{
	ck_assert_int_eq(contains("10.0.0.0/8", "10.0.0.0"), 1);
	ck_assert_int_eq(contains("10.0.0.0/8", "10.255.255.255"), 1);
	ck_assert_int_eq(contains("10.0.0.0/8", "11.0.0.0"), 0);
	ck_assert_int_eq(contains("10.0.0.0/8", "9.255.255.255"), 0);
	ck_assert_int_eq(contains("192.168.1.128/25", "192.168.1.128"), 1);
	ck_assert_int_eq(contains("192.168.1.128/25", "192.168.1.255"), 1);
	ck_assert_int_eq(contains("192.168.1.128/25", "192.168.1.127"), 0);
	ck_assert_int_eq(contains("192.168.1.128/25", "192.168.0.200"), 0);
	ck_assert_int_eq(contains("172.16.0.0/12", "172.31.255.255"), 1);
	ck_assert_int_eq(contains("172.16.0.0/12", "172.32.0.0"), 0);
	ck_assert_int_eq(contains("203.0.113.7", "203.0.113.7"), 1);
	ck_assert_int_eq(contains("203.0.113.7", "203.0.113.6"), 0);
	ck_assert_int_eq(contains("203.0.113.7/32", "203.0.113.8"), 0);
	ck_assert_int_eq(contains("0.0.0.0/0", "255.255.255.255"), 1);
	/* families never mix: all of IPv4 is not an IPv6 address, nor the reverse */
	ck_assert_int_eq(contains("0.0.0.0/0", "::1"), 0);
	ck_assert_int_eq(contains("::/0", "127.0.0.1"), 0);
	ck_assert_int_eq(contains("::/0", "2001:db8::1"), 1);
	ck_assert_int_eq(contains("fc00::/7", "fdff:ffff::1"), 1);
	ck_assert_int_eq(contains("fc00::/7", "fe00::1"), 0);
	ck_assert_int_eq(contains("fc00::/7", "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
	ck_assert_int_eq(contains("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
	ck_assert_int_eq(contains("2001:db8::/32", "2001:db9::"), 0);
	ck_assert_int_eq(contains("2001:db8::/127", "2001:db8::1"), 1);
	ck_assert_int_eq(contains("2001:db8::/127", "2001:db8::2"), 0);
	ck_assert_int_eq(contains("::1", "::1"), 1);
	ck_assert_int_eq(contains("::1", "::2"), 0);
	/* an IPv4-mapped address is the IPv4 address, in either list */
	ck_assert_int_eq(contains("10.0.0.0/8", "::ffff:10.1.2.3"), 1);
	ck_assert_int_eq(contains("::ffff:10.0.0.0/104", "10.1.2.3"), 1);
	ck_assert_int_eq(contains("::ffff:10.0.0.0/104", "11.1.2.3"), 0);
	ck_assert_int_eq(contains("", "127.0.0.1"), 0);
}
END_TEST

/* The client chosen for a request from peer with these X-Forwarded-For lines ("|" between lines). */
static const char *client_of(const char *trusted, const char *peer, const char *header)
{
	struct netranges set = ranges(trusted);
	struct netaddr p = addr(peer), c;
	char copy[16384];
	const char *lines[16];
	size_t n = 0;
	if (header) {
		snprintf(copy, sizeof(copy), "%s", header);
		for (char *s = copy;; s++) {
			lines[n++] = s;
			s = strchr(s, '|');
			if (!s)
				break;
			*s = '\0';
		}
	}
	int from_header = netaddr_client(&set, &p, lines, n, &c);
	ck_assert_int_eq(from_header, memcmp(&c, &p, sizeof(c)) != 0);
	return text(&c);
}

START_TEST(client_behind_trusted_proxies)
{
	const char *t = "127.0.0.1, ::1, 10.0.0.0/8";
	/* nobody trusted, or an untrusted peer: the header changes nothing */
	ck_assert_str_eq(client_of("", "127.0.0.1", "203.0.113.7"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "198.51.100.4", "203.0.113.7"), "198.51.100.4");
	ck_assert_str_eq(client_of(t, "198.51.100.4", "203.0.113.7, 127.0.0.1"), "198.51.100.4");
	ck_assert_str_eq(client_of(t, "127.0.0.2", "203.0.113.7"), "127.0.0.2");
	/* a trusted peer: the address it appended, or the peer when it appended none */
	ck_assert_str_eq(client_of(t, "127.0.0.1", NULL), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7"), "203.0.113.7");
	ck_assert_str_eq(client_of(t, "::1", "203.0.113.7"), "203.0.113.7");
	/* what the client wrote itself is left of what the proxy appended, and not believed */
	ck_assert_str_eq(client_of(t, "127.0.0.1", "1.1.1.1, 203.0.113.7"), "203.0.113.7");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "10.0.0.9, 203.0.113.7"), "203.0.113.7");
	/* many hops: trusted proxies are skipped from the right */
	ck_assert_str_eq(client_of(t, "127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.2, 10.0.0.3"),
			 "203.0.113.7");
	/* only trusted hops: the left-most, the nearest to the client */
	ck_assert_str_eq(client_of(t, "127.0.0.1", "10.0.0.5, 10.0.0.2"), "10.0.0.5");
	/* something that is not an address ends the walk at the last trusted hop */
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7, garbage, 10.0.0.2"), "10.0.0.2");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7, unknown"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "garbage"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", ""), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", " , "), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7,"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7 10.0.0.2"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7;10.0.0.2"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "for=203.0.113.7"), "127.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7/32"), "127.0.0.1");
	/* spaces and tabs around elements, ports, IPv6 in brackets or not */
	ck_assert_str_eq(client_of(t, "127.0.0.1", " 198.51.100.1 ,\t203.0.113.7\t, 10.0.0.2 "), "203.0.113.7");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7:51234"), "203.0.113.7");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "2001:db8::7"), "2001:db8::7");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "[2001:db8::7]:51234, ::1"), "2001:db8::7");
	ck_assert_str_eq(client_of(t, "::1", "::ffff:203.0.113.7"), "203.0.113.7");
	/* several header lines are one list, in the order received */
	ck_assert_str_eq(client_of(t, "127.0.0.1", "198.51.100.9|203.0.113.7, 10.0.0.2"), "203.0.113.7");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7|10.0.0.2"), "203.0.113.7");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "198.51.100.9|10.0.0.3|10.0.0.2"), "198.51.100.9");
	ck_assert_str_eq(client_of(t, "127.0.0.1", "203.0.113.7|garbage|10.0.0.2"), "10.0.0.2");
	/* a long chain of trusted hops is walked to its end */
	char chain[12000] = "203.0.113.7";
	for (int i = 0; i < 700; i++)
		strcat(chain, ", 10.0.0.1");
	ck_assert_str_eq(client_of(t, "127.0.0.1", chain), "203.0.113.7");
}
END_TEST

START_TEST(config_reads_trusted_proxies)
{
	struct config cfg;
	char err[256];
	unsetenv("TRUSTED_PROXIES");
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.trusted_proxies.n, 0);
	setenv("TRUSTED_PROXIES", "127.0.0.1,::1, 10.0.0.0/8", 1);
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.trusted_proxies.n, 3);
	setenv("TRUSTED_PROXIES", "10.0.0.1/8", 1);
	ck_assert_int_eq(config_load(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "TRUSTED_PROXIES"));
	unsetenv("TRUSTED_PROXIES");
}
END_TEST

static Suite *proxies_suite(void)
{
	Suite *s = suite_create("proxies");
	TCase *t = tcase_create("addresses");
	tcase_add_test(t, addresses_parse);
	tcase_add_test(t, socket_addresses);
	tcase_add_test(t, ranges_parse);
	tcase_add_test(t, range_edges);
	suite_add_tcase(s, t);
	t = tcase_create("client");
	tcase_add_test(t, client_behind_trusted_proxies);
	tcase_add_test(t, config_reads_trusted_proxies);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(proxies_suite());
}
