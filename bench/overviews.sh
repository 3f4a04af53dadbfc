#!/usr/bin/env bash
# Benchmark of the regional overviews: the national overview of each region type and the coverage
# matrix, on the demo data set at scale (default 100,000 initiatives), through the real server.
# "cold" is the first request on a freshly started server and database connection; "warm" the
# median of the next five. Prints a table; the target is under 200 ms cold.
#   bench/overviews.sh [COUNT]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
count=${1:-100000}
name=pgbench

deploy/install-deps.sh
make -s build/routekaartd >/dev/null
deploy/pg.sh start "$name"
set -a; . "var/$name.env"; set +a
sql/migrate.sh >/dev/null
[ "$(psql -XAtqc 'select count(*) from ref.region')" = 0 ] && geo/load-reference.sh >/dev/null
have=$(psql -XAtqc "select count(*) from kaart.initiative where source = 'demo' and status = 'published'")
if [ "$have" != "$count" ]; then
  echo "bench: generating $count demo initiatives (once; kept in var/$name)" >&2
  geo/demo.sh --count "$count" >/dev/null
fi
psql -XAtqc 'vacuum analyze' >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
DATABASE_URL="host=$PGHOST dbname=$PGDATABASE user=routekaart_app" \
DATABASE_READ_URL="host=$PGHOST dbname=$PGDATABASE user=routekaart_web" \
PORT=$port LOG_LEVEL=error build/routekaartd 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

ms() { curl -s -o /dev/null -w '%{time_total}' -H 'Accept-Encoding: identity' "http://127.0.0.1:$port$1" | awk '{printf "%.1f", $1 * 1000}'; }
bytes() { curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

published=$(psql -XAtqc "select count(*) from kaart.initiative where status = 'published'")
echo
echo "Regional overviews on $published published initiatives ($(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo))"
echo
printf '| %-48s | %9s | %9s | %10s | %6s |\n' "request" "cold ms" "warm ms" "bytes" "< 200?"
printf '|%s|%s|%s|%s|%s|\n' "--------------------------------------------------" "-----------" "-----------" "------------" "--------"
for path in /overviews/provincie /overviews/arbeidsmarktregio /overviews/rmc /overviews/gemeente \
            /overviews/provincie/coverage /overviews/arbeidsmarktregio/coverage /overviews/rmc/coverage /overviews/gemeente/coverage \
            '/overviews/arbeidsmarktregio?f=xlsx' '/overviews/gemeente?f=csv'; do
  cold=$(ms "$path")
  warm=$(for _ in 1 2 3 4 5; do ms "$path"; echo; done | median)
  ok=$(awk -v c="$cold" 'BEGIN {print (c < 200) ? "yes" : "NO"}')
  printf '| %-48s | %9s | %9s | %10s | %6s |\n' "$path" "$cold" "$warm" "$(bytes "$path")" "$ok"
done
echo
echo "(cold: the first request for that resource after the server started; each resource's first"
echo " query runs on a connection that has not planned it before)"
