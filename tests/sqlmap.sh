#!/usr/bin/env bash
# sqlmap against every parameter of every endpoint in openapi.yaml, on a throwaway database.
#
#   tests/sqlmap.sh                          every test of every parameter to the end (25-30 minutes)
#   SQLMAP_BUDGET_MINUTES=20 tests/sqlmap.sh a run bounded in time; one that cuts a parameter fails
#   SQLMAP_ONLY='admin/audit' tests/sqlmap.sh   only the targets whose "endpoint parameter" matches
#
# What it does. Installs what is missing (deploy/install-deps.sh, and --only sqlmap); builds the
# binaries when build/routekaartd is missing (make binaries); sets up its own cluster var/sqlmap
# (RK_PG_FAST=1 deploy/db-setup.sh sqlmap --fresh: migrations, reference and demo data) and stops
# it at the end, also on failure or Ctrl-C; issues an API key of each role it needs (moderator
# "sqlmap", analyst "sqlmap-analyst"); starts build/routekaartd on 127.0.0.1 on a free port with
# the connection settings of deploy/serve.sh. Then its driver, tests/sqlmap.py, runs one sqlmap
# per parameter, at most SQLMAP_JOBS at a time, and ends with a table: endpoint, parameter,
# requests sent, the HTTP statuses of the answers, and the result.
#
# What is tested. The list of targets in tests/sqlmap.py is checked against openapi.yaml before
# anything runs: every query, path and header parameter of every operation, the Authorization
# header of every operation with a security scheme, and every property of every JSON request body
# that a client may send (readOnly ones are not) must have a target, or the script stops. Each
# target marks one place with sqlmap's custom injection marker `*`, in a request that is otherwise
# valid:
#   - query and path parameters: `?q=zorg*`, `/collections/initiatives/tiles/10*/525/336`;
#     each collection kind (initiatives, schools, regions) gets its own items parameters, as
#     their SQL differs;
#   - JSON bodies (POST /submissions, both PATCHes, reject, withdraw, PUT school contact): one
#     target per property, the marker inside the string (`"name": "...*"`) or after the number or
#     boolean, in a document that passes validation, so that payloads reach the database (sqlmap
#     escapes the quotes of its payloads in JSON). A PATCH patches the top-level member that holds
#     the property. The mbo party "by vestigingscode" has no valid value in the data (no mbo
#     school locations), so its baseline is a 422; the database still checks that document;
#   - Authorization: for API keys `rkk_<id>*_<secret>`, where the id is the part that reaches a
#     query (the secret is hashed and compared in C); for edit tokens after the token (it is only
#     hashed); Idempotency-Key, If-None-Match and Accept-Language as they are.
# Every target that changes something (a submission, its contacts, a school's contact) gets its
# own fixture, made just before its run, so that the targets do not disturb one another.
#
# How. sqlmap --batch --level 5 --risk 3 --technique BEUSTQ --dbms PostgreSQL --flush-session,
# --ignore-code '*' (a 401, 404 or 409 is an answer to compare, not a reason to stop), --time-sec
# 5, output and traffic under var/sqlmap/run-<time>/<target>/ (in the cluster's directory: the
# next run's --fresh removes them). The server runs with the write rate limit off
# (WRITE_RATE_PER_MINUTE=0) and AUTH_FAILURES_PER_MINUTE=100000, so that no answer is a 429; with the response cache off (CACHE_MAX_BYTES=0), so that every request reaches the
# database and a repeated time-based payload is not answered from memory; and with
# DB_STATEMENT_TIMEOUT_MS=30000, so that a pg_sleep(5) would not be cut short by the 5 s default.
# SQLMAP_LEVEL, SQLMAP_RISK, SQLMAP_TECHNIQUE and SQLMAP_JOBS (default: the number of CPUs, at
# least 2) change these. When sqlmap drops a candidate of its own as a false positive, it skips
# the rest of that technique's tests; the parameter is then run again with --test-skip of the
# rejected tests (at most twice), and the table says so (the tests are in <target>/rejected.txt).
# Write endpoints answer with the stored document, whose revision and outcome change from one
# request to the next, which is what misleads sqlmap's boolean comparison there.
#
# Time. SQLMAP_BUDGET_MINUTES (default 0: no bound) bounds the runs: each parameter's sqlmap may
# take its share of the time left (time left x jobs / targets not yet started, at least 20 s), so
# quick parameters leave their time to slower ones; a run cut at its bound is reported as such,
# with the requests it sent ("cut at Ns: no injection in N requests"), each such parameter is
# listed as UNTESTED IN PART, and the whole run fails (exit 3). The time of the set-up (about
# half a minute: cluster, fixtures) comes on top. A parameter takes 5 to 10 s at level 5 (1,300 to
# 2,200 requests); one whose requests each store a submission half a minute. On a 2-CPU machine
# the whole run is 265 parameters, about 410,000 requests and 25 to 30 minutes; within 20
# minutes about 20 of the slow ones would be cut after 1,000 to 1,800 requests.
#
# Exit status: 0 when no parameter is injectable; 1 when sqlmap reports any parameter injectable
# (also when the run was cut after sqlmap saw a positive it had not yet confirmed); 2 when the
# set-up failed, a target is missing for a parameter of openapi.yaml, a run ended in an error, or
# the server stopped answering; 3 when a parameter's run was cut at the time bound (not proved).
# Only 127.0.0.1 is ever targeted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build=${SQLMAP_BUILD:-build}
name=sqlmap
say() { printf '%s\n' "$*" >&2; }

deploy/install-deps.sh
deploy/install-deps.sh --only sqlmap

if [ ! -x "$build/routekaartd" ]; then
  say "sqlmap: building (make binaries)"
  make binaries
fi

server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  deploy/pg.sh stop "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The cluster lives in var/sqlmap; the results go next to it, in var/sqlmap/run-<time>, and are
# thrown away with the cluster by the next run.
say "sqlmap: a fresh cluster var/$name"
setup_log=$(mktemp)
if ! RK_PG_FAST=1 deploy/db-setup.sh "$name" --fresh >"$setup_log" 2>&1; then
  tail -20 "$setup_log" >&2
  rm -f "$setup_log"
  exit 2
fi
run_dir="var/$name/run-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run_dir"
mv "$setup_log" "$run_dir/db-setup.log"
set -a; . "var/$name.env"; set +a
export DATABASE_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_app"
export DATABASE_READ_URL="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=routekaart_web"

RK_MODERATOR_KEY=$("$build/routekaartd" keys create --role moderator --name sqlmap 2>>"$run_dir/keys.log")
RK_ANALYST_KEY=$("$build/routekaartd" keys create --role analyst --name sqlmap-analyst 2>>"$run_dir/keys.log")
export RK_MODERATOR_KEY RK_ANALYST_KEY

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
web_root=
[ -f "$build/web/index.html" ] && web_root=$(cd "$build/web" && pwd)
LISTEN=127.0.0.1 PORT=$port WEB_ROOT=$web_root LOG_LEVEL=error \
  WRITE_RATE_PER_MINUTE=0 AUTH_FAILURES_PER_MINUTE=100000 CACHE_MAX_BYTES=0 DB_STATEMENT_TIMEOUT_MS=30000 \
  "$build/routekaartd" >"$run_dir/routekaartd.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { say "sqlmap.sh: routekaartd did not start:"; cat "$run_dir/routekaartd.log" >&2; exit 2; }
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { say "sqlmap.sh: routekaartd is not ready"; exit 2; }
say "sqlmap: routekaartd on http://127.0.0.1:$port (pid $server_pid, log: $run_dir/routekaartd.log)"

status=0
# the driver exits 3 when a parameter is injectable; any other failure of it is a set-up error
RK_BASE="http://127.0.0.1:$port" RK_RUN_DIR="$run_dir" RK_WEB_ROOT="$web_root" \
  python3 tests/sqlmap.py || status=$?

case "$status" in 0) ;; 3) status=1 ;; 4) status=3 ;; *) status=2 ;; esac
if ! kill -0 "$server_pid" 2>/dev/null; then
  say "sqlmap.sh: routekaartd is no longer running; see $run_dir/routekaartd.log"
  status=2
fi
say "sqlmap: results in $run_dir/results.txt"
exit "$status"
