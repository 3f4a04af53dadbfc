-- Demo data, first step: replace the demo organisations and remove the previous demo
-- initiatives (their parties and contacts cascade); submissions and imports are never touched.
-- Run by geo/demo.sh at the start of the transaction in which the generator (geo/demo.sql) runs.
\set ON_ERROR_STOP on
set local role routekaart_owner;
set local client_min_messages = warning;
set local jit = off;
-- Bulk mode: one audit row per statement, not per generated row (see audit.log_change).
select set_config('routekaart.actor', 'geo/demo.sh', true),
       set_config('routekaart.audit', 'summary', true) \gset
-- one demo run at a time
select pg_advisory_xact_lock(hashtext('routekaart.demo')) \gset

do $$
begin
  if not exists (select 1 from ref.school_location where vmbo) or not exists (select 1 from ref.division where is_current) then
    raise exception 'no reference data: run geo/load-reference.sh first';
  end if;
  -- demo BRINs are 99AA-99CR: refuse to run if a real school or organisation uses that range
  if exists (select 1 from ref.school_location where brin like '99%')
     or exists (select 1 from kaart.organisation where brin like '99%' and not is_demo)
     or exists (select 1 from kaart.organisation where kvk like '000%' and not is_demo) then
    raise exception 'a real school or organisation uses the demo BRIN range 99xx or KvK range 000xxxxx';
  end if;
end
$$;

-- A slug for demo web addresses: "'s-Gravenhage" → "s-gravenhage".
create function pg_temp.slug(v text) returns text
language sql immutable
return trim(both '-' from regexp_replace(lower(translate(v, 'âäàáéëèêïîíöôóüûúç', 'aaaaeeeeiiiooouuuc')), '[^a-z0-9]+', '-', 'g'));

with gone as (delete from kaart.initiative where source = 'demo' returning 1)
select count(*) as demo_removed from gone \gset

-- Demo mbo institutions in the 70 towns with the most vo pupils --------------------------------
create temp table demo_town on commit drop as
select row_number() over (order by sum(coalesce(leerlingen, 0)) desc, plaats, gemeente_code)::int as rank,
       plaats, gemeente_code, st_centroid(st_collect(geom)) as geom
from ref.school_location
where sector = 'vo'
group by plaats, gemeente_code
order by rank
limit 70;

insert into kaart.organisation as o (kind, brin, name, plaats, website, geom, is_demo)
select 'mbo', '99' || chr(65 + (rank - 1) / 26) || chr(65 + (rank - 1) % 26),
       'Demo mbo College ' || plaats, plaats,
       'https://demo-mbo-college-' || pg_temp.slug(plaats) || '.example', geom, true
from demo_town
on conflict (brin) where brin is not null do update
  set name = excluded.name, plaats = excluded.plaats, website = excluded.website, geom = excluded.geom, is_demo = true
where (o.name, o.plaats, o.website, o.is_demo) is distinct from (excluded.name, excluded.plaats, excluded.website, true)
   or st_asewkb(o.geom) <> st_asewkb(excluded.geom);

-- Demo companies: one per profiel in the 20 largest towns, a few hundred metres from the centre.
-- KvK numbers 000TTPPP (town rank, profiel), a range that does not denote real companies here.
create temp table demo_company_kind on commit drop as
select p.code, p.sort,
       (array['Bouwbedrijf', 'Installatietechniek', 'Autobedrijf', 'Mediabureau', 'Scheepswerf',
              'Zorggroep', 'Groothandel', 'Hotel en Restaurant', 'Hoveniersbedrijf', 'Facilitair Bedrijf'])[p.sort] as company
from ref.profiel p;

insert into kaart.organisation as o (kind, kvk, name, plaats, website, geom, is_demo)
select 'company', '000' || lpad(t.rank::text, 2, '0') || lpad(p.sort::text, 3, '0'),
       'Demo ' || p.company || ' ' || t.plaats, t.plaats,
       'https://demo-' || pg_temp.slug(p.company) || '-' || pg_temp.slug(t.plaats) || '.example',
       st_setsrid(st_translate(t.geom, 0.006 * cos(p.sort * pi() / 5), 0.004 * sin(p.sort * pi() / 5)), 4326), true
from demo_town t cross join demo_company_kind p
where t.rank <= 20
on conflict (kvk) where kvk is not null do update
  set name = excluded.name, plaats = excluded.plaats, website = excluded.website, geom = excluded.geom, is_demo = true
where (o.name, o.plaats, o.website, o.is_demo) is distinct from (excluded.name, excluded.plaats, excluded.website, true)
   or st_asewkb(o.geom) <> st_asewkb(excluded.geom);

-- demo organisations from an earlier, larger set that nothing refers to any more
delete from kaart.organisation o
where o.is_demo
  and not exists (select 1 from demo_town t where o.brin = '99' || chr(65 + (t.rank - 1) / 26) || chr(65 + (t.rank - 1) % 26))
  and not exists (select 1 from demo_town t cross join demo_company_kind p
                  where t.rank <= 20 and o.kvk = '000' || lpad(t.rank::text, 2, '0') || lpad(p.sort::text, 3, '0'))
  and not exists (select 1 from kaart.party pa where pa.organisation_id = o.id);

select format('demo: %s previous demo initiatives removed; %s demo mbo institutions, %s demo companies',
              :demo_removed,
              (select count(*) from kaart.organisation where is_demo and kind = 'mbo'),
              (select count(*) from kaart.organisation where is_demo and kind = 'company'));
