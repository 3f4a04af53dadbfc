/* routekaartd: serves the map of vmbo-mbo cooperation initiatives as GeoJSON. */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/config.h"
#include "store/db.h"
#include "api/auth.h"
#include "api/routes.h"
#include "http/cache.h"
#include "http/http.h"
#include "api/keys.h"
#include "api/retention.h"
#include "lib/log.h"
#include "http/ratelimit.h"
#include "http/web.h"
#include "lib/banned.h"

/* RK_VERSION comes from the file VERSION, through the Makefile. */
#ifndef RK_VERSION
#error "RK_VERSION is not defined (the Makefile sets it from the file VERSION)"
#endif

/* Every connection is a descriptor. The soft limit on open files is raised as far as the hard one
 * allows; if MAX_CONNECTIONS still does not fit beside the database connections and a margin, it
 * is lowered to what fits, so that the limit that holds is ours and accept() never fails. */
static void fit_descriptors(struct config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max;
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return;
	}
	rlim_t reserve = 2 * (rlim_t)cfg->db_pool_size + 64; /* the pools, LISTEN, logs, epoll, slack */
	if (rl.rlim_cur == RLIM_INFINITY || (rlim_t)cfg->max_connections + reserve <= rl.rlim_cur)
		return;
	int fit = rl.rlim_cur > reserve + 16 ? (int)(rl.rlim_cur - reserve) : 16;
	char v[96];
	snprintf(v, sizeof(v), "%d (of %d asked; open files are limited to %llu)", fit, cfg->max_connections,
		 (unsigned long long)rl.rlim_cur);
	log_info("MAX_CONNECTIONS lowered to fit the limit on open files", "max_connections", v);
	cfg->max_connections = fit;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[512];
	int keys_cmd = argc > 1 && strcmp(argv[1], "keys") == 0;
	int purge_cmd = argc > 1 && strcmp(argv[1], "purge") == 0;
	for (int i = 1; i < argc && !keys_cmd && !purge_cmd; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			config_print_help("routekaartd");
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("routekaartd %s\n", RK_VERSION);
			return 0;
		}
		fprintf(stderr, "routekaartd: unknown argument '%s' (see --help)\n", argv[i]);
		return 2;
	}
	if (config_load(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "routekaartd: %s\n", err);
		return 2;
	}
	if (keys_cmd)
		return keys_main(argc - 2, argv + 2, &cfg);
	if (purge_cmd)
		return retention_main(argc - 2, argv + 2, &cfg);
	log_set_quiet(strcmp(cfg.log_level, "error") == 0);
	fit_descriptors(&cfg);

	/* Before any thread exists: jansson's hash seed, and signals that only main waits for. */
	json_object_seed(0);
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The website is read once, before anything else is started: a missing or broken build stops
	 * the server here, with the reason. */
	struct web *web = NULL;
	if (cfg.web_root) {
		web = web_load(cfg.web_root, cfg.web_background_url, err, sizeof(err));
		if (!web) {
			fprintf(stderr, "routekaartd: %s\n", err);
			return 2; /* a setting refused, as a bad value of any other */
		}
	}
	struct db_pool *pool = db_pool_new(cfg.database_read_url, cfg.db_pool_size, cfg.db_acquire_timeout_ms,
					   cfg.db_statement_timeout_ms, cfg.db_connect_timeout_s);
	if (pool)
		db_pool_retry_standby(pool, cfg.db_standby_retry_s);
	struct db_pool *write_pool = db_pool_new(cfg.database_url, cfg.db_pool_size, cfg.db_acquire_timeout_ms,
						 cfg.db_statement_timeout_ms, cfg.db_connect_timeout_s);
	struct ratelimit *writes = ratelimit_new(cfg.write_rate_per_minute, cfg.write_rate_burst);
	struct cache *cache = cache_new((size_t)cfg.cache_max_bytes);
	if (!pool || !write_pool || !writes || !cache || cache_listen(cache, cfg.database_url, cfg.db_connect_timeout_s) < 0) {
		fprintf(stderr, "routekaartd: out of memory\n");
		return 1;
	}
	auth_init(cfg.auth_failures_per_minute);
	/* The database may come later: the server starts anyway and answers 503 until it does. */
	struct db_error derr;
	if (db_pool_ready(pool, &derr) < 0)
		log_error("database not reachable at start; serving 503 until it is", derr.message);

	size_t nroutes;
	const struct route *routes = api_routes(&nroutes);
	struct app app = {.cfg = &cfg, .routes = routes, .nroutes = nroutes, .pool = pool, .write_pool = write_pool, .writes = writes, .cache = cache, .web = web};
	int port = 0;
	struct http_server *server = http_start(&app, &port, err, sizeof(err));
	if (!server) {
		fprintf(stderr, "routekaartd: %s\n", err);
		db_pool_free(pool);
		db_pool_free(write_pool);
		ratelimit_free(writes);
		cache_free(cache);
		web_free(web);
		auth_shutdown();
		return 1;
	}
	char url[128];
	snprintf(url, sizeof(url), "http://%s:%d/", strchr(cfg.listen, ':') ? "[::1]" : cfg.listen, port);
	log_info("listening", "url", url);
	struct retention *retention = retention_start(&cfg, write_pool);

	int sig = 0;
	sigwait(&stop, &sig);
	log_info("stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_stop(server);
	retention_stop(retention);
	cache_free(cache);
	db_pool_free(pool);
	db_pool_free(write_pool);
	ratelimit_free(writes);
	web_free(web);
	auth_shutdown();
	log_info("stopped", NULL, NULL);
	return 0;
}
