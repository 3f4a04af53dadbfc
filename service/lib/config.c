#include "lib/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/banned.h"

struct int_setting {
	const char *name;
	int *target;
	int def, min, max;
	const char *help;
};

static int read_int(const struct int_setting *s, char *err, unsigned long errlen)
{
	const char *v = getenv(s->name);
	*s->target = s->def;
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < s->min || n > s->max) {
		snprintf(err, errlen, "%s must be a whole number from %d to %d, not '%s'", s->name, s->min,
			 s->max, v);
		return -1;
	}
	*s->target = (int)n;
	return 0;
}

static const char *str_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

#define INT_SETTINGS(cfg)                                                                          \
	{                                                                                          \
		{"PORT", &(cfg)->port, 8080, 0, 65535, "TCP port; 0 picks a free one"},            \
		{"THREADS", &(cfg)->threads, 8, 1, 256, "worker threads"},                         \
		{"MAX_CONNECTIONS", &(cfg)->max_connections, 1024, 1, 100000,                      \
		 "open client connections at most (lowered to fit the limit on open files)"},     \
		{"MAX_CONNECTIONS_PER_IP", &(cfg)->max_connections_per_ip, 64, 0, 100000,          \
		 "open connections from one address at most (0 = no limit)"},                      \
		{"CONNECTION_TIMEOUT", &(cfg)->connection_timeout_s, 30, 1, 3600,                  \
		 "seconds an idle or slow connection is kept"},                                    \
		{"SHUTDOWN_GRACE", &(cfg)->shutdown_grace_s, 10, 0, 3600,                          \
		 "seconds running requests may take to finish after SIGTERM"},                     \
		{"DB_POOL_SIZE", &(cfg)->db_pool_size, 8, 1, 256, "database connections"},         \
		{"DB_ACQUIRE_TIMEOUT_MS", &(cfg)->db_acquire_timeout_ms, 2000, 1, 60000,           \
		 "how long a request waits for a free database connection before 503"},            \
		{"DB_STATEMENT_TIMEOUT_MS", &(cfg)->db_statement_timeout_ms, 5000, 1, 600000,      \
		 "statement_timeout of every query"},                                              \
		{"DB_CONNECT_TIMEOUT", &(cfg)->db_connect_timeout_s, 2, 1, 60,                     \
		 "seconds to wait for a database connection to open"},                            \
		{"DB_STANDBY_RETRY", &(cfg)->db_standby_retry_s, 30, 1, 3600,                      \
		 "seconds after which a read connection that fell back to the primary is reopened " \
		 "to find the standby again (DATABASE_READ_URL with target_session_attrs=prefer-standby)"}, \
		{"MAX_URL_BYTES", &(cfg)->max_url_bytes, 8192, 256, 65536,                         \
		 "longest request target accepted (longer: 414)"},                                 \
		{"MAX_HEADER_BYTES", &(cfg)->max_header_bytes, 32768, 4096, 1048576,               \
		 "memory for one request's line and headers (larger: 431)"},                       \
		{"MAX_BODY_BYTES", &(cfg)->max_body_bytes, 65536, 1024, 16777216,                 \
		 "largest JSON request body accepted (larger: 413)"},                              \
		{"WRITE_RATE_PER_MINUTE", &(cfg)->write_rate_per_minute, 30, 0, 100000,           \
		 "submissions and other writes per client address and minute (0 = no limit)"},    \
		{"WRITE_RATE_BURST", &(cfg)->write_rate_burst, 10, 1, 100000,                      \
		 "writes a client may make at once before the rate applies"},                      \
		{"AUTH_FAILURES_PER_MINUTE", &(cfg)->auth_failures_per_minute, 20, 1, 100000,      \
		 "failed token or key attempts per client address and minute before 429"},         \
		{"CACHE_MAX_AGE", &(cfg)->cache_max_age_s, 60, 0, 86400,                           \
		 "Cache-Control max-age in seconds of public data"},                               \
		{"CACHE_MAX_BYTES", &(cfg)->cache_max_bytes, 32 << 20, 0, 2147483647,              \
		 "memory for cached responses (0 = no response cache)"},                          \
		{"RETENTION_PURGE_INTERVAL", &(cfg)->retention_purge_interval_s, 3600, 0, 604800,  \
		 "seconds between retention purges (the first after at most 600 s; 0 = none)"},    \
		{"RETENTION_DAYS", &(cfg)->retention_days, 365, 1, 36500,                          \
		 "days after rejection or withdrawal that contact persons are erased"},            \
	}

int config_load(struct config *cfg, char *err, unsigned long errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->database_url = str_or("DATABASE_URL", "dbname=routekaart user=routekaart_app");
	cfg->database_read_url = str_or("DATABASE_READ_URL", "dbname=routekaart user=routekaart_web");
	cfg->listen = str_or("LISTEN", "127.0.0.1");
	cfg->public_base_url = str_or("PUBLIC_BASE_URL", NULL);
	cfg->web_root = str_or("WEB_ROOT", NULL);
	cfg->web_background_url = str_or("WEB_BACKGROUND_URL", NULL);
	cfg->log_level = str_or("LOG_LEVEL", "info");
	if (strcmp(cfg->log_level, "info") != 0 && strcmp(cfg->log_level, "error") != 0) {
		snprintf(err, errlen, "LOG_LEVEL must be info or error, not '%s'", cfg->log_level);
		return -1;
	}
	if (cfg->public_base_url) {
		size_t n = strlen(cfg->public_base_url);
		if ((strncmp(cfg->public_base_url, "http://", 7) != 0 &&
		     strncmp(cfg->public_base_url, "https://", 8) != 0) ||
		    cfg->public_base_url[n - 1] == '/' || strpbrk(cfg->public_base_url, "\"\\<> ?#")) {
			snprintf(err, errlen,
				 "PUBLIC_BASE_URL must be an http(s) URL without a trailing slash, query "
				 "or fragment, not '%s'",
				 cfg->public_base_url);
			return -1;
		}
	}
	if (netranges_parse(getenv("TRUSTED_PROXIES"), &cfg->trusted_proxies, err, errlen) < 0)
		return -1;
	const struct int_setting ints[] = INT_SETTINGS(cfg);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (read_int(&ints[i], err, errlen) < 0)
			return -1;
	return 0;
}

void config_print_help(const char *prog)
{
	struct config dummy;
	const struct int_setting ints[] = INT_SETTINGS(&dummy);
	printf("Usage: %s [--help] [--version]\n"
	       "  or:  %s keys create --role moderator|analyst|admin --name NAME\n"
	       "  or:  %s keys revoke --name NAME | keys list\n"
	       "  or:  %s purge\n\n"
	       "routekaartd serves the map of vmbo-mbo cooperation as GeoJSON (OGC API - Features)\n"
	       "until SIGTERM or SIGINT.\n\n"
	       "Options:\n"
	       "  %-26s %s\n  %-26s %s\n\n"
	       "Commands:\n"
	       "  %-26s %s\n  %-26s %s\n\n"
	       "Environment:\n"
	       "  %-26s %s\n  %-26s %s\n  %-26s %s\n  %-26s %s\n  %-26s %s\n  %-26s %s\n  %-26s %s\n",
	       prog, prog, prog, prog, "--help", "show this help and exit", "--version", "show the version and exit",
	       "keys", "issue (shown once), revoke or list the API keys of the programme team",
	       "purge", "erase the contact persons past RETENTION_DAYS once, and exit",
	       "DATABASE_URL", "libpq connection for writes and for listening to changes: the primary (default: dbname=routekaart user=routekaart_app)",
	       "DATABASE_READ_URL", "libpq connection for public reads, e.g. standby,primary with target_session_attrs=prefer-standby (default: dbname=routekaart user=routekaart_web)",
	       "LISTEN", "address to bind (default: 127.0.0.1)", "PUBLIC_BASE_URL",
	       "base of absolute links, e.g. https://example.org (default: from the Host header)",
	       "LOG_LEVEL", "info (one line per request) or error (default: info)",
	       "WEB_ROOT", "the built website, served at / and /aanmelden (make builds build/web; default: none)",
	       "WEB_BACKGROUND_URL", "tile URL of a background map, https://host/{z}/{x}/{y}.png (default: none)");
	printf("  %-26s %s\n", "TRUSTED_PROXIES",
	       "reverse proxies whose X-Forwarded-For (the client's address) and X-Forwarded-Proto/-Host (links, "
	       "without PUBLIC_BASE_URL) are believed: comma-separated addresses and CIDR ranges, e.g. "
	       "127.0.0.1,::1 (default: none)");
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		printf("  %-26s %s (default: %d)\n", ints[i].name, ints[i].help, ints[i].def);
	printf("\nExit status:\n"
	       "  0 after SIGTERM or SIGINT, when running requests finished; 2 when an argument or a setting\n"
	       "  (WEB_ROOT and WEB_BACKGROUND_URL included) is refused, with the reason on stderr; 1 when it\n"
	       "  could not start otherwise (out of memory, the address taken).\n");
}
