#!/usr/bin/env bash
# The rebuild of the reference data (geo/rebuild-reference.sh) tested on the committed snapshot:
# the snapshot is turned back into files in the official formats (PDOK GeoJSON in EPSG:28992 and
# 4326, DUO CSV in Windows-1252 with ';', NLExtract's BAG CSV, DUO leerlingen, GeoNames NL.txt),
# with rows added that exercise each rule (tests/ops/reference-rebuild.py says which); the rebuild
# of those must give the snapshot again: the CSV files byte for byte, the gemeente outlines byte for
# byte, the dissolved region outlines equal as geometries (ST_Equals: the dissolve may start a ring
# elsewhere). Also: a DUO gemeentenaam that matches no gemeente stops the rebuild, and nothing is
# written. One 'ok - ' line per check; a failed check exits non-zero with a message.
#
#   tests/ops/reference-rebuild.sh        (tests/run.sh runs it with RK_BUILD set; it needs none)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
data="$top/geo/data"
here="$top/tests/ops"
fail() { echo "not ok - $*" >&2; exit 1; }

work=$(mktemp -d)
chmod 755 "$work"
cluster="refcheck-$$"
trap '"$top/deploy/pg.sh" destroy "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/stage" "$work/in" "$work/out"

RK_PG_FAST=1 "$top/deploy/pg.sh" start "$cluster"
set -a; . "$top/var/$cluster.env"; set +a
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
q -c 'create extension postgis'

# ---- official-format inputs from the snapshot
python3 "$here/reference-rebuild.py" features "$data" "$work/stage/snapshot.csv"
q -c 'create table snap (type text, code text, name text, geojson text)' \
  -c "\\copy snap from '$work/stage/snapshot.csv' with (format csv, header true)"
# gemeenten as PDOK serves them by default: EPSG:28992, millimetres; the region layers in 4326,
# generalised on their own (about 200 m), so their borders no longer follow the gemeenten
q -c "\\copy (select type, code, name, 28992, st_asgeojson(st_transform(st_setsrid(st_geomfromgeojson(geojson), 4326), 28992), 3) from snap where type = 'gemeente' union all select type, code, name, 4326, st_asgeojson(st_simplifypreservetopology(st_setsrid(st_geomfromgeojson(geojson), 4326), 0.002), 7) from snap where type <> 'gemeente' order by 1, 2) to '$work/stage/pdok.csv' with (format csv)"
python3 "$here/reference-rebuild.py" inputs "$data" "$work/stage" "$work/in"
in=$work/in
common=(--gemeenten "$in/gemeente_gegeneraliseerd.json" --provincies "$in/provincie_gegeneraliseerd.json"
        --arbeidsmarktregios "$in/arbeidsmarktregio_gegeneraliseerd.json"
        --rmc "$in/rmc_gegeneraliseerd.json" --bag "$in/bagadres.csv"
        --duo-leerlingen "$in/03.-leerlingen-vo-per-vestiging-en-bestuur-(vavo-apart)-2024.csv"
        --geonames "$in/NL.txt")
grep -q ';0164;HENGELO;' "$in/02.-alle-vestigingen-vo.csv" && head -1 "$in/gemeente_gegeneraliseerd.json" | grep -q 'EPSG::28992' \
  || fail "the derived inputs lack what the checks rely on (an alias spelling, the 28992 CRS)"

# ---- the rebuild
if ! log=$("$top/geo/rebuild-reference.sh" "${common[@]}" --duo-vestigingen "$in/02.-alle-vestigingen-vo.csv" \
             --out "$work/out" 2>&1); then
  echo "$log" >&2; fail "the rebuild failed"
fi
echo "$log" | sed 's/^/# /'

same() {   # same FILE WHAT: the rebuilt file has the snapshot's bytes
  if ! cmp -s "$data/$1" "$work/out/$1"; then
    { diff "$data/$1" "$work/out/$1" | head -8 >&2; } || true
    fail "$1 differs from the snapshot: $2"
  fi
  echo "ok - $1 rebuilt byte for byte: $2"
}
same schools/vo_vestigingen.csv "BAG address match, DUO gemeentenaam with the aliases, repeats, VSO and unplaced rows dropped, leerlingen"
same postcode/pc4_centroids.csv "GeoNames entries averaged, stray entries dropped, gemeente by point, suspects"
same regions/gemeente_regio.csv "each gemeente in the region it overlaps most"
same regions/gemeente.geojson "EPSG:28992 back to 4326 at 6 decimals"
grep -q "schools: 1 where DUO's GEMEENTENUMMER differs from the gemeente of its name" <<<"$log" \
  || fail "the rebuild does not report the vestiging whose DUO gemeentenummer disagrees with its gemeentenaam"
echo "ok - a DUO gemeentenummer that disagrees with the gemeentenaam is reported, and the name decides"

# ---- a DUO spelling without an alias stops the rebuild before anything is written
sed 's/;0164;HENGELO;/;0164;HENGELO OV;/' "$in/02.-alle-vestigingen-vo.csv" > "$work/stage/duo-unknown.csv"
if err=$("$top/geo/rebuild-reference.sh" "${common[@]}" --duo-vestigingen "$work/stage/duo-unknown.csv" \
           --out "$work/refused" 2>&1); then
  fail "a DUO gemeentenaam that matches no gemeente was accepted"
fi
grep -q "gemeentenaam 'HENGELO OV' matches no CBS gemeente" <<<"$err" || fail "the refusal does not name the spelling: $err"
[ ! -e "$work/refused" ] || fail "a refused rebuild wrote files"
echo "ok - an unknown DUO gemeentenaam stops the rebuild with its name, and nothing is written"

# ---- the dissolved region layers: the same features, equal geometries
python3 "$here/reference-rebuild.py" features "$work/out" "$work/stage/rebuilt.csv"
q -c 'create table rebuilt (type text, code text, name text, geojson text)' \
  -c "\\copy rebuilt from '$work/stage/rebuilt.csv' with (format csv, header true)"
bad=$(q -c "select coalesce(s.type, r.type) || ' ' || coalesce(s.code, r.code) || ': ' ||
              case when s.code is null then 'not in the snapshot'
                   when r.code is null then 'missing'
                   when s.name <> r.name then 'name ' || r.name || ', not ' || s.name
                   else 'geometry differs (Hausdorff ' || st_hausdorffdistance(sg, rg) || '°)' end
            from (select *, st_setsrid(st_geomfromgeojson(geojson), 4326) sg from snap where type <> 'gemeente') s
            full join (select *, st_setsrid(st_geomfromgeojson(geojson), 4326) rg from rebuilt where type <> 'gemeente') r
              using (type, code)
            where s.code is null or r.code is null or s.name <> r.name or not st_equals(sg, rg)
            order by 1")
[ -z "$bad" ] || { { echo "$bad" | head -10 >&2; } || true; fail "the dissolved region layers differ from the snapshot"; }
n=$(q -c "select count(*) from rebuilt where type <> 'gemeente'")
[ "$n" = 87 ] || fail "$n region features rebuilt, not 12 + 35 + 40"
echo "ok - provincie, arbeidsmarktregio and rmc dissolved from the gemeenten: the snapshot's 87 features, ST_Equals each"
