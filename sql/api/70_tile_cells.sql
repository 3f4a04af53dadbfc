-- What the vector tiles and the clusters (api/75_tiles.sql) read, kept ready: kaart.initiative_cell
-- by statement triggers on kaart.initiative, kaart.region_tile_geom by api.refresh_region_tiles().
-- The grid and the tables are explained in migrations/102_kaart.sql.
set local role routekaart_owner;

-- A point's zoom-12 cell and rounded EPSG:3857 coordinates (as kaart.geom_cell_x/y, with one
-- transformation).
create function kaart.initiative_cell_point(geom geometry)
returns table (cx integer, cy integer, x float8, y float8)
language sql immutable parallel safe as $$
  select kaart.cell_x(q.x, 12), kaart.cell_y(q.y, 12), q.x, q.y
  from (select kaart.mercator_q(st_x(m.g)) as x, kaart.mercator_q(st_y(m.g)) as y
        from (select st_transform(geom, 3857) as g) m) q
$$;

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

revoke all on function
  kaart.initiative_cell_point(geometry),
  kaart.initiative_cell_add(kaart.initiative_cell[]), kaart.initiative_cell_changed(),
  kaart.region_tile_bands(), kaart.region_tile_band(integer), api.refresh_region_tiles()
from public;
