#!/usr/bin/env bash
# Load the reference data (CBS regions, gemeente → region table, DUO vo-vestigingen, PC4 points)
# into the ref schema.
#
#   geo/load-reference.sh [DATA_DIR]
#
# DATA_DIR defaults to $RK_DATA_DIR, else geo/data in the checkout (the committed snapshot); its
# layout is described in geo/README.md, its sources and licences in geo/data/README.md.
# RK_REGION_YEAR (default 2025) is the CBS division year of the region files. The connection
# comes from the standard libpq environment (PGHOST, PGDATABASE, ...); the database must be
# migrated (sql/migrate.sh). One transaction: a failed load changes nothing, and loading the same
# files again changes nothing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
dir=${1:-${RK_DATA_DIR:-$top/geo/data}}
year=${RK_REGION_YEAR:-2025}

die() { echo "load-reference: $*" >&2; exit 1; }
[[ "$year" =~ ^20[0-9]{2}$ ]] || die "RK_REGION_YEAR must be a year, not '$year'"
[ -d "$dir" ] || die "data directory '$dir' not found (give it as argument or set RK_DATA_DIR)"
files=(regions/provincie.geojson regions/arbeidsmarktregio.geojson regions/rmc.geojson
       regions/gemeente.geojson regions/gemeente_regio.csv schools/vo_vestigingen.csv
       postcode/pc4_centroids.csv)
for f in "${files[@]}"; do
  [ -f "$dir/$f" ] || die "missing file $dir/$f"
  [ -r "$dir/$f" ] || die "cannot read $dir/$f"
done
command -v psql >/dev/null || die "psql not found (install postgresql-client)"

t0=$(date +%s%N)
# From inside the data directory, so the script names each file by its plain relative path.
# In the same transaction, the region outlines of the vector tiles follow the regions (api.refresh_region_tiles, sql/api/70_tile_cells.sql).
(cd "$dir" && psql -X -q -At -1 -v ON_ERROR_STOP=1 -v year="$year" -f "$top/geo/load-reference.sql" \
   -c "select format('region tiles: %s outlines', api.refresh_region_tiles())") \
  || die "loading failed; nothing was changed"
t1=$(date +%s%N)
printf 'load-reference: done in %d ms\n' $(( (t1 - t0) / 1000000 ))
