/* `routekaartd keys ...`: issuing, listing and revoking API keys from the command line. The key
 * is shown once; the database keeps its SHA-256 hash only. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "api/auth.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "api/keys.h"
#include "lib/banned.h"

static int usage(void)
{
	fprintf(stderr, "usage: routekaartd keys create --role moderator|analyst|admin --name NAME\n"
			"       routekaartd keys revoke --name NAME\n"
			"       routekaartd keys list\n");
	return 2;
}

static PGresult *run(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "routekaartd: %s", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

int keys_main(int argc, char **argv, const struct config *cfg)
{
	if (argc < 1)
		return usage();
	const char *cmd = argv[0], *role = NULL, *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else
			return usage();
	}
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *vals[] = {cfg->database_url, "routekaartd-keys", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "routekaartd: cannot connect to the database: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	int rc = 1;
	PGresult *r = NULL;
	if (strcmp(cmd, "create") == 0) {
		if (!name || !*name || auth_role_parse(role) == ROLE_NONE) {
			PQfinish(c);
			return usage();
		}
		/* the key is rkk_<id>_<secret>: the id finds it, the hash of the secret proves it */
		char secret[64], hex[2 * CRYPTO_HASH_BYTES + 3];
		uint8_t h[CRYPTO_HASH_BYTES];
		if (crypto_new_secret(secret, sizeof(secret), "") < 0) {
			fprintf(stderr, "routekaartd: no random numbers available\n");
			PQfinish(c);
			return 1;
		}
		crypto_sha256(secret, strlen(secret), h);
		crypto_bytea(h, sizeof(h), hex);
		const char *p1[3] = {name, role, hex};
		r = run(c, "select api.key_create($1::text, $2::text, $3::bytea)", 3, p1);
		if (r) {
			printf("%s%s_%s\n", AUTH_KEY_PREFIX, PQgetvalue(r, 0, 0), secret);
			fprintf(stderr, "API key '%s' (%s) created. It is shown only this once: keep it safe.\n", name, role);
			rc = 0;
		}
		memset(secret, 0, sizeof(secret));
	} else if (strcmp(cmd, "revoke") == 0) {
		if (!name) {
			PQfinish(c);
			return usage();
		}
		const char *p[1] = {name};
		r = run(c, "select api.key_revoke($1::text)", 1, p);
		if (r) {
			int done = PQgetvalue(r, 0, 0)[0] == 't';
			fprintf(stderr, done ? "API key '%s' revoked.\n" : "no active API key named '%s'.\n", name);
			rc = done ? 0 : 1;
		}
	} else if (strcmp(cmd, "list") == 0) {
		r = run(c, "select api.key_list()::text", 0, NULL);
		if (r) {
			printf("%s\n", PQgetvalue(r, 0, 0));
			rc = 0;
		}
	} else {
		rc = usage();
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}
