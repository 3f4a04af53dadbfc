#!/usr/bin/env bash
# Rebuild the reference data (the layout of geo/data) from the official downloads, given as files.
#
#   geo/rebuild-reference.sh --gemeenten F --provincies F --arbeidsmarktregios F --rmc F \
#       --duo-vestigingen F --bag F [--duo-leerlingen F] --geonames F [--suspect-pc4 LIST] --out DIR
#
#   --gemeenten            PDOK "CBS Gebiedsindelingen", layer gemeente_gegeneraliseerd of the year, as
#                          GeoJSON (WFS outputFormat=json; properties statcode, statnaam; EPSG:28992 or
#                          4326, as its crs member says)
#   --provincies, --arbeidsmarktregios, --rmc
#                          the same for provincie_gegeneraliseerd, arbeidsmarktregio_gegeneraliseerd and
#                          regionaalmeld_coordinatiepunt_gegeneraliseerd: each gemeente goes to the region
#                          it overlaps most; the region outlines written are the gemeenten dissolved
#   --duo-vestigingen      DUO open onderwijsdata "02.-alle-vestigingen-vo.csv" (';' or ',', UTF-8 or
#                          Windows-1252)
#   --bag                  the BAG addresses as NLExtract's CSV (bagadres.csv: openbareruimte;huisnummer;
#                          huisletter;huisnummertoevoeging;postcode;woonplaats;...;lon;lat), whole or cut
#                          to the schools' postcodes
#   --duo-leerlingen       DUO "03.-leerlingen-vo-per-vestiging-en-bestuur-(vavo-apart)-YYYY.csv"
#                          (optional: without it the column leerlingen stays empty)
#   --geonames             GeoNames postal codes for NL (NL.txt from download.geonames.org/export/zip/NL.zip)
#   --suspect-pc4          the PC4s to mark suspect (default: the four judged so; see geo/data/README.md)
#   --out DIR              where the files go (DIR/regions, DIR/schools, DIR/postcode); written only
#                          when everything succeeded
#
# The processing is documented in geo/data/README.md. The text work is geo/rebuild-reference.py
# (python3, standard library), the geometry work geo/rebuild-reference.sql in a throwaway PostGIS
# cluster var/refbuild-PID (deploy/pg.sh), destroyed afterwards. Same inputs, same bytes.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "rebuild-reference: $*" >&2; exit 1; }

args=() out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; exit 0 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --gemeenten|--provincies|--arbeidsmarktregios|--rmc|--duo-vestigingen|--bag|--duo-leerlingen|--geonames)
      [ -n "${2:-}" ] || die "$1 needs a file"
      [ -f "$2" ] && [ -r "$2" ] || die "$1: cannot read '$2'"
      args+=("$1" "$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    --suspect-pc4) args+=("$1" "${2?--suspect-pc4 needs a list}"); shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$out" ] || die "--out DIR is required"
command -v python3 >/dev/null || die "python3 not found"

cluster="refbuild-$$"
work=$(mktemp -d)
chmod 755 "$work"
cleanup() { "$top/deploy/pg.sh" destroy "$cluster" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/stage" "$work/out"

python3 "$top/geo/rebuild-reference.py" prepare "$work/stage" "$work/out" "${args[@]}" \
  || die "reading the downloads failed; nothing was written"

RK_PG_FAST=1 "$top/deploy/pg.sh" start "$cluster"
(set -a; . "$top/var/$cluster.env"; set +a
 cd "$work/stage" && psql -X -q -v ON_ERROR_STOP=1 -f "$top/geo/rebuild-reference.sql") \
  | sed 's/^/rebuild-reference: /' >&2 \
  || die "the geometry step failed; nothing was written"
[ -s "$work/stage/pc4_out.csv" ] || die "the geometry step wrote nothing; nothing was written"

python3 "$top/geo/rebuild-reference.py" finish "$work/stage" "$work/out" \
  || die "writing the files failed; nothing was written"

mkdir -p "$out"
for f in regions/provincie.geojson regions/arbeidsmarktregio.geojson regions/rmc.geojson \
         regions/gemeente.geojson regions/gemeente_regio.csv schools/vo_vestigingen.csv \
         postcode/pc4_centroids.csv; do
  mkdir -p "$out/$(dirname "$f")"
  cp "$work/out/$f" "$out/$f.new" && mv "$out/$f.new" "$out/$f"
done
echo "rebuild-reference: written to $out"
