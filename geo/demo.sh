#!/usr/bin/env bash
# Generate demo data: clearly marked demo mbo institutions and companies, and demo initiatives at
# real vmbo locations.
#
#   geo/demo.sh [--count N] [--pending N] [--seed S] [--batch N]
#
#   --count N    published initiatives (default 600, about the size of the real map)
#   --pending N  submitted initiatives awaiting review (default 40)
#   --seed S     seed of the generator (default 1); the same arguments give the same data
#   --batch N    initiatives per batch (default 50000); one progress line per batch on stderr
#
# Besides these, 1% rejected and 1.5% withdrawn initiatives (at least 2 of each). Running it again
# replaces the previous demo initiatives (source 'demo'); submissions and imports are never
# touched. One transaction: a failed run changes nothing. Needs the reference data
# (geo/load-reference.sh).
# The connection comes from the standard libpq environment (PGHOST, PGDATABASE, ...).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "demo: $*" >&2; exit 1; }

count=600 pending=40 seed=1 batch=50000
while [ $# -gt 0 ]; do
  case "$1" in
    --count|--pending|--seed|--batch)
      [ $# -ge 2 ] || die "$1 needs a value"
      declare "${1#--}=$2"; shift 2 ;;
    --count=*|--pending=*|--seed=*|--batch=*)
      opt=${1%%=*}; declare "${opt#--}=${1#*=}"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in count pending seed batch; do
  [[ "${!v}" =~ ^[0-9]{1,9}$ ]] || die "--$v needs a whole number, not '${!v}'"
done
[ "$batch" -ge 1 ] || die "--batch must be at least 1"
[ "$count" -le 10000000 ] || die "--count above 10000000 is not supported"
command -v psql >/dev/null || die "psql not found (install postgresql-client)"

rejected=$(( count / 100 > 2 ? count / 100 : 2 ))
withdrawn=$(( count * 15 / 1000 > 2 ? count * 15 / 1000 : 2 ))
total=$(( count + pending + rejected + withdrawn ))
nbatches=$(( (total + batch - 1) / batch ))
t0=$(date +%s.%N)

psql_() { (cd "$top/geo" && psql -X -q -At -v ON_ERROR_STOP=1 "$@"); }

# One session, one transaction: the demo organisations and the removal of the previous demo
# initiatives, the generator's set-up, one statement per batch with a progress line, the deferred
# checks at commit.
{
  echo 'begin;'
  echo '\i demo-prepare.sql'
  echo '\i demo.sql'
  for (( k = 0; k < nbatches; k++ )); do
    lo=$(( k * batch + 1 )); hi=$(( lo + batch - 1 )); [ "$hi" -gt "$total" ] && hi=$total
    echo "select pg_temp.demo_batch($lo, $hi) \\gset"
    echo "select round((extract(epoch from clock_timestamp()) - $t0)::numeric, 1) as secs \\gset"
    echo "\\warn demo: $hi/$total initiatives (:secs s)"
  done
  echo '\warn demo: checking and committing'
  echo 'commit;'
} | psql_ -v seed="$seed" -v published="$count" -v pending="$pending" -v rejected="$rejected" \
  || die "failed; nothing was changed"

# Fresh statistics for the planner, and a summary. VACUUM sets the visibility map, so tiles read
# their covering index without the table; the cell counts, updated once per batch, are compacted.
psql_ <<'SQL'
vacuum (analyze) kaart.initiative;
vacuum full kaart.initiative_cell;
analyze kaart.party;
analyze kaart.contact_person;
analyze kaart.organisation;
select format('demo: %s initiatives (%s), %s contact persons',
  (select count(*) from kaart.initiative where source = 'demo'),
  (select string_agg(format('%s %s', n, status), ', ' order by n desc)
   from (select status, count(*) n from kaart.initiative where source = 'demo' group by status) s),
  (select count(*) from kaart.contact_person c join kaart.initiative i on i.id = c.initiative_id where i.source = 'demo'));
SQL
printf 'demo: done in %s s\n' "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"
