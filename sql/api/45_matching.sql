-- The one definition of "published initiatives matching these filters", used by the items page
-- and its count (api.initiative_page), the clusters (api.initiative_clusters) and the tiles
-- (api.tile). The filters are in the order of the service's FILTER_SPECS (service/initiatives.c):
-- bbox, region, route_kind, niveau, profiel, leerweg, opleidingsdomein, brin, q, start_year.
set local role routekaart_owner;

-- Every filter is NULL (not used) or a value; within an array any value matches; bbox is lon/lat
-- xmin, ymin, xmax, ymax (points inside it). An inlinable SQL function (stable, not security
-- definer, no SET, a single SELECT): a caller's FROM kaart.matching_initiatives(...) becomes this
-- query in the caller's plan. Planned with the values (the callers are plpgsql with
-- plan_cache_mode = force_custom_plan, or pass constants), a filter not given folds to true and
-- drops out, and each one given reaches its index (initiative_published_regions, ..._search,
-- ..._geom, ...) as the fragments of a query put together with EXECUTE did before; no request
-- text ever becomes SQL. Internal: the callers run with their owner's rights; the service's roles
-- may not call it (it returns whole rows of kaart.initiative).
create function kaart.matching_initiatives(
  bbox               float8[]  default null,
  region_codes       text[]    default null,
  route_kinds        text[]    default null,
  niveaus            integer[] default null,
  profielen          text[]    default null,
  leerwegen          text[]    default null,
  opleidingsdomeinen text[]    default null,
  brins              text[]    default null,
  q                  text      default null,   -- Dutch full text, web-search syntax
  start_years        integer[] default null
) returns setof kaart.initiative
language sql stable
as $$
  select i.* from kaart.initiative i
  where i.status = 'published'
    and ($1 is null or i.geom && st_makeenvelope($1[1], $1[2], $1[3], $1[4], 4326))
    and ($2 is null or i.region_codes && $2)
    and ($3 is null or i.route_kind = any ($3))
    and ($4 is null or i.niveaus && $4)
    and ($5 is null or i.profielen && $5)
    and ($6 is null or i.leerwegen && $6)
    and ($7 is null or i.opleidingsdomeinen && $7)
    and ($8 is null or i.brins && $8)
    and ($9 is null or i.search @@ websearch_to_tsquery('dutch', $9))
    and ($10 is null or i.start_year = any ($10))
$$;

comment on function kaart.matching_initiatives(float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[]) is
  'The published initiatives matching every given filter (inlined into its callers: the page, the count, the clusters, the tiles)';
