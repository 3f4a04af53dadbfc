-- Vector tiles, clusters and extents for the map: api.tile, api.initiative_clusters,
-- api.collection_extents. They read what api/70_tile_cells.sql keeps ready (kaart.initiative_cell,
-- kaart.region_tile_geom) and, at high zooms or with filters, the initiatives through their indexes.
set local role routekaart_owner;

-- The route kinds are those of ref.route_kind (filled from geo/codelists.json before the api is
-- made), in its order: one tile property per kind in api.tile and one JSON key per kind in
-- api.initiative_clusters, written into the functions by the DO blocks that create them.

-- A Mapbox Vector Tile (extent 4096, buffer 64) of tile z/x/y (XYZ scheme: y from the north, as
-- ST_TileEnvelope), or NULL for an unknown collection. A tile outside 0 <= z <= 22,
-- 0 <= x, y < 2^z raises 22023. An empty tile is empty bytes, not NULL. (ST_AsMVT leaves out
-- the rows whose geometry ST_AsMVTGeom clipped away, NULL: a filter on it would compute it twice.)
-- No parallel workers: starting them, and PostGIS in each, costs more than any tile.
--
--   initiatives   layer 'initiatives'. Up to zoom 12: one point per cell of the zoom's grid (8 × 8
--                 per tile, kaart.initiative_cell) at the mean position of its initiatives, with
--                 count, one count per route kind, route_kind (the most frequent; ties in code-list
--                 order) and id (when count is 1). From zoom 13: every published initiative, with
--                 id, name and route_kind. Points within the buffer of a neighbouring tile are in
--                 both tiles.
--   regions-TYPE  layer 'regions': the regions of the type (ref.region_type) of the current
--                 division, with code, name, type and initiative_count; outlines simplified for the
--                 zoom (kaart.region_tile_geom).
do $gen$
declare
  r record;
  sums text := '';     -- per route kind: its count in a cluster,
  props text := '';    -- and the tile property that holds it
begin
  for r in select code from ref.route_kind order by sort loop
    sums := sums || format(E'               coalesce(sum(c.n) filter (where c.route_kind = %L), 0) as %I,\n', r.code, r.code);
    props := props || format(E'                   k.%I::integer as %I,\n', r.code, r.code);
  end loop;

  execute $f$create function api.tile(collection text, z integer, x integer, y integer) returns bytea
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
set jit = off
set max_parallel_workers_per_gather = 0
as $$
declare
  env geometry;      -- the tile in EPSG:3857
  s integer;         -- 12 - z: zoom-12 cells per cell of this zoom, as a shift
  area geometry;     -- the tile with its buffer
  columns integer[]; -- the zoom-12 cells that overlap it: these columns,
  row0 integer;      -- these rows
  row1 integer;
  rtype text;
begin
  if z is null or x is null or y is null or z < 0 or z > 22 or x < 0 or y < 0
     or x >= (1 << z) or y >= (1 << z) then
    raise exception 'there is no tile %/%/%', coalesce(z::text, 'null'), coalesce(x::text, 'null'), coalesce(y::text, 'null')
      using errcode = 'invalid_parameter_value',
            hint = 'The zoom is 0 to 22; x and y are 0 to 2^zoom - 1, y counted from the north.';
  end if;
  env := st_tileenvelope(z, x, y);

  if collection = 'initiatives' and z <= 12 then
    s := 12 - z;
    -- the cells of the tile and the ring of cells around it (a cluster near the edge of a
    -- neighbour can lie within the buffer)
    return (
      with cell as (
        select c.cx >> s as gx, c.cy >> s as gy, c.route_kind,
               sum(c.n) as n, sum(c.sx) as sx, sum(c.sy) as sy, sum(c.sid) as sid
        from kaart.initiative_cell c
        where c.cx between (8 * x - 1) << s and ((8 * x + 9) << s) - 1
          and c.cy between (8 * y - 1) << s and ((8 * y + 9) << s) - 1
        group by 1, 2, 3
      ), cluster as (
        select sum(c.n) as n, sum(c.sx) / sum(c.n) as mx, sum(c.sy) / sum(c.n) as my,
$f$
    || sums || $f$               (array_agg(c.route_kind order by c.n desc, k.sort))[1] as route_kind,
               case when sum(c.n) = 1 then sum(c.sid) end as id
        from cell c join ref.route_kind k on k.code = c.route_kind
        group by c.gx, c.gy
      )
      select coalesce(st_asmvt(t, 'initiatives', 4096, 'geom'), '')
      from (select k.n::integer as count,
$f$
    || props || $f$                   k.route_kind,
                   k.id::bigint as id,
                   st_asmvtgeom(st_point(k.mx, k.my, 3857), env, 4096, 64, true) as geom
            from cluster k) t);

  elsif collection = 'initiatives' then
    -- the initiatives in the tile and its buffer: the zoom-12 cells that overlap it, one range
    -- of the index initiative_published_cell per column of cells, then the buffered tile itself
    -- (in EPSG:4326 a rectangle as well)
    area := st_tileenvelope(z, x, y, margin => 64.0 / 4096);
    columns := array(select generate_series(kaart.cell_x(st_xmin(area), 12), kaart.cell_x(st_xmax(area), 12)));
    row0 := kaart.cell_y(st_ymax(area), 12);
    row1 := kaart.cell_y(st_ymin(area), 12);
    area := st_transform(area, 4326);
    return (
      select coalesce(st_asmvt(t, 'initiatives', 4096, 'geom'), '')
      from (select i.id, i.name, i.route_kind,
                   st_asmvtgeom(st_transform(i.geom, 3857), env, 4096, 64, true) as geom
            from kaart.matching_initiatives() i
            where kaart.geom_cell_x(i.geom) = any (columns)
              and kaart.geom_cell_y(i.geom) between row0 and row1
              and st_x(i.geom) between st_xmin(area) and st_xmax(area)
              and st_y(i.geom) between st_ymin(area) and st_ymax(area)) t);

  elsif collection like 'regions-%' then
    rtype := substr(collection, 9);
    if not exists (select 1 from ref.region_type t where t.type = rtype) then
      return null;
    end if;
    return (
      select coalesce(st_asmvt(t, 'regions', 4096, 'geom'), '')
      from (select g.code, r.name, g.type, coalesce(n.n, 0) as initiative_count,
                   st_asmvtgeom(g.geom, env, 4096, 64, true) as geom
            from kaart.region_tile_geom g
            join ref.region r on r.type = g.type and r.code = g.code and r.year = g.year
            left join kaart.region_tally n on n.code = g.code and n.year = g.year
            where g.type = rtype
              and g.year = (select d.year from ref.division d where d.is_current)
              and g.band = kaart.region_tile_band(z)
              and g.geom && st_tileenvelope(z, x, y, margin => 64.0 / 4096)
            order by g.code) t);
  end if;
  return null;
end
$$ $f$;
end
$gen$;


comment on function api.tile(text, integer, integer, integer) is
  'Mapbox Vector Tile z/x/y (XYZ) of a collection: initiatives (clusters up to zoom 12), regions-<type>; NULL for an unknown collection';

-- Clusters of the published initiatives matching every given filter (NULL = no filter; within an
-- array any value matches; those of kaart.matching_initiatives but for the bbox), one per cell
-- of the zoom's grid (8 × 8 per tile, as the tiles), largest first: the mean position of its
-- initiatives in EPSG:4326, their number, their number per route kind (every kind, zeros
-- included) and, for a cluster of one, its id. bbox (lon/lat xmin, ymin, xmax, ymax) selects the
-- cells it touches: a cluster counts all the matching initiatives of its cell, also those just
-- outside the bbox, so clusters do not change when the map pans. Up to zoom 12 with no filter but
-- bbox and route_kinds the clusters are sums over kaart.initiative_cell; otherwise the matching
-- initiatives are grouped as they are read. z is 0 to 20 and a bbox four numbers within
-- -180..180, -90..90, min before max: anything else raises 22023.
do $gen$
declare
  r record;
  counts text := '';   -- per route kind: its key and count in route_kind_counts
begin
  for r in select code from ref.route_kind order by sort loop
    counts := counts || case when counts = '' then '' else E',\n' end
              || format('             %L, coalesce(sum(c.n) filter (where c.route_kind = %L), 0)', r.code, r.code);
  end loop;

  execute $f$create function api.initiative_clusters(
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
) returns table (lon float8, lat float8, count bigint, route_kind_counts jsonb, id bigint)
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
set jit = off
set plan_cache_mode = force_custom_plan
as $$
declare
  b float8[];
  lo geometry;            -- the bbox's corners in EPSG:3857
  hi geometry;
  gx0 integer;            -- the cells of zoom z the bbox touches (all without one)
  gx1 integer;
  gy0 integer;
  gy1 integer;
  fx0 integer;            -- the zoom-12 cells of those (through the index initiative_published_cell:
  fx1 integer;            -- one range per column of cells)
  columns integer[];
  fy0 integer;
  fy1 integer;
  s integer;              -- 12 - z
  from_cells boolean;
  cells kaart.initiative_cell[];   -- per cell of zoom z and route kind
begin
  if z is null or z < 0 or z > 20 then
    raise exception 'the zoom must be 0 to 20, not %', coalesce(z::text, 'null')
      using errcode = 'invalid_parameter_value';
  end if;
  s := greatest(12 - z, 0);
  if bbox is null then
    gx0 := 0; gy0 := 0;
    gx1 := (1 << (z + 3)) - 1; gy1 := gx1;
  else
    b := array(select unnest(bbox));
    if cardinality(b) <> 4 or array_position(b, null) is not null
       or not (b[1] between -180 and 180 and b[3] between -180 and 180
               and b[2] between -90 and 90 and b[4] between -90 and 90
               and b[1] <= b[3] and b[2] <= b[4]) then
      raise exception 'a bbox is four numbers: lon/lat xmin, ymin, xmax, ymax'
        using errcode = 'invalid_parameter_value',
              detail = format('Got %s.', coalesce(bbox::text, 'null'));
    end if;
    -- (Web Mercator ends at 85.0511°)
    lo := st_transform(st_point(b[1], greatest(b[2], -85.0511287798066), 4326), 3857);
    hi := st_transform(st_point(b[3], least(b[4], 85.0511287798066), 4326), 3857);
    gx0 := kaart.cell_x(st_x(lo), z); gx1 := kaart.cell_x(st_x(hi), z);
    gy0 := kaart.cell_y(st_y(hi), z); gy1 := kaart.cell_y(st_y(lo), z);
  end if;
  if z <= 12 then
    fx0 := gx0 << s; fx1 := ((gx1 + 1) << s) - 1;
    fy0 := gy0 << s; fy1 := ((gy1 + 1) << s) - 1;
  else
    fx0 := gx0 >> (z - 12); fx1 := gx1 >> (z - 12);
    fy0 := gy0 >> (z - 12); fy1 := gy1 >> (z - 12);
  end if;
  if bbox is not null then
    columns := array(select generate_series(fx0, fx1));
  end if;
  from_cells := z <= 12 and region_codes is null and leerwegen is null and profielen is null
                and niveaus is null and opleidingsdomeinen is null and brins is null and q is null
                and start_years is null;

  -- The clusters' cells and route kinds (a kaart.initiative_cell of zoom z), from the kept cells
  -- or from the matching initiatives; then one cluster per cell.
  if from_cells then
    cells := array(
      select row(c.cx >> s, c.cy >> s, c.route_kind, sum(c.n)::integer, sum(c.sx), sum(c.sy), sum(c.sid)::bigint)::kaart.initiative_cell
      from kaart.initiative_cell c
      where c.cx between fx0 and fx1
        and c.cy between fy0 and fy1
        and (initiative_clusters.route_kinds is null or c.route_kind = any (initiative_clusters.route_kinds))
      group by c.cx >> s, c.cy >> s, c.route_kind);
  else
    cells := array(
      select row(m.gx, m.gy, m.route_kind, count(*)::integer, sum(m.x), sum(m.y), sum(m.id)::bigint)::kaart.initiative_cell
      from (select kaart.cell_x(p.x, z) as gx, kaart.cell_y(p.y, z) as gy, i.route_kind, p.x, p.y, i.id
            from kaart.matching_initiatives(null, initiative_clusters.region_codes, initiative_clusters.route_kinds,
                                            initiative_clusters.niveaus, initiative_clusters.profielen,
                                            initiative_clusters.leerwegen, initiative_clusters.opleidingsdomeinen,
                                            initiative_clusters.brins, initiative_clusters.q,
                                            initiative_clusters.start_years) i
            cross join lateral kaart.initiative_cell_point(i.geom) p
            -- the bbox selects the cells it touches, not the points inside it
            where initiative_clusters.bbox is null
               or (kaart.geom_cell_x(i.geom) = any (columns) and kaart.geom_cell_y(i.geom) between fy0 and fy1)) m
      where m.gx between gx0 and gx1 and m.gy between gy0 and gy1
      group by m.gx, m.gy, m.route_kind);
  end if;

  return query
  with cluster as (
    select c.cx, c.cy, sum(c.n) as n, sum(c.sx) / sum(c.n) as mx, sum(c.sy) / sum(c.n) as my,
           jsonb_build_object(
$f$
    || counts || $f$) as kinds,
           case when sum(c.n) = 1 then sum(c.sid) end as one
    from unnest(cells) c
    group by c.cx, c.cy
  )
  select st_x(p.g), st_y(p.g), k.n::bigint, k.kinds, k.one::bigint
  from cluster k
  cross join lateral (select st_transform(st_point(k.mx, k.my, 3857), 4326) as g) p
  order by k.n desc, k.cy, k.cx;
end
$$ $f$;
end
$gen$;


comment on function api.initiative_clusters(integer, float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[]) is
  'Clusters of the published initiatives matching the filters, per cell of the zoom''s grid (8 x 8 per tile), largest first';

-- The extent (EPSG:4326) of each collection: initiatives, schools and regions-TYPE for every
-- region type. For the large tables the planner's estimate (ST_EstimatedExtent, from the
-- statistics of ANALYZE: it may be a little larger than the data, and it covers every initiative,
-- not only the published ones) and, when there are no statistics yet, the exact extent. The
-- regions of a type (current division) are a few hundred rows: their exact extent. NULLs for an
-- empty collection.
create function api.collection_extents()
returns table (collection text, xmin float8, ymin float8, xmax float8, ymax float8)
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
set jit = off
as $$
declare
  e box2d;
begin
  e := st_estimatedextent('kaart', 'initiative', 'geom');
  if e is null then
    select st_extent(i.geom) into e from kaart.initiative i where i.status = 'published';
  end if;
  return query select 'initiatives'::text, st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e);

  e := st_estimatedextent('ref', 'school_location', 'geom');
  if e is null then
    select st_extent(s.geom) into e from ref.school_location s;
  end if;
  return query select 'schools'::text, st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e);

  return query
  select 'regions-' || t.type, st_xmin(x.e), st_ymin(x.e), st_xmax(x.e), st_ymax(x.e)
  from ref.region_type t
  cross join lateral (select st_extent(r.geom) as e from ref.region r
                      where r.type = t.type and r.year = (select d.year from ref.division d where d.is_current)) x
  order by t.sort;
end
$$;

comment on function api.collection_extents() is
  'Extent (EPSG:4326) of each collection of the tiles: initiatives, schools, regions-<type>';

-- Privileges ----------------------------------------------------------------------------------
revoke all on function
  api.tile(text, integer, integer, integer),
  api.initiative_clusters(integer, float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[]),
  api.collection_extents()
from public;

grant execute on function
  api.tile(text, integer, integer, integer),
  api.initiative_clusters(integer, float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[]),
  api.collection_extents()
to routekaart_web;
