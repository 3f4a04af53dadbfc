#!/usr/bin/env bash
# /metrics as Prometheus reads it: `promtool check metrics` passes, every family has its HELP and
# TYPE, the pool and cache figures are there; the shipped alert rules (deploy/prometheus/) pass
# `promtool check rules` and their unit tests (`promtool test rules`). Run by tests/run.sh with
# RK_BUILD and the test database's settings (tests/env.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${RK_BUILD:?RK_BUILD: the build directory}
command -v promtool >/dev/null || { echo "promtool is missing (deploy/install-deps.sh --test)"; exit 1; }
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "not ok - $*"; exit 1; }

PORT=0 LISTEN=127.0.0.1 DATABASE_URL="$RK_TEST_DATABASE_URL" DATABASE_READ_URL="$RK_TEST_DATABASE_READ_URL" \
  "$build/routekaartd" 2>"$tmp/log" &
pid=$!
url=
for _ in $(seq 1 150); do
  url=$(sed -n 's/.*"msg":"listening","url":"\([^"]*\)".*/\1/p' "$tmp/log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "routekaartd exited: $(tail -3 "$tmp/log")"
  sleep 0.1
done
[ -n "$url" ] || fail "routekaartd did not listen"
url=${url%/}
# a few answers of each kind first, so that every figure has moved
curl -s -o /dev/null "$url/collections/initiatives/items?limit=2"
curl -s -o /dev/null "$url/collections/initiatives/items?limit=2"
curl -s -o /dev/null "$url/nergens"
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "$url/submissions"
curl -sf "$url/metrics" >"$tmp/metrics" || fail "GET /metrics"

out=$(promtool check metrics <"$tmp/metrics" 2>&1) || fail "promtool check metrics: $out"
[ -z "$out" ] || fail "promtool check metrics has remarks: $out"
echo "ok - /metrics passes promtool check metrics"

# every sample belongs to a family with HELP and TYPE (a histogram's _bucket, _sum and _count too)
python3 "$top/tests/ops/metrics_families.py" <"$tmp/metrics" || fail "a family without HELP or TYPE"
echo "ok - every family of /metrics has its HELP and TYPE"

for want in \
  'routekaart_db_pool_size{pool="read"}' 'routekaart_db_pool_size{pool="write"}' \
  'routekaart_db_pool_in_use{pool="read"}' 'routekaart_db_pool_waiting{pool="read"}' \
  'routekaart_db_pool_timeouts_total{pool="read"}' 'routekaart_db_pool_replaced_total{pool="write"}' \
  'routekaart_db_reachable{pool="read"} 1' 'routekaart_cache_requests_total{outcome="hit"} 1' \
  'routekaart_cache_listening 1' 'routekaart_http_requests_total{code="4xx"}'; do
  grep -qF "$want" "$tmp/metrics" || fail "/metrics lacks $want"
done
echo "ok - /metrics carries the pool figures of both pools and the cache figures"

out=$(promtool check rules "$top/deploy/prometheus/alerts.yml" 2>&1) || fail "promtool check rules: $out"
echo "ok - deploy/prometheus/alerts.yml passes promtool check rules"
out=$(cd "$top/deploy/prometheus" && promtool test rules alerts.test.yml 2>&1) || fail "promtool test rules: $out"
echo "ok - the alert rules fire on the figures they are for, and not on healthy ones (promtool test rules)"
# every alert of the rules has a test
for a in $(sed -n 's/^ *- alert: *//p' "$top/deploy/prometheus/alerts.yml"); do
  grep -q "alertname: $a\$" "$top/deploy/prometheus/alerts.test.yml" || fail "the alert $a has no test"
done
echo "ok - every alert rule has a unit test"
