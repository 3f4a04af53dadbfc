/* `routekaartd keys ...`: issuing, listing and revoking API keys from the command line. The key
 * is shown once; the database keeps its SHA-256 hash only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "api/keys.h"
#include "store/keys.h"
#include "lib/banned.h"

static int usage(void)
{
	fprintf(stderr, "usage: routekaartd keys create --role moderator|analyst|admin --name NAME\n"
			"       routekaartd keys revoke --name NAME\n"
			"       routekaartd keys list\n");
	return 2;
}

static void report(const struct db_error *err)
{
	fprintf(stderr, "routekaartd: %s\n", err->message);
}

static int create(struct store_key_admin *a, const char *name, const char *role)
{
	if (!name || !*name || auth_role_parse(role) == ROLE_NONE)
		return usage();
	/* the key is rkk_<id>_<secret>: the id finds it, the hash of the secret proves it */
	char secret[64];
	uint8_t h[CRYPTO_HASH_BYTES];
	if (crypto_new_secret(secret, sizeof(secret), "") < 0) {
		fprintf(stderr, "routekaartd: no random numbers available\n");
		return 1;
	}
	crypto_sha256(secret, strlen(secret), h);
	long long id;
	struct db_error err;
	int rc = 1;
	if (store_key_create(a, name, role, h, &id, &err) < 0) {
		report(&err);
	} else {
		printf("%s%lld_%s\n", AUTH_KEY_PREFIX, id, secret);
		fprintf(stderr, "API key '%s' (%s) created. It is shown only this once: keep it safe.\n", name, role);
		rc = 0;
	}
	memset(secret, 0, sizeof(secret));
	return rc;
}

static int revoke(struct store_key_admin *a, const char *name)
{
	if (!name)
		return usage();
	struct db_error err;
	int rc = store_key_revoke(a, name, &err);
	if (rc < 0) {
		report(&err);
		return 1;
	}
	fprintf(stderr, rc == 0 ? "API key '%s' revoked.\n" : "no active API key named '%s'.\n", name);
	return rc;
}

static int list(struct store_key_admin *a)
{
	char *keys;
	struct db_error err;
	if (store_key_list(a, &keys, &err) < 0) {
		report(&err);
		return 1;
	}
	printf("%s\n", keys ? keys : "");
	free(keys);
	return 0;
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
	struct db_error err;
	struct store_key_admin *a = store_key_admin_new(cfg->database_url, &err);
	if (!a) {
		fprintf(stderr, "routekaartd: cannot connect to the database: %s\n", err.message);
		return 1;
	}
	int rc;
	if (strcmp(cmd, "create") == 0)
		rc = create(a, name, role);
	else if (strcmp(cmd, "revoke") == 0)
		rc = revoke(a, name);
	else if (strcmp(cmd, "list") == 0)
		rc = list(a);
	else
		rc = usage();
	store_key_admin_free(a);
	return rc;
}
