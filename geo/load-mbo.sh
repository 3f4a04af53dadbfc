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
pick() {   # first of the given header names present → its column, else empty
  local n
  for n in "$@"; do
    if [ -n "${col[$n]:-}" ]; then printf 'c%s' "${col[$n]}"; return; fi
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
website=${website:-"null::text"}

# DUO has published both UTF-8 and Windows-1252 files.
encoding=UTF8
if command -v iconv >/dev/null && ! iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1; then
  encoding=WIN1252
fi

columns=$(for (( i = 1; i <= ncols; i++ )); do printf '%sc%d text' "$([ $i -gt 1 ] && printf ', ')" "$i"; done)
quote_sep=$([ "$sep" = ';' ] && printf "';'" || printf "','")

# The data arrive on psql's stdin (\copy ... from pstdin); the script comes from -f.
psql -X -q -At -1 -v ON_ERROR_STOP=1 -f <(cat <<SQL
set local role routekaart_owner;
select set_config('routekaart.actor', 'geo/load-mbo.sh', true) \gset
create temp table mbo_in ($columns) on commit drop;
\copy mbo_in from pstdin with (format csv, header true, delimiter $quote_sep, quote '"', encoding '$encoding')

create temp table mbo_clean on commit drop as
select distinct on (brin) brin, name, postcode, plaats, website
from (
  select upper(btrim($brin)) as brin,
         btrim(regexp_replace($naam, '\s+', ' ', 'g')) as name,
         nullif(upper(regexp_replace($postcode, '\s', '', 'g')), '') as postcode,
         nullif(btrim($plaats), '') as plaats,
         nullif(btrim($website), '') as w
  from mbo_in) x
cross join lateral (
  select case when w ~* '^https?://' then w when w is not null then 'https://' || lower(w) end as website0) y
cross join lateral (select case when kaart.is_url(website0) then website0 end as website) z
where brin ~ '^[0-9]{2}[A-Z]{2}$' and length(name) >= 2
order by brin;

-- The place name from the PC4 list where DUO writes it in capitals.
with placed as (
  select c.brin, c.name, coalesce(c.postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$', false) as pc_ok, c.postcode,
         coalesce(case when c.plaats <> upper(c.plaats) then c.plaats end, p.plaats, initcap(c.plaats)) as plaats,
         c.website, p.geom
  from mbo_clean c left join ref.postcode4 p on p.pc4 = left(c.postcode, 4) and not p.suspect
),
up as (
  insert into kaart.organisation as o (kind, brin, name, plaats, postcode, website, geom, is_demo)
  select 'mbo', brin, name, plaats, case when pc_ok then postcode end, website, geom, false from placed
  on conflict (brin) where brin is not null do update
    set name = excluded.name, plaats = excluded.plaats, postcode = excluded.postcode,
        website = excluded.website, geom = coalesce(excluded.geom, o.geom)
  where (o.name, o.plaats, o.postcode, o.website) is distinct from
        (excluded.name, excluded.plaats, excluded.postcode, excluded.website)
     or o.geom is distinct from coalesce(excluded.geom, o.geom)
  returning (xmax = 0) as inserted)
select format('load-mbo: %s mbo institutions in the file (%s rows without a valid BRIN skipped), %s placed by postcode; %s new, %s updated',
              (select count(*) from mbo_clean),
              (select count(*) from mbo_in) - (select count(*) from mbo_in where upper(btrim($brin)) ~ '^[0-9]{2}[A-Z]{2}$'),
              (select count(*) from placed where geom is not null),
              (select count(*) from up where inserted), (select count(*) from up where not inserted));
SQL
) <"$file" || die "loading '$file' failed; nothing was changed"
