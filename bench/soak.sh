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
# would need half an hour, which is what the slope is printed for.
#
#   bench/soak.sh     (prints the markdown report; also written to var/soak-results/DATE/report.md
#                      with the samples, the writes and the server's log)
#
# Settings (environment):
#   SOAK_SECONDS=600            duration of the load
#   SOAK_WARMUP=60              seconds after which the RSS is the baseline (< SOAK_SECONDS)
#   SOAK_SAMPLE=10              seconds between samples
#   SOAK_THREADS=2              wrk threads
#   SOAK_CONNECTIONS=16         wrk connections
#   SOAK_WRITES_PER_SECOND=4    pace of the write process (requests/s, bad ones included)
#   SOAK_RSS_SLACK_MIB=8        the bound above
#   SOAK_TIMEOUT=10             wrk's request timeout (s); a slower answer counts as a timeout
#
# Exit status: 0 when nothing unexpected happened, every 2xx write is in the database and the RSS
# stayed within the bound; 1 otherwise. Installs wrk when missing (sudo when not root), builds with
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

cat > "$tmp/reads.lua" <<'LUA'
-- Cycles through the read targets (reads.tsv: Accept, Accept-Encoding or -, target), each thread from
-- another place; counts the statuses; done() prints what the shell reads.
local threads = {}
local reqs = {}
local next_req = 0
counts = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    local accept, enc, target = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local h = { ["Accept"] = accept }
    if enc ~= "-" then h["Accept-Encoding"] = enc end
    reqs[#reqs + 1] = wrk.format("GET", target, h)
  end
  next_req = (id * 7) % #reqs
end

function request()
  next_req = next_req % #reqs + 1
  return reqs[next_req]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("counts")) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d %d\n", code, n)) end
  local e = summary.errors
  io.write(string.format("requests %d\nduration_us %d\n", summary.requests, summary.duration))
  io.write(string.format("errors connect %d read %d write %d timeout %d\n", e.connect, e.read, e.write, e.timeout))
  io.write(string.format("latency p50 %d p99 %d max %d\n", latency:percentile(50), latency:percentile(99), latency.max))
end
LUA

# --- the writes --------------------------------------------------------------------------------
cat > "$tmp/writer.py" <<'PY'
"""The write side of the soak: cycles of submit, correct, moderate and withdraw, plus one
deliberately bad request a cycle. Every request: a line in writes.tsv (seconds, operation,
expected status, status, ms, verdict). At the end: expected.csv (the state of every submission
as the 2xx answers left it) and counts.tsv."""
import csv, http.client, json, sys, time

base_port, key, deadline_s, rate, tag, outdir, template = sys.argv[1:8]
port, deadline, rate = int(base_port), time.monotonic() + float(deadline_s), float(rate)
doc_template = json.load(open(template, encoding="utf-8"))
t0 = time.monotonic()
sent = 0
log = open(f"{outdir}/writes.tsv", "w", encoding="utf-8")
log.write("t_s\top\texpected\tstatus\tms\tverdict\n")
counts = {}          # (op, status, verdict) -> n
state = {}           # id -> dict(status, name, description, reason, token)
revisions_applied = 0
last_wrong_token = -1e9

def request(op, method, path, body=None, headers=None, expect=200, ctype="application/json"):
    """One request on a connection of its own, paced; returns (status, parsed JSON or None)."""
    global sent
    now = time.monotonic()
    slot = t0 + sent / rate
    if slot > now:
        time.sleep(slot - now)
    sent += 1
    h = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode("utf-8")
        h["Content-Type"] = ctype
    start = time.monotonic()
    status, parsed = 0, None
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        status = r.status
        c.close()
        if raw and "json" in (r.getheader("Content-Type") or ""):
            parsed = json.loads(raw)
    except Exception as e:  # a connection error or timeout: status 0
        sys.stderr.write(f"writer: {op} {method} {path}: {e!r}\n")
    ms = (time.monotonic() - start) * 1000
    if status == expect:
        verdict = "expected"
    elif status == 0:
        verdict = "UNEXPECTED (no answer)"
    else:
        verdict = "UNEXPECTED"
        sys.stderr.write(f"writer: {op} {method} {path}: {status}, expected {expect}: {str(parsed)[:300]}\n")
    counts[(op, status, verdict)] = counts.get((op, status, verdict), 0) + 1
    log.write(f"{start - t0:.3f}\t{op}\t{expect}\t{status}\t{ms:.2f}\t{verdict}\n")
    return status, parsed

def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}

MOD = bearer(key)
closed = []          # ids of rejected or withdrawn submissions
last_decided = None  # an id whose new submission was approved or rejected

def deliberate(i):
    """One request that must be refused, by kind."""
    global last_wrong_token
    kind = i % 6
    if kind == 0:
        request("bad: invalid body", "POST", "/submissions", {}, expect=422)
    elif kind == 1:
        request("bad: malformed JSON", "POST", "/submissions", "{", expect=400)
    elif kind == 2:
        request("bad: text/plain", "POST", "/submissions", "{}", ctype="text/plain", expect=415)
    elif kind == 3 and last_decided is not None and state[last_decided]["status"] in ("published", "rejected", "withdrawn"):
        # nothing pending: a second approval
        request("bad: approve decided", "POST", f"/admin/submissions/{last_decided}/approve", headers=MOD, expect=409)
    elif kind == 4:
        request("bad: no such submission", "POST", "/admin/submissions/999999999/approve", headers=MOD, expect=404)
    elif kind == 5 and closed:
        sid = closed[-1]
        now = time.monotonic()
        if now - last_wrong_token >= 10:
            last_wrong_token = now
            request("bad: wrong edit token", "PATCH", f"/submissions/{sid}", {"description": "x"},
                    headers=bearer("rke_" + "A" * 32), expect=401)
        else:
            request("bad: change a closed one", "PATCH", f"/submissions/{sid}", {"description": "x"},
                    headers=bearer(state[sid]["token"]), expect=409)
    else:
        request("bad: invalid body", "POST", "/submissions", {"name": "x"}, expect=422)

i = 0
while time.monotonic() < deadline:
    i += 1
    name = f"Soak {tag} {i}"
    doc = dict(doc_template, name=name)
    idem = {"Idempotency-Key": f"soak-{tag}-{i}"}
    st, body = request("submit", "POST", "/submissions", doc, headers=idem, expect=201)
    if st != 201:
        deliberate(i)
        continue
    sid, tok = body["id"], body["edit_token"]
    state[sid] = {"status": "submitted", "name": name, "description": doc.get("description"), "reason": None, "token": tok}
    if i % 5 == 0:
        st, again = request("submit again (same key)", "POST", "/submissions", doc, headers=idem, expect=201)
        if st == 201 and (again.get("id") != sid or again.get("edit_token") != tok):
            counts[("submit again (same key): another id or token", st, "UNEXPECTED")] = 1 + counts.get(("submit again (same key): another id or token", st, "UNEXPECTED"), 0)
    desc = f"Soak-correctie {tag} {i}: ook met stages in de regio."
    st, _ = request("correct (PATCH)", "PATCH", f"/submissions/{sid}", {"description": desc}, headers=bearer(tok))
    if st == 200:
        state[sid]["description"] = desc
    if i % 8 == 7:
        reason = f"Soak {tag}: geen mbo-partner bevestigd."
        st, _ = request("reject", "POST", f"/admin/submissions/{sid}/reject", {"reason": reason}, headers=MOD)
        if st == 200:
            state[sid].update(status="rejected", reason=reason)
            closed.append(sid)
            last_decided = sid
    else:
        st, _ = request("approve", "POST", f"/admin/submissions/{sid}/approve", headers=MOD)
        if st == 200:
            state[sid]["status"] = "published"
            last_decided = sid
    if state[sid]["status"] == "published" and i % 3 == 0:
        newname = f"Soak {tag} {i} herzien"
        st, _ = request("revise (PATCH published)", "PATCH", f"/submissions/{sid}", {"name": newname}, headers=bearer(tok))
        if st == 200:
            st, _ = request("approve revision", "POST", f"/admin/submissions/{sid}/approve", headers=MOD)
            if st == 200:
                state[sid]["name"] = newname
                revisions_applied += 1
    if state[sid]["status"] == "published" and i % 4 == 1:
        reason = f"Soak {tag}: de route wordt niet meer aangeboden."
        st, _ = request("withdraw (moderator)", "POST", f"/admin/submissions/{sid}/withdraw", {"reason": reason}, headers=MOD)
        if st == 200:
            state[sid].update(status="withdrawn", reason=reason)
            closed.append(sid)
    elif state[sid]["status"] == "published" and i % 8 == 2:
        st, _ = request("withdraw (submitter)", "DELETE", f"/submissions/{sid}", headers=bearer(tok))
        if st == 200:
            state[sid]["status"] = "withdrawn"
            closed.append(sid)
    deliberate(i)

log.close()
with open(f"{outdir}/expected.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    for sid, s in sorted(state.items()):
        w.writerow([sid, s["status"], s["name"], s["description"] or "", s["reason"] or ""])
with open(f"{outdir}/counts.tsv", "w", encoding="utf-8") as f:
    for (op, st, verdict), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        f.write(f"{op}\t{st}\t{verdict}\t{n}\n")
with open(f"{outdir}/summary.txt", "w", encoding="utf-8") as f:
    f.write(f"cycles {i}\nrequests {sent}\nsubmissions {len(state)}\nrevisions_applied {revisions_applied}\n")
PY

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
python3 "$tmp/writer.py" "$port" "$key" "$seconds" "$write_rate" "$tag" "$out" tests/cases/submission-valid.json 2>"$out/writer.log" &
writer_pid=$!
wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout "${wrk_timeout}s" -s "$tmp/reads.lua" "$base" -- "$tmp/reads.tsv" >"$out/wrk.txt" 2>&1 &
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
psql -XAtq -v ON_ERROR_STOP=1 -F $'\t' > "$out/db-check.txt" <<SQL
create temp table expected (id bigint primary key, status text, name text, description text, reason text);
\copy expected from '$out/expected.csv' with (format csv)
-- the submissions the writer got a 201 for, and those in the database exactly as the last 2xx left them
select 'acknowledged', count(*) from expected;
select 'as_answered', count(*) from expected e join kaart.initiative i using (id)
 where i.source = 'submission' and i.status = e.status and i.name = e.name
   and i.description is not distinct from e.description
   and coalesce(i.withdrawal_reason, i.rejection_reason) is not distinct from e.reason;
-- every row of this run: no second one from a repeated Idempotency-Key, nothing from a bad request
select 'rows_of_run', count(*) from kaart.initiative where name like 'Soak $tag %';
select 'revisions_approved', count(*) from kaart.revision r join expected e on e.id = r.initiative_id where r.status = 'approved';
select 'mismatch', e.id, e.status || '/' || coalesce(i.status, 'missing'), e.name || ' / ' || coalesce(i.name, '')
  from expected e left join kaart.initiative i using (id)
 where i.id is null or i.status <> e.status or i.name <> e.name or i.description is distinct from e.description
    or coalesce(i.withdrawal_reason, i.rejection_reason) is distinct from e.reason
 order by e.id limit 5;
SQL

# --- the report --------------------------------------------------------------------------------
python3 - "$out" "$seconds" "$warmup" "$threads" "$conns" "$write_rate" "$slack_mib" "$cache_max" \
  "$nreads" "$server_exit" "$writer_ok" "$load" "$start_sample" "$end_sample" <<'PY' | tee "$out/report.md"
import re, sys
(out, seconds, warmup, threads, conns, write_rate, slack_mib, cache_max, nreads, server_exit,
 writer_ok, load, start_sample, end_sample) = sys.argv[1:15]
seconds, warmup, slack_mib, cache_max = int(seconds), int(warmup), int(slack_mib), int(cache_max or 0)
MiB = 1024.0
problems = []

def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]

# reads (wrk)
wrk = open(f"{out}/wrk.txt", encoding="utf-8", errors="replace").read()
rstatus = {int(a): int(b) for a, b in re.findall(r"^status (\d+) (\d+)$", wrk, re.M)}
m = re.search(r"^requests (\d+)$", wrk, re.M)
if not m:
    print(wrk[-2000:], file=sys.stderr)
    sys.exit("soak: wrk gave no summary")
rreq = int(m.group(1))
rdur = int(re.search(r"^duration_us (\d+)$", wrk, re.M).group(1)) / 1e6
err = dict(zip(("connect", "read", "write", "timeout"), map(int, re.search(
    r"^errors connect (\d+) read (\d+) write (\d+) timeout (\d+)$", wrk, re.M).groups())))
lat = re.search(r"^latency p50 (\d+) p99 (\d+) max (\d+)$", wrk, re.M)
r50, r99, rmax = (int(x) / 1000 for x in lat.groups())
r_unexpected = sum(n for c, n in rstatus.items() if c != 200) + sum(err.values())

# writes
rows = [l.rstrip("\n").split("\t") for l in open(f"{out}/writes.tsv", encoding="utf-8")][1:]
wlat = [float(r[4]) for r in rows]
wreq = len(rows)
wstatus, ops = {}, {}
for t, op, expect, st, ms, verdict in rows:
    o = ops.setdefault(op, [expect, 0, {}])
    if verdict == "expected":
        o[1] += 1
    else:
        o[2][st] = o[2].get(st, 0) + 1
    wstatus.setdefault(verdict == "expected", {}).setdefault(st, 0)
    wstatus[verdict == "expected"][st] += 1
for line in open(f"{out}/counts.tsv", encoding="utf-8") if writer_ok == "1" else []:
    op, st, verdict, n = line.rstrip("\n").split("\t")
    if op.endswith("another id or token"):
        ops.setdefault(op, ["same id", 0, {}])[2][st] = int(n)
w_unexpected = sum(sum(o[2].values()) for o in ops.values())
summary = dict(l.split() for l in open(f"{out}/summary.txt", encoding="utf-8") if l.strip())

# database
db = [l.rstrip("\n").split("\t") for l in open(f"{out}/db-check.txt", encoding="utf-8") if l.strip()]
dbv = {r[0]: int(r[1]) for r in db if r[0] != "mismatch"}
mismatches = [r[1:] for r in db if r[0] == "mismatch"]
acked = dbv.get("acknowledged", 0)
writes_2xx = sum(n for st, n in wstatus.get(True, {}).items() if st.startswith("2"))

# memory
samples = []
for l in list(open(f"{out}/samples.tsv", encoding="utf-8"))[1:]:
    f = l.rstrip("\n").split("\t")
    if len(f) == 8 and f[1]:
        samples.append({"t": int(f[0]), "rss": int(f[1]), "hwm": int(f[2]), "threads": f[3], "fds": f[4],
                        "cache": int(f[5] or 0), "entries": f[6], "5xx": int(f[7] or 0)})
start = start_sample.split("\t"); end = end_sample.split("\t")
rss_start = int(start[1]) / MiB
w = next(s for s in samples if s["t"] >= warmup)
after = [s for s in samples if s["t"] >= warmup]
peak = max(after, key=lambda s: s["rss"])
rss_end = int(end[1]) / MiB
n = len(after)
mt = sum(s["t"] for s in after) / n; mr = sum(s["rss"] for s in after) / n
den = sum((s["t"] - mt) ** 2 for s in after)
slope = (sum((s["t"] - mt) * (s["rss"] - mr) for s in after) / den * 600 / MiB) if den else 0.0
cache_growth = max(0, peak["cache"] - w["cache"]) / MiB / MiB
growth = (peak["rss"] - w["rss"]) / MiB
excess = growth - cache_growth
server_5xx = int(end[7] or 0)

if r_unexpected:
    problems.append(f"{r_unexpected} unexpected reads")
if w_unexpected:
    problems.append(f"{w_unexpected} unexpected writes")
if server_5xx:
    problems.append(f"the server counted {server_5xx} 5xx answers (/metrics)")
if writer_ok != "1":
    problems.append("the write process failed")
if dbv.get("as_answered") != acked or dbv.get("rows_of_run") != acked or dbv.get("revisions_approved") != int(summary.get("revisions_applied", -1)):
    problems.append("the database does not hold the writes as answered")
if excess > slack_mib:
    problems.append(f"RSS grew {excess:.1f} MiB after the warm-up beyond the cache's growth (bound {slack_mib} MiB)")
if server_exit != "0":
    problems.append(f"the server exited {server_exit} on SIGTERM")

def codes(d):
    return ", ".join(f"{c} × {n:,}" for c, n in sorted(d.items())) or "none"

total = rreq + wreq
print(f"Soak: {seconds} s; reads: wrk, {threads} threads, {conns} connections, cycling through {nreads} targets; "
      f"writes: one process, {write_rate} requests/s, {summary.get('cycles', '?')} cycles. Load average at the end: {load}.")
print()
print("| | reads | writes | all |")
print("|---|---:|---:|---:|")
print(f"| duration | {rdur:.0f} s | {seconds} s | |")
print(f"| requests | {rreq:,} | {wreq:,} | {total:,} |")
print(f"| req/s | {rreq / rdur:,.0f} | {wreq / seconds:.1f} | {total / rdur:,.0f} |")
print(f"| p50 / p99 latency | {r50:.2f} / {r99:.2f} ms (max {rmax:.0f}) | {pct(wlat, 50):.1f} / {pct(wlat, 99):.1f} ms (max {max(wlat or [0]):.0f}) | |")
print(f"| expected statuses | {codes({c: n for c, n in rstatus.items() if c == 200})} | {codes(wstatus.get(True, {}))} | |")
print(f"| UNEXPECTED | {r_unexpected} ({codes({c: n for c, n in rstatus.items() if c != 200})}; connection errors {err['connect'] + err['read'] + err['write']}, timeouts {err['timeout']}) "
      f"| {w_unexpected} ({codes(wstatus.get(False, {}))}) | {r_unexpected + w_unexpected} |")
print()
print("| write | expected | as expected | UNEXPECTED |")
print("|---|---|---:|---:|")
for op, (expect, ok, bad) in sorted(ops.items(), key=lambda kv: (kv[0].startswith("bad"), kv[0])):
    print(f"| {op} | {expect} | {ok:,} | {sum(bad.values())}{' (' + codes(bad) + ')' if bad else ''} |")
print()
print(f"| memory (VmRSS of routekaartd) | |")
print("|---|---:|")
print(f"| at start (listening, before the load) | {rss_start:.1f} MiB |")
print(f"| after the warm-up ({warmup} s) | {w['rss'] / MiB:.1f} MiB |")
print(f"| max after the warm-up | {peak['rss'] / MiB:.1f} MiB (at {peak['t']} s) |")
print(f"| at the end | {rss_end:.1f} MiB |")
print(f"| slope after the warm-up (least squares) | {slope:+.2f} MiB per 10 min |")
print(f"| response cache after the warm-up / at the max / at the end | {w['cache'] / MiB / MiB:.1f} / {peak['cache'] / MiB / MiB:.1f} / {int(end[5] or 0) / MiB / MiB:.1f} MiB (cap {cache_max / MiB / MiB:.0f} MiB) |")
print(f"| growth after the warm-up beyond the cache's | {excess:+.1f} MiB (bound {slack_mib} MiB): {'ok' if excess <= slack_mib else 'EXCEEDED'} |")
print(f"| threads, open descriptors after the warm-up / at the end | {w['threads']}, {w['fds']} / {end[3]}, {end[4]} |")
print()
print(f"Database: {acked:,} submissions acknowledged (201), {writes_2xx:,} writes answered 2xx; "
      f"{dbv.get('as_answered', 0):,} of them in the database exactly as the last 2xx left them "
      f"(status, name, description, reason); {dbv.get('rows_of_run', 0):,} rows of this run in all "
      f"(a repeated Idempotency-Key made none); {dbv.get('revisions_approved', 0)} approved revisions of "
      f"{summary.get('revisions_applied', '?')} answered 200.")
for mm in mismatches:
    print(f"  mismatch: id {mm[0]}: {mm[1]}: {mm[2]}")
print(f"Server: {server_5xx} 5xx answers by its own count; exit status {server_exit} on SIGTERM.")
print()
print("RSS every minute (MiB; cache = routekaart_cache_bytes):")
print()
print("| s | RSS | cache | entries | threads | fds |")
print("|---:|---:|---:|---:|---:|---:|")
for s in samples:
    if s["t"] % 60 == 0:
        print(f"| {s['t']} | {s['rss'] / MiB:.1f} | {s['cache'] / MiB / MiB:.1f} | {s['entries']} | {s['threads']} | {s['fds']} |")
print()
print("Result: " + ("ok" if not problems else "FAILED: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
PY
