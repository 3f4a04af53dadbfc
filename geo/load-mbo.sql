-- Load mbo institutions from a DUO "adressen mbo-instellingen" CSV file into kaart.organisation
-- (kind 'mbo'), each placed at the PC4 point of its postcode. Run by geo/load-mbo.sh, which reads
-- the file's header and passes what it found as psql variables; the file itself comes on stdin:
--
--   psql -X -q -At -1 -v ON_ERROR_STOP=1 -v ncols=N -v sep=';' -v encoding=UTF8 \
--        -v brin=I -v naam=I -v postcode=I -v plaats=I -v website=I -f geo/load-mbo.sql < FILE
--
--   ncols     the number of columns of the file
--   sep       its separator, ';' or ','
--   encoding  UTF8 or WIN1252
--   brin ...  the position (1 = the first column) of each column used; website may be empty (no
--             such column)
set local role routekaart_owner;
select set_config('routekaart.actor', 'geo/load-mbo.sh', true) \gset

-- The file as it is: a text column c1 .. cN for each of its columns.
select format('create temp table mbo_in (%s) on commit drop',
              string_agg(format('c%s text', i), ', ' order by i))
from generate_series(1, :'ncols'::int) i \gexec

-- \copy takes no psql variables: one line for each separator and encoding.
select :'sep' = ';' as sep_semicolon, :'encoding' = 'UTF8' as utf8 \gset
\if :sep_semicolon
  \if :utf8
    \copy mbo_in from pstdin with (format csv, header true, delimiter ';', quote '"', encoding 'UTF8')
  \else
    \copy mbo_in from pstdin with (format csv, header true, delimiter ';', quote '"', encoding 'WIN1252')
  \endif
\else
  \if :utf8
    \copy mbo_in from pstdin with (format csv, header true, delimiter ',', quote '"', encoding 'UTF8')
  \else
    \copy mbo_in from pstdin with (format csv, header true, delimiter ',', quote '"', encoding 'WIN1252')
  \endif
\endif

-- The columns used, by their position in the file.
create temp table mbo_picked on commit drop as
select r ->> ('c' || :'brin') as brin,
       r ->> ('c' || :'naam') as naam,
       r ->> ('c' || :'postcode') as postcode,
       r ->> ('c' || :'plaats') as plaats,
       case when :'website' <> '' then r ->> ('c' || :'website') end as website
from (select to_jsonb(m) as r from mbo_in m) m;

create temp table mbo_clean on commit drop as
select distinct on (brin) brin, name, postcode, plaats, website
from (
  select upper(btrim(brin)) as brin,
         btrim(regexp_replace(naam, '\s+', ' ', 'g')) as name,
         nullif(upper(regexp_replace(postcode, '\s', '', 'g')), '') as postcode,
         nullif(btrim(plaats), '') as plaats,
         nullif(btrim(website), '') as w
  from mbo_picked) x
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
              (select count(*) from mbo_in) - (select count(*) from mbo_picked where upper(btrim(brin)) ~ '^[0-9]{2}[A-Z]{2}$'),
              (select count(*) from placed where geom is not null),
              (select count(*) from up where inserted), (select count(*) from up where not inserted));
