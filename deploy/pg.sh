#!/usr/bin/env bash
# The embedded PostgreSQL + PostGIS cluster under var/.
#
#   deploy/pg.sh start NAME     create (first time) and start the cluster var/NAME; prints nothing
#   deploy/pg.sh stop NAME      stop it (data kept)
#   deploy/pg.sh crash NAME     stop it at once (-m immediate), as a crash would
#   deploy/pg.sh destroy NAME   stop it and remove its data
#   deploy/pg.sh env NAME       print the connection settings (also written to var/NAME.env)
#
# The cluster listens only on a Unix socket (no TCP port), with trust authentication for local
# connections; its socket directory is private to the cluster's owner. initdb refuses to run as
# root, so as root the cluster belongs to the unprivileged system user "postgres" (created by the
# postgresql package). When that user cannot reach the checkout (a checkout under a private home
# directory), or the socket path would be too long for a Unix socket (107 bytes), the data or the
# socket lives under /var/tmp or /tmp in a directory named after the checkout, and var/NAME points there.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop|crash|destroy|env NAME}
name=${2:?usage: pg.sh start|stop|crash|destroy|env NAME}
case "$name" in *[!a-z0-9_-]*|"") echo "pg.sh: bad cluster name '$name'" >&2; exit 2 ;; esac

top=$(cd "$(dirname "$0")/.." && pwd)
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
db=${RK_DBNAME:-routekaart}
var="$top/var"
mkdir -p "$var"
tag=$(printf '%s' "$top/$name" | md5sum | cut -c1-10)

if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  as_owner() { runuser -u "$owner" -- "$@"; }
else
  owner=$(id -un)
  as_owner() { "$@"; }
fi

# Where the cluster lives: var/NAME, or a reachable directory that var/NAME links to.
home="$var/$name"
resolve_home() {
  if [ -L "$home" ]; then home=$(readlink -f "$home"); return; fi
  if [ -d "$home" ]; then return; fi
  mkdir -p "$home"
  if [ "$owner" != "$(id -un)" ]; then
    chown "$owner" "$home"
    if ! as_owner test -w "$home" 2>/dev/null; then
      rmdir "$home"
      local alt="/var/tmp/routekaart-$tag"
      mkdir -p "$alt"; chown "$owner" "$alt"; chmod 700 "$alt"
      ln -s "$alt" "$var/$name"
      home=$alt
    fi
  fi
}

socket_dir() {
  local s="$home/run"
  if [ $(( ${#s} + 16 )) -gt 107 ]; then s="/tmp/routekaart-$tag"; fi
  printf '%s' "$s"
}

write_env() {
  local sock; sock=$(socket_dir)
  cat > "$var/$name.env" <<ENV
PGHOST=$sock
PGPORT=5432
PGDATABASE=$db
PGUSER=$owner
ENV
}

running() { [ -f "$home/data/postmaster.pid" ] && as_owner "$pgbin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; }

case "$cmd" in
  start)
    resolve_home
    sock=$(socket_dir)
    mkdir -p "$sock"
    [ "$owner" != "$(id -un)" ] && chown "$owner" "$sock"
    chmod 700 "$sock"
    if [ ! -f "$home/data/PG_VERSION" ]; then
      as_owner "$pgbin/initdb" -D "$home/data" -U "$owner" -A trust -E UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1 \
        || { cat "$home/initdb.log" >&2; exit 1; }
      cat >> "$home/data/postgresql.conf" <<CONF
# routekaart embedded cluster
listen_addresses = ''
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 256MB
CONF
      if [ "${RK_PG_FAST:-0}" = 1 ]; then
        printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >> "$home/data/postgresql.conf"
      fi
    fi
    if ! running; then
      as_owner "$pgbin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 \
        -o "-k $sock" start >/dev/null || { tail -20 "$home/postgres.log" >&2; exit 1; }
    fi
    write_env
    if ! as_owner "$pgbin/psql" -h "$sock" -d postgres -U "$owner" -Atqc "select 1 from pg_database where datname='$db'" | grep -q 1; then
      as_owner "$pgbin/createdb" -h "$sock" -U "$owner" "$db"
    fi
    ;;
  stop)
    [ -e "$home" ] || exit 0
    resolve_home
    if running; then as_owner "$pgbin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null; fi
    ;;
  crash)
    # an immediate stop, as a power cut or an OOM kill would: no checkpoint, recovery at next start
    [ -e "$home" ] || exit 0
    resolve_home
    if running; then as_owner "$pgbin/pg_ctl" -D "$home/data" -m immediate -w stop >/dev/null; fi
    ;;
  destroy)
    [ -e "$home" ] || [ -L "$home" ] || { rm -f "$var/$name.env"; exit 0; }
    link=""; [ -L "$var/$name" ] && link="$var/$name"
    resolve_home
    if running; then as_owner "$pgbin/pg_ctl" -D "$home/data" -m immediate -w stop >/dev/null || true; fi
    sock=$(socket_dir); case "$sock" in /tmp/routekaart-*) rm -rf "$sock" ;; esac
    rm -rf "$home" ${link:+"$link"} "$var/$name.env"
    ;;
  env)
    resolve_home; write_env; cat "$var/$name.env"
    ;;
  *) echo "pg.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
