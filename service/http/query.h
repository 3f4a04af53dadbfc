/* Request targets: splitting the path, parsing and validating the query string.
 * Pure code (no I/O), unit-tested and fuzzed. */
#ifndef RK_QUERY_H
#define RK_QUERY_H

#include <stddef.h>

#include "lib/buf.h"

#define QUERY_MAX_PARAMS 64
#define QUERY_MAX_SEGMENTS 16
#define QUERY_MAX_ERRORS 32
#define QUERY_MAX_LIST 100

struct qparam {
	char *key;   /* decoded, owned */
	char *value; /* decoded, owned; "" when the parameter has no '=' */
};

struct target {
	char *path;                          /* raw path, owned */
	char *seg[QUERY_MAX_SEGMENTS];       /* decoded path segments, owned */
	size_t nseg;
	struct qparam params[QUERY_MAX_PARAMS];
	size_t nparams;
};

enum target_status {
	TARGET_OK = 0,
	TARGET_BAD = -1,      /* malformed (bad escape, NUL byte, not starting with '/') */
	TARGET_TOO_MANY = -2, /* more segments or parameters than we accept */
};

/* Parses a raw request target ("/a/b?x=1&y=2"). On failure the target is released. */
enum target_status target_parse(struct target *t, const char *raw);
void target_release(struct target *t);

/* Decodes %XX (and '+' as space when plus_is_space) into a new string; NULL when malformed or
 * when the result would contain a NUL byte. */
char *query_decode(const char *s, size_t len, int plus_is_space);

/* --- validation of parameters against a specification --- */

enum ptype {
	PT_INT,    /* one whole number in [min, max] */
	PT_NUMBER, /* one number in [min, max] */
	PT_BBOX,   /* 4 or 6 numbers, CRS84 */
	PT_LIST,   /* comma-separated values, each in allowed[] or passing check() */
	PT_TEXT,   /* free text of at most max_len bytes */
	PT_ENUM,   /* one value from allowed[] */
};

struct pspec {
	const char *name;
	enum ptype type;
	double min, max;            /* PT_INT, PT_NUMBER; PT_LIST of numbers when is_int */
	const char *const *allowed; /* NULL-terminated, PT_LIST/PT_ENUM */
	int (*check)(const char *); /* PT_LIST items: 1 when valid */
	const char *what;           /* for messages: "a region code such as AM13" */
	size_t max_len;             /* PT_TEXT */
	int is_int;                 /* PT_LIST items are whole numbers in [min, max] */
};

struct pvalue {
	int present;
	const char *raw; /* borrowed from the target */
	long i;
	double num;
	double bbox[4]; /* minlon, minlat, maxlon, maxlat */
	char *items[QUERY_MAX_LIST]; /* owned */
	size_t nitems;
};

struct perror {
	char parameter[64];
	const char *code;
	char message[200];
};

struct perrors {
	struct perror v[QUERY_MAX_ERRORS];
	size_t n;
};

/* Checks every parameter of t against specs (unknown, repeated, malformed, out of range),
 * filling out[i] for specs[i]. Returns the number of errors (all of them, up to the maximum). */
size_t query_validate(const struct target *t, const struct pspec *specs, size_t nspecs,
		      struct pvalue *out, struct perrors *errs);
void query_values_release(struct pvalue *v, size_t n);

/* Appends "name=value&..." for the present parameters in spec order, percent-encoded, replacing
 * the values of the parameters named in override_names by override_values (NULL drops one). */
int query_build(struct buf *b, const struct pspec *specs, const struct pvalue *vals, size_t n,
		const char *const *override_names, const char *const *override_values, size_t noverride);

/* Item checks shared by several resources. */
int query_is_region_code(const char *s);
int query_is_brin(const char *s);

#endif
