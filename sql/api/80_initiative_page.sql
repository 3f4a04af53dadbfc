-- One page of the initiatives collection for large tables: which published initiatives match the
-- filters, the next ones after a key (keyset paging: a next page does not rescan the earlier ones),
-- and how many match in all, exactly while that is cheap and estimated when it is not.
set local role routekaart_owner;

-- The filters are those of kaart.matching_initiatives (api/45_matching.sql), in its order. The
-- queries are static and planned with the values (force_custom_plan), so that only the filters
-- given take part and each uses its index; the values only ever travel as parameters.
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
set plan_cache_mode = force_custom_plan
as $$
declare
  plan json;
begin
  if lim is null or lim < 1 or lim > 10000 or skip is null or skip < 0 or count_cap is null or count_cap < 0 then
    raise exception 'lim must be 1 to 10000, skip and count_cap 0 or more'
      using errcode = 'invalid_parameter_value';
  end if;
  select string_agg(c, ',' order by c) into unknown_regions
    from unnest(region_codes) c
   where not exists (select 1 from ref.region r where r.code = c);

  -- the page: one more than asked tells whether another follows
  ids := array(select m.id
               from kaart.matching_initiatives(bbox, region_codes, route_kinds, niveaus, profielen, leerwegen,
                                               opleidingsdomeinen, brins, q, start_years) m
               where (initiative_page.after is null or m.id > initiative_page.after)
               order by m.id limit lim + 1 offset skip);
  more := cardinality(ids) > lim;
  if more then
    ids := ids[1:lim];
  end if;

  select count(*) into matched
  from (select 1 from kaart.matching_initiatives(bbox, region_codes, route_kinds, niveaus, profielen, leerwegen,
                                                 opleidingsdomeinen, brins, q, start_years)
        limit count_cap + 1) t;
  estimated := false;
  if matched > count_cap then
    if bbox is null and region_codes is null and niveaus is null and profielen is null
       and leerwegen is null and opleidingsdomeinen is null and brins is null and q is null
       and start_years is null then
      select coalesce(sum(c.n), 0) into matched
        from kaart.initiative_cell c
       where initiative_page.route_kinds is null or c.route_kind = any (initiative_page.route_kinds);
    else
      -- (EXPLAIN cannot be a static statement; its text is a constant, the values go by USING)
      execute 'explain (format json) select 1 from kaart.matching_initiatives($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)'
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
