#!/usr/bin/env bash
# The embedded PostgreSQL + PostGIS cluster under var/.
#
#   deploy/pg.sh start NAME     create (first time) and start the cluster var/NAME; prints nothing
#   deploy/pg.sh stop NAME      stop it (data kept)
#   deploy/pg.sh crash NAME     stop it at once (-m immediate), as a crash would
#   deploy/pg.sh destroy NAME   stop it and remove its data
#   deploy/pg.sh env NAME       print the connection settings (also written to var/NAME.env)
#   deploy/pg.sh standby NAME PRIMARY [DELAY]
#                               create (first time) and start var/NAME as a streaming standby of the
#                               running cluster var/PRIMARY: a pg_basebackup -R over PRIMARY's socket,
#                               hot standby on a socket of its own; DELAY (e.g. 2s, 1h) sets
#                               recovery_min_apply_delay when it is made: a standby that replays
#                               each commit that late. stop, crash, destroy and env as for any cluster
#
# The cluster listens only on a Unix socket (no TCP port), with trust authentication for local
# connections; its socket directory is private to the cluster's owner. initdb refuses to run as
# root, so as root the cluster belongs to the unprivileged system user "postgres" (created by the
# postgresql package). When that user cannot reach the checkout (a checkout under a private home
# directory), or the socket path would be too long for a Unix socket (107 bytes), the data or the
# socket lives under /var/tmp or /tmp in a directory named after the checkout, and var/NAME points there.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop|crash|destroy|env|standby NAME}
name=${2:?usage: pg.sh start|stop|crash|destroy|env|standby NAME}
case "$name" in *[!a-z0-9_-]*|"") echo "pg.sh: bad cluster name '$name'" >&2; exit 2 ;; esac

top=$(cd "$(dirname "$0")/.." && pwd)
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
db=${RK_DBNAME:-routekaart}
var="$top/var"
mkdir -p "$var"
tag=$(printf '%s' "$top/$name" | md5sum | cut -c1-10)

if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  as_owner() { (cd / && runuser -u "$owner" -- "$@"); }  # from /: the checkout may be private to root
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

# The socket directory of the cluster, private to its owner; its path into $sock.
make_socket_dir() {
  sock=$(socket_dir)
  mkdir -p "$sock"
  [ "$owner" != "$(id -un)" ] && chown "$owner" "$sock"
  chmod 700 "$sock"
}

# Starts the cluster unless it runs, on its socket; then writes var/NAME.env.
start_cluster() {
  if ! running; then
    as_owner "$pgbin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 \
      -o "-k $sock" start >/dev/null || { tail -20 "$home/postgres.log" >&2; exit 1; }
  fi
  write_env
}

case "$cmd" in
  start)
    resolve_home
    make_socket_dir
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
# a standby may be made of it (pg.sh standby): WAL for replication, over the local socket
wal_level = replica
max_wal_senders = 10
CONF
      grep -Eq '^local[[:space:]]+replication' "$home/data/pg_hba.conf" \
        || echo 'local replication all trust' >> "$home/data/pg_hba.conf"
      if [ "${RK_PG_FAST:-0}" = 1 ]; then
        printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >> "$home/data/postgresql.conf"
      fi
    fi
    start_cluster
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
  standby)
    primary=${3:?usage: pg.sh standby NAME PRIMARY [DELAY]}
    delay=${4:-}
    case "$primary" in *[!a-z0-9_-]*|"") echo "pg.sh: bad cluster name '$primary'" >&2; exit 2 ;; esac
    case "$delay" in *[!0-9a-z]*) echo "pg.sh: bad delay '$delay' (e.g. 2s, 500ms, 1h)" >&2; exit 2 ;; esac
    [ -f "$var/$primary.env" ] || { echo "pg.sh: no cluster '$primary' (start it first)" >&2; exit 1; }
    psock=$(. "$var/$primary.env"; printf '%s' "$PGHOST")
    resolve_home
    make_socket_dir
    if [ ! -f "$home/data/PG_VERSION" ]; then
      # -R writes standby.signal and primary_conninfo (the primary's socket); -X stream copies the
      # WAL written during the copy, so the standby starts consistent
      as_owner "$pgbin/pg_basebackup" -h "$psock" -U "$owner" -D "$home/data" -R -X stream -c fast \
        >"$home/basebackup.log" 2>&1 || { cat "$home/basebackup.log" >&2; exit 1; }
      # the primary's settings came along; later lines win
      cat >> "$home/data/postgresql.conf" <<CONF
# routekaart embedded standby of $primary
unix_socket_directories = '$sock'
hot_standby = on
recovery_min_apply_delay = '${delay:-0}'
CONF
    fi
    start_cluster
    ;;
  *) echo "pg.sh: unknown command '$cmd'" >&2; exit 2 ;;
esac
