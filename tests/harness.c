#define _GNU_SOURCE /* program_invocation_short_name */
#include "harness.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/buf.h"

void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	nanosleep(&ts, NULL);
}

int server_start(struct server *s, const char *const *env)
{
	static int serial;
	const char *bin = getenv("RK_SERVER");
	const char *dburl = getenv("RK_TEST_DATABASE_URL");
	const char *readurl = getenv("RK_TEST_DATABASE_READ_URL");
	const char *logdir = getenv("RK_LOG_DIR");
	memset(s, 0, sizeof(*s));
	s->exit_status = -1;
	if (!bin || !dburl || !readurl) {
		fprintf(stderr, "harness: RK_SERVER and RK_TEST_DATABASE_(READ_)URL must be set (tests/run.sh does)\n");
		return -2;
	}
	snprintf(s->log, sizeof(s->log), "%s/server-%d-%d.log", logdir ? logdir : "/tmp", (int)getpid(), serial++);
	s->pid = fork();
	if (s->pid < 0) {
		s->pid = 0;
		return -2;
	}
	if (s->pid == 0) {
		int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		setenv("DATABASE_URL", dburl, 1);
		setenv("DATABASE_READ_URL", readurl, 1);
		setenv("PORT", "0", 1);
		setenv("LISTEN", "127.0.0.1", 1);
		for (size_t i = 0; env && env[i]; i++) {
			char kv[1024];
			snprintf(kv, sizeof(kv), "%s", env[i]);
			char *eq = strchr(kv, '=');
			if (eq) {
				*eq = '\0';
				setenv(kv, eq + 1, 1);
			}
		}
		execl(bin, bin, (char *)NULL);
		_exit(127);
	}
	/* Wait for its "listening" line, which names the port it got: up to RK_START_TIMEOUT_S
	 * seconds (default 15; more for a server run under valgrind). */
	const char *limit = getenv("RK_START_TIMEOUT_S");
	int polls = limit && atoi(limit) > 0 ? atoi(limit) * 20 : 300;
	for (int i = 0; i < polls; i++) {
		FILE *f = fopen(s->log, "r");
		char line[1024];
		while (f && fgets(line, sizeof(line), f)) {
			const char *u = strstr(line, "\"url\":\"http://127.0.0.1:");
			if (strstr(line, "\"listening\"") && u) {
				s->port = atoi(u + strlen("\"url\":\"http://127.0.0.1:"));
				snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
				fclose(f);
				return 0;
			}
		}
		if (f)
			fclose(f);
		if (server_wait(s, 0) >= 0) {
			fprintf(stderr, "harness: server exited early with status %d; see %s\n", s->exit_status, s->log);
			return -1;
		}
		sleep_s(0.05);
	}
	fprintf(stderr, "harness: server did not start listening; killed; see %s\n", s->log);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return -2;
}

int server_wait(struct server *s, double seconds)
{
	if (s->pid <= 0)
		return -1;
	double until = monotonic_s() + seconds;
	for (;;) {
		int st;
		pid_t p = waitpid(s->pid, &st, WNOHANG);
		if (p == s->pid) {
			s->pid = 0;
			s->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return s->exit_status;
		}
		if ((p < 0 && errno != EINTR) || monotonic_s() >= until)
			return -1;
		sleep_s(0.05);
	}
}

int server_stop(struct server *s)
{
	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	int st = server_wait(s, 20);
	if (st >= 0)
		return st;
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return 255;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

int http_do(const char *method, const char *url, const char *const *headers, struct resp *out)
{
	return http_body_do(method, url, headers, NULL, out);
}

int http_body_do(const char *method, const char *url, const char *const *headers, const char *payload,
		 struct resp *out)
{
	memset(out, 0, sizeof(*out));
	CURL *c = curl_easy_init();
	if (!c)
		return -1;
	struct buf body, head;
	buf_init(&body, (size_t)256 << 20);
	buf_init(&head, 1 << 20);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (payload) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	out->body = buf_detach(&body, &out->len);
	out->headers = buf_detach(&head, NULL);
	const char *ct = resp_header(out, "Content-Type");
	if (ct && strstr(ct, "json") && out->len)
		out->json = json_loadb(out->body, out->len, JSON_REJECT_DUPLICATES, NULL);
	return rc == CURLE_OK ? 0 : -1;
}

int http_get_with(const struct server *s, const char *path, const char *const *headers, struct resp *out)
{
	char url[16384];
	snprintf(url, sizeof(url), "%s%s", strncmp(path, "http", 4) == 0 ? "" : s->url, path);
	return http_do("GET", url, headers, out);
}

int http_get(const struct server *s, const char *path, struct resp *out)
{
	return http_get_with(s, path, NULL, out);
}

struct resp http_fetch(const struct server *s, const char *path, const char *const *headers)
{
	struct resp r;
	ck_assert_msg(http_get_with(s, path, headers, &r) == 0, "GET %s: no response", path);
	return r;
}

double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void resp_free(struct resp *r)
{
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *resp_header(const struct resp *r, const char *name)
{
	static __thread char value[4096];
	size_t n = strlen(name);
	for (const char *line = r->headers; line && *line;) {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t vlen = len - (size_t)(v - line);
			if (vlen >= sizeof(value))
				vlen = sizeof(value) - 1;
			memcpy(value, v, vlen);
			value[vlen] = '\0';
			return value;
		}
		line = eol ? eol + 2 : line + len;
	}
	return NULL;
}

char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	ck_assert(fread(s, 1, (size_t)n, f) == (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

json_t *valid_doc(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/cases/submission-valid.json", getenv("RK_TOP"));
	char *s = read_file(path);
	json_t *doc = json_loads(s, 0, NULL);
	free(s);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

size_t gunzip(const char *src, size_t len, char *dst, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	ck_assert(inflateInit2(&z, 15 + 16) == Z_OK);
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)dst;
	z.avail_out = (uInt)cap;
	ck_assert_msg(inflate(&z, Z_FINISH) == Z_STREAM_END, "not one whole gzip stream of at most %zu bytes: %s", cap,
		      z.msg ? z.msg : "too long");
	size_t n = z.total_out;
	inflateEnd(&z);
	return n;
}

void pg_test_cluster(const char *action)
{
	const char *top = getenv("RK_TOP");
	ck_assert_msg(top != NULL, "RK_TOP must be set (tests/run.sh does)");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s/deploy/pg.sh' %s pgtest", top, action);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

struct server harness_server;

void harness_setup_with(const char *const *env)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int st = server_start(&harness_server, env);
	if (st != 0) {
		fprintf(stderr, "%s: cannot start the server (%d; see %s)\n", program_invocation_short_name, st,
			harness_server.log[0] ? harness_server.log : "the message above");
		exit(EXIT_FAILURE);
	}
}

void harness_setup(void)
{
	harness_setup_with(NULL);
}

void harness_teardown(void)
{
	int st = server_stop(&harness_server);
	if (st != 0) {
		fprintf(stderr, "%s: the server did not exit cleanly: status %d (see %s)\n",
			program_invocation_short_name, st, harness_server.log);
		exit(EXIT_FAILURE);
	}
}

double server_metric(const struct server *s, const char *name)
{
	struct resp r = http_fetch(s, "/metrics", NULL);
	ck_assert_int_eq(r.status, 200);
	char pat[256];
	snprintf(pat, sizeof(pat), "\n%s ", name);
	const char *p = strstr(r.body, pat);
	ck_assert_msg(p != NULL, "no metric %s", name);
	double v = strtod(p + strlen(pat), NULL);
	resp_free(&r);
	return v;
}

struct resp get(const char *path, const char *const *headers)
{
	return http_fetch(&harness_server, path, headers);
}

int run_suite(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

PGconn *db_connect(void)
{
	PGconn *c = PQconnectdb("");
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "database: %s", PQerrorMessage(c));
	return c;
}

static PGresult *one_value(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "sql failed: %s\n%s", PQresultErrorMessage(r), sql);
	ck_assert_msg(PQntuples(r) == 1 && PQnfields(r) == 1, "sql must give one value: %s", sql);
	return r;
}

long sql_long(const char *sql)
{
	PGconn *c = db_connect();
	PGresult *r = one_value(c, sql);
	long v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

char *sql_text(const char *sql)
{
	PGconn *c = db_connect();
	PGresult *r = one_value(c, sql);
	char *v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}
