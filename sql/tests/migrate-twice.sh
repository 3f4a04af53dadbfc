#!/usr/bin/env bash
# sql/migrate.sh is idempotent: a second run that replaces the whole api (sql/api/) again
# (--replace-api) leaves the catalogue exactly as the first left it (pg_dump --schema-only, byte
# for byte), and a third run on a database with the reference and demo data changes no data. A run
# with nothing new leaves the api alone; one with a changed api file replaces it.
#   sql/tests/migrate-twice.sh      (in the libpq environment of the test cluster, as a superuser)
. "$(dirname "$0")/lib/common.sh"

db=$(new_database twice)
migrate "$db"
schema_dump "$db" > "$TMPDIR_/once.sql"
migrate "$db" --replace-api
schema_dump "$db" > "$TMPDIR_/twice.sql"
if cmp -s "$TMPDIR_/once.sql" "$TMPDIR_/twice.sql"; then
  ok "a second migrate leaves pg_dump --schema-only byte-identical ($(wc -l < "$TMPDIR_/once.sql") lines)"
else
  not_ok "a second migrate changed the catalogue:"; diff "$TMPDIR_/once.sql" "$TMPDIR_/twice.sql" | head -40 || true
fi
n=$(psql -X -At -d "$db" -c "select count(*) from public.schema_api")
if [ "$n" -gt 100 ]; then ok "migrate recorded the $n views, functions and triggers of sql/api/"; else not_ok "public.schema_api has $n rows"; fi

# with data: the replacement of the api keeps every row
PGDATABASE=$db "$top/geo/load-reference.sh" >/dev/null
PGDATABASE=$db "$top/geo/demo.sh" --count 50 --pending 5 >/dev/null 2>&1
table_digests "$db" > "$TMPDIR_/data-before"
migrate "$db" --replace-api
table_digests "$db" > "$TMPDIR_/data-after"
if cmp -s "$TMPDIR_/data-before" "$TMPDIR_/data-after"; then
  ok "migrate on a database with data changes no row of ref, kaart or audit"
else
  not_ok "migrate changed data:"; diff "$TMPDIR_/data-before" "$TMPDIR_/data-after" || true
fi
schema_dump "$db" > "$TMPDIR_/thrice.sql"
if cmp -s "$TMPDIR_/once.sql" "$TMPDIR_/thrice.sql"; then
  ok "and the catalogue is still the same"
else
  not_ok "the catalogue changed:"; diff "$TMPDIR_/once.sql" "$TMPDIR_/thrice.sql" | head -40 || true
fi

# nothing new: the api's functions stay the very ones (their oids); a changed api file replaces them
api_oids() { psql -X -At -d "$db" -c "select md5(string_agg(oid::text, ',' order by oid)) from pg_proc where pronamespace = 'api'::regnamespace"; }
before=$(api_oids)
out=$(PGDATABASE=$db "$top/sql/migrate.sh")
if [ "$(api_oids)" = "$before" ] && grep -q 'api: unchanged' <<<"$out"; then
  ok "a run with nothing new leaves the api alone ($(tail -1 <<<"$out" | sed 's/.*api: //'))"
else
  not_ok "a run with nothing new replaced the api: $out"
fi
cp -r "$top/sql" "$TMPDIR_/sql"; mkdir -p "$TMPDIR_/geo"; cp "$top/geo/codelists.json" "$TMPDIR_/geo/"
echo "comment on schema api is 'changed';" >> "$TMPDIR_/sql/api/90_service_documents.sql"
out=$(PGDATABASE=$db "$TMPDIR_/sql/migrate.sh")
if [ "$(api_oids)" != "$before" ] && grep -q 'api: 15 files applied' <<<"$out"; then
  ok "a changed api file replaces the api"
else
  not_ok "a changed api file did not replace the api: $out"
fi
finish
