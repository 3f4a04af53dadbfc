-- What the vector tiles and the clusters (018) read, kept ready: the published initiatives counted
-- per cell of a fine grid in Web Mercator, and the region outlines simplified per band of zooms.
--
-- The grid. EPSG:3857 spans ±W = ±20037508.342789244 m in x and y. A tile of zoom z (XYZ scheme,
-- y from the north, as ST_TileEnvelope) is divided into 8 × 8 cells, so the cell grid of zoom z
-- has 2^(z+3) cells per side; cell (cx, cy) of zoom z holds the points with
--   cx = floor((x + W) / (2W / 2^(z+3))),  cy = floor((W - y) / (2W / 2^(z+3)))
-- (kaart.cell_x, kaart.cell_y). The cells nest: the cell of zoom z is the zoom-12 cell shifted
-- right by 12 - z bits, and tile (x, y) of zoom z holds the zoom-12 cells with cx >> (12 - z)
-- between 8x and 8x + 7. kaart.initiative_cell keeps the zoom-12 grid (2^15 cells per side,
-- about 1.2 km), so a cluster of any zoom up to 12 is a sum over a range of its primary key.
--
-- Coordinates are summed exactly: a point's Mercator coordinates are rounded to 1/1024 m
-- (kaart.mercator_q), so every sum is a multiple of 2^-10 that float8 holds exactly while it stays
-- below 2^43 (8.8e12 m: 400,000 initiatives in one cell at the far edge of the world, over a
-- million in the Netherlands). Adding and removing points in any order then gives the same sums
-- as counting from scratch, and a cell whose points left has sums of exactly 0.
set local role routekaart_owner;

-- A coordinate in metres, rounded to 1/1024 m (exact: multiplying and dividing by powers of two).
create function kaart.mercator_q(v float8) returns float8
language sql immutable parallel safe
return round(v * 1024) / 1024;

-- The column and row (from the north) of the cell of zoom z (8 × 8 per tile) that holds the
-- EPSG:3857 coordinate; points on the far edge of the world belong to the last cell.
create function kaart.cell_x(x float8, z integer) returns integer
language sql immutable parallel safe
return least(greatest(floor((x + 20037508.342789244::float8)
                            / (2 * 20037508.342789244::float8 / (1::bigint << (z + 3))::float8)), 0),
             (1::bigint << (z + 3)) - 1)::integer;

create function kaart.cell_y(y float8, z integer) returns integer
language sql immutable parallel safe
return least(greatest(floor((20037508.342789244::float8 - y)
                            / (2 * 20037508.342789244::float8 / (1::bigint << (z + 3))::float8)), 0),
             (1::bigint << (z + 3)) - 1)::integer;

-- Published initiatives per zoom-12 cell and route kind. Derived: written only by the triggers
-- below (and the backfill at the end).
create table kaart.initiative_cell (
  cx         integer not null,   -- kaart.cell_x(x, 12)
  cy         integer not null,   -- kaart.cell_y(y, 12)
  route_kind text not null,
  n          integer not null,   -- published initiatives (no row when 0)
  sx         float8 not null,    -- sum of their x (EPSG:3857, kaart.mercator_q)
  sy         float8 not null,    -- sum of their y
  sid        bigint not null,    -- sum of their ids: the id when n = 1
  primary key (cx, cy, route_kind)
);

comment on table kaart.initiative_cell is
  'Derived, for tiles and clusters: published initiatives per zoom-12 Web Mercator cell (8 x 8 per tile) and route kind (maintained by triggers)';

-- The zoom-12 cell of a point (EPSG:4326), for the index below.
create function kaart.geom_cell_x(geom geometry) returns integer
language sql immutable parallel safe
return kaart.cell_x(kaart.mercator_q(st_x(st_transform(geom, 3857))), 12);

create function kaart.geom_cell_y(geom geometry) returns integer
language sql immutable parallel safe
return kaart.cell_y(kaart.mercator_q(st_y(st_transform(geom, 3857))), 12);

-- A point's zoom-12 cell and rounded EPSG:3857 coordinates (as kaart.geom_cell_x/y, with one
-- transformation).
create function kaart.initiative_cell_point(geom geometry)
returns table (cx integer, cy integer, x float8, y float8)
language sql immutable parallel safe as $$
  select kaart.cell_x(q.x, 12), kaart.cell_y(q.y, 12), q.x, q.y
  from (select kaart.mercator_q(st_x(m.g)) as x, kaart.mercator_q(st_y(m.g)) as y
        from (select st_transform(geom, 3857) as g) m) q
$$;

-- The published initiatives by zoom-12 cell, with what a tile of them shows: a tile from zoom 13
-- on is a few ranges of this index, read without touching the table (an index-only scan, once
-- VACUUM has marked the pages all-visible). The table's own rows are wide (about 1.8 kB) and
-- the points of one place lie scattered over it, so reading them costs a page per initiative.
create index initiative_published_cell on kaart.initiative (kaart.geom_cell_x(geom), kaart.geom_cell_y(geom))
  include (id, route_kind, name, geom) where status = 'published';

-- Add changes (one row per cell and route kind: the change of n, sx, sy, sid) to the cells, in
-- key order so that concurrent writers lock cells in the same order; cells left without
-- initiatives are deleted. (A proposed row may be negative: hence no CHECK on n.)
create function kaart.initiative_cell_add(deltas kaart.initiative_cell[]) returns void
language plpgsql as $$
declare
  empty kaart.initiative_cell[];
begin
  with up as (
    insert into kaart.initiative_cell as c (cx, cy, route_kind, n, sx, sy, sid)
    select d.cx, d.cy, d.route_kind, d.n, d.sx, d.sy, d.sid
    from unnest(deltas) d
    where (d.n, d.sx, d.sy, d.sid) <> (0, 0, 0, 0)
    order by d.cx, d.cy, d.route_kind
    on conflict (cx, cy, route_kind) do update
      set n = c.n + excluded.n, sx = c.sx + excluded.sx, sy = c.sy + excluded.sy, sid = c.sid + excluded.sid
    returning c.cx, c.cy, c.route_kind, c.n, c.sx, c.sy, c.sid
  )
  select array_agg(row(u.cx, u.cy, u.route_kind, u.n, u.sx, u.sy, u.sid)::kaart.initiative_cell) into empty
  from up u where u.n <= 0;
  if empty is not null then
    delete from kaart.initiative_cell c
    using unnest(empty) e
    where (c.cx, c.cy, c.route_kind) = (e.cx, e.cy, e.route_kind) and c.n <= 0;
  end if;
end
$$;

-- Statement triggers: one change of the cells per statement, also for bulk loads. Only the
-- status, point and route kind of an initiative matter; an update that changes none of them
-- costs a join of the transition tables and nothing else.
create function kaart.initiative_cell_changed() returns trigger
language plpgsql as $$
declare
  deltas kaart.initiative_cell[];
begin
  if tg_op = 'TRUNCATE' then
    delete from kaart.initiative_cell;
    return null;
  elsif tg_op = 'INSERT' then
    select array_agg(row(d.cx, d.cy, d.route_kind, d.n, d.sx, d.sy, d.sid)::kaart.initiative_cell) into deltas
    from (select p.cx, p.cy, r.route_kind, count(*)::integer as n, sum(p.x) as sx, sum(p.y) as sy, sum(r.id) as sid
          from new_rows r cross join lateral kaart.initiative_cell_point(r.geom) p
          where r.status = 'published'
          group by 1, 2, 3) d;
  elsif tg_op = 'DELETE' then
    select array_agg(row(d.cx, d.cy, d.route_kind, -d.n, -d.sx, -d.sy, -d.sid)::kaart.initiative_cell) into deltas
    from (select p.cx, p.cy, r.route_kind, count(*)::integer as n, sum(p.x) as sx, sum(p.y) as sy, sum(r.id) as sid
          from old_rows r cross join lateral kaart.initiative_cell_point(r.geom) p
          where r.status = 'published'
          group by 1, 2, 3) d;
  else
    select array_agg(row(d.cx, d.cy, d.route_kind, d.n, d.sx, d.sy, d.sid)::kaart.initiative_cell) into deltas
    from (select p.cx, p.cy, c.route_kind, sum(c.k)::integer as n, sum(c.k * p.x) as sx, sum(c.k * p.y) as sy,
                 sum(c.k * c.id) as sid
          from old_rows o join new_rows n on n.id = o.id
          cross join lateral (values (-1, o.id, o.route_kind, o.geom, o.status = 'published'),
                                     (1, n.id, n.route_kind, n.geom, n.status = 'published'))
                             c(k, id, route_kind, geom, counts)
          cross join lateral kaart.initiative_cell_point(c.geom) p
          where (o.status = 'published' or n.status = 'published')
            and (o.status <> n.status or o.route_kind <> n.route_kind or o.geom is distinct from n.geom)
            and c.counts
          group by 1, 2, 3) d;
  end if;
  if deltas is not null then
    perform kaart.initiative_cell_add(deltas);
  end if;
  return null;
end
$$;

create trigger initiative_cell_insert after insert on kaart.initiative
  referencing new table as new_rows for each statement execute function kaart.initiative_cell_changed();
create trigger initiative_cell_update after update on kaart.initiative
  referencing old table as old_rows new table as new_rows for each statement execute function kaart.initiative_cell_changed();
create trigger initiative_cell_delete after delete on kaart.initiative
  referencing old table as old_rows for each statement execute function kaart.initiative_cell_changed();
create trigger initiative_cell_truncate after truncate on kaart.initiative
  for each statement execute function kaart.initiative_cell_changed();

-- The cells of the initiatives that exist already.
insert into kaart.initiative_cell (cx, cy, route_kind, n, sx, sy, sid)
select p.cx, p.cy, i.route_kind, count(*), sum(p.x), sum(p.y), sum(i.id)
from kaart.initiative i cross join lateral kaart.initiative_cell_point(i.geom) p
where i.status = 'published'
group by 1, 2, 3;
analyze kaart.initiative_cell;

-- Region outlines for the tiles ------------------------------------------------------------------
--
-- Per band of zooms, each region's outline in EPSG:3857 snapped to a grid of about one screen
-- pixel at the band's highest zoom (1/512 of a tile: MapLibre draws a vector tile 512 pixels wide),
-- the grid aligned with the tiles. Snapping moves every vertex on its own, so a border two regions
-- share stays shared; what snapping breaks is repaired (ST_MakeValid, polygons only), and a region
-- that snaps away is left out of that band. The last band is the outline unchanged.
create function kaart.region_tile_bands()
returns table (band smallint, min_zoom integer, max_zoom integer, grid float8)
language sql immutable parallel safe as $$
  select b.band::smallint, b.min_zoom, b.max_zoom,
         case when b.band < 3 then 2 * 20037508.342789244::float8 / (1::bigint << b.max_zoom) / 512 else 0 end
  from (values (0, 0, 5), (1, 6, 8), (2, 9, 11), (3, 12, 22)) b(band, min_zoom, max_zoom)
$$;

-- The band of a zoom.
create function kaart.region_tile_band(z integer) returns smallint
language sql immutable parallel safe
return case when z <= 5 then 0 when z <= 8 then 1 when z <= 11 then 2 else 3 end::smallint;

create table kaart.region_tile_geom (
  type text not null,
  code text not null,
  year smallint not null,
  band smallint not null check (band between 0 and 3),
  geom geometry(MultiPolygon, 3857) not null check (not st_isempty(geom)),
  primary key (type, year, band, code),
  foreign key (type, code, year) references ref.region on delete cascade
);
create index region_tile_geom_geom on kaart.region_tile_geom using gist (geom);

comment on table kaart.region_tile_geom is
  'Derived, for the region tiles: CBS region outlines in EPSG:3857 per zoom band (kaart.region_tile_bands), filled by api.refresh_region_tiles()';

-- Recompute kaart.region_tile_geom from ref.region (every loaded year). Writes only what changed,
-- so running it again changes nothing; returns the number of outlines (all bands). For the owner:
-- geo/load-reference.sh calls it after loading the regions.
create function api.refresh_region_tiles() returns integer
language plpgsql
set search_path = pg_catalog, public, pg_temp
as $$
declare
  total integer;
begin
  create temp table region_tile_new on commit drop as
  select r.type, r.code, r.year, b.band, g.geom
  from ref.region r
  cross join kaart.region_tile_bands() b
  cross join lateral (select st_transform(r.geom, 3857) as m) m
  cross join lateral (
    select st_multi(case when b.grid = 0 then m.m
                         else st_collectionextract(st_makevalid(
                                st_snaptogrid(m.m, -20037508.342789244, -20037508.342789244, b.grid, b.grid)), 3)
                    end)::geometry(MultiPolygon, 3857) as geom) g
  where not st_isempty(g.geom);

  delete from kaart.region_tile_geom t
  where not exists (select 1 from region_tile_new n
                    where (n.type, n.year, n.band, n.code) = (t.type, t.year, t.band, t.code)
                      and st_asewkb(n.geom) = st_asewkb(t.geom));
  insert into kaart.region_tile_geom (type, code, year, band, geom)
  select n.type, n.code, n.year, n.band, n.geom from region_tile_new n
  on conflict do nothing;

  select count(*) into total from region_tile_new;
  drop table region_tile_new;
  analyze kaart.region_tile_geom;
  return total;
end
$$;

comment on function api.refresh_region_tiles() is
  'Recompute the simplified region outlines of the tiles (kaart.region_tile_geom) from ref.region; owner only';

do $$
begin
  perform api.refresh_region_tiles();
end
$$;

revoke all on table kaart.initiative_cell, kaart.region_tile_geom from public;
revoke all on function
  kaart.mercator_q(float8), kaart.cell_x(float8, integer), kaart.cell_y(float8, integer),
  kaart.geom_cell_x(geometry), kaart.geom_cell_y(geometry), kaart.initiative_cell_point(geometry),
  kaart.initiative_cell_add(kaart.initiative_cell[]), kaart.initiative_cell_changed(),
  kaart.region_tile_bands(), kaart.region_tile_band(integer), api.refresh_region_tiles()
from public;

do $$
begin
  -- the cells nest, also at the edges of the world
  assert (select bool_and(kaart.cell_x(v, 12) >> (12 - z) = kaart.cell_x(v, z)
                          and kaart.cell_y(v, 12) >> (12 - z) = kaart.cell_y(v, z))
          from generate_series(0, 12) z,
               unnest(array[-20037508.342789244, -1e-9, 0, 1e-9, 123456.789, 568432.5, 6803219.25,
                            20037508.342789244]::float8[]) v);
  -- a cell of zoom z lies inside the tile ST_TileEnvelope gives for it
  assert (select bool_and(kaart.cell_x(st_xmin(e) + 1e-3, z) = 8 * tx and kaart.cell_x(st_xmax(e) - 1e-3, z) = 8 * tx + 7
                          and kaart.cell_y(st_ymax(e) - 1e-3, z) = 8 * ty and kaart.cell_y(st_ymin(e) + 1e-3, z) = 8 * ty + 7)
          from (values (0, 0, 0), (5, 16, 10), (12, 2106, 1347), (12, 4095, 0)) t(z, tx, ty),
               lateral (select st_tileenvelope(t.z, t.tx, t.ty) as e) x);
  assert (select count(*) from kaart.initiative_cell)
         = (select count(*) from (select distinct p.cx, p.cy, i.route_kind
                                  from kaart.initiative i cross join lateral kaart.initiative_cell_point(i.geom) p
                                  where i.status = 'published') x);
end
$$;
