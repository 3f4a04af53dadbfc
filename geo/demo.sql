-- Demo data, second step: the generator, run by geo/demo.sh in the transaction of the first step
-- (demo-prepare.sql), which then calls pg_temp.demo_batch(lo, hi) once per batch. psql variables:
-- published, pending, rejected (how many initiatives of each status; the rest up to the total is
-- withdrawn) and seed.
--
-- Every random choice is a hash of (seed, initiative number, draw number), and every list is taken
-- in a fixed order, so the same arguments give the same data (only the generated ids differ).
\set ON_ERROR_STOP on
set local gin_pending_list_limit = '64MB';   -- fewer, larger merges of the GIN indexes' pending lists
select set_config('rk.seed', :'seed', true),
       set_config('rk.published', :'published', true),
       set_config('rk.pending', :'pending', true),
       set_config('rk.rejected', :'rejected', true) \gset

-- Uniform draw in [0, 1) for initiative n, draw k.
create function pg_temp.rnd(n bigint, k integer) returns double precision
language sql stable
return (hashint8extended(n, current_setting('rk.seed')::bigint * 1000 + k) & 2147483647)::double precision / 2147483648;

-- Profielen with how often each occurs (share in 100, roughly as among vmbo pupils) and the
-- opleidingsdomeinen they lead to.
create temp table demo_profiel on commit drop as
select p.code, p.label, p.sort,
       (array[10, 10, 5, 9, 3, 18, 16, 8, 7, 14])[p.sort] as weight,
       (select array_agg(d.domein order by d.domein) from ref.profiel_domein d where d.profiel = p.code) as domeinen
from ref.profiel p;
alter table demo_profiel add column lo double precision, add column hi double precision;
update demo_profiel d set lo = c.lo, hi = c.hi
from (select code, (sum(weight) over (order by sort) - weight) / 100.0 as lo, sum(weight) over (order by sort) / 100.0 as hi
      from demo_profiel) c
where c.code = d.code;

-- vmbo locations with their two nearest demo mbo institutions, and the nearest demo company of
-- each profiel within 40 km. Distances in RD New (EPSG:28992), metres.
create temp table demo_org on commit drop as
select o.id, o.kind, o.brin, o.name, st_transform(o.geom, 28992) as rd,
       (select p.code from ref.profiel p where p.sort = right(o.kvk, 3)::int) as profiel   -- KvK 000TTPPP
from kaart.organisation o
where o.is_demo;

create temp table demo_school on commit drop as
select (row_number() over (order by s.vestigingscode) - 1)::int as i,
       s.vestigingscode, s.brin, s.name, s.plaats, s.geom, st_transform(s.geom, 28992) as rd, s.leerwegen, s.website,
       m.ids[1] as mbo1, m.brins[1] as mbo1_brin, m.names[1] as mbo1_name,
       m.ids[2] as mbo2, m.brins[2] as mbo2_brin
from ref.school_location s
cross join lateral (
  select array_agg(x.id order by x.d, x.id) as ids, array_agg(x.brin order by x.d, x.id) as brins,
         array_agg(x.name order by x.d, x.id) as names
  from (select o.id, o.brin, o.name, st_distance(st_transform(s.geom, 28992), o.rd) as d
        from demo_org o where o.kind = 'mbo'
        order by d, o.id limit 2) x) m
where s.sector = 'vo' and s.vmbo and cardinality(s.leerwegen) > 0;
create unique index on demo_school (i);

create temp table demo_company on commit drop as
select distinct on (s.i, o.profiel) s.i, o.profiel, o.id, o.name
from demo_school s join demo_org o on o.kind = 'company' and st_dwithin(s.rd, o.rd, 40000)
order by s.i, o.profiel, st_distance(s.rd, o.rd), o.id;
create unique index on demo_company (i, profiel);

-- word lists for contact persons and texts
create temp table demo_words (list text, i int, word text, primary key (list, i)) on commit drop;
insert into demo_words
select 'first', n, w from unnest('{Anouk,Bram,Daan,Eva,Fatima,Femke,Hans,Ingrid,Jeroen,Joyce,Karim,Lieke,Lotte,Marco,Marieke,Mohamed,Nadia,Niels,Petra,Rik,Sanne,Sevda,Stefan,Thijs,Wendy,Yusuf,Esther,Bas,Linda,Koen}'::text[]) with ordinality u(w, n)
union all
select 'last', n, w from unnest('{de Vries,Jansen,van den Berg,Bakker,Visser,Smit,Meijer,de Boer,Mulder,de Groot,Bos,Vos,Peters,Hendriks,van Leeuwen,Dekker,Brouwer,de Wit,Dijkstra,Smits,de Graaf,van der Meer,Kok,Jacobs,Yilmaz,El Amrani,Vermeulen,van Dijk,Hoekstra,Koster}'::text[]) with ordinality u(w, n)
union all
select 'function', n, w from unnest('{Coördinator doorlopende leerroutes,Teamleider bovenbouw vmbo,Decaan,Opleidingsmanager mbo,Coördinator Sterk beroepsonderwijs,Afdelingsleider,Projectleider vmbo-mbo}'::text[]) with ordinality u(w, n)
union all
select 'extra', n, w from unnest(array[
  'Leerlingen lopen vanaf het derde leerjaar een dag per week mee op het mbo.',
  'Het programma bestaat uit praktijkgerichte modules die in het mbo worden verzilverd.',
  'Loopbaanbegeleiding en een warme overdracht zorgen dat geen leerling tussen wal en schip valt.',
  'Docenten van vmbo en mbo geven samen les in een gedeeld praktijklokaal.',
  'De route is samen met het regionale bedrijfsleven ontwikkeld en sluit aan op de vraag in de regio.',
  'Wie merkt dat de gekozen richting niet past, kan zonder verlies van tijd overstappen.']) with ordinality u(w, n)
union all
select 'reject', n, w from unnest(array[
  'Er is geen mbo-partner genoemd.',
  'Dubbele aanmelding van een route die al op de kaart staat.',
  'Te weinig informatie over de opzet van de route.',
  'Dit is geen samenwerking tussen vmbo en mbo.']) with ordinality u(w, n);

-- One batch: initiatives lo..hi with their parties and contact persons -------------------------
create temp table demo_plan (
  n bigint primary key, status text, i int, route_kind text, leerwegen text[], niveaus int[],
  profiel1 text, profiel2 text, domein1 text, domein2 text, start_year int, signed boolean,
  two_mbo boolean, company bigint, company_name text, contacts int, created_at timestamptz
) on commit drop;
create temp table demo_ids (n bigint primary key, id bigint not null) on commit drop;

create function pg_temp.demo_batch(lo bigint, hi bigint) returns bigint
language plpgsql as $fn$
declare
  published bigint := current_setting('rk.published')::bigint;
  pending bigint := current_setting('rk.pending')::bigint;
  rejected bigint := current_setting('rk.rejected')::bigint;
  nschools int := (select count(*) from demo_school);
  inserted bigint;
begin
  truncate demo_plan, demo_ids;

  -- choices
  insert into demo_plan
  select g.n,
         case when g.n <= published then 'published'
              when g.n <= published + pending then 'submitted'
              when g.n <= published + pending + rejected then 'rejected'
              else 'withdrawn' end,
         s.i, k.route_kind, lw.leerwegen, nv.niveaus, p1.code,
         case when pg_temp.rnd(g.n, 9) < 0.2 and p2.code <> p1.code then p2.code end,
         p1.domeinen[1 + floor(pg_temp.rnd(g.n, 11) * cardinality(p1.domeinen))::int],
         case when pg_temp.rnd(g.n, 12) < 0.3
              then p1.domeinen[1 + floor(pg_temp.rnd(g.n, 13) * cardinality(p1.domeinen))::int] end,
         y.start_year,
         pg_temp.rnd(g.n, 20) < case k.route_kind when 'doorlopende_leerroute' then 0.8
                                                  when 'geintegreerde_route' then 0.6 else 0.25 end,
         pg_temp.rnd(g.n, 30) < 0.3 and s.mbo2 is not null,
         case when pg_temp.rnd(g.n, 31) < 0.35 then c.id end,
         case when pg_temp.rnd(g.n, 31) < 0.35 then c.name end,
         case when pg_temp.rnd(g.n, 40) < 0.35 then 0 when pg_temp.rnd(g.n, 40) < 0.85 then 1 else 2 end,
         make_timestamptz(y.start_year - 1, 1, 10, 9, 0, 0, 'Europe/Amsterdam')
           + make_interval(days => floor(pg_temp.rnd(g.n, 15) * 200)::int,
                           mins => floor(pg_temp.rnd(g.n, 16) * 480)::int)
  from generate_series(lo, hi) g(n)
  join demo_school s on s.i = floor(pg_temp.rnd(g.n, 1) * nschools)::int
  join demo_profiel p1 on pg_temp.rnd(g.n, 8) >= p1.lo and pg_temp.rnd(g.n, 8) < p1.hi
  join demo_profiel p2 on pg_temp.rnd(g.n, 10) >= p2.lo and pg_temp.rnd(g.n, 10) < p2.hi
  left join demo_company c on c.i = s.i and c.profiel = p1.code
  -- most routes are doorlopende leerroutes; a geïntegreerde route needs the basisberoepsgerichte leerweg
  cross join lateral (select case when pg_temp.rnd(g.n, 2) < 0.70 then 'doorlopende_leerroute'
                                  when pg_temp.rnd(g.n, 2) < 0.78 and 'BB' = any (s.leerwegen) then 'geintegreerde_route'
                                  when pg_temp.rnd(g.n, 2) < 0.87 then 'samenwerking'
                                  else 'leerlab' end as route_kind) k
  -- one or two adjacent leerwegen the school offers
  cross join lateral (select floor(pg_temp.rnd(g.n, 3) * cardinality(s.leerwegen))::int + 1 as a) st
  cross join lateral (
    select case when k.route_kind = 'geintegreerde_route' then '{BB}'::text[]
                when pg_temp.rnd(g.n, 4) < 0.5 and st.a < cardinality(s.leerwegen) then s.leerwegen[st.a:st.a + 1]
                else s.leerwegen[st.a:st.a] end as leerwegen) lw
  -- the usual mbo level after each leerweg: BB → 2, KB → 3 (or 2), GL → 3 (or 4), TL → 4 (or 3)
  cross join lateral (
    select case when k.route_kind = 'geintegreerde_route' then '{2}'::int[] else
           array(select distinct x from unnest(array[
                   case when 'BB' = any (lw.leerwegen) then 2 end,
                   case when 'KB' = any (lw.leerwegen) then 3 end,
                   case when 'KB' = any (lw.leerwegen) and pg_temp.rnd(g.n, 5) < 0.3 then 2 end,
                   case when 'GL' = any (lw.leerwegen) then 3 end,
                   case when 'GL' = any (lw.leerwegen) and pg_temp.rnd(g.n, 6) < 0.5 then 4 end,
                   case when 'TL' = any (lw.leerwegen) then 4 end,
                   case when 'TL' = any (lw.leerwegen) and pg_temp.rnd(g.n, 7) < 0.3 then 3 end]) x
                 where x is not null order by x) end as niveaus) nv
  -- start years 2020-2026, more of them recent
  cross join lateral (select 2020 + least(6, floor(sqrt(pg_temp.rnd(g.n, 14)) * 7)::int) as start_year) y;

  -- initiatives
  with ins as (
    insert into kaart.initiative (
      source, external_ref, status, name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen,
      start_year, description, website, mailbox, place, location_vestiging, geom,
      agreement_signed_on, agreement_topics, rio_registered, combined_pta_oer, cohort_guarantee,
      brins, vestigingen, rejection_reason, created_at, updated_at, published_at, rejected_at, withdrawn_at)
    select 'demo', p.n::text, p.status,
           rk.label || ' ' || p1.label || ' ' || s.plaats,
           p.route_kind, p.leerwegen, array_remove(array[p.profiel1, p.profiel2], null), p.niveaus,
           array_remove(array[p.domein1, p.domein2], null),
           p.start_year,
           case p.route_kind
             when 'doorlopende_leerroute' then format(
               'Leerlingen van %s (vmbo %s) stromen vanaf leerjaar 3 zonder tussentijds examen door naar een mbo-opleiding op niveau %s in het domein %s bij %s.',
               s.name, array_to_string(p.leerwegen, '/'), nt.txt, d1.label, s.mbo1_name)
             when 'geintegreerde_route' then format(
               'In deze geïntegreerde route werken leerlingen van de basisberoepsgerichte leerweg van %s in één programma toe naar een mbo-diploma op niveau 2 in het domein %s, samen met %s.',
               s.name, d1.label, s.mbo1_name)
             when 'leerlab' then format(
               'In dit leerlab ontwikkelen docenten van %s en %s samen met leerlingen nieuwe vormen van praktijkleren rond %s.',
               s.name, s.mbo1_name, lower(p1.label))
             else format(
               '%s en %s werken samen aan een soepele overstap van vmbo naar mbo in het domein %s: gezamenlijke lessen, praktijkopdrachten en loopbaanbegeleiding.',
               s.name, s.mbo1_name, d1.label)
           end
           || case when p.company is not null then format(' %s biedt stageplaatsen en praktijkopdrachten.', p.company_name) else '' end
           || ' ' || ex.word
           || format(' Start: schooljaar %s-%s.', p.start_year, p.start_year + 1),
           s.website,
           'leerroutes-' || lower(s.vestigingscode) || '@demo.routekaart.example',
           s.plaats, s.vestigingscode, s.geom,
           case when p.signed then make_date(p.start_year - 1, 3, 1) + floor(pg_temp.rnd(p.n, 21) * 150)::int end,
           case when not p.signed then '{}'::text[] else
             array(select t.code from ref.agreement_topic t
                   where (t.required and (pg_temp.rnd(p.n, 22) < 0.7 or t.sort <> 1 + floor(pg_temp.rnd(p.n, 23) * 8)::int))
                      or (not t.required and pg_temp.rnd(p.n, 24) < 0.4)
                   order by t.sort) end,
           case when p.route_kind in ('doorlopende_leerroute', 'geintegreerde_route') then p.signed and pg_temp.rnd(p.n, 25) < 0.85 end,
           case when p.route_kind in ('doorlopende_leerroute', 'geintegreerde_route') then pg_temp.rnd(p.n, 26) < 0.6 end,
           case when p.route_kind in ('doorlopende_leerroute', 'geintegreerde_route') then pg_temp.rnd(p.n, 27) < 0.5 end,
           array(select distinct b from unnest(array[s.brin, s.mbo1_brin, case when p.two_mbo then s.mbo2_brin end]) b
                 where b is not null order by b),
           array[s.vestigingscode],
           case when p.status = 'rejected' then rj.word end,
           p.created_at,
           case when p.status = 'published' then p.created_at + interval '1 day' * (2 + floor(pg_temp.rnd(p.n, 17) * 25))
                when p.status = 'withdrawn' then p.created_at + interval '300 days'
                else p.created_at end,
           case when p.status in ('published', 'withdrawn') then p.created_at + interval '1 day' * (2 + floor(pg_temp.rnd(p.n, 17) * 25)) end,
           case when p.status = 'rejected' then p.created_at + interval '10 days' end,
           case when p.status = 'withdrawn' then p.created_at + interval '300 days' end
    from demo_plan p
    join demo_school s on s.i = p.i
    join ref.route_kind rk on rk.code = p.route_kind
    join demo_profiel p1 on p1.code = p.profiel1
    join ref.opleidingsdomein d1 on d1.code = p.domein1
    join demo_words ex on ex.list = 'extra' and ex.i = 1 + floor(pg_temp.rnd(p.n, 18) * 6)::int
    join demo_words rj on rj.list = 'reject' and rj.i = 1 + floor(pg_temp.rnd(p.n, 19) * 4)::int
    cross join lateral (select case cardinality(p.niveaus) when 1 then p.niveaus[1]::text
                                   when 2 then p.niveaus[1] || ' of ' || p.niveaus[2]
                                   else '2, 3 of 4' end as txt) nt
    order by p.n
    returning id, external_ref)
  insert into demo_ids select external_ref::bigint, id from ins;
  get diagnostics inserted = row_count;

  -- parties, in one statement so that each initiative is complete when its triggers look
  insert into kaart.party (initiative_id, role, vestigingscode, organisation_id, created_at)
  select d.id, x.role, x.vestigingscode, x.organisation_id, p.created_at
  from demo_plan p
  join demo_ids d on d.n = p.n
  join demo_school s on s.i = p.i
  cross join lateral (values (1, 'vo', s.vestigingscode, null::bigint),
                             (2, 'mbo', null, s.mbo1),
                             (3, 'mbo', null, case when p.two_mbo then s.mbo2 end),
                             (4, 'bedrijf', null, p.company)) x(k, role, vestigingscode, organisation_id)
  where x.vestigingscode is not null or x.organisation_id is not null
  order by p.n, x.k;

  -- contact persons: some initiatives none, most one, some two; a minority consents to be shown
  insert into kaart.contact_person (initiative_id, name, function, email, sbo_contact, public_consent, consent_at,
                                    created_at, updated_at)
  select d.id, f.word || ' ' || l.word, fn.word,
         lower(translate(f.word, 'ë', 'e')) || '.' || lower(replace(l.word, ' ', '')) || '@demo.routekaart.example',
         c.j = 1 and pg_temp.rnd(p.n, 80) < 0.5,
         pg_temp.rnd(p.n, 90 + c.j) < 0.4,
         case when pg_temp.rnd(p.n, 90 + c.j) < 0.4 then p.created_at + interval '1 day' end,
         p.created_at, p.created_at
  from demo_plan p
  join demo_ids d on d.n = p.n
  cross join lateral generate_series(1, p.contacts) c(j)
  join demo_words f on f.list = 'first' and f.i = 1 + floor(pg_temp.rnd(p.n, 50 + c.j) * 30)::int
  join demo_words l on l.list = 'last' and l.i = 1 + floor(pg_temp.rnd(p.n, 60 + c.j) * 30)::int
  join demo_words fn on fn.list = 'function' and fn.i = 1 + floor(pg_temp.rnd(p.n, 70 + c.j) * 7)::int
  order by p.n, c.j;

  return inserted;
end
$fn$;


