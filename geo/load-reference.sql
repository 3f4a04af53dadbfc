-- Load the reference data into ref. Run by geo/load-reference.sh from inside the data directory
-- (so every file is a plain relative path), in one transaction (psql -1): a failed load changes
-- nothing. Every table is upserted and rows that left the source are removed, so loading the same
-- files twice changes nothing. psql variable: year (the CBS division year of the region files).
\set ON_ERROR_STOP on
set local role routekaart_owner;
set local client_min_messages = warning;
-- (re-deriving the regions of many initiatives is logged as one audit row per statement)
select set_config('routekaart.actor', 'geo/load-reference.sh', true),
       set_config('routekaart.audit', 'summary', true),
       set_config('rk.year', :'year', true) \gset

insert into ref.division (year) values (:year) on conflict (year) do nothing;

-- Regions ------------------------------------------------------------------------------------
-- The GeoJSON files are small (<200 kB), so each is read whole into a psql variable.
create temp table region_in (type text, code text, name text, geom geometry, repaired boolean) on commit drop;

\set doc `cat regions/provincie.geojson`
insert into region_in select 'provincie', f -> 'properties' ->> 'code', f -> 'properties' ->> 'name', st_setsrid(st_geomfromgeojson(f -> 'geometry'), 4326)
from jsonb_array_elements(:'doc'::jsonb -> 'features') f;
\set doc `cat regions/arbeidsmarktregio.geojson`
insert into region_in select 'arbeidsmarktregio', f -> 'properties' ->> 'code', f -> 'properties' ->> 'name', st_setsrid(st_geomfromgeojson(f -> 'geometry'), 4326)
from jsonb_array_elements(:'doc'::jsonb -> 'features') f;
\set doc `cat regions/rmc.geojson`
insert into region_in select 'rmc', f -> 'properties' ->> 'code', f -> 'properties' ->> 'name', st_setsrid(st_geomfromgeojson(f -> 'geometry'), 4326)
from jsonb_array_elements(:'doc'::jsonb -> 'features') f;
\set doc `cat regions/gemeente.geojson`
insert into region_in select 'gemeente', f -> 'properties' ->> 'code', f -> 'properties' ->> 'name', st_setsrid(st_geomfromgeojson(f -> 'geometry'), 4326)
from jsonb_array_elements(:'doc'::jsonb -> 'features') f;
\unset doc

-- Polygons as MultiPolygons; an invalid one (not expected from CBS) is repaired, and counted.
update region_in set repaired = not st_isvalid(geom),
  geom = st_multi(case when st_isvalid(geom) then geom else st_collectionextract(st_makevalid(geom), 3) end);

do $$
declare
  dup text;
begin
  select string_agg(code, ', ') into dup from (select code from region_in group by code having count(*) > 1) d;
  if dup is not null then
    raise exception 'the region files list these codes more than once: %', dup;
  end if;
end
$$;

insert into ref.region as r (type, code, year, name, geom)
select type, code, :year, name, geom from region_in
on conflict (type, code, year) do update set name = excluded.name, geom = excluded.geom
where r.name is distinct from excluded.name or st_asewkb(r.geom) <> st_asewkb(excluded.geom);

delete from ref.region r
where r.year = :year and not exists (select 1 from region_in i where i.type = r.type and i.code = r.code);

select format('regions/%s.geojson: %s %s (%s, year %s)%s', t.file, count(*), t.noun, min(i.code) || '–' || max(i.code), :year,
              case when bool_or(i.repaired) then format(', %s invalid polygon(s) repaired', count(*) filter (where i.repaired)) else '' end)
from region_in i
join (values ('provincie', 'provincie', 'provincies', 1), ('arbeidsmarktregio', 'arbeidsmarktregio', 'arbeidsmarktregio''s', 2),
             ('rmc', 'rmc', 'RMC-regio''s', 3), ('gemeente', 'gemeente', 'gemeenten', 4)) t(type, file, noun, n) on t.type = i.type
group by t.file, t.noun, t.n order by t.n;

-- gemeente → provincie / arbeidsmarktregio / RMC ------------------------------------------
create temp table gemeente_regio_in (
  gemeente_code text, gemeente_name text, provincie_code text, provincie_name text,
  arbeidsmarktregio_code text, arbeidsmarktregio_name text, rmc_code text, rmc_name text
) on commit drop;
\copy gemeente_regio_in from 'regions/gemeente_regio.csv' with (format csv, header match)

insert into ref.gemeente_regio as g (gemeente_code, year, provincie_code, arbeidsmarktregio_code, rmc_code)
select gemeente_code, :year, provincie_code, arbeidsmarktregio_code, rmc_code from gemeente_regio_in
on conflict (gemeente_code, year) do update
  set provincie_code = excluded.provincie_code, arbeidsmarktregio_code = excluded.arbeidsmarktregio_code,
      rmc_code = excluded.rmc_code
where (g.provincie_code, g.arbeidsmarktregio_code, g.rmc_code)
      is distinct from (excluded.provincie_code, excluded.arbeidsmarktregio_code, excluded.rmc_code);

delete from ref.gemeente_regio g
where g.year = :year and not exists (select 1 from gemeente_regio_in i where i.gemeente_code = g.gemeente_code);

do $$
declare
  missing text;
begin
  select string_agg(r.code, ', ' order by r.code) into missing
  from ref.region r
  where r.type = 'gemeente' and r.year = current_setting('rk.year')::smallint
    and not exists (select 1 from ref.gemeente_regio g where g.gemeente_code = r.code and g.year = r.year);
  if missing is not null then
    raise exception 'gemeente_regio.csv has no row for gemeente(n) %', missing;
  end if;
end
$$;

select format('regions/gemeente_regio.csv: %s gemeenten → %s provincies, %s arbeidsmarktregio''s, %s RMC-regio''s',
              count(*), count(distinct provincie_code), count(distinct arbeidsmarktregio_code), count(distinct rmc_code))
from gemeente_regio_in;

-- The newest loaded division is the current one.
update ref.division set is_current = (year = (select max(year) from ref.division))
where is_current is distinct from (year = (select max(year) from ref.division));

-- Schools --------------------------------------------------------------------------------------
create temp table school_in (
  vestigingscode text, brin text, vestigingsnummer text, naam text, onderwijsstructuur text, vmbo text,
  denominatie text, straat text, huisnummer text, huisletter text, huisnummertoevoeging text,
  postcode text, plaats text, gemeente_code text, gemeente_duo text, provincie text, onderwijsgebied text,
  leerlingen text, internetadres text, lon text, lat text
) on commit drop;
\copy school_in from 'schools/vo_vestigingen.csv' with (format csv, header match)

-- DUO gives websites without a scheme (www.school.nl); anything that is not a host name is dropped.
create temp table school_clean on commit drop as
select vestigingscode, brin, btrim(naam) as name, nullif(btrim(straat), '') as street,
       nullif(btrim(huisnummer), '')::int as huisnummer, nullif(btrim(huisletter), '') as huisletter,
       nullif(btrim(huisnummertoevoeging), '') as toevoeging,
       nullif(upper(replace(postcode, ' ', '')), '') as postcode, btrim(plaats) as plaats, gemeente_code,
       nullif(btrim(onderwijsstructuur), '') as onderwijsstructuur, nullif(btrim(denominatie), '') as denominatie,
       case when w ~ '^https?://[^\s/?#]+\.[^\s/?#]+(/\S*)?$' and length(w) <= 500 then w end as website,
       nullif(btrim(leerlingen), '')::int as leerlingen,
       st_setsrid(st_makepoint(lon::float8, lat::float8), 4326) as geom,
       vmbo = '1' as vmbo_in_file
from school_in,
     lateral (select case when btrim(internetadres) ~* '^https?://' then btrim(internetadres)
                          when btrim(internetadres) <> '' then 'https://' || btrim(internetadres) end) as x(w);

insert into ref.school_location as s (vestigingscode, brin, name, street, huisnummer, huisletter, toevoeging,
  postcode, plaats, gemeente_code, sector, onderwijsstructuur, denominatie, website, leerlingen, geom)
select vestigingscode, brin, name, street, huisnummer, huisletter, toevoeging, postcode, plaats, gemeente_code,
       'vo', onderwijsstructuur, denominatie, website, leerlingen, geom
from school_clean
on conflict (vestigingscode) do update set
  brin = excluded.brin, name = excluded.name, street = excluded.street, huisnummer = excluded.huisnummer,
  huisletter = excluded.huisletter, toevoeging = excluded.toevoeging, postcode = excluded.postcode,
  plaats = excluded.plaats, gemeente_code = excluded.gemeente_code, sector = excluded.sector,
  onderwijsstructuur = excluded.onderwijsstructuur, denominatie = excluded.denominatie,
  website = excluded.website, leerlingen = excluded.leerlingen, geom = excluded.geom, loaded_at = now()
where (s.brin, s.name, s.street, s.huisnummer, s.huisletter, s.toevoeging, s.postcode, s.plaats, s.gemeente_code,
       s.sector, s.onderwijsstructuur, s.denominatie, s.website, s.leerlingen)
      is distinct from
      (excluded.brin, excluded.name, excluded.street, excluded.huisnummer, excluded.huisletter, excluded.toevoeging,
       excluded.postcode, excluded.plaats, excluded.gemeente_code, excluded.sector, excluded.onderwijsstructuur,
       excluded.denominatie, excluded.website, excluded.leerlingen)
   or st_asewkb(s.geom) <> st_asewkb(excluded.geom);

-- A vo location gone from DUO's list is removed, unless an initiative refers to it.
create temp table school_gone on commit drop as
select s.vestigingscode,
       exists (select 1 from kaart.party p where p.vestigingscode = s.vestigingscode)
       or exists (select 1 from kaart.initiative i where i.location_vestiging = s.vestigingscode) as referenced
from ref.school_location s
where s.sector = 'vo' and not exists (select 1 from school_clean c where c.vestigingscode = s.vestigingscode);
delete from ref.school_location s using school_gone g where g.vestigingscode = s.vestigingscode and not g.referenced;

select format('schools/vo_vestigingen.csv: %s vestigingen (%s vmbo), %s with a website%s%s%s',
              count(*), count(*) filter (where s.vmbo), count(c.website),
              case when count(*) filter (where s.vmbo <> c.vmbo_in_file) > 0
                   then format('; %s disagree with the file''s vmbo flag', count(*) filter (where s.vmbo <> c.vmbo_in_file)) else '' end,
              (select case when count(*) > 0 then format('; %s not in the current gemeenten', count(*)) else '' end
               from school_clean x where not exists (select 1 from ref.gemeente_regio g join ref.division d on d.year = g.year and d.is_current
                                                     where g.gemeente_code = x.gemeente_code)),
              (select case when count(*) > 0 then format('; %s gone from the file kept (referenced), %s removed',
                                                         count(*) filter (where referenced), count(*) filter (where not referenced))
                           else '' end from school_gone))
from school_clean c join ref.school_location s using (vestigingscode);

-- PC4 postcodes ---------------------------------------------------------------------------------
create temp table pc4_in (
  pc4 text, lat text, lon text, plaats text, gemeente_code text, geonames_gemeente_code text,
  n_entries text, suspect text
) on commit drop;
\copy pc4_in from 'postcode/pc4_centroids.csv' with (format csv, header match)

insert into ref.postcode4 as p (pc4, plaats, gemeente_code, geom, suspect)
select pc4, btrim(plaats), nullif(gemeente_code, ''), st_setsrid(st_makepoint(lon::float8, lat::float8), 4326), suspect = '1'
from pc4_in
on conflict (pc4) do update set plaats = excluded.plaats, gemeente_code = excluded.gemeente_code,
  geom = excluded.geom, suspect = excluded.suspect
where (p.plaats, p.gemeente_code, p.suspect) is distinct from (excluded.plaats, excluded.gemeente_code, excluded.suspect)
   or st_asewkb(p.geom) <> st_asewkb(excluded.geom);
delete from ref.postcode4 p where not exists (select 1 from pc4_in i where i.pc4 = p.pc4);

select format('postcode/pc4_centroids.csv: %s postcodes (%s suspect)', count(*), count(*) filter (where suspect = '1'))
from pc4_in;

-- Initiatives follow a new division year, or a corrected gemeente → region table: touching them
-- makes the trigger derive their regions again.
with touched as (
  update kaart.initiative i set region_codes = i.region_codes
  from ref.gemeente_regio g
  where g.gemeente_code = i.gemeente_code and g.year = i.region_year
    and (i.region_year <> (select year from ref.division where is_current)
         or i.region_codes is distinct from array[g.provincie_code, g.arbeidsmarktregio_code, g.rmc_code, g.gemeente_code])
  returning 1)
select format('initiatives: regions derived again for %s', count(*)) from touched having count(*) > 0;

analyze ref.region;
analyze ref.gemeente_regio;
analyze ref.school_location;
analyze ref.postcode4;
