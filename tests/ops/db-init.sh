#!/usr/bin/env bash
# routekaart on a PostgreSQL server that is not ours: a cluster (var/dbinit) where every role but
# the DBA's logs in with a SCRAM password. Only the DBA step (deploy/db-init.sh --print-sql, run by
# the DBA with psql) runs as a superuser; sql/migrate.sh then runs as routekaart_owner, which is no
# superuser, the reference data loads as it, and routekaartd serves and takes a submission as
# routekaart_app and routekaart_web, all with passwords from files (PGPASSFILE), none of which
# reaches the printed SQL or the server's log (log_statement = all).
#   RK_BUILD=build tests/ops/db-init.sh     (tests/run.sh runs it)
. "$(dirname "$0")/lib/common.sh"

clusters+=(dbinit)
"$top/deploy/pg.sh" destroy dbinit
"$top/deploy/pg.sh" start dbinit
cluster_env dbinit
data=$(readlink -f "$top/var/dbinit")/data
as_pg tee "$data/pg_hba.conf" >/dev/null <<HBA
local all          $PGUSER trust
local all          all     scram-sha-256
local replication  all     trust
HBA
psql -XAtq -c "alter system set log_statement = 'all'" -c "select pg_reload_conf()" >/dev/null

# passwords with the characters a pgpass file must escape
for r in owner app web; do
  printf '%s:pw\\%s\n' "$r" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" > "$work/$r.pw"
done
"$top/deploy/db-init.sh" --print-sql --database rk_hosted --owner-password-file "$work/owner.pw" \
  --app-password-file "$work/app.pw" --web-password-file "$work/web.pw" > "$work/dba.sql"
leak=0; for r in owner app web; do grep -qF "$(cat "$work/$r.pw")" "$work/dba.sql" && leak=1; done
[ $leak = 0 ] && grep -q 'SCRAM-SHA-256\$4096:' "$work/dba.sql" \
  && ok "--print-sql prints the DBA step with SCRAM verifiers, not the passwords" \
  || not_ok "the printed SQL holds a password, or no verifier"
out=$(psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$work/dba.sql" 2>&1) || die "the DBA step failed: $out"
ok "the DBA step runs as printed, with psql as the superuser"

esc() { sed 's/\\/\\\\/g; s/:/\\:/g' "$1"; }
{ echo "*:*:*:routekaart_owner:$(esc "$work/owner.pw")"
  echo "*:*:*:routekaart_app:$(esc "$work/app.pw")"
  echo "*:*:*:routekaart_web:$(esc "$work/web.pw")"; } > "$work/pgpass"
chmod 600 "$work/pgpass"
export PGPASSFILE=$work/pgpass
owner_url="postgresql:///rk_hosted?host=$PGHOST&user=routekaart_owner"

if out=$(PGPASSFILE=/dev/null "$top/sql/migrate.sh" --url "$owner_url" 2>&1); then
  not_ok "migrate.sh logged in as routekaart_owner without its password"
else
  ok "without its password routekaart_owner cannot log in (the cluster asks for SCRAM)"
fi
if out=$("$top/sql/migrate.sh" --url "$owner_url" 2>&1); then
  ok "sql/migrate.sh applies every migration as routekaart_owner: $(tail -1 <<<"$out")"
else
  echo "$out"; die "sql/migrate.sh as routekaart_owner failed"
fi
[ "$(psql -XAtc "select rolsuper or rolcreaterole or rolcreatedb from pg_roles where rolname = 'routekaart_owner'")" = f ] \
  || not_ok "routekaart_owner has more than it should"
if out=$(PGDATABASE=rk_hosted PGUSER=routekaart_owner "$top/geo/load-reference.sh" 2>&1) \
   && out=$(PGDATABASE=rk_hosted PGUSER=routekaart_owner "$top/geo/demo.sh" --count 20 --pending 2 2>&1); then
  ok "the reference data and demo data load as routekaart_owner"
else
  echo "$out"; not_ok "the reference or demo data do not load as routekaart_owner"
fi
if out=$(psql -X -q -v ON_ERROR_STOP=1 -d rk_hosted -f "$top/sql/tests/roles.sql" 2>&1); then
  ok "sql/tests/roles.sql on this database: $(grep -c 'ok - ' <<<"$out") checks"
else
  echo "$out"; not_ok "sql/tests/roles.sql failed on this database"
fi

start_server "$PGHOST" "$work/server.log" \
  DATABASE_URL="host=$PGHOST dbname=rk_hosted user=routekaart_app" \
  DATABASE_READ_URL="host=$PGHOST dbname=rk_hosted user=routekaart_web"
read_code=$(curl -s -o /dev/null -w '%{http_code}' "$server_url/collections/regions-provincie/items?limit=1")
write_code=$(curl -s -o "$work/created.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data-binary @"$top/tests/cases/submission-valid.json" "$server_url/submissions")
if [ "$read_code" = 200 ] && [ "$write_code" = 201 ]; then
  ok "routekaartd reads as routekaart_web and takes a submission as routekaart_app, with passwords from PGPASSFILE"
else
  not_ok "routekaartd with passwords: read $read_code, submission $write_code"; cat "$work/server.log" | tail -5
fi

# the one-command way, on a second database: the DBA step and the migrations as the owner
if out=$("$top/deploy/db-init.sh" --url "postgresql:///rk_second?host=$PGHOST&user=$PGUSER" \
           --owner-password-file "$work/owner.pw" 2>&1) \
   && [ "$(psql -XAtd rk_second -c "select count(*) from public.schema_migrations")" -ge 5 ] \
   && out2=$("$top/deploy/db-init.sh" --url "postgresql:///rk_second?host=$PGHOST&user=$PGUSER" \
               --owner-password-file "$work/owner.pw" 2>&1) && grep -q '0 migration(s) applied' <<<"$out2"; then
  ok "deploy/db-init.sh --url does both steps, and again changes nothing"
else
  echo "$out" "${out2:-}"; not_ok "deploy/db-init.sh --url failed"
fi
if out=$("$top/deploy/db-init.sh" --url "postgresql://$PGUSER:secret@/rk_second?host=$PGHOST" 2>&1); then
  not_ok "a password in the URL was taken"
else
  ok "a password in the URL is refused (it would show in the process list)"
fi

leak=0; for r in owner app web; do grep -qF "$(cat "$work/$r.pw")" "$data/../postgres.log" && leak=1; done
grep -q 'alter role routekaart_app password' "$data/../postgres.log" || die "the server's log does not show the statements"
[ $leak = 0 ] && ok "no password in the server's log, which logs every statement" || not_ok "a password is in the server's log"
finish
