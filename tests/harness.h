/* Integration test harness: real routekaartd processes on free ports, HTTP through libcurl,
 * and independent SQL through libpq as the cluster's superuser. */
#ifndef RK_HARNESS_H
#define RK_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <sys/types.h>

struct server {
	pid_t pid;         /* 0 when it is not running: never started, or exited and reaped */
	int exit_status;   /* once server_wait saw it exit: its exit code, or 128 + the signal that ended
			    * it; -1 before, or when the harness had to kill it */
	int port;
	char url[64];      /* http://127.0.0.1:PORT */
	char log[512];     /* its stderr */
};

/* Starts the server RK_SERVER (the binary, or a script that execs it, e.g. under valgrind) with the
 * test database, PORT=0 and LISTEN=127.0.0.1, plus extra "K=V" settings (NULL-terminated, may be
 * NULL). Returns 0 once it listens; otherwise s->pid is 0 and it returns
 *   -1  the server exited by itself before it listened (s->exit_status says how), or
 *   -2  it could not be started, or did not listen within RK_START_TIMEOUT_S seconds (15): then it
 *       has been killed (SIGKILL) and reaped. */
int server_start(struct server *s, const char *const *env);
/* Waits up to seconds for the server to exit; returns its exit status (s->exit_status; s->pid is
 * then 0), or -1 when it is still running (or was not). */
int server_wait(struct server *s, double seconds);
/* SIGTERM, then server_wait up to 20 s; returns the exit status (0 = clean, no sanitizer report), 255
 * when it had to be killed, -1 when it was not running. */
int server_stop(struct server *s);

struct resp {
	long status;
	char *body;
	size_t len;
	char *headers; /* raw header block */
	json_t *json;  /* parsed body when it is JSON, else NULL */
};

/* GET (or another method) of url (absolute, or a path on s). Extra headers "Name: value". Returns 0
 * when a response came, -1 when none did; either way *out is filled: free it with resp_free. */
int http_do(const char *method, const char *url, const char *const *headers, struct resp *out);
int http_get(const struct server *s, const char *path, struct resp *out);
/* The same with extra headers "Name: value" (NULL-terminated, may be NULL). */
int http_get_with(const struct server *s, const char *path, const char *const *headers, struct resp *out);
/* GET path on s with extra headers (may be NULL); fails the test when there is no response. Any
 * status is returned; the caller frees the response. */
struct resp http_fetch(const struct server *s, const char *path, const char *const *headers);
/* A sample of s's /metrics by its name with labels, e.g. routekaart_cache_requests_total{outcome="hit"};
 * fails the test when the metric or /metrics is missing. */
double server_metric(const struct server *s, const char *name);
/* Seconds on the monotonic clock, for "within a second" checks. */
double monotonic_s(void);
/* Sleeps s seconds (fractions too). */
void sleep_s(double s);
/* A request with a body (NULL: none). */
int http_body_do(const char *method, const char *url, const char *const *headers, const char *body,
		 struct resp *out);
void resp_free(struct resp *r);
/* The value of a response header (case-insensitive name), in a static buffer, or NULL. */
const char *resp_header(const struct resp *r, const char *name);

/* The whole of a file, NUL-terminated (caller frees); fails the test when it cannot be read. */
char *read_file(const char *path);
/* tests/cases/submission-valid.json, a submission the server accepts (new reference). */
json_t *valid_doc(void);
/* The bytes of one gzip stream, src, inflated into dst; returns how many. Fails the test when src is
 * not one whole gzip stream or it inflates to more than cap bytes. */
size_t gunzip(const char *src, size_t len, char *dst, size_t cap);

/* deploy/pg.sh ACTION pgtest on the test cluster (start, stop, crash); fails the test when it fails. */
void pg_test_cluster(const char *action);

/* The fixture every suite shares: the suite's main server, started once before its tests and stopped
 * after them. A suite takes it with one line,
 *     tcase_add_unchecked_fixture(t, harness_setup, harness_teardown);
 * or calls harness_setup_with / harness_teardown from its own setup and teardown when it does more. */
extern struct server harness_server;
/* curl_global_init, then harness_server started with extra "K=V" settings (NULL-terminated, may be
 * NULL); exits the suite (EXIT_FAILURE) with a message when the server does not start. */
void harness_setup_with(const char *const *env);
/* harness_setup_with(NULL). */
void harness_setup(void);
/* Stops harness_server; exits the suite (EXIT_FAILURE) with a message naming its log when it did not
 * exit cleanly (a non-zero status, a sanitizer report, a kill, or it had already gone). */
void harness_teardown(void);
/* http_fetch on harness_server: GET path with extra headers (may be NULL); fails the test when there
 * is no response. The caller frees the response. */
struct resp get(const char *path, const char *const *headers);

/* Runs every test of the suite (taking it); returns main's exit status: EXIT_FAILURE when one failed. */
int run_suite(Suite *suite);

/* Independent SQL as the cluster superuser (PG* environment). */
PGconn *db_connect(void);
/* The single value of a query as a long; aborts the test on error. */
long sql_long(const char *sql);
/* The single text value of a query (caller frees), NULL for SQL NULL. */
char *sql_text(const char *sql);

#endif
