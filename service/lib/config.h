/* Settings from environment variables, with safe defaults. `routekaartd --help` lists them. */
#ifndef RK_CONFIG_H
#define RK_CONFIG_H

#include "lib/netaddr.h"

struct config {
	const char *database_url;  /* writes: libpq conninfo or URI (borrowed from the environment) */
	const char *database_read_url; /* public reads */
	int write_rate_per_minute;  /* writes per client address (0 = no limit) */
	int write_rate_burst;
	int auth_failures_per_minute;
	const char *listen;        /* address to bind */
	int port;                  /* 0 = any free port */
	const char *public_base_url; /* base of absolute links; NULL = from the Host header */
	const char *web_root;      /* the built website (make: build/web); NULL = no website */
	const char *web_background_url; /* tile URL template of a background map; NULL = none */
	int threads;               /* MHD worker threads */
	int max_connections;
	int max_connections_per_ip;
	int connection_timeout_s;
	int shutdown_grace_s;        /* SIGTERM: how long running requests may take to finish */
	int db_pool_size;
	int db_acquire_timeout_ms;
	int db_statement_timeout_ms;
	int db_connect_timeout_s;
	int max_url_bytes;
	int max_header_bytes;       /* memory for one connection's request head */
	int max_body_bytes;         /* largest JSON body accepted (larger: 413) */
	int cache_max_age_s;        /* Cache-Control max-age of data responses */
	int cache_max_bytes;        /* response cache memory; 0 = off */
	const char *log_level;      /* "info" or "error" */
	int retention_purge_interval_s; /* seconds between retention purges; 0 = none by the server */
	int retention_days;         /* contact persons of initiatives rejected or withdrawn longer ago are erased */
	struct netranges trusted_proxies; /* peers whose X-Forwarded-* headers are believed; none by default */
};

/* Fills cfg from the environment; on a bad value writes a message to err and returns -1. */
int config_load(struct config *cfg, char *err, unsigned long errlen);
void config_print_help(const char *prog);

#endif
