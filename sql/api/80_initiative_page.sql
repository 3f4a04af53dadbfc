-- One page of the initiatives collection for large tables: which published initiatives match the
-- filters, the next ones after a key (keyset paging: a next page does not rescan the earlier ones),
-- and how many match in all, exactly while that is cheap and estimated when it is not.
set local role routekaart_owner;

-- Every filter is NULL (not used) or a value; within an array filter any value matches. The query
-- is put together from the fixed fragments below, one per filter that is used, so that each uses
-- its index; the values only ever travel as parameters.
--
--   unknown_regions  the given region codes that name no region (comma-separated), else NULL
--   matched          how many initiatives match; exact up to count_cap, beyond that exact only
--                    without filters or with route_kinds alone (from kaart.initiative_cell),
--                    else the planner's estimate (estimated = true), never below count_cap + 1
--   ids              the page: at most lim ids, ascending, after `after`, skipping `skip`
--   more             whether another page follows
create function api.initiative_page(
  bbox               float8[]  default null,   -- lon/lat xmin, ymin, xmax, ymax
  region_codes       text[]    default null,
  route_kinds        text[]    default null,
  niveaus            integer[] default null,
  profielen          text[]    default null,
  leerwegen          text[]    default null,
  opleidingsdomeinen text[]    default null,
  brins              text[]    default null,
  q                  text      default null,   -- Dutch full text, web-search syntax
  start_years        integer[] default null,
  after              bigint    default null,
  lim                integer   default 100,
  skip               integer   default 0,
  count_cap          integer   default 10000,
  out unknown_regions text,
  out matched        bigint,
  out estimated      boolean,
  out ids            bigint[],
  out more           boolean
)
language plpgsql volatile security definer  -- volatile: EXPLAIN is not allowed otherwise
set search_path = pg_catalog, public, pg_temp
as $$
declare
  cond text := 'i.status = ''published''';
  plan json;
begin
  if lim is null or lim < 1 or lim > 10000 or skip is null or skip < 0 or count_cap is null or count_cap < 0 then
    raise exception 'lim must be 1 to 10000, skip and count_cap 0 or more'
      using errcode = 'invalid_parameter_value';
  end if;
  select string_agg(c, ',' order by c) into unknown_regions
    from unnest(region_codes) c
   where not exists (select 1 from ref.region r where r.code = c);

  if bbox is not null then
    cond := cond || ' and i.geom && st_makeenvelope($1[1], $1[2], $1[3], $1[4], 4326)';
  end if;
  if region_codes is not null then cond := cond || ' and i.region_codes && $2'; end if;
  if route_kinds is not null then cond := cond || ' and i.route_kind = any ($3)'; end if;
  if niveaus is not null then cond := cond || ' and i.niveaus && $4'; end if;
  if profielen is not null then cond := cond || ' and i.profielen && $5'; end if;
  if leerwegen is not null then cond := cond || ' and i.leerwegen && $6'; end if;
  if opleidingsdomeinen is not null then cond := cond || ' and i.opleidingsdomeinen && $7'; end if;
  if brins is not null then cond := cond || ' and i.brins && $8'; end if;
  if q is not null then cond := cond || ' and i.search @@ websearch_to_tsquery(''dutch'', $9)'; end if;
  if start_years is not null then cond := cond || ' and i.start_year = any ($10)'; end if;

  -- the page: one more than asked tells whether another follows
  execute 'select array(select i.id from kaart.initiative i where ' || cond
          || ' and ($11::bigint is null or i.id > $11) order by i.id limit $12 offset $13)'
    into ids
    using bbox, region_codes, route_kinds, niveaus, profielen, leerwegen, opleidingsdomeinen,
          brins, q, start_years, after, lim + 1, skip;
  more := cardinality(ids) > lim;
  if more then
    ids := ids[1:lim];
  end if;

  execute 'select count(*) from (select 1 from kaart.initiative i where ' || cond || ' limit $11) t'
    into matched
    using bbox, region_codes, route_kinds, niveaus, profielen, leerwegen, opleidingsdomeinen,
          brins, q, start_years, count_cap + 1;
  estimated := false;
  if matched > count_cap then
    if bbox is null and region_codes is null and niveaus is null and profielen is null
       and leerwegen is null and opleidingsdomeinen is null and brins is null and q is null
       and start_years is null then
      select coalesce(sum(c.n), 0) into matched
        from kaart.initiative_cell c
       where route_kinds is null or c.route_kind = any (route_kinds);
    else
      execute 'explain (format json) select 1 from kaart.initiative i where ' || cond
        into plan
        using bbox, region_codes, route_kinds, niveaus, profielen, leerwegen, opleidingsdomeinen,
              brins, q, start_years;
      matched := greatest((plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8::bigint, count_cap + 1);
      estimated := true;
    end if;
  end if;
end
$$;

comment on function api.initiative_page is
  'One page of published initiatives by filter, keyset (after) or offset (skip), with the number matched (estimated beyond count_cap)';

grant execute on function api.initiative_page to routekaart_web;
