/* Liveness, readiness and metrics. */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "http/metrics.h"
#include "api/resource.h"
#include "lib/banned.h"

void healthz_get(struct request *r)
{
	if (resource_json_only(r) < 0)
		return;
	char *body = strdup("{\"status\":\"ok\"}");
	http_respond(r, 200, MEDIA_JSON, body, body ? strlen(body) : 0);
}

void readyz_get(struct request *r)
{
	if (resource_json_only(r) < 0)
		return;
	struct db_error err;
	if (db_pool_ready(r->app->pool, &err) < 0) {
		http_problem_db(r, &err);
		return;
	}
	/* The public reads are what a load balancer routes: while they can be served the answer is
	 * 200, and the body says when writes cannot be (the primary is away, reads go on from a
	 * standby). */
	int writes = db_pool_ready(r->app->write_pool, &err) == 0;
	char *body = strdup(writes ? "{\"status\":\"ok\",\"database\":\"ok\",\"writes\":\"ok\"}"
				   : "{\"status\":\"read-only\",\"database\":\"read-only\",\"writes\":\"unavailable\"}");
	http_respond(r, 200, MEDIA_JSON, body, body ? strlen(body) : 0);
}

void metrics_get(struct request *r)
{
	struct pvalue none[1];
	struct perrors errs;
	if (query_validate(&r->target, NULL, 0, none, &errs)) {
		http_problem_params(r, &errs);
		return;
	}
	struct buf b;
	buf_init(&b, 1 << 20);
	if (metrics_render(&b, r->app->pool, r->app->write_pool, r->app->cache) < 0 ||
	    metrics_render_replica(&b, r->app->pool, r->app->write_pool, r->app->cache) < 0) {
		buf_release(&b);
		http_problem(r, 500, "internal-error", "the metrics could not be rendered");
		return;
	}
	size_t len;
	char *body = buf_detach(&b, &len);
	http_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}
