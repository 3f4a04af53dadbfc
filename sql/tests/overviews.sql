-- Test of the regional overviews (api/60_overview_facts.sql, api/65_overviews.sql): api.overview, api.coverage,
-- api.overview_geojson, api.region_exists and api.region_contacts against independently written
-- queries on kaart and ref, the as-of rule, the tables the triggers keep, and the privileges. Runs
-- in one transaction that is rolled back. Needs the reference data and the demo data
-- (geo/load-reference.sh, geo/demo.sh); run it as a superuser.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/overviews.sql      (prints "ok - ..." per check)
\ir prologue.psql

-- The end of a day in the Netherlands: an initiative counts as of that day when it was published
-- before and not withdrawn by then.
create function pg_temp.day_end(d date) returns timestamptz language sql immutable
return (d + 1)::timestamp at time zone 'Europe/Amsterdam';

create function pg_temp.today() returns date language sql stable
return (now() at time zone 'Europe/Amsterdam')::date;

-- The initiatives that count as of a day, with the region of the type asked.
create function pg_temp.counted(rtype text, d date)
returns table (id bigint, code text, route_kind text, niveaus integer[], profielen text[],
               opleidingsdomeinen text[], agreement_signed_on date, rio_registered boolean,
               cohort_guarantee boolean)
language sql stable as $$
  select i.id,
         (select c from unnest(i.region_codes) c
          where left(c, 2) = (select t.prefix from ref.region_type t where t.type = rtype)),
         i.route_kind, i.niveaus, i.profielen, i.opleidingsdomeinen, i.agreement_signed_on,
         i.rio_registered, i.cohort_guarantee
  from kaart.initiative i
  where i.status in ('published', 'withdrawn')
    and i.published_at < pg_temp.day_end(d)
    and (i.withdrawn_at is null or i.withdrawn_at >= pg_temp.day_end(d))
$$;

-- vmbo school locations with their region of the type asked (current division).
create function pg_temp.locations(rtype text)
returns table (vestigingscode text, leerlingen integer, code text)
language sql stable as $$
  select s.vestigingscode, s.leerlingen,
         case rtype when 'provincie' then g.provincie_code when 'arbeidsmarktregio' then g.arbeidsmarktregio_code
                    when 'rmc' then g.rmc_code when 'gemeente' then g.gemeente_code end
  from ref.school_location s
  join ref.gemeente_regio g on g.gemeente_code = s.gemeente_code
                           and g.year = (select year from ref.division where is_current)
  where s.sector = 'vo' and s.vmbo
$$;

-- The overview as defined, written without the tables and tallies of api/60_overview_facts.sql.
create function pg_temp.expected_overview(rtype text, d date) returns jsonb
language sql stable as $$
  with counted as materialized (
    select * from pg_temp.counted(rtype, d)
  ), region as (
    select r.type, r.code, r.name, r.year from ref.region r
    where r.type = rtype and r.year = (select year from ref.division where is_current)
  ), value (dim, val) as (
    select 'by_route_kind', code from ref.route_kind
    union all select 'by_niveau', niveau::text from ref.niveau where allowed_for_routes
    union all select 'by_profiel', code from ref.profiel
    union all select 'by_opleidingsdomein', code from ref.opleidingsdomein
  ), has (code, dim, val) as (
    select c.code, 'by_route_kind', c.route_kind from counted c
    union all select c.code, 'by_niveau', n::text from counted c, unnest(c.niveaus) n
    union all select c.code, 'by_profiel', p from counted c, unnest(c.profielen) p
    union all select c.code, 'by_opleidingsdomein', o from counted c, unnest(c.opleidingsdomeinen) o
  ), has_count as (
    select h.code, h.dim, h.val, count(*) as n from has h group by 1, 2, 3
  ), breakdown as (
    select r.code, v.dim, jsonb_object_agg(v.val, coalesce(h.n, 0)) as counts
    from region r
    cross join value v
    left join has_count h on h.code = r.code and h.dim = v.dim and h.val = v.val
    group by r.code, v.dim
  ), totals as (
    select c.code, count(*) as n,
           count(*) filter (where c.agreement_signed_on <= d) as with_agreement,
           count(*) filter (where c.rio_registered) as with_rio,
           count(*) filter (where c.cohort_guarantee) as with_cohort_guarantee
    from counted c group by c.code
  ), parties as (
    select c.code,
           count(distinct coalesce('organisation ' || p.organisation_id, 'location ' || p.vestigingscode))
             filter (where p.role = 'mbo') as mbo,
           count(distinct p.organisation_id) filter (where p.role = 'bedrijf') as companies
    from counted c join kaart.party p on p.initiative_id = c.id
    group by c.code
  ), taking_part as (
    -- vo parties of counted initiatives
    select distinct p.vestigingscode
    from counted c join kaart.party p on p.initiative_id = c.id
    where p.role = 'vo'
  ), initiative_sbo as (
    -- vo parties of counted initiatives with a contact person flagged sbo_contact
    select distinct p.vestigingscode
    from counted c join kaart.party p on p.initiative_id = c.id
    where p.role = 'vo'
      and exists (select 1 from kaart.contact_person cp where cp.initiative_id = c.id and cp.sbo_contact)
  ), locations as (
    select l.code, count(*) as n, coalesce(sum(l.leerlingen), 0) as students,
           count(*) filter (where l.vestigingscode in (select vestigingscode from taking_part)) as taking_part,
           count(*) filter (where l.vestigingscode in (select vestigingscode from kaart.school_contact)
                               or l.vestigingscode in (select vestigingscode from initiative_sbo)) as sbo
    from pg_temp.locations(rtype) l
    group by l.code
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'type', r.type, 'code', r.code, 'name', r.name, 'year', r.year,
           'initiatives', coalesce(t.n, 0),
           'vmbo_locations', coalesce(l.n, 0),
           'vmbo_locations_participating', coalesce(l.taking_part, 0),
           'vmbo_participation_share', round(l.taking_part::numeric / nullif(l.n, 0), 4),
           'vmbo_students', coalesce(l.students, 0),
           'mbo_institutions', coalesce(p.mbo, 0),
           'companies', coalesce(p.companies, 0),
           'with_agreement', coalesce(t.with_agreement, 0),
           'with_rio', coalesce(t.with_rio, 0),
           'with_cohort_guarantee', coalesce(t.with_cohort_guarantee, 0),
           'sbo_contact_locations', coalesce(l.sbo, 0),
           'sbo_contact_share', round(l.sbo::numeric / nullif(l.n, 0), 4))
         || (select jsonb_object_agg(b.dim, b.counts) from breakdown b where b.code = r.code)
         order by r.code), '[]')
  from region r
  left join totals t on t.code = r.code
  left join parties p on p.code = r.code
  left join locations l on l.code = r.code
$$;

-- The coverage cells: counted doorlopende leerroutes and geïntegreerde routes per region, profiel
-- and niveau (all combinations, zeros included).
create function pg_temp.expected_cells(rtype text, d date)
returns table (code text, profiel text, niveau integer, n bigint)
language sql stable as $$
  with filled as (
    select c.code, p, n, count(*) as k
    from pg_temp.counted(rtype, d) c, unnest(c.profielen) p, unnest(c.niveaus) n
    where c.route_kind in ('doorlopende_leerroute', 'geintegreerde_route')
    group by 1, 2, 3
  )
  select r.code, p.code, nv.niveau, coalesce(f.k, 0)
  from ref.region r
  cross join ref.profiel p
  cross join ref.niveau nv
  left join filled f on f.code = r.code and f.p = p.code and f.n = nv.niveau
  where r.type = rtype and r.year = (select year from ref.division where is_current) and nv.allowed_for_routes
$$;

-- Compare the overviews of every region of every type, as of today and a day in the past, and of
-- one region asked by its code.
create function pg_temp.check_overviews(what text) returns void language plpgsql as $$
declare
  t text;
  d date;
  got jsonb;
  want jsonb;
  one text;
begin
  foreach t in array '{provincie,arbeidsmarktregio,rmc,gemeente}'::text[] loop
    foreach d in array array[pg_temp.today(), date '2023-06-30', date '2024-03-14', date '2024-03-15',
                             date '2024-05-31', date '2024-06-01'] loop
      got := api.overview(t, d);
      want := pg_temp.expected_overview(t, d);
      if got is distinct from want then
        select e.value ->> 'code' into one
        from jsonb_array_elements(want) e
        where not got @> jsonb_build_array(e.value) limit 1;
        raise exception 'FAILED (%): api.overview(%, %) differs, first in region %: got % want %', what, t, d, one,
          (select e from jsonb_array_elements(got) e where e ->> 'code' = one),
          (select e from jsonb_array_elements(want) e where e ->> 'code' = one);
      end if;
    end loop;
    -- one region, by its code: the one with the most initiatives today
    select e ->> 'code' into one from jsonb_array_elements(api.overview(t, null)) e
    order by (e ->> 'initiatives')::int desc, e ->> 'code' limit 1;
    assert api.overview(t, null, one)
           = jsonb_build_array((select e from jsonb_array_elements(pg_temp.expected_overview(t, pg_temp.today())) e
                                where e ->> 'code' = one)),
           format('api.overview(%s, null, %s) differs', t, one);
  end loop;
  perform pg_temp.ok(what || ': api.overview equals the independent query for every region of every type, on six days');
end
$$;

-- Compare the coverage of every type: the cells per region and nationally, the gaps (in their
-- order) and the national gaps.
create function pg_temp.check_coverage(what text) returns void language plpgsql as $$
declare
  t text;
  d date;
  cov jsonb;
  r record;
begin
  foreach t in array '{provincie,arbeidsmarktregio,rmc,gemeente}'::text[] loop
    foreach d in array array[pg_temp.today(), date '2024-03-15'] loop
      cov := api.coverage(t, d);
      assert cov ->> 'as_of' = d::text and cov ->> 'region_type' = t;
      create temp table want_cells on commit drop as select * from pg_temp.expected_cells(t, d);
      -- cells
      select count(*) as bad into r
      from want_cells e
      full join (select x ->> 'code' as code, p.key as profiel, n.key::int as niveau, n.value::int as n
                 from jsonb_array_elements(cov -> 'regions') x, jsonb_each(x -> 'cells') p, jsonb_each_text(p.value) n) g
        on g.code = e.code and g.profiel = e.profiel and g.niveau = e.niveau
      where g.n is distinct from e.n::int;
      assert r.bad = 0, format('coverage %s %s: %s cells differ', t, d, r.bad);
      assert jsonb_array_length(cov -> 'regions')
             = (select count(*) from ref.region where type = t and year = (select year from ref.division where is_current));
      assert (select bool_and((select count(*) from jsonb_object_keys(x -> 'cells')) = 10)
              from jsonb_array_elements(cov -> 'regions') x);
      -- the gaps are the empty cells, largest regions first
      assert (cov -> 'gaps') = (
        select coalesce(jsonb_agg(jsonb_build_object(
                 'code', e.code, 'name', rg.name, 'profiel', e.profiel, 'profiel_name', p.label,
                 'niveau', e.niveau, 'vmbo_students', coalesce(l.students, 0))
               order by coalesce(l.students, 0) desc, coalesce(l.n, 0) desc, e.code, p.sort, e.niveau), '[]')
        from want_cells e
        join ref.region rg on rg.type = t and rg.code = e.code and rg.year = (select year from ref.division where is_current)
        join ref.profiel p on p.code = e.profiel
        left join (select code, count(*) as n, sum(leerlingen) as students from pg_temp.locations(t) group by code) l
          on l.code = e.code
        where e.n = 0), format('coverage %s %s: the gaps differ', t, d);
      -- "where is there no route to niveau 3 in Zorg en welzijn?"
      assert (select array_agg(g ->> 'code' order by g ->> 'code') from jsonb_array_elements(cov -> 'gaps') g
              where g ->> 'profiel' = 'ZW' and (g ->> 'niveau')::int = 3)
             is not distinct from
             (select array_agg(rg.code order by rg.code) from ref.region rg
              where rg.type = t and rg.year = (select year from ref.division where is_current)
                and rg.code not in (select c.code from pg_temp.counted(t, d) c
                                    where c.code is not null
                                      and c.route_kind in ('doorlopende_leerroute', 'geintegreerde_route')
                                      and 'ZW' = any (c.profielen) and 3 = any (c.niveaus))),
             format('coverage %s %s: the gaps (ZW, 3) are not the regions without such a route', t, d);
      drop table want_cells;
    end loop;
  end loop;
  -- nationally, over all counted routes
  cov := api.coverage('provincie', pg_temp.today());
  assert (select bool_and((cov -> 'national' -> 'cells' -> p.code ->> nv.niveau::text)::int
                          = (select count(*) from pg_temp.counted('provincie', pg_temp.today()) c
                             where c.route_kind in ('doorlopende_leerroute', 'geintegreerde_route')
                               and p.code = any (c.profielen) and nv.niveau = any (c.niveaus)))
          from ref.profiel p cross join ref.niveau nv where nv.allowed_for_routes),
         'the national cells differ';
  assert (cov -> 'national_gaps') = (
    select coalesce(jsonb_agg(jsonb_build_object('profiel', p.code, 'profiel_name', p.label, 'niveau', nv.niveau)
                              order by p.sort, nv.niveau), '[]')
    from ref.profiel p cross join ref.niveau nv
    where nv.allowed_for_routes
      and (cov -> 'national' -> 'cells' -> p.code ->> nv.niveau::text)::int = 0), 'the national gaps differ';
  perform pg_temp.ok(what || ': api.coverage cells, gaps and national figures equal the independent query');
end
$$;

-- The derived tables are what a recomputation from scratch gives.
create function pg_temp.check_derived(what text) returns void language plpgsql as $$
begin
  create temp table d_initiative on commit drop as select * from kaart.overview_initiative;
  create temp table d_route on commit drop as select * from kaart.overview_route;
  create temp table d_party on commit drop as select * from kaart.overview_party;
  create temp table d_presence on commit drop as select * from kaart.overview_presence;
  delete from kaart.overview_initiative;
  delete from kaart.overview_route;
  delete from kaart.overview_party;
  delete from kaart.overview_presence;
  perform kaart.overview_refresh(array(select id from kaart.initiative));
  assert not exists ((select * from d_initiative except all select * from kaart.overview_initiative)
                     union all (select * from kaart.overview_initiative except all select * from d_initiative)),
         'kaart.overview_initiative differs from a recomputation';
  assert not exists ((select * from d_route except all select * from kaart.overview_route)
                     union all (select * from kaart.overview_route except all select * from d_route)),
         'kaart.overview_route differs from a recomputation';
  assert not exists ((select * from d_party except all select * from kaart.overview_party)
                     union all (select * from kaart.overview_party except all select * from d_party)),
         'kaart.overview_party differs from a recomputation';
  assert not exists ((select * from d_presence except all select * from kaart.overview_presence)
                     union all (select * from kaart.overview_presence except all select * from d_presence)),
         'kaart.overview_presence differs from a recomputation';
  drop table d_initiative, d_route, d_party, d_presence;
  perform pg_temp.ok(what || ': the tables kept by the triggers equal a recomputation');
end
$$;

do $$
begin
  assert exists (select 1 from kaart.initiative where status = 'published'), 'no published initiatives: run geo/demo.sh';
end
$$;

-- 1. The demo data as it is
select pg_temp.check_overviews('demo data');
select pg_temp.check_coverage('demo data');

-- 2. Initiatives with explicit dates, written directly (as an import would)
-- Fixtures: the vmbo location and gemeente with the fewest counted initiatives (so that its
-- figures move), an mbo institution and a company of the demo data.
select set_config('test.loc', (
         select l.vestigingscode from pg_temp.locations('gemeente') l
         order by (select count(*) from kaart.party p where p.vestigingscode = l.vestigingscode), l.vestigingscode
         limit 1), true),
       set_config('test.mbo', (select id::text from kaart.organisation where kind = 'mbo' order by id limit 1), true),
       set_config('test.company', (select id::text from kaart.organisation where kind = 'company' order by id desc limit 1), true);
select set_config('test.gm', (select gemeente_code from ref.school_location where vestigingscode = pg_temp.v('loc')), true);

create function pg_temp.add(name text, status text, published timestamptz, withdrawn timestamptz,
                            kind text default 'doorlopende_leerroute', profielen text[] default '{ZW}',
                            niveaus integer[] default '{3}') returns bigint
language plpgsql as $$
declare
  new_id bigint;
begin
  insert into kaart.initiative (source, status, name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen,
                                location_vestiging, agreement_signed_on, rio_registered, cohort_guarantee,
                                published_at, withdrawn_at, rejection_reason)
  values ('import', status, name, kind, case when kind = 'geintegreerde_route' then '{BB}'::text[] else '{KB}'::text[] end,
          profielen, niveaus, '{o}', pg_temp.v('loc'), date '2024-03-20', true, true, published, withdrawn,
          case when status = 'rejected' then 'Test' end)
  returning id into new_id;
  insert into kaart.party (initiative_id, role, vestigingscode, organisation_id)
  values (new_id, 'vo', pg_temp.v('loc'), null), (new_id, 'mbo', null, pg_temp.v('mbo')::bigint);
  return new_id;
end
$$;

do $$
declare
  gm text := pg_temp.v('gm');
  before_0109 jsonb := api.overview('gemeente', '2023-01-09', gm) -> 0;
  before_0110 jsonb := api.overview('gemeente', '2023-01-10', gm) -> 0;
  before_14 jsonb := api.overview('gemeente', '2024-03-14', gm) -> 0;
  before_15 jsonb := api.overview('gemeente', '2024-03-15', gm) -> 0;
  before_16 jsonb := api.overview('gemeente', '2024-03-16', gm) -> 0;
  before_0531 jsonb := api.overview('gemeente', '2024-05-31', gm) -> 0;
  before_0601 jsonb := api.overview('gemeente', '2024-06-01', gm) -> 0;
  took_part boolean := exists (select 1 from pg_temp.counted('gemeente', '2023-01-10') c
                               join kaart.party p on p.initiative_id = c.id
                               where p.role = 'vo' and p.vestigingscode = pg_temp.v('loc'));
  a bigint;
  rej bigint;
begin
  -- published at 10:00 on 15 March 2024
  a := pg_temp.add('Testroute A', 'published', '2024-03-15 10:00 Europe/Amsterdam', null);
  perform set_config('test.a', a::text, true);
  -- published at 00:30 on 16 March in the Netherlands, still 15 March in UTC
  perform pg_temp.add('Testroute laat', 'published', '2024-03-16 00:30 Europe/Amsterdam', null);
  -- published at noon on 10 January 2023, withdrawn at noon on 1 June 2024
  perform pg_temp.add('Testroute W', 'withdrawn', '2023-01-10 12:00 Europe/Amsterdam', '2024-06-01 12:00 Europe/Amsterdam');
  -- rejected: never counts
  rej := pg_temp.add('Testroute afgewezen', 'rejected', null, null);

  assert api.overview('gemeente', '2023-01-09', gm) -> 0 = before_0109, 'as of 9 January 2023 nothing new counts';
  assert (api.overview('gemeente', '2023-01-10', gm) -> 0 ->> 'initiatives')::int = (before_0110 ->> 'initiatives')::int + 1,
         'as of the day W was published: W';
  assert (api.overview('gemeente', '2024-03-14', gm) -> 0 ->> 'initiatives')::int = (before_14 ->> 'initiatives')::int + 1,
         'as of the day before A was published: only W';
  assert (api.overview('gemeente', '2024-03-15', gm) -> 0 ->> 'initiatives')::int = (before_15 ->> 'initiatives')::int + 2,
         'as of the day A was published: A and W';
  assert (api.overview('gemeente', '2024-03-16', gm) -> 0 ->> 'initiatives')::int = (before_16 ->> 'initiatives')::int + 3,
         'as of 16 March: also the one published at 00:30 that day (Dutch time)';
  assert (api.overview('gemeente', '2024-05-31', gm) -> 0 ->> 'initiatives')::int = (before_0531 ->> 'initiatives')::int + 3,
         'as of the day before W was withdrawn: A, W and the late one';
  assert (api.overview('gemeente', '2024-06-01', gm) -> 0 ->> 'initiatives')::int = (before_0601 ->> 'initiatives')::int + 2,
         'as of the day W was withdrawn it no longer counts';
  assert (api.overview('gemeente', '2023-01-10', gm) -> 0 ->> 'vmbo_locations_participating')::int
         = (before_0110 ->> 'vmbo_locations_participating')::int
           + case when took_part then 0 else 1 end,
         'the location takes part from the day W was published';
  assert not exists (select 1 from kaart.overview_initiative f where f.initiative_id = rej), 'a rejected initiative never counts';
  perform pg_temp.ok('initiatives count from the end of the day they were published (Dutch time) until the day they are withdrawn; rejected ones never');
end
$$;

-- publishing and withdrawing through the lifecycle: the dates are now
do $$
declare
  gm text := pg_temp.v('gm');
  s bigint;
  yesterday jsonb := api.overview('gemeente', pg_temp.today() - 1, gm) -> 0;
  today jsonb := api.overview('gemeente', null, gm) -> 0;
begin
  s := pg_temp.add('Testroute S', 'submitted', null, null);
  assert api.overview('gemeente', null, gm) -> 0 = today, 'a submitted initiative does not count';
  update kaart.initiative set status = 'published' where id = s;
  assert (api.overview('gemeente', null, gm) -> 0 ->> 'initiatives')::int = (today ->> 'initiatives')::int + 1
         and api.overview('gemeente', pg_temp.today() - 1, gm) -> 0 = yesterday,
         'published today: counts as of today, not as of yesterday';
  assert api.overview('gemeente', null, gm) = api.overview('gemeente', pg_temp.today(), gm), 'as_of NULL is today';
  update kaart.initiative set status = 'withdrawn' where id = pg_temp.v('a')::bigint;
  assert (api.overview('gemeente', null, gm) -> 0 ->> 'initiatives')::int = (today ->> 'initiatives')::int
         and api.overview('gemeente', pg_temp.today() - 1, gm) -> 0 = yesterday,
         'A withdrawn today: no longer counts as of today, still as of yesterday';
  perform pg_temp.ok('publishing and withdrawing take effect as of the day they happen');
end
$$;

-- more parties, contacts and attributes for the figures that depend on them
do $$
declare
  s bigint := (select id from kaart.initiative where name = 'Testroute S');
begin
  insert into kaart.party (initiative_id, role, organisation_id) values (s, 'bedrijf', pg_temp.v('company')::bigint);
  insert into kaart.contact_person (initiative_id, name, function, email, sbo_contact)
  values (s, 'Test SBO-contact', 'Coördinator', 'sbo.test@example.org', true);
  insert into kaart.school_contact (vestigingscode, name, function, email, phone)
  values ((select l.vestigingscode from pg_temp.locations('gemeente') l
           where l.code <> pg_temp.v('gm') and not exists (select 1 from kaart.school_contact c where c.vestigingscode = l.vestigingscode)
           order by l.vestigingscode limit 1),
          'Test Schoolcontact', 'Decaan', 'school.test@example.org', '010-1234567');
  update kaart.initiative set niveaus = '{2,3}', profielen = '{ZW,DP}', rio_registered = false where id = s;
  perform pg_temp.add('Testroute GR', 'published', '2024-01-05 09:00 Europe/Amsterdam', null,
                      'geintegreerde_route', '{GR}', '{2}');
  perform pg_temp.add('Testlab', 'published', '2024-01-05 09:00 Europe/Amsterdam', null, 'leerlab', '{MAT}', '{4}');
  -- a party leaves, a contact loses the flag, an initiative moves
  delete from kaart.party where initiative_id = s and role = 'bedrijf';
  insert into kaart.party (initiative_id, role, organisation_id) values (s, 'bedrijf', pg_temp.v('company')::bigint);
  update kaart.contact_person set sbo_contact = false
  where id = (select id from kaart.contact_person where sbo_contact order by id limit 1);
  -- an initiative with parties and contact persons is deleted (by the cascade, not their triggers)
  delete from kaart.initiative
  where id = (select i.id from kaart.initiative i
              where i.status = 'published'
                and exists (select 1 from kaart.contact_person c where c.initiative_id = i.id and c.sbo_contact)
                and exists (select 1 from kaart.party p where p.initiative_id = i.id and p.role = 'bedrijf')
              order by i.id limit 1);
  update kaart.initiative i set location_vestiging = s.vestigingscode, geom = s.geom
  from ref.school_location s
  where i.name = 'Testroute laat'
    and s.vestigingscode = (select vestigingscode from pg_temp.locations('gemeente')
                            where code <> pg_temp.v('gm') order by vestigingscode desc limit 1);
end
$$;

select pg_temp.check_overviews('after the changes');
select pg_temp.check_coverage('after the changes');
select pg_temp.check_derived('after the changes');

-- 3. Coverage gaps move with the routes of the law, not with others
do $$
declare
  gm text;
  gaps jsonb;
begin
  -- a gemeente with vmbo pupils and no counted route to ZW niveau 3
  select g ->> 'code' into gm from jsonb_array_elements(api.coverage('gemeente', null) -> 'gaps') g
  where g ->> 'profiel' = 'ZW' and (g ->> 'niveau')::int = 3 and (g ->> 'vmbo_students')::int > 0
  order by g ->> 'code' limit 1;
  assert gm is not null, 'no gemeente without a ZW 3 route';
  perform set_config('test.loc', (select vestigingscode from pg_temp.locations('gemeente') where code = gm
                                  order by vestigingscode limit 1), true);
  perform pg_temp.add('Testlab ZW 3', 'published', '2024-01-05 09:00 Europe/Amsterdam', null, 'leerlab', '{ZW}', '{3}');
  perform pg_temp.add('Testsamenwerking ZW 3', 'published', '2024-01-05 09:00 Europe/Amsterdam', null, 'samenwerking', '{ZW}', '{3}');
  assert api.coverage('gemeente', null) -> 'gaps' @> jsonb_build_array(jsonb_build_object('code', gm, 'profiel', 'ZW', 'niveau', 3)),
         'a leerlab or samenwerking does not fill a gap';
  perform pg_temp.add('Testroute ZW 3', 'published', '2024-01-05 09:00 Europe/Amsterdam', null, 'doorlopende_leerroute', '{ZW,EO}', '{3,4}');
  gaps := api.coverage('gemeente', null) -> 'gaps';
  assert not gaps @> jsonb_build_array(jsonb_build_object('code', gm, 'profiel', 'ZW', 'niveau', 3))
         and not gaps @> jsonb_build_array(jsonb_build_object('code', gm, 'profiel', 'EO', 'niveau', 4)),
         'a doorlopende leerroute fills its cells';
  assert api.coverage('gemeente', '2024-01-04') -> 'gaps' @> jsonb_build_array(jsonb_build_object('code', gm, 'profiel', 'ZW', 'niveau', 3)),
         'as of the day before it was published the gap is there';
  perform pg_temp.ok('coverage: a doorlopende leerroute fills the gap (ZW, 3) of its gemeente from the day it is published; a leerlab or samenwerking does not');
end
$$;
select pg_temp.check_coverage('with the routes to ZW 3');
select pg_temp.check_derived('with the routes to ZW 3');

-- 4. GeoJSON: one feature per region, the overview as its properties
do $$
declare
  t text;
  s float8;
  fc json;
begin
  foreach t in array '{provincie,arbeidsmarktregio,rmc,gemeente}'::text[] loop
    foreach s in array '{0,0.01}'::float8[] loop
      fc := api.overview_geojson(t, null, s)::json;
      assert fc ->> 'type' = 'FeatureCollection';
      assert json_array_length(fc -> 'features')
             = (select count(*) from ref.region where type = t and year = (select year from ref.division where is_current)),
             format('%s: not one feature per region', t);
      assert (select bool_and(f ->> 'type' = 'Feature' and f ->> 'id' = f -> 'properties' ->> 'code'
                              and f -> 'geometry' ->> 'type' in ('Polygon', 'MultiPolygon'))
              from json_array_elements(fc -> 'features') f);
      assert (select jsonb_agg((f -> 'properties')::jsonb) from json_array_elements(fc -> 'features') f)
             = api.overview(t, null), format('%s: the properties are not the overviews', t);
    end loop;
  end loop;
  assert (api.overview_geojson('gemeente', null, 0.01)::json -> 'features' -> 0 -> 'geometry' ->> 'coordinates')
         !~ '\.[0-9]{7}', 'coordinates have more than 6 decimals';
  perform pg_temp.ok('api.overview_geojson: one feature per region (id = code) with the overview as properties');
end
$$;

-- 5. Unknown types and codes; region_exists
do $$
begin
  assert api.overview('woonplaats', null) = '[]' and api.overview('gemeente', null, 'GM9999') = '[]'
         and api.overview('provincie', null, 'GM0363') = '[]';
  assert api.coverage('woonplaats', null) -> 'regions' = '[]' and api.coverage('woonplaats', null) -> 'gaps' = '[]';
  assert api.overview_geojson('woonplaats', null, 0)::json -> 'features' ->> 0 is null;
  assert not exists (select 1 from api.region_contacts('woonplaats', 'GM0363'))
         and not exists (select 1 from api.region_contacts('gemeente', 'GM9999'));
  assert api.region_exists('gemeente', pg_temp.v('gm')) and api.region_exists('provincie', 'PV27')
         and not api.region_exists('gemeente', 'GM9999') and not api.region_exists('provincie', 'GM0363')
         and not api.region_exists('woonplaats', 'GM0363')
         and api.region_exists('rmc', null) and not api.region_exists('woonplaats', null);
  perform pg_temp.ok('unknown types and codes give empty results; api.region_exists tells them apart');
end
$$;

-- 6. The contact persons of a region
do $$
declare
  t text;
  rcode text;
  got text[];
  want text[];
begin
  foreach t in array '{provincie,gemeente}'::text[] loop
    rcode := (select l.code from pg_temp.locations(t) l
             where l.vestigingscode = (select vestigingscode from kaart.school_contact where name = 'Test Schoolcontact'));
    select array_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s', r.vestigingscode, r.school, r.plaats, r.gemeente_code,
                            r.contact_source, r.name, r.function, r.email, r.phone) order by n)
      into got
    from api.region_contacts(t, rcode) with ordinality r(vestigingscode, school, plaats, gemeente_code, contact_source,
                                                          name, function, email, phone, n);
    select array_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s', x.vestigingscode, x.school, x.plaats, x.gemeente_code,
                            x.source, x.name, x.function, x.email, x.phone)
                     order by x.school, x.vestigingscode, x.source, x.name, x.email, x.function, x.phone)
      into want
    from (
      select s.vestigingscode, s.name as school, s.plaats, s.gemeente_code, c.source, c.name, c.function, c.email, c.phone
      from pg_temp.locations(t) l
      join ref.school_location s on s.vestigingscode = l.vestigingscode
      left join (
        select sc.vestigingscode, 'school' as source, sc.name, sc.function, sc.email, sc.phone
        from kaart.school_contact sc
        union
        select p.vestigingscode, 'initiative', cp.name, cp.function, cp.email, cp.phone
        from kaart.party p
        join kaart.initiative i on i.id = p.initiative_id and i.status = 'published'
        join kaart.contact_person cp on cp.initiative_id = i.id and cp.sbo_contact
        where p.role = 'vo') c on c.vestigingscode = l.vestigingscode
      where l.code = rcode) x;
    assert got = want, format('api.region_contacts(%s, %s) differs', t, rcode);
    assert 'Test Schoolcontact' = any (select name from api.region_contacts(t, rcode) where contact_source = 'school');
    assert (select count(*) from (select distinct vestigingscode from api.region_contacts(t, rcode)) x)
           = (select count(*) from pg_temp.locations(t) l where l.code = rcode);
  end loop;
  perform pg_temp.ok('api.region_contacts: every vmbo location of the region with its school and initiative SBO contacts');
end
$$;

-- 7. Privileges
do $$
declare
  f text;
begin
  foreach f in array '{"api.overview(text,date,text)","api.coverage(text,date)","api.overview_geojson(text,date,double precision)","api.region_exists(text,text)","api.region_contacts(text,text)"}'::text[] loop
    assert (select p.prosecdef and p.proowner = 'routekaart_owner'::regrole
                   and exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%')
            from pg_proc p where p.oid = f::regprocedure), format('%s is not a security definer of routekaart_owner with a fixed search_path', f);
    assert not has_function_privilege('public', f, 'execute'), format('PUBLIC may execute %s', f);
  end loop;
  assert has_function_privilege('routekaart_web', 'api.overview(text,date,text)', 'execute')
         and has_function_privilege('routekaart_web', 'api.coverage(text,date)', 'execute')
         and has_function_privilege('routekaart_web', 'api.overview_geojson(text,date,double precision)', 'execute')
         and has_function_privilege('routekaart_web', 'api.region_exists(text,text)', 'execute')
         and not has_function_privilege('routekaart_web', 'api.region_contacts(text,text)', 'execute')
         and has_function_privilege('routekaart_app', 'api.region_contacts(text,text)', 'execute')
         and has_function_privilege('routekaart_app', 'api.region_exists(text,text)', 'execute')
         and not has_function_privilege('routekaart_app', 'api.overview(text,date,text)', 'execute');
  assert not has_table_privilege('routekaart_web', 'kaart.overview_initiative', 'select')
         and not has_table_privilege('routekaart_web', 'kaart.overview_presence', 'select')
         and not has_table_privilege('routekaart_app', 'kaart.overview_party', 'select');
end
$$;
set local role routekaart_web;
do $$
declare
  gm text := pg_temp.v('gm');
begin
  assert jsonb_array_length(api.overview('gemeente', null)) > 0;
  assert api.overview('gemeente', null, gm) -> 0 ->> 'code' = gm;
  assert api.coverage('rmc', '2024-01-01') ->> 'region_type' = 'rmc';
  assert api.overview_geojson('provincie', null, 0.01) like '{"type":"FeatureCollection"%';
  assert api.region_exists('gemeente', gm);
  begin
    perform * from api.region_contacts('gemeente', gm);
    raise exception 'FAILED: routekaart_web executed api.region_contacts';
  exception when insufficient_privilege then null;
  end;
  raise notice 'ok - set role routekaart_web: the overviews work; api.region_contacts is refused (42501)';
end
$$;
reset role;
set local role routekaart_app;
do $$
begin
  assert exists (select 1 from api.region_contacts('gemeente', current_setting('test.gm')));
  begin
    perform api.overview('gemeente', null);
    raise exception 'FAILED: routekaart_app executed api.overview';
  exception when insufficient_privilege then null;
  end;
  raise notice 'ok - set role routekaart_app: api.region_contacts works';
end
$$;
reset role;

-- 8. How long an overview takes here (the 100,000-initiative figures are in sql/README.md)
do $$
declare
  t0 timestamptz;
  t text;
  ms text[] := '{}';
begin
  foreach t in array '{provincie,arbeidsmarktregio,rmc,gemeente}'::text[] loop
    t0 := clock_timestamp();
    perform api.overview(t, null);
    ms := ms || format('%s %s ms', t, round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 1));
  end loop;
  t0 := clock_timestamp();
  perform api.coverage('gemeente', null);
  ms := ms || format('coverage gemeente %s ms', round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 1));
  raise notice 'ok - timings: %', array_to_string(ms, ', ');
end
$$;

rollback;
