-- Functions of the ref schema that the rules of kaart use.
set local role routekaart_owner;

-- The current CBS division year; without one no initiative can be placed.
create function ref.current_year() returns smallint
language plpgsql stable as $$
declare
  y smallint;
begin
  select year into y from ref.division where is_current;
  if y is null then
    raise exception 'no current region division is loaded'
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Load the reference data with geo/load-reference.sh.';
  end if;
  return y;
end
$$;

-- The gemeente of a point: the polygon it lies in, or the nearest one within 2 km, because the
-- generalised CBS borders (about 100 m) miss points on the coast and along borders. NULL means the
-- point is not in the Netherlands. Distances are on the spheroid, in metres.
create function ref.gemeente_at(p geometry, yr smallint) returns text
language sql stable
return (select code from (
          select r.code, st_distance(r.geom::geography, p::geography) as d
          from ref.region r
          where r.type = 'gemeente' and r.year = yr
          order by r.geom <-> p
          limit 3) nearest
        where d <= 2000
        order by d, code
        limit 1);

-- Canonical form of a code array: no duplicates, in code-list order (text order when code_order
