/* Integration tests of the scheduled retention purge: what is past RETENTION_DAYS is erased by the
 * server's schedule and by `routekaartd purge`, what is younger stays, nothing is erased with the
 * schedule off, and of several instances one purges at a time. */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DONE "routekaart_retention_purge_runs_total{outcome=\"done\"}"
#define SKIPPED "routekaart_retention_purge_runs_total{outcome=\"skipped\"}"
#define FAILED "routekaart_retention_purge_runs_total{outcome=\"failed\"}"
#define ERASED "routekaart_retention_purge_erased_total"
#define LAST_SUCCESS "routekaart_retention_purge_last_success_timestamp_seconds"
#define LOCK_KEY "hashtext('routekaart.retention_purge')"

/* A statement as the superuser with text parameters; fails the test when it fails. */
static PGresult *sql(PGconn *c, const char *stmt, int n, const char *const *params)
{
	PGresult *res = PQexecParams(c, stmt, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	ck_assert_msg(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK, "%s: %s", stmt, PQresultErrorMessage(res));
	return res;
}

/* A submitted initiative with one contact person, rejected days_ago days ago; its id. */
static long rejected_initiative(PGconn *c, const char *name, int days_ago)
{
	json_t *doc = valid_doc();
	json_object_set_new(doc, "name", json_string(name));
	json_object_set_new(json_array_get(json_object_get(doc, "contacts"), 0), "name", json_string(name));
	char *text = json_dumps(doc, 0);
	json_decref(doc);
	const char *create[2] = {text, name};
	PGresult *res = sql(c, "select id from api.submission_create($1::jsonb, sha256(convert_to($2, 'UTF8')),"
			       " 'submitter', null, null, null)", 2, create);
	char id[32], days[16];
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	free(text);
	snprintf(days, sizeof(days), "%d", days_ago);
	const char *reject[2] = {id, days};
	PQclear(sql(c, "select api.moderation_reject($1::bigint, 'Geen doorlopende leerroute', 'test')", 1, reject));
	/* the rules of kaart keep the dates of a decision; a replica's session may set them */
	PQclear(sql(c, "begin", 0, NULL));
	PQclear(sql(c, "set local session_replication_role = replica", 0, NULL));
	PQclear(sql(c, "update kaart.initiative set rejected_at = now() - make_interval(days => $2::int) where id = $1::bigint",
		    2, reject));
	PQclear(sql(c, "commit", 0, NULL));
	return atol(id);
}

/* How many contact persons the initiative has. */
static long contacts(long id)
{
	char q[128];
	snprintf(q, sizeof(q), "select count(*) from kaart.contact_person where initiative_id = %ld", id);
	return sql_long(q);
}

/* Polls for up to 60 s (the machine may be busy) until the initiative has no contact person left;
 * returns how many it still has. */
static long wait_erased(long id)
{
	long n = contacts(id);
	for (int i = 0; i < 600 && n > 0; i++) {
		sleep_s(0.1);
		n = contacts(id);
	}
	return n;
}

/* Polls the metric of s for up to 60 s until it reaches at least min; returns its last value. */
static double wait_metric(const struct server *s, const char *name, double min)
{
	double v = server_metric(s, name);
	for (int i = 0; i < 600 && v < min; i++) {
		sleep_s(0.1);
		v = server_metric(s, name);
	}
	return v;
}

static void start(struct server *s, const char *const *env)
{
	int st = server_start(s, env);
	ck_assert_msg(st == 0, "the server did not start (%d; see %s)", st, s->log);
}

static void stop(struct server *s)
{
	int st = server_stop(s);
	ck_assert_msg(st == 0, "the server did not exit cleanly: %d (see %s)", st, s->log);
}

START_TEST(purge_erases_what_is_past_retention)
{
	PGconn *c = db_connect();
	long old = rejected_initiative(c, "Retentie oud", 40), young = rejected_initiative(c, "Retentie jong", 20);
	ck_assert_int_eq(contacts(old), 1);
	ck_assert_int_eq(contacts(young), 1);
	double before = (double)time(NULL);
	struct server s;
	const char *env[] = {"RETENTION_PURGE_INTERVAL=1", "RETENTION_DAYS=30", NULL};
	start(&s, env);
	ck_assert_msg(wait_erased(old) == 0, "the contact person rejected 40 days ago is still there");
	ck_assert_msg(wait_metric(&s, DONE, 1) >= 1, "no purge counted on /metrics");
	ck_assert_msg(contacts(young) == 1, "a contact person rejected 20 days ago was erased (RETENTION_DAYS=30)");
	ck_assert_msg(server_metric(&s, ERASED) >= 1, "the erased contact person was not counted");
	ck_assert_msg(server_metric(&s, LAST_SUCCESS) >= before, "the time of the last purge was not set");
	ck_assert(server_metric(&s, FAILED) == 0);
	/* the initiative itself stays, rejected */
	char q[128];
	snprintf(q, sizeof(q), "select count(*) from kaart.initiative where id = %ld and status = 'rejected'", old);
	ck_assert_int_eq(sql_long(q), 1);
	stop(&s);
	PQfinish(c);
}
END_TEST

START_TEST(nothing_erased_with_the_schedule_off)
{
	PGconn *c = db_connect();
	long old = rejected_initiative(c, "Retentie uit", 40);
	struct server s;
	const char *env[] = {"RETENTION_PURGE_INTERVAL=0", "RETENTION_DAYS=30", NULL};
	start(&s, env);
	sleep_s(3); /* three times what the schedule of the test above needs to start */
	ck_assert_msg(contacts(old) == 1, "a contact person was erased with RETENTION_PURGE_INTERVAL=0");
	ck_assert(server_metric(&s, DONE) == 0 && server_metric(&s, SKIPPED) == 0 && server_metric(&s, LAST_SUCCESS) == 0);
	stop(&s);
	/* the same row is erased by a server whose schedule is on: it was purgeable all along */
	const char *on[] = {"RETENTION_PURGE_INTERVAL=1", "RETENTION_DAYS=30", NULL};
	start(&s, on);
	ck_assert_int_eq(wait_erased(old), 0);
	stop(&s);
	PQfinish(c);
}
END_TEST

START_TEST(one_instance_purges_at_a_time)
{
	PGconn *c = db_connect();
	long old = rejected_initiative(c, "Retentie samen", 40);
	/* Another session holds the lock: the server skips its turns and erases nothing. */
	PQclear(sql(c, "select pg_advisory_lock(" LOCK_KEY ")", 0, NULL));
	struct server a, b;
	const char *env_a[] = {"RETENTION_PURGE_INTERVAL=1", "RETENTION_DAYS=30", "DB_STATEMENT_TIMEOUT_MS=120000", NULL};
	start(&a, env_a);
	ck_assert_msg(wait_metric(&a, SKIPPED, 2) >= 2, "the server did not skip its turns while the lock was held");
	ck_assert_msg(contacts(old) == 1, "purged while another session held the lock");
	ck_assert(server_metric(&a, DONE) == 0);
	PQclear(sql(c, "select pg_advisory_unlock(" LOCK_KEY ")", 0, NULL));
	ck_assert_int_eq(wait_erased(old), 0);
	ck_assert(wait_metric(&a, DONE, 1) >= 1);
	stop(&a);

	/* Two servers: A's purge takes the lock and then waits for the contact persons' table, which
	 * this session holds; meanwhile B skips its turns. When the table is let go, A's purge ends. */
	old = rejected_initiative(c, "Retentie twee", 40);
	PQclear(sql(c, "begin", 0, NULL));
	PQclear(sql(c, "lock table kaart.contact_person in access exclusive mode", 0, NULL));
	start(&a, env_a);
	long held = 0;
	for (int i = 0; i < 600 && held == 0; i++) {
		sleep_s(0.1);
		held = sql_long("select count(*) from pg_locks where locktype = 'advisory' and granted"
				" and objid = " LOCK_KEY "::oid");
	}
	ck_assert_msg(held == 1, "server A did not take the lock");
	const char *env_b[] = {"RETENTION_PURGE_INTERVAL=1", "RETENTION_DAYS=30", NULL};
	start(&b, env_b);
	ck_assert_msg(wait_metric(&b, SKIPPED, 1) >= 1, "server B did not skip while A was purging");
	ck_assert(server_metric(&b, DONE) == 0);
	ck_assert(server_metric(&a, DONE) == 0);
	PQclear(sql(c, "commit", 0, NULL));
	ck_assert_int_eq(wait_erased(old), 0);
	ck_assert_msg(wait_metric(&a, DONE, 1) >= 1, "A's purge did not end");
	ck_assert_msg(server_metric(&a, ERASED) >= 1, "A did not erase the contact person");
	ck_assert(server_metric(&a, FAILED) == 0 && server_metric(&b, FAILED) == 0);
	stop(&a);
	stop(&b);
	PQfinish(c);
}
END_TEST

/* Runs `routekaartd purge` with RETENTION_DAYS=30 against the test database; its standard output
 * (caller frees) and exit status. */
static char *purge_command(int *status)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' RETENTION_DAYS=30 '%s' purge 2>/dev/null",
		 getenv("RK_TEST_DATABASE_URL"), getenv("RK_SERVER"));
	FILE *p = popen(cmd, "r");
	ck_assert(p != NULL);
	char *out = calloc(1, 4096);
	size_t n = fread(out, 1, 4095, p);
	out[n] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

START_TEST(purge_command_runs_once)
{
	PGconn *c = db_connect();
	long old = rejected_initiative(c, "Retentie opdracht", 40), young = rejected_initiative(c, "Retentie vers", 20);
	int st;
	PQclear(sql(c, "select pg_advisory_lock(" LOCK_KEY ")", 0, NULL));
	char *out = purge_command(&st);
	ck_assert_msg(st == 0 && strstr(out, "another instance"), "with the lock held: status %d, '%s'", st, out);
	ck_assert_int_eq(contacts(old), 1);
	free(out);
	PQclear(sql(c, "select pg_advisory_unlock(" LOCK_KEY ")", 0, NULL));
	out = purge_command(&st);
	ck_assert_msg(st == 0 && strstr(out, "erased"), "status %d, '%s'", st, out);
	ck_assert_int_eq(contacts(old), 0);
	ck_assert_int_eq(contacts(young), 1);
	free(out);
	PQfinish(c);
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("retention");
	TCase *t = tcase_create("retention");
	tcase_set_timeout(t, 300);
	tcase_add_test(t, purge_erases_what_is_past_retention);
	tcase_add_test(t, nothing_erased_with_the_schedule_off);
	tcase_add_test(t, one_instance_purges_at_a_time);
	tcase_add_test(t, purge_command_runs_once);
	suite_add_tcase(s, t);
	return run_suite(s);
}
