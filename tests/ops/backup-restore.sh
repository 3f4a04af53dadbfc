#!/usr/bin/env bash
# The restore drill: a cluster (var/bkpri, with fsync, archiving its WAL with deploy/archive-wal.sh)
# serves routekaartd under a write load (submissions posted, every second one approved, each read
# back through the API) while deploy/backup.sh takes a base backup; the load goes on after it. Then
# deploy/restore.sh restores the backup with the archived WAL into a fresh cluster, routekaartd
# starts on it, and every acknowledged submission and every published feature is there as the API
# returned it (through the API, and by SQL). The same backup without the archive must hold what was
# acknowledged before the backup began, and must lack what came after it ended: the check sees it.
#   RK_BUILD=build tests/ops/backup-restore.sh     (tests/run.sh runs it)
. "$(dirname "$0")/lib/common.sh"
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}

new_cluster bkpri
cluster_env bkpri
# the WAL archive and the backups, writable by the cluster's owner
mkdir -p "$work/wal" "$work/backups"
cp "$top/deploy/archive-wal.sh" "$work/archive-wal.sh"
# the cluster's owner runs the scripts as a hosting party would, from a copy it can reach (as root
# that owner is "postgres", and the checkout may be in a folder private to root)
mkdir -p "$work/deploy/lib"
cp "$top/deploy/backup.sh" "$top/deploy/restore.sh" "$work/deploy/"
cp "$top/deploy/lib/pgurl.py" "$work/deploy/lib/"
[ "$(id -u)" -ne 0 ] || chown postgres "$work/wal" "$work/backups"
psql -XAtq -c "alter system set archive_mode = on" \
     -c "alter system set archive_command = '''$work/archive-wal.sh'' %p ''$work/wal'''"
"$top/deploy/pg.sh" stop bkpri && "$top/deploy/pg.sh" start bkpri
[ "$(psql -XAtc 'show fsync')" = on ] || die "the drill's cluster must run with fsync"

common=(PUBLIC_BASE_URL=http://routekaart.test WRITE_RATE_PER_MINUTE=100000 WRITE_RATE_BURST=100000)
start_server "$PGHOST" "$work/primary.log" "${common[@]}"
primary_url=$server_url primary_pid=$server_pid
key=$(DATABASE_URL="host=$PGHOST dbname=routekaart user=routekaart_app" \
      "$build/routekaartd" keys create --role moderator --name backup-drill | head -1)

python3 "$top/tests/ops/lib/load.py" --base "$primary_url" --out "$work/load.json" --stop "$work/stop" \
  --readers 1 --writers 2 --key "$key" &
load_pid=$!
helpers+=("$load_pid")
sleep 3
began=$(date +%s.%N)
out=$(as_pg "$work/deploy/backup.sh" --url "postgresql:///routekaart?host=$PGHOST&user=$PGUSER" --to "$work/backups") \
  || die "deploy/backup.sh failed: $out"
ended=$(date +%s.%N)
echo "# $out"
base=$(sed -n 's/^backup: \([^ ]*\) .*/\1/p' <<<"$out")
sleep 3
touch "$work/stop"
wait "$load_pid" || die "the load generator failed"
stop_server "$primary_pid"

python3 - "$work/load.json" "$began" "$ended" <<'PY' || die "the load did not do what the drill needs"
import json, sys
d = json.load(open(sys.argv[1])); began, ended = float(sys.argv[2]), float(sys.argv[3])
acked = d["acked"]
during = [r for r in acked if r["acked_at"] < ended and r.get("done_at", 0) > began]
print(f"# load: {d['statuses']}; {len(acked)} acknowledged, {sum(r['published'] for r in acked)} published, "
      f"{len([r for r in acked if r['acked_at'] < began])} before the backup, {len(during)} while it ran, "
      f"{len([r for r in acked if r['acked_at'] > ended])} after it")
bad = [u for u in d["unexpected"]]
assert not bad, f"unexpected answers during the load: {bad[:5]}"
assert len([r for r in acked if r["acked_at"] > ended]) > 0, "nothing was acknowledged after the backup"
assert len(during) > 0, "nothing was written while the backup ran"
PY
echo "ok - a base backup under write load: every answer of the load as expected"

# everything acknowledged is in the archive once the last segment is
lsn=$(psql -XAtc "select pg_walfile_name(pg_switch_wal())")
for i in $(seq 1 200); do
  [[ "$(psql -XAtc "select coalesce(last_archived_wal, '') from pg_stat_archiver")" > "$lsn" ]] \
    || [ "$(psql -XAtc "select coalesce(last_archived_wal, '') from pg_stat_archiver")" = "$lsn" ] && break
  sleep 0.1
done
[ -e "$work/wal/$lsn" ] || die "the last WAL segment $lsn was not archived"
"$top/deploy/pg.sh" stop bkpri

# restore_and_check NAME [restore.sh options]: restore into $work/NAME, start it and routekaartd on it
restore_and_check() {
  local name=$1; shift
  local data=$work/$name/data sock=$work/$name/run
  mkdir -p "$work/$name" "$sock"; [ "$(id -u)" -ne 0 ] || chown postgres "$work/$name" "$sock"
  local t0; t0=$(date +%s.%N)
  as_pg "$work/deploy/restore.sh" --from "$base" --pgdata "$data" "$@" >/dev/null || die "deploy/restore.sh failed"
  local t1; t1=$(date +%s.%N)
  as_pg "$pgbin/pg_ctl" -D "$data" -l "$work/$name/postgres.log" -w -t 120 \
    -o "-k $sock -c listen_addresses=''" start >/dev/null || { tail "$work/$name/postgres.log"; die "the restored cluster did not start"; }
  restored+=("$data")
  local t2; t2=$(date +%s.%N)
  start_server "$sock" "$work/$name.log" "${common[@]}"
  local i
  for i in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$server_url/readyz")" = 200 ] && break
    sleep 0.1
  done
  local t3; t3=$(date +%s.%N)
  echo "# restore $name: from the backup to a serving routekaartd in $(python3 -c "print(f'{$t3 - $t0:.1f} s (restore.sh {$t1 - $t0:.1f}, recovery and start {$t2 - $t1:.1f}, routekaartd ready {$t3 - $t2:.1f})')")"
  summary=$(python3 "$top/tests/ops/lib/check-restore.py" --base "$server_url" --load "$work/load.json" "${before[@]}")
  sql_missing=$(PGHOST=$sock psql -XAtc "select count(*) from unnest(array[$(python3 -c "
import json; print(','.join(str(r['id']) for r in json.load(open('$work/load.json'))['acked']) or '0')")]::bigint[]) a(id)
    where not exists (select from kaart.initiative i where i.id = a.id)")
  sql_published=$(PGHOST=$sock psql -XAtc "select count(*) from kaart.initiative where status = 'published' and id in ($(python3 -c "
import json; print(','.join(str(r['id']) for r in json.load(open('$work/load.json'))['acked'] if r['published']) or '0')"))")
  stop_server "$server_pid"
}
restored=()
stop_restored() { local d; for d in "${restored[@]}"; do as_pg "$pgbin/pg_ctl" -D "$d" -m fast -w stop >/dev/null 2>&1 || true; done; }
trap 'stop_restored; cleanup' EXIT

before=()
restore_and_check full --wal "$work/wal"
published=$(python3 -c "import json; print(sum(r['published'] for r in json.load(open('$work/load.json'))['acked']))")
if python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d['checked'] > 0 and not d['missing'] and not d['differ'] else 1)" "$summary" \
   && [ "$sql_missing" = 0 ] && [ "$sql_published" = "$published" ]; then
  ok "restored with the archived WAL: every acknowledged submission and every published feature is there as the API returned it ($summary; by SQL: none missing, all $published published)"
else
  not_ok "the restore lacks what was acknowledged: $summary; by SQL $sql_missing missing, $sql_published of $published published"
fi

# the base backup alone: what was acknowledged before it began is there, what came after it ended is not
before=(--before "$began")
restore_and_check plain
if python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d['checked'] > 0 and not d['missing'] and not d['differ'] else 1)" "$summary"; then
  ok "the base backup alone holds every submission acknowledged before it began ($summary)"
else
  not_ok "the base backup alone lacks submissions acknowledged before it began: $summary"
fi
before=()
start_server "$work/plain/run" "$work/plain-again.log" "${common[@]}"
summary=$(python3 "$top/tests/ops/lib/check-restore.py" --base "$server_url" --load "$work/load.json")
after=$(python3 -c "import json; print(sum(1 for r in json.load(open('$work/load.json'))['acked'] if r['acked_at'] > $ended))")
if python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if len(d['missing']) >= int(sys.argv[2]) else 1)" "$summary" "$after"; then
  ok "and without the archived WAL the check finds the $after submissions acknowledged after the backup ended missing ($(python3 -c "import json,sys; print(len(json.loads(sys.argv[1])['missing']))" "$summary") in all)"
else
  not_ok "without the archived WAL the check should find at least $after missing: $summary"
fi
finish
