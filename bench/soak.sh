#!/usr/bin/env bash
# Soak: one routekaartd, as deployed (response cache on, 8 threads), under a steady mixed load for
# SOAK_SECONDS (default 10 minutes), against its own throwaway cluster var/soak:
#
#   reads   wrk (SOAK_THREADS threads, SOAK_CONNECTIONS keep-alive connections) cycling through the
#           public API: initiatives with filters, bbox, paging and one by one, clusters, vector
#           tiles, regions, schools, overviews (JSON and CSV), codelists, the landing page, and the
#           website (/ and /aanmelden as text/html, two /assets/ files); half of them with gzip.
#           Every read must be a 200.
#   writes  a second process (python3), SOAK_WRITES_PER_SECOND requests a second, one connection a
#           request, in cycles: POST /submissions (a unique name, an Idempotency-Key; every fifth
#           sent twice, which must give the same id), PATCH with the edit token, a moderator's
#           approve (one in eight rejected instead), for one in three published a PATCH (a
#           revision) and its approval, then a withdrawal of one in four by the moderator and one
#           in eight by the submitter. Each cycle also sends one deliberately bad request whose
#           4xx is expected: an invalid body (422), malformed JSON (400), a text/plain body (415),
#           approving what is decided (409), a submission that does not exist (404), a change to a
#           closed submission (409), and at most every 10 s a wrong edit token (401; the failed
#           attempts stay under AUTH_FAILURES_PER_MINUTE). WRITE_RATE_PER_MINUTE is raised so the
#           rate limit rejects none of them.
#
# Every SOAK_SAMPLE seconds the server's VmRSS, threads and open descriptors (/proc/PID) and
# /metrics are sampled. At the end it prints a table: requests, req/s, statuses split into expected
# and UNEXPECTED (any 5xx, any connection error or timeout, any 4xx that was not deliberate, any
# non-200 read), p50/p99 latency, RSS at start / after the warm-up / max / end and its slope after
# the warm-up; it checks in SQL that every write answered 2xx is in the database as answered (and
# nothing else is), and that the server exits 0 on SIGTERM.
#
# Memory bound: after the warm-up (SOAK_WARMUP, 60 s) the response cache may still fill, up to
# CACHE_MAX_BYTES (32 MiB); what it holds is reported by /metrics (routekaart_cache_bytes). The
# resident set may grow after the warm-up by what the cache grew plus SOAK_RSS_SLACK_MIB (8 MiB,
# allocator and thread-arena slack) and no more: max RSS after the warm-up - RSS at the warm-up -
# (cache bytes then - cache bytes at the warm-up) <= 8 MiB. A leak of 100 bytes per read (several
# thousand reads a second here) exceeds it in under a minute; one of 1 KiB per write (4 a second)
# would need half an hour: that is what the slope bound is for. Least squares over the samples
# after the warm-up, the RSS less what the cache holds may rise by at most SOAK_RSS_SLOPE_MIB
# (1.5 MiB) per 10 minutes (such a leak is +2.3 MiB per 10 minutes; the server measured +0.4).
#
#   bench/soak.sh     (prints the markdown report; also written to var/soak-results/DATE/report.md
#                      with the samples, the writes and the server's log)
#
# Its programs are in bench/soak/: reads.lua (the wrk script of the reads), writer.py (the write
# process), db-check.sql (the writes in the database) and report.py (the report and its verdict).
#
# Settings (environment):
#   SOAK_SECONDS=600            duration of the load
#   SOAK_WARMUP=60              seconds after which the RSS is the baseline (< SOAK_SECONDS)
#   SOAK_SAMPLE=10              seconds between samples
#   SOAK_THREADS=2              wrk threads
#   SOAK_CONNECTIONS=16         wrk connections
#   SOAK_WRITES_PER_SECOND=4    pace of the write process (requests/s, bad ones included)
#   SOAK_RSS_SLACK_MIB=8        the bound on the growth above
#   SOAK_RSS_SLOPE_MIB=1.5      the bound on the slope above (MiB per 10 minutes)
#   SOAK_TIMEOUT=10             wrk's request timeout (s); a slower answer counts as a timeout
#
# Exit status: 0 when nothing unexpected happened, every 2xx write is in the database and the RSS
# stayed within the bounds; 1 otherwise. Installs wrk when missing (sudo when not root), builds with
# make binaries, and sets up var/soak afresh (RK_PG_FAST=1 deploy/db-setup.sh soak --fresh); the
# cluster is stopped at the end (its data is kept until the next run). Everything listens on
# 127.0.0.1 only.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; fi

seconds=${SOAK_SECONDS:-600}
warmup=${SOAK_WARMUP:-60}
sample=${SOAK_SAMPLE:-10}
threads=${SOAK_THREADS:-2}
conns=${SOAK_CONNECTIONS:-16}
write_rate=${SOAK_WRITES_PER_SECOND:-4}
slack_mib=${SOAK_RSS_SLACK_MIB:-8}
wrk_timeout=${SOAK_TIMEOUT:-10}
name=soak   # the cluster: var/soak
for v in seconds warmup sample threads conns slack_mib wrk_timeout; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "soak: $v='${!v}' is not a whole number" >&2; exit 2; }
done
[[ "$write_rate" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "soak: SOAK_WRITES_PER_SECOND='$write_rate' is not a number" >&2; exit 2; }
[ "$warmup" -lt "$seconds" ] || { echo "soak: SOAK_WARMUP must be shorter than SOAK_SECONDS" >&2; exit 2; }

note() { printf 'soak %s: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { note "$*"; exit 1; }

# --- packages and build ------------------------------------------------------------------------
deploy/install-deps.sh
deploy/install-deps.sh --only wrk
note "building (make binaries)"
make -s binaries >/dev/null

# --- processes and their clean-up --------------------------------------------------------------
out="$top/var/soak-results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
tmp=$(mktemp -d)
server_pid="" writer_pid="" sampler_pid="" wrk_pid="" pg_started=0
stop_pid() { # pid: TERM, then wait
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  stop_pid "$wrk_pid"; stop_pid "$writer_pid"; stop_pid "$sampler_pid"; stop_pid "$server_pid"
  [ "$pg_started" = 1 ] && deploy/pg.sh stop "$name"
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the database ------------------------------------------------------------------------------
note "database: a fresh cluster var/$name (deploy/db-setup.sh $name --fresh)"
pg_started=1
RK_PG_FAST=1 deploy/db-setup.sh "$name" --fresh >"$out/db-setup.log" 2>&1 || { tail -20 "$out/db-setup.log" >&2; die "db-setup failed"; }
set -a; . "var/$name.env"; set +a
q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
write_url="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_app"
read_url="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_web"
key=$(DATABASE_URL=$write_url build/routekaartd keys create --role moderator --name soak 2>/dev/null)
[[ "$key" == rkk_* ]] || die "keys create failed"

# --- the server --------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
env DATABASE_URL="$write_url" DATABASE_READ_URL="$read_url" LISTEN=127.0.0.1 PORT="$port" \
    WEB_ROOT="$top/build/web" LOG_LEVEL=error WRITE_RATE_PER_MINUTE=100000 WRITE_RATE_BURST=1000 \
    build/routekaartd 2>"$out/server.log" &
server_pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null "$base/readyz" && break; sleep 0.1; done
curl -fs -o /dev/null "$base/readyz" || die "the server did not become ready (see $out/server.log)"
for _ in $(seq 100); do curl -fs "$base/metrics" | grep -q '^routekaart_cache_listening 1' && break; sleep 0.1; done
cache_max=$(curl -fs "$base/metrics" | awk '$1 == "routekaart_cache_max_bytes" {print $2}')

# --- the reads ---------------------------------------------------------------------------------
# Values from the data: demo initiatives (the writer never touches them), a BRIN, a region.
ids=$(q "select string_agg(id::text, ' ') from (select id from kaart.initiative where source = 'demo' and status = 'published' order by id limit 4 offset 100) t")
mid=$(q "select id from kaart.initiative where source = 'demo' and status = 'published' order by id offset 300 limit 1")
brin=$(q "select b from kaart.initiative, unnest(brins) b where status = 'published' and source = 'demo' group by b order by count(*) desc limit 1")
am=$(q "select c from (select unnest(region_codes) c from kaart.initiative where status = 'published') t where c like 'AM%' group by 1 order by count(*) desc limit 1")
gm=$(q "select c from (select unnest(region_codes) c from kaart.initiative where status = 'published') t where c like 'GM%' group by 1 order by count(*) desc limit 1")
asset_js=$(cd build/web/assets && ls map.*.js | head -1)
asset_css=$(cd build/web/assets && ls leaflet.*.css | head -1)
tile() { # zoom lon lat -> z/x/y
  python3 -c 'import math, sys
z, lon, lat = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); n = 2 ** z; r = math.radians(lat)
print(f"{z}/{int((lon + 180) / 360 * n)}/{int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)}")' "$@"
}
geo=application/geo+json json=application/json
{
  # Accept, Accept-Encoding (- = none), target
  printf '%s\t%s\t%s\n' \
    "$geo" gzip "/collections/initiatives/items" \
    "$geo" - "/collections/initiatives/items?limit=100" \
    "$geo" gzip "/collections/initiatives/items?region=$am&niveau=3" \
    "$geo" - "/collections/initiatives/items?route_kind=doorlopende_leerroute,geintegreerde_route&limit=50" \
    "$geo" gzip "/collections/initiatives/items?profiel=ZW,EO&leerweg=BB,KB" \
    "$geo" - "/collections/initiatives/items?opleidingsdomein=o&start_year=2024,2025" \
    "$geo" gzip "/collections/initiatives/items?q=zorg" \
    "$geo" - "/collections/initiatives/items?brin=$brin" \
    "$geo" gzip "/collections/initiatives/items?bbox=4.9,52.0,5.3,52.2&limit=100" \
    "$geo" - "/collections/initiatives/items?bbox=4.7,52.2,5.1,52.5" \
    "$geo" gzip "/collections/initiatives/items?limit=20&offset=200" \
    "$geo" - "/collections/initiatives/items?limit=50&after=$mid" \
    "$geo" gzip "/collections/initiatives/items?region=$gm&limit=10"
  for id in $ids; do printf '%s\t%s\t%s\n' "$geo" gzip "/collections/initiatives/items/$id" "$geo" - "/collections/initiatives/items/$id"; done
  printf '%s\t%s\t%s\n' \
    "$geo" gzip "/collections/initiatives/clusters?zoom=7" \
    "$geo" - "/collections/initiatives/clusters?zoom=10&bbox=4.9,52.0,5.3,52.2&niveau=2,3" \
    "*/*" gzip "/collections/initiatives/tiles/$(tile 5 5.12 52.09)" \
    "*/*" - "/collections/initiatives/tiles/$(tile 8 5.12 52.09)" \
    "*/*" gzip "/collections/initiatives/tiles/$(tile 10 5.12 52.09)" \
    "*/*" - "/collections/initiatives/tiles/$(tile 13 4.90 52.37)" \
    "*/*" gzip "/collections/initiatives/tiles/$(tile 14 5.12 52.09)" \
    "*/*" gzip "/collections/regions-provincie/tiles/$(tile 7 5.5 52.2)" \
    "$json" gzip "/collections/initiatives/tiles" \
    "$geo" gzip "/collections/regions-provincie/items?simplify=0.005" \
    "$geo" - "/collections/regions-arbeidsmarktregio/items?simplify=0.01&limit=10" \
    "$geo" gzip "/collections/regions-gemeente/items?limit=20&simplify=0.001" \
    "$geo" - "/collections/schools/items?limit=100" \
    "$json" gzip "/overviews/provincie" \
    "$json" - "/overviews/arbeidsmarktregio" \
    "text/csv" gzip "/overviews/arbeidsmarktregio?f=csv" \
    "text/csv" - "/overviews/gemeente?f=csv&sep=semicolon" \
    "$json" gzip "/overviews/arbeidsmarktregio/coverage" \
    "$json" - "/overviews/gemeente/$gm" \
    "text/html" gzip "/" \
    "text/html" - "/aanmelden" \
    "*/*" gzip "/assets/$asset_js" \
    "*/*" - "/assets/$asset_css" \
    "$json" gzip "/codelists" \
    "$json" - "/" \
    "$json" gzip "/collections" \
    "$json" - "/conformance"
} > "$tmp/reads.tsv"
# Every target answers 200 before the load starts (a typo here would otherwise count as errors).
while IFS=$'\t' read -r accept enc target; do
  hdr=(-H "Accept: $accept"); [ "$enc" = - ] || hdr+=(-H "Accept-Encoding: $enc")
  code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$base$target")
  [ "$code" = 200 ] || die "read $target answers $code before the load"
done < "$tmp/reads.tsv"
nreads=$(wc -l < "$tmp/reads.tsv")

# --- the samples -------------------------------------------------------------------------------
# seconds since the load began, VmRSS kB, VmHWM kB, threads, open descriptors, cache bytes, cache
# entries, and the server's own count of 5xx answers
sample_once() { # t
  local m
  m=$(curl -s --max-time 5 "$base/metrics" || true)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" \
    "$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")" \
    "$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")" \
    "$(awk '/^Threads:/ {print $2}' "/proc/$server_pid/status")" \
    "$(ls "/proc/$server_pid/fd" | wc -l)" \
    "$(awk '$1 == "routekaart_cache_bytes" {print $2}' <<<"$m")" \
    "$(awk '$1 == "routekaart_cache_entries" {print $2}' <<<"$m")" \
    "$(awk '$1 == "routekaart_http_requests_total{code=\"5xx\"}" {print $2}' <<<"$m")"
}
printf 't_s\trss_kb\thwm_kb\tthreads\tfds\tcache_bytes\tcache_entries\thttp_5xx\n' > "$out/samples.tsv"
start_sample=$(sample_once start)

# --- the run -----------------------------------------------------------------------------------
tag=$(date +%H%M%S)
note "load: ${seconds} s; reads: wrk $threads threads, $conns connections, $nreads targets; writes: $write_rate/s (server $base, results in ${out#$top/})"
load_began=$(date +%s)
# the writes (bench/soak/writer.py) and the reads (wrk with bench/soak/reads.lua) side by side
python3 bench/soak/writer.py "$port" "$key" "$seconds" "$write_rate" "$tag" "$out" tests/cases/submission-valid.json 2>"$out/writer.log" &
writer_pid=$!
wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout "${wrk_timeout}s" -s bench/soak/reads.lua "$base" -- "$tmp/reads.tsv" >"$out/wrk.txt" 2>&1 &
wrk_pid=$!
( t=0
  while [ "$t" -le "$seconds" ]; do
    while [ $(( $(date +%s) - load_began )) -lt "$t" ]; do sleep 0.2; done
    sample_once "$t" >> "$out/samples.tsv"
    t=$((t + sample))
  done ) &
sampler_pid=$!
wait "$wrk_pid" || true; wrk_pid=""
writer_ok=1
wait "$writer_pid" || { writer_ok=0; note "the write process failed (see ${out#$top/}/writer.log)"; }
writer_pid=""
wait "$sampler_pid" || true; sampler_pid=""
end_sample=$(sample_once end)
load=$(cut -d' ' -f1-3 /proc/loadavg)

# The server stops as deployed: SIGTERM, and a clean exit.
kill -TERM "$server_pid"
server_exit=0; wait "$server_pid" || server_exit=$?
server_pid=""

# --- every 2xx write in the database, as answered ----------------------------------------------
note "checking the writes in the database"
touch "$out/expected.csv" "$out/summary.txt"
psql -XAtq -v ON_ERROR_STOP=1 -F $'\t' -v tag="$tag" -f bench/soak/db-check.sql <"$out/expected.csv" >"$out/db-check.txt"

# --- the report --------------------------------------------------------------------------------
SOAK_RSS_SLOPE_MIB=${SOAK_RSS_SLOPE_MIB:-1.5} python3 bench/soak/report.py "$out" "$seconds" "$warmup" "$threads" "$conns" "$write_rate" "$slack_mib" "$cache_max" \
  "$nreads" "$server_exit" "$writer_ok" "$load" "$start_sample" "$end_sample" | tee "$out/report.md"
