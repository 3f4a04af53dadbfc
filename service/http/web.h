/* The website (the map and the submission form): the built files of WEB_ROOT, read once at start
 * into memory and served from there. Only the files read at start exist for a request: a request
 * path is looked up by name, never joined to a directory, so no path can reach outside the site
 * (no "..", no encoded slash, no symbolic link is ever followed). */
#ifndef RK_WEB_H
#define RK_WEB_H

#include <stddef.h>

struct web;
struct request;

/* Reads root/ *.html (the pages) and root/assets/ * (content-hashed assets). background_url, when
 * not NULL, is a tile URL template (https://host/{z}/{x}/{y}.png) written into the pages' meta
 * tag routekaart-background and allowed by the Content-Security-Policy. NULL and a message in err
 * on failure. */
struct web *web_load(const char *root, const char *background_url, char *err, size_t errlen);
void web_free(struct web *w);

enum web_kind { WEB_PAGE, WEB_ASSET };

/* Answers r with the file `name` of the site (a page such as "index.html", or an asset name): its
 * ready response, gzip when the client takes it and it is smaller, a 304 when If-None-Match names
 * its ETag; 404 problem+json when there is no such file or no site. */
void web_send(struct request *r, enum web_kind kind, const char *name);

/* The handlers of the site's own routes: the submission form page and the assets. */
void form_page_get(struct request *r);
void asset_get(struct request *r);

#endif
