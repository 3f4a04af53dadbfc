-- Regional overviews for the ministry: per region what exists and what is missing, as of the end
-- of a day. Read from the tables of api/60_overview_facts.sql (kaart.overview_initiative, overview_route,
-- overview_presence), the school locations, school contacts and the regions of the current
-- division year.
--
-- An initiative counts as of day D when it was published before the end of D and not withdrawn
-- by then; days end at midnight in the Netherlands (Europe/Amsterdam), whatever the session's
-- time zone. Rejected initiatives never count. The attributes counted are the initiative's
-- current ones: a published initiative that was edited later counts as it is now.
set local role routekaart_owner;

-- The day an as_of stands for (NULL = today in the Netherlands), and the moment it ends.
create function kaart.overview_day(as_of date) returns date
language sql stable parallel safe
return coalesce(as_of, (now() at time zone 'Europe/Amsterdam')::date);

create function kaart.overview_day_end(day date) returns timestamptz
language sql immutable parallel safe
return (day + 1)::timestamp at time zone 'Europe/Amsterdam';

-- vmbo school locations with the code of their region of this type in the current division
-- (through their gemeente); none for an unknown type.
-- The region types, route kinds, niveaus, profielen and opleidingsdomeinen below are those of ref
-- (filled from geo/codelists.json before the api is made), in their order: the DO block writes
-- them into the functions as constants. The region code of a type is its column of that name
-- (kaart.overview_initiative, overview_route, overview_presence) or <type>_code
-- (ref.gemeente_regio); the counts are the fields of kaart.overview_fields() and
-- kaart.coverage_fields() (api/60_overview_facts.sql), at their positions.
do $gen$
declare
  r record;
  q record;
  g_code text := '';     -- ' when <type> then g.<type>_code' per region type
  f_col text := '';      -- ' when <type> then f.<type>'
  p_col text := '';      -- ' when <type> then p.<type>'
  types text := '';      -- the region types as literals
  kinds text := '';      -- '<code>', kaart.tally_field(x.d, <position>) per route kind,
  niveaus text := '';    -- niveau,
  profielen text := '';  -- profiel
  domeinen text := '';   -- and opleidingsdomein
  rio text;              -- the positions of the conditions
  cohort text;
  nfields text;          -- the number of fields
  cells text := '';      -- coverage_cells: '<profiel>', json_build_object('<niveau>', ...) per profiel
  one text;
begin
  for r in select type from ref.region_type order by sort loop
    g_code := g_code || format(' when %L then g.%I', r.type, r.type || '_code');
    f_col := f_col || format(' when %L then f.%I', r.type, r.type);
    p_col := p_col || format(' when %L then p.%I', r.type, r.type);
    types := types || case when types = '' then '' else ', ' end || format('%L', r.type);
  end loop;
  for r in select split_part(u.f, ':', 1) as list, split_part(u.f, ':', 2) as code, u.k
           from unnest(kaart.overview_fields()) with ordinality u(f, k) order by u.k loop
    if r.list = 'route_kind' then
      kinds := kinds || case when kinds = '' then '' else ', ' end
               || format('%L, kaart.tally_field(x.d, %L)', r.code, r.k);
    elsif r.list = 'niveau' then
      niveaus := niveaus || case when niveaus = '' then '' else ', ' end
                 || format('%L, kaart.tally_field(x.d, %L)', r.code, r.k);
    elsif r.list = 'profiel' then
      profielen := profielen || case when profielen = '' then '' else ', ' end
                   || format('%L, kaart.tally_field(x.d, %L)', r.code, r.k);
    elsif r.list = 'opleidingsdomein' then
      domeinen := domeinen || case when domeinen = '' then '' else ', ' end
                  || format('%L, kaart.tally_field(x.d, %L)', r.code, r.k);
    end if;
  end loop;
  rio := format('%L', array_position(kaart.overview_fields(), 'condition:rio_registered'));
  cohort := format('%L', array_position(kaart.overview_fields(), 'condition:cohort_guarantee'));
  nfields := format('%L', cardinality(kaart.overview_fields()));
  for q in select code from ref.profiel order by sort loop
    one := '';
    for r in select split_part(u.f, ':', 2) as niveau, u.k
             from unnest(kaart.coverage_fields()) with ordinality u(f, k)
             where split_part(u.f, ':', 1) = q.code order by u.k loop
      one := one || case when one = '' then '' else ', ' end
             || format('%L, kaart.tally_field(d, %L)', r.niveau, r.k);
    end loop;
    cells := cells || case when cells = '' then '' else E',\n  ' end
             || format('%L, json_build_object(', q.code) || one || ')';
  end loop;

  execute $f$create function kaart.vmbo_locations_in(region_type text)
returns table (vestigingscode text, name text, plaats text, gemeente_code text, leerlingen integer, code text)
language sql stable
as $$
  select s.vestigingscode, s.name, s.plaats, s.gemeente_code, s.leerlingen,
         case $1$f$ || g_code || $f$ end
  from ref.school_location s
  join ref.gemeente_regio g on g.gemeente_code = s.gemeente_code
  join ref.division d on d.year = g.year and d.is_current
  where s.sector = 'vo' and s.vmbo
    and $1 in ($f$ || types || $f$)
$$ $f$;

  -- The overview object of every region of a type (or of one region), one row each: one pass over
  -- the counted initiatives for the counts by region, and the few thousand rows of
  -- kaart.overview_presence for the locations, mbo parties and companies taking part.
  execute $f$create function kaart.overview_regions(region_type text, as_of date, region_code text)
returns table (code text, overview json)
language sql stable
as $$
  with rt as (
    select t.type, d.year
    from ref.region_type t join ref.division d on d.is_current
    where t.type = $1
  ), b as materialized (
    select x.day, kaart.overview_day_end(x.day) as day_end
    from (select kaart.overview_day($2) as day) x
  ), region as (
    select r.code, r.name, r.year
    from ref.region r join rt on rt.type = r.type and rt.year = r.year
    where $3 is null or r.code = $3
  ), totals as (
    select case $1$f$ || f_col || $f$ end as code,
           count(*)::integer as n,
           sum(f.tally) as tally,
           count(*) filter (where f.agreement_signed_on <= (select day from b))::integer as with_agreement
    from kaart.overview_initiative f
    where f.published_at < (select day_end from b)
      and (f.withdrawn_at is null or f.withdrawn_at >= (select day_end from b))
      and ($3 is null or $3 = case $1$f$ || f_col || $f$ end)
    group by 1
  ), present as (
    select p.kind, p.key,
           case $1$f$ || p_col || $f$ end as code
    from kaart.overview_presence p
    where p.since < (select day_end from b)
      and (p.until is null or p.until >= (select day_end from b))
  ), party_totals as (
    select p.code,
           count(distinct p.kind || ':' || p.key) filter (where p.kind in ('mbo_organisation', 'mbo_location'))::integer as mbo,
           count(distinct p.key) filter (where p.kind = 'company')::integer as companies
    from present p
    where p.kind in ('mbo_organisation', 'mbo_location', 'company')
    group by p.code
  ), taking_part as (
    select p.key as vestigingscode, bool_or(p.kind = 'sbo') as sbo_contact
    from present p
    where p.kind in ('vo', 'sbo')
    group by p.key
  ), location_totals as (
    select l.code, count(*)::integer as n, coalesce(sum(l.leerlingen), 0)::bigint as students,
           count(tp.vestigingscode)::integer as participating,
           count(*) filter (where tp.sbo_contact or sc.vestigingscode is not null)::integer as sbo
    from kaart.vmbo_locations_in($1) l
    left join taking_part tp on tp.vestigingscode = l.vestigingscode
    left join kaart.school_contact sc on sc.vestigingscode = l.vestigingscode
    where $3 is null or l.code = $3
    group by l.code
  )
  -- json (text) here, jsonb once at the end: building nested jsonb costs more than the query
  select r.code, json_build_object(
    'type', $1,
    'code', r.code,
    'name', r.name,
    'year', r.year,
    'initiatives', coalesce(t.n, 0),
    -- x.d: the digits of the fields of kaart.overview_fields(), in order
    'by_route_kind', json_build_object($f$ || kinds || $f$),
    'by_niveau', json_build_object($f$ || niveaus || $f$),
    'by_profiel', json_build_object($f$ || profielen || $f$),
    'by_opleidingsdomein', json_build_object($f$ || domeinen || $f$),
    'vmbo_locations', coalesce(l.n, 0),
    'vmbo_locations_participating', coalesce(l.participating, 0),
    'vmbo_participation_share', round(l.participating::numeric / nullif(l.n, 0), 4),
    'vmbo_students', coalesce(l.students, 0),
    'mbo_institutions', coalesce(p.mbo, 0),
    'companies', coalesce(p.companies, 0),
    'with_agreement', coalesce(t.with_agreement, 0),
    'with_rio', kaart.tally_field(x.d, $f$ || rio || $f$),
    'with_cohort_guarantee', kaart.tally_field(x.d, $f$ || cohort || $f$),
    'sbo_contact_locations', coalesce(l.sbo, 0),
    'sbo_contact_share', round(l.sbo::numeric / nullif(l.n, 0), 4))
  from region r
  left join totals t on t.code = r.code
  left join party_totals p on p.code = r.code
  left join location_totals l on l.code = r.code
  cross join lateral (select kaart.tally_digits(t.tally, $f$ || nfields || $f$) as d offset 0) x
  order by r.code
$$ $f$;

  -- The cells of a coverage tally (its digits, kaart.tally_digits(cells, n): the n fields of
  -- kaart.coverage_fields() in order) as {"BWI": {"2": n, "3": n, "4": n}, ...}.
  execute $f$create function kaart.coverage_cells(d text) returns json
language sql immutable parallel safe
return json_build_object($f$ || cells || $f$)$f$;
end
$gen$;

-- api -----------------------------------------------------------------------------------------

-- The api functions are plpgsql with custom plans: the region type and the day are then constants
-- to the planner, which folds the choice of region column and estimates the scan right (a SQL
-- function's generic plan sorts 100,000 rows to disk instead of hashing them). No JIT: compiling
-- would cost more than the query.
create function api.overview(region_type text, as_of date, code text default null) returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
set jit = off
set plan_cache_mode = force_custom_plan
as $$
begin
  return (select coalesce(json_agg(o.overview order by o.code), '[]')::jsonb
          from kaart.overview_regions(overview.region_type, overview.as_of, overview.code) o);
end
$$;

comment on function api.overview(text, date, text) is
  'Per region of a type (or one region): initiatives by kind, niveau, profiel and domein, vmbo participation, parties and conditions, as of the end of a day (NULL = today)';

-- The region types and the number of coverage fields are those of ref and
-- kaart.coverage_fields(), written in by the DO block (as above).
do $gen$
declare
  r record;
  f_col text := '';      -- ' when <type> then f.<type>' per region type
  ncells text;           -- the number of fields of a coverage tally
begin
  for r in select type from ref.region_type order by sort loop
    f_col := f_col || format(' when %L then f.%I', r.type, r.type);
  end loop;
  ncells := format('%L', cardinality(kaart.coverage_fields()));

  execute $f$create function api.coverage(region_type text, as_of date) returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
set jit = off
set plan_cache_mode = force_custom_plan
as $$
begin
  return (
    with rt as (
      select t.type, d.year
      from ref.region_type t join ref.division d on d.is_current
      where t.type = $1
    ), b as materialized (
      select x.day, kaart.overview_day_end(x.day) as day_end
      from (select kaart.overview_day($2) as day) x
    ), cells as (
      select case $1$f$ || f_col || $f$ end as code,
             sum(f.cells) as cells
      from kaart.overview_route f
      where f.published_at < (select day_end from b)
        and (f.withdrawn_at is null or f.withdrawn_at >= (select day_end from b))
      group by 1
    ), location_totals as (
      select l.code, count(*)::integer as n, coalesce(sum(l.leerlingen), 0)::bigint as students
      from kaart.vmbo_locations_in($1) l
      group by l.code
    ), region as (
      select r.code, r.name, coalesce(l.students, 0) as students, coalesce(l.n, 0) as locations,
             kaart.tally_digits(c.cells, $f$ || ncells || $f$) as digits
      from ref.region r
      join rt on rt.type = r.type and rt.year = r.year
      left join location_totals l on l.code = r.code
      left join cells c on c.code = r.code
    ), national as (
      select kaart.tally_digits(sum(c.cells), $f$ || ncells || $f$) as digits from cells c
    )
    select json_build_object(
      'as_of', (select day from b),
      'region_type', $1,
      'regions', coalesce((
        select json_agg(json_build_object(
                 'code', r.code, 'name', r.name, 'vmbo_students', r.students, 'vmbo_locations', r.locations,
                 'cells', kaart.coverage_cells(r.digits))
               order by r.code)
        from region r), '[]'),
      'national', json_build_object('cells', kaart.coverage_cells((select digits from national))),
      'gaps', coalesce((
        select json_agg(json_build_object(
                 'code', r.code, 'name', r.name, 'profiel', p.code, 'profiel_name', p.label,
                 'niveau', split_part(c.field, ':', 2)::integer, 'vmbo_students', r.students)
               order by r.students desc, r.locations desc, r.code, c.k)
        from region r
        cross join lateral unnest(kaart.coverage_fields()) with ordinality c(field, k)
        join ref.profiel p on p.code = split_part(c.field, ':', 1)
        where kaart.tally_field(r.digits, c.k::integer) = 0), '[]'),
      'national_gaps', coalesce((
        select json_agg(json_build_object(
                 'profiel', p.code, 'profiel_name', p.label, 'niveau', split_part(c.field, ':', 2)::integer)
               order by c.k)
        from unnest(kaart.coverage_fields()) with ordinality c(field, k)
        join ref.profiel p on p.code = split_part(c.field, ':', 1)
        where kaart.tally_field((select digits from national), c.k::integer) = 0), '[]'))::jsonb);
end
$$ $f$;
end
$gen$;

comment on function api.coverage(text, date) is
  'Coverage matrix profiel × niveau of doorlopende leerroutes and geïntegreerde routes per region and nationally, with the empty cells (gaps), as of the end of a day (NULL = today)';

create function api.overview_geojson(region_type text, as_of date, simplify float8) returns text
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
set jit = off
set plan_cache_mode = force_custom_plan
as $$
begin
  return (
    select '{"type":"FeatureCollection","features":['
           || coalesce(string_agg(
                '{"type":"Feature","id":' || to_json(o.code)::text
                || ',"geometry":' || st_asgeojson(st_forcepolygonccw(g.geom), 6)
                || ',"properties":' || o.overview::text || '}', ',' order by o.code), '')
           || ']}'
    from kaart.overview_regions($1, $2, null) o
    join ref.region r on r.type = $1 and r.code = o.code
    join ref.division d on d.year = r.year and d.is_current
    cross join lateral (select case when $3 > 0 then st_snaptogrid(r.geom, $3) end as snapped) s
    -- a region that snapping would make vanish keeps its own outline
    cross join lateral (select case when s.snapped is null or st_isempty(s.snapped) then r.geom
                                    else s.snapped end as geom) g);
end
$$;

comment on function api.overview_geojson(text, date, float8) is
  'GeoJSON FeatureCollection of the regions of a type with their overview (api.overview) as properties';

create function api.region_exists(region_type text, code text) returns boolean
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select case when $2 is null then exists (select 1 from ref.region_type t where t.type = $1)
              else exists (select 1 from ref.region r join ref.division d on d.year = r.year and d.is_current
                           where r.type = $1 and r.code = $2) end
$$;

comment on function api.region_exists(text, text) is
  'Whether a region of this type and code exists in the current division; with code NULL, whether the type exists';

-- Personal data: for authorised analysts only (routekaart_app).
create function api.region_contacts(region_type text, code text)
returns table (vestigingscode text, school text, plaats text, gemeente_code text, contact_source text,
               name text, function text, email text, phone text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  with location as (
    select l.vestigingscode, l.name, l.plaats, l.gemeente_code
    from kaart.vmbo_locations_in($1) l
    where l.code = $2
  ), contact as (
    select sc.vestigingscode, 'school' as source, sc.name, sc.function, sc.email, sc.phone
    from location l join kaart.school_contact sc on sc.vestigingscode = l.vestigingscode
    union
    select p.vestigingscode, 'initiative', c.name, c.function, c.email, c.phone
    from location l
    join kaart.party p on p.vestigingscode = l.vestigingscode and p.role = 'vo'
    join kaart.initiative i on i.id = p.initiative_id and i.status = 'published'
    join kaart.contact_person c on c.initiative_id = i.id and c.sbo_contact
  )
  select l.vestigingscode, l.name, l.plaats, l.gemeente_code, c.source, c.name, c.function, c.email, c.phone
  from location l
  left join contact c on c.vestigingscode = l.vestigingscode
  order by l.name, l.vestigingscode, c.source, c.name, c.email, c.function, c.phone
$$;

comment on function api.region_contacts(text, text) is
  'vmbo school locations of a region with their SBO contact persons (school contact and those of published initiatives); personal data';

-- Privileges ----------------------------------------------------------------------------------
revoke all on function
  kaart.overview_day(date), kaart.overview_day_end(date), kaart.vmbo_locations_in(text),
  kaart.overview_regions(text, date, text), kaart.coverage_cells(text),
  api.overview(text, date, text), api.coverage(text, date), api.overview_geojson(text, date, float8),
  api.region_exists(text, text), api.region_contacts(text, text)
from public;

grant execute on function
  api.overview(text, date, text),
  api.coverage(text, date),
  api.overview_geojson(text, date, float8),
  api.region_exists(text, text)
to routekaart_web;

-- region_exists as well: the contact list's 404 is decided on the same connection
grant execute on function
  api.region_exists(text, text),
  api.region_contacts(text, text)
to routekaart_app;

-- The JSON of the coverage cells names the fields of the tallies (api/60_overview_facts.sql) in their order.
do $$
begin
  assert (select bool_and(
            j #>> array[split_part(f, ':', 1), split_part(f, ':', 2)] = '1'
            and (select sum(v::text::integer) from jsonb_path_query(j, 'strict $.**') v
                 where jsonb_typeof(v) = 'number') = 1)
          from unnest(kaart.coverage_fields()) with ordinality u(f, k),
               lateral (select kaart.coverage_cells(kaart.tally_digits(trunc(10::numeric ^ (8 * (cardinality(kaart.coverage_fields()) - k))), cardinality(kaart.coverage_fields())))::jsonb) x(j));
end
$$;
