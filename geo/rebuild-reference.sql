-- The geometry half of geo/rebuild-reference.sh (which see), run in a throwaway PostGIS database
-- from inside the stage directory that geo/rebuild-reference.py prepare filled:
--   gemeente_in.csv, region_in.csv (code, name, srid, GeoJSON geometry), pc4_in.csv.
-- Writes gemeente_out.csv, region_out.csv, membership_out.csv and pc4_out.csv for its finish.
\set ON_ERROR_STOP on
set client_min_messages = warning;
create extension if not exists postgis;

create temp table gemeente_in (code text, name text, srid int, geojson text);
create temp table region_in (type text, code text, name text, srid int, geojson text);
create temp table pc4_in (pc4 text, lat text, lon text, plaats text, geonames_gemeente_code text,
                          n_entries text, suspect text);
\copy gemeente_in from 'gemeente_in.csv' with (format csv, header true)
\copy region_in from 'region_in.csv' with (format csv, header true)
\copy pc4_in from 'pc4_in.csv' with (format csv, header true)

-- The gemeenten in EPSG:4326 exactly as the output file holds them (6 decimals): the dissolve and
-- the point-in-polygon work on those coordinates, so every layer shares every border.
create temp table gemeente as
  select code, name, g6 as g, st_isvalid(g6) as valid
  from (select code, name,
               st_setsrid(st_geomfromgeojson(st_asgeojson(
                 st_transform(st_setsrid(st_geomfromgeojson(geojson), srid), 4326), 6)), 4326) as g6
        from gemeente_in) s;
-- rounding can make a ring touch itself; such a gemeente is repaired (and counted below)
update gemeente set g = st_collectionextract(st_makevalid(g), 3) where not valid;
create index on gemeente using gist (g);

-- Each gemeente belongs to the region of each layer it overlaps most (areas in EPSG:28992). The
-- PDOK region layers are generalised on their own, so their borders only follow the gemeenten
-- approximately; the share says how clear each assignment is.
create temp table gemeente_rd as
  select code, st_collectionextract(st_makevalid(st_transform(g, 28992)), 3) as g from gemeente;
create temp table region_rd as
  select type, code, name,
         st_collectionextract(st_makevalid(st_transform(st_setsrid(st_geomfromgeojson(geojson), srid), 28992)), 3) as g
  from region_in;
create index on region_rd using gist (g);
create temp table membership as
  select distinct on (m.code, r.type) m.code as gemeente_code, r.type, r.code, r.name,
         st_area(st_intersection(m.g, r.g)) / st_area(m.g) as share
  from gemeente_rd m join region_rd r on st_intersects(m.g, r.g)
  order by m.code, r.type, st_area(st_intersection(m.g, r.g)) desc, r.code;

do $$
declare
  missing text;
begin
  select string_agg(g.code || ' (' || t.type || ')', ', ' order by g.code, t.type) into missing
  from gemeente g cross join (values ('provincie'), ('arbeidsmarktregio'), ('rmc')) t(type)
  where not exists (select from membership m where m.gemeente_code = g.code and m.type = t.type);
  if missing is not null then
    raise exception 'gemeenten in no region of a layer: %', missing;
  end if;
end $$;

-- The region layers dissolved from the gemeenten; a region no gemeente belongs to is left out.
create temp table region_out as
  select m.type, m.code, m.name, st_union(g.g) as g
  from membership m join gemeente g on g.code = m.gemeente_code
  group by m.type, m.code, m.name;

-- A PC4 point takes the gemeente it lies in, else (outside every polygon: the coast, a border)
-- the nearest one.
create temp table pc4_out as
  select p.*, coalesce(
           (select g.code from gemeente g where st_intersects(g.g, pt) order by g.code limit 1),
           (select g.code from gemeente g order by st_distance(g.g::geography, pt::geography), g.code limit 1)) as gemeente_code,
         not exists (select from gemeente g where st_intersects(g.g, pt)) as outside
  from (select *, st_setsrid(st_makepoint(lon::float8, lat::float8), 4326) as pt from pc4_in) p;

\copy (select code, name, st_asgeojson(g, 6) from gemeente order by code) to 'gemeente_out.csv' with (format csv)
\copy (select type, code, name, st_asgeojson(g, 6) from region_out order by type, code) to 'region_out.csv' with (format csv)
\copy (select m.gemeente_code, g.name, m.type, m.code, m.name from membership m join gemeente g on g.code = m.gemeente_code order by 1, 3) to 'membership_out.csv' with (format csv)
\copy (select pc4, lat, lon, plaats, gemeente_code, geonames_gemeente_code, n_entries, suspect from pc4_out order by pc4) to 'pc4_out.csv' with (format csv)

\pset format unaligned
\pset tuples_only on
select format('geometry: %s gemeenten (%s repaired after rounding); %s', count(*),
              count(*) filter (where not valid),
              (select string_agg(format('%s %s', n, type), ', ' order by min_code)
               from (select type, count(*) n, min(code) min_code from region_out group by type) r))
from gemeente;
select format('membership: smallest share of a gemeente in its region %s (%s, %s); %s below 0.5',
              round(min(share)::numeric, 3),
              (array_agg(gemeente_code order by share))[1], (array_agg(code order by share))[1],
              count(*) filter (where share < 0.5))
from membership;
select format('postcodes: %s outside every gemeente, placed in the nearest', count(*) filter (where outside))
from pc4_out;
