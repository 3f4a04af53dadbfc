#!/usr/bin/env bash
# nginx in front of two routekaartd, on loopback: the shipped deploy/nginx/routekaart.conf (only
# its addresses, ports and paths changed) with a throwaway certificate. HTTPS and HTTP/2, HSTS,
# gzip passed on once with the service's ETag, 304, the proxy cache (and what it must not keep),
# the client's address behind the proxy (rate limit, lockout, log, links) and not from anyone
# else, and two instances that agree after a change. Run by tests/run.sh with RK_BUILD and the
# test cluster's RK_* variables; prints an 'ok - ' line per check, exits non-zero on a failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${RK_BUILD:?RK_BUILD must name the build directory (tests/run.sh sets it)}
: "${RK_TEST_DATABASE_URL:?run by tests/run.sh, which sets up the test cluster}"
work=$top/var/nginx-test
shipped=$top/deploy/nginx/routekaart.conf
max_age=3   # CACHE_MAX_AGE of the instances: how long nginx may keep an answer
nginx=$(command -v nginx || echo /usr/sbin/nginx) # (not on a normal user's PATH on Debian)

fail() { echo "not ok - $*"; exit 1; }
ok() { echo "ok - $*"; }

pids=()
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work/logs" "$work/cache" "$work/tmp"

# --- two instances on free ports, trusting the address nginx connects from ---
start_instance() { # NAME: starts routekaartd in the background; sets port to its port
  local log=$work/$1.log
  DATABASE_URL=$RK_TEST_DATABASE_URL DATABASE_READ_URL=$RK_TEST_DATABASE_READ_URL \
  LISTEN=127.0.0.1 PORT=0 TRUSTED_PROXIES=127.0.0.1 MAX_CONNECTIONS_PER_IP=0 \
  CACHE_MAX_AGE=$max_age WRITE_RATE_PER_MINUTE=1 WRITE_RATE_BURST=3 AUTH_FAILURES_PER_MINUTE=1 \
    "$build/routekaartd" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do
    port=$(sed -n 's/.*"listening".*"url":"http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$log")
    [ -n "$port" ] && return
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log" >&2; fail "routekaartd $1 did not start"
}
start_instance a; port_a=$port
start_instance b; port_b=$port
a=http://127.0.0.1:$port_a b=http://127.0.0.1:$port_b

# --- nginx, with the shipped configuration ---
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
https_port=$(free_port) http_port=$(free_port) https6_port=$(free_port) http6_port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
# IPv6 loopback where there is one; else the IPv6 lines listen on another IPv4 port
if [ -e /proc/net/if_inet6 ] && python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
  v6=\[::1\]
else
  v6=127.0.0.1
fi
sed -e "s#^\(    listen \)443 #\1127.0.0.1:$https_port #" \
    -e "s#^\(    listen \)\[::\]:443 #\1$v6:$https6_port #" \
    -e "s#^\(    listen \)80;#\1127.0.0.1:$http_port;#" \
    -e "s#^\(    listen \)\[::\]:80;#\1$v6:$http6_port;#" \
    -e "s#server 127\.0\.0\.1:8081 #server 127.0.0.1:$port_a #" \
    -e "s#server 127\.0\.0\.1:8082 #server 127.0.0.1:$port_b #" \
    -e "s#/etc/ssl/routekaart/fullchain\.pem#$work/cert.pem#" \
    -e "s#/etc/ssl/routekaart/privkey\.pem#$work/key.pem#" \
    -e "s#proxy_cache_path /var/cache/nginx/routekaart #proxy_cache_path $work/cache #" \
    "$shipped" >"$work/routekaart.conf"
# the file tested is the file shipped: the lines that differ are the ones the hosting party edits
changed=$(diff "$shipped" "$work/routekaart.conf" | grep '^<' || true)
others=$(grep -v -E '^< +(listen |server 127\.0\.0\.1:808[12] |ssl_certificate(_key)? |proxy_cache_path )' <<<"$changed" || true)
[ "$(wc -l <<<"$changed")" -eq 9 ] && [ -z "$others" ] \
  || fail "the rendered configuration changes more than addresses, ports and paths: $changed"
# run as the current user; as root, the workers stay root (a throwaway nginx under var/)
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat >"$work/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    log_format upstream '\$remote_addr \$upstream_addr \$upstream_cache_status \$status "\$request"';
    access_log $work/logs/access.log upstream;
    include $work/routekaart.conf;
}
CONF
out=$("$nginx" -t -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" 2>&1) || fail "nginx -t refuses the configuration: $out"
ok "nginx -t accepts deploy/nginx/routekaart.conf (only addresses, ports and paths changed)"
"$nginx" -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" 2>"$work/logs/start.log" || fail "nginx did not start: $(cat "$work/logs/start.log")"
for _ in $(seq 100); do [ -s "$work/nginx.pid" ] && break; sleep 0.05; done
n=https://127.0.0.1:$https_port

# A request; prints the head (lower-case names) then the body to files of its own.
# usage: req NAME [curl options...] URL
req() {
  local name=$1; shift
  curl -sS -k --max-time 20 -D "$work/$name.head" -o "$work/$name.body" "$@" || true
  tr -d '\r' <"$work/$name.head" | sed 's/^\([A-Za-z-]*\):/\L\1:/' >"$work/$name.h"
}
status() { awk 'NR==1 {print $2}' "$work/$1.h"; }
header() { sed -n "s/^$2: //p" "$work/$1.h" | tail -1; }
json() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$work/$1.body" "$2"; }

# --- TLS, HTTP/2, HSTS, the redirect ---
req h2 --http2 "$n/collections"
v=$(curl -sS -k --http2 -o /dev/null -w '%{http_version}' "$n/collections")
[ "$(status h2)" = 200 ] && [ "$v" = 2 ] || fail "HTTPS with HTTP/2: status $(status h2), HTTP version $v"
ok "HTTPS answers over HTTP/2"
[ "$(header h2 strict-transport-security)" = "max-age=63072000" ] || fail "no HSTS header: $(cat "$work/h2.h")"
ok "HSTS on every HTTPS answer"
req plain "http://127.0.0.1:$http_port/collections?x=1"
[ "$(status plain)" = 301 ] && [ "$(header plain location)" = "https://127.0.0.1/collections?x=1" ] \
  || fail "http is not redirected to https: $(cat "$work/plain.h")"
ok "http redirects to https with the same target"

if [ "$v6" = "[::1]" ]; then
  req v6 -g "https://[::1]:$https6_port/collections"
  [ "$(status v6)" = 200 ] || fail "HTTPS on the IPv6 listener: $(status v6)"
  ok "the IPv6 listener answers too"
fi

# --- gzip passed on once, with the service's strong ETag; 304 ---
items=/collections/initiatives/items?limit=40
# (the same request straight to an instance, as nginx passes it on: links are made for https)
req direct_gz -H 'Accept-Encoding: gzip' -H 'X-Forwarded-Proto: https' -H "X-Forwarded-Host: 127.0.0.1:$https_port" "$a$items"
req gz -H 'Accept-Encoding: gzip' "$n$items"
[ "$(header gz content-encoding)" = gzip ] || fail "no gzip through nginx: $(cat "$work/gz.h")"
gunzip -c <"$work/gz.body" | python3 -c 'import json, sys; json.load(sys.stdin)' 2>/dev/null \
  || fail "the body through nginx is not JSON after one gunzip (compressed twice, or not at all)"
etag=$(header gz etag)
[ -n "$etag" ] && [ "$etag" = "$(header direct_gz etag)" ] && [ "${etag#W/}" = "$etag" ] \
  || fail "nginx changed the ETag: '$etag', the service's: '$(header direct_gz etag)'"
ok "gzip arrives compressed once, with the service's strong ETag ($etag)"
# a body under 1 KiB the service sends as it is: nginx must not compress it (nor weaken its ETag)
req small_direct -H 'Accept-Encoding: gzip' -H 'X-Forwarded-Proto: https' -H "X-Forwarded-Host: 127.0.0.1:$https_port" "$a/conformance"
req small -H 'Accept-Encoding: gzip' "$n/conformance"
[ "$(status small)" = 200 ] && [ "$(header small content-encoding)" = "" ] && [ "$(wc -c <"$work/small.body")" -lt 1024 ] \
  && [ -n "$(header small etag)" ] && [ "$(header small etag)" = "$(header small_direct etag)" ] \
  || fail "a small answer through nginx: $(header small content-encoding) $(header small etag), the service's: $(header small_direct etag)"
ok "an answer the service sends uncompressed is passed on as it is, with its strong ETag"
req gz304 -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag" "$n$items"
req id "$n$items"
req id304 -H "If-None-Match: $(header id etag)" "$n$items"
[ "$(status gz304)" = 304 ] && [ "$(status id304)" = 304 ] && [ "$(status id)" = 200 ] \
  || fail "If-None-Match through nginx: gzip $(status gz304), identity $(status id304)"
[ "$(header id content-encoding)" = "" ] || fail "a client that takes no gzip got $(header id content-encoding)"
ok "304 on If-None-Match through nginx, for the gzip and the identity form"

# --- the proxy cache: keeps public answers, not private ones ---
hit=""
for _ in 1 2 3; do # a pair of requests further apart than max-age (a busy machine) is tried again
  u="$n/collections/initiatives/items?limit=3&offset=$((RANDOM * 30 + RANDOM % 30))"
  req c1 "$u"; req c2 "$u"
  [ "$(status c1)" = 200 ] && [ "$(header c1 x-cache-status)" = MISS ] || fail "first request: $(status c1) $(header c1 x-cache-status)"
  [ "$(header c2 x-cache-status)" = HIT ] && { hit=1; break; }
done
[ -n "$hit" ] && cmp -s "$work/c1.body" "$work/c2.body" || fail "a repeated request is not served from the proxy cache: $(header c2 x-cache-status)"
ok "the proxy cache serves a repeated public request (X-Cache-Status: HIT)"
key=$(DATABASE_URL=$RK_TEST_DATABASE_URL "$build/routekaartd" keys create --role moderator --name "nginx-$$-$RANDOM" 2>/dev/null)
u="$n/collections/initiatives/items?limit=2&offset=$((RANDOM * 30 + RANDOM % 30))"
req auth1 -H "Authorization: Bearer $key" "$u"
req auth2 -H "Authorization: Bearer $key" "$u"
req anon "$u"
[ "$(status auth1)" = 200 ] && [ "$(header auth1 x-cache-status)" = BYPASS ] && [ "$(header auth2 x-cache-status)" = BYPASS ] \
  && [ "$(header anon x-cache-status)" = MISS ] \
  || fail "a request with Authorization: $(header auth1 x-cache-status) $(header auth2 x-cache-status), then without: $(header anon x-cache-status)"
ok "a request with Authorization is neither answered from the proxy cache nor stored in it"
req adm1 "$n/admin/submissions?status=pending"
req adm2 -H "Authorization: Bearer $key" "$n/admin/submissions?status=pending"
[ "$(header adm1 x-cache-status)" = BYPASS ] && [ "$(status adm2)" = 200 ] && [ "$(header adm2 x-cache-status)" = BYPASS ] \
  || fail "/admin through the proxy cache: $(header adm1 x-cache-status) ($(status adm1)), $(header adm2 x-cache-status) ($(status adm2))"
[ "$(header adm1 content-type)" = application/problem+json ] || fail "/admin without a key: $(header adm1 content-type)"
ok "/admin never goes through the proxy cache"

# --- the client behind nginx: the write rate limit, the lockout, the log, the links ---
post() { # NAME SOURCE URL [curl options]: POST an empty object from a source address
  local name=$1 src=$2 url=$3; shift 3
  req "$name" --interface "$src" -X POST -H 'Content-Type: application/json' -d '{}' "$@" "$url/submissions"
}
statuses() { # SOURCE URL COUNT [curl options]: the statuses of COUNT posts
  local src=$1 url=$2 count=$3 s=""; shift 3
  for i in $(seq "$count"); do post p "$src" "$url" "$@"; s="$s $(status p)"; done
  echo "$s"
}
# two instances, a burst of 3 each: 7 writes from one client through nginx reach a 429
s2=$(statuses 127.0.0.2 "$n" 7)
grep -q 429 <<<"$s2" || fail "127.0.0.2 made 7 writes through nginx without a 429:$s2"
post p3 127.0.0.3 "$n"
[ "$(status p3)" != 429 ] || fail "127.0.0.3 is limited by what 127.0.0.2 did: both counted as nginx's address"
[ "$(header p content-type)" = application/problem+json ] || fail "429 is not problem+json"
ok "the write rate limit applies per client address behind nginx (127.0.0.2 limited:$s2; 127.0.0.3 not: $(status p3))"
# what 127.0.0.3 writes in X-Forwarded-For itself does not make it someone else
s3=""
for i in $(seq 7); do post p 127.0.0.3 "$n" -H "X-Forwarded-For: 198.51.100.$i"; s3="$s3 $(status p)"; done
grep -q 429 <<<"$s3" || fail "127.0.0.3 escaped the rate limit through nginx with its own X-Forwarded-For:$s3"
ok "an X-Forwarded-For sent through nginx does not escape the rate limit:$s3"
# straight to an instance, from an address that is no trusted proxy: the header means nothing
s4=""
for i in $(seq 5); do post p 127.0.0.4 "$a" -H "X-Forwarded-For: 198.51.100.$i"; s4="$s4 $(status p)"; done
[ "$(awk '{print $4}' <<<"$s4")" = 429 ] || fail "X-Forwarded-For sent straight to routekaartd was believed:$s4"
ok "X-Forwarded-For sent straight to routekaartd changes nothing (4th write 429:$s4)"
grep -q '"remote":"127.0.0.2"' "$work/a.log" "$work/b.log" && grep -q '"remote":"127.0.0.3"' "$work/a.log" "$work/b.log" \
  || fail "the instances' logs do not name the clients behind nginx"
! grep '"remote":"198.51.100.' "$work/a.log" "$work/b.log" || fail "a spoofed address reached the log"
ok "the log names the client behind nginx, never an address a client wrote itself"
# the request id: nginx's own, whatever the client sent, in the answer and in the instance's log
req rid -H 'X-Request-Id: chosen-by-the-client' "$n/collections/initiatives/items?limit=3&rid=1"
rid=$(header rid x-request-id)
[[ "$rid" =~ ^[0-9a-f]{32}$ ]] || fail "the answer through nginx carries X-Request-Id '$rid', not nginx's id"
grep -q "\"request_id\":\"$rid\"" "$work/a.log" "$work/b.log" || fail "no instance logged the request id $rid"
ok "the request id is nginx's, in the answer and in the instance's log ($rid)"
# failed keys: locked out per client (AUTH_FAILURES_PER_MINUTE=1: 10 at once, per instance)
locked=""
for i in $(seq 24); do
  req f --interface 127.0.0.2 -H 'Authorization: Bearer rkk_wrong' "$n/admin/submissions"
  [ "$(status f)" = 429 ] && { locked=$i; break; }
done
[ -n "$locked" ] || fail "24 failed keys from 127.0.0.2 through nginx were never locked out"
req f --interface 127.0.0.3 -H 'Authorization: Bearer rkk_wrong' "$n/admin/submissions"
[ "$(status f)" = 401 ] || fail "127.0.0.3 is locked out by 127.0.0.2's failures: $(status f)"
ok "the auth-failure lockout applies per client behind nginx (127.0.0.2 after $locked tries; 127.0.0.3 still 401)"
req links "$n/collections/initiatives/items?limit=1"
self=$(json links '[l["href"] for l in d["links"] if l["rel"] == "self"][0]')
[ "${self#"$n/collections/initiatives/items?"}" != "$self" ] || fail "links through nginx: $self"
req links_direct --interface 127.0.0.4 -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: evil.example' "$a/collections/initiatives/items?limit=1"
self_direct=$(json links_direct '[l["href"] for l in d["links"] if l["rel"] == "self"][0]')
[ "${self_direct#"$a/collections/initiatives/items?"}" != "$self_direct" ] || fail "X-Forwarded-Proto/Host straight to routekaartd were believed: $self_direct"
ok "links through nginx are https://host:port as the client asked; X-Forwarded-Proto/Host from others change nothing"

# --- two instances behind one nginx agree after a change ---
word=proxyproef$RANDOM$RANDOM
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["name"] += " " + sys.argv[2]; d["description"] += " " + sys.argv[2]; print(json.dumps(d))' \
  "$top/tests/cases/submission-valid.json" "$word" >"$work/submission.json"
req sub --interface 127.0.0.5 -X POST -H 'Content-Type: application/json' --data-binary "@$work/submission.json" "$n/submissions"
[ "$(status sub)" = 201 ] || fail "submission through nginx: $(status sub) $(cat "$work/sub.body")"
id=$(json sub 'd["id"]')
q="/collections/initiatives/items?q=$word"
for inst in "$a" "$b" "$a" "$b"; do # each instance has it in its own cache
  req before "$inst$q"; [ "$(json before 'd["numberMatched"]')" = 0 ] || fail "published before approval"
done
req nb1 "$n$q&limit=11"; req nb2 "$n$q&limit=12"
req before "$n$q&limit=11"
[ "$(header before x-cache-status)" = HIT ] || echo "# (the proxy cache entry expired before it was read again: a busy machine)"
req approve --interface 127.0.0.5 -X POST -H "Authorization: Bearer $key" "$n/admin/submissions/$id/approve"
[ "$(status approve)" = 200 ] || fail "approve through nginx: $(status approve) $(cat "$work/approve.body")"
# the instance that did not approve learns it from the database's NOTIFY, which arrives apart
# from the answer to the approval: a few reads at most
for inst in a b; do
  url=${!inst}
  for t in $(seq 20); do
    req after "$url$q"
    [ "$(json after 'd["numberMatched"]')" = 1 ] && break
    [ "$t" = 20 ] && fail "instance $inst still serves its cached answer from before the approval"
    sleep 0.1
  done
  ok "instance $inst serves the approved initiative (read $t after the approval)"
done
# nginx keeps its copy up to max-age (the documented bound); after that both instances answer anew
sleep $((max_age + 1))
lines_before=$(wc -l <"$work/logs/access.log")
req na1 "$n$q&limit=11"; req na2 "$n$q&limit=12"
for r in na1 na2; do
  [ "$(json $r 'd["numberMatched"]')" = 1 ] || fail "through nginx after max-age ($(header $r x-cache-status)): the old answer"
  case $(header $r x-cache-status) in EXPIRED|REVALIDATED|MISS) ;; *) fail "$r: $(header $r x-cache-status)";; esac
done
ups=$(tail -n +"$((lines_before + 1))" "$work/logs/access.log" | awk '{print $2}' | sort -u | tr '\n' ' ')
[ "$ups" = "$(printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$port_a" "$port_b" | sort | tr '\n' ' ')" ] \
  || fail "the two reads after max-age were not answered by both instances: $ups"
ok "through nginx, once its cached copy is older than max-age, both instances answer with the approval"

# --- errors nginx answers itself are problem+json ---
head -c 100000 /dev/zero | tr '\0' x >"$work/big.json"
req big -X POST -H 'Content-Type: application/json' --data-binary "@$work/big.json" "$n/submissions"
[ "$(status big)" = 413 ] && [ "$(header big content-type)" = application/problem+json ] \
  || fail "a body over 64 KiB through nginx: $(status big) $(header big content-type)"
ok "a body over MAX_BODY_BYTES is refused by nginx with a 413 problem+json"
for p in "${pids[@]}"; do kill "$p"; done
wait "${pids[@]}" 2>/dev/null || true
pids=()
req down "$n/collections/initiatives/items?limit=1&offset=$((RANDOM * 30 + RANDOM % 30))"
[ "$(status down)" = 503 ] && [ "$(header down content-type)" = application/problem+json ] && [ "$(header down retry-after)" = 1 ] \
  || fail "no instance up: $(status down) $(header down content-type)"
req down_cached "$u"
[ "$(status down_cached)" = 200 ] || fail "no instance up: a cached answer was not served ($(status down_cached))"
ok "no instance up: 503 problem+json with Retry-After, and what nginx has cached is still served ($(header down_cached x-cache-status))"
