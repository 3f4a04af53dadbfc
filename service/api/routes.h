/* The route table of the service (static storage), for http_start and the tests. */
#ifndef RK_ROUTES_H
#define RK_ROUTES_H

#include <stddef.h>

#include "http/router.h"

const struct route *api_routes(size_t *n);

#endif
