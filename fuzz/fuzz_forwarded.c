/* X-Forwarded-For behind trusted proxies: netaddr_client on the input as the header's lines
 * (split at newlines), from a trusted and from an untrusted peer; netaddr_parse on each element;
 * netranges_parse on the input as a TRUSTED_PROXIES setting.
 *
 * Invariants: from an untrusted peer the client is the peer, whatever the header says; from a
 * trusted one it is what a plain right-to-left reading of the elements gives (the right-most
 * address not trusted, the last trusted one before an element that is no address, the left-most
 * when all are trusted); an address that parses formats to text that parses to the same address;
 * a parsed list of ranges has no bits beyond each prefix, and each range contains its own network
 * address. */
#include "fuzz.h"
#include "lib/netaddr.h"

#define MAX_ELEMENTS 4096

static const char trusted_list[] = "127.0.0.1, ::1, 10.0.0.0/8, 2001:db8::/32, ::ffff:192.0.2.0/120";

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* A plain reading: every element of every line into an array, then the walk from the end. */
static void model(const struct netranges *trusted, const struct netaddr *peer, const char *h, struct netaddr *client)
{
	static const char *start[MAX_ELEMENTS];
	static size_t len[MAX_ELEMENTS];
	size_t n = 0;
	for (const char *p = h;; p++) {
		const char *s = p;
		while (*p && *p != ',' && *p != '\n')
			p++;
		const char *e = p;
		while (s < e && is_ows(*s))
			s++;
		while (e > s && is_ows(e[-1]))
			e--;
		if (n == MAX_ELEMENTS)
			abort();
		start[n] = s;
		len[n++] = (size_t)(e - s);
		if (!*p)
			break;
	}
	*client = *peer;
	for (size_t i = n; i-- > 0;) {
		struct netaddr a;
		if (netaddr_parse(start[i], len[i], &a) < 0)
			return;
		*client = a;
		if (!netranges_contain(trusted, &a))
			return;
	}
}

static void round_trip(const char *s, size_t n)
{
	struct netaddr a, b;
	if (netaddr_parse(s, n, &a) < 0)
		return;
	char text[NETADDR_TEXT];
	netaddr_format(&a, text, sizeof(text));
	FUZZ_CHECK(netaddr_parse(text, strlen(text), &b) == 0 && memcmp(&a, &b, sizeof(a)) == 0,
		   "'%.*s' formats as '%s', which does not read back", (int)n, s, text);
	FUZZ_CHECK(a.family == 4 || a.family == 6, "'%.*s' has family %d", (int)n, s, a.family);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h = fuzz_string(data, size);
	char err[256];
	struct netranges trusted;
	if (netranges_parse(trusted_list, &trusted, err, sizeof(err)) < 0)
		abort();

	/* the header's lines, as MHD hands them over */
	size_t nlines = 1;
	for (const char *p = h; *p; p++)
		nlines += *p == '\n';
	char *copy = strdup(h);
	const char **lines = malloc(nlines * sizeof(*lines));
	if (!copy || !lines)
		abort();
	size_t k = 0;
	for (char *p = copy;;) {
		lines[k++] = p;
		p = strchr(p, '\n');
		if (!p)
			break;
		*p++ = '\0';
	}

	struct netaddr peer, client, expected;
	netaddr_parse("198.51.100.1", 12, &peer);
	FUZZ_CHECK(netaddr_client(&trusted, &peer, lines, nlines, &client) == 0 && memcmp(&client, &peer, sizeof(peer)) == 0,
		   "an untrusted peer's header was believed: '%s'", h);
	const char *const peers[] = {"127.0.0.1", "::1", "10.1.2.3", "::ffff:192.0.2.9"};
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		netaddr_parse(peers[i], strlen(peers[i]), &peer);
		int from_header = netaddr_client(&trusted, &peer, lines, nlines, &client);
		model(&trusted, &peer, h, &expected);
		char got[NETADDR_TEXT], want[NETADDR_TEXT];
		netaddr_format(&client, got, sizeof(got));
		netaddr_format(&expected, want, sizeof(want));
		FUZZ_CHECK(memcmp(&client, &expected, sizeof(client)) == 0, "'%s' from %s: %s, not %s", h, peers[i], got, want);
		FUZZ_CHECK(from_header == (memcmp(&client, &peer, sizeof(peer)) != 0), "'%s': says %d", h, from_header);
	}

	/* every element on its own */
	for (const char *p = h;; p++) {
		const char *s = p;
		while (*p && *p != ',' && *p != '\n')
			p++;
		round_trip(s, (size_t)(p - s));
		if (!*p)
			break;
	}

	/* the input as a setting */
	struct netranges set;
	if (netranges_parse(h, &set, err, sizeof(err)) == 0) {
		FUZZ_CHECK(set.n <= NETRANGES_MAX, "%zu ranges", set.n);
		for (size_t i = 0; i < set.n; i++) {
			const struct netrange *r = &set.v[i];
			unsigned bits = r->addr.family == 4 ? 32 : 128;
			FUZZ_CHECK(r->prefix <= bits, "'%s': prefix %u", h, r->prefix);
			for (unsigned b = r->prefix; b < bits; b++)
				FUZZ_CHECK(!(r->addr.bytes[b / 8] & (0x80 >> (b % 8))), "'%s': bit %u set beyond /%u", h, b, r->prefix);
			struct netranges one = {.n = 1, .v = {*r}};
			FUZZ_CHECK(netranges_contain(&one, &r->addr), "'%s': a range without its own address", h);
		}
	} else {
		FUZZ_CHECK(strstr(err, "TRUSTED_PROXIES") != NULL, "'%s' refused with '%s'", h, err);
	}

	free(lines);
	free(copy);
	free(h);
	return 0;
}
