#!/usr/bin/env bash
# Bring the database to this checkout: apply the pending migrations sql/migrations/NNN_name.sql in
# order, then replace the database API with sql/api/*.sql.
#
#   sql/migrate.sh            migrate
#   sql/migrate.sh --status   list the migrations (applied, pending, ...) and the api files; change nothing
#   sql/migrate.sh --replace-api   replace the api even when nothing changed
#   sql/migrate.sh --url postgresql://routekaart_owner@HOST/DB [...]   the same, on that database
#
# The connection comes from --url or the standard libpq environment (PGHOST, PGPORT, PGDATABASE,
# PGUSER, PGPASSFILE, PGSERVICE, ...). Run it as routekaart_owner: the first migration (100:
# extensions, roles' settings, schemas) needs a superuser and is part of the DBA step,
# deploy/db-init.sh, which a superuser runs once; every later one runs as the owner. (A superuser
# may run it all, as the tests do on their scratch databases.)
#
# Migrations: each pending file runs in its own transaction with ON_ERROR_STOP and is recorded in
# public.schema_migrations(version, applied_at, checksum) in that same transaction, so a failed
# migration leaves nothing behind. A file whose content changed after it was applied is an error:
# write a new migration instead of editing an applied one.
# The api: in one transaction, when sql/api/, the code lists or migrate/ changed since the last
# run, a migration was applied, or with --replace-api, the ref tables' code lists are made those of
# geo/codelists.json (migrate/codelists.sql), the views, functions and triggers that sql/api/ made
# the last time (public.schema_api) are dropped, sql/api/*.sql run in the order of their names,
# and what they made is recorded. Changing a function is editing its file and running this again.
# It is made to run while an older version of the service reads and writes (see below).
# A database migrated before sql/ was split (001-020, checksums in sql/migrate/legacy-020.sha256)
# gets the baseline 100-104 recorded as applied, not run (sql/migrate/legacy-020.sql).
# An advisory lock serialises concurrent runs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
baseline_last=104   # migrations/100-104 replaced the migrations 001-020 of before the split
status_only=0 replace_api=0
lock_timeout=${RK_MIGRATE_LOCK_TIMEOUT:-200ms}   # the longest a statement of a migration waits for a lock
lock_wait=${RK_MIGRATE_LOCK_WAIT:-900ms}         # the longest the api's replacement waits for its locks
tries=${RK_MIGRATE_TRIES:-100}                   # sessions begun again after such a wait
retire_grace=${RK_MIGRATE_RETIRE_GRACE:-10s}     # the previous api's functions are dropped this long after the new one committed
url=()
while [ $# -gt 0 ]; do
  case "$1" in
    --status) status_only=1; shift ;;
    --replace-api) replace_api=1; shift ;;
    --url) [ $# -ge 2 ] || { echo "migrate: --url needs a value" >&2; exit 2; }
           url=(-d "$2"); shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "migrate: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

command -v psql >/dev/null || { echo "migrate: psql not found (install postgresql-client)" >&2; exit 1; }

psql_() { psql -X -q -v ON_ERROR_STOP=1 "${url[@]}" "$@"; }
die() { echo "migrate: $*" >&2; exit 1; }

if ! psql_ -Atc 'select 1' >/dev/null 2>"${TMPDIR:-/tmp}/rk-migrate.$$"; then
  echo "migrate: cannot connect to the database:" >&2
  cat "${TMPDIR:-/tmp}/rk-migrate.$$" >&2; rm -f "${TMPDIR:-/tmp}/rk-migrate.$$"
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/rk-migrate.$$"

[ $status_only = 1 ] || psql_ -f "$here/migrate/bookkeeping.sql" >/dev/null

declare -A applied=()
while IFS='|' read -r v c; do
  [ -n "$v" ] && applied[$v]=$c
done < <(if [ "$(psql_ -Atc "select to_regclass('public.schema_migrations') is not null")" = t ]; then
           psql_ -Atc 'select version, checksum from public.schema_migrations order by version'
         fi)

declare -A legacy=() legacy_name=()
while read -r v sum name; do
  legacy[$v]=$sum legacy_name[$v]=${name%.sql}
done < <(grep -v '^#' "$here/migrate/legacy-020.sha256")

shopt -s nullglob
files=("$here"/migrations/[0-9][0-9][0-9]_*.sql)
apis=("$here"/api/[0-9][0-9]_*.sql)
[ ${#files[@]} -gt 0 ] || die "no migrations found in $here/migrations"
[ ${#apis[@]} -gt 0 ] || die "no api files found in $here/api"
codelists=$(cd "$here/.." && pwd)/geo/codelists.json   # the code lists' one source
[ -r "$codelists" ] || die "the code lists are missing: $codelists"
case "$codelists" in *\'*) die "the checkout's path may not contain a quote: $codelists" ;; esac
for f in "$here"/api/*.sql; do
  [[ "$(basename "$f")" =~ ^[0-9]{2}_[a-z0-9_]+\.sql$ ]] || die "bad api file name 'api/$(basename "$f")' (want NN_name.sql)"
done

# The applied migrations: those of before the split must be exactly 001-020 as they were.
nlegacy=0 nbaseline=0
for v in "${!applied[@]}"; do
  if [ -n "${legacy[$v]:-}" ]; then
    [ "${applied[$v]}" = "${legacy[$v]}" ] \
      || die "the database has migration $v with checksum ${applied[$v]:0:12}…, not that of ${legacy_name[$v]}.sql before the split (${legacy[$v]:0:12}…)"
    nlegacy=$((nlegacy + 1))
  elif [ $((10#$v)) -le $baseline_last ]; then
    nbaseline=$((nbaseline + 1))
  fi
done
adopt=0
if [ $nlegacy -gt 0 ]; then
  [ $nlegacy = ${#legacy[@]} ] \
    || die "the database has $nlegacy of the ${#legacy[@]} migrations of before the split; migrate it to 020 with a checkout of that time first"
  [ $nbaseline -gt 0 ] || adopt=1
fi

declare -A seen=()
pending=() baseline=()
for f in "${files[@]}"; do
  base=$(basename "$f" .sql)
  v=${base:0:3}
  [[ "$base" =~ ^[0-9]{3}_[a-z0-9_]+$ ]] || die "bad migration file name 'migrations/$base.sql' (want NNN_name.sql)"
  [ $((10#$v)) -ge 100 ] || die "migrations/$base.sql: numbers below 100 were the migrations of before the split"
  [ -z "${seen[$v]:-}" ] || die "two migrations share number $v: ${seen[$v]}.sql and $base.sql"
  seen[$v]=$base
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  if [ -n "${applied[$v]:-}" ]; then
    [ "${applied[$v]}" = "$sum" ] \
      || die "migrations/$base.sql was changed after it was applied (checksum ${applied[$v]:0:12}… in the database, ${sum:0:12}… on disk); add a new migration instead"
    [ $status_only = 1 ] && echo "applied  $base"
  elif [ $adopt = 1 ] && [ $((10#$v)) -le $baseline_last ]; then
    baseline+=("('$v', '$sum')")
    [ $status_only = 1 ] && echo "adopt    $base (the database is at 020 of before the split: recorded, not run)"
  else
    pending+=("$f")
    [ $status_only = 1 ] && echo "pending  $base"
  fi
done
for v in "${!applied[@]}"; do
  [ -n "${seen[$v]:-}" ] || [ -n "${legacy[$v]:-}" ] \
    || die "the database has migration $v, which is not in $here/migrations (an older checkout?)"
done
if [ $status_only = 0 ] && [ ${#pending[@]} -gt 0 ] && [ "$(basename "${pending[0]}")" = 100_foundation.sql ] \
   && [ "$(psql_ -Atc 'select rolsuper from pg_roles where rolname = current_user')" != t ]; then
  die "migration 100 (extensions, roles, schemas) needs a superuser: run the DBA step first, deploy/db-init.sh (--print-sql for the SQL), then this as routekaart_owner"
fi
if [ $status_only = 1 ]; then
  for v in $(printf '%s\n' "${!legacy[@]}" | sort); do
    [ -n "${applied[$v]:-}" ] && echo "legacy   ${legacy_name[$v]} (before the split)"
  done
  for f in "${apis[@]}"; do echo "api      $(basename "$f" .sql) (replaced when it changed)"; done
  exit 0
fi

# Two sessions: the migrations (the adoption, one transaction per pending migration), then the api
# (one transaction). Under the advisory lock each step checks again whether a concurrent run did it
# meanwhile. psql runs from sql/ so that \i gets plain relative names (checked above to be [0-9a-z_]).
#
# While the previous version serves from the same database: a statement of a migration waits at
# most lock_timeout ($lock_timeout) for a table's lock, so reads never queue behind it for long;
# when it gives up, its migration is rolled back and the session begins again, up to $tries times.
# The api is replaced only when it would change (its checksum: sql/api/, the code lists and this
# script's SQL, recorded in public.schema_api_state) or a migration was applied; then its
# transaction first takes every lock it needs in one statement that may wait at most $lock_wait
# (migrate/api-lock.sql), less than the deadlock_timeout after which a waiting reader would be
# cancelled, and begins again when it could not; it holds them only while the api is replaced.
script=""
if [ $adopt = 1 ]; then
  script+="\\i migrate/api-objects.sql
"
  list=$(IFS=,; echo "${baseline[*]}")
  script+="
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate')) \\gset
create temp table baseline (version text, checksum text) on commit drop;
insert into baseline values $list;
\\i migrate/legacy-020.sql
commit;
"
fi
for f in "${pending[@]}"; do
  base=$(basename "$f" .sql)
  sum=$(sha256sum "$f" | cut -d' ' -f1)
  script+="
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate')) \\gset
select not exists (select 1 from public.schema_migrations where version = '${base:0:3}') as pending \\gset
\\if :pending
\\i migrations/$base.sql
reset role;
insert into public.schema_migrations (version, checksum) values ('${base:0:3}', '$sum');
\\endif
commit;
\\echo migrate: $base applied
"
done

t0=$(date +%s%N)
if [ -n "$script" ]; then
  for (( try = 1; ; try++ )); do
    if out=$(cd "$here" && psql_ -v lock_timeout="$lock_timeout" <<<"\\i migrate/session.sql
$script" 2>&1); then
      [ -z "$out" ] || echo "$out"
      break
    fi
    if [ $try -lt "$tries" ] && grep -Eq 'ERROR: +(canceling statement due to lock timeout|deadlock detected)' <<<"$out"; then
      echo "$out" | grep 'applied$' || true
      sleep "0.$(( RANDOM % 5 + 1 ))"
      continue
    fi
    echo "$out" >&2
    die "failed; the failing step was rolled back, the migrations listed above are applied"
  done
fi

api_sum=$(for f in "${apis[@]}" "$here"/migrate/{session,codelists,api-lock,api-drop,api-retired,api-objects,api-record}.sql "$codelists"; do
            basename "$f"; cat "$f"
          done | sha256sum | cut -d' ' -f1)
replace=false
{ [ $replace_api = 1 ] || [ -n "$script" ]; } && replace=true
script="\\i migrate/session.sql
\\i migrate/api-objects.sql
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate')) \\gset
select $replace or coalesce((select checksum from public.schema_api_state), '') <> '$api_sum' as replace \\gset
\\if :replace
\\i migrate/api-lock.sql
\\set codelists \`cat '$codelists'\`
select set_config('routekaart.codelists', :'codelists', true) is not null as codelists_read \\gset
\\i migrate/codelists.sql
\\i migrate/api-drop.sql
"
for f in "${apis[@]}"; do
  script+="\\i api/$(basename "$f")
reset role;
"
done
script+="\\i migrate/api-record.sql
insert into public.schema_api_state (checksum) values ('$api_sum')
  on conflict (one) do update set checksum = excluded.checksum;
\\echo migrate: api replaced
\\else
\\echo migrate: api unchanged, not replaced
\\endif
commit;
"
for (( try = 1; ; try++ )); do
  if out=$(cd "$here" && psql_ -v lock_wait="$lock_wait" -v lock_timeout="$lock_timeout" <<<"$script" 2>&1); then
    break
  fi
  if [ $try -lt "$tries" ] && grep -Eq 'api-lock.sql:[0-9]+: ERROR: +(canceling statement due to (statement|lock) timeout|deadlock detected)' <<<"$out"; then
    sleep "0.$(( RANDOM % 5 + 1 ))"
    continue
  fi
  echo "$out" >&2
  die "failed to replace the api (attempt $try); it was rolled back, the migrations listed above are applied"
done
case "$out" in
  *'api replaced'*)
    (cd "$here" && psql_ -v retire_grace="$retire_grace" -f migrate/api-retired.sql) \
      || die "the api was replaced, but its previous views and functions (schemas *_retired) could not be dropped" ;;
esac
t1=$(date +%s%N)
case "$out" in
  *'api replaced'*) what="${#apis[@]} files applied"; [ $try = 1 ] || what+=" (attempt $try: the locks)" ;;
  *) what="unchanged (${api_sum:0:12}…), not replaced" ;;
esac
printf 'migrate: %d migration(s) applied, %d up to date; api: %s; %d ms\n' \
  ${#pending[@]} $(( ${#files[@]} - ${#pending[@]} )) "$what" $(( (t1 - t0) / 1000000 ))
