-- The GeoJSON of the collections initiatives, schools and regions, as the service sends it: one
-- function per request, with named result columns. Each returns what the service's own SQL
-- returned before, byte for byte (the same json_build_object, key order, rounding); the service
-- reads the columns by name. All are security definer functions of routekaart_owner with a fixed
-- search_path that read the api views; routekaart_web may execute them.
set local role routekaart_owner;

-- Initiatives ---------------------------------------------------------------------------------

-- A page of the initiatives collection (filters and paging as api.initiative_page): the region
-- codes that name no region (else NULL), the number matched, the number returned, the Feature
-- objects joined by commas, whether matched is an estimate, whether more follow, and the last id
-- of the page (for the next link).
create function api.initiative_items(
  bbox               float8[]  default null,
  region_codes       text[]    default null,
  route_kinds        text[]    default null,
  niveaus            integer[] default null,
  profielen          text[]    default null,
  leerwegen          text[]    default null,
  opleidingsdomeinen text[]    default null,
  brins              text[]    default null,
  q                  text      default null,
  start_years        integer[] default null,
  after              bigint    default null,
  lim                integer   default 100,
  skip               integer   default 0
) returns table (unknown_regions text, matched bigint, returned integer, features text, estimated boolean,
                 more boolean, last_id bigint)
language sql volatile security definer   -- volatile: api.initiative_page is
set search_path = pg_catalog, public, pg_temp
as $$
  select p.unknown_regions, p.matched, cardinality(p.ids),
         (select coalesce(string_agg(json_build_object(
            'type', 'Feature', 'id', i.id,
            'geometry', st_asgeojson(i.geom, 6)::json,
            'properties', json_build_object(
              'id', i.id, 'name', i.name, 'route_kind', i.route_kind, 'leerwegen', i.leerwegen,
              'profielen', i.profielen, 'niveaus', i.niveaus, 'opleidingsdomeinen', i.opleidingsdomeinen,
              'crebo', i.crebo, 'start_year', i.start_year, 'place', i.place, 'website', i.website,
              'mailbox', i.mailbox, 'region_codes', i.region_codes, 'published_at', i.published_at)
          )::text, ',' order by i.id), '') from api.initiatives i where i.id = any (p.ids)),
         p.estimated, p.more, p.ids[cardinality(p.ids)]
  from api.initiative_page($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) p
$$;

comment on function api.initiative_items(float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[], bigint, integer, integer) is
  'A page of the initiatives collection as GeoJSON Features, with the number matched and the paging';

-- One published initiative as a GeoJSON Feature with its parties, conditions, regions and the
-- contacts who consented; no row when there is none.
create function api.initiative_item(id bigint) returns table (feature text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select json_build_object(
    'type', 'Feature', 'id', i.id,
    'geometry', st_asgeojson(i.geom, 6)::json,
    'properties', json_build_object(
      'id', i.id, 'name', i.name, 'route_kind', i.route_kind, 'leerwegen', i.leerwegen,
      'profielen', i.profielen, 'niveaus', i.niveaus, 'opleidingsdomeinen', i.opleidingsdomeinen,
      'crebo', i.crebo, 'start_year', i.start_year, 'description', i.description, 'place', i.place,
      'website', i.website, 'mailbox', i.mailbox, 'region_codes', i.region_codes,
      'parties', i.parties, 'conditions', i.conditions, 'regions', i.regions, 'contacts', i.contacts,
      'published_at', i.published_at, 'updated_at', i.updated_at))::text
  from api.initiatives i where i.id = $1
$$;

comment on function api.initiative_item(bigint) is 'One published initiative as a GeoJSON Feature; no row when there is none';

-- The clusters of /collections/initiatives/clusters (api.initiative_clusters, with the filters in
-- the order of api.initiative_items): the region codes that name no region (else NULL), the
-- number of clusters, the number of initiatives in them, and the Feature objects joined by commas.
create function api.initiative_cluster_features(
  z                  integer,
  bbox               float8[]  default null,
  region_codes       text[]    default null,
  route_kinds        text[]    default null,
  niveaus            integer[] default null,
  profielen          text[]    default null,
  leerwegen          text[]    default null,
  opleidingsdomeinen text[]    default null,
  brins              text[]    default null,
  q                  text      default null,
  start_years        integer[] default null
) returns table (unknown_regions text, clusters bigint, initiatives numeric, features text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  with k as (
    select * from api.initiative_clusters($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11))
  select (select string_agg(c, ',' order by c) from unnest($3) c
           where not exists (select 1 from api.regions r where r.code = c)),
         (select count(*) from k), (select coalesce(sum(k.count), 0) from k),
         (select coalesce(string_agg(json_build_object(
            'type', 'Feature',
            'geometry', json_build_object('type', 'Point',
                                          'coordinates', json_build_array(round(k.lon::numeric, 6), round(k.lat::numeric, 6))),
            'properties', json_strip_nulls(json_build_object(
              'count', k.count, 'route_kind_counts', k.route_kind_counts, 'id', k.id)))::text,
            ',' order by k.count desc, k.lon, k.lat), '') from k)
$$;

comment on function api.initiative_cluster_features(integer, float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[]) is
  'The clusters of the initiatives matching the filters as GeoJSON Features, with their numbers';

-- Schools -------------------------------------------------------------------------------------

-- A school location as a GeoJSON Feature (the same for the page and the item).
create function api.school_feature(s api.schools) returns text
language sql stable
return json_build_object('type', 'Feature', 'id', s.vestigingscode,
  'geometry', st_asgeojson(s.geom, 6)::json,
  'properties', json_build_object(
    'vestigingscode', s.vestigingscode, 'brin', s.brin, 'name', s.name, 'address', s.address,
    'postcode', s.postcode, 'plaats', s.plaats, 'gemeente_code', s.gemeente_code,
    'region_codes', s.region_codes, 'vmbo', s.vmbo, 'onderwijsstructuur', s.onderwijsstructuur,
    'leerwegen', s.leerwegen, 'website', s.website, 'route_count', s.route_count))::text;

-- A page of the schools collection: the region codes that name no region (else NULL), the number
-- matched, the number returned and the Feature objects joined by commas. q: a case-insensitive
-- part of the name or plaats.
create function api.school_items(bbox float8[] default null, region_codes text[] default null,
                                 brins text[] default null, vmbo boolean default null, q text default null,
                                 lim integer default 100, skip integer default 0)
returns table (unknown_regions text, matched bigint, returned bigint, features text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  with m as (
    select s from api.schools s
     where ($1 is null or s.geom && st_makeenvelope($1[1], $1[2], $1[3], $1[4], 4326))
       and ($2 is null or s.region_codes && $2)
       and ($3 is null or s.brin = any ($3))
       and ($4 is null or s.vmbo = $4)
       and ($5 is null or strpos(lower(s.name || ' ' || s.plaats), lower($5)) > 0)
  ), page as (
    select m.s from m order by (m.s).vestigingscode limit $6 offset $7
  )
  select (select string_agg(c, ',') from unnest($2) c
           where not exists (select 1 from api.regions r where r.code = c)),
         (select count(*) from m),
         (select count(*) from page),
         (select coalesce(string_agg(api.school_feature(page.s), ',' order by (page.s).vestigingscode), '') from page)
$$;

comment on function api.school_items(float8[], text[], text[], boolean, text, integer, integer) is
  'A page of the school locations as GeoJSON Features, with the number matched';

create function api.school_item(vestigingscode text) returns table (feature text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select api.school_feature(s) from api.schools s where s.vestigingscode = $1
$$;

comment on function api.school_item(text) is 'One school location as a GeoJSON Feature; no row when there is none';

-- Regions -------------------------------------------------------------------------------------

-- A region as a GeoJSON Feature, its outline snapped to a grid of `simplify` degrees when that is
-- above 0: snapping keeps borders that two regions share identical in both, unlike a per-polygon
-- simplification, so a national map shows no slivers or gaps.
create function api.region_feature(g api.regions, simplify float8) returns text
language sql stable
return json_build_object('type', 'Feature', 'id', g.code,
  'geometry', st_asgeojson(case when simplify > 0 then st_snaptogrid(g.geom, simplify) else g.geom end, 6)::json,
  'properties', json_build_object('type', g.type, 'code', g.code, 'year', g.year, 'name', g.name,
                                  'initiative_count', g.initiative_count))::text;

-- A page of the regions of one type in the current division: unknown_regions (always NULL, for
-- the shape of a page), the number matched, the number returned and the Feature objects.
create function api.region_items(region_type text, simplify float8 default 0, bbox float8[] default null,
                                 lim integer default 100, skip integer default 0)
returns table (unknown_regions text, matched bigint, returned bigint, features text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  with m as (
    select g from api.regions g
     where g.type = $1
       and g.year = (select max(r.year) from api.regions r where r.type = $1)
       and ($3 is null or g.geom && st_makeenvelope($3[1], $3[2], $3[3], $3[4], 4326))
  ), page as (
    select m.g from m order by (m.g).code limit $4 offset $5
  )
  select null::text, (select count(*) from m), (select count(*) from page),
         (select coalesce(string_agg(api.region_feature(page.g, $2), ',' order by (page.g).code), '') from page)
$$;

comment on function api.region_items(text, float8, float8[], integer, integer) is
  'A page of the regions of a type (current division) as GeoJSON Features, with the number matched';

-- The region of that type and code (of the latest year that has it); no row when there is none.
create function api.region_item(region_type text, code text, simplify float8 default 0) returns table (feature text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select api.region_feature(g, $3) from api.regions g
  where g.type = $1 and g.code = $2
  order by g.year desc limit 1
$$;

comment on function api.region_item(text, text, float8) is 'One region as a GeoJSON Feature; no row when there is none';

-- Privileges ----------------------------------------------------------------------------------
revoke all on function api.school_feature(api.schools), api.region_feature(api.regions, float8) from public;
grant execute on function
  api.initiative_items(float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[], bigint, integer, integer),
  api.initiative_item(bigint),
  api.initiative_cluster_features(integer, float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[]),
  api.school_items(float8[], text[], text[], boolean, text, integer, integer),
  api.school_item(text),
  api.region_items(text, float8, float8[], integer, integer),
  api.region_item(text, text, float8)
to routekaart_web;
