#!/usr/bin/env bash
# Puts routekaart's database on a PostgreSQL 15 + PostGIS 3 server: the DBA step (as a superuser),
# then the migrations (as the owner role, which is no superuser).
#
#   deploy/db-init.sh --url URL [OPTIONS]      the DBA step, then sql/migrate.sh as routekaart_owner
#   deploy/db-init.sh --url URL --dba-only     the DBA step only
#   deploy/db-init.sh --print-sql [OPTIONS]    print the DBA step as SQL, for a DBA to run with psql
#
#   --url URL                 a superuser's connection, postgresql://USER@HOST[:PORT]/DATABASE[?...]:
#                             DATABASE is routekaart's database (created when missing); no password
#                             in it (it would show in the process list): use PGPASSFILE or ~/.pgpass
#   --database NAME           the database (default: the URL's, else routekaart)
#   --owner-password-file F   a login password for routekaart_owner (first line of F)
#   --app-password-file F     ... for routekaart_app, the service's write path (DATABASE_URL)
#   --web-password-file F     ... for routekaart_web, the service's public reads (DATABASE_READ_URL)
#
# The DBA step creates the roles routekaart_owner (owns the database, its schemas and everything in
# them; the migrations log in as it), routekaart_app and routekaart_web (the service: no ownership,
# no privilege beyond the api schema), all NOSUPERUSER NOCREATEDB NOCREATEROLE; the database, owned
# by routekaart_owner; the extensions postgis and pgcrypto (PostGIS is not a trusted extension:
# only a superuser creates it); and applies migration 100 (roles' settings, schemas, default
# privileges), the only one that needs a superuser. Roles without a password file get none: they
# then log in by peer, cert or whatever pg_hba.conf says. Passwords never reach the command line,
# the printed SQL or the server's log: the SQL carries their SCRAM-SHA-256 verifiers only.
# Everything is idempotent: running it again on a set-up database changes nothing but passwords.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "db-init: $*" >&2; exit 1; }

url="" database="" print=0 dba_only=0
declare -A pwfile=()
while [ $# -gt 0 ]; do
  case "$1" in
    --url|--database|--owner-password-file|--app-password-file|--web-password-file)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --url) url=$2 ;;
        --database) database=$2 ;;
        *) r=${1#--}; pwfile[routekaart_${r%-password-file}]=$2 ;;
      esac
      shift 2 ;;
    --print-sql) print=1; shift ;;
    --dba-only) dba_only=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ $print = 1 ] || [ -n "$url" ] || die "give --url URL (or --print-sql); try --help"
command -v python3 >/dev/null || die "python3 not found"

# URL surgery in one place: the same server with another user or database, never a password.
url_tool() { python3 "$top/deploy/lib/pgurl.py" "$@"; }
if [ -n "$url" ]; then
  url_tool check "$url" || exit 1
  [ -n "$database" ] || database=$(url_tool dbname "$url")
fi
database=${database:-routekaart}
[[ "$database" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name '$database': use a-z, 0-9 and _"

for role in "${!pwfile[@]}"; do
  f=${pwfile[$role]}
  [ -r "$f" ] || die "cannot read the password file '$f'"
done

# The SQL of the DBA step, for psql connected as a superuser to any database of the server.
dba_sql() {
  local sum
  sum=$(sha256sum "$top/sql/migrations/100_foundation.sql" | cut -d' ' -f1)
  cat <<SQL
-- routekaart: the DBA step for the database "$database" (deploy/db-init.sh). Run it as a superuser,
-- connected to any database of the server:  psql -X -v ON_ERROR_STOP=1 -d postgres -f THIS_FILE
-- Then the migrations run as routekaart_owner:  sql/migrate.sh --url postgresql://routekaart_owner@HOST/$database
\\set ON_ERROR_STOP on
set client_min_messages = warning;
do \$\$
begin
  if current_setting('server_version_num')::int < 150000 then
    raise exception 'routekaart needs PostgreSQL 15 or later, this is %', version();
  end if;
  if not (select rolsuper from pg_roles where rolname = current_user) then
    raise exception 'the DBA step needs a superuser (extensions, roles and their settings), not %', current_user;
  end if;
end
\$\$;

-- The roles are cluster-wide. None is a superuser or may create databases or roles.
select format('create role %I', r)
from unnest(array['routekaart_owner', 'routekaart_app', 'routekaart_web']) r
where not exists (select from pg_roles where rolname = r) \\gexec
alter role routekaart_owner login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit;
alter role routekaart_app   login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit;
alter role routekaart_web   login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit;
-- sql/migrate.sh gives way at once in a deadlock with a reader of the running service (migrate/session.sql)
grant set on parameter deadlock_timeout to routekaart_owner;
SQL
  local role
  for role in routekaart_owner routekaart_app routekaart_web; do
    if [ -n "${pwfile[$role]:-}" ]; then
      echo "alter role $role password '$(python3 "$top/deploy/lib/pgurl.py" scram < "${pwfile[$role]}")';"
    fi
  done
  cat <<SQL

-- The database belongs to routekaart_owner, which thereby may create in its schema public (the
-- bookkeeping of sql/migrate.sh) and owns everything the migrations make.
select format('create database %I owner routekaart_owner encoding %L template template0', '$database', 'UTF8')
where not exists (select from pg_database where datname = '$database') \\gexec
alter database "$database" owner to routekaart_owner;
\\connect "$database"
set client_min_messages = warning;

-- The bookkeeping of sql/migrate.sh, owned by the role that migrates.
SQL
  grep -v '^--' "$top/sql/migrate/bookkeeping.sql"
  cat <<SQL
alter table public.schema_migrations owner to routekaart_owner;
alter table public.schema_api owner to routekaart_owner;
alter table public.schema_api_state owner to routekaart_owner;

-- Migration 100 (sql/migrations/100_foundation.sql), the one that needs a superuser: the
-- extensions postgis (not a trusted extension: only a superuser creates it) and pgcrypto, the
-- roles' settings, the schemas. Skipped when applied, and on a database of before the split
-- (001-020), which sql/migrate.sh adopts.
select not exists (select from public.schema_migrations where version <= '100') as foundation \\gset
\\if :foundation
begin;
SQL
  cat "$top/sql/migrations/100_foundation.sql"
  cat <<SQL
reset role;
insert into public.schema_migrations (version, checksum) values ('100', '$sum');
commit;
\\endif
SQL
}

if [ $print = 1 ]; then
  dba_sql
  exit 0
fi

command -v psql >/dev/null || die "psql not found (install postgresql-client)"
admin=$(url_tool with "$url" --dbname postgres)
if ! out=$(dba_sql | psql -X -q -At -v ON_ERROR_STOP=1 -d "$admin" 2>&1); then
  echo "$out" >&2
  die "the DBA step failed (as $(url_tool user "$url"), on $(url_tool where "$url"))"
fi
[ -z "$out" ] || { echo "$out" >&2; die "the DBA step stopped"; }
echo "db-init: the DBA step is done: roles, database $database, postgis, migration 100"
[ $dba_only = 1 ] && exit 0

# The migrations, as routekaart_owner. Its password, when given, reaches psql through a pgpass
# file of our own (mode 600), never through the environment or the command line.
owner_url=$(url_tool with "$url" --user routekaart_owner --dbname "$database")
if [ -n "${pwfile[routekaart_owner]:-}" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (umask 077; url_tool pgpass routekaart_owner < "${pwfile[routekaart_owner]}" > "$tmp/pgpass")
  export PGPASSFILE=$tmp/pgpass
fi
"$top/sql/migrate.sh" --url "$owner_url"
