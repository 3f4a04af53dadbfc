/* Integration tests of submitting and moderating: whole flows against the real server and
 * database, the bad inputs of tests/cases/submissions (after each the database is unchanged),
 * tokens and keys, erasure, the audit log and the limits. */
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "harness.h"

static char moderator_key[128], analyst_key[128];

/* `routekaartd keys create ...` as an operator would run it; the key is its one line of output. */
static void create_key(const char *role, const char *name, char *key, size_t n)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' keys create --role %s --name '%s' 2>/dev/null",
		 getenv("RK_TEST_DATABASE_URL"), getenv("RK_SERVER"), role, name);
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(key, (int)n, p)) {
		fprintf(stderr, "submissions: cannot create an API key\n");
		exit(EXIT_FAILURE);
	}
	key[strcspn(key, "\n")] = '\0';
	if (pclose(p) != 0 || strncmp(key, "rkk_", 4) != 0) {
		fprintf(stderr, "submissions: keys create failed\n");
		exit(EXIT_FAILURE);
	}
}

static void setup(void)
{
	char name[64];
	snprintf(name, sizeof(name), "test-moderator-%d", (int)getpid());
	create_key("moderator", name, moderator_key, sizeof(moderator_key));
	snprintf(name, sizeof(name), "test-analyst-%d", (int)getpid());
	create_key("analyst", name, analyst_key, sizeof(analyst_key));
	const char *env[] = {"WRITE_RATE_PER_MINUTE=0", NULL};
	harness_setup_with(env);
}

/* The server send_json talks to: the suite's, or one a test starts with settings of its own. */
static const struct server *target = &harness_server;

/* method path with a JSON body and extra headers (NULL-terminated); bearer may be NULL */
static struct resp send_json(const char *method, const char *path, const char *body, const char *bearer,
			     const char *const *extra)
{
	char url[512], auth[256];
	snprintf(url, sizeof(url), "%s%s", target->url, path);
	const char *headers[8];
	size_t n = 0;
	if (body)
		headers[n++] = "Content-Type: application/json";
	if (bearer) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		headers[n++] = auth;
	}
	for (size_t i = 0; extra && extra[i] && n < 7; i++)
		headers[n++] = extra[i];
	headers[n] = NULL;
	struct resp r;
	ck_assert(http_body_do(method, url, headers, body, &r) == 0);
	return r;
}

static struct resp send_doc(const char *method, const char *path, json_t *doc, const char *bearer)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	struct resp r = send_json(method, path, s, bearer, NULL);
	free(s);
	return r;
}

struct submitted {
	long id;
	char token[96];
};

static struct submitted submit(json_t *doc)
{
	struct resp r = send_doc("POST", "/submissions", doc, NULL);
	ck_assert_msg(r.status == 201, "submit: %ld %s", r.status, r.body);
	struct submitted s;
	s.id = (long)json_integer_value(json_object_get(r.json, "id"));
	snprintf(s.token, sizeof(s.token), "%s", json_string_value(json_object_get(r.json, "edit_token")));
	char loc[128];
	snprintf(loc, sizeof(loc), "%s/submissions/%ld", harness_server.url, s.id);
	ck_assert_str_eq(resp_header(&r, "Location"), loc);
	resp_free(&r);
	return s;
}

static json_t *doc_named(const char *name)
{
	json_t *doc = valid_doc();
	json_object_set_new(doc, "name", json_string(name));
	return doc;
}

static long public_status(long id)
{
	char path[96];
	snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", id);
	struct resp r;
	http_get(&harness_server, path, &r);
	long st = r.status;
	resp_free(&r);
	return st;
}

static char *public_name(long id)
{
	char path[96];
	snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", id);
	struct resp r;
	http_get(&harness_server, path, &r);
	ck_assert_int_eq(r.status, 200);
	char *name = strdup(json_string_value(json_object_get(json_object_get(r.json, "properties"), "name")));
	resp_free(&r);
	return name;
}

static struct resp moderate(const char *action, long id, const char *reason, const char *key)
{
	char path[128], body[256];
	snprintf(path, sizeof(path), "/admin/submissions/%ld/%s", id, action);
	if (reason)
		snprintf(body, sizeof(body), "{\"reason\":\"%s\"}", reason);
	return send_json("POST", path, reason ? body : NULL, key, NULL);
}

static char *status_of(long id)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "select status from kaart.initiative where id = %ld", id);
	return sql_text(sql);
}

/* What a failed request must leave as it was: every row of every table of the kaart and audit
 * schemas (found in the catalogue, so a new table is covered without a change here), each row as
 * text (every column, of any type), an md5 per table. Left out only kaart.api_key.last_used_at,
 * which any use of a key may set (at most once a minute) and which says nothing was changed. */
static char *fingerprint_on(PGconn *db)
{
	const char *sql =
		"select md5(string_agg(table_schema || '.' || table_name || ' ' ||"
		"  (xpath('/row/h/text()', query_to_xml(format("
		"    'select md5(coalesce(string_agg(r, '','' order by r), '''')) as h"
		"     from (select (%s)::text as r from %I.%I t) s',"
		"    case when (table_schema, table_name) = ('kaart', 'api_key') then 'to_jsonb(t) - ''last_used_at''' else 't' end,"
		"    table_schema, table_name), false, true, '')))[1]::text, ',' order by table_schema, table_name))"
		" || ' ' || count(*)"
		" from information_schema.tables"
		" where table_type = 'BASE TABLE' and table_schema in ('kaart', 'audit')";
	PGresult *res = PQexec(db, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "the fingerprint failed: %s", PQresultErrorMessage(res));
	char *fp = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return fp;
}

static char *fingerprint(void)
{
	PGconn *db = db_connect();
	char *fp = fingerprint_on(db);
	PQfinish(db);
	return fp;
}

/* --- the whole flow --- */

START_TEST(submit_approve_visible)
{
	long before = sql_long("select count(*) from kaart.initiative where status = 'published'");
	json_t *doc = doc_named("Doorlopende leerroute Zorg en welzijn Zwolle (flow)");
	struct submitted s = submit(doc);
	json_decref(doc);
	/* committed: the row is there, pending, with the hash of the token and not the token */
	char *st = status_of(s.id);
	ck_assert_str_eq(st, "submitted");
	free(st);
	ck_assert_msg(strlen(s.token) >= 4 + 22, "token too short for 128 bits: %s", s.token);
	uint8_t h[CRYPTO_HASH_BYTES];
	char hex[2 * CRYPTO_HASH_BYTES + 1], sql[512];
	crypto_sha256(s.token, strlen(s.token), h);
	crypto_hex(h, sizeof(h), hex);
	snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where id = %ld and edit_token_hash = '\\x%s'", s.id, hex);
	ck_assert_int_eq(sql_long(sql), 1);
	snprintf(sql, sizeof(sql), "select count(*) from audit.log where concat(before, after)::text like '%%%s%%'", s.token + 4);
	ck_assert_int_eq(sql_long(sql), 0);
	/* not public before a person looked at it */
	ck_assert_int_eq(public_status(s.id), 404);

	/* the queue shows it, with its fields as changes */
	struct resp r = send_json("GET", "/admin/submissions?status=pending&limit=1000", NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 200);
	int found = 0;
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(r.json, "items"), i, item) {
		if (json_integer_value(json_object_get(item, "id")) == s.id) {
			found = 1;
			ck_assert_str_eq(json_string_value(json_object_get(item, "kind")), "new");
		}
	}
	ck_assert_msg(found, "submission %ld not in the queue", s.id);
	resp_free(&r);

	r = moderate("approve", s.id, NULL, moderator_key);
	ck_assert_msg(r.status == 200, "approve: %ld %s", r.status, r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "outcome")), "published");
	resp_free(&r);
	ck_assert_int_eq(public_status(s.id), 200);
	ck_assert_int_eq(sql_long("select count(*) from kaart.initiative where status = 'published'"), before + 1);
	/* and in the public GeoJSON list */
	r = send_json("GET", "/collections/initiatives/items?limit=10000&q=flow", NULL, NULL, NULL);
	found = 0;
	json_array_foreach(json_object_get(r.json, "features"), i, item)
		found |= json_integer_value(json_object_get(item, "id")) == s.id;
	ck_assert(found);
	resp_free(&r);
	/* approving again: nothing pending */
	r = moderate("approve", s.id, NULL, moderator_key);
	ck_assert_int_eq(r.status, 409);
	resp_free(&r);
}
END_TEST

START_TEST(edit_published_creates_revision)
{
	json_t *doc = doc_named("Leerroute voor revisie");
	struct submitted s = submit(doc);
	json_decref(doc);
	struct resp r = moderate("approve", s.id, NULL, moderator_key);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* the school corrects its name: a pending revision, the public one stays */
	char path[96];
	snprintf(path, sizeof(path), "/submissions/%ld", s.id);
	r = send_json("PATCH", path, "{\"name\":\"Leerroute na revisie\",\"niveaus\":[3,4]}", s.token, NULL);
	ck_assert_msg(r.status == 200, "patch: %ld %s", r.status, r.body);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "outcome")), "revision_pending");
	resp_free(&r);
	char *name = public_name(s.id);
	ck_assert_str_eq(name, "Leerroute voor revisie");
	free(name);
	/* the school sees its pending revision */
	r = send_json("GET", path, NULL, s.token, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(json_object_get(r.json, "pending_revision"));
	ck_assert(!json_is_null(json_object_get(r.json, "pending_revision")));
	resp_free(&r);
	/* the moderator sees what changed */
	r = send_json("GET", "/admin/submissions?status=pending&limit=1000", NULL, moderator_key, NULL);
	int found = 0;
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(r.json, "items"), i, item) {
		if (json_integer_value(json_object_get(item, "id")) == s.id &&
		    strcmp(json_string_value(json_object_get(item, "kind")), "revision") == 0) {
			found = 1;
			char *changes = json_dumps(json_object_get(item, "changes"), 0);
			int shown = changes && strstr(changes, "Leerroute na revisie") != NULL;
			free(changes);
			ck_assert_msg(shown, "changes do not show the new name");
		}
	}
	ck_assert(found);
	resp_free(&r);
	r = moderate("approve", s.id, NULL, moderator_key);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "outcome")), "revision_applied");
	resp_free(&r);
	name = public_name(s.id);
	ck_assert_str_eq(name, "Leerroute na revisie");
	free(name);
}
END_TEST

START_TEST(edit_pending_in_place_and_reject)
{
	json_t *doc = doc_named("Leerroute die wordt afgewezen");
	struct submitted s = submit(doc);
	json_decref(doc);
	char path[96];
	snprintf(path, sizeof(path), "/submissions/%ld", s.id);
	/* a correction before moderation changes the submission itself, with the same validation */
	struct resp r = send_json("PATCH", path, "{\"niveaus\":[1]}", s.token, NULL);
	ck_assert_int_eq(r.status, 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0), "pointer")), "/niveaus/0");
	resp_free(&r);
	r = send_json("PATCH", path, "{\"description\":\"Nieuwe beschrijving\"}", s.token, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "outcome")), "updated");
	resp_free(&r);
	char sql[160];
	snprintf(sql, sizeof(sql), "select description from kaart.initiative where id = %ld", s.id);
	char *d = sql_text(sql);
	ck_assert_str_eq(d, "Nieuwe beschrijving");
	free(d);
	/* a rejection needs a reason */
	r = moderate("reject", s.id, NULL, moderator_key);
	ck_assert_int_eq(r.status, 415);
	resp_free(&r);
	snprintf(path, sizeof(path), "/admin/submissions/%ld/reject", s.id);
	r = send_json("POST", path, "{}", moderator_key, NULL);
	ck_assert_int_eq(r.status, 422);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(r.json, "errors"), 0), "pointer")), "/reason");
	resp_free(&r);
	r = moderate("reject", s.id, "Geen mbo-partner bevestigd", moderator_key);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	char *st = status_of(s.id);
	ck_assert_str_eq(st, "rejected");
	free(st);
	snprintf(sql, sizeof(sql), "select rejection_reason from kaart.initiative where id = %ld", s.id);
	d = sql_text(sql);
	ck_assert_str_eq(d, "Geen mbo-partner bevestigd");
	free(d);
	ck_assert_int_eq(public_status(s.id), 404);
	/* rejected: no more edits */
	snprintf(path, sizeof(path), "/submissions/%ld", s.id);
	r = send_json("PATCH", path, "{\"name\":\"Nog een poging\"}", s.token, NULL);
	ck_assert_int_eq(r.status, 409);
	resp_free(&r);
}
END_TEST

START_TEST(withdraw_with_token)
{
	json_t *doc = doc_named("Leerroute die stopt");
	struct submitted s = submit(doc);
	json_decref(doc);
	struct resp r = moderate("approve", s.id, NULL, moderator_key);
	resp_free(&r);
	ck_assert_int_eq(public_status(s.id), 200);
	char path[96];
	snprintf(path, sizeof(path), "/submissions/%ld", s.id);
	r = send_json("DELETE", path, NULL, s.token, NULL);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	char *st = status_of(s.id);
	ck_assert_str_eq(st, "withdrawn");
	free(st);
	ck_assert_int_eq(public_status(s.id), 404);
}
END_TEST

START_TEST(tokens_and_keys)
{
	json_t *doc = doc_named("Leerroute met geheimen");
	struct submitted s = submit(doc);
	struct submitted other = submit(doc);
	json_decref(doc);
	char path[96];
	snprintf(path, sizeof(path), "/submissions/%ld", s.id);
	struct resp r = send_json("GET", path, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "/problems/unauthorized");
	ck_assert_ptr_nonnull(resp_header(&r, "WWW-Authenticate"));
	resp_free(&r);
	/* another submission's token does not open this one */
	r = send_json("GET", path, NULL, other.token, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	r = send_json("GET", path, NULL, s.token, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "submitted");
	ck_assert_str_eq(resp_header(&r, "Cache-Control"), "no-store");
	/* the school sees its own contact's e-mail */
	ck_assert_ptr_nonnull(strstr(r.body, "a.devries@landstede.example"));
	resp_free(&r);
	/* moderation: no key 401, a wrong key 401, the analyst's key 403, the moderator's 200 */
	r = send_json("GET", "/admin/submissions", NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	r = send_json("GET", "/admin/submissions", NULL, "rkk_1_notthekey", NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	r = send_json("GET", "/admin/submissions", NULL, s.token, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	r = send_json("GET", "/admin/submissions", NULL, analyst_key, NULL);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "/problems/forbidden");
	resp_free(&r);
	r = moderate("approve", other.id, NULL, analyst_key);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
	char *st = status_of(other.id);
	ck_assert_str_eq(st, "submitted");
	free(st);
	r = send_json("GET", "/admin/submissions", NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

/* How many rows of all the tables of all schemas hold needle in their text (every column: text,
 * json, arrays, tsvector, bytea as \x and hex); with hash_columns_allowed, not counting the columns
 * where the hashes of secrets are kept to be checked. Dynamic SQL in one query: query_to_xml. */
static long rows_holding(PGconn *db, const char *needle, int hash_columns_allowed)
{
	const char *sql =
		"select coalesce(sum((xpath('/row/c/text()', query_to_xml(format("
		"  'select count(*) as c from %I.%I t where strpos((%s)::text, %L) > 0', table_schema, table_name,"
		"  case when $2::bool and (table_schema, table_name) = ('kaart', 'initiative') then 'to_jsonb(t) - ''edit_token_hash'''"
		"       when $2 and (table_schema, table_name) = ('kaart', 'api_key') then 'to_jsonb(t) - ''secret_hash'''"
		"       else 't' end, $1::text), false, true, '')))[1]::text::bigint), 0)"
		" from information_schema.tables"
		" where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')";
	const char *params[] = {needle, hash_columns_allowed ? "true" : "false"};
	PGresult *res = PQexecParams(db, sql, 2, NULL, params, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "the scan failed: %s", PQresultErrorMessage(res));
	long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

START_TEST(no_secret_in_logs)
{
	/* PostgreSQL logs every statement of the service's roles, with its parameters in full, for a
	 * server of this test's own (the settings apply from the next connection); the log is read
	 * from where it stood before */
	static const char *const roles[] = {"routekaart_app", "routekaart_web"};
	PGconn *su = db_connect();
	for (size_t i = 0; i < 2; i++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "alter role %s set log_statement = 'all'", roles[i]);
		PGresult *set = PQexec(su, sql);
		ck_assert_msg(PQresultStatus(set) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(set));
		PQclear(set);
		snprintf(sql, sizeof(sql), "alter role %s set log_parameter_max_length = -1", roles[i]);
		set = PQexec(su, sql);
		ck_assert_msg(PQresultStatus(set) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(set));
		PQclear(set);
	}
	char pglog[1024];
	snprintf(pglog, sizeof(pglog), "%s/../postgres.log", getenv("PGHOST"));
	char *pg_before = read_file(pglog);
	size_t pg_from = strlen(pg_before);
	free(pg_before);
	struct server own;
	const char *env[] = {"WRITE_RATE_PER_MINUTE=0", NULL};
	ck_assert_int_eq(server_start(&own, env), 0);
	target = &own;

	/* every kind of secret a client sends, right and wrong, and the hashes of the right ones */
	char idem[96], wrong_token[96], wrong_key[160];
	snprintf(idem, sizeof(idem), "Idempotency-Key: idem-geheim-%d-%ld", (int)getpid(), (long)time(NULL));
	const char *extra[] = {idem, NULL};
	json_t *doc = doc_named("Leerroute zonder sporen");
	char *body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	struct resp r = send_json("POST", "/submissions", body, NULL, extra);
	free(body);
	ck_assert_int_eq(r.status, 201);
	long id = (long)json_integer_value(json_object_get(r.json, "id"));
	char token[96];
	snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(r.json, "edit_token")));
	resp_free(&r);
	char path[96];
	snprintf(path, sizeof(path), "/submissions/%ld", id);
	r = send_json("PATCH", path, "{\"description\":\"Bijgewerkt\"}", token, NULL);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	snprintf(wrong_token, sizeof(wrong_token), "rkt_verkeerd%dXyZ", (int)getpid());
	r = send_json("GET", path, NULL, wrong_token, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	r = send_json("GET", "/admin/submissions", NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* the moderator's key id with a wrong secret, which reaches the database lookup */
	size_t id_len = 4 + strspn(moderator_key + 4, "0123456789") + 1;
	snprintf(wrong_key, sizeof(wrong_key), "%.*sverkeerdGeheim%dQ", (int)id_len, moderator_key, (int)getpid());
	r = send_json("GET", "/admin/submissions", NULL, wrong_key, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);

	const char *key_secret = moderator_key + id_len;
	uint8_t h[CRYPTO_HASH_BYTES];
	char token_hash[2 * CRYPTO_HASH_BYTES + 1], key_hash[2 * CRYPTO_HASH_BYTES + 1];
	crypto_sha256(token, strlen(token), h);
	crypto_hex(h, sizeof(h), token_hash);
	crypto_sha256(key_secret, strlen(key_secret), h);
	crypto_hex(h, sizeof(h), key_hash);
	const char *needles[] = {token, token_hash, key_secret, key_hash, wrong_token, wrong_key + id_len,
				 strchr(idem, ' ') + 1};
	const char *what[] = {"an edit token", "an edit token's hash", "an API key's secret", "an API key's hash",
			      "a wrong edit token", "a wrong API key", "an Idempotency-Key"};

	/* The server's log, and PostgreSQL's (PGHOST is <cluster>/run; its log <cluster>/postgres.log)
	 * from where it stood when this server started: every statement with its parameters */
	target = &harness_server;
	ck_assert_int_eq(server_stop(&own), 0);
	for (size_t i = 0; i < 2; i++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "alter role %s reset log_statement; alter role %s reset log_parameter_max_length",
			 roles[i], roles[i]);
		PGresult *reset = PQexec(su, sql);
		ck_assert_msg(PQresultStatus(reset) == PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(reset));
		PQclear(reset);
	}
	PGresult *left = PQexec(su, "select count(*) from pg_db_role_setting s join pg_roles r on r.oid = s.setrole"
				     " where r.rolname in ('routekaart_app', 'routekaart_web') and s.setconfig::text ~ 'log_(statement|parameter)'");
	ck_assert_msg(PQresultStatus(left) == PGRES_TUPLES_OK && strcmp(PQgetvalue(left, 0, 0), "0") == 0,
		      "the logging settings of the service's roles were not reset");
	PQclear(left);
	PQfinish(su);
	char *server_log = read_file(own.log), *pg_all = read_file(pglog);
	ck_assert_msg(strlen(pg_all) >= pg_from, "%s shrank", pglog);
	const char *texts[] = {server_log, pg_all + pg_from};
	const char *names[] = {own.log, pglog};
	/* the logs hold what the requests did, so a secret among it would be seen: the server's names
	 * the request, PostgreSQL's the calls of the create, the update and the key's lookup and
	 * their parameters */
	ck_assert_msg(strstr(server_log, path), "the server's log does not name %s", path);
	const char *called[] = {"api.submission_create", "api.submission_update", "api.key_lookup", "DETAIL:  parameters: $1 = '"};
	for (size_t i = 0; i < sizeof(called) / sizeof(called[0]); i++)
		ck_assert_msg(strstr(texts[1], called[i]), "PostgreSQL's log since the server started lacks %s: it logs "
			      "too little to prove anything", called[i]);
	/* The edit token's hash is a parameter of the create that stores it, so a log of
	 * every parameter holds it: allowed there, and only there (the hash of 128 random bits gives no
	 * way to the token). Every other needle, the key's hash among them, in neither log. */
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
			ck_assert_msg((l == 1 && needles[i] == token_hash) || !strstr(texts[l], needles[i]), "%s appears in %s",
				      what[i], names[l]);
	free(server_log);
	free(pg_all);
	/* nor in the database: in no column of any table of any schema (every row as text: text,
	 * json, arrays, tsvector, and bytea as its hex), and the hashes only where they are checked
	 * (kaart.initiative.edit_token_hash, kaart.api_key.secret_hash) */
	PGconn *db = db_connect();
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
		int is_hash = needles[i] == token_hash || needles[i] == key_hash;
		long n = rows_holding(db, needles[i], is_hash);
		ck_assert_msg(n == 0, "%s is stored in the database (%ld rows)", what[i], n);
	}
	/* the scan finds a secret where one is: planted in a row, in a transaction rolled back */
	PGresult *res = PQexec(db, "begin");
	PQclear(res);
	const char *plant[] = {token};
	res = PQexecParams(db, "update kaart.initiative set description = coalesce(description, '') || $1"
			       " where id = (select min(id) from kaart.initiative)", 1, NULL, plant, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "planting: %s", PQresultErrorMessage(res));
	PQclear(res);
	ck_assert_msg(rows_holding(db, token, 0) >= 1, "the scan does not find a secret planted in a row");
	res = PQexec(db, "rollback");
	PQclear(res);
	/* and a hash where it is kept, when those columns are not left out */
	ck_assert_int_eq(rows_holding(db, token_hash, 0), 1);
	PQfinish(db);
	/* which is where they are: the test looks in the right place */
	char sql[256];
	snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where edit_token_hash = '\\x%s'", token_hash);
	ck_assert_int_eq(sql_long(sql), 1);
	snprintf(sql, sizeof(sql), "select count(*) from kaart.api_key where secret_hash = '\\x%s'", key_hash);
	ck_assert_int_eq(sql_long(sql), 1);
}
END_TEST

START_TEST(revoked_key_refused)
{
	char key[128], cmd[1024], name[64];
	snprintf(name, sizeof(name), "test-revoked-%d", (int)getpid());
	create_key("moderator", name, key, sizeof(key));
	struct resp r = send_json("GET", "/admin/submissions", NULL, key, NULL);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	snprintf(cmd, sizeof(cmd), "DATABASE_URL='%s' '%s' keys revoke --name '%s' 2>/dev/null",
		 getenv("RK_TEST_DATABASE_URL"), getenv("RK_SERVER"), name);
	ck_assert_int_eq(system(cmd), 0);
	r = send_json("GET", "/admin/submissions", NULL, key, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	/* only a hash is stored */
	/* rkk_<id>_<secret>: the secret itself may hold '_' */
	const char *secret = key + 4 + strspn(key + 4, "0123456789") + 1;
	ck_assert_uint_eq(strlen(secret), 32);
	char sql[256];
	snprintf(sql, sizeof(sql), "select count(*) from kaart.api_key k where strpos(k::text, '%s') > 0", secret);
	ck_assert_int_eq(sql_long(sql), 0);
}
END_TEST

START_TEST(idempotent_retry)
{
	json_t *doc = doc_named("Leerroute die twee keer wordt verstuurd");
	char *body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	char key[96];
	snprintf(key, sizeof(key), "Idempotency-Key: retry-%d-%ld", (int)getpid(), (long)time(NULL));
	const char *extra[] = {key, NULL};
	long before = sql_long("select count(*) from kaart.initiative");
	struct resp a = send_json("POST", "/submissions", body, NULL, extra);
	struct resp b = send_json("POST", "/submissions", body, NULL, extra);
	ck_assert_int_eq(a.status, 201);
	ck_assert_int_eq(b.status, 201);
	ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), json_integer_value(json_object_get(b.json, "id")));
	ck_assert_str_eq(json_string_value(json_object_get(a.json, "edit_token")), json_string_value(json_object_get(b.json, "edit_token")));
	ck_assert_int_eq(sql_long("select count(*) from kaart.initiative"), before + 1);
	resp_free(&a);
	resp_free(&b);
	/* the same key with another body is refused and changes nothing */
	char *fp = fingerprint();
	struct resp c = send_json("POST", "/submissions", "{\"name\":\"iets anders\"}", NULL, extra);
	ck_assert_int_eq(c.status, 422);
	resp_free(&c);
	doc = doc_named("Een andere leerroute");
	char *other = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	c = send_json("POST", "/submissions", other, NULL, extra);
	ck_assert_int_eq(c.status, 422);
	ck_assert_str_eq(json_string_value(json_object_get(c.json, "type")), "/problems/idempotency-key-reused");
	resp_free(&c);
	char *fp2 = fingerprint();
	ck_assert_str_eq(fp, fp2);
	free(fp);
	free(fp2);
	free(other);
	free(body);
}
END_TEST

/* The person of an erasure test: a name, an e-mail and a phone number no one else has. */
struct person {
	char name[64], email[96], phone[32];
};

static void person_make(struct person *p, const char *tag)
{
	int pid = (int)getpid() % 1000000;
	snprintf(p->name, sizeof(p->name), "Wilhelmina %sWisbaar%d", tag, pid);
	snprintf(p->email, sizeof(p->email), "wis.%s.%d@school.example", tag, pid);
	snprintf(p->phone, sizeof(p->phone), "+31 6 9%c%06d", tag[0] == 's' ? '1' : '2', pid);
}

/* A submission with p as its first contact, who consents to be shown. */
static struct submitted submit_person(const char *title, const struct person *p)
{
	json_t *doc = doc_named(title);
	json_t *c = json_array_get(json_object_get(doc, "contacts"), 0);
	json_object_set_new(c, "email", json_string(p->email));
	json_object_set_new(c, "name", json_string(p->name));
	json_object_set_new(c, "phone", json_string(p->phone));
	json_object_set_new(c, "public_consent", json_true());
	struct submitted s = submit(doc);
	json_decref(doc);
	return s;
}

/* Where p is: the rows of every table of every schema holding the name, e-mail or phone in any
 * column (rows_holding: every row as text, whatever its types), and whether the server's log holds
 * any of them. Before an erasure the scan must find the person, in the contact's row and in its
 * audit payload (at least 2 rows each), else it would prove nothing after. */
static void person_scan(const struct person *p, int before)
{
	PGconn *db = db_connect();
	const char *what[] = {p->name, p->email, p->phone};
	for (size_t i = 0; i < 3; i++) {
		long n = rows_holding(db, what[i], 0);
		if (before)
			ck_assert_msg(n >= 2, "before the erasure the scan finds %s in %ld rows, not in the contact and its audit entry",
				      what[i], n);
		else
			ck_assert_msg(n == 0, "after the erasure %s is still in %ld rows", what[i], n);
	}
	PQfinish(db);
	char *log = read_file(harness_server.log);
	ck_assert_msg(strlen(log) > 0, "%s is empty: the scan of it would prove nothing", harness_server.log);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(!strstr(log, what[i]), "%s is in the server's log %s", what[i], harness_server.log);
	free(log);
}

/* Erasure removes the person from every table and output, audit payloads included, and leaves
 * the initiative. */
START_TEST(erasure_leaves_no_trace)
{
	struct person p;
	person_make(&p, "moderator");
	struct submitted s = submit_person("Leerroute met een te wissen persoon", &p);
	struct resp r = moderate("approve", s.id, NULL, moderator_key);
	resp_free(&r);
	char path[96];
	snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", s.id);
	r = send_json("GET", path, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, p.name)); /* consented: the name is public */
	ck_assert_ptr_null(strstr(r.body, p.email));   /* the e-mail never is */
	resp_free(&r);
	char sql[2048];
	snprintf(sql, sizeof(sql), "select id from kaart.contact_person where email = '%s'", p.email);
	long cid = sql_long(sql);
	person_scan(&p, 1);
	snprintf(path, sizeof(path), "/admin/contacts/%ld", cid);
	r = send_json("DELETE", path, NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 204);
	resp_free(&r);
	person_scan(&p, 0);
	ck_assert_int_eq(public_status(s.id), 200);
	snprintf(path, sizeof(path), "/collections/initiatives/items/%ld", s.id);
	r = send_json("GET", path, NULL, NULL, NULL);
	ck_assert_ptr_null(strstr(r.body, p.name));
	resp_free(&r);
	/* a second erasure: nothing left */
	snprintf(path, sizeof(path), "/admin/contacts/%ld", cid);
	r = send_json("DELETE", path, NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

START_TEST(school_erases_own_contact)
{
	struct person p;
	person_make(&p, "school");
	struct submitted s = submit_person("Leerroute waarvan de school zelf wist", &p);
	char sql[160], path[128];
	snprintf(sql, sizeof(sql), "select min(id) from kaart.contact_person where initiative_id = %ld", s.id);
	long cid = sql_long(sql);
	person_scan(&p, 1);
	snprintf(path, sizeof(path), "/submissions/%ld/contacts/%ld", s.id, cid);
	struct resp r = send_json("DELETE", path, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	r = send_json("DELETE", path, NULL, s.token, NULL);
	ck_assert_int_eq(r.status, 204);
	resp_free(&r);
	person_scan(&p, 0);
	snprintf(sql, sizeof(sql), "select count(*) from kaart.contact_person where id = %ld", cid);
	ck_assert_int_eq(sql_long(sql), 0);
	snprintf(sql, sizeof(sql), "select count(*) from kaart.initiative where id = %ld", s.id);
	ck_assert_int_eq(sql_long(sql), 1);
}
END_TEST

START_TEST(school_sbo_contact)
{
	const char *path = "/admin/schools/01AA57/contact";
	struct resp r = send_json("PUT", path, "{\"name\":\"Karel Contact\",\"function\":\"SBO-coördinator\",\"email\":\"k.contact@landstede.example\"}", moderator_key, NULL);
	ck_assert_msg(r.status == 200, "put: %ld %s", r.status, r.body);
	resp_free(&r);
	r = send_json("GET", path, NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "email")), "k.contact@landstede.example");
	resp_free(&r);
	r = send_json("PUT", path, "{\"name\":\"K\",\"email\":\"geen\"}", moderator_key, NULL);
	ck_assert_int_eq(r.status, 422);
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "errors")), 2);
	resp_free(&r);
	r = send_json("PUT", "/admin/schools/99ZZ99/contact", "{\"name\":\"Karel\",\"email\":\"k@x.example\"}", moderator_key, NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	r = send_json("GET", path, NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	/* never in public output */
	r = send_json("GET", "/collections/schools/items/01AA57", NULL, NULL, NULL);
	ck_assert_ptr_null(strstr(r.body, "k.contact@landstede.example"));
	resp_free(&r);
	r = send_json("DELETE", path, NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 204);
	resp_free(&r);
	r = send_json("GET", path, NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
}
END_TEST

START_TEST(audit_trail)
{
	json_t *doc = doc_named("Leerroute met een spoor");
	struct submitted s = submit(doc);
	json_decref(doc);
	struct resp r = moderate("approve", s.id, NULL, moderator_key);
	resp_free(&r);
	char path[160];
	snprintf(path, sizeof(path), "/admin/audit?entity=initiative&entity_id=%ld", s.id);
	r = send_json("GET", path, NULL, moderator_key, NULL);
	ck_assert_msg(r.status == 200, "audit: %ld %s", r.status, r.body);
	json_t *entries = json_object_get(r.json, "entries");
	ck_assert(json_array_size(entries) >= 2);
	int by_submitter = 0, by_moderator = 0;
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		const char *actor = json_string_value(json_object_get(e, "actor"));
		by_submitter |= actor && strcmp(actor, "submitter") == 0;
		by_moderator |= actor && strncmp(actor, "key:test-moderator", 18) == 0;
		ck_assert_int_eq(json_integer_value(json_object_get(e, "entity_id")), s.id);
	}
	ck_assert_msg(by_submitter && by_moderator, "audit actors: %s", r.body);
	resp_free(&r);
	r = send_json("GET", "/admin/audit?since=gisteren", NULL, moderator_key, NULL);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	r = send_json("GET", "/admin/audit?entity=initiative", NULL, analyst_key, NULL);
	ck_assert_int_eq(r.status, 403);
	resp_free(&r);
}
END_TEST

START_TEST(messages_in_english)
{
	const char *extra[] = {"Accept-Language: en-GB,en;q=0.9", NULL};
	struct resp r = send_json("POST", "/submissions", "{\"niveaus\":[1]}", NULL, extra);
	ck_assert_int_eq(r.status, 422);
	ck_assert_ptr_nonnull(strstr(r.body, "is not allowed"));
	resp_free(&r);
	r = send_json("POST", "/submissions", "{\"niveaus\":[1]}", NULL, NULL);
	ck_assert_ptr_nonnull(strstr(r.body, "niet toegestaan"));
	resp_free(&r);
}
END_TEST

/* The fingerprint changes when one row of any kind changes, and only then: shown on a connection of
 * its own, in a transaction rolled back. */
static void fingerprint_sees_a_change(const char *change, int changes)
{
	PGconn *db = db_connect();
	char *before = fingerprint_on(db);
	/* triggers off (the audit's), so that only the one row changes */
	PGresult *res = PQexec(db, "begin; set local session_replication_role = replica");
	PQclear(res);
	res = PQexec(db, change);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "1") == 0,
		      "%s: %s (%s rows)", change, PQresultErrorMessage(res), PQcmdTuples(res));
	PQclear(res);
	char *after = fingerprint_on(db);
	res = PQexec(db, "rollback");
	PQclear(res);
	ck_assert_msg((strcmp(before, after) != 0) == changes, "the fingerprint %s after: %s", changes ? "is the same" : "differs", change);
	free(before);
	free(after);
	PQfinish(db);
}

/* The submissions a case may name in its path: {submitted}, {published}, {rejected}, {withdrawn},
 * and {unknown}, an id no submission has. Each case file may give "auth": the name of one of them
 * (its edit token), "moderator" or "analyst" (their keys). */
struct subjects {
	struct submitted submitted, published, rejected, withdrawn;
	long unknown;
};

static void subjects_make(struct subjects *x)
{
	json_t *doc = doc_named("Leerroute voor foute verzoeken");
	/* with an Idempotency-Key, so that there is an idempotency record */
	char idem[96];
	snprintf(idem, sizeof(idem), "Idempotency-Key: fout-%d-%ld", (int)getpid(), (long)time(NULL));
	const char *extra[] = {idem, NULL};
	char *body = json_dumps(doc, JSON_COMPACT);
	struct resp r = send_json("POST", "/submissions", body, NULL, extra);
	free(body);
	ck_assert_int_eq(r.status, 201);
	x->submitted.id = (long)json_integer_value(json_object_get(r.json, "id"));
	snprintf(x->submitted.token, sizeof(x->submitted.token), "%s", json_string_value(json_object_get(r.json, "edit_token")));
	resp_free(&r);
	x->published = submit(doc);
	x->rejected = submit(doc);
	x->withdrawn = submit(doc);
	json_decref(doc);
	r = moderate("approve", x->published.id, NULL, moderator_key);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	r = moderate("reject", x->rejected.id, "Geen mbo-partner", moderator_key);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	r = moderate("withdraw", x->withdrawn.id, "Gestopt", moderator_key);
	ck_assert_msg(r.status == 200, "withdraw: %ld %s", r.status, r.body);
	resp_free(&r);
	x->unknown = sql_long("select coalesce(max(id), 0) + 1000000 from kaart.initiative");
}

static const struct submitted *subject_named(const struct subjects *x, const char *name)
{
	if (strcmp(name, "submitted") == 0)
		return &x->submitted;
	if (strcmp(name, "published") == 0)
		return &x->published;
	if (strcmp(name, "rejected") == 0)
		return &x->rejected;
	if (strcmp(name, "withdrawn") == 0)
		return &x->withdrawn;
	return NULL;
}

/* path with each {name} replaced by the id of that subject */
static void case_path(const struct subjects *x, const char *in, char *out, size_t n)
{
	size_t o = 0;
	while (*in && o + 1 < n) {
		const char *close = *in == '{' ? strchr(in, '}') : NULL;
		if (close) {
			char name[32];
			snprintf(name, sizeof(name), "%.*s", (int)(close - in - 1), in + 1);
			const struct submitted *s = subject_named(x, name);
			long id = s ? s->id : strcmp(name, "unknown") == 0 ? x->unknown : -1;
			ck_assert_msg(id >= 0, "unknown placeholder {%s}", name);
			o += (size_t)snprintf(out + o, n - o, "%ld", id);
			in = close + 1;
		} else {
			out[o++] = *in++;
		}
	}
	ck_assert(o + 1 < n);
	out[o] = '\0';
}

/* Every error of r is named in want (by its "field": pointer or parameter), and every name of want
 * is in an error. */
static void case_errors(const char *fn, const struct resp *r, json_t *want, const char *field)
{
	json_t *errs = json_object_get(r->json, "errors");
	size_t i, j;
	json_t *p, *e;
	json_array_foreach(want, i, p) {
		int found = 0;
		json_array_foreach(errs, j, e)
			found |= json_is_string(json_object_get(e, field)) &&
				 strcmp(json_string_value(json_object_get(e, field)), json_string_value(p)) == 0;
		ck_assert_msg(found, "%s: no error at %s %s in %s", fn, field, json_string_value(p), r->body);
	}
	json_array_foreach(errs, j, e) {
		int expected = 0;
		json_array_foreach(want, i, p)
			expected |= json_is_string(json_object_get(e, field)) &&
				    strcmp(json_string_value(json_object_get(e, field)), json_string_value(p)) == 0;
		ck_assert_msg(expected, "%s: unexpected error %s", fn, json_dumps(e, 0));
		ck_assert(json_string_length(json_object_get(e, "message")) > 0);
		ck_assert(json_string_length(json_object_get(e, "code")) > 0);
	}
}

/* Each file in tests/cases/submissions: a bad request ("method" and "path", POST /submissions unless
 * given; "auth"; "headers"; "body" or "body_raw"), its status and problem type, the JSON pointers
 * ("pointers") or query parameters ("parameters") of its errors, exactly; and afterwards every table
 * of the kaart and audit schemas as it was. */
START_TEST(bad_input_cases)
{
	/* the fingerprint sees one changed row: of an idempotency record, a key, an audit entry */
	fingerprint_sees_a_change("update kaart.api_key set name = name || 'x' where id = (select min(id) from kaart.api_key)", 1);
	fingerprint_sees_a_change("update audit.log set actor = actor || 'x' where id = (select min(id) from audit.log)", 1);
	fingerprint_sees_a_change("update kaart.api_key set last_used_at = now() - interval '1 day'"
				  " where id = (select min(id) from kaart.api_key)", 0);
	struct subjects x;
	subjects_make(&x);
	char change[256];
	snprintf(change, sizeof(change), "update kaart.submission_idempotency set created_at = created_at - interval '1 second'"
		 " where initiative_id = %ld", x.submitted.id);
	fingerprint_sees_a_change(change, 1);

	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/tests/cases/submissions", getenv("RK_TOP"));
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	ck_assert(n > 2);
	int cases = 0, elsewhere = 0;
	for (int k = 0; k < n; k++) {
		const char *fn = names[k]->d_name;
		if (!strstr(fn, ".json")) {
			free(names[k]);
			continue;
		}
		char file[2048];
		snprintf(file, sizeof(file), "%s/%s", dir, fn);
		char *text = read_file(file);
		json_t *c = json_loads(text, JSON_ALLOW_NUL, NULL);
		free(text);
		ck_assert_msg(c, "%s is not JSON", fn);
		const char *method = json_string_value(json_object_get(c, "method"));
		const char *path_in = json_string_value(json_object_get(c, "path"));
		const char *auth = json_string_value(json_object_get(c, "auth"));
		if (!method)
			method = "POST";
		if (!path_in)
			path_in = "/submissions";
		elsewhere += strcmp(method, "POST") != 0 || strcmp(path_in, "/submissions") != 0;
		char path[512], url[768];
		case_path(&x, path_in, path, sizeof(path));
		snprintf(url, sizeof(url), "%s%s", harness_server.url, path);
		json_t *body = json_object_get(c, "body");
		const char *raw = json_string_value(json_object_get(c, "body_raw"));
		char *s = raw ? strdup(raw) : body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		const char *ct = json_string_value(json_object_get(json_object_get(c, "headers"), "Content-Type"));
		const char *headers[4] = {NULL};
		char hct[256], hauth[256];
		size_t h = 0;
		if (ct || s) {
			snprintf(hct, sizeof(hct), "Content-Type: %s", ct ? ct : "application/json");
			headers[h++] = hct;
		}
		if (auth) {
			const struct submitted *sub = subject_named(&x, auth);
			int analyst = strcmp(auth, "analyst") == 0;
			ck_assert_msg(sub || analyst || strcmp(auth, "moderator") == 0, "%s: unknown auth %s", fn, auth);
			snprintf(hauth, sizeof(hauth), "Authorization: Bearer %s",
				 sub ? sub->token : analyst ? analyst_key : moderator_key);
			headers[h++] = hauth;
		}
		char *fp = fingerprint();
		struct resp r;
		ck_assert_msg(http_body_do(method, url, headers, s, &r) == 0, "%s: no response", fn);
		char *fp2 = fingerprint();
		ck_assert_msg(strcmp(fp, fp2) == 0, "%s: %s %s changed the database (answered %ld)", fn, method, path, r.status);
		free(fp);
		free(fp2);
		long want = (long)json_integer_value(json_object_get(c, "status"));
		ck_assert_msg(r.status == want, "%s: %s %s: status %ld, expected %ld: %.400s", fn, method, path, r.status,
			      want, r.body);
		ck_assert_msg(r.json && json_is_string(json_object_get(r.json, "type")) &&
				      strcmp(json_string_value(json_object_get(r.json, "type")),
					     json_string_value(json_object_get(c, "type"))) == 0,
			      "%s: type in %.300s", fn, r.body);
		ck_assert_str_eq(resp_header(&r, "Content-Type"), "application/problem+json");
		if (json_object_get(c, "pointers"))
			case_errors(fn, &r, json_object_get(c, "pointers"), "pointer");
		if (json_object_get(c, "parameters"))
			case_errors(fn, &r, json_object_get(c, "parameters"), "parameter");
		free(s);
		resp_free(&r);
		json_decref(c);
		free(names[k]);
		cases++;
	}
	free(names);
	ck_assert_int_ge(cases, 20);
	ck_assert_int_ge(elsewhere, 15);
}
END_TEST

START_TEST(rate_limited_writes)
{
	struct server limited;
	const char *env[] = {"WRITE_RATE_PER_MINUTE=2", "WRITE_RATE_BURST=2", NULL};
	ck_assert_int_eq(server_start(&limited, env), 0);
	char url[128];
	snprintf(url, sizeof(url), "%s/submissions", limited.url);
	const char *hdr[] = {"Content-Type: application/json", NULL};
	long statuses[3];
	for (int i = 0; i < 3; i++) {
		struct resp r;
		ck_assert(http_body_do("POST", url, hdr, "{}", &r) == 0);
		statuses[i] = r.status;
		if (i == 2) {
			ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "/problems/too-many-requests");
			ck_assert(atoi(resp_header(&r, "Retry-After")) >= 1);
		}
		resp_free(&r);
	}
	ck_assert_int_eq(statuses[0], 422);
	ck_assert_int_eq(statuses[1], 422);
	ck_assert_int_eq(statuses[2], 429);
	/* reads are not limited */
	struct resp r;
	snprintf(url, sizeof(url), "%s/collections/initiatives/items?limit=1", limited.url);
	ck_assert(http_do("GET", url, NULL, &r) == 0 && r.status == 200);
	resp_free(&r);
	ck_assert_int_eq(server_stop(&limited), 0);
}
END_TEST

/* Guessing keys and tokens: after AUTH_FAILURES_PER_MINUTE (at least 10 at once) failed attempts
 * from an address, it gets 429 before any secret is looked at, even with the right one. */
/* With AUTH_FAILURES_PER_MINUTE=per_minute, an address may fail `allowed` times at once (the
 * setting, but at least 10); the next attempt is a 429 before its secret is checked. */
static void check_lockout(int per_minute, int allowed)
{
	struct server locked;
	char setting[64];
	snprintf(setting, sizeof(setting), "AUTH_FAILURES_PER_MINUTE=%d", per_minute);
	const char *env[] = {setting, NULL};
	ck_assert_int_eq(server_start(&locked, env), 0);
	char admin[128], auth[200], wrong[200];
	snprintf(admin, sizeof(admin), "%s/admin/submissions", locked.url);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", moderator_key);
	const char *right[] = {auth, NULL};
	struct resp r;
	ck_assert(http_do("GET", admin, right, &r) == 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* `allowed` wrong keys and tokens are each a 401 */
	for (int i = 0; i < allowed; i++) {
		char url[160];
		if (i % 2) {
			snprintf(wrong, sizeof(wrong), "Authorization: Bearer rkk_1_geraden%d", i);
			snprintf(url, sizeof(url), "%s", admin);
		} else {
			snprintf(wrong, sizeof(wrong), "Authorization: Bearer rke_geraden%d", i);
			snprintf(url, sizeof(url), "%s/submissions/1", locked.url);
		}
		const char *h[] = {wrong, NULL};
		ck_assert(http_do("GET", url, h, &r) == 0);
		ck_assert_msg(r.status == 401, "%s: attempt %d: %ld", setting, i + 1, r.status);
		resp_free(&r);
	}
	/* the next is refused before it is checked, and so is the right key now */
	const char *h[] = {wrong, NULL};
	ck_assert(http_do("GET", admin, h, &r) == 0);
	ck_assert_msg(r.status == 429, "%s: attempt %d: %ld", setting, allowed + 1, r.status);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "type")), "/problems/too-many-requests");
	ck_assert_int_ge(atoi(resp_header(&r, "Retry-After")), 1);
	resp_free(&r);
	ck_assert(http_do("GET", admin, right, &r) == 0);
	ck_assert_int_eq(r.status, 429);
	resp_free(&r);
	/* public reads are not touched */
	char url[160];
	snprintf(url, sizeof(url), "%s/collections/initiatives/items?limit=1", locked.url);
	ck_assert(http_do("GET", url, NULL, &r) == 0);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	ck_assert_int_eq(server_stop(&locked), 0);
}

START_TEST(auth_failures_locked_out)
{
	check_lockout(1, 10);  /* at least 10 at once */
	check_lockout(15, 15); /* the setting, when it is more */
}
END_TEST

/* The database, not only the C, keeps the public role away from the write functions. */
START_TEST(roles_in_the_database)
{
	PGconn *db = db_connect();
	PGresult *res = PQexec(db, "set role routekaart_web");
	PQclear(res);
	const char *denied[] = {"select api.moderation_queue('pending', 10, 0)", "select * from api.submission_get(1)",
				"select api.key_list()", "select * from kaart.api_key"};
	for (size_t i = 0; i < 4; i++) {
		res = PQexec(db, denied[i]);
		ck_assert_msg(PQresultStatus(res) == PGRES_FATAL_ERROR, "routekaart_web may run %s", denied[i]);
		ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42501");
		PQclear(res);
	}
	res = PQexec(db, "reset role; set role routekaart_app");
	PQclear(res);
	res = PQexec(db, "select count(*) from kaart.contact_person");
	ck_assert_int_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
	PQclear(res);
	res = PQexec(db, "select api.moderation_count('pending')");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	PQfinish(db);
}
END_TEST

static Suite *submissions_suite(void)
{
	Suite *s = suite_create("submissions");
	TCase *t = tcase_create("flows");
	tcase_add_unchecked_fixture(t, setup, harness_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, submit_approve_visible);
	tcase_add_test(t, edit_published_creates_revision);
	tcase_add_test(t, edit_pending_in_place_and_reject);
	tcase_add_test(t, withdraw_with_token);
	tcase_add_test(t, tokens_and_keys);
	tcase_add_test(t, no_secret_in_logs);
	tcase_add_test(t, auth_failures_locked_out);
	tcase_add_test(t, revoked_key_refused);
	tcase_add_test(t, idempotent_retry);
	tcase_add_test(t, erasure_leaves_no_trace);
	tcase_add_test(t, school_erases_own_contact);
	tcase_add_test(t, school_sbo_contact);
	tcase_add_test(t, audit_trail);
	tcase_add_test(t, messages_in_english);
	tcase_add_test(t, bad_input_cases);
	tcase_add_test(t, rate_limited_writes);
	tcase_add_test(t, roles_in_the_database);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return run_suite(submissions_suite());
}
