-- Test of the vector tiles and clusters (api/70_tile_cells.sql, api/75_tiles.sql): kaart.initiative_cell against a
-- recomputation after every kind of write, api.tile, api.initiative_clusters against counts from
-- kaart.initiative, api.collection_extents, the region outlines of kaart.region_tile_geom, and the
-- privileges. Runs in one transaction that is rolled back. Needs the reference data and the demo
-- data (geo/load-reference.sh, geo/demo.sh); run it as a superuser.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/tiles.sql      (prints "ok - ..." per check)
\ir prologue.psql

-- expect(what, statement, sqlstate): the statement must fail just so.
create function pg_temp.expect(what text, statement text, state text) returns void language plpgsql as $$
declare
  got_state text;
  got_msg text;
begin
  begin
    execute statement;
  exception when others then
    get stacked diagnostics got_state = returned_sqlstate, got_msg = message_text;
  end;
  if got_state is null then
    raise exception 'FAILED: % was accepted', what;
  elsif got_state <> state then
    raise exception 'FAILED: % gave % (%), expected %', what, got_state, got_msg, state;
  end if;
  raise notice 'ok - % refused (%)', what, got_state;
end
$$;

-- The tile (XYZ, y from the north) of zoom z that holds a lon/lat point: the OSM formula.
create function pg_temp.tile_of(p geometry, z integer) returns integer[] language sql immutable
return array[floor((st_x(p) + 180) / 360 * (1 << z))::integer,
             floor((1 - ln(tan(radians(st_y(p))) + 1 / cos(radians(st_y(p)))) / pi()) / 2 * (1 << z))::integer];

-- The cells as defined in migrations/102_kaart.sql, written out again: published initiatives per zoom-12 cell (2^15
-- per side of the Web Mercator square, rows from the north) and route kind, with the sums of
-- their coordinates rounded to 1/1024 m and of their ids.
create function pg_temp.expected_cells()
returns table (cx integer, cy integer, route_kind text, n integer, sx float8, sy float8, sid bigint)
language sql stable as $$
  select floor((p.x + 20037508.342789244) / (40075016.685578488 / 32768))::integer,
         floor((20037508.342789244 - p.y) / (40075016.685578488 / 32768))::integer,
         p.route_kind, count(*)::integer, sum(p.x), sum(p.y), sum(p.id)::bigint
  from (select i.id, i.route_kind,
               round(st_x(st_transform(i.geom, 3857)) * 1024) / 1024 as x,
               round(st_y(st_transform(i.geom, 3857)) * 1024) / 1024 as y
        from kaart.initiative i where i.status = 'published') p
  group by 1, 2, 3
$$;

create function pg_temp.check_cells(what text) returns void language plpgsql as $$
declare
  bad bigint;
begin
  select count(*) into bad from (
    (select c.cx, c.cy, c.route_kind, c.n, c.sx, c.sy, c.sid from kaart.initiative_cell c
     except all select * from pg_temp.expected_cells())
    union all
    (select * from pg_temp.expected_cells()
     except all select c.cx, c.cy, c.route_kind, c.n, c.sx, c.sy, c.sid from kaart.initiative_cell c)) d;
  assert bad = 0, format('%s: kaart.initiative_cell differs from a recomputation in %s rows', what, bad);
  perform pg_temp.ok(what || ': kaart.initiative_cell equals a recomputation from kaart.initiative');
end
$$;

-- A new initiative, written directly (as an import would); parties are left out, the test never
-- commits.
create function pg_temp.add(name text, status text, geom geometry default null, location text default null,
                            kind text default 'samenwerking') returns bigint
language plpgsql as $$
declare
  new_id bigint;
begin
  insert into kaart.initiative (source, status, name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen,
                                location_vestiging, geom)
  values ('import', status, name, kind, '{BB}', '{ZW}', '{2}', '{o}', location, geom)
  returning id into new_id;
  return new_id;
end
$$;

do $$
begin
  assert exists (select 1 from kaart.initiative where status = 'published'), 'no published initiatives: run geo/demo.sh';
  assert exists (select 1 from ref.region), 'no regions: run geo/load-reference.sh';
end
$$;

-- 1. The cells -----------------------------------------------------------------------------------
select pg_temp.check_cells('demo data');

-- Emptied wholesale (first, while no deferred checks are pending, which TRUNCATE refuses)
savepoint before_truncate;
set local client_min_messages = warning;
truncate kaart.initiative cascade;
set local client_min_messages = notice;
do $$
begin
  assert not exists (select 1 from kaart.initiative_cell);
  assert api.tile('initiatives', 5, 16, 10) = ''::bytea and not exists (select 1 from api.initiative_clusters(0));
  perform pg_temp.ok('after TRUNCATE kaart.initiative no cells are left and the tiles are empty');
end
$$;
rollback to savepoint before_truncate;

-- Fixtures: a PC4 point in a zoom-12 cell without initiatives, and two vmbo locations.
select set_config('test.lonely', (
         select st_asewkt(p.geom) from ref.postcode4 p
         where not p.suspect and p.gemeente_code is not null
           and not exists (select 1 from pg_temp.expected_cells() e
                           where (e.cx, e.cy) = (floor((st_x(st_transform(p.geom, 3857)) + 20037508.342789244) / (40075016.685578488 / 32768)),
                                                 floor((20037508.342789244 - st_y(st_transform(p.geom, 3857))) / (40075016.685578488 / 32768))))
         order by p.pc4 limit 1), true),
       set_config('test.loc1', (select vestigingscode from ref.school_location where sector = 'vo' and vmbo order by vestigingscode limit 1), true),
       set_config('test.loc2', (select vestigingscode from ref.school_location where sector = 'vo' and vmbo order by vestigingscode desc limit 1), true);

do $$
declare
  a bigint;
  c kaart.initiative_cell;
  before bigint := (select count(*) from kaart.initiative_cell);
begin
  a := pg_temp.add('Eenling (tegeltest)', 'published', pg_temp.v('lonely')::geometry);
  perform set_config('test.a', a::text, true);
  select * into c from kaart.initiative_cell
  where (cx, cy) = (select e.cx, e.cy from pg_temp.expected_cells() e where e.sid = a and e.n = 1);
  assert c.n = 1 and c.sid = a, 'a cell of one initiative: n = 1 and sid is its id';
  assert (select count(*) from kaart.initiative_cell) = before + 1;
  perform pg_temp.check_cells('one published initiative inserted');
end
$$;

-- many at once, published and not, at school locations and free points
insert into kaart.initiative (source, status, name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen,
                              location_vestiging)
select 'import', case when k % 3 = 0 then 'submitted' else 'published' end, 'Tegeltest ' || k,
       (array['doorlopende_leerroute', 'leerlab', 'samenwerking'])[1 + k % 3], '{KB}', '{ZW}', '{3}', '{o}', s.vestigingscode
from generate_series(1, 300) k
join (select vestigingscode, row_number() over (order by vestigingscode) as r
      from ref.school_location where sector = 'vo' and vmbo) s on s.r = 1 + k % 40;
select pg_temp.check_cells('300 initiatives inserted in one statement');

-- publishing, withdrawing, rejecting, moving, changing the route kind, one at a time and in bulk
do $$
declare
  s bigint;
begin
  s := pg_temp.add('Tegeltest ingediend', 'submitted', location => pg_temp.v('loc1'));
  perform pg_temp.check_cells('a submitted initiative');
  update kaart.initiative set status = 'published' where id = s;
  perform pg_temp.check_cells('published');
  update kaart.initiative set route_kind = 'leerlab' where id = s;
  perform pg_temp.check_cells('route kind changed');
  update kaart.initiative set location_vestiging = pg_temp.v('loc2'),
         geom = (select geom from ref.school_location where vestigingscode = pg_temp.v('loc2'))
  where id = s;
  perform pg_temp.check_cells('moved to another school location');
  update kaart.initiative set name = 'Tegeltest hernoemd', description = 'Alleen de naam en omschrijving' where id = s;
  perform pg_temp.check_cells('renamed (nothing the cells count changed)');
  update kaart.initiative set status = 'withdrawn' where id = s;
  perform pg_temp.check_cells('withdrawn');
end
$$;

update kaart.initiative set status = 'published' where name like 'Tegeltest %' and status = 'submitted' and id % 2 = 0;
update kaart.initiative set status = 'rejected', rejection_reason = 'Test' where name like 'Tegeltest %' and status = 'submitted';
select pg_temp.check_cells('published and rejected in bulk');
update kaart.initiative set route_kind = case route_kind when 'leerlab' then 'samenwerking' else 'leerlab' end
where name like 'Tegeltest %' and route_kind in ('leerlab', 'samenwerking');
select pg_temp.check_cells('route kinds swapped in bulk');
update kaart.initiative set geom = st_translate(geom, 0.004, -0.003), location_vestiging = location_vestiging
where name like 'Tegeltest %' and status = 'published' and location_vestiging is not null and id % 5 = 0;
select pg_temp.check_cells('moved a few hundred metres in bulk');
update kaart.initiative set status = 'withdrawn' where name like 'Tegeltest %' and status = 'published' and id % 7 = 0;
select pg_temp.check_cells('withdrawn in bulk');
update kaart.initiative set revision = revision where status = 'published';
select pg_temp.check_cells('every published initiative updated without change');
delete from kaart.initiative where name like 'Tegeltest %' and id % 3 = 1;
select pg_temp.check_cells('deleted in bulk');

do $$
declare
  a bigint := pg_temp.v('a')::bigint;
  lonely geometry := pg_temp.v('lonely')::geometry;
  n_before bigint := (select count(*) from kaart.initiative_cell);
begin
  update kaart.initiative set status = 'withdrawn' where id = a;
  assert (select count(*) from kaart.initiative_cell) = n_before - 1, 'the emptied cell is deleted';
  assert not exists (select 1 from kaart.initiative_cell where n <= 0 or sid <= 0);
  perform pg_temp.check_cells('the only initiative of a cell withdrawn');
end
$$;

-- 2. api.tile ------------------------------------------------------------------------------------
do $$
declare
  t text;
  nl bytea;
begin
  -- the Netherlands lies in tile 5/16/10
  assert pg_temp.tile_of(st_point(3.36, 50.75), 5) = '{16,10}' and pg_temp.tile_of(st_point(7.22, 53.55), 5) = '{16,10}';
  nl := api.tile('initiatives', 5, 16, 10);
  assert length(nl) > 0, 'the initiatives tile of the Netherlands at z5 is empty';
  assert position(convert_to('initiatives', 'UTF8') in nl) > 0
         and position(convert_to('doorlopende_leerroute', 'UTF8') in nl) > 0
         and position(convert_to('count', 'UTF8') in nl) > 0, 'the z5 tile has no layer initiatives with count and route kinds';
  foreach t in array array(select type from ref.region_type order by sort) loop
    nl := api.tile('regions-' || t, 5, 16, 10);
    assert length(nl) > 0, format('the regions-%s tile of the Netherlands at z5 is empty', t);
    assert position(convert_to('regions', 'UTF8') in nl) > 0
           and position(convert_to((select min(code) from ref.region where type = t), 'UTF8') in nl) > 0
           and position(convert_to('initiative_count', 'UTF8') in nl) > 0,
           format('the regions-%s tile lacks its layer, a code or initiative_count', t);
    assert length(api.tile('regions-' || t, 12, 2106, 1351)) > 0 and length(api.tile('regions-' || t, 9, 263, 168)) > 0;
  end loop;
  perform pg_temp.ok('api.tile: the tile 5/16/10 over the Netherlands has initiatives and every region type');

  assert api.tile('schools', 5, 16, 10) is null and api.tile('nope', 5, 16, 10) is null
         and api.tile('regions-woonplaats', 5, 16, 10) is null and api.tile('regions-', 5, 16, 10) is null
         and api.tile('Initiatives', 5, 16, 10) is null and api.tile(null, 5, 16, 10) is null;
  perform pg_temp.ok('api.tile: NULL for an unknown collection');

  assert api.tile('initiatives', 5, 0, 0) = ''::bytea and api.tile('regions-gemeente', 22, 0, 0) = ''::bytea
         and api.tile('initiatives', 14, 0, 16383) = ''::bytea, 'a tile without data is empty bytes';
  assert length(api.tile('initiatives', 0, 0, 0)) > 0 and length(api.tile('regions-provincie', 0, 0, 0)) > 0;
  perform pg_temp.ok('api.tile: empty bytes (not NULL) for a tile without data');
end
$$;

select pg_temp.expect('tile z -1', $$select api.tile('initiatives', -1, 0, 0)$$, '22023');
select pg_temp.expect('tile z 23', $$select api.tile('initiatives', 23, 0, 0)$$, '22023');
select pg_temp.expect('tile x 2^z', $$select api.tile('initiatives', 5, 32, 0)$$, '22023');
select pg_temp.expect('tile y -1', $$select api.tile('regions-gemeente', 5, 3, -1)$$, '22023');
select pg_temp.expect('tile y 2^z', $$select api.tile('nope', 0, 0, 1)$$, '22023');
select pg_temp.expect('tile x NULL', $$select api.tile('initiatives', 3, null, 1)$$, '22023');

-- an initiative appears in the tiles of its point, as a cluster of one up to z12 and as itself
-- from z13, and leaves them when withdrawn
do $$
declare
  p geometry := pg_temp.v('lonely')::geometry;
  b bigint;
  t integer[];
  z integer;
  id_bytes bytea;
begin
  b := pg_temp.add('Tegeltest zichtbaar in de tegel', 'published', p, kind => 'leerlab');
  foreach z in array '{13,14,16,22}'::integer[] loop
    t := pg_temp.tile_of(p, z);
    assert position(convert_to('Tegeltest zichtbaar in de tegel', 'UTF8') in api.tile('initiatives', z, t[1], t[2])) > 0,
           format('the initiative is not in its tile %s/%s/%s', z, t[1], t[2]);
  end loop;
  -- at z12 its cell holds only it: a cluster with its id (an MVT uint value: varint of the id)
  t := pg_temp.tile_of(p, 12);
  id_bytes := (select string_agg(set_byte('\x00'::bytea, 0, ((b >> (7 * k)) & 127)::integer
                                         | case when b >> (7 * (k + 1)) > 0 then 128 else 0 end), ''::bytea order by k)
               from generate_series(0, 9) k where k = 0 or b >> (7 * k) > 0);
  assert position('\x28'::bytea || id_bytes in api.tile('initiatives', 12, t[1], t[2])) > 0,
         'the z12 tile has no cluster with the id of the single initiative';
  update kaart.initiative set status = 'withdrawn' where id = b;
  t := pg_temp.tile_of(p, 14);
  assert position(convert_to('Tegeltest zichtbaar in de tegel', 'UTF8') in api.tile('initiatives', 14, t[1], t[2])) = 0,
         'a withdrawn initiative is still in its tile';
  perform pg_temp.ok('api.tile: an initiative is in the tiles of its point (z12 as a cluster with its id, z13+ by name) until withdrawn');
end
$$;

-- 3. api.initiative_clusters ---------------------------------------------------------------------
do $$
declare
  total bigint := (select count(*) from kaart.initiative where status = 'published');
  r record;
begin
  assert (select sum(count) from api.initiative_clusters(0)) = total, 'z0 clusters do not add up to the published initiatives';
  assert (select count(*) from api.initiative_clusters(0)) = 1, 'the Netherlands is one cluster at z0';
  assert (select sum(count) from api.initiative_clusters(0, route_kinds => '{leerlab,samenwerking}'))
         = (select count(*) from kaart.initiative where status = 'published' and route_kind in ('leerlab', 'samenwerking'));
  assert (select sum(count) from api.initiative_clusters(0, niveaus => '{3}'))
         = (select count(*) from kaart.initiative where status = 'published' and 3 = any (niveaus));
  assert (select sum(count) from api.initiative_clusters(0, region_codes => '{PV26,PV27}', leerwegen => '{BB}'))
         = (select count(*) from kaart.initiative where status = 'published' and region_codes && '{PV26,PV27}' and 'BB' = any (leerwegen));
  assert (select sum(count) from api.initiative_clusters(0, start_years => '{2024,2025}', profielen => '{ZW,EO}'))
         = (select count(*) from kaart.initiative where status = 'published' and start_year in (2024, 2025) and profielen && '{ZW,EO}');
  assert (select sum(count) from api.initiative_clusters(0, q => 'techniek'))
         = (select count(*) from kaart.initiative where status = 'published' and search @@ websearch_to_tsquery('dutch', 'techniek'));
  assert (select sum(count) from api.initiative_clusters(0, brins => (select array_agg(distinct b) from (
                                  select unnest(brins) b from kaart.initiative where status = 'published' limit 20) x)))
         = (select count(*) from kaart.initiative where status = 'published' and brins && (select array_agg(distinct b) from (
                                  select unnest(brins) b from kaart.initiative where status = 'published' limit 20) x));
  assert (select coalesce(sum(count), 0) from api.initiative_clusters(0, route_kinds => '{}')) = 0;
  perform pg_temp.ok('api.initiative_clusters: at z0 the counts add up to the published initiatives, with and without filters');

  for r in select z from generate_series(0, 20) z loop
    assert (select sum(count) from api.initiative_clusters(r.z)) = total, format('z%s clusters do not add up', r.z);
    assert (select bool_and((c.route_kind_counts ->> 'doorlopende_leerroute')::bigint + (c.route_kind_counts ->> 'geintegreerde_route')::bigint
                            + (c.route_kind_counts ->> 'leerlab')::bigint + (c.route_kind_counts ->> 'samenwerking')::bigint = c.count
                            and (c.id is not null) = (c.count = 1))
            from api.initiative_clusters(r.z) c), format('z%s: route_kind_counts or id wrong', r.z);
  end loop;
  -- a cluster of one is at its initiative's point
  assert (select bool_and(st_dwithin(st_point(c.lon, c.lat, 4326), i.geom, 1e-6) and i.status = 'published')
          from api.initiative_clusters(14) c join kaart.initiative i on i.id = c.id);
  -- largest first
  assert (select bool_and(c.count <= c.prev) from (select count, lag(count) over () as prev from api.initiative_clusters(6)) c
          where c.prev is not null);
  perform pg_temp.ok('api.initiative_clusters: every zoom adds up; kinds add up to count; id exactly for clusters of one, at its point; largest first');

  -- the kept cells (bbox, route kinds, z <= 12) and the grouping of the matching initiatives
  -- (any other filter; niveaus {2,3,4} matches every initiative) give the same clusters
  for r in select z, bbox, kinds
           from generate_series(0, 12) z,
                (values (null::float8[]), ('{4.8,51.9,5.4,52.3}'::float8[]), ('{5.1,52.05,5.15,52.1}'::float8[])) b(bbox),
                (values (null::text[]), ('{leerlab,doorlopende_leerroute}'::text[])) k(kinds) loop
    assert (select array_agg(c order by c.count desc, c.lat, c.lon) from api.initiative_clusters(r.z, r.bbox, route_kinds => r.kinds) c)
           is not distinct from
           (select array_agg(c order by c.count desc, c.lat, c.lon) from api.initiative_clusters(r.z, r.bbox, route_kinds => r.kinds, niveaus => '{2,3,4}') c),
           format('z%s bbox %s kinds %s: the kept cells and the matching initiatives give different clusters', r.z, r.bbox, r.kinds);
  end loop;
  perform pg_temp.ok('api.initiative_clusters: the cells kept by the triggers and grouping on the fly give the same clusters');

  -- bbox: the clusters of the cells it touches; the whole country is everything
  assert (select sum(count) from api.initiative_clusters(9, '{3.2,50.7,7.3,53.6}')) = total;
  assert (select sum(count) from api.initiative_clusters(20, (select array[st_x(geom) - 1e-7, st_y(geom) - 1e-7, st_x(geom) + 1e-7, st_y(geom) + 1e-7]
                                                                  from ref.school_location where vestigingscode = pg_temp.v('loc1'))))
         = (select count(*) from kaart.initiative i join ref.school_location s on s.vestigingscode = pg_temp.v('loc1')
            where i.status = 'published' and st_dwithin(i.geom, s.geom, 1e-5));
  assert not exists (select 1 from api.initiative_clusters(8, '{-10,-10,-9,-9}'));
  perform pg_temp.ok('api.initiative_clusters: a bbox selects the clusters of the cells it touches');
end
$$;

select pg_temp.expect('clusters z -1', $$select * from api.initiative_clusters(-1)$$, '22023');
select pg_temp.expect('clusters z 21', $$select * from api.initiative_clusters(21)$$, '22023');
select pg_temp.expect('clusters bbox of 3', $$select * from api.initiative_clusters(5, '{1,2,3}')$$, '22023');
select pg_temp.expect('clusters bbox min > max', $$select * from api.initiative_clusters(5, '{6,52,5,53}')$$, '22023');
select pg_temp.expect('clusters bbox lat 91', $$select * from api.initiative_clusters(5, '{4,50,5,91}')$$, '22023');
select pg_temp.expect('clusters bbox with NULL', $$select * from api.initiative_clusters(5, '{4,50,null,53}')$$, '22023');
select pg_temp.expect('clusters bbox NaN', $$select * from api.initiative_clusters(5, '{4,NaN,5,53}')$$, '22023');

-- 4. api.collection_extents ----------------------------------------------------------------------
do $$
declare
  r record;
begin
  assert (select array_agg(collection) from api.collection_extents())
         = array['initiatives', 'schools'] || array(select 'regions-' || type from ref.region_type order by sort);
  for r in select * from api.collection_extents() loop
    -- around the Netherlands (the estimates may be a little off the data)
    assert r.xmin between 3.0 and 4.0 and r.xmax between 6.8 and 7.5 and r.ymin between 50.5 and 51.0 and r.ymax between 53.2 and 53.8,
           format('the extent of %s is not the Netherlands: %s %s %s %s', r.collection, r.xmin, r.ymin, r.xmax, r.ymax);
  end loop;
  assert (select (e.xmin, e.ymin, e.xmax, e.ymax) = (st_xmin(x.b), st_ymin(x.b), st_xmax(x.b), st_ymax(x.b))
          from api.collection_extents() e,
               (select st_extent(geom) as b from ref.region where type = 'gemeente'
                and year = (select year from ref.division where is_current)) x
          where e.collection = 'regions-gemeente'), 'the extent of the gemeenten is not exact';
  perform pg_temp.ok('api.collection_extents: initiatives, schools and every region type, around the Netherlands');
end
$$;

-- 5. The region outlines -------------------------------------------------------------------------
do $$
declare
  before text := (select string_agg(xmin::text || ctid::text, ',' order by type, year, band, code) from kaart.region_tile_geom);
  n integer;
  overlap float8;
begin
  assert (select count(*) from kaart.region_tile_geom where band = 3) = (select count(*) from ref.region),
         'not every region has its full outline';
  assert (select bool_and(st_isvalid(geom) and st_srid(geom) = 3857) from kaart.region_tile_geom);
  assert (select bool_and(st_equals(g.geom, st_transform(r.geom, 3857)))
          from kaart.region_tile_geom g join ref.region r using (type, code, year) where g.band = 3);
  -- snapping moves the vertices of a shared border alike, so neighbours do not overlap, but for
  -- slivers where a vertex near a border snaps across it: less than a pixel (a grid cell) each
  select coalesce(max(st_area(st_intersection(a.geom, b.geom)) / (bb.grid * bb.grid)), 0) into overlap
  from kaart.region_tile_geom a
  join kaart.region_tile_geom b
    on a.type = b.type and a.year = b.year and a.band = b.band and a.code < b.code and a.geom && b.geom
  join kaart.region_tile_bands() bb on bb.band = a.band
  where a.band < 3;
  assert overlap < 1, format('simplified neighbouring regions overlap by %s pixels', overlap);
  n := api.refresh_region_tiles();
  assert n = (select count(*) from kaart.region_tile_geom);
  assert before = (select string_agg(xmin::text || ctid::text, ',' order by type, year, band, code) from kaart.region_tile_geom),
         'refreshing unchanged regions rewrote outlines';
  perform pg_temp.ok('region outlines: full detail in the last band, valid, neighbours overlap by less than a pixel; refreshing again changes nothing');
end
$$;

-- 6. Privileges ----------------------------------------------------------------------------------
do $$
declare
  f text;
begin
  foreach f in array '{"api.tile(text,integer,integer,integer)","api.initiative_clusters(integer,double precision[],text[],text[],integer[],text[],text[],text[],text[],text,integer[])","api.collection_extents()"}'::text[] loop
    assert (select p.prosecdef and p.proowner = 'routekaart_owner'::regrole
                   and exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')
            from pg_proc p where p.oid = f::regprocedure), format('%s is not a security definer of routekaart_owner with a fixed search_path', f);
    assert not has_function_privilege('public', f, 'execute'), format('PUBLIC may execute %s', f);
    assert has_function_privilege('routekaart_web', f, 'execute'), format('routekaart_web may not execute %s', f);
  end loop;
  assert not has_function_privilege('routekaart_web', 'api.refresh_region_tiles()', 'execute')
         and not has_function_privilege('routekaart_app', 'api.refresh_region_tiles()', 'execute')
         and not has_function_privilege('public', 'api.refresh_region_tiles()', 'execute');
  assert not has_table_privilege('routekaart_web', 'kaart.initiative_cell', 'select')
         and not has_table_privilege('routekaart_web', 'kaart.region_tile_geom', 'select')
         and not has_table_privilege('routekaart_app', 'kaart.initiative_cell', 'select');
end
$$;
set local role routekaart_web;
do $$
begin
  assert length(api.tile('initiatives', 5, 16, 10)) > 0 and length(api.tile('regions-rmc', 7, 65, 42)) > 0;
  assert (select sum(count) from api.initiative_clusters(3, '{3,50,8,54}', niveaus => '{2,3,4}')) > 0;
  assert (select count(*) from api.collection_extents()) = 2 + json_array_length(api.codelists_json() -> 'region_types');
  begin
    perform count(*) from kaart.initiative_cell;
    raise exception 'FAILED: routekaart_web read kaart.initiative_cell';
  exception when insufficient_privilege then null;
  end;
  begin
    perform api.refresh_region_tiles();
    raise exception 'FAILED: routekaart_web executed api.refresh_region_tiles';
  exception when insufficient_privilege then null;
  end;
  raise notice 'ok - set role routekaart_web: tiles, clusters and extents work; kaart.initiative_cell and api.refresh_region_tiles are refused (42501)';
end
$$;
reset role;

-- 7. How long a tile takes here (the 1,000,000-initiative figures are in sql/README.md)
do $$
declare
  t0 timestamptz;
  z integer;
  t integer[];
  ms text[] := '{}';
begin
  for z in 0 .. 14 loop
    t := pg_temp.tile_of(st_point(5.1214, 52.0907), z);
    t0 := clock_timestamp();
    perform api.tile('initiatives', z, t[1], t[2]);
    ms := ms || format('z%s %s', z, round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 1));
  end loop;
  t0 := clock_timestamp();
  perform api.tile('regions-gemeente', 7, 65, 42);
  ms := ms || format('gemeente z7 %s', round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 1));
  t0 := clock_timestamp();
  perform * from api.initiative_clusters(8, niveaus => '{3}');
  ms := ms || format('clusters z8 niveau 3 %s', round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 1));
  raise notice 'ok - timings (ms) of the tiles over Utrecht: %', array_to_string(ms, ', ');
end
$$;

rollback;
