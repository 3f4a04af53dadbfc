#!/usr/bin/env bash
# An upgrade of the database applies while the old version keeps serving: with routekaartd under a
# read and write load (tests/ops/lib/load.py: pages, features, overviews and tiles that miss the
# response cache, submissions approved and read back), sql/migrate.sh runs again with nothing to
# do, then a newer checkout's migrate.sh adds a column to kaart.initiative and replaces the api,
# then runs again with nothing to do; no request fails (no 5xx, no unexpected status, every error
# problem+json) and requests were answered during each run. Each reader pauses RK_LOAD_PAUSE
# seconds (0.02) between requests; the writer does not.
#   RK_BUILD=build tests/ops/upgrade-live.sh     (tests/run.sh runs it; its own cluster var/uplive)
. "$(dirname "$0")/lib/common.sh"

new_cluster uplive
cluster_env uplive
start_server "$PGHOST" "$work/server.log" WRITE_RATE_PER_MINUTE=100000 WRITE_RATE_BURST=100000
key=$(DATABASE_URL="host=$PGHOST dbname=routekaart user=routekaart_app" \
      "$build/routekaartd" keys create --role moderator --name upgrade-live | head -1)

# The next version: this checkout's sql/ and code lists, a migration that adds a column, and an
# api whose files changed (a new function), so that the api is replaced.
next=$work/next
mkdir -p "$next/geo"
cp -r "$top/sql" "$next/sql"
cp "$top/geo/codelists.json" "$next/geo/"
cat > "$next/sql/migrations/999_live_upgrade.sql" <<'SQL'
set local role routekaart_owner;
alter table kaart.initiative add column live_upgrade_note text;
SQL
cat > "$next/sql/api/99_live_upgrade.sql" <<'SQL'
set local role routekaart_owner;
create function api.live_upgrade_probe() returns integer language sql stable return 1;
grant execute on function api.live_upgrade_probe() to routekaart_web;
SQL

owner_url="postgresql:///routekaart?host=$PGHOST&user=routekaart_owner"
python3 "$top/tests/ops/lib/load.py" --base "$server_url" --out "$work/load.json" --stop "$work/stop" \
  --readers 4 --writers 1 --key "$key" --pause "${RK_LOAD_PAUSE:-0.02}" &
load_pid=$!
helpers+=("$load_pid")
sleep 2
windows=()
for run in same next next-again; do
  case "$run" in next*) dir=$next ;; *) dir=$top ;; esac
  t0=$(date +%s.%N)
  out=$("$dir/sql/migrate.sh" --url "$owner_url" 2>&1) || { echo "$out"; not_ok "migrate.sh ($run) failed under load"; }
  t1=$(date +%s.%N)
  windows+=("$run $t0 $t1")
  echo "# migrate ($run): $(tail -1 <<<"$out")"
  sleep 1
done
sleep 1
touch "$work/stop"
wait "$load_pid" || die "the load generator failed"

python3 - "$work/load.json" "${windows[@]}" <<'PY' || failed=1
import json, sys
d = json.load(open(sys.argv[1]))
bad = [u for u in d["unexpected"]]
total = sum(d["statuses"].values())
print(f"# {total} requests: {d['statuses']}")
ok = True
for w in sys.argv[2:]:
    run, a, b = w.split(); a = float(a); b = float(b)
    during = [t for t in d["timeline"] if t[0] < b and t[1] > a]
    longest = max((t[1] - t[0] for t in during), default=0)
    print(f"# during migrate ({run}, {b - a:.2f} s): {len(during)} requests answered, the longest took {longest:.2f} s")
    if not during:
        print(f"not ok - no request was under way while migrate ({run}) ran"); ok = False
if bad:
    print(f"not ok - {len(bad)} unexpected answers, among them: {json.dumps([u for u in bad if u][:10])}"); ok = False
else:
    print(f"ok - {total} requests under a read and write load, none failed or answered 5xx, while migrate.sh ran three times (once adding a column and replacing the api)")
writes = len(d["acked"])
if writes == 0:
    print("not ok - no submission was acknowledged during the load"); ok = False
sys.exit(0 if ok else 1)
PY

if [ "$(psql -XAtc "select count(*) from pg_attribute where attrelid = 'kaart.initiative'::regclass and attname = 'live_upgrade_note'")" = 1 ] \
   && [ "$(psql -XAtc "select api.live_upgrade_probe()")" = 1 ]; then
  ok "the new column and the new api function are there"
else
  not_ok "the upgrade did not take"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$server_url/collections/initiatives/items?limit=3")
[ "$code" = 200 ] && ok "the old server reads on after the upgrade" || not_ok "after the upgrade: $code"
finish
