#!/usr/bin/env bash
# Load mbo institutions from DUO's "adressen mbo-instellingen" file into kaart.organisation
# (kind 'mbo'), each placed at the PC4 point of its postcode.
#
#   geo/load-mbo.sh FILE
#
# FILE is DUO's 01.-adressen-mbo-instellingen.csv (open onderwijsdata, CC0), or any CSV with its
# columns: BRIN NUMMER, INSTELLINGSNAAM, STRAATNAAM, HUISNUMMER-TOEVOEGING, POSTCODE, PLAATSNAAM,
# GEMEENTENUMMER, GEMEENTENAAM, INTERNETADRES, ... Separator ';' or ',', header names in any case,
# UTF-8 or Windows-1252. Institutions are matched on BRIN: loading again updates them, and
# institutions missing from the file are kept (initiatives may refer to them). Needs the PC4 points
# (geo/load-reference.sh). The connection comes from the standard libpq environment.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "load-mbo: $*" >&2; exit 1; }
case "${1:-}" in
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") die "usage: geo/load-mbo.sh FILE" ;;
esac
file=$1
[ -f "$file" ] || die "file '$file' not found"
[ -r "$file" ] || die "cannot read '$file'"
command -v psql >/dev/null || die "psql not found (install postgresql-client)"

# The header: separator, and the position of each column we use (names normalised to upper case
# with single spaces, so "Brin nummer", "BRIN_NUMMER" and "BRIN NUMMER" are one).
header=$(head -n 1 "$file" | tr -d '\r' | sed 's/^\xEF\xBB\xBF//')
[ -n "$header" ] || die "'$file' is empty"
semi=$(tr -cd ';' <<<"$header" | wc -c)
comma=$(tr -cd ',' <<<"$header" | wc -c)
if [ "$semi" -ge "$comma" ]; then sep=';'; else sep=','; fi
declare -A col=()
ncols=0
IFS="$sep" read -r -a names <<<"$header"
for name in "${names[@]}"; do
  ncols=$(( ncols + 1 ))
  key=$(printf '%s' "$name" | tr -d '"' | tr '[:lower:]_-' '[:upper:]  ' | tr -s ' ' | sed 's/^ //; s/ $//')
  [ -n "${col[$key]:-}" ] || col[$key]=$ncols
done
pick() {   # first of the given header names present → its column's position, else empty
  local n
  for n in "$@"; do
    if [ -n "${col[$n]:-}" ]; then printf '%s' "${col[$n]}"; return; fi
  done
}
brin=$(pick 'BRIN NUMMER' 'BRINNUMMER' 'BRIN' 'INSTELLINGSCODE')
naam=$(pick 'INSTELLINGSNAAM' 'NAAM INSTELLING' 'NAAM')
postcode=$(pick 'POSTCODE')
plaats=$(pick 'PLAATSNAAM' 'PLAATS')
website=$(pick 'INTERNETADRES' 'WEBSITE')
[ -n "$brin" ] || die "no BRIN NUMMER column in the header of '$file'"
[ -n "$naam" ] || die "no INSTELLINGSNAAM column in the header of '$file'"
[ -n "$postcode" ] || die "no POSTCODE column in the header of '$file'"
[ -n "$plaats" ] || die "no PLAATSNAAM column in the header of '$file'"

# DUO has published both UTF-8 and Windows-1252 files.
encoding=UTF8
if command -v iconv >/dev/null && ! iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1; then
  encoding=WIN1252
fi

# The data arrive on psql's stdin (\copy ... from pstdin); what the header says, as variables.
psql -X -q -At -1 -v ON_ERROR_STOP=1 -v ncols="$ncols" -v sep="$sep" -v encoding="$encoding" \
  -v brin="$brin" -v naam="$naam" -v postcode="$postcode" -v plaats="$plaats" -v website="$website" \
  -f "$top/geo/load-mbo.sql" <"$file" || die "loading '$file' failed; nothing was changed"
