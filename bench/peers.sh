#!/usr/bin/env bash
# routekaartd against its peers, on the same PostGIS data at several sizes (published initiatives):
#
#   rk-cache    routekaartd as deployed (response cache on, the default)
#   rk-nocache  routekaartd with CACHE_MAX_BYTES=0 (no response cache)
#   mapserver   MapServer 8 OGC API - Features over the same api views: mapserv FastCGI processes
#               (spawn-fcgi) behind nginx with persistent FastCGI connections, gzip by nginx
#   nginx       nginx serving the very bytes routekaartd returned for each request as static files
#               (gzip_static): the limit of serving these bytes on this machine
#
# Requests (the same path and query on every server; MapServer n/a for the tile):
#   full      /collections/initiatives/items?limit=1000   (the first 1000 features in id order)
#   bbox      /collections/initiatives/items?bbox=...&limit=100   (a bbox around Utrecht with >= 100)
#   feature   /collections/initiatives/items/{id}         (the published initiative of median id)
#   regions   /collections/regions-provincie/items?limit=100   (MapServer: a layer on api.regions)
#   tile      /collections/initiatives/tiles/{z}/{x}/{y}  (routekaartd and its static copy only)
# each with wrk (2 threads, keep-alive) at 8 and 64 connections, with and without
# Accept-Encoding: gzip. Reported: requests/s, p50, p99, non-2xx/3xx, socket errors, the server's
# peak RSS (VmHWM, reset before each run; summed over nginx workers or mapserv processes) and its
# peak PSS (sampled each second), and the ratios rk-cache/nginx (target >= 0.7) and
# rk-nocache/mapserver (target >= 10 for bbox and feature). Then a cold-tile probe: tiles of zoom
# 0-14 over Utrecht and at random places in the Netherlands from rk-nocache, one curl each.
#
#   bench/peers.sh            (prints a markdown report; also written to var/bench/results/)
#
# Settings (environment):
#   BENCH_SIZES="1000 100000 1000000"  published initiatives; data is generated once per size and
#                                      kept in the cluster var/bench (1,000,000 takes 10-20 min)
#   BENCH_DURATION=10          seconds per wrk run
#   BENCH_CONNECTIONS="8 64"   wrk connections
#   BENCH_ENCODINGS="gzip identity"
#   BENCH_REQUESTS="full bbox feature regions tile"
#   BENCH_SERVERS="rk-cache rk-nocache mapserver nginx"
#   BENCH_TIMEOUT=10           wrk's request timeout (s); slower answers count as socket errors
#   BENCH_WARMUP=1             seconds of wrk before each server's runs of a request (0: none)
#   BENCH_MAPSERV_PROCS        mapserv FastCGI processes (default: the run's connection count)
#   BENCH_TILE=z/x/y           the benchmarked tile (default: the zoom-10 tile over Utrecht)
#   BENCH_TILE_PATH            default /collections/initiatives/tiles/{z}/{x}/{y}
#   BENCH_PROBE_RANDOM=4       random tiles per zoom in the cold-tile probe (0: Utrecht only)
#   BENCH_NGINX_WORKERS=auto   worker_processes of the static nginx
#   BENCH_FRESH=1              throw the cluster var/bench away first (deploy/db-setup.sh --fresh;
#                              done by itself when a migration applied to it has changed since)
#
# Installs what it needs (wrk, nginx, mapserver-bin, cgi-mapserver, spawn-fcgi; sudo when not
# root), builds with make binaries, runs the PostgreSQL cluster var/bench (deploy/pg.sh, with
# RK_PG_FAST=1 when it is created) and keeps its configuration and logs in var/bench-peers. As
# root, PostgreSQL, mapserv and nginx run as the cluster's owner "postgres" (see deploy/pg.sh).
# Everything listens on 127.0.0.1 on free ports; every process started is stopped at the end.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; fi

sizes=${BENCH_SIZES:-1000 100000 1000000}
duration=${BENCH_DURATION:-10}
conn_list=${BENCH_CONNECTIONS:-8 64}
encodings=${BENCH_ENCODINGS:-gzip identity}
requests=${BENCH_REQUESTS:-full bbox feature regions tile}
servers=${BENCH_SERVERS:-rk-cache rk-nocache mapserver nginx}
wrk_timeout=${BENCH_TIMEOUT:-10}
warmup=${BENCH_WARMUP:-1}
default_tile_path='/collections/initiatives/tiles/{z}/{x}/{y}'
tile_path=${BENCH_TILE_PATH:-$default_tile_path}
probe_random=${BENCH_PROBE_RANDOM:-4}
nginx_workers=${BENCH_NGINX_WORKERS:-auto}
threads=2
ms_procs=${BENCH_MAPSERV_PROCS:-}   # empty: as many as the run's connections
name=bench                      # the cluster: var/bench
utrecht_lon=5.1214 utrecht_lat=52.0907

say() { printf '%s\n' "$@" | tee -a "$report"; }
note() { printf 'peers %s: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { note "$*"; exit 1; }

# --- packages and build ------------------------------------------------------------------------
deploy/install-deps.sh
deploy/install-deps.sh --only wrk nginx mapserver-bin cgi-mapserver spawn-fcgi
note "building (make binaries)"
make -s binaries >/dev/null
mapserv_bin=/usr/lib/cgi-bin/mapserv
[ -x "$mapserv_bin" ] || die "$mapserv_bin missing (cgi-mapserver)"

# --- who runs what -----------------------------------------------------------------------------
# As in deploy/pg.sh: as root the cluster belongs to "postgres", and its socket directory is
# private to it, so mapserv (which connects to it) and nginx (which connects to mapserv) run as
# that user too.
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  as_owner() { runuser -u "$owner" -- "$@"; }
else
  owner=$(id -un)
  as_owner() { "$@"; }
fi
give_owner() { [ "$owner" = "$(id -un)" ] || chown -R "$owner" "$@"; }

# var/bench-peers: configuration, logs, the static copies; writable by the owner (or a directory
# under /var/tmp that var/bench-peers links to, when the owner cannot write in the checkout).
tag=$(printf '%s' "$top/peers" | md5sum | cut -c1-10)
dir="$top/var/bench-peers"
if [ -L "$dir" ]; then
  dir=$(readlink -f "$dir")
else
  mkdir -p "$dir"
  if [ "$owner" != "$(id -un)" ]; then
    chown "$owner" "$dir"
    if ! as_owner test -w "$dir" 2>/dev/null; then
      rmdir "$dir"
      alt="/var/tmp/routekaart-peers-$tag"
      mkdir -p "$alt"; chown "$owner" "$alt"; chmod 755 "$alt"
      ln -s "$alt" "$top/var/bench-peers"
      dir=$alt
    fi
  fi
fi
rm -rf "$dir/static" "$dir/tmp" "$dir"/*.pid "$dir"/*.err "$dir"/*.log "$dir"/*.pids "$dir/mapserv.sock"
mkdir -p "$dir/static" "$dir/tmp"
give_owner "$dir"
sock="$dir/mapserv.sock"
if [ ${#sock} -gt 100 ]; then
  sock="/tmp/routekaart-peers-$tag/mapserv.sock"
  mkdir -p "${sock%/*}"; give_owner "${sock%/*}"
fi

# --- processes and their clean-up --------------------------------------------------------------
rk_pid=() ms_pids=() ms_running=0 sampler_pid="" pg_started=0
declare -A port pid_of
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [ "${st:0:1}" != Z ]; }
end_pids() { # pids: TERM, up to 3 s to go, then KILL (idle mapserv processes wait for a request
             # before they act on TERM)
  local p t left
  [ $# -eq 0 ] && return 0
  kill "$@" 2>/dev/null || true
  for t in $(seq 30); do
    # one ps for all: a process still there and not a zombie
    left=$(ps -o stat= -p "$(IFS=,; echo "$*")" 2>/dev/null | grep -vc '^Z' || true)
    [ "${left:-0}" = 0 ] && return 0
    sleep 0.1
  done
  kill -KILL "$@" 2>/dev/null || true
  return 0
}
stop_nginx() { # pid file
  [ -s "$1" ] || return 0
  local p; p=$(cat "$1")
  kill -QUIT "$p" 2>/dev/null || true
  local t; for t in $(seq 50); do alive "$p" || break; sleep 0.1; done
  end_pids "$p"
  rm -f "$1"
}
stop_mapserver() {
  stop_nginx "$dir/nginx-mapserver.pid"
  end_pids "${ms_pids[@]}"
  ms_pids=() ms_running=0
  rm -f "$sock"
}
stop_servers() {
  local p
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""; fi
  for p in "${rk_pid[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rk_pid=()
  stop_nginx "$dir/nginx-static.pid"
  stop_mapserver
  return 0
}
cleanup() {
  local rc=$?
  set +e
  stop_servers
  [ "$pg_started" = 1 ] && deploy/pg.sh stop "$name"
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
tmp=$(mktemp -d)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
render() { # template output KEY=VALUE...
  local in=$1 out=$2 kv expr=(); shift 2
  for kv in "$@"; do expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${expr[@]}" "$in" > "$out"
}
wait_http() { # url what
  local t
  for t in $(seq 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  die "$2 did not answer at $1"
}

start_rk() { # server-name port extra-env...
  local s=$1 p=$2; shift 2
  env DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_app" \
      DATABASE_READ_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_web" \
      LISTEN=127.0.0.1 PORT="$p" LOG_LEVEL=error MAX_CONNECTIONS_PER_IP=0 "$@" \
      build/routekaartd >>"$dir/$s.log" 2>&1 &
  pid_of[$s]=$!
  rk_pid+=("$!")
  port[$s]=$p
  wait_http "http://127.0.0.1:$p/healthz" "$s"
}

start_mapserver() { # processes: mapserv FastCGI processes, and nginx's upstream keepalive
  local n=$1 p=${port[mapserver]:-}
  [ -n "$p" ] || p=$(free_port)
  render bench/peers/mapserver.map.in "$dir/routekaart.map" PORT="$p" PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE="$PGDATABASE"
  render bench/peers/mapserver.conf.in "$dir/mapserver.conf" DIR="$dir"
  render bench/peers/nginx-mapserver.conf.in "$dir/nginx-mapserver.conf" DIR="$dir" PORT="$p" SOCK="$sock" KEEPALIVE="$n"
  give_owner "$dir/routekaart.map" "$dir/mapserver.conf" "$dir/nginx-mapserver.conf"
  rm -f "$sock" "$dir/mapserv.pids"
  as_owner env MAPSERVER_CONFIG_FILE="$dir/mapserver.conf" \
    spawn-fcgi -s "$sock" -M 0600 -F "$n" -P "$dir/mapserv.pids" -- "$mapserv_bin" >/dev/null 2>>"$dir/spawn-fcgi.log" \
    || die "spawn-fcgi failed: $(tail -3 "$dir/spawn-fcgi.log")"
  read -r -d '' -a ms_pids < <(tr -s ' \n' '\n\n' < "$dir/mapserv.pids"; printf '\0') || true
  [ "${#ms_pids[@]}" -eq "$n" ] || die "spawn-fcgi started ${#ms_pids[@]} of $n mapserv processes"
  as_owner nginx -q -t -p "$dir/" -e "$dir/nginx-mapserver.err" -c "$dir/nginx-mapserver.conf" >/dev/null 2>&1 \
    || die "nginx (mapserver) config: $(as_owner nginx -t -p "$dir/" -e "$dir/nginx-mapserver.err" -c "$dir/nginx-mapserver.conf" 2>&1 | tail -3)"
  as_owner nginx -p "$dir/" -e "$dir/nginx-mapserver.err" -c "$dir/nginx-mapserver.conf"
  port[mapserver]=$p
  ms_running=$n
  wait_http "http://127.0.0.1:$p/collections/initiatives/items?limit=1" "MapServer"
}

start_static() {
  local p; p=$(free_port)
  render bench/peers/nginx-static.conf.in "$dir/nginx-static.conf" DIR="$dir" PORT="$p" WORKERS="$nginx_workers"
  give_owner "$dir/nginx-static.conf" "$dir/static" "$dir/static-map.conf"
  as_owner nginx -q -t -p "$dir/" -e "$dir/nginx-static.err" -c "$dir/nginx-static.conf" >/dev/null 2>&1 \
    || die "nginx (static) config: $(as_owner nginx -t -p "$dir/" -e "$dir/nginx-static.err" -c "$dir/nginx-static.conf" 2>&1 | tail -3)"
  as_owner nginx -p "$dir/" -e "$dir/nginx-static.err" -c "$dir/nginx-static.conf"
  port[nginx]=$p
  local t; for t in $(seq 50); do [ -s "$dir/nginx-static.pid" ] && break; sleep 0.1; done
}

# The processes whose memory is the server's: routekaartd; the nginx workers; the mapserv
# processes and the workers of the nginx in front of them.
nginx_workers() { [ -s "$1" ] && pgrep -P "$(cat "$1")" | tr '\n' ' '; return 0; }
server_pids() {
  case $1 in
    rk-cache|rk-nocache) echo "${pid_of[$1]}" ;;
    mapserver) echo "${ms_pids[*]} $(nginx_workers "$dir/nginx-mapserver.pid")" ;;
    nginx) nginx_workers "$dir/nginx-static.pid" ;;
  esac
}
reset_peaks() { local p; for p in "$@"; do echo 5 > "/proc/$p/clear_refs" 2>/dev/null || true; done; }
sum_hwm_mib() { # pids: the sum of VmHWM in MiB
  local p f=()
  for p in "$@"; do f+=("/proc/$p/status"); done
  awk '/^VmHWM:/ {s += $2} END {printf "%.1f", s / 1024}' "${f[@]}" 2>/dev/null || true
}
start_pss_sampler() { # file pids...: the largest sum of Pss seen, in kB, sampled each second
  local out=$1; shift
  local f=() p; for p in "$@"; do f+=("/proc/$p/smaps_rollup"); done
  echo 0 > "$out"
  ( max=0
    while :; do
      s=$(awk '/^Pss:/ {s += $2} END {print s + 0}' "${f[@]}" 2>/dev/null || true)
      [[ "$s" =~ ^[0-9]+$ ]] || s=0
      if [ "$s" -gt "$max" ]; then max=$s; echo "$max" > "$out"; fi
      sleep 1
    done ) &
  sampler_pid=$!
}

# --- the database ------------------------------------------------------------------------------
pgdata="$top/var/$name/data"
if ! { [ -f "$pgdata/postmaster.pid" ] && kill -0 "$(head -1 "$pgdata/postmaster.pid")" 2>/dev/null; }; then
  pg_started=1
fi
note "database: cluster var/$name (deploy/db-setup.sh $name)"
fresh=(); [ "${BENCH_FRESH:-0}" = 1 ] && fresh=(--fresh)
if ! RK_PG_FAST=1 deploy/db-setup.sh "$name" "${fresh[@]}" >"$tmp/setup.log" 2>&1; then
  # a migration already applied to var/bench changed (work in progress): start the cluster afresh
  if [ ${#fresh[@]} -eq 0 ] && grep -q 'was changed after it was applied' "$tmp/setup.log"; then
    note "a migration changed since var/$name was set up: setting it up afresh"
    RK_PG_FAST=1 deploy/db-setup.sh "$name" --fresh >"$tmp/setup.log" 2>&1 || { tail -20 "$tmp/setup.log" >&2; die "db-setup failed"; }
  else
    tail -20 "$tmp/setup.log" >&2
    die "db-setup failed (BENCH_FRESH=1 starts var/$name afresh)"
  fi
fi
set -a; . "var/$name.env"; set +a
q() { psql -XAtqc "$1"; }

# After a run: wait until the database has no statement of the servers left running (MapServer's
# slow queries outlive the run and the mapserv process that sent them); after 15 s cancel them.
settle_db() {
  local t n sql="select count(*) from pg_stat_activity where backend_type = 'client backend' and state = 'active' and pid <> pg_backend_pid() and usename like 'routekaart%'"
  for t in $(seq 150); do
    n=$(q "$sql"); [ "$n" = 0 ] && return 0
    sleep 0.1
  done
  note "cancelling $n statements still running after the run"
  q "select count(pg_cancel_backend(pid)) from pg_stat_activity where backend_type = 'client backend' and state = 'active' and pid <> pg_backend_pid() and usename like 'routekaart%'" >/dev/null
  for t in $(seq 100); do [ "$(q "$sql")" = 0 ] && return 0; sleep 0.1; done
  return 0
}

# --- the report --------------------------------------------------------------------------------
mkdir -p "var/$name/results"
report="$top/var/$name/results/peers-$(date -u +%Y%m%d-%H%M%S).md"
: > "$report"
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain -- service sql 2>/dev/null)" ] && rev="$rev + uncommitted changes in service/ or sql/"
say "# routekaartd and its peers — bench/peers.sh" ""
say "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($cpu), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r); load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
say "routekaartd $rev; $(nginx -v 2>&1 | sed 's/^nginx version: //'); MapServer $(mapserv -v | awk '{print $3}'); $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'); PostgreSQL $(q 'show server_version' | awk '{print $1}') + PostGIS $(q 'select extversion from pg_extension where extname = $$postgis$$')."
say "wrk: $threads threads, keep-alive, ${duration} s per run, timeout ${wrk_timeout} s, Accept: application/geo+json (tiles: */*); gzip = with Accept-Encoding: gzip."
say "Servers: rk-cache = routekaartd (response cache on); rk-nocache = routekaartd CACHE_MAX_BYTES=0; mapserver = MapServer OGC API, mapserv FastCGI processes (spawn-fcgi; ${ms_procs:-as many as the connections of the run}) behind nginx (1 worker, fastcgi_keep_conn, upstream keepalive = processes, gzip level 6); nginx = nginx (worker_processes $nginx_workers, sendfile off, output_buffers 2 1m) serving routekaartd's bytes as static files (gzip_static). Access logs off everywhere."
say "requests = completed in the run (a request still unanswered when the run ends counts nowhere: wrk only counts a timeout once it is older than the timeout); after each run the script waits until the database is idle, and cancels what is still running after 15 s (MapServer). RSS = peak resident set (VmHWM, reset before each run) of the server's processes, summed (mapserver: the mapserv processes and the nginx worker in front; nginx: its workers); PSS = the largest sum of proportional set sizes sampled each second (shared library pages counted once)."
say ""

# --- per size ----------------------------------------------------------------------------------
results="$tmp/results.tsv"; : > "$results"
req_label() {
  case $1 in
    full) echo "full: items?limit=1000" ;; bbox) echo "bbox page: items?bbox&limit=100" ;;
    feature) echo "one feature: items/{id}" ;; regions) echo "regions-provincie/items" ;; tile) echo "tile ${tile_zxy}" ;;
  esac
}
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
  f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : 1;
  x = n * f; if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'; }

tile_of() { # zoom lon lat -> z/x/y
  python3 - "$@" <<'PY'
import math, sys
z, lon, lat = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
n = 2 ** z
x = int((lon + 180) / 360 * n)
r = math.radians(lat)
y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
print(f"{z}/{min(x, n - 1)}/{min(y, n - 1)}")
PY
}
tile_url() { local z x y; IFS=/ read -r z x y <<<"$1"; local p=${tile_path//\{z\}/$z}; p=${p//\{x\}/$x}; printf '%s' "${p//\{y\}/$y}"; }
tile_zxy=${BENCH_TILE:-$(tile_of 10 "$utrecht_lon" "$utrecht_lat")}

# summary of a response body: matched/returned or the feature's id, and the sorted feature ids' hash
body_summary() {
  python3 - "$1" <<'PY'
import hashlib, json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
except Exception:
    print("-\t-"); sys.exit()
if not isinstance(d, dict):
    print("-\t-"); sys.exit()
if d.get("type") == "FeatureCollection":
    ids = sorted(str(f.get("id")) for f in d.get("features", []))
    print(f"{d.get('numberMatched', '?')} / {len(ids)}\t{hashlib.md5(','.join(ids).encode()).hexdigest()[:8]}")
elif d.get("type") == "Feature":
    print(f"id {d.get('id')}\t{hashlib.md5(str(d.get('id')).encode()).hexdigest()[:8]}")
else:
    print(f"{d.get('status', d.get('code', '-'))}\t-")
PY
}

run_size() {
  local size=$1
  local have; have=$(q "select count(*) from kaart.initiative where status = 'published'")
  if [ "$have" != "$size" ] || [ "$(q "select count(*) from kaart.initiative where source <> 'demo'")" != 0 ]; then
    note "generating $size published demo initiatives (kept in var/$name; at 1,000,000 this takes 10-20 min)"
    geo/demo.sh --count "$size" >"$tmp/demo.log" 2>&1 || { tail -5 "$tmp/demo.log" >&2; die "demo.sh failed"; }
    q 'vacuum analyze' >/dev/null
  fi

  # The bbox: the smallest box around Utrecht (centre 5.1214, 52.0907) of a ladder that holds at
  # least 100 published initiatives.
  local bbox="" hw n
  for hw in "0.05 0.03" "0.1 0.06" "0.2 0.12" "0.4 0.24" "0.8 0.48" "1.6 0.96"; do
    set -- $hw
    bbox=$(awk -v x="$utrecht_lon" -v y="$utrecht_lat" -v a="$1" -v b="$2" 'BEGIN {printf "%.4f,%.4f,%.4f,%.4f", x-a, y-b, x+a, y+b}')
    n=$(q "select count(*) from api.initiatives where geom && st_makeenvelope($bbox, 4326)")
    [ "$n" -ge 100 ] && break
  done
  local fid; fid=$(q "select id from kaart.initiative where status = 'published' order by id offset $((size / 2)) limit 1")
  declare -A path accept
  path[full]="/collections/initiatives/items?limit=1000"
  path[bbox]="/collections/initiatives/items?bbox=$bbox&limit=100"
  path[feature]="/collections/initiatives/items/$fid"
  path[regions]="/collections/regions-provincie/items?limit=100"
  path[tile]=$(tile_url "$tile_zxy")
  for r in full bbox feature regions; do accept[$r]="application/geo+json"; done
  accept[tile]="*/*"

  say "## $size published initiatives" ""
  say "bbox page: bbox=$bbox ($n published initiatives in it); one feature: id $fid; tile: ${path[tile]}." ""

  # servers
  note "$size: starting the servers"
  start_rk rk-cache "$(free_port)"
  start_rk rk-nocache "$(free_port)" CACHE_MAX_BYTES=0
  [[ " $servers " == *" mapserver "* ]] && start_mapserver "${ms_procs:-8}"

  # The static copies: routekaartd's bytes for each request, identity and (where it compressed)
  # gzip, and the map from request target to file.
  local r hdr ctype ext
  { echo 'map $request_uri $bench_file {'; echo '  default "";'; } > "$dir/static-map.conf"
  for r in $requests; do
    hdr="$tmp/h-$r"
    if [ "$(curl -s -o "$tmp/body" -D "$hdr" -w '%{http_code}' -H "Accept: ${accept[$r]}" "http://127.0.0.1:${port[rk-cache]}${path[$r]}")" != 200 ]; then
      continue   # no copy: nginx answers 404 as routekaartd did not answer 200
    fi
    ctype=$(awk -F': *' 'tolower($1) == "content-type" {print $2}' "$hdr" | tr -d '\r' | cut -d';' -f1)
    case $ctype in
      application/geo+json) ext=geojson ;; application/json) ext=json ;;
      application/vnd.mapbox-vector-tile) ext=mvt ;; *) ext=bin ;;
    esac
    cp "$tmp/body" "$dir/static/$r.$ext"
    curl -s -o "$tmp/body.gz" -D "$hdr" -H "Accept: ${accept[$r]}" -H 'Accept-Encoding: gzip' "http://127.0.0.1:${port[rk-cache]}${path[$r]}"
    if grep -qi '^content-encoding: *gzip' "$hdr"; then cp "$tmp/body.gz" "$dir/static/$r.$ext.gz"; fi
    printf '  "%s" /%s.%s;\n' "${path[$r]}" "$r" "$ext" >> "$dir/static-map.conf"
  done
  echo '}' >> "$dir/static-map.conf"
  start_static

  # What each server answers (the same request targets): status, bytes, matched/returned and
  # whether the features are the same as routekaartd's.
  say "Responses (identity and gzip bytes; \"ids\" = same feature ids as rk-cache):" ""
  say "| request | server | status | content type | bytes | gzip bytes | matched / returned | ids |"
  say "|---|---|---|---|---:|---:|---|---|"
  local s code ct bytes gz sum ref
  declare -A idhash
  for r in $requests; do
    for s in $servers; do
      [ "$s" = mapserver ] && [ "$r" = tile ] && continue
      read -r code ct bytes < <(curl -s -o "$tmp/body" -w '%{http_code} %{content_type} %{size_download}\n' \
        -H "Accept: ${accept[$r]}" "http://127.0.0.1:${port[$s]}${path[$r]}")
      gz=$(curl -s -o /dev/null -w '%{size_download}' -H "Accept: ${accept[$r]}" -H 'Accept-Encoding: gzip' "http://127.0.0.1:${port[$s]}${path[$r]}")
      IFS=$'\t' read -r sum idhash[$s] < <(body_summary "$tmp/body")
      ref=""
      if [ "${idhash[$s]}" != - ] && [ -n "${idhash[rk-cache]:-}" ]; then
        [ "${idhash[$s]}" = "${idhash[rk-cache]}" ] && ref=same || ref=DIFFERENT
      fi
      say "| $(req_label "$r") | $s | $code | ${ct%%;*} | $bytes | $gz | $sum | $ref |"
    done
    unset 'idhash[rk-cache]'
  done
  say ""

  # The runs.
  say "| request | server | enc | conns | requests | req/s | p50 ms | p99 ms | non-2xx/3xx | socket errors | peak RSS MiB | peak PSS MiB |"
  say "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"
  local nreq enc c out rps p50 p99 non2xx sockerr pids rss pss hdrs label want
  for r in $requests; do
    for s in $servers; do
      [ "$s" = mapserver ] && [ "$r" = tile ] && continue
      local url="http://127.0.0.1:${port[$s]}${path[$r]}"
      if [ "$warmup" != 0 ]; then
        wrk -t"$threads" -c8 -d"${warmup}s" --timeout "${wrk_timeout}s" -H "Accept: ${accept[$r]}" -H 'Accept-Encoding: gzip' "$url" >/dev/null 2>&1 || true
      fi
      for enc in $encodings; do
        for c in $conn_list; do
          note "$size $r $s $enc c=$c"
          label=$s
          if [ "$s" = mapserver ]; then
            # as many mapserv processes as connections (or BENCH_MAPSERV_PROCS): with persistent
            # FastCGI connections each process serves one nginx connection at a time
            want=${ms_procs:-$c}
            if [ "$ms_running" != "$want" ]; then
              stop_mapserver; start_mapserver "$want"
              [ "$warmup" != 0 ] && wrk -t"$threads" -c"$c" -d"${warmup}s" --timeout "${wrk_timeout}s" -H "Accept: ${accept[$r]}" "$url" >/dev/null 2>&1 || true
            fi
            label="mapserver ($want proc)"
          fi
          hdrs=(-H "Accept: ${accept[$r]}")
          [ "$enc" = gzip ] && hdrs+=(-H 'Accept-Encoding: gzip')
          read -r -a pids <<<"$(server_pids "$s")"
          reset_peaks "${pids[@]}"
          start_pss_sampler "$tmp/pss" "${pids[@]}"
          out=$(wrk -t"$threads" -c"$c" -d"${duration}s" --timeout "${wrk_timeout}s" --latency "${hdrs[@]}" "$url" 2>&1) || true
          rss=$(sum_hwm_mib "${pids[@]}")
          kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
          pss=$(awk '{printf "%.1f", $1 / 1024}' "$tmp/pss")
          settle_db
          rps=$(awk '/^Requests\/sec:/ {printf ($2 >= 100 ? "%.0f" : "%.1f"), $2}' <<<"$out")
          nreq=$(awk '/requests in/ {print $1}' <<<"$out")
          p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
          non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<<"$out")
          sockerr=$(awk '/Socket errors:/ {gsub(",", ""); t = $4 + $6 + $8 + $10; if (t) printf "%d (c%d r%d w%d t%d)", t, $4, $6, $8, $10}' <<<"$out")
          if [ -z "$rps" ]; then
            note "wrk failed: $(tail -2 <<<"$out")"; rps=0
          fi
          if [ "${nreq:-0}" = 0 ]; then p50=- p99=-; else p50=$(to_ms "$p50"); p99=$(to_ms "$p99"); fi
          say "| $(req_label "$r") | $label | $enc | $c | ${nreq:-0} | $rps | $p50 | $p99 | ${non2xx:-0} | ${sockerr:-0} | $rss | $pss |"
          printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$r" "$s" "$enc" "$c" "$rps" >> "$results"
        done
      done
    done
  done
  say ""

  # Ratios.
  say "Ratios (requests/s): rk-cache / nginx (target >= 0.7); rk-nocache / mapserver (target >= 10 for the bbox page and one feature)." ""
  say "| request | enc | conns | rk-cache / nginx | | rk-nocache / mapserver | |"
  say "|---|---|---:|---:|---|---:|---|"
  for r in $requests; do
    for enc in $encodings; do
      for c in $conn_list; do
        say "$(awk -F'\t' -v size="$size" -v r="$r" -v enc="$enc" -v c="$c" -v label="$(req_label "$r")" '
          $1 == size && $2 == r && $4 == enc && $5 == c { v[$3] = $6 }
          function ratio(a, b) { return (a in v && b in v && v[b] > 0) ? v[a] / v[b] : -1 }
          function inf(a, b) { return a in v && b in v && v[b] == 0 && v[a] > 0 }
          END {
            a = ratio("rk-cache", "nginx"); b = ratio("rk-nocache", "mapserver")
            fa = a < 0 ? "n/a" : sprintf("%.2f", a); ta = a < 0 ? "" : (a >= 0.7 ? "ok" : "below 0.7")
            fb = b < 0 ? (inf("rk-nocache", "mapserver") ? "inf (0 req/s)" : "n/a") : sprintf("%.1f", b)
            if (b < 0 && inf("rk-nocache", "mapserver")) b = 1e9
            tb = (b < 0 || (r != "bbox" && r != "feature")) ? "" : (b >= 10 ? "ok" : "below 10")
            printf "| %s | %s | %s | %s | %s | %s | %s |", label, enc, c, fa, ta, fb, tb
          }' "$results")"
      done
    done
  done
  say ""

  # The cold-tile probe: rk-nocache, one request per tile, zoom 0-14: the tile over Utrecht and
  # BENCH_PROBE_RANDOM random tiles in the Netherlands (3.36-7.23 E, 50.75-53.55 N; seeded).
  if [[ " $servers " == *" rk-nocache "* ]]; then
    say "Cold-tile probe (rk-nocache, one curl per tile, Accept-Encoding: gzip): Utrecht + $probe_random random tiles in the Netherlands per zoom." ""
    say "| zoom | tiles | statuses | p99 ms | max ms |"
    say "|---:|---:|---|---:|---:|"
    local z t
    for z in $(seq 0 14); do
      python3 - "$z" "$utrecht_lon" "$utrecht_lat" "$probe_random" <<'PY' > "$tmp/tiles"
import math, random, sys
z, lon, lat, k = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
def tile(lon, lat):
    n = 2 ** z
    r = math.radians(lat)
    return (min(int((lon + 180) / 360 * n), n - 1),
            min(int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n), n - 1))
rnd = random.Random(1000 + z)
seen = []
for p in [(lon, lat)] + [(rnd.uniform(3.36, 7.23), rnd.uniform(50.75, 53.55)) for _ in range(k)]:
    t = tile(*p)
    if t not in seen:
        seen.append(t)
for x, y in seen:
    print(f"{z}/{x}/{y}")
PY
      : > "$tmp/times"
      while read -r t; do
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Accept-Encoding: gzip' \
          "http://127.0.0.1:${port[rk-nocache]}$(tile_url "$t")" >> "$tmp/times"
      done < "$tmp/tiles"
      say "$(sort -k2 -g "$tmp/times" | awk -v z="$z" '
        { n++; t[n] = $2 * 1000; st[$1]++ }
        END {
          k = int(0.99 * n + 0.999999); if (k < 1) k = 1; if (k > n) k = n
          s = ""; for (c in st) s = s (s == "" ? "" : ", ") c " x" st[c]
          printf "| %d | %d | %s | %.1f | %.1f |", z, n, s, t[k], t[n]
        }')"
    done
    say ""
  fi

  stop_servers
  say "(load average after the $size runs: $(cut -d' ' -f1-3 /proc/loadavg); the load generator wrk runs on the same cores)" ""
}

for size in $sizes; do
  [[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge 1 ] || die "BENCH_SIZES: '$size' is not a count"
  run_size "$size"
done
note "report: ${report#$top/}"
