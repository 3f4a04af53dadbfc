#!/usr/bin/env bash
# A read replica: routekaartd with its public reads on a real streaming standby
# (deploy/pg.sh standby: pg_basebackup -R) and its writes and LISTEN on the primary.
#   - a standby that replays late (paused): an answer it gives from before a change the cache was
#     told of is sent but not kept, and once it has replayed, the next read shows the change; on
#     each of two instances, as behind one load balancer;
#   - the lag on /metrics (promtool check metrics);
#   - primary down: reads go on from the standby (uncached), writes are 503 problem+json,
#     /readyz says read-only; primary back: writes work again, without a restart of the server;
#   - standby down: reads fall back to the primary (DATABASE_READ_URL lists both hosts,
#     target_session_attrs=prefer-standby), or are 503 without it, never a 500; standby back:
#     the reads return to it (DB_STANDBY_RETRY).
# Clusters var/reppri and var/repstb, made and destroyed here. RK_BUILD: the build directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${RK_BUILD:-$top/build}
export RK_PG_FAST=1 # thrown away at the end; what is tested is visibility, not durability
pri=reppri stb=repstb
work=$(mktemp -d)
pids=()

ok() { echo "ok - $*"; }
fail() { echo "not ok - $*" >&2; tail -n 5 "$work"/*.log >&2 2>/dev/null; exit 1; }
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  "$top/deploy/pg.sh" destroy "$stb" >/dev/null 2>&1 || true
  "$top/deploy/pg.sh" destroy "$pri" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# psql as the clusters' owner on var/NAME
sql() { local name=$1; shift; (set -a; . "$top/var/$name.env"; set +a; psql -XAtq -v ON_ERROR_STOP=1 "$@"); }
sock() { (. "$top/var/$1.env"; printf '%s' "$PGHOST"); }
# waits (a bounded number of times) until the standby has replayed what the primary has written
caught_up() {
  local at; at=$(sql "$pri" -c 'select pg_current_wal_lsn()')
  for _ in $(seq 400); do
    [ "$(sql "$stb" -c "select pg_last_wal_replay_lsn() >= '$at'")" = t ] && return 0
    sleep 0.05
  done
  fail "the standby did not replay up to $at"
}

# --- the pair ---------------------------------------------------------------------------------
"$top/deploy/pg.sh" destroy "$stb"; "$top/deploy/pg.sh" destroy "$pri"
"$top/deploy/pg.sh" start "$pri"
(set -a; . "$top/var/$pri.env"; set +a
 "$top/sql/migrate.sh" >/dev/null && "$top/geo/load-reference.sh" >/dev/null \
   && "$top/geo/demo.sh" --count 40 --pending 2 2>/dev/null) >/dev/null || fail "setting up the primary"
"$top/deploy/pg.sh" standby "$stb" "$pri"
[ "$(sql "$stb" -c 'select pg_is_in_recovery()')" = t ] || fail "var/$stb is not in recovery"
[ "$(sql "$stb" -c 'select count(*) from kaart.initiative')" = "$(sql "$pri" -c 'select count(*) from kaart.initiative')" ] \
  || fail "the standby does not hold the primary's data"
for _ in $(seq 200); do
  [ "$(sql "$pri" -c "select count(*) from pg_stat_replication where state = 'streaming'")" = 1 ] && break
  sleep 0.05
done
[ "$(sql "$pri" -c "select count(*) from pg_stat_replication where state = 'streaming'")" = 1 ] \
  || fail "the standby does not stream from the primary"
ok "var/$stb is a hot standby streaming from var/$pri (pg_basebackup -R over the primary's socket)"

psock=$(sock "$pri") ssock=$(sock "$stb")
export DATABASE_URL="host=$psock dbname=routekaart user=routekaart_app"
export DATABASE_READ_URL="host=$ssock,$psock dbname=routekaart user=routekaart_web target_session_attrs=prefer-standby"
key=$("$build/routekaartd" keys create --role moderator --name replica-test 2>"$work/keys.log" | grep -o 'rkk_[A-Za-z0-9_-]*' | head -1)
[ -n "$key" ] || fail "no moderator key"

# start_server NAME [VAR=VALUE ...]: routekaartd on a free port of 127.0.0.1; its URL into $base
start_server() {
  local name=$1 pid; shift
  env PORT=0 LISTEN=127.0.0.1 "$@" "$build/routekaartd" >"$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  base=""
  for _ in $(seq 300); do
    base=$(grep -o '"url": *"http://127.0.0.1:[0-9]*' "$work/$name.log" 2>/dev/null | grep -o 'http://.*' || true)
    [ -n "$base" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "routekaartd $name did not start"
    sleep 0.1
  done
  fail "routekaartd $name did not say where it listens"
}
# two instances, as behind one load balancer; a read connection that fell back to the primary is
# reopened after a second (DB_STANDBY_RETRY), to find the standby again
start_server a DB_STANDBY_RETRY=1; a=$base
start_server b DB_STANDBY_RETRY=1; b=$base

# req METHOD PATH [BODY_FILE [HEADER]]: the status into $status, the media type into $ctype, the body into $work/body
req() {
  local args=(-s -o "$work/body" -D "$work/head" -w '%{http_code} %{content_type}' -X "$1" "$base$2")
  [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "@$3")
  [ -n "${4:-}" ] && args+=(-H "$4")
  local out; out=$(curl "${args[@]}") || out="000 -"
  status=${out%% *} ctype=${out#* }
}
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$work/body" "$1"; }
metric() { curl -s "$base/metrics" | awk -v m="$1" '$1 == m {print $2; found=1} END {if (!found) print "absent"}'; }
# waits (a bounded number of times) until the metric has the value, or another test of it holds
wait_metric() {
  local name=$1 test=$2 v
  for _ in $(seq 200); do v=$(metric "$name"); eval "$test" && return 0; sleep 0.05; done
  fail "$name is $v, not as expected ($test)"
}
problem() { [ "$status" = "$1" ] && [ "$ctype" = application/problem+json ] || fail "$2: $status $ctype $(head -c 300 "$work/body")"; }
submit() { req POST /submissions "$top/tests/cases/submission-valid.json"; }

hit_count() { metric 'routekaart_cache_requests_total{outcome="hit"}'; }
for base in $a $b; do wait_metric routekaart_cache_listening '[ "$v" = 1 ]'; done

# --- the cache and a standby that is behind ---------------------------------------------------
page=/collections/initiatives/items?limit=1
caught_up
declare -A hits invalidations behind stores
for base in $a $b; do
  req GET "$page"; [ "$status" = 200 ] || fail "$page: $status"
  before=$(json 'd["numberMatched"]')
  hits[$base]=$(hit_count)
  req GET "$page"
  [ "$(hit_count)" -gt "${hits[$base]}" ] || fail "a page read from the standby was not cached ($base)"
done
base=$a
submit; [ "$status" = 201 ] || fail "submission: $status $(cat "$work/body")"
id=$(json 'd["id"]')
# the standby stops replaying: it goes on receiving the primary's WAL, and answers from before
sql "$stb" -c 'select pg_wal_replay_pause()' >/dev/null
for _ in $(seq 200); do
  [ "$(sql "$stb" -c 'select pg_get_wal_replay_pause_state()')" = paused ] && break
  sleep 0.05
done
for base in $a $b; do
  invalidations[$base]=$(metric routekaart_cache_invalidations_total)
  behind[$base]=$(metric routekaart_cache_standby_behind_total)
done
base=$a
req POST "/admin/submissions/$id/approve" "" "Authorization: Bearer $key"
[ "$status" = 200 ] || fail "approve: $status $(cat "$work/body")"
for base in $a $b; do
  wait_metric routekaart_cache_invalidations_total '[ "$v" -gt "${invalidations[$base]}" ]'
  stores[$base]=$(metric routekaart_cache_stores_total)
  hits[$base]=$(hit_count)
  req GET "$page"; [ "$status" = 200 ] || fail "$page after the approval: $status"
  [ "$(json 'd["numberMatched"]')" = "$before" ] || fail "the paused standby answered with the change already: nothing tested"
  [ "$(metric routekaart_cache_standby_behind_total)" -gt "${behind[$base]}" ] \
    && [ "$(metric routekaart_cache_stores_total)" = "${stores[$base]}" ] \
    || fail "the standby's answer from before the change was kept in the cache ($base)"
  req GET "$page"
  [ "$(hit_count)" = "${hits[$base]}" ] || fail "the old answer was served from the cache ($base)"
done
ok "a change notified by the primary: the standby's older answer is sent but not kept, by both instances (stores unchanged, no hit)"

lag=$(metric routekaart_db_replica_lag_bytes)
[ "$lag" != absent ] && [ "$lag" -gt 0 ] || fail "routekaart_db_replica_lag_bytes is $lag while the standby holds back a commit"
[ "$(metric routekaart_db_replica_standby)" = 1 ] || fail "routekaart_db_replica_standby is not 1"
secs=$(metric routekaart_db_replica_lag_seconds)
awk -v v="$secs" 'BEGIN { exit !(v > 0) }' || fail "routekaart_db_replica_lag_seconds is $secs while the standby holds back a commit"
curl -s "$base/metrics" >"$work/metrics"
promtool check metrics <"$work/metrics" >"$work/promtool" 2>&1 || { cat "$work/promtool"; fail "promtool check metrics"; }
ok "/metrics shows the standby's lag ($lag bytes, $secs s behind) and passes promtool check metrics"

# the standby catches up: the next read shows the change, and is kept
sql "$stb" -c 'select pg_wal_replay_resume()' >/dev/null
caught_up
for base in $a $b; do
  req GET "$page"
  [ "$(json 'd["numberMatched"]')" = $((before + 1)) ] || fail "after the standby replayed, the page still says $(json 'd["numberMatched"]'), not $((before + 1)) ($base)"
  hits[$base]=$(hit_count)
  req GET "$page"
  [ "$(json 'd["numberMatched"]')" = $((before + 1)) ] && [ "$(hit_count)" -gt "${hits[$base]}" ] \
    || fail "the current answer was not cached ($base)"
done
base=$a
ok "once the standby has replayed the change, the next read shows it on both instances and is cached again"
wait_metric routekaart_db_replica_lag_bytes '[ "$v" = 0 ]'
wait_metric routekaart_db_replica_lag_seconds '[ "$v" = 0.000 ]'
ok "routekaart_db_replica_lag_bytes and _seconds are 0 once the standby has caught up"

# --- primary down -----------------------------------------------------------------------------
"$top/deploy/pg.sh" crash "$pri"
wait_metric routekaart_cache_listening '[ "$v" = 0 ]'
hits=$(hit_count)
for path in "$page" "/collections/initiatives/items?limit=3" "/collections/initiatives/items/$id" \
            "/collections/schools/items?limit=2" "$page"; do
  req GET "$path"
  [ "$status" = 200 ] || fail "$path with the primary down: $status $(head -c 300 "$work/body")"
done
[ "$(hit_count)" = "$hits" ] || fail "a read was served from the cache while nobody listened for changes"
ok "primary down: public reads are answered 200 from the standby, none from the cache"
for _ in 1 2 3; do
  submit; problem 503 "a submission with the primary down"
  grep -qi '^Retry-After: [0-9]' "$work/head" || fail "a 503 without Retry-After"
done
req POST "/admin/submissions/$id/approve" "" "Authorization: Bearer $key"
problem 503 "moderation with the primary down"
ok "primary down: submissions and moderation answer 503 problem+json with Retry-After"
req GET /readyz
[ "$status" = 200 ] && [ "$(json 'd["status"] + " " + d["writes"]')" = "read-only unavailable" ] \
  || fail "/readyz with the primary down: $status $(cat "$work/body")"
req GET /metrics; [ "$status" = 200 ] || fail "/metrics with the primary down: $status"
ok "primary down: /readyz is 200 read-only (writes unavailable), /metrics answers"

"$top/deploy/pg.sh" start "$pri"
created=""
for _ in $(seq 100); do
  submit
  case "$status" in
    201) created=1; break ;;
    503) [ "$ctype" = application/problem+json ] || fail "a 503 that is not problem+json" ;;
    *) fail "a submission after the primary came back: $status $(head -c 300 "$work/body")" ;;
  esac
  sleep 0.1
done
[ -n "$created" ] || fail "writes did not come back after the primary did"
kill -0 "${pids[0]}" || fail "routekaartd is gone"
req GET /readyz
[ "$status" = 200 ] && [ "$(json 'd["status"]')" = ok ] || fail "/readyz with the primary back: $status $(cat "$work/body")"
wait_metric routekaart_cache_listening '[ "$v" = 1 ]'
ok "primary back: writes are accepted again and the cache listens, without a restart of routekaartd"

# --- standby down -----------------------------------------------------------------------------
"$top/deploy/pg.sh" stop "$stb"
for path in "/collections/initiatives/items?limit=4" "/collections/initiatives/items/$id" "/collections/schools/items?limit=5"; do
  req GET "$path"
  [ "$status" = 200 ] || fail "$path with the standby down: $status $(head -c 300 "$work/body")"
done
[ "$(metric routekaart_db_replica_standby)" = 0 ] || fail "reads with the standby down are not on the primary"
req GET /readyz
[ "$status" = 200 ] && [ "$(json 'd["status"]')" = ok ] || fail "/readyz with the standby down: $status"
ok "standby down: reads fall back to the primary (multi-host DATABASE_READ_URL), /readyz 200"
# an instance that reads from the standby alone has no such fallback: 503, never a 500
start_server c DATABASE_READ_URL="host=$ssock dbname=routekaart user=routekaart_web"
req GET "/collections/initiatives/items?limit=6"; problem 503 "a read with its only read server down"
req GET /readyz; problem 503 "/readyz with its only read server down"
c=$base; base=$a
ok "standby down and not backed by the primary: reads and /readyz answer 503 problem+json"
"$top/deploy/pg.sh" standby "$stb" "$pri"
caught_up
for base in $a $b $c; do
  req GET "/collections/initiatives/items?limit=6"; [ "$status" = 200 ] || fail "a read with the standby back: $status ($base)"
done
ok "standby back: reads are answered, by the instance without a fallback too"
for base in $a $b; do
  wait_metric routekaart_db_replica_standby '[ "$v" = 1 ]'
done
ok "standby back: the reads that fell back to the primary return to the standby (DB_STANDBY_RETRY), without a restart"
