-- Self-test of the database rules: bad data is refused with the expected SQLSTATE and constraint,
-- good data gets its derived fields, the service role sees the api and nothing else. Runs in one
-- transaction that is rolled back, so it leaves nothing behind. Needs the reference data.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/selftest.sql      (prints "ok - ..." per check)
\ir tests/prologue.psql
select set_config('routekaart.actor', 'sql/selftest.sql', true) \gset

-- expect(what, statements, sqlstate, constraint): the statements must fail just so.
create function pg_temp.expect(what text, statements text, state text, cname text default null)
returns void language plpgsql as $$
declare
  got_state text;
  got_name text;
  got_msg text;
begin
  begin
    execute statements;
    set constraints all immediate;   -- deferred checks too
  exception when others then
    get stacked diagnostics got_state = returned_sqlstate, got_name = constraint_name, got_msg = message_text;
  end;
  set constraints all deferred;
  if got_state is null then
    raise exception 'FAILED: % was accepted', what;
  elsif got_state <> state or coalesce(got_name, '') <> coalesce(cname, coalesce(got_name, '')) then
    raise exception 'FAILED: % gave % % (%), expected % %', what, got_state, got_name, got_msg, state, cname;
  end if;
  raise notice 'ok - % refused (% %)', what, got_state, coalesce(got_name, '');
end
$$;

-- a vmbo school, an mbo institution, and a valid initiative to vary
create temp table t_school on commit drop as
select vestigingscode, brin, gemeente_code, geom from ref.school_location
where vmbo and 'BB' = any (leerwegen) order by vestigingscode limit 1;
insert into kaart.organisation (kind, brin, name, plaats) values ('mbo', '01ZZ', 'Selftest mbo', 'Utrecht');
insert into kaart.organisation (kind, kvk, name, plaats) values ('company', '12345678', 'Selftest bedrijf', 'Utrecht');

create function pg_temp.initiative(overrides text default '') returns text language sql as $$
  select format($f$insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen,
                   location_vestiging, mailbox, website, geom)
                 select name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen, location_vestiging, mailbox, website, geom
                 from (select 'Selftest route'::text as name, null::geometry as geom, 'doorlopende_leerroute'::text as route_kind,
                              '{BB,KB}'::text[] as leerwegen, '{ZW}'::text[] as profielen, '{2,3}'::int[] as niveaus,
                              '{o}'::text[] as opleidingsdomeinen, %L::text as location_vestiging,
                              'leerroute@example.org'::text as mailbox, 'https://example.org/route'::text as website %s) v$f$,
                (select vestigingscode from t_school), overrides)
$$;

-- code lists and formats
select pg_temp.expect('Entree (niveau 1)', replace(pg_temp.initiative(), '''{2,3}''::int[] as niveaus', '''{1,2}''::int[] as niveaus'), '23514', 'initiative_niveaus_check');
select pg_temp.expect('niveau 5', replace(pg_temp.initiative(), '''{2,3}''::int[] as niveaus', '''{5}''::int[] as niveaus'), '23514', 'initiative_niveaus_check');
select pg_temp.expect('no niveaus', replace(pg_temp.initiative(), '''{2,3}''::int[] as niveaus', '''{}''::int[] as niveaus'), '23514', 'initiative_niveaus_check');
select pg_temp.expect('unknown leerweg', replace(pg_temp.initiative(), '''{BB,KB}''', '''{BB,XX}'''), '23514', 'initiative_leerwegen_check');
select pg_temp.expect('NULL leerweg', replace(pg_temp.initiative(), '''{BB,KB}''', '''{BB,NULL}'''), '23514', 'initiative_leerwegen_check');
select pg_temp.expect('unknown profiel', replace(pg_temp.initiative(), '''{ZW}''', '''{ZZ}'''), '23514', 'initiative_profielen_check');
select pg_temp.expect('no profiel outside TL', replace(pg_temp.initiative(), '''{ZW}''', '''{}'''), '23514', 'initiative_profielen_check');
select pg_temp.expect('unknown opleidingsdomein', replace(pg_temp.initiative(), '''{o}''', '''{q}'''), '23514', 'initiative_opleidingsdomeinen_check');
select pg_temp.expect('unknown route kind', replace(pg_temp.initiative(), '''doorlopende_leerroute''', '''stage'''), '23503', 'initiative_route_kind_fkey');
select pg_temp.expect('geïntegreerde route with KB', replace(pg_temp.initiative(), '''doorlopende_leerroute''', '''geintegreerde_route'''), '23514', 'initiative_geintegreerde_route_check');
select pg_temp.expect('geïntegreerde route to niveau 3',
  replace(replace(replace(pg_temp.initiative(), '''doorlopende_leerroute''', '''geintegreerde_route'''), '''{BB,KB}''', '''{BB}'''),
          '''{2,3}''::int[] as niveaus', '''{3}''::int[] as niveaus'), '23514', 'initiative_geintegreerde_route_check');
select pg_temp.expect('bad mailbox', replace(pg_temp.initiative(), 'leerroute@example.org', 'leerroute at example'), '23514', 'initiative_mailbox_check');
select pg_temp.expect('ftp website', replace(pg_temp.initiative(), 'https://example.org/route', 'ftp://example.org'), '23514', 'initiative_website_check');
select pg_temp.expect('short name', replace(pg_temp.initiative(), '''Selftest route''', ''' x '''), '23514', 'initiative_name_check');
select pg_temp.expect('bad crebo', pg_temp.initiative() || '; update kaart.initiative set crebo = ''{1234}'' where name = ''Selftest route''',
  '23514', 'initiative_crebo_check');
select pg_temp.expect('unknown school location', replace(pg_temp.initiative(), (select vestigingscode from t_school), '99ZZ99'), '23503', 'initiative_location_vestiging_fkey');
select pg_temp.expect('bad BRIN', $s$insert into kaart.organisation (kind, brin, name) values ('mbo', '1ABC', 'x mbo')$s$, '23514', 'organisation_brin_check');
select pg_temp.expect('mbo without BRIN', $s$insert into kaart.organisation (kind, name) values ('mbo', 'x mbo')$s$, '23514', 'organisation_identity_check');
select pg_temp.expect('7-digit KvK', $s$insert into kaart.organisation (kind, kvk, name) values ('company', '1234567', 'x bv')$s$, '23514', 'organisation_kvk_check');
select pg_temp.expect('duplicate BRIN', $s$insert into kaart.organisation (kind, brin, name) values ('mbo', '01ZZ', 'x mbo')$s$, '23505', 'organisation_brin_key');
select pg_temp.expect('bad postcode', $s$insert into kaart.organisation (kind, name, postcode) values ('other', 'x org', '0123AB')$s$, '23514', 'organisation_postcode_check');

-- the point
select pg_temp.expect('point in Belgium (Antwerpen)',
  $s$insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen, geom)
     values ('Route in Antwerpen', 'samenwerking', '{KB}', '{EO}', '{3}', '{i}', st_setsrid(st_makepoint(4.40, 51.22), 4326))$s$,
  '23514', 'initiative_geom_in_netherlands');
select pg_temp.expect('point in the North Sea',
  $s$insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen, geom)
     values ('Route op zee', 'samenwerking', '{KB}', '{EO}', '{3}', '{i}', st_setsrid(st_makepoint(3.2, 53.2), 4326))$s$,
  '23514', 'initiative_geom_in_netherlands');
select pg_temp.expect('point far from its school',
  replace(pg_temp.initiative(), 'null::geometry as geom', 'st_setsrid(st_makepoint(5.12, 52.09), 4326) as geom'),
  '23514', 'initiative_geom_at_location');
select pg_temp.expect('no point and no school',
  $s$insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen)
     values ('Route nergens', 'samenwerking', '{KB}', '{EO}', '{3}', '{i}')$s$, '23502');

-- parties, contacts, lifecycle
do $$
declare
  i bigint;
  mbo bigint := (select id from kaart.organisation where brin = '01ZZ');
begin
  execute pg_temp.initiative() || ' returning id' into i;
  perform set_config('t.initiative', i::text, true);
  insert into kaart.party (initiative_id, role, vestigingscode) select i, 'vo', vestigingscode from t_school;
  insert into kaart.party (initiative_id, role, organisation_id) values (i, 'mbo', mbo);
end
$$;
select pg_temp.expect('a company as mbo party',
  $s$insert into kaart.party (initiative_id, role, organisation_id)
     select current_setting('t.initiative')::bigint, 'mbo', id from kaart.organisation where kvk = '12345678'$s$,
  '23514', 'party_role_kind_check');
select pg_temp.expect('a party that is both school and organisation',
  $s$insert into kaart.party (initiative_id, role, vestigingscode, organisation_id)
     select current_setting('t.initiative')::bigint, 'vo', (select vestigingscode from t_school), id from kaart.organisation where brin = '01ZZ'$s$,
  '23514', 'party_target_check');
select pg_temp.expect('consent without its moment',
  $s$insert into kaart.contact_person (initiative_id, name, email, public_consent)
     values (current_setting('t.initiative')::bigint, 'Jan Jansen', 'jan@example.org', true)$s$, '23514', 'contact_person_consent_check');
select pg_temp.expect('a moment without consent',
  $s$insert into kaart.contact_person (initiative_id, name, email, consent_at)
     values (current_setting('t.initiative')::bigint, 'Jan Jansen', 'jan@example.org', now())$s$, '23514', 'contact_person_consent_check');
select pg_temp.expect('publishing without an mbo party',
  $s$delete from kaart.party where initiative_id = current_setting('t.initiative')::bigint and role = 'mbo';
     update kaart.initiative set status = 'published' where id = current_setting('t.initiative')::bigint$s$,
  '23514', 'initiative_parties_check');
select pg_temp.expect('brins without parties',
  $s$insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen, geom, brins)
     values ('Route met BRIN', 'samenwerking', '{KB}', '{EO}', '{3}', '{i}', st_setsrid(st_makepoint(5.12, 52.09), 4326), '{00AA}')$s$,
  '23514', 'initiative_party_codes_check');
select pg_temp.expect('rejecting without a reason',
  $s$update kaart.initiative set status = 'rejected' where id = current_setting('t.initiative')::bigint$s$,
  '23514', 'initiative_rejection_check');

-- what the good initiative got
do $$
declare
  r record;
  i bigint := current_setting('t.initiative')::bigint;
begin
  update kaart.initiative set status = 'published', leerwegen = '{KB,BB,KB}' where id = i;
  select * into r from kaart.initiative where id = i;
  assert r.leerwegen = '{BB,KB}', 'leerwegen not canonical';
  assert r.published_at is not null and r.status = 'published', 'not published';
  assert r.gemeente_code = (select gemeente_code from t_school), 'gemeente not the school''s';
  assert r.region_codes[4] = r.gemeente_code and r.region_codes[1] like 'PV%' and r.region_codes[2] like 'AM%'
         and r.region_codes[3] like 'MC%', 'region codes ' || r.region_codes::text;
  assert r.brins = array(select distinct b from unnest(array[(select brin from t_school), '01ZZ']) b order by b), 'brins ' || r.brins::text;
  assert r.vestigingen = array[(select vestigingscode from t_school)], 'vestigingen';
  assert (select count(*) from api.initiatives where id = i) = 1, 'not in api.initiatives';
  assert (select jsonb_array_length(regions) from api.initiatives where id = i) = 4, 'regions json';
  assert (select jsonb_array_length(parties) from api.initiatives where id = i) = 2, 'parties json';
  raise notice 'ok - a valid initiative is stored with canonical codes, its school''s regions and party BRINs';

  insert into kaart.contact_person (initiative_id, name, function, email, phone, public_consent, consent_at)
  values (i, 'Publiek Persoon', 'Decaan', 'publiek@example.org', '+31 6 1234 5678', true, now()),
         (i, 'Prive Persoon', 'Teamleider', 'prive@example.org', null, false, null);
  assert (select contacts from api.initiatives where id = i) = '[{"name": "Publiek Persoon", "function": "Decaan"}]'::jsonb,
         'contacts: ' || (select contacts::text from api.initiatives where id = i);
  raise notice 'ok - api.initiatives shows only consenting contacts, only name and function';

  -- a point without a school: spatial gemeente, and the place falls back to its name
  insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen, geom)
  values ('Route in Utrecht', 'samenwerking', '{KB}', '{EO}', '{3}', '{i}', st_setsrid(st_makepoint(5.1214, 52.0907), 4326))
  returning * into r;
  assert r.gemeente_code = 'GM0344' and r.place = 'Utrecht', 'spatial gemeente ' || r.gemeente_code;
  -- on the beach at Scheveningen, outside the generalised border but within 2 km
  insert into kaart.initiative (name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen, geom)
  values ('Route op het strand', 'samenwerking', '{KB}', '{EO}', '{3}', '{i}', st_setsrid(st_makepoint(4.2635, 52.1140), 4326))
  returning * into r;
  assert r.gemeente_code is not null, 'coast point';
  raise notice 'ok - a point without a school gets the gemeente it lies in (or the nearest within 2 km)';

  update kaart.initiative set status = 'withdrawn' where id = i;
  assert (select count(*) from api.initiatives where id = i) = 0, 'withdrawn still public';
  raise notice 'ok - a withdrawn initiative leaves api.initiatives';
end
$$;
select pg_temp.expect('going back from withdrawn to published',
  $s$update kaart.initiative set status = 'published' where id = current_setting('t.initiative')::bigint$s$,
  '23514', 'initiative_status_transition');

do $$
begin
  assert (select count(*) from audit.log where txid = pg_current_xact_id() and entity = 'initiative' and action = 'update') > 0,
         'no audit of updates';
  assert (select actor from audit.log where txid = pg_current_xact_id() order by id desc limit 1) = 'sql/selftest.sql', 'actor';
  assert not exists (select 1 from audit.log where txid = pg_current_xact_id() and after ? 'search'), 'search in audit';
  raise notice 'ok - every change is in audit.log with its actor';
end
$$;

-- the service role: the api, nothing else
do $$
begin
  set local role routekaart_web;
  perform count(*) from api.initiatives;
  perform count(*) from api.schools;
  perform count(*) from api.regions;
  perform api.codelists_json();
  perform api.initiative_page(niveaus => '{2}');
  begin
    perform 1 from kaart.contact_person limit 1;
    raise exception 'FAILED: routekaart_web can read kaart.contact_person';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from kaart.initiative limit 1;
    raise exception 'FAILED: routekaart_web can read kaart.initiative';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from audit.log limit 1;
    raise exception 'FAILED: routekaart_web can read audit.log';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from ref.region limit 1;
    raise exception 'FAILED: routekaart_web can read ref.region';
  exception when insufficient_privilege then null;
  end;
  reset role;
  raise notice 'ok - routekaart_web reads the api views and functions, and nothing in ref, kaart or audit';
end
$$;

rollback;
