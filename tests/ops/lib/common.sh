# Sourced by the operations tests of tests/ops/ that run their own clusters and servers: the
# checkout (top), the build (RK_BUILD), ok/not_ok/finish, clusters var/NAME of their own (with
# fsync: what they test is durability), routekaartd on a free loopback port, and the clean-up of
# all of it when the script exits.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
build=${RK_BUILD:-$top/build}
unset RK_PG_FAST   # these clusters keep what they acknowledge
failed=0
clusters=() servers=() helpers=()
work=$(mktemp -d)
chmod 755 "$work"

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=1; }
die() { echo "not ok - $*"; failed=1; exit 1; }
finish() { [ $failed = 0 ] || echo "$(basename "$0"): some checks failed"; exit $failed; }

cleanup() {
  local pid name
  for pid in "${helpers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ $failed != 0 ]; then   # the logs, for the one who reads the failure
    local keep="$build/test-logs/$(basename "$0" .sh)"
    mkdir -p "$keep" && cp "$work"/*.log "$keep/" 2>/dev/null && echo "# logs: $keep"
    for name in "${clusters[@]}"; do cp "$top/var/$name/postgres.log" "$keep/postgres-$name.log" 2>/dev/null || true; done
  fi
  for name in "${clusters[@]}"; do "$top/deploy/pg.sh" destroy "$name" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# As the owner of the clusters (root hands their files to "postgres", as deploy/pg.sh does).
# From the work folder, which that user can enter (the checkout may be private to root).
if [ "$(id -u)" -eq 0 ]; then as_pg() { (cd "$work" && runuser -u postgres -- "$@"); }; else as_pg() { "$@"; }; fi

# cluster_env NAME: the libpq environment of var/NAME in this shell
cluster_env() { set -a; . "$top/var/$1.env"; set +a; }

# start_server SOCKET_DIR LOG [VAR=VALUE ...]: routekaartd on the database routekaart of the
# cluster at that socket, on a free port of 127.0.0.1; sets server_url and server_pid
start_server() {
  local host=$1 log=$2; shift 2
  env DATABASE_URL="host=$host dbname=routekaart user=routekaart_app" \
      DATABASE_READ_URL="host=$host dbname=routekaart user=routekaart_web" \
      PORT=0 LISTEN=127.0.0.1 "$@" "$build/routekaartd" >"$log" 2>&1 &
  server_pid=$!
  servers+=("$server_pid")
  local i
  for i in $(seq 1 300); do
    server_url=$(grep -o '"listening".*"url": *"[^"]*"' "$log" 2>/dev/null | grep -o 'http://[^"]*' || true)
    server_url=${server_url%/}
    [ -n "$server_url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; die "routekaartd on $host did not start"; }
    sleep 0.1
  done
  die "routekaartd on $host did not say it was listening"
}

stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# new_cluster NAME: var/NAME afresh, with schema, reference and demo data (deploy/db-setup.sh)
new_cluster() {
  clusters+=("$1")
  "$top/deploy/db-setup.sh" "$1" --fresh >"$work/setup-$1.log" 2>&1 \
    || { cat "$work/setup-$1.log"; die "deploy/db-setup.sh $1 failed"; }
}
