#include "store/pg.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/banned.h"

struct slot {
	PGconn *conn; /* NULL while closed */
	int busy;
	int standby;  /* conn is to a server in recovery (a standby), as it said when it was opened */
	double opened_at; /* CLOCK_MONOTONIC seconds */
	unsigned epoch; /* the pool's epoch when conn was opened */
};

struct db_pool {
	pthread_mutex_t mu;
	pthread_cond_t freed;
	struct slot *slots;
	int size;
	int acquire_timeout_ms;
	int standby_retry_s; /* 0, or: reopen a connection to a primary this old (db_pool_retry_standby) */
	int waiting; /* requests waiting for a free connection now */
	int reachable; /* the last attempt to open or use a connection succeeded */
	/* Raised when a connection is found lost: the server it talked to restarted or went away,
	 * so every connection opened before is suspect and is reopened at its next checkout. */
	unsigned epoch;
	char *conninfo_keys[8];
	char *conninfo_vals[8];
	uint64_t acquired, timeouts, connect_failures, resets, replaced;
};

struct db_pool *db_pool_new(const char *conninfo, int size, int acquire_timeout_ms,
			    int statement_timeout_ms, int connect_timeout_s)
{
	struct db_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->slots = calloc((size_t)size, sizeof(*p->slots));
	if (!p->slots) {
		free(p);
		return NULL;
	}
	p->size = size;
	p->reachable = 1; /* until an attempt fails */
	p->acquire_timeout_ms = acquire_timeout_ms;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);

	/* PQconnectdbParams with expand_dbname: the first dbname entry may be a whole connection
	 * string or URI; the later keywords override what it says. */
	char opts[96], timeout[16];
	snprintf(opts, sizeof(opts), "-c statement_timeout=%d -c idle_in_transaction_session_timeout=%d",
		 statement_timeout_ms, statement_timeout_ms * 2);
	snprintf(timeout, sizeof(timeout), "%d", connect_timeout_s);
	const char *keys[] = {"dbname", "application_name", "options", "connect_timeout", "client_encoding"};
	const char *vals[] = {conninfo, "routekaartd", opts, timeout, "UTF8"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		p->conninfo_keys[i] = strdup(keys[i]);
		p->conninfo_vals[i] = strdup(vals[i]);
	}
	return p;
}

void db_pool_free(struct db_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->size; i++)
		if (p->slots[i].conn)
			PQfinish(p->slots[i].conn);
	for (size_t i = 0; i < 8; i++) {
		free(p->conninfo_keys[i]);
		free(p->conninfo_vals[i]);
	}
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->mu);
	free(p->slots);
	free(p);
}

int db_pool_cancel_busy(struct db_pool *p)
{
	if (!p)
		return 0;
	int n = 0;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->size; i++) {
		/* PQgetCancel only copies the connection's address and cancel key, fixed once it is
		 * open, so it may be taken while another thread uses the connection; a slot holds a
		 * connection only while it is not being closed or opened (see acquire). */
		if (!p->slots[i].busy || !p->slots[i].conn)
			continue;
		PGcancel *c = PQgetCancel(p->slots[i].conn);
		char err[256];
		if (c && PQcancel(c, err, sizeof(err)))
			n++;
		else
			log_error("stopping: a running statement could not be cancelled", c ? err : "no cancel key");
		PQfreeCancel(c);
	}
	pthread_mutex_unlock(&p->mu);
	return n;
}

void db_pool_retry_standby(struct db_pool *p, int seconds)
{
	PQconninfoOption *opts = PQconninfoParse(p->conninfo_vals[0], NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "target_session_attrs") == 0 && o->val &&
		    strcmp(o->val, "prefer-standby") == 0)
			p->standby_retry_s = seconds;
	PQconninfoFree(opts);
}

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_error(struct db_error *err, unsigned status, const char *sqlstate, const char *msg)
{
	memset(err, 0, sizeof(*err));
	err->status = status;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate ? sqlstate : "");
	snprintf(err->message, sizeof(err->message), "%s", msg ? msg : "");
	/* libpq messages end with a newline */
	size_t n = strlen(err->message);
	while (n && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
		err->message[--n] = '\0';
}

/* While the database is down every request tries to connect: the log gets the first failure, then
 * at most one line per LOG_THROTTLE_S seconds with the number of failures since, and one line
 * when a connection succeeds again. */
static struct log_throttle connect_failures = LOG_THROTTLE_INIT;

static void note_connect(int ok, const char *message)
{
	char line[64];
	unsigned long n;
	if (ok) {
		if (log_throttle_end(&connect_failures, &n)) {
			snprintf(line, sizeof(line), "%lu", n);
			log_info("database connection restored", "unlogged_failures", line);
		}
	} else if (log_throttle(&connect_failures, "connect", &n)) {
		n++; /* this one too */
		snprintf(line, sizeof(line), "database connection failed (%lu time%s)", n, n == 1 ? "" : "s");
		log_error(line, message);
	}
}

/* Asked once of every new connection: a standby's answers may be behind the primary (see
 * db_reads_position), a primary's never are. With a multi-host DATABASE_READ_URL
 * (target_session_attrs=prefer-standby) the same pool may hold both kinds. */
static const char in_recovery_sql[] = "select pg_is_in_recovery() as standby";

static PGconn *open_conn(struct db_pool *p, int *standby)
{
	PGconn *c = PQconnectdbParams((const char *const *)p->conninfo_keys,
				      (const char *const *)p->conninfo_vals, 1);
	if (c && PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexecParams(c, in_recovery_sql, 0, NULL, NULL, NULL, NULL, 0);
		int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		*standby = ok && db_bool(r, 0, "standby");
		PQclear(r);
		if (ok) {
			note_connect(1, NULL);
			return c;
		}
	}
	note_connect(0, c ? PQerrorMessage(c) : "out of memory");
	if (c)
		PQfinish(c);
	return NULL;
}

/* Whether an idle connection is still good without a round trip: libpq says it is, and the server
 * has sent nothing since its last answer. A server that ended the session (a restart, a crash,
 * pg_terminate_backend) closed the socket, often after a last FATAL message, so the socket is
 * readable; an idle pooled connection has nothing else to read (none of them LISTENs). */
static int conn_looks_alive(PGconn *c)
{
	if (PQstatus(c) != CONNECTION_OK)
		return 0;
	struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN};
	if (pfd.fd < 0)
		return 0;
	return poll(&pfd, 1, 0) == 0;
}

/* db_pool_acquire, and whether the connection is to a standby into *standby. */
static PGconn *acquire(struct db_pool *p, struct db_error *err, int *standby)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->acquire_timeout_ms / 1000;
	deadline.tv_nsec += (long)(p->acquire_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&p->mu);
	int idx = -1;
	for (;;) {
		/* Prefer an open idle connection, then a closed slot. */
		for (int i = 0; i < p->size && idx < 0; i++)
			if (!p->slots[i].busy && p->slots[i].conn)
				idx = i;
		for (int i = 0; i < p->size && idx < 0; i++)
			if (!p->slots[i].busy)
				idx = i;
		if (idx >= 0)
			break;
		p->waiting++;
		int rc = pthread_cond_timedwait(&p->freed, &p->mu, &deadline);
		p->waiting--;
		if (rc == ETIMEDOUT) {
			p->timeouts++;
			pthread_mutex_unlock(&p->mu);
			set_error(err, 503, "", "no database connection became free in time");
			return NULL;
		}
	}
	p->slots[idx].busy = 1;
	PGconn *c = p->slots[idx].conn;
	/* until it is set again below the connection is this thread's alone, which may close it:
	 * db_pool_cancel_busy must not see it meanwhile */
	p->slots[idx].conn = NULL;
	int on_standby = p->slots[idx].standby;
	double opened_at = p->slots[idx].opened_at;
	int suspect = c && p->slots[idx].epoch != p->epoch;
	unsigned epoch = p->epoch;
	pthread_mutex_unlock(&p->mu);

	/* Connection work happens outside the lock so that other threads are not held up. A
	 * connection that is gone, or that was open when another one was found lost, is replaced
	 * before a statement is sent on it: so a write is never sent on a dead connection that we
	 * could have known was dead. */
	if (c && !on_standby && p->standby_retry_s && monotonic_s() - opened_at >= p->standby_retry_s) {
		/* fell back to the primary a while ago: the standby may be back */
		PQfinish(c);
		c = NULL;
	}
	int dropped = 0;
	if (c && (suspect || !conn_looks_alive(c))) {
		PQfinish(c);
		c = NULL;
		dropped = 1;
	}
	if (c && PQtransactionStatus(c) != PQTRANS_IDLE) {
		PGresult *r = PQexec(c, "ROLLBACK");
		PQclear(r);
		if (PQtransactionStatus(c) != PQTRANS_IDLE) {
			PQfinish(c);
			c = NULL;
			dropped = 1;
		}
	}
	int opened = 0;
	if (!c) {
		c = open_conn(p, &on_standby);
		opened = 1;
	}

	pthread_mutex_lock(&p->mu);
	p->slots[idx].conn = c;
	p->slots[idx].standby = c && on_standby;
	if (opened)
		p->slots[idx].opened_at = monotonic_s();
	p->slots[idx].epoch = epoch;
	if (dropped)
		p->replaced++;
	p->reachable = c != NULL;
	if (!c) {
		p->slots[idx].busy = 0;
		p->connect_failures++;
		pthread_cond_signal(&p->freed);
	} else {
		p->acquired++;
		if (opened)
			p->resets++;
	}
	pthread_mutex_unlock(&p->mu);
	if (!c)
		set_error(err, 503, "08006", "the database cannot be reached");
	*standby = c && on_standby;
	return c;
}

PGconn *db_pool_acquire(struct db_pool *p, struct db_error *err)
{
	int standby;
	return acquire(p, err, &standby);
}

/* Returns a connection; a broken one (or one whose statement failed because its connection was
 * lost: lost = 1) is closed, to be reopened by the next acquire, and makes every other connection
 * of the pool suspect. */
static void pool_release(struct db_pool *p, PGconn *c, int lost)
{
	if (!c)
		return;
	int broken = lost || PQstatus(c) != CONNECTION_OK;
	pthread_mutex_lock(&p->mu);
	for (int i = 0; i < p->size; i++) {
		if (p->slots[i].conn == c) {
			if (broken) {
				PQfinish(c);
				p->slots[i].conn = NULL;
				p->replaced++;
				p->epoch++;
				p->reachable = 0;
			}
			p->slots[i].busy = 0;
			break;
		}
	}
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->mu);
}

void db_pool_release(struct db_pool *p, PGconn *c)
{
	pool_release(p, c, 0);
}

void db_pool_get_stats(struct db_pool *p, struct db_pool_stats *s)
{
	pthread_mutex_lock(&p->mu);
	memset(s, 0, sizeof(*s));
	s->size = p->size;
	for (int i = 0; i < p->size; i++) {
		s->in_use += p->slots[i].busy;
		s->connected += p->slots[i].conn != NULL;
	}
	s->acquired = p->acquired;
	s->timeouts = p->timeouts;
	s->connect_failures = p->connect_failures;
	s->resets = p->resets;
	s->replaced = p->replaced;
	s->reachable = p->reachable;
	s->waiting = p->waiting;
	pthread_mutex_unlock(&p->mu);
}

unsigned db_sqlstate_status(const char *st)
{
	/* What the request got wrong: a value (class 22) or a rule of the data (class 23). Anything
	 * else is the database being away, restarting, read-only, overloaded, timed out, in conflict
	 * or not as this version expects it: the client may try again later, so 503. */
	if (!st || strlen(st) != 5)
		return 503;
	if (strcmp(st, "23505") == 0)
		return 409;
	if (strncmp(st, "23", 2) == 0)
		return 422;
	if (strncmp(st, "22", 2) == 0)
		return 400;
	return 503;
}

/* The connection itself failed: libpq's own errors (no SQLSTATE), connection exceptions (08) and
 * the server ending the session (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
 * now). */
static int connection_lost(const char *st)
{
	return !st || !*st || strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 ||
	       strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0;
}

/* The statement was rolled back because of a concurrent one (serialization failure, deadlock): it
 * changed nothing, so running it once more is safe, a write too. */
static int rolled_back_by_conflict(const char *st)
{
	return strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0;
}

PGresult *db_exec(PGconn *c, const char *sql, int nparams, const char *const *params,
		  struct db_error *err)
{
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	const char *sqlstate = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
	if (!sqlstate) /* an error of libpq's own: the connection failed */
		sqlstate = "08006";
	set_error(err, db_sqlstate_status(sqlstate), sqlstate, msg && *msg ? msg : PQerrorMessage(c));
	const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	snprintf(err->constraint, sizeof(err->constraint), "%s", cons ? cons : "");
	if (err->status >= 500)
		log_error("query failed", err->message);
	PQclear(r);
	return NULL;
}

/* The lowest WAL position a standby had replayed before a read this thread made on it since
 * db_reads_begin; 0 while every read went to a primary. */
static _Thread_local uint64_t reads_position;

void db_reads_begin(void)
{
	reads_position = 0;
}

uint64_t db_reads_position(void)
{
	return reads_position;
}

/* Where the standby's replay stands, in bytes from WAL position 0/0. Asked in a statement of its
 * own before the read: the read's snapshot is taken after it, and replay only moves forward, so
 * the read sees at least every transaction whose commit lies below this position. (Asked in the
 * same statement, the position could be read after the snapshot and be ahead of what it saw.) */
static const char replayed_sql[] = "select (pg_last_wal_replay_lsn() - '0/0')::text as replayed";

static void note_standby_read(PGconn *c)
{
	uint64_t at = 1; /* not known: lower than any position a change was seen at */
	PGresult *r = PQexecParams(c, replayed_sql, 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		const char *v = db_value(r, 0, "replayed");
		unsigned long long n = v ? strtoull(v, NULL, 10) : 0;
		if (n > 0)
			at = (uint64_t)n;
	}
	PQclear(r);
	if (reads_position == 0 || at < reads_position)
		reads_position = at;
}

PGresult *db_run(struct db_pool *pool, const char *sql, int n, const char *const *params,
		 enum db_retry retry, struct db_error *err)
{
	memset(err, 0, sizeof(*err));
	for (int attempt = 0; attempt < 2; attempt++) {
		int standby;
		PGconn *c = acquire(pool, err, &standby);
		if (!c)
			break;
		if (standby)
			note_standby_read(c);
		PGresult *res = db_exec(c, sql, n, params, err);
		int lost = !res && connection_lost(err->sqlstate);
		pool_release(pool, c, lost);
		if (res)
			return res;
		/* Once more, on a connection opened after the loss (release made every older one
		 * suspect): a read always; a write only when it is known to have changed nothing. */
		if (lost && retry == DB_READ_RETRY)
			continue;
		if (rolled_back_by_conflict(err->sqlstate))
			continue;
		break;
	}
	return NULL;
}

int db_pool_ready(struct db_pool *p, struct db_error *err)
{
	PGresult *res = db_run(p, "select 1", 0, NULL, DB_READ_RETRY, err);
	PQclear(res);
	return res ? 0 : -1;
}

static int column(const PGresult *res, const char *name)
{
	int k = PQfnumber(res, name);
	assert(k >= 0 && "a column that sql/api does not return");
	return k;
}

const char *db_value(const PGresult *res, int row, const char *name)
{
	int k = column(res, name);
	return PQgetisnull(res, row, k) ? NULL : PQgetvalue(res, row, k);
}

size_t db_length(const PGresult *res, int row, const char *name)
{
	return (size_t)PQgetlength(res, row, column(res, name));
}

char *db_copy(const PGresult *res, int row, const char *name, size_t *len, int *oom)
{
	int k = column(res, name);
	if (PQgetisnull(res, row, k))
		return NULL;
	size_t n = (size_t)PQgetlength(res, row, k);
	char *s = malloc(n + 1);
	if (!s) {
		*oom = 1;
		return NULL;
	}
	memcpy(s, PQgetvalue(res, row, k), n + 1);
	if (len)
		*len = n;
	return s;
}

int db_bool(const PGresult *res, int row, const char *name)
{
	const char *v = db_value(res, row, name);
	return v && v[0] == 't';
}

long long db_int(const PGresult *res, int row, const char *name)
{
	const char *v = db_value(res, row, name);
	return v ? strtoll(v, NULL, 10) : 0;
}

void db_fail(struct db_error *err, const char *message)
{
	set_error(err, 500, "", message);
}

char *db_array_literal(const struct db_list *list, int *oom)
{
	if (!list->present)
		return NULL;
	struct buf b;
	buf_init(&b, 1 << 20);
	int rc = buf_puts(&b, "{");
	for (size_t i = 0; i < list->n; i++) {
		rc |= buf_puts(&b, i ? ",\"" : "\"");
		for (const char *p = list->items[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				rc |= buf_append(&b, "\\", 1);
			rc |= buf_append(&b, p, 1);
		}
		rc |= buf_puts(&b, "\"");
	}
	rc |= buf_puts(&b, "}");
	if (rc) {
		buf_release(&b);
		*oom = 1;
		return NULL;
	}
	return buf_detach(&b, NULL);
}

const char *db_bbox_literal(const double *bbox, char dst[128])
{
	if (!bbox)
		return NULL;
	snprintf(dst, 128, "{%.9g,%.9g,%.9g,%.9g}", bbox[0], bbox[1], bbox[2], bbox[3]);
	return dst;
}

int db_run_text(struct db_pool *pool, const char *sql, int n, const char *const *params,
		enum db_retry retry, const char *column, char **out, size_t *len, struct db_error *err)
{
	*out = NULL;
	if (len)
		*len = 0;
	PGresult *res = db_run(pool, sql, n, params, retry, err);
	if (!res)
		return -1;
	int rc = 0, oom = 0;
	if (PQntuples(res) == 0)
		rc = 1;
	else
		*out = db_copy(res, 0, column, len, &oom);
	PQclear(res);
	if (oom) {
		db_fail(err, "out of memory");
		return -1;
	}
	return rc;
}

int db_run_word(struct db_pool *pool, const char *sql, int n, const char *const *params,
		enum db_retry retry, const char *column, char *dst, size_t size, struct db_error *err)
{
	PGresult *res = db_run(pool, sql, n, params, retry, err);
	if (!res)
		return -1;
	const char *v = PQntuples(res) ? db_value(res, 0, column) : NULL;
	snprintf(dst, size, "%s", v ? v : "");
	PQclear(res);
	return 0;
}
