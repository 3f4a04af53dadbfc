#!/usr/bin/env bash
# `make install` and `make uninstall` into a staging root outside the checkout: the binary, its
# manual page, the website, the unit and its environment file, and the SQL with which the
# installed copy alone migrates a fresh database, loads its reference data and then serves it.
set -euo pipefail
. "$(dirname "$0")/lib/make-install.sh"

stage=$(mktemp -d /tmp/rk-install.XXXXXX)
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; }
  dropdb --if-exists rk_installed >/dev/null 2>&1 || true
  rm -rf "$stage"
}
trap cleanup EXIT
root=$stage/root prefix=/opt/rk
share=$root$prefix/share/routekaart

rk_make install DESTDIR="$root" PREFIX="$prefix"
for f in sbin/routekaartd share/man/man8/routekaartd.8 share/routekaart/web/index.html \
         share/routekaart/web/aanmelden.html share/routekaart/sql/migrate.sh share/routekaart/geo/codelists.json \
         lib/systemd/system/routekaartd.service etc/routekaart/routekaartd.env; do
  [ -s "$root$prefix/$f" ] || fail "make install did not install $prefix/$f"
done
[ -x "$root$prefix/sbin/routekaartd" ] && [ -x "$share/sql/migrate.sh" ] || fail "the programs are not executable"
n_mig=$(ls "$top"/sql/migrations/*.sql | wc -l) n_api=$(ls "$top"/sql/api/*.sql | wc -l)
[ "$(ls "$share"/sql/migrations/*.sql | wc -l)" = "$n_mig" ] && [ "$(ls "$share"/sql/api/*.sql | wc -l)" = "$n_api" ] \
  || fail "not every migration and api file was installed"
[ "$(cd "$build/web" && find . -type f | sort)" = "$(cd "$share/web" && find . -type f | sort)" ] \
  || fail "the installed website differs from $build/web"
ok "make install puts the binary, manual page, website, SQL, unit and environment file under PREFIX"

unit=$root$prefix/lib/systemd/system/routekaartd.service
grep -qx "ExecStart=$prefix/sbin/routekaartd" "$unit" && grep -qx "EnvironmentFile=$prefix/etc/routekaart/routekaartd.env" "$unit" \
  && grep -qx "Environment=WEB_ROOT=$prefix/share/routekaart/web" "$unit" || fail "the installed unit does not name PREFIX's paths"
ok "the installed unit names the installed binary, website and environment file"

bin=$root$prefix/sbin/routekaartd
[ "$("$bin" --version)" = "routekaartd $version" ] || fail "--version says '$("$bin" --version)', not routekaartd $version (VERSION)"
man=$root$prefix/share/man/man8/routekaartd.8
grep -q "^\.TH ROUTEKAARTD \"8\" .*\"routekaartd $version\"" "$man" || fail "the manual page does not carry version $version"
settings=$(help_settings "$bin")
[ "$(wc -l <<<"$settings")" -ge 25 ] || fail "--help lists only $(wc -l <<<"$settings") settings"
for s in $settings; do grep -q "^$s\$" "$man" || fail "the manual page does not document $s"; done
for s in --help --version keys purge; do grep -q -- "${s//-/\\\\-}" "$man" || fail "the manual page does not mention $s"; done
ok "--version says VERSION; the manual page (help2man) carries it and every setting of --help"

# Every setting of --help is in the "Configure" section of docs/OPERATIONS.md.
configure=$(sed -n '/^## Configure/,/^## /p' "$top/docs/OPERATIONS.md")
for s in $settings; do grep -q "\`$s\`" <<<"$configure" || fail "docs/OPERATIONS.md, Configure, does not name $s"; done
ok "docs/OPERATIONS.md's Configure section names every setting of --help"

# The installed copy alone sets up a database: migrations and api, then it serves from it.
createdb rk_installed
out=$(cd / && PGDATABASE=rk_installed "$share/sql/migrate.sh" 2>&1) || { echo "$out"; fail "the installed migrate.sh failed"; }
[ "$(psql -XAtq -d rk_installed -c 'select count(*) from public.schema_migrations')" = "$n_mig" ] \
  || fail "the installed migrate.sh did not apply the $n_mig migrations"
[ "$(psql -XAtq -d rk_installed -c "select count(*) from pg_proc where pronamespace = 'api'::regnamespace")" -gt 20 ] \
  || fail "the installed migrate.sh did not make the api functions"
out=$(cd / && PGDATABASE=rk_installed "$share/geo/load-reference.sh" 2>&1) || { echo "$out"; fail "the installed load-reference.sh failed"; }
[ "$(psql -XAtq -d rk_installed -c "select count(*) from ref.region where type = 'provincie'")" = 12 ] \
  || fail "the installed load-reference.sh did not load the 12 provincies"
ok "the installed sql/migrate.sh and geo/load-reference.sh migrate a fresh database and load its reference data without the checkout ($n_mig migrations, $n_api api files)"

log=$stage/server.log
(cd / && exec env -i PATH=/usr/bin:/bin PORT=0 LISTEN=127.0.0.1 WEB_ROOT="$share/web" RETENTION_PURGE_INTERVAL=0 \
   DATABASE_URL="host=$PGHOST port=$PGPORT dbname=rk_installed user=routekaart_app" \
   DATABASE_READ_URL="host=$PGHOST port=$PGPORT dbname=rk_installed user=routekaart_web" \
   "$bin" 2>"$log") &
server_pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.*"listening".*"url":"http:\/\/127\.0\.0\.1:\([0-9]*\)\/".*/\1/p' "$log")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the installed server exited"; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$log"; fail "the installed server did not listen"; }
code=$(curl -s -o "$stage/page" -w '%{http_code}' -H 'Accept: text/html' "http://127.0.0.1:$port/")
[ "$code" = 200 ] && cmp -s "$stage/page" "$share/web/index.html" || fail "the installed website was not served at / ($code)"
code=$(curl -s -o "$stage/codelists" -w '%{http_code}' "http://127.0.0.1:$port/codelists")
[ "$code" = 200 ] && grep -q doorlopende_leerroute "$stage/codelists" || fail "/codelists from the installed database: $code"
code=$(curl -s -o "$stage/provincies" -w '%{http_code}' "http://127.0.0.1:$port/collections/regions-provincie/items?simplify=0.01")
[ "$code" = 200 ] && grep -q '"numberReturned":12,' "$stage/provincies" \
  || fail "the provincies from the installed database: $code"
kill "$server_pid"; wait "$server_pid" || fail "the installed server did not stop cleanly on SIGTERM"; server_pid=""
ok "the installed binary serves the installed website and the database it migrated"

# A second install keeps the administrator's environment file; uninstall removes the rest.
echo "PORT=9999" >>"$root$prefix/etc/routekaart/routekaartd.env"
rk_make install DESTDIR="$root" PREFIX="$prefix"
grep -qx "PORT=9999" "$root$prefix/etc/routekaart/routekaartd.env" || fail "make install replaced a changed environment file"
rk_make uninstall DESTDIR="$root" PREFIX="$prefix"
left=$(cd "$root" && find . -type f)
[ "$left" = "./${prefix#/}/etc/routekaart/routekaartd.env" ] || fail "make uninstall left: $left"
ok "make install again keeps a changed environment file; make uninstall removes all but it"
