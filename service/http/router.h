/* Routing of (method, path) to handlers, over a route table that the handlers' layer defines
 * (api/routes.c). */
#ifndef RK_ROUTER_H
#define RK_ROUTER_H

#include <stddef.h>

#include "http/query.h"

struct request;

struct route {
	const char *method;
	const char *pattern; /* "/collections/{collectionId}/items": {x} matches one segment */
	void (*handler)(struct request *);
	int takes_body; /* a JSON body, read into request.body before the handler runs */
	int static_file; /* answered from the website's files: the response cache is not asked */
};

enum router_result {
	ROUTER_FOUND,
	ROUTER_NOT_FOUND,
	ROUTER_METHOD_NOT_ALLOWED,
	ROUTER_OPTIONS, /* an OPTIONS request for an existing path: answer with Allow */
};

/* Whether a path is public data that any web page may read (CORS open): not the submission API
 * (edit tokens), not moderation (keys), not the contact persons of an overview. */
int router_path_is_public(const struct target *t);

/* Matches against routes[0..nroutes); HEAD is served wherever GET is. On METHOD_NOT_ALLOWED and OPTIONS, allow gets the
 * comma-separated list of methods. */
enum router_result router_match(const struct route *routes, size_t nroutes, const char *method, const struct target *t, const struct route **out,
				char *allow, size_t allowlen);

#endif
