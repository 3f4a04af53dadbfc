/* Fault tests against the real cluster: PostgreSQL stopped under a read load, killed (-m immediate)
 * under a submission load and under the server's open connections, SIGTERM with a request in
 * flight or held past the grace, idle and slow connections by the thousand and from many addresses,
 * MAX_CONNECTIONS under a low limit on open files, oversized heads and refused bodies; the
 * request id of every answer; and which responses are open to other origins (CORS). */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* 1 when text is anywhere in the head, names and values, in any case: for a prefix of names such
 * as "Access-Control-Allow-" that must not appear at all */
static int has_header(const struct resp *r, const char *text)
{
	return r->headers && strcasestr(r->headers, text) != NULL;
}

/* 1 when the header name is there with exactly this value */
static int header_is(const struct resp *r, const char *name, const char *value)
{
	const char *v = resp_header(r, name);
	return v && strcmp(v, value) == 0;
}

/* --- PostgreSQL stopped during a read load --- */

struct read_load {
	const struct server *s;
	atomic_int stop;
	atomic_long cached_ok, cached_bad;     /* a URL the cache holds: 200 throughout */
	char cached_what[256];
	atomic_long fresh_ok, fresh_503, fresh_bad; /* never cached: 200, or 503 + Retry-After */
	atomic_long counter;
	char bad[256];
};

static void *read_worker(void *arg)
{
	struct read_load *L = arg;
	while (!L->stop) {
		long n = L->counter++;
		char path[128];
		int cached = n % 2 == 0;
		if (cached)
			snprintf(path, sizeof(path), "/collections/initiatives/items?limit=3");
		else /* a new URL every time: never in the cache */
			snprintf(path, sizeof(path), "/collections/initiatives/items?limit=1&offset=%ld", n);
		struct resp r;
		int rc = http_get(L->s, path, &r);
		if (cached) {
			if (rc == 0 && r.status == 200) {
				L->cached_ok++;
			} else {
				L->cached_bad++;
				snprintf(L->cached_what, sizeof(L->cached_what), "rc %d status %ld %.160s", rc,
					 rc == 0 ? r.status : 0L, rc == 0 && r.body ? r.body : "");
			}
		} else if (rc == 0 && r.status == 200) {
			L->fresh_ok++;
		} else if (rc == 0 && r.status == 503 && resp_header(&r, "Retry-After") &&
			   header_is(&r, "Content-Type", "application/problem+json")) {
			L->fresh_503++;
		} else {
			L->fresh_bad++;
			snprintf(L->bad, sizeof(L->bad), "%s: rc %d status %ld", path, rc, rc == 0 ? r.status : 0L);
		}
		resp_free(&r); /* http_get fills r even when it fails */
	}
	return NULL;
}

START_TEST(reads_through_a_database_stop)
{
	struct server s;
	ck_assert(server_start(&s, NULL) == 0);
	struct resp r;
	ck_assert(http_get(&s, "/collections/initiatives/items?limit=3", &r) == 0 && r.status == 200);
	resp_free(&r);

	struct read_load L = {.s = &s};
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, read_worker, &L);
	sleep_s(0.5);
	long ok_before = L.fresh_ok;
	pg_test_cluster("stop");
	ck_assert(http_get(&s, "/readyz", &r) == 0);
	ck_assert_int_eq(r.status, 503);
	resp_free(&r);
	/* while it is away, the answer the cache holds is still served */
	ck_assert(http_get(&s, "/collections/initiatives/items?limit=3", &r) == 0);
	ck_assert_int_eq(r.status, 200);
	const char *cc = resp_header(&r, "Cache-Control");
	ck_assert_msg(cc && strstr(cc, "stale-if-error"), "Cache-Control: %s", cc ? cc : "(none)");
	resp_free(&r);
	sleep_s(1.0);
	long unavailable = L.fresh_503;
	pg_test_cluster("start");
	double t0 = monotonic_s(), recovered = -1;
	while (monotonic_s() - t0 < 10) {
		struct resp a, b;
		int fresh = http_get(&s, "/collections/initiatives/items?limit=1&offset=77777", &a) == 0 && a.status == 200;
		int ready = http_get(&s, "/readyz", &b) == 0 && b.status == 200;
		resp_free(&a);
		resp_free(&b);
		if (fresh && ready) {
			recovered = monotonic_s() - t0;
			break;
		}
		sleep_s(0.05);
	}
	long ok_at_recovery = L.fresh_ok;
	sleep_s(0.5);
	L.stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);

	ck_assert_msg(recovered >= 0 && recovered <= 2.0, "recovered after %.2f s", recovered);
	ck_assert_msg(ok_before > 0, "no answers before the stop");
	ck_assert_msg(unavailable > 0, "no 503 while the database was away");
	ck_assert_msg(L.fresh_ok > ok_at_recovery, "no answers after the restart");
	ck_assert_msg(L.cached_ok > 0, "the cached URL was never answered");
	ck_assert_msg(L.cached_bad == 0, "%ld answers for the cached URL were not 200 (the last: %s)", (long)L.cached_bad,
		      L.cached_what);
	ck_assert_msg(L.fresh_bad == 0, "%ld answers were neither 200 nor 503 problem+json with Retry-After (%s)",
		      (long)L.fresh_bad, L.bad);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- PostgreSQL killed during a submission load --- */

#define KILL_THREADS 4
#define KILL_PER_THREAD 40

struct kill_load {
	const struct server *s;
	const char *run;
	json_t *base;
	int thread;
	atomic_int *created;
	long ids[KILL_PER_THREAD];        /* from the 201; 0 when there was none */
};

static int post_submission(const struct server *s, const json_t *base, const char *run, int t, int i, long *id)
{
	json_t *doc = json_deep_copy(base);
	char name[160], key[160], hdr[200];
	snprintf(name, sizeof(name), "Crashtest %s %d-%d", run, t, i);
	snprintf(key, sizeof(key), "crash-%s-%d-%d", run, t, i);
	json_object_set_new(doc, "name", json_string(name));
	char *body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
	const char *headers[] = {"Content-Type: application/json", hdr, NULL};
	char url[160];
	snprintf(url, sizeof(url), "%s/submissions", s->url);
	struct resp r;
	int rc = http_body_do("POST", url, headers, body, &r);
	free(body);
	if (rc != 0) {
		resp_free(&r);
		return -1;
	}
	long status = r.status;
	if (status == 201)
		*id = (long)json_integer_value(json_object_get(r.json, "id"));
	resp_free(&r);
	return (int)status;
}

static void *kill_worker(void *arg)
{
	struct kill_load *K = arg;
	for (int i = 0; i < KILL_PER_THREAD; i++) {
		K->ids[i] = 0;
		if (post_submission(K->s, K->base, K->run, K->thread, i, &K->ids[i]) == 201)
			(*K->created)++;
	}
	return NULL;
}

/* --- a cluster of its own, durable (fsync on), for the crash of a submission load --- */

/* The test cluster runs without fsync (RK_PG_FAST), so a crash of it proves only that PostgreSQL
 * was killed, not that a 201 survives the machine's. This tcase sets up var/pgdurable as a hosting
 * party would have it (schema, reference data; fsync, synchronous_commit and full_page_writes as
 * PostgreSQL ships them) and points the tests' settings at it, restoring them afterwards. */
static const char *const durable_vars[] = {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "RK_TEST_DATABASE_URL",
					    "RK_TEST_DATABASE_READ_URL"};
static char *durable_saved[sizeof(durable_vars) / sizeof(durable_vars[0])];

static int durable_cluster(const char *action)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "'%s/deploy/pg.sh' %s pgdurable", getenv("RK_TOP"), action);
	return system(cmd);
}

static void durable_setup(void)
{
	const char *top = getenv("RK_TOP");
	const char *logdir = getenv("RK_LOG_DIR");
	char cmd[1536], path[1024];
	snprintf(cmd, sizeof(cmd), "env -u RK_PG_FAST '%s/deploy/db-setup.sh' pgdurable --fresh >'%s/pgdurable-setup.log' 2>&1",
		 top, logdir ? logdir : "/tmp");
	if (system(cmd) != 0) {
		fprintf(stderr, "fault-tests: cannot set up var/pgdurable (see %s/pgdurable-setup.log)\n", logdir ? logdir : "/tmp");
		exit(EXIT_FAILURE);
	}
	for (size_t i = 0; i < sizeof(durable_vars) / sizeof(durable_vars[0]); i++) {
		const char *v = getenv(durable_vars[i]);
		durable_saved[i] = v ? strdup(v) : NULL;
	}
	snprintf(path, sizeof(path), "%s/var/pgdurable.env", top);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "fault-tests: cannot read %s\n", path);
		exit(EXIT_FAILURE);
	}
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			setenv(line, eq + 1, 1);
		}
	}
	fclose(f);
	char url[1024];
	snprintf(url, sizeof(url), "host=%s port=%s dbname=%s user=routekaart_app", getenv("PGHOST"), getenv("PGPORT"),
		 getenv("PGDATABASE"));
	setenv("RK_TEST_DATABASE_URL", url, 1);
	snprintf(url, sizeof(url), "host=%s port=%s dbname=%s user=routekaart_web", getenv("PGHOST"), getenv("PGPORT"),
		 getenv("PGDATABASE"));
	setenv("RK_TEST_DATABASE_READ_URL", url, 1);
}

static void durable_teardown(void)
{
	if (durable_cluster("destroy") != 0)
		fprintf(stderr, "fault-tests: var/pgdurable could not be removed\n");
	for (size_t i = 0; i < sizeof(durable_vars) / sizeof(durable_vars[0]); i++) {
		if (durable_saved[i])
			setenv(durable_vars[i], durable_saved[i], 1);
		else
			unsetenv(durable_vars[i]);
		free(durable_saved[i]);
		durable_saved[i] = NULL;
	}
}

/* A setting as the write role sees it (SHOW), e.g. "on". Caller frees. */
static char *write_role_setting(const char *name)
{
	PGconn *c = PQconnectdb(getenv("RK_TEST_DATABASE_URL"));
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "write role: %s", PQerrorMessage(c));
	char q[128];
	snprintf(q, sizeof(q), "show %s", name);
	PGresult *r = PQexec(c, q);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", q, PQerrorMessage(c));
	char *v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

START_TEST(submissions_survive_an_immediate_kill)
{
	/* the cluster is durable, as the write role sees it: otherwise the crash proves nothing */
	const char *durable[] = {"fsync", "synchronous_commit", "full_page_writes"};
	for (size_t i = 0; i < sizeof(durable) / sizeof(durable[0]); i++) {
		char *v = write_role_setting(durable[i]);
		ck_assert_msg(strcmp(v, "on") == 0, "%s is %s for the write role: the crash test needs it on", durable[i], v);
		free(v);
	}
	const char *env[] = {"WRITE_RATE_PER_MINUTE=0", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	json_t *base = valid_doc();
	char run[32];
	snprintf(run, sizeof(run), "%ld", (long)time(NULL) % 100000000);

	atomic_int created = 0;
	struct kill_load K[KILL_THREADS];
	pthread_t th[KILL_THREADS];
	for (int t = 0; t < KILL_THREADS; t++) {
		K[t] = (struct kill_load){.s = &s, .run = run, .base = base, .thread = t, .created = &created};
		pthread_create(&th[t], NULL, kill_worker, &K[t]);
	}
	while (created < 10)
		sleep_s(0.01);
	ck_assert_msg(durable_cluster("crash") == 0, "pg.sh crash pgdurable failed");
	ck_assert_msg(durable_cluster("start") == 0, "pg.sh start pgdurable failed");
	for (int t = 0; t < KILL_THREADS; t++)
		pthread_join(th[t], NULL);

	/* nothing is half there: every initiative of the run has both parties and its contact */
	char q[1024];
	snprintf(q, sizeof(q),
		 "select count(*) from kaart.initiative i where i.name like 'Crashtest %s %%' and "
		 "((select count(*) from kaart.party p where p.initiative_id = i.id) <> 2 or "
		 " (select count(*) from kaart.contact_person c where c.initiative_id = i.id) <> 1 or "
		 " i.status <> 'submitted')",
		 run);
	ck_assert_int_eq(sql_long(q), 0);
	/* every 201 is there, under its name */
	long acked = 0, failed = 0;
	for (int t = 0; t < KILL_THREADS; t++)
		for (int i = 0; i < KILL_PER_THREAD; i++) {
			if (!K[t].ids[i]) {
				failed++;
				continue;
			}
			acked++;
			snprintf(q, sizeof(q), "select count(*) from kaart.initiative where id = %ld and name = 'Crashtest %s %d-%d'",
				 K[t].ids[i], run, t, i);
			ck_assert_msg(sql_long(q) == 1, "submission %ld got a 201 and is not in the database", K[t].ids[i]);
		}
	ck_assert_msg(failed > 0, "the crash did not interrupt any submission: the test proved nothing");
	ck_assert_msg(acked >= 10, "only %ld submissions were acknowledged", acked);

	/* the schools retry what failed, with the same key: afterwards each is there exactly once */
	for (int t = 0; t < KILL_THREADS; t++)
		for (int i = 0; i < KILL_PER_THREAD; i++) {
			if (K[t].ids[i])
				continue;
			long id = 0;
			int st = post_submission(&s, base, run, t, i, &id);
			ck_assert_msg(st == 201, "the retry of %d-%d got %d", t, i, st);
		}
	snprintf(q, sizeof(q),
		 "select count(*) from (select name from kaart.initiative where name like 'Crashtest %s %%' "
		 "group by name having count(*) = 1) x",
		 run);
	ck_assert_int_eq(sql_long(q), KILL_THREADS * KILL_PER_THREAD);
	snprintf(q, sizeof(q), "select count(*) from kaart.initiative where name like 'Crashtest %s %%'", run);
	ck_assert_int_eq(sql_long(q), KILL_THREADS * KILL_PER_THREAD);
	json_decref(base);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- SIGTERM with a request in flight --- */

/* A connection to the server from a source address of our choice (all of 127/8 is loopback), or
 * from the default one; -1 when it cannot be made. */
static int connect_from(const char *source, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (source) {
		struct sockaddr_in src = {.sin_family = AF_INET};
		inet_pton(AF_INET, source, &src.sin_addr);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			close(fd);
			return -1;
		}
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_to(int port)
{
	return connect_from(NULL, port);
}

/* 1 when the server has closed the connection (or answered on it) within wait_s seconds */
static int closed_by_server(int fd, double wait_s)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, (int)(wait_s * 1000)) <= 0)
		return 0;
	char c[512];
	ssize_t k = recv(fd, c, sizeof(c), MSG_DONTWAIT);
	return k >= 0 || errno == ECONNRESET;
}

/* What a slow client sends: nothing, half a request line, or half a head (i picks one). */
static void send_slowly(int fd, int i)
{
	static const char *const starts[] = {"", "GET /collections HT", "GET /collections HTTP/1.1\r\nHost: x\r\nX-Slow: "};
	const char *m = starts[i % 3];
	if (*m)
		(void)send(fd, m, strlen(m), MSG_NOSIGNAL); /* the server may have closed it already */
}

/* The sockets the server process has open, as the kernel sees them (/proc/PID/fd). */
/* The connections of clients the server holds: its sockets that are TCP connections on its own port
 * (not the listening one). Its database connections and its listener's come and go on their own
 * (a reconnect, a pool that opens one more), so counting every socket it has would count them. */
static int server_sockets(const struct server *s)
{
	/* the inodes of the server's own TCP connections on its port, in any state but listening */
	FILE *f = fopen("/proc/net/tcp", "r");
	ck_assert_msg(f != NULL, "cannot read /proc/net/tcp");
	char line[512];
	unsigned long inodes[8192];
	size_t ninodes = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned local_port, state;
		unsigned long inode;
		if (sscanf(line, " %*d: %*x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*d %lu", &local_port, &state,
			   &inode) == 3 &&
		    local_port == (unsigned)s->port && state != 0x0A && inode != 0 && ninodes < 8192)
			inodes[ninodes++] = inode;
	}
	fclose(f);
	char dir[64], link[320], target[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)s->pid);
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot read %s", dir);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t k = readlink(link, target, sizeof(target) - 1);
		unsigned long inode;
		if (k <= 0)
			continue;
		target[k] = '\0';
		if (sscanf(target, "socket:[%lu]", &inode) != 1)
			continue;
		for (size_t i = 0; i < ninodes; i++)
			if (inodes[i] == inode) {
				n++;
				break;
			}
	}
	closedir(d);
	return n;
}

/* How many lines of a file contain needle. */
static int lines_with(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* The soft limit on open files raised to the hard one; returns that. */
static rlim_t raise_nofile(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
		ck_assert(k > 0);
		s += k;
		n -= (size_t)k;
	}
}

/* Reads what the server sends on fd until it closes it (or wait_s passes); returns the bytes. */
static size_t read_until_closed(int fd, char *buf, size_t cap, double wait_s)
{
	size_t got = 0;
	double end = monotonic_s() + wait_s;
	while (got + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)((end - monotonic_s()) * 1000);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t k = recv(fd, buf + got, cap - 1 - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	buf[got] = '\0';
	return got;
}

/* Polls until a connection to port is refused (the server has stopped accepting), up to wait_s;
 * returns 1 when it was, 0 when connections were still accepted. */
static int refused_within(int port, double wait_s)
{
	double end = monotonic_s() + wait_s;
	do {
		int fd = connect_to(port);
		if (fd < 0)
			return 1;
		close(fd);
		sleep_s(0.02);
	} while (monotonic_s() < end);
	return 0;
}

/* The valid submission under a name of its own (prefix and the time), as JSON text (caller frees);
 * the name into name. */
static char *named_submission(const char *prefix, char *name, size_t cap)
{
	json_t *doc = valid_doc();
	snprintf(name, cap, "%s %ld", prefix, (long)time(NULL));
	json_object_set_new(doc, "name", json_string(name));
	char *body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return body;
}

/* Opens a connection and sends the head of a POST /submissions of len bytes on it (with
 * "Expect: 100-continue" when expect is set); returns the connection. */
static int begin_submission(const struct server *s, size_t len, int expect)
{
	int fd = connect_to(s->port);
	ck_assert(fd >= 0);
	char head[256];
	snprintf(head, sizeof(head),
		 "POST /submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
		 len, expect ? "Expect: 100-continue\r\n" : "");
	send_all(fd, head, strlen(head));
	return fd;
}

START_TEST(sigterm_lets_running_requests_finish)
{
	const char *env[] = {"WRITE_RATE_PER_MINUTE=0", "SHUTDOWN_GRACE=10", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	char name[96];
	char *body = named_submission("Doorlopende leerroute tijdens het stoppen", name, sizeof(name));
	size_t len = strlen(body);

	/* a submission whose head the server has read (its "100 Continue" says so) and whose body is
	 * half sent when the server is told to stop */
	int fd = begin_submission(&s, len, 1);
	char cont[64] = "";
	size_t k = 0;
	while (k < sizeof(cont) - 1 && !strstr(cont, "\r\n\r\n")) {
		ssize_t n = recv(fd, cont + k, 1, 0);
		ck_assert_msg(n == 1, "no 100 Continue");
		cont[++k] = '\0';
	}
	ck_assert_msg(strncmp(cont, "HTTP/1.1 100", 12) == 0, "before the body: %s", cont);
	send_all(fd, body, len / 2);
	ck_assert(kill(s.pid, SIGTERM) == 0);
	/* new connections are refused (polled: SIGTERM is handled by another thread), while the
	 * running request is still open */
	ck_assert_msg(refused_within(s.port, 5), "new connections were still accepted 5 s after SIGTERM");
	ck_assert_msg(server_wait(&s, 0) < 0, "the server exited with a request half read");
	/* the running one completes */
	send_all(fd, body + len / 2, len - len / 2);
	char reply[4096];
	read_until_closed(fd, reply, sizeof(reply), 15);
	close(fd);
	free(body);
	ck_assert_msg(strncmp(reply, "HTTP/1.1 201", 12) == 0, "the running request got: %.200s", reply);
	/* then it exits at once, not at the end of the grace; 8 s is far below the 10 s grace and far
	 * above what exiting takes even under a sanitizer */
	int st = server_wait(&s, 8);
	if (st < 0)
		server_stop(&s); /* not left running when the test fails */
	ck_assert_msg(st >= 0, "the server did not exit when its last request had finished");
	ck_assert_msg(st == 0, "exit status %d", st);
	char q[200];
	snprintf(q, sizeof(q), "select count(*) from kaart.initiative where name = '%s'", name);
	ck_assert_int_eq(sql_long(q), 1);
}
END_TEST

/* SHUTDOWN_GRACE bounds the wait: a submission that cannot finish (its table locked) does not keep
 * the server from exiting; its statement is cancelled and it is answered 503. No wall-clock bound
 * is asserted: the ordering is, the server has exited while the lock is still held, so the request
 * was cut off, not finished. */
START_TEST(sigterm_cuts_off_a_request_after_the_grace)
{
	const char *env[] = {"WRITE_RATE_PER_MINUTE=0", "SHUTDOWN_GRACE=1", "DB_STATEMENT_TIMEOUT_MS=600000", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	PGconn *lock = db_connect();
	PGresult *r = PQexec(lock, "begin; lock table kaart.initiative in access exclusive mode");
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "lock: %s", PQerrorMessage(lock));
	PQclear(r);

	char name[96];
	char *body = named_submission("Vastgehouden bij het stoppen", name, sizeof(name));
	int fd = begin_submission(&s, strlen(body), 0);
	send_all(fd, body, strlen(body));
	free(body);
	/* the submission waits for the lock: seen in pg_stat_activity, polled */
	const char *waits = "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
			    "and usename = 'routekaart_app'";
	long waiting = 0;
	for (double end = monotonic_s() + 10; waiting == 0 && monotonic_s() < end;) {
		waiting = sql_long(waits);
		if (!waiting)
			sleep_s(0.02);
	}
	ck_assert_msg(waiting == 1, "the submission never waited for the lock");

	ck_assert(kill(s.pid, SIGTERM) == 0);
	/* 20 s: the grace is 1 s; the margin only keeps a slow machine from failing the test. The
	 * lock is held until the server has exited (or the wait has failed). */
	int st = server_wait(&s, 20);
	char reply[1024];
	size_t got = read_until_closed(fd, reply, sizeof(reply), 5);
	close(fd);
	r = PQexec(lock, "rollback");
	PQclear(r);
	PQfinish(lock);
	if (st < 0)
		server_stop(&s);
	ck_assert_msg(st >= 0, "the server did not exit while a request it could not finish was held (SHUTDOWN_GRACE=1)");
	ck_assert_msg(st == 0, "exit status %d", st);
	/* the held request was answered: 503 problem+json, its statement cancelled, nothing stored */
	ck_assert_msg(got > 0 && strncmp(reply, "HTTP/1.1 503", 12) == 0, "the cut-off request got: %.300s", reply);
	ck_assert_msg(strcasestr(reply, "\r\nContent-Type: application/problem+json") != NULL, "not a problem: %.300s",
		      reply);
	ck_assert_msg(lines_with(s.log, "requests still running after the grace period are cut off") == 1,
		      "the log does not say a request was cut off (%s)", s.log);
	char q[200];
	snprintf(q, sizeof(q), "select count(*) from kaart.initiative where name = '%s'", name);
	ck_assert_int_eq(sql_long(q), 0);
}
END_TEST

/* --- the same submission sent several times at once with one Idempotency-Key --- */

#define RACE_N 4

struct racer {
	const char *url;
	const char *body;
	const char *key_header;
	pthread_barrier_t *go;
	struct resp r;
	int rc;
};

static void *race_submission(void *arg)
{
	struct racer *x = arg;
	const char *headers[] = {"Content-Type: application/json", x->key_header, NULL};
	pthread_barrier_wait(x->go);
	x->rc = http_body_do("POST", x->url, headers, x->body, &x->r);
	return NULL;
}

/* A client's retry may overtake its first try: RACE_N identical requests with one key, all of them
 * running at once (held by a lock on kaart.initiative until every one waits in the database), make
 * one submission, and every answer is the same 201 (the same id and edit token). Each goes to a
 * server of its own, as behind nginx with several: one server's worker thread may take several
 * connections and run their requests one after another, which would prove nothing. */
START_TEST(one_idempotency_key_at_once_makes_one_submission)
{
	const char *env[] = {"WRITE_RATE_PER_MINUTE=0", "DB_POOL_SIZE=2", NULL};
	struct server s[RACE_N];
	char url[RACE_N][160];
	for (int i = 0; i < RACE_N; i++) {
		ck_assert(server_start(&s[i], env) == 0);
		snprintf(url[i], sizeof(url[i]), "%s/submissions", s[i].url);
	}
	char name[96], key[96], key_header[128];
	char *body = named_submission("Tegelijk ingediend", name, sizeof(name));
	snprintf(key, sizeof(key), "race-%ld-%d", (long)time(NULL), (int)getpid());
	snprintf(key_header, sizeof(key_header), "Idempotency-Key: %s", key);

	PGconn *lock = db_connect();
	PGresult *r = PQexec(lock, "begin; lock table kaart.initiative in share mode");
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "lock: %s", PQerrorMessage(lock));
	PQclear(r);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, RACE_N);
	struct racer x[RACE_N];
	pthread_t th[RACE_N];
	for (int i = 0; i < RACE_N; i++) {
		x[i] = (struct racer){.url = url[i], .body = body, .key_header = key_header, .go = &go};
		pthread_create(&th[i], NULL, race_submission, &x[i]);
	}
	/* all of them wait in the database at once: the first for the table, the others for the first's
	 * key (polled) */
	const char *waits = "select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
			    "and usename = 'routekaart_app'";
	long waiting = 0;
	for (double end = monotonic_s() + 20; waiting < RACE_N && monotonic_s() < end;) {
		waiting = sql_long(waits);
		if (waiting < RACE_N)
			sleep_s(0.02);
	}
	r = PQexec(lock, "commit");
	PQclear(r);
	PQfinish(lock);
	for (int i = 0; i < RACE_N; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	ck_assert_msg(waiting == RACE_N,
		      "only %ld of %d requests were in the database at once: the test proved nothing (answers %ld %ld %ld %ld)",
		      waiting, RACE_N, x[0].r.status, x[1].r.status, x[2].r.status, x[3].r.status);

	json_int_t id = 0;
	const char *token = NULL;
	for (int i = 0; i < RACE_N; i++) {
		ck_assert_msg(x[i].rc == 0, "request %d got no answer", i);
		ck_assert_msg(x[i].r.status == 201, "request %d got %ld: %.300s", i, x[i].r.status, x[i].r.body);
		json_int_t this_id = json_integer_value(json_object_get(x[i].r.json, "id"));
		const char *this_token = json_string_value(json_object_get(x[i].r.json, "edit_token"));
		ck_assert_msg(this_id > 0 && this_token, "request %d: %.300s", i, x[i].r.body);
		if (i == 0) {
			id = this_id;
			token = this_token;
		}
		ck_assert_msg(this_id == id, "two answers name two submissions: %lld and %lld", (long long)id,
			      (long long)this_id);
		ck_assert_msg(strcmp(this_token, token) == 0, "two answers carry two edit tokens");
	}
	char q[400];
	snprintf(q, sizeof(q), "select count(*) from kaart.initiative where name = '%s'", name);
	ck_assert_int_eq(sql_long(q), 1);
	snprintf(q, sizeof(q),
		 "select count(*) from kaart.submission_idempotency where key_hash = sha256(convert_to('idem:%s', 'UTF8')) "
		 "and initiative_id = %lld",
		 key, (long long)id);
	ck_assert_int_eq(sql_long(q), 1);
	for (int i = 0; i < RACE_N; i++)
		resp_free(&x[i].r);
	free(body);
	for (int i = 0; i < RACE_N; i++)
		ck_assert_int_eq(server_stop(&s[i]), 0);
}
END_TEST

/* --- many idle and slow connections, oversized heads --- */

START_TEST(idle_and_slow_connections_do_not_starve_others)
{
	/* Many addresses (the per-address limit off), 900 slow connections under MAX_CONNECTIONS. The
	 * server is started with a soft limit of 256 open files, which it must raise itself. */
	rlim_t limit = raise_nofile();
	int n = limit > 1200 ? 900 : (int)limit - 300;
	ck_assert_msg(n >= 500, "the hard limit on open files (%llu) is too low for this test", (unsigned long long)limit);
	struct rlimit low = {256, limit};
	setrlimit(RLIMIT_NOFILE, &low);
	const char *env[] = {"MAX_CONNECTIONS=1024", "MAX_CONNECTIONS_PER_IP=0", "CONNECTION_TIMEOUT=3", NULL};
	struct server s;
	int started = server_start(&s, env) == 0;
	raise_nofile();
	ck_assert(started);
	int base = server_sockets(&s);
	int *fds = calloc((size_t)n, sizeof(int));
	int open_ok = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(s.port);
		if (fds[i] < 0)
			continue;
		open_ok++;
		send_slowly(fds[i], i);
	}
	ck_assert_int_ge(open_ok, n - 10);
	/* the server holds them all (it raised its own limit on open files), and refused none */
	sleep_s(0.5);
	int held = server_sockets(&s) - base;
	ck_assert_msg(held >= open_ok - 10, "the server holds %d of %d connections", held, open_ok);
	/* another client is still served, promptly */
	for (int i = 0; i < 5; i++) {
		struct resp r;
		ck_assert(http_get(&s, "/collections/initiatives/items?limit=2", &r) == 0);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	/* an oversized head is refused, the server goes on */
	size_t big = 70000;
	char *hdr = malloc(big + 16);
	memcpy(hdr, "X-Big: ", 7);
	memset(hdr + 7, 'a', big);
	hdr[7 + big] = '\0';
	const char *hv[] = {hdr, NULL};
	struct resp r;
	int rc = http_get_with(&s, "/collections", hv, &r);
	/* libmicrohttpd's own answer (HTML, before the request reaches the server's code) */
	ck_assert_msg(rc == 0, "no answer to an oversized head");
	ck_assert_msg(r.status == 431, "an oversized head got %ld, not 431", r.status);
	resp_free(&r);
	free(hdr);
	/* the slow ones are closed by the server after CONNECTION_TIMEOUT */
	sleep_s(3.5);
	int closed = 0;
	for (int i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		closed += closed_by_server(fds[i], 1.0);
		close(fds[i]);
		if (i > 30 && closed == 0)
			break;
	}
	free(fds);
	ck_assert_msg(closed >= open_ok - 10, "only %d of %d idle connections were closed by the server", closed, open_ok);
	ck_assert(http_get(&s, "/collections", &r) == 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

START_TEST(one_address_cannot_take_the_server)
{
	/* As deployed: at most 64 connections an address. Thousands of slow ones from 127.0.0.2. */
	rlim_t limit = raise_nofile();
	int n = limit > 3300 ? 3000 : (int)limit - 300;
	ck_assert_msg(n >= 500, "the hard limit on open files (%llu) is too low for this test", (unsigned long long)limit);
	const char *env[] = {"CONNECTION_TIMEOUT=3", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	int base = server_sockets(&s);
	int *fds = calloc((size_t)n, sizeof(int));
	int opened = 0;
	for (int i = 0; i < n; i++) {
		fds[i] = connect_from("127.0.0.2", s.port);
		if (fds[i] < 0)
			continue;
		opened++;
		send_slowly(fds[i], i);
	}
	ck_assert_int_ge(opened, n - 10);
	/* another address is served at once */
	for (int i = 0; i < 5; i++) {
		struct resp r;
		ck_assert(http_get(&s, "/collections/initiatives/items?limit=2", &r) == 0);
		ck_assert_int_eq(r.status, 200);
		resp_free(&r);
	}
	/* of the flood the server holds 64 and closed the rest at once */
	sleep_s(0.5);
	int in_server = server_sockets(&s) - base;
	ck_assert_msg(in_server >= 60 && in_server <= 64 + 2, "the server has %d connections of one address open (limit 64)",
		      in_server);
	int held = 0;
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0 && closed_by_server(fds[i], 0)) {
			close(fds[i]);
			fds[i] = -1;
		} else if (fds[i] >= 0) {
			held++;
		}
	}
	ck_assert_msg(held >= 60 && held <= 64, "%d connections of one address are held (limit 64)", held);
	/* thousands of refusals make a few lines of log, not thousands */
	int said = lines_with(s.log, "connection limit");
	ck_assert_msg(said >= 1 && said <= 5, "the refusals made %d lines of log", said);
	/* those it holds it closes after CONNECTION_TIMEOUT; the server is still well */
	sleep_s(3.5);
	int closed = 0;
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			closed += closed_by_server(fds[i], 1.0);
			close(fds[i]);
		}
	free(fds);
	ck_assert_int_eq(closed, held);
	struct resp r;
	ck_assert(http_get(&s, "/readyz", &r) == 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	int fd = connect_from("127.0.0.2", s.port);
	ck_assert(fd >= 0);
	ck_assert_msg(!closed_by_server(fd, 0.3), "the address is still refused after its connections were closed");
	close(fd);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* A GET of path from a source address of our choice: the status line's code, or 0 when the
 * connection was closed (or refused) without an answer. */
static int status_from(const char *source, int port, const char *path)
{
	int fd = connect_from(source, port);
	if (fd < 0)
		return 0;
	char req[256], reply[1024];
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
	(void)send(fd, req, strlen(req), MSG_NOSIGNAL);
	size_t got = read_until_closed(fd, reply, sizeof(reply), 10);
	close(fd);
	int code = 0;
	if (got < 12 || sscanf(reply, "HTTP/1.1 %d", &code) != 1)
		return 0;
	return code;
}

#define ADDRS 100
#define PER_ADDR 5
#define ADDR_CAP 3

/* MAX_CONNECTIONS_PER_IP caps each address by itself: from each of ADDRS loopback addresses
 * (127.0.0.2 on) PER_ADDR slow connections, of which the server keeps exactly ADDR_CAP an address
 * and closes the others at once; an address of its own (127.0.0.200) is still served. */
START_TEST(each_address_has_its_own_cap)
{
	raise_nofile();
	char cap[32];
	snprintf(cap, sizeof(cap), "MAX_CONNECTIONS_PER_IP=%d", ADDR_CAP);
	/* MAX_CONNECTIONS far above what is opened: libmicrohttpd divides it among its threads, and
	 * no thread may run out of its share */
	const char *env[] = {cap, "MAX_CONNECTIONS=8192", "CONNECTION_TIMEOUT=60", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	ck_assert_int_eq(status_from("127.0.0.200", s.port, "/readyz"), 200);
	int base = server_sockets(&s);
	static int fds[ADDRS][PER_ADDR], closed[ADDRS][PER_ADDR];
	for (int a = 0; a < ADDRS; a++) {
		char src[32];
		snprintf(src, sizeof(src), "127.0.0.%d", 2 + a);
		for (int i = 0; i < PER_ADDR; i++) {
			fds[a][i] = connect_from(src, s.port);
			ck_assert_msg(fds[a][i] >= 0, "cannot connect from %s", src);
			closed[a][i] = 0;
			send_slowly(fds[a][i], 1);
		}
	}
	/* polled until the server has closed as many as it should have (or 10 s have passed) */
	int n_closed = 0;
	for (double end = monotonic_s() + 10; n_closed < ADDRS * (PER_ADDR - ADDR_CAP) && monotonic_s() < end;) {
		for (int a = 0; a < ADDRS; a++)
			for (int i = 0; i < PER_ADDR; i++)
				if (!closed[a][i] && closed_by_server(fds[a][i], 0)) {
					closed[a][i] = 1;
					n_closed++;
				}
		sleep_s(0.02);
	}
	for (int a = 0; a < ADDRS; a++) {
		int c = 0;
		for (int i = 0; i < PER_ADDR; i++)
			c += closed[a][i];
		ck_assert_msg(c == PER_ADDR - ADDR_CAP, "of 127.0.0.%d's %d connections %d were closed (cap %d)", 2 + a,
			      PER_ADDR, c, ADDR_CAP);
	}
	int held = server_sockets(&s) - base;
	ck_assert_msg(held == ADDRS * ADDR_CAP, "the server holds %d connections, not %d", held, ADDRS * ADDR_CAP);
	/* an address of its own is served; one at its cap is not */
	ck_assert_int_eq(status_from("127.0.0.200", s.port, "/readyz"), 200);
	ck_assert_int_eq(status_from("127.0.0.2", s.port, "/readyz"), 0);
	for (int a = 0; a < ADDRS; a++)
		for (int i = 0; i < PER_ADDR; i++)
			close(fds[a][i]);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* With a limit on open files too low for MAX_CONNECTIONS (1024), the server lowers
 * MAX_CONNECTIONS to what fits beside its database connections (2 * DB_POOL_SIZE + 64), says so,
 * and holds that many connections, no more (libmicrohttpd leaves the others in the listen backlog,
 * unaccepted, until one closes). The hard limit is lowered in this test's own process
 * (Check forks one for each test), which the server inherits. */
#define FIT_NOFILE 160
#define FIT_POOL 4
#define FIT_MAX (FIT_NOFILE - (2 * FIT_POOL + 64)) /* 88 */

START_TEST(max_connections_fits_a_low_limit_on_open_files)
{
	struct rlimit low = {FIT_NOFILE, FIT_NOFILE};
	ck_assert(setrlimit(RLIMIT_NOFILE, &low) == 0);
	char pool[32];
	snprintf(pool, sizeof(pool), "DB_POOL_SIZE=%d", FIT_POOL);
	/* one thread: libmicrohttpd divides the limit among its threads, so with more the limit of
	 * one thread could be met before the server's */
	const char *env[] = {pool, "THREADS=1", "MAX_CONNECTIONS_PER_IP=0", "CONNECTION_TIMEOUT=60", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	char said[96];
	snprintf(said, sizeof(said), "\"%d (of 1024 asked; open files are limited to %d)\"", FIT_MAX, FIT_NOFILE);
	ck_assert_msg(lines_with(s.log, "MAX_CONNECTIONS lowered to fit the limit on open files") == 1 &&
			      lines_with(s.log, said) == 1,
		      "the log does not say MAX_CONNECTIONS was lowered to %d (%s)", FIT_MAX, s.log);
	ck_assert_int_eq(status_from(NULL, s.port, "/readyz"), 200);
	int base = server_sockets(&s);
	/* FIT_MAX - 1 held, and the last one that fits is served */
	int fds[FIT_MAX + 20];
	for (int i = 0; i < FIT_MAX - 1; i++) {
		fds[i] = connect_to(s.port);
		ck_assert(fds[i] >= 0);
		send_slowly(fds[i], 1);
	}
	ck_assert_int_eq(status_from(NULL, s.port, "/readyz"), 200);
	for (int i = FIT_MAX - 1; i < FIT_MAX + 20; i++) {
		fds[i] = connect_to(s.port);
		ck_assert(fds[i] >= 0);
		send_slowly(fds[i], 1);
	}
	/* the server takes FIT_MAX (polled), no more: the 20 over the limit wait unaccepted */
	int held = 0;
	for (double end = monotonic_s() + 10; held < FIT_MAX && monotonic_s() < end;) {
		held = server_sockets(&s) - base;
		if (held < FIT_MAX)
			sleep_s(0.02);
	}
	sleep_s(0.2); /* not a synchronisation: a chance for one over the limit to be taken, if it would be */
	held = server_sockets(&s) - base;
	ck_assert_msg(held == FIT_MAX, "of %d connections the server holds %d (limit %d)", FIT_MAX + 20, held, FIT_MAX);
	/* once the held ones are closed the server serves again */
	for (int i = 0; i < FIT_MAX; i++)
		close(fds[i]);
	ck_assert_int_eq(status_from(NULL, s.port, "/readyz"), 200);
	for (int i = FIT_MAX; i < FIT_MAX + 20; i++)
		close(fds[i]);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- PostgreSQL restarted (crashed) under the server's open connections --- */

#define RESTART_POOL 4

/* A GET of path: its status, or -1 when no answer came. *problem: 1 when it was a problem+json. */
static long status_of(const struct server *s, const char *path, int *problem)
{
	struct resp r;
	long st = http_get(s, path, &r) == 0 ? r.status : -1;
	if (problem)
		*problem = header_is(&r, "Content-Type", "application/problem+json");
	resp_free(&r);
	return st;
}

struct burst {
	const struct server *s;
	int base;
};

static void *burst_worker(void *arg)
{
	struct burst *b = arg;
	char path[128];
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/collections/initiatives/items?limit=1&offset=%d", b->base + i);
		status_of(b->s, path, NULL);
	}
	return NULL;
}

/* Reads from 2 * RESTART_POOL threads at once, so that every connection of the read pool is open. */
static void open_every_connection(const struct server *s, int base)
{
	struct burst b[2 * RESTART_POOL];
	pthread_t th[2 * RESTART_POOL];
	for (int i = 0; i < 2 * RESTART_POOL; i++) {
		b[i] = (struct burst){.s = s, .base = base + 10 * i};
		pthread_create(&th[i], NULL, burst_worker, &b[i]);
	}
	for (int i = 0; i < 2 * RESTART_POOL; i++)
		pthread_join(th[i], NULL);
}

/* A submission (a new name each time): its status, or -1 when no answer came. */
static long submit(const struct server *s, const char *name, int *problem)
{
	json_t *doc = valid_doc();
	json_object_set_new(doc, "name", json_string(name));
	char *body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	char url[160];
	snprintf(url, sizeof(url), "%s/submissions", s->url);
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct resp r;
	long st = http_body_do("POST", url, headers, body, &r) == 0 ? r.status : -1;
	if (problem)
		*problem = header_is(&r, "Content-Type", "application/problem+json");
	resp_free(&r);
	free(body);
	return st;
}

START_TEST(a_database_restart_costs_no_request)
{
	/* Nothing from the cache: every read goes to the database. A pool of RESTART_POOL. */
	const char *env[] = {"CACHE_MAX_BYTES=0", "DB_POOL_SIZE=4", "WRITE_RATE_PER_MINUTE=0", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	char name[128];
	int problem;
	long run = (long)time(NULL) % 100000000;

	/* 1. A crash and a restart while no request comes: every connection the pools had open is
	 * dead. The next reads, more than the pool holds, and the next submission all succeed. */
	open_every_connection(&s, 1000);
	snprintf(name, sizeof(name), "Herstarttest %ld voor", run);
	ck_assert_int_eq(submit(&s, name, NULL), 201);
	pg_test_cluster("crash");
	pg_test_cluster("start");
	for (int i = 0; i < 3 * RESTART_POOL; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/collections/initiatives/items?limit=1&offset=%d", 2000 + i);
		long st = status_of(&s, path, NULL);
		ck_assert_msg(st == 200, "read %d after the restart answered %ld", i + 1, st);
	}
	snprintf(name, sizeof(name), "Herstarttest %ld na", run);
	long st = submit(&s, name, NULL);
	ck_assert_msg(st == 201, "the first submission after the restart answered %ld", st);
	ck_assert_int_eq(status_of(&s, "/readyz", NULL), 200);
	/* not even a statement failed: the dead connections were seen before they were used */
	int failed = lines_with(s.log, "\"msg\":\"query failed\"");
	ck_assert_msg(failed == 0, "%d statements were sent on dead connections after the restart", failed);

	/* 2. While the database is down: reads, the submission and /readyz are 503 problem+json,
	 * never 500, the first request after the crash as much as the later ones. */
	open_every_connection(&s, 3000);
	pg_test_cluster("crash");
	st = status_of(&s, "/readyz", &problem);
	ck_assert_msg(st == 503 && problem, "/readyz answered %ld (problem+json: %d) with the database down", st, problem);
	for (int i = 0; i < 3 * RESTART_POOL; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/collections/initiatives/items?limit=1&offset=%d", 4000 + i);
		st = status_of(&s, path, &problem);
		ck_assert_msg(st == 503 && problem, "read %d with the database down answered %ld (problem+json: %d)", i + 1,
			      st, problem);
	}
	snprintf(name, sizeof(name), "Herstarttest %ld tijdens", run);
	st = submit(&s, name, &problem);
	ck_assert_msg(st == 503 && problem, "a submission with the database down answered %ld", st);
	st = status_of(&s, "/readyz", &problem);
	ck_assert_msg(st == 503 && problem, "/readyz answered %ld with the database down", st);

	/* 3. Back: everything answers again, with no 500 on the way. */
	pg_test_cluster("start");
	for (int i = 0; i < 3 * RESTART_POOL; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/collections/initiatives/items?limit=1&offset=%d", 5000 + i);
		st = status_of(&s, path, NULL);
		ck_assert_msg(st == 200, "read %d after the second restart answered %ld", i + 1, st);
	}
	ck_assert_int_eq(status_of(&s, "/readyz", NULL), 200);
	snprintf(name, sizeof(name), "Herstarttest %ld weer", run);
	ck_assert_int_eq(submit(&s, name, NULL), 201);

	/* the pool says what it replaced */
	struct resp m = http_fetch(&s, "/metrics", NULL);
	const char *line = strstr(m.body, "\nroutekaart_db_pool_replaced_total{pool=\"read\"} ");
	ck_assert_msg(line && atol(line + strlen("\nroutekaart_db_pool_replaced_total{pool=\"read\"} ")) >= RESTART_POOL,
		      "the metrics do not count the replaced connections");
	resp_free(&m);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- a connection lost while its statement runs --- */

struct pending {
	const struct server *s;
	const char *name; /* a submission of this name, or a read when NULL */
	long status;
};

static void *pending_request(void *arg)
{
	struct pending *p = arg;
	p->status = p->name ? submit(p->s, p->name, NULL)
			    : status_of(p->s, "/collections/initiatives/items?limit=1&offset=9001", NULL);
	return NULL;
}

/* Starts the request of p while the test holds a lock that blocks it, ends the server's backend
 * that waits for the lock (as pg_terminate_backend, a failover or a network cut would), lets go
 * of the lock and returns the request's status. */
static long lose_connection_during(struct pending *p)
{
	PGconn *c = db_connect();
	PGresult *res = PQexec(c, "begin; lock table kaart.initiative in access exclusive mode");
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "lock: %s", PQerrorMessage(c));
	PQclear(res);
	pthread_t th;
	pthread_create(&th, NULL, pending_request, p);
	static const char waiting[] = "from pg_stat_activity where application_name = 'routekaartd' and wait_event_type = 'Lock'";
	char q[256];
	snprintf(q, sizeof(q), "select count(*) %s", waiting);
	double t0 = monotonic_s();
	while (sql_long(q) == 0 && monotonic_s() - t0 < 20)
		sleep_s(0.02);
	snprintf(q, sizeof(q), "select count(pg_terminate_backend(pid)) %s", waiting);
	long ended = sql_long(q);
	sleep_s(0.2);
	res = PQexec(c, "rollback");
	PQclear(res);
	PQfinish(c);
	pthread_join(th, NULL);
	ck_assert_msg(ended == 1, "%ld of the server's statements waited for the lock", ended);
	return p->status;
}

START_TEST(a_connection_lost_while_a_statement_runs)
{
	const char *env[] = {"CACHE_MAX_BYTES=0", "WRITE_RATE_PER_MINUTE=0", NULL};
	struct server s;
	ck_assert(server_start(&s, env) == 0);
	/* a read is sent once more, on a new connection, and answered */
	struct pending read = {.s = &s};
	long st = lose_connection_during(&read);
	ck_assert_msg(st == 200, "the read whose connection was lost answered %ld", st);
	/* a write is not (it might have committed): 503, and it was not stored twice */
	char name[128], q[256];
	snprintf(name, sizeof(name), "Verbroken verbinding %ld", (long)time(NULL) % 100000000);
	struct pending write = {.s = &s, .name = name};
	st = lose_connection_during(&write);
	ck_assert_msg(st == 503, "the write whose connection was lost answered %ld", st);
	snprintf(q, sizeof(q), "select count(*) from kaart.initiative where name = '%s'", name);
	ck_assert_int_eq(sql_long(q), 0);
	ck_assert_int_eq(submit(&s, name, NULL), 201);
	ck_assert_int_eq(sql_long(q), 1);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- a refused body is read to its end (within a bound), so the client reads the 413 --- */

/* Sends a whole request (head, then body of n bytes of JSON-ish filler, chunked or not) and then
 * reads the answer. Returns the number of body bytes the server took before it stopped the
 * connection (n when it took them all); the status line's code into *status (0: no answer read). */
static size_t send_body_then_read(int port, int chunked, size_t declared, size_t n, int *status, char *reply,
				  size_t replycap)
{
	int fd = connect_to(port);
	ck_assert(fd >= 0);
	char head[512];
	if (chunked)
		snprintf(head, sizeof(head),
			 "POST /submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n");
	else
		snprintf(head, sizeof(head),
			 "POST /submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 declared);
	send_all(fd, head, strlen(head));
	static char chunk[65536 + 32];
	size_t sent = 0;
	int cut = 0;
	while (sent < n && !cut) {
		size_t k = n - sent > 65536 ? 65536 : n - sent;
		size_t off = 0, len = k;
		char *p = chunk + 16;
		memset(p, ' ', k);
		p[0] = '[';
		if (chunked) {
			int h = snprintf(chunk, 16, "%zx\r\n", k);
			off = 16 - (size_t)h;
			memmove(chunk + off, chunk, (size_t)h);
			memcpy(p + k, "\r\n", 2);
			len = (size_t)h + k + 2;
		} else {
			off = 16;
		}
		for (size_t done = 0; done < len;) {
			ssize_t w = send(fd, chunk + off + done, len - done, MSG_NOSIGNAL);
			if (w <= 0) {
				cut = 1;
				break;
			}
			done += (size_t)w;
		}
		if (!cut)
			sent += k;
	}
	if (chunked && !cut && send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL) != 5)
		cut = 1;
	size_t got = 0;
	for (;;) {
		ssize_t k = recv(fd, reply + got, replycap - 1 - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
		if (strstr(reply, "\r\n\r\n") && got > 0) {
			reply[got] = '\0';
			const char *cl = strcasestr(reply, "Content-Length: ");
			const char *end = strstr(reply, "\r\n\r\n");
			if (cl && (size_t)(reply + got - (end + 4)) >= (size_t)atol(cl + 16))
				break;
		}
	}
	reply[got] = '\0';
	close(fd);
	*status = strncmp(reply, "HTTP/1.1 ", 9) == 0 ? atoi(reply + 9) : 0;
	return sent;
}

START_TEST(a_refused_body_is_drained_so_the_client_reads_413)
{
	struct server s;
	ck_assert(server_start(&s, NULL) == 0);
	static char reply[8192];
	int st;
	size_t five = 5u << 20;
	/* 5 MB chunked, and 5 MB with a Content-Length over the limit that is sent all the same */
	for (int chunked = 1; chunked >= 0; chunked--) {
		size_t sent = send_body_then_read(s.port, chunked, five, five, &st, reply, sizeof(reply));
		ck_assert_msg(sent == five, "%s: the server stopped reading after %zu of %zu bytes",
			      chunked ? "chunked" : "Content-Length", sent, five);
		ck_assert_msg(st == 413, "%s: the client read %d, not 413: %.200s", chunked ? "chunked" : "Content-Length",
			      st, reply);
		ck_assert_msg(strcasestr(reply, "\r\nContent-Type: application/problem+json"), "no problem+json: %.300s",
			      reply);
		ck_assert_msg(strstr(reply, "payload-too-large"), "not the 413's problem: %.300s", reply);
	}
	/* 1 GB: the server stops reading after its bound (16 MiB) and closes; what the client got into
	 * the socket buffers on top of that is a few MB at most */
	size_t gb = 1u << 30;
	size_t sent = send_body_then_read(s.port, 1, gb, gb, &st, reply, sizeof(reply));
	ck_assert_msg(sent < (64u << 20), "a 1 GB body was read up to %zu bytes", sent);
	ck_assert_msg(sent >= (16u << 20), "the body was cut off after %zu bytes, before the bound", sent);
	/* a client that waits for "100 Continue" before its body gets the 413 at once, and sends none */
	int fd = connect_to(s.port);
	ck_assert(fd >= 0);
	static const char head[] = "POST /submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
				   "Content-Length: 5242880\r\nExpect: 100-continue\r\n\r\n";
	send_all(fd, head, strlen(head));
	ssize_t k = recv(fd, reply, sizeof(reply) - 1, 0);
	reply[k > 0 ? k : 0] = '\0';
	close(fd);
	ck_assert_msg(strncmp(reply, "HTTP/1.1 413", 12) == 0, "waiting for 100 Continue, the client read: %.200s", reply);
	ck_assert_int_eq(status_of(&s, "/readyz", NULL), 200);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- every answer carries its request id, which is in the request's log line --- */

/* The log line of the request with this id, or NULL (caller frees). */
static char *log_line_with(const char *path, const char *id)
{
	char needle[512];
	snprintf(needle, sizeof(needle), "\"request_id\":\"%s\"", id);
	FILE *f = fopen(path, "r");
	ck_assert(f != NULL);
	char line[8192];
	char *found = NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle) && strstr(line, "\"msg\":\"request\"")) {
			found = strdup(line);
			break;
		}
	fclose(f);
	return found;
}

static int well_formed_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 8 || n > 64)
		return 0;
	for (const char *p = id; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

START_TEST(every_answer_carries_its_request_id)
{
	struct server s;
	ck_assert(server_start(&s, NULL) == 0);
	/* made by the server: on a fresh answer, the same answer from the cache, a 404, a 503-free
	 * problem, the metrics */
	static const char *const paths[] = {"/collections/initiatives/items?limit=2", "/collections/initiatives/items?limit=2",
					    "/nergens", "/collections/initiatives/items?limit=0", "/metrics"};
	char seen[5][80];
	for (size_t i = 0; i < 5; i++) {
		struct resp r;
		ck_assert(http_get(&s, paths[i], &r) == 0);
		const char *id = resp_header(&r, "X-Request-Id");
		ck_assert_msg(well_formed_id(id), "%s: X-Request-Id %s", paths[i], id ? id : "(none)");
		snprintf(seen[i], sizeof(seen[i]), "%s", id);
		long status = r.status;
		resp_free(&r);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(seen[i], seen[j]) != 0, "two requests got the id %s", seen[i]);
		sleep_s(0.1); /* the log line is written when the request completes */
		char *line = log_line_with(s.log, seen[i]);
		ck_assert_msg(line != NULL, "no log line has the request id %s", seen[i]);
		char want[64];
		snprintf(want, sizeof(want), "\"status\":%ld,", status);
		ck_assert_msg(strstr(line, want) && strstr(line, "\"method\":\"GET\"") && strstr(line, "\"remote\":\"127.0.0.1\""),
			      "log line: %s", line);
		/* the path without the query */
		char p[128];
		snprintf(p, sizeof(p), "\"path\":\"%.*s\"", (int)strcspn(paths[i], "?"), paths[i]);
		ck_assert_msg(strstr(line, p), "log line without %s: %s", p, line);
		free(line);
	}
	/* a well-formed id of the client (a proxy's) is kept; a malformed or overlong one is not */
	static const char *const given[] = {"X-Request-Id: 7f3a9c2e-proxy.id_1", "X-Request-Id: bad id with spaces",
					    "X-Request-Id: \"quoted\"", NULL};
	for (int i = 0; given[i]; i++) {
		const char *h[] = {given[i], NULL};
		struct resp r;
		ck_assert(http_get_with(&s, "/collections", h, &r) == 0);
		const char *id = resp_header(&r, "X-Request-Id");
		ck_assert_msg(well_formed_id(id), "X-Request-Id %s", id ? id : "(none)");
		if (i == 0)
			ck_assert_str_eq(id, "7f3a9c2e-proxy.id_1");
		else
			ck_assert_msg(strcmp(id, given[i] + 14) != 0, "the malformed id %s was kept", id);
		resp_free(&r);
	}
	char longid[200];
	memset(longid, 'a', sizeof(longid));
	memcpy(longid, "X-Request-Id: ", 14);
	longid[sizeof(longid) - 1] = '\0';
	const char *h[] = {longid, NULL};
	struct resp r;
	ck_assert(http_get_with(&s, "/collections", h, &r) == 0);
	const char *id = resp_header(&r, "X-Request-Id");
	ck_assert_msg(well_formed_id(id) && strlen(id) <= 64, "an overlong id came back: %s", id ? id : "(none)");
	resp_free(&r);
	/* a secret put in the query does not reach the log; the other parameters do */
	ck_assert(http_get(&s, "/collections/initiatives/items?limit=1&access_token=geheim-4711", &r) == 0);
	char keep[80];
	snprintf(keep, sizeof(keep), "%s", resp_header(&r, "X-Request-Id"));
	resp_free(&r);
	sleep_s(0.1);
	char *line = log_line_with(s.log, keep);
	ck_assert_msg(line && strstr(line, "limit=1"), "log line: %s", line ? line : "(none)");
	ck_assert_msg(!strstr(line, "geheim-4711"), "the secret reached the log: %s", line);
	free(line);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

/* --- CORS: public reads open, the rest not --- */

START_TEST(cors_open_for_public_reads_only)
{
	struct server s;
	ck_assert(server_start(&s, NULL) == 0);
	static const char *const open_paths[] = {"/", "/collections/initiatives/items?limit=1", "/overviews/provincie", "/codelists"};
	for (int pass = 0; pass < 2; pass++) /* the second time from the cache */
		for (size_t i = 0; i < sizeof(open_paths) / sizeof(open_paths[0]); i++) {
			struct resp r;
			ck_assert(http_get(&s, open_paths[i], &r) == 0);
			ck_assert_int_eq(r.status, 200);
			ck_assert_msg(header_is(&r, "Access-Control-Allow-Origin", "*"), "%s is not open", open_paths[i]);
			resp_free(&r);
		}
	char url[256];
	struct resp r;
	/* what each answers another origin: its own answer, only without CORS headers */
	static const struct {
		const char *method, *path;
		long status;
	} closed[] = {
		{"POST", "/submissions", 422},                    /* "{}" is not a submission */
		{"GET", "/submissions/1", 401},                   /* no edit token */
		{"OPTIONS", "/submissions", 204},                 /* a preflight, but it allows nothing */
		{"GET", "/admin/submissions", 401},               /* no key */
		{"OPTIONS", "/admin/submissions", 204},
		{"GET", "/overviews/gemeente/GM0193/contacts", 401},
	};
	for (size_t i = 0; i < sizeof(closed) / sizeof(closed[0]); i++) {
		snprintf(url, sizeof(url), "%s%s", s.url, closed[i].path);
		const char *h[] = {"Origin: https://elders.example", "Content-Type: application/json", NULL};
		ck_assert(http_body_do(closed[i].method, url, h, strcmp(closed[i].method, "POST") == 0 ? "{}" : NULL, &r) ==
			  0);
		ck_assert_msg(r.status == closed[i].status, "%s %s answers %ld, not %ld", closed[i].method, closed[i].path,
			      r.status, closed[i].status);
		ck_assert_msg(!has_header(&r, "Access-Control-Allow-"), "%s %s answers %ld with CORS headers",
			      closed[i].method, closed[i].path, r.status);
		resp_free(&r);
	}
	/* the preflight of a public path allows reading only */
	snprintf(url, sizeof(url), "%s/collections", s.url);
	const char *h[] = {"Origin: https://elders.example", "Access-Control-Request-Method: GET", NULL};
	ck_assert(http_do("OPTIONS", url, h, &r) == 0);
	ck_assert_int_eq(r.status, 204);
	ck_assert(header_is(&r, "Access-Control-Allow-Origin", "*"));
	ck_assert(header_is(&r, "Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"));
	resp_free(&r);
	ck_assert_int_eq(server_stop(&s), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("faults");
	TCase *t = tcase_create("faults");
	tcase_set_timeout(t, 180);
	tcase_add_test(t, cors_open_for_public_reads_only);
	tcase_add_test(t, idle_and_slow_connections_do_not_starve_others);
	tcase_add_test(t, one_address_cannot_take_the_server);
	tcase_add_test(t, reads_through_a_database_stop);
	suite_add_tcase(s, t);
	/* cases of their own, so that each can be run alone (CK_RUN_CASE) */
	const struct {
		const char *name;
		const TTest *test;
	} own[] = {
		{.name = "sigterm", .test = sigterm_lets_running_requests_finish},
		{.name = "sigterm-grace", .test = sigterm_cuts_off_a_request_after_the_grace},
		{.name = "idempotency-race", .test = one_idempotency_key_at_once_makes_one_submission},
		{.name = "addresses", .test = each_address_has_its_own_cap},
		{.name = "fit", .test = max_connections_fits_a_low_limit_on_open_files},
		{.name = "restart", .test = a_database_restart_costs_no_request},
		{.name = "lost", .test = a_connection_lost_while_a_statement_runs},
		{.name = "drain", .test = a_refused_body_is_drained_so_the_client_reads_413},
		{.name = "request-id", .test = every_answer_carries_its_request_id},
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		TCase *c = tcase_create(own[i].name);
		tcase_set_timeout(c, 180);
		tcase_add_test(c, own[i].test);
		suite_add_tcase(s, c);
	}
	TCase *crash = tcase_create("crash");
	tcase_set_timeout(crash, 180);
	tcase_add_unchecked_fixture(crash, durable_setup, durable_teardown);
	tcase_add_test(crash, submissions_survive_an_immediate_kill);
	suite_add_tcase(s, crash);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return run_suite(suite());
}
