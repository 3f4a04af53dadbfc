-- The api schema: the only thing the service reads. The views run with their owner's rights, so
-- the service needs no access to ref, kaart or audit. They are security barriers: a predicate the
-- service adds cannot see rows the view filters out (unpublished initiatives), not even through an
-- error message. The price: only leakproof predicates (=, <, > on scalars: id, route_kind,
-- start_year, published_at, type, code) are pushed into the view and can use an index; array,
-- geometry and full-text predicates are evaluated on the view's rows. For indexed filtering on
-- those, api.initiative_page() (api/80_initiative_page.sql) returns the matching ids: WHERE id =
-- ANY (...) is leakproof.
-- Below a few thousand initiatives none of this matters.
--
-- JSON columns are scalar subqueries: PostgreSQL does not compute a column the query does not
-- use, so a list that selects id, name and geom costs nothing for parties or regions.
set local role routekaart_owner;

create view api.initiatives with (security_barrier) as
select
  i.id,
  i.name,
  i.route_kind,
  i.leerwegen,
  i.profielen,
  i.niveaus,
  i.opleidingsdomeinen,
  i.crebo,
  i.start_year,
  i.description,
  i.website,
  i.mailbox,
  i.place,
  i.brins,
  i.vestigingen,
  i.region_codes,
  i.geom,
  i.search,
  i.published_at,
  i.updated_at,
  (select coalesce(jsonb_agg(jsonb_build_object(
            'role', p.role,
            'kind', coalesce(s.sector, o.kind),   -- vo | mbo | company | other
            'name', coalesce(s.name, o.name),
            'vestigingscode', s.vestigingscode,
            'brin', coalesce(s.brin, o.brin),
            'kvk', o.kvk,
            'place', coalesce(s.plaats, o.plaats),
            'lon', round(st_x(coalesce(s.geom, o.geom))::numeric, 6),
            'lat', round(st_y(coalesce(s.geom, o.geom))::numeric, 6))
          order by array_position('{vo,mbo,bedrijf,overig}'::text[], p.role), coalesce(s.name, o.name), p.id), '[]')
   from kaart.party p
   left join ref.school_location s on s.vestigingscode = p.vestigingscode
   left join kaart.organisation o on o.id = p.organisation_id
   where p.initiative_id = i.id) as parties,
  jsonb_build_object(
    'agreement_signed_on', i.agreement_signed_on,
    'agreement_topics', to_jsonb(i.agreement_topics),
    'rio_registered', i.rio_registered,
    'combined_pta_oer', i.combined_pta_oer,
    'cohort_guarantee', i.cohort_guarantee) as conditions,
  (select coalesce(jsonb_agg(jsonb_build_object('type', r.type, 'code', r.code, 'name', r.name, 'year', r.year)
                             order by t.sort), '[]')
   from ref.region r join ref.region_type t on t.type = r.type
   where r.code = any (i.region_codes) and r.year = i.region_year) as regions,
  -- only people who consented, and only their name and function
  (select coalesce(jsonb_agg(jsonb_build_object('name', c.name, 'function', c.function) order by c.id), '[]')
   from kaart.contact_person c
   where c.initiative_id = i.id and c.public_consent) as contacts
from kaart.initiative i
where i.status = 'published';

comment on view api.initiatives is 'Published initiatives with their parties, conditions, regions and consenting contacts';

create view api.schools with (security_barrier) as
select
  s.vestigingscode,
  s.brin,
  s.name,
  nullif(concat_ws(' ', s.street,
                   s.huisnummer::text || coalesce(s.huisletter, '') || coalesce('-' || s.toevoeging, '')), '') as address,
  s.postcode,
  s.plaats,
  s.gemeente_code,
  (select array[g.provincie_code, g.arbeidsmarktregio_code, g.rmc_code, g.gemeente_code]
   from ref.gemeente_regio g join ref.division d on d.year = g.year and d.is_current
   where g.gemeente_code = s.gemeente_code) as region_codes,
  s.vmbo,
  s.onderwijsstructuur,
  s.leerwegen,
  s.website,
  s.geom,
  coalesce((select t.n from kaart.school_tally t where t.vestigingscode = s.vestigingscode), 0) as route_count
from ref.school_location s;

comment on view api.schools is 'School locations (DUO) with their current regions and number of published initiatives';

create view api.regions with (security_barrier) as
select
  r.type,
  r.code,
  r.year,
  r.name,
  r.geom,
  coalesce((select t.n from kaart.region_tally t where t.code = r.code and t.year = r.year), 0) as initiative_count
from ref.region r;

comment on view api.regions is 'CBS regions of every loaded year with the number of published initiatives in each';

-- All code lists as one JSON document, for /codelists and the forms.
create function api.codelists_json() returns json
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select json_build_object(
    'route_kinds', (select json_agg(json_build_object('code', code, 'label', label) order by sort) from ref.route_kind),
    'leerwegen', (select json_agg(json_build_object('code', code, 'label', label) order by sort) from ref.leerweg),
    'profielen', (select json_agg(json_build_object(
                     'code', p.code, 'afkorting', p.afkorting, 'label', p.label,
                     'opleidingsdomeinen', (select coalesce(json_agg(pd.domein order by pd.domein), '[]')
                                            from ref.profiel_domein pd where pd.profiel = p.code))
                   order by p.sort) from ref.profiel p),
    'niveaus', (select json_agg(json_build_object('niveau', niveau, 'label', label, 'allowed_for_routes', allowed_for_routes)
                                order by niveau) from ref.niveau),
    'opleidingsdomeinen', (select json_agg(json_build_object('code', code, 'label', label) order by code) from ref.opleidingsdomein),
    'region_types', (select json_agg(json_build_object('type', type, 'prefix', prefix, 'label', label) order by sort) from ref.region_type),
    'agreement_topics', (select json_agg(json_build_object('code', code, 'label', label, 'required', required) order by sort)
                         from ref.agreement_topic))
$$;

comment on function api.codelists_json() is 'All code lists as one JSON document';

-- Privileges -----------------------------------------------------------------------------------
grant select on api.initiatives, api.schools, api.regions to routekaart_web;
grant execute on function api.codelists_json() to routekaart_web;
