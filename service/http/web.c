#include "http/web.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "http/cache.h"
#include "http/http.h"
#include "lib/banned.h"

#define WEB_MAX_FILES 256
#define WEB_MAX_FILE_BYTES (8u << 20)
#define WEB_MAX_NAME 128
#define MAX_BACKGROUND_URL 512 /* bytes of WEB_BACKGROUND_URL */

/* One file of the site, with its responses made once and shared by every request. */
struct web_file {
	enum web_kind kind;
	char name[WEB_MAX_NAME];
	char etag[48], etag_gz[52]; /* the gzip variant is another representation: its own tag */
	size_t len, gzlen;
	struct MHD_Response *plain, *gz, *not_modified, *not_modified_gz;
};

struct web {
	struct web_file files[WEB_MAX_FILES];
	size_t n;
	char csp[768];
};

struct media {
	const char *ext;
	const char *type;
	int text; /* worth compressing */
};

static const struct media media_types[] = {
	{".html", "text/html; charset=utf-8", 1},
	{".js", "text/javascript; charset=utf-8", 1},
	{".css", "text/css; charset=utf-8", 1},
	{".svg", "image/svg+xml", 1},
	{".json", "application/json", 1},
	{".map", "application/json", 1},
	{".txt", "text/plain; charset=utf-8", 1},
	{".png", "image/png", 0},
	{".ico", "image/x-icon", 0},
	{".webp", "image/webp", 0},
	{".woff2", "font/woff2", 0},
};

static const struct media *media_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(media_types) / sizeof(media_types[0]); i++)
		if (strcmp(dot, media_types[i].ext) == 0)
			return &media_types[i];
	return NULL;
}

/* A name the site may have: letters, digits, '.', '-', '_'; not starting with a dot. */
static int name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= WEB_MAX_NAME || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
			return 0;
	return 1;
}

/* Reads a regular file in dirfd without following a symbolic link. */
static char *read_file_at(int dirfd, const char *name, size_t *len, char *err, size_t errlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)WEB_MAX_FILE_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most %u bytes", name, WEB_MAX_FILE_BYTES);
		close(fd);
		return NULL;
	}
	char *data = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (data && got < (size_t)st.st_size) {
		ssize_t k = read(fd, data + got, (size_t)st.st_size - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (!data || got != (size_t)st.st_size) {
		snprintf(err, errlen, "%s: cannot be read", name);
		free(data);
		return NULL;
	}
	data[got] = '\0';
	*len = got;
	return data;
}

static void html_escape(const char *s, char *dst, size_t n)
{
	size_t used = 0;
	for (; *s && used + 7 < n; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '"' ? "&quot;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
		if (rep) {
			memcpy(dst + used, rep, strlen(rep));
			used += strlen(rep);
		} else {
			dst[used++] = *s;
		}
	}
	dst[used] = '\0';
}

/* A page with the background tile URL in its meta tag: a new buffer, or NULL when the page has
 * no such tag (it is then served as it is). */
static char *with_background(const char *page, size_t len, const char *url, size_t *outlen)
{
	static const char tag[] = "<meta name=\"routekaart-background\" content=\"\"";
	const char *at = strstr(page, tag);
	if (!at || !url)
		return NULL;
	char esc[MAX_BACKGROUND_URL * 6 + 8]; /* every character may become &quot; */
	html_escape(url, esc, sizeof(esc));
	size_t head = (size_t)(at - page) + sizeof(tag) - 2; /* up to and including content=" */
	size_t n = len + strlen(esc);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, page, head);
	memcpy(out + head, esc, strlen(esc));
	memcpy(out + head + strlen(esc), page + head, len - head);
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* The origin (scheme://host[:port]) of a background tile URL; -1 when it is not a plain http(s)
 * URL with {z}, {x} and {y}. */
static int background_origin(const char *url, char *origin, size_t n)
{
	size_t scheme = strncmp(url, "https://", 8) == 0 ? 8 : strncmp(url, "http://", 7) == 0 ? 7 : 0;
	if (!scheme || !strstr(url, "{z}") || !strstr(url, "{x}") || !strstr(url, "{y}") || strlen(url) > MAX_BACKGROUND_URL)
		return -1;
	size_t host = strcspn(url + scheme, "/");
	if (host == 0 || scheme + host >= n)
		return -1;
	for (size_t i = scheme; i < scheme + host; i++)
		if (!isalnum((unsigned char)url[i]) && !strchr(".-:[]", url[i]))
			return -1;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("\"'<>\\;", *p))
			return -1;
	memcpy(origin, url, scheme + host);
	origin[scheme + host] = '\0';
	return 0;
}

static int add(struct MHD_Response *resp, const char *name, const char *value)
{
	return MHD_add_response_header(resp, name, value) == MHD_YES ? 0 : -1;
}

static int add_headers(const struct web *w, const struct web_file *f, struct MHD_Response *resp, int gz)
{
	const struct media *m = media_of(f->name);
	int rc = 0;
	if (resp != f->not_modified && resp != f->not_modified_gz)
		rc |= add(resp, MHD_HTTP_HEADER_CONTENT_TYPE, m->type);
	rc |= add(resp, MHD_HTTP_HEADER_ETAG, gz ? f->etag_gz : f->etag);
	/* a page is checked every time (its ETag makes that a 304); an asset's name changes with its
	 * content, so it never needs to be asked for again */
	rc |= add(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		  f->kind == WEB_PAGE ? "no-cache" : "public, max-age=31536000, immutable");
	rc |= add(resp, MHD_HTTP_HEADER_VARY, f->kind == WEB_PAGE ? "Accept, Accept-Encoding" : "Accept-Encoding");
	rc |= add(resp, "X-Content-Type-Options", "nosniff");
	if (gz && resp == f->gz)
		rc |= add(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (f->kind == WEB_PAGE) {
		rc |= add(resp, "Content-Security-Policy", w->csp);
		rc |= add(resp, "Referrer-Policy", "same-origin");
		rc |= add(resp, "X-Frame-Options", "DENY");
	}
	return rc;
}

/* Takes body (malloc'd) over in every case. */
static int add_file(struct web *w, enum web_kind kind, const char *name, char *body, size_t len, char *err,
		    size_t errlen)
{
	const struct media *m = media_of(name);
	if (w->n == WEB_MAX_FILES || !m) {
		snprintf(err, errlen, "%s: %s", name, m ? "too many files in the site" : "unknown file type");
		free(body);
		return -1;
	}
	struct web_file *f = &w->files[w->n];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->len = len;
	cache_etag_format(crc32(0L, (const Bytef *)body, (uInt)len), adler32(1L, (const Bytef *)body, (uInt)len), len,
			  f->etag, sizeof(f->etag));
	cache_etag_gz(f->etag, f->etag_gz, sizeof(f->etag_gz));
	char *z = NULL;
	if (m->text && len >= 256 && cache_gzip(body, len, &z, &f->gzlen) == 0) {
		f->gz = MHD_create_response_from_buffer(f->gzlen, z, MHD_RESPMEM_MUST_FREE);
		if (!f->gz)
			free(z);
	}
	f->plain = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!f->plain)
		free(body);
	f->not_modified = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (f->gz)
		f->not_modified_gz = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	w->n++; /* counted now, so that web_free releases what was made */
	if (!f->plain || !f->not_modified || (z && !f->gz) || (f->gz && !f->not_modified_gz) ||
	    add_headers(w, f, f->plain, 0) || add_headers(w, f, f->not_modified, 0) ||
	    (f->gz && (add_headers(w, f, f->gz, 1) || add_headers(w, f, f->not_modified_gz, 1)))) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	return 0;
}

static int load_dir(struct web *w, int dirfd, enum web_kind kind, const char *background_url, char *err,
		    size_t errlen)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		snprintf(err, errlen, "cannot list the site: %s", strerror(errno));
		close(dirfd);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (name[0] == '.')
			continue;
		struct stat st;
		/* symbolic links and directories are not part of the site */
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		const char *dot = strrchr(name, '.');
		if (kind == WEB_PAGE && (!dot || strcmp(dot, ".html") != 0))
			continue;
		if (!name_ok(name)) {
			snprintf(err, errlen, "%s: a file name of the site may hold only letters, digits, '.', '-' and '_'",
				 name);
			rc = -1;
			break;
		}
		size_t len;
		char *body = read_file_at(dirfd, name, &len, err, errlen);
		if (!body) {
			rc = -1;
			break;
		}
		size_t blen;
		char *bg = kind == WEB_PAGE ? with_background(body, len, background_url, &blen) : NULL;
		if (bg) {
			free(body);
			body = bg;
			len = blen;
		}
		rc = add_file(w, kind, name, body, len, err, errlen);
	}
	closedir(d); /* closes dirfd */
	return rc;
}

/* The ready response for a file: the gzip variant when gzip_ok and there is one, an empty 304 when
 * if_none_match names its ETag. NULL when there is no such file. It stays owned by w. */
static struct MHD_Response *web_response(const struct web *w, enum web_kind kind, const char *name, int gzip_ok,
					 const char *if_none_match, unsigned *status, size_t *len)
{
	if (!w || !name)
		return NULL;
	for (size_t i = 0; i < w->n; i++) {
		const struct web_file *f = &w->files[i];
		if (f->kind != kind || strcmp(f->name, name) != 0)
			continue;
		int gz = gzip_ok && f->gz;
		if (if_none_match && cache_etag_matches(if_none_match, f->etag)) {
			*status = 304;
			*len = 0;
			return gz ? f->not_modified_gz : f->not_modified;
		}
		*status = 200;
		if (gz) {
			*len = f->gzlen;
			return f->gz;
		}
		*len = f->len;
		return f->plain;
	}
	return NULL;
}

struct web *web_load(const char *root, const char *background_url, char *err, size_t errlen)
{
	struct web *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char origin[600] = "";
	if (background_url && *background_url) {
		char o[520];
		if (background_origin(background_url, o, sizeof(o)) < 0) {
			snprintf(err, errlen,
				 "WEB_BACKGROUND_URL must be an http(s) tile URL with {z}, {x} and {y}, not '%.200s'",
				 background_url);
			free(w);
			return NULL;
		}
		snprintf(origin, sizeof(origin), " %s", o);
	} else {
		background_url = NULL;
	}
	snprintf(w->csp, sizeof(w->csp),
		 "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:%s; "
		 "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
		 "frame-ancestors 'none'",
		 origin);
	int top = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0) {
		snprintf(err, errlen, "WEB_ROOT %.300s: %s", root, strerror(errno));
		free(w);
		return NULL;
	}
	int assets = openat(top, "assets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = load_dir(w, dup(top), WEB_PAGE, background_url, err, errlen);
	if (rc == 0 && assets >= 0) {
		rc = load_dir(w, assets, WEB_ASSET, NULL, err, errlen);
		assets = -1;
	}
	if (assets >= 0)
		close(assets);
	close(top);
	if (rc == 0 && !web_response(w, WEB_PAGE, "index.html", 0, NULL, &(unsigned){0}, &(size_t){0})) {
		snprintf(err, errlen, "WEB_ROOT %.300s has no index.html (build it with make)", root);
		rc = -1;
	}
	if (rc < 0) {
		web_free(w);
		return NULL;
	}
	return w;
}

void web_free(struct web *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		if (w->files[i].plain)
			MHD_destroy_response(w->files[i].plain);
		if (w->files[i].gz)
			MHD_destroy_response(w->files[i].gz);
		if (w->files[i].not_modified)
			MHD_destroy_response(w->files[i].not_modified);
		if (w->files[i].not_modified_gz)
			MHD_destroy_response(w->files[i].not_modified_gz);
	}
	free(w);
}

void web_send(struct request *r, enum web_kind kind, const char *name)
{
	unsigned status;
	size_t len;
	struct MHD_Response *resp =
		web_response(r->app->web, kind, name, http_accepts_gzip(http_request_header(r, MHD_HTTP_HEADER_ACCEPT_ENCODING)),
			     http_request_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), &status, &len);
	if (!resp) {
		http_problem(r, 404, "not-found", r->app->web ? "there is no such file" : "this server does not serve the website");
		return;
	}
	http_respond(r, status, NULL, NULL, 0);
	r->resp.ready = resp;
	r->resp.len = len;
}

/* --- handlers --- */

void form_page_get(struct request *r)
{
	web_send(r, WEB_PAGE, "aanmelden.html");
}

void asset_get(struct request *r)
{
	/* the decoded segment: "a%2Fb" is the name "a/b", which no file of the site has */
	web_send(r, WEB_ASSET, r->target.seg[1]);
}
