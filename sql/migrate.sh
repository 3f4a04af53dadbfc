#!/usr/bin/env bash
# Apply the numbered migrations sql/NNN_name.sql in order.
#
#   sql/migrate.sh            apply every pending migration
#   sql/migrate.sh --status   list migrations and whether they are applied; change nothing
#
# The connection comes from the standard libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER,
# PGPASSWORD, PGSERVICE, ...). The first migration creates extensions and roles, so the first run
# needs a superuser (or a role with CREATEROLE where postgis and pgcrypto already exist).
#
# Each pending file runs in its own transaction with ON_ERROR_STOP and is recorded in
# public.schema_migrations(version, applied_at, checksum) in that same transaction, so a failed
# migration leaves nothing behind. Re-running is a no-op. A file whose content changed after it was
# applied is an error: write a new migration instead of editing an applied one.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
status_only=0
case "${1:-}" in
  --status) status_only=1 ;;
  "") ;;
  -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "migrate: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

command -v psql >/dev/null || { echo "migrate: psql not found (install postgresql-client)" >&2; exit 1; }

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

if ! psql_ -Atc 'select 1' >/dev/null 2>"${TMPDIR:-/tmp}/rk-migrate.$$"; then
  echo "migrate: cannot connect to the database:" >&2
  cat "${TMPDIR:-/tmp}/rk-migrate.$$" >&2; rm -f "${TMPDIR:-/tmp}/rk-migrate.$$"
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/rk-migrate.$$"

# The bookkeeping table. The lock keeps two concurrent runs from both creating it.
if [ $status_only = 0 ]; then
  psql_ >/dev/null <<'SQL'
set client_min_messages = warning;
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate'));
create table if not exists public.schema_migrations (
  version    text primary key check (version ~ '^[0-9]{3}$'),
  applied_at timestamptz not null default now(),
  checksum   text not null check (checksum ~ '^[0-9a-f]{64}$')
);
comment on table public.schema_migrations is 'Migrations of sql/ applied to this database (sql/migrate.sh).';
commit;
SQL
fi

declare -A applied=()
while IFS='|' read -r v c; do
  [ -n "$v" ] && applied[$v]=$c
done < <(if [ "$(psql_ -Atc "select to_regclass('public.schema_migrations') is not null")" = t ]; then
           psql_ -Atc 'select version, checksum from public.schema_migrations order by version'
         fi)

shopt -s nullglob
files=("$here"/[0-9][0-9][0-9]_*.sql)
[ ${#files[@]} -gt 0 ] || { echo "migrate: no migrations found in $here" >&2; exit 1; }

declare -A seen=()
pending=()
for f in "${files[@]}"; do
  base=$(basename "$f" .sql)
  v=${base:0:3}
  [[ "$base" =~ ^[0-9]{3}_[a-z0-9_]+$ ]] || { echo "migrate: bad migration file name '$base.sql' (want NNN_name.sql)" >&2; exit 1; }
  [ -z "${seen[$v]:-}" ] || { echo "migrate: two migrations share number $v: ${seen[$v]}.sql and $base.sql" >&2; exit 1; }
  seen[$v]=$base
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  if [ -n "${applied[$v]:-}" ]; then
    if [ "${applied[$v]}" != "$sum" ]; then
      echo "migrate: $base.sql was changed after it was applied (checksum ${applied[$v]:0:12}… in the database, ${sum:0:12}… on disk); add a new migration instead" >&2
      exit 1
    fi
    [ $status_only = 1 ] && echo "applied  $base"
  else
    pending+=("$f")
    [ $status_only = 1 ] && echo "pending  $base"
  fi
done
for v in "${!applied[@]}"; do
  [ -n "${seen[$v]:-}" ] || { echo "migrate: the database has migration $v, which is not in $here (an older checkout?)" >&2; exit 1; }
done
[ $status_only = 1 ] && exit 0

if [ ${#pending[@]} -eq 0 ]; then
  echo "migrate: up to date (${#files[@]} migrations)"
  exit 0
fi

# One session, one transaction per file. Under the lock each file checks again whether a
# concurrent run applied it meanwhile. psql runs from sql/ so that \i gets a plain relative name
# (checked above to be [0-9a-z_]).
script=""
for f in "${pending[@]}"; do
  base=$(basename "$f" .sql)
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  script+="
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate')) \gset
select not exists (select 1 from public.schema_migrations where version = '${base:0:3}') as pending \gset
\if :pending
\i $base.sql
reset role;
insert into public.schema_migrations (version, checksum) values ('${base:0:3}', '$sum');
\endif
commit;
\echo migrate: $base applied
"
done
t0=$(date +%s%N)
(cd "$here" && psql_ <<<"$script") \
  || { echo "migrate: failed; the failing migration was rolled back, the ones listed above are applied" >&2; exit 1; }
t1=$(date +%s%N)
printf 'migrate: %d migration(s) applied in %d ms\n' ${#pending[@]} $(( (t1 - t0) / 1000000 ))
