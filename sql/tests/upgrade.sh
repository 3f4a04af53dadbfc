#!/usr/bin/env bash
# A database migrated before sql/ was split into migrations/ and api/ (001-020, with data) upgrades
# with today's sql/migrate.sh: every row of ref, kaart and audit is kept, and its catalogue is then
# that of a database migrated afresh.
#
# The starting point is the fixture fixtures/legacy-020.sql (see make-legacy-020.sh), a pg_dump. A
# restored dump is not quite the database the migrations made: pg_dump prints a CHECK of three
# ANDed terms, written (a and b) and c, as ((a and b) and c), which then parses as one AND of
# three and prints as (a and b and c). Two CHECKs have that shape (initiative_withdrawal_reason_check,
# api_key_name_check), so their lines are left out of the comparison of the catalogues, and
# compared on their own with the parentheses taken out.
#   sql/tests/upgrade.sh      (in the libpq environment of the test cluster, as a superuser)
. "$(dirname "$0")/lib/common.sh"

legacy=$(new_database legacy)
psql -X -q -v ON_ERROR_STOP=1 -d "$legacy" -f "$top/sql/tests/fixtures/legacy-020.sql" >/dev/null
# the fixture leaves out the derived outlines of the region tiles; the old api makes them again
psql -X -q -At -v ON_ERROR_STOP=1 -d "$legacy" -c 'select api.refresh_region_tiles()' >/dev/null
table_digests "$legacy" > "$TMPDIR_/before"

if out=$(PGDATABASE=$legacy "$top/sql/migrate.sh" 2>&1) && grep -q 'adopted the database of before the split' <<<"$out"; then
  ok "migrate adopts the database at 020 of before the split"
else
  not_ok "migrate did not adopt the database:"; echo "$out"
fi
table_digests "$legacy" > "$TMPDIR_/after"
if cmp -s "$TMPDIR_/before" "$TMPDIR_/after"; then
  ok "every row of the $(grep -c . "$TMPDIR_/before") tables of ref, kaart and audit (and the old migrations' records) is kept"
else
  not_ok "the upgrade changed data (table|rows|md5):"; diff "$TMPDIR_/before" "$TMPDIR_/after" || true
fi
if grep -q '^kaart.revision|0|' "$TMPDIR_/before" || grep -q '^kaart.initiative|0|' "$TMPDIR_/before"; then
  not_ok "the fixture has no initiatives or revisions to keep"
fi

fresh=$(new_database fresh)
migrate "$fresh"
schema_dump "$fresh" > "$TMPDIR_/fresh.sql"
schema_dump "$legacy" > "$TMPDIR_/upgraded.sql"
reparsed='CONSTRAINT (initiative_withdrawal_reason_check|api_key_name_check) CHECK'
if cmp -s <(grep -Ev "$reparsed" "$TMPDIR_/fresh.sql") <(grep -Ev "$reparsed" "$TMPDIR_/upgraded.sql"); then
  ok "the upgraded catalogue equals a fresh one (pg_dump --schema-only, but for two CHECKs)"
else
  not_ok "the upgraded catalogue differs from a fresh one (< fresh, > upgraded):"
  diff <(grep -Ev "$reparsed" "$TMPDIR_/fresh.sql") <(grep -Ev "$reparsed" "$TMPDIR_/upgraded.sql") | head -60 || true
fi
if [ "$(grep -E "$reparsed" "$TMPDIR_/fresh.sql" | tr -d '()')" = "$(grep -E "$reparsed" "$TMPDIR_/upgraded.sql" | tr -d '()')" ] \
   && [ "$(grep -Ec "$reparsed" "$TMPDIR_/fresh.sql")" = 2 ]; then
  ok "and those two CHECKs are the same but for parentheses"
else
  not_ok "the CHECKs differ: $(grep -E "$reparsed" "$TMPDIR_/fresh.sql" "$TMPDIR_/upgraded.sql")"
fi
if [ "$(psql -X -At -d "$legacy" -c "select string_agg(version, ',' order by version) from public.schema_migrations where version >= '100'")" \
     = "$(psql -X -At -d "$fresh" -c "select string_agg(version, ',' order by version) from public.schema_migrations")" ]; then
  ok "the baseline is recorded as applied, as in a fresh database"
else
  not_ok "the migrations recorded differ from a fresh database's"
fi

# a second run is a plain one, and changes nothing
if out=$(PGDATABASE=$legacy "$top/sql/migrate.sh" 2>&1) && ! grep -q adopted <<<"$out" \
   && schema_dump "$legacy" | cmp -s - "$TMPDIR_/upgraded.sql"; then
  ok "migrate again after the upgrade changes nothing"
else
  not_ok "migrate after the upgrade: $out"
fi

# a database whose old migrations are not exactly those of before the split is refused
psql -X -q -d "$legacy" -c "update public.schema_migrations set checksum = repeat('0', 64) where version = '007'"
psql -X -q -d "$legacy" -c "delete from public.schema_migrations where version >= '100'"
if out=$(PGDATABASE=$legacy "$top/sql/migrate.sh" 2>&1); then
  not_ok "migrate accepted an edited migration 007 of before the split"
elif grep -q "migration 007 with checksum 000000000000" <<<"$out"; then
  ok "an edited migration of before the split is refused"
else
  not_ok "unexpected failure: $out"
fi
finish
