-- Test of the write path (api/50_submissions.sql, api/55_moderation.sql): submissions, revisions, moderation, erasure, school
-- contacts, API keys, the audit log, retention and the privileges of routekaart_app. Runs in one
-- transaction that is rolled back, so it leaves the database as it found it. Needs the reference
-- data (geo/load-reference.sh); demo data may or may not be there.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/submissions.sql      (prints "ok - ..." per check)
\ir prologue.psql

-- expect(what, statement, sqlstate, constraint): the statement must fail just so.
create function pg_temp.expect(what text, statement text, state text, cname text default null)
returns void language plpgsql as $$
declare
  got_state text;
  got_name text;
  got_msg text;
begin
  begin
    execute statement;
  exception when others then
    get stacked diagnostics got_state = returned_sqlstate, got_name = constraint_name, got_msg = message_text;
  end;
  if got_state is null then
    raise exception 'FAILED: % was accepted', what;
  elsif got_state <> state or (cname is not null and coalesce(got_name, '') <> cname) then
    raise exception 'FAILED: % gave % % (%), expected % %', what, got_state, got_name, got_msg, state, cname;
  end if;
  raise notice 'ok - % refused (% %)', what, got_state, coalesce(got_name, '');
end
$$;

-- Fixtures: two vmbo school locations, a vo location without vmbo, an mbo institution of our own.
select set_config('test.vo1', (select vestigingscode from ref.school_location
                               where sector = 'vo' and vmbo and 'BB' = any (leerwegen) order by vestigingscode limit 1), true),
       set_config('test.vo2', (select vestigingscode from ref.school_location
                               where sector = 'vo' and vmbo and 'BB' = any (leerwegen) order by vestigingscode offset 1 limit 1), true),
       set_config('test.havo', (select vestigingscode from ref.school_location
                                where sector = 'vo' and not vmbo order by vestigingscode limit 1), true),
       set_config('test.brin', (select b from (select '98' || chr(65 + i / 26) || chr(65 + i % 26) as b
                                               from generate_series(0, 675) i) c
                                where not exists (select 1 from kaart.organisation o where o.brin = c.b)
                                  and not exists (select 1 from ref.school_location s where s.brin = c.b)
                                order by b limit 1), true);
do $$
begin
  assert pg_temp.v('vo1') is not null and pg_temp.v('vo2') is not null, 'no vmbo school locations: load the reference data';
end
$$;
insert into kaart.organisation (kind, brin, name, plaats) values ('mbo', pg_temp.v('brin'), 'Testcollege mbo', 'Zwolle');

-- A valid submission document, with overrides.
create function pg_temp.doc(name text, extra jsonb default '{}') returns jsonb language sql stable
return jsonb_build_object(
  'name', name, 'route_kind', 'doorlopende_leerroute', 'leerwegen', '["KB","BB"]'::jsonb, 'profielen', '["ZW"]'::jsonb,
  'niveaus', '[3,2]'::jsonb, 'opleidingsdomeinen', '["o"]'::jsonb, 'crebo', '["25498"]'::jsonb, 'start_year', 2025,
  'description', 'Leerlingen stromen vanaf leerjaar 3 door naar mbo Zorg en welzijn.',
  'website', 'https://www.school.example/leerroute', 'mailbox', 'leerroutes@school.example',
  'conditions', '{"agreement_signed_on": "2024-05-01", "agreement_topics": ["profiel_domein"], "rio_registered": true, "combined_pta_oer": false, "cohort_guarantee": true}'::jsonb,
  'parties', jsonb_build_array(
    jsonb_build_object('role', 'vo', 'vestigingscode', pg_temp.v('vo1')),
    jsonb_build_object('role', 'mbo', 'brin', pg_temp.v('brin')),
    '{"role": "bedrijf", "kvk": "87654321", "name": "Testbakkerij Jansen", "plaats": "Zwolle"}'::jsonb,
    '{"role": "overig", "name": "Testgemeente Zwolle"}'::jsonb),
  'contacts', '[{"name": "Anna de Vries", "function": "teamleider", "email": "a.devries@school.example", "phone": "+31 38 1234567", "sbo_contact": true, "public_consent": false}]'::jsonb
) || extra;

-- submission_problems ----------------------------------------------------------------------------
do $$
declare
  p jsonb;
begin
  assert api.submission_problems(pg_temp.doc('Testroute')) = '[]', 'a valid document has problems';
  p := api.submission_problems(pg_temp.doc('Testroute', jsonb_build_object(
         'profielen', '["ZW"]'::jsonb, 'opleidingsdomeinen', '["o", "a"]'::jsonb,
         'location', '{"lon": 2.35, "lat": 48.85}'::jsonb,
         'parties', jsonb_build_array(
           jsonb_build_object('role', 'vo', 'vestigingscode', pg_temp.v('havo')),
           '{"role": "vo", "vestigingscode": "99ZZ99"}'::jsonb,
           '{"role": "mbo", "brin": "97ZZ"}'::jsonb,
           42,
           jsonb_build_object('role', 'mbo', 'vestigingscode', pg_temp.v('vo2'))))));
  assert p = '[{"pointer": "/parties/0/vestigingscode", "code": "not_vmbo"},
               {"pointer": "/parties/1/vestigingscode", "code": "unknown_vestiging"},
               {"pointer": "/parties/2/brin", "code": "unknown_brin"},
               {"pointer": "/parties/4/vestigingscode", "code": "not_mbo"},
               {"pointer": "/opleidingsdomeinen/1", "code": "profiel_domein_mismatch"},
               {"pointer": "/location", "code": "outside_netherlands"}]'::jsonb, format('problems: %s', p);
  assert api.submission_problems('{"parties": [{"role": "mbo", "brin": "99AA"}], "location": null}')
         = '[{"pointer": "/location", "code": "no_location"}]';
  assert api.submission_problems('{"parties": [{"role": "vo", "vestigingscode": "99ZZ99"}]}')
         = '[{"pointer": "/parties/0/vestigingscode", "code": "unknown_vestiging"}]', 'no_location besides unknown_vestiging';
  assert api.submission_problems('{}') = '[{"pointer": "/location", "code": "no_location"}]';
  assert api.submission_problems('{"location": {"vestigingscode": "99ZZ99"}, "parties": "nee"}')
         = '[{"pointer": "/location/vestigingscode", "code": "unknown_vestiging"}]';
  assert api.submission_problems('{"location": {"lon": 6.09, "lat": 52.51}}') = '[]', 'Zwolle is in the Netherlands';
  assert api.submission_problems('{"location": {"lon": 1e300, "lat": "x"}, "profielen": 7, "opleidingsdomeinen": [1]}') = '[]';
  assert api.submission_problems('[1, 2]') = '[]' and api.submission_problems('"x"') = '[]'
         and api.submission_problems('null') = '[]' and api.submission_problems(null) = '[]', 'unreadable shapes';
  perform pg_temp.ok('submission_problems');
end
$$;

-- create, idempotency ----------------------------------------------------------------------------
do $$
declare
  a record;
  b record;
  n bigint := (select count(*) from kaart.initiative);
begin
  select * into a from api.submission_create(pg_temp.doc('Testroute A'), sha256('token-a'), 'submitter',
                                             sha256('idem-a'), sha256('request-a'), '\x0a0a');
  assert a.created and a.request_hash = sha256('request-a') and a.token_enc = '\x0a0a';
  -- the same key again: the first call's row, nothing created
  select * into b from api.submission_create(pg_temp.doc('Iets anders'), sha256('token-x'), 'submitter',
                                             sha256('idem-a'), sha256('request-x'), '\x0b0b');
  assert not b.created and b.id = a.id and b.request_hash = sha256('request-a') and b.token_enc = '\x0a0a',
         'a repeated idempotency key did not return the first row';
  assert (select count(*) from kaart.initiative) = n + 1;
  -- without a key, and with another key: new initiatives
  select * into b from api.submission_create(pg_temp.doc('Testroute B'), sha256('token-b'), 'submitter', null, null, null);
  assert b.created and b.id <> a.id;
  perform set_config('test.a', a.id::text, true), set_config('test.b', b.id::text, true);
  -- a key older than 24 hours is forgotten
  update kaart.submission_idempotency set created_at = now() - interval '25 hours' where key_hash = sha256('idem-a');
  select * into b from api.submission_create(pg_temp.doc('Testroute A2'), sha256('token-a2'), 'submitter',
                                             sha256('idem-a'), sha256('request-a2'), '\x0c');
  assert b.created and b.id <> a.id;
  assert (select initiative_id from kaart.submission_idempotency where key_hash = sha256('idem-a')) = b.id;
  perform pg_temp.ok('submission_create and its idempotency key');
end
$$;

-- get ---------------------------------------------------------------------------------------------
do $$
declare
  g record;
  a bigint := pg_temp.v('a')::bigint;
begin
  select * into g from api.submission_get(a);
  assert g.token_hash = sha256('token-a');
  assert g.doc ->> 'status' = 'submitted' and (g.doc ->> 'id')::bigint = a and g.doc -> 'pending_revision' = 'null';
  assert g.doc -> 'leerwegen' = '["BB","KB"]' and g.doc -> 'niveaus' = '[2,3]', 'code lists not canonical';
  assert g.doc -> 'location' = jsonb_build_object('vestigingscode', pg_temp.v('vo1')), 'default location is the vo party';
  assert jsonb_array_length(g.doc -> 'parties') = 4
         and g.doc -> 'parties' -> 0 ->> 'name' = (select name from ref.school_location where vestigingscode = pg_temp.v('vo1'))
         and g.doc -> 'parties' -> 1 = jsonb_build_object('role', 'mbo', 'brin', pg_temp.v('brin'), 'name', 'Testcollege mbo')
         and g.doc -> 'parties' -> 2 = '{"role": "bedrijf", "kvk": "87654321", "name": "Testbakkerij Jansen", "plaats": "Zwolle"}'
         and g.doc -> 'parties' -> 3 = '{"role": "overig", "name": "Testgemeente Zwolle"}', format('parties %s', g.doc -> 'parties');
  assert (g.doc -> 'contacts' -> 0 ->> 'id')::bigint = (select id from kaart.contact_person where initiative_id = a)
         and g.doc -> 'contacts' -> 0 ->> 'email' = 'a.devries@school.example';
  assert (select count(*) from api.submission_get(-1)) = 0;
  -- not public yet; the submitter is in the audit trail
  assert not exists (select 1 from api.initiatives where id = a);
  assert exists (select 1 from audit.log where entity = 'initiative' and entity_id = a and action = 'insert' and actor = 'submitter');
  -- the company was created once, by KvK
  assert (select count(*) from kaart.organisation where kvk = '87654321') = 1;
  perform pg_temp.ok('submission_get');
end
$$;

-- update while submitted: fields, parties, contacts (ids kept) -------------------------------------
do $$
declare
  a bigint := pg_temp.v('a')::bigint;
  c1 bigint := (select id from kaart.contact_person where initiative_id = a);
  d jsonb;
begin
  d := pg_temp.doc('Testroute A, verbeterd', jsonb_build_object(
         'location', '{"lon": 6.09, "lat": 52.51}'::jsonb,
         'parties', jsonb_build_array(jsonb_build_object('role', 'vo', 'vestigingscode', pg_temp.v('vo1')),
                                      jsonb_build_object('role', 'mbo', 'brin', pg_temp.v('brin'))),
         'contacts', jsonb_build_array(
           jsonb_build_object('id', c1, 'name', 'Anna  de Vries-Bakker', 'email', 'a.devries@school.example', 'public_consent', true),
           '{"name": "Bert Blijft", "function": "decaan", "email": "bert@school.example"}'::jsonb)));
  assert api.submission_update(a, d, 'submitter') = 'updated';
  assert (select name from kaart.initiative where id = a) = 'Testroute A, verbeterd';
  assert (select location_vestiging is null and st_dwithin(geom, st_setsrid(st_makepoint(6.09, 52.51), 4326), 1e-9)
          from kaart.initiative where id = a), 'the explicit point was not taken';
  assert (select count(*) from kaart.party where initiative_id = a) = 2;
  assert (select name from kaart.contact_person where id = c1) = 'Anna de Vries-Bakker', 'the contact id was not kept';
  assert (select public_consent and consent_at is not null from kaart.contact_person where id = c1);
  assert (select count(*) from kaart.contact_person where initiative_id = a) = 2;
  -- an id of another initiative's contact is a new person, not that one
  assert api.submission_update(a, d || jsonb_build_object('contacts', jsonb_build_array(
           jsonb_build_object('id', (select min(id) from kaart.contact_person where initiative_id <> a), 'name', 'Iemand Anders'))),
           'submitter') = 'updated';
  assert (select count(*) from kaart.contact_person where initiative_id = a and name = 'Iemand Anders') = 1;
  -- back to d (Anna gets a new id now; Bert too)
  assert api.submission_update(a, d - 'location', 'submitter') = 'updated';
  assert (select location_vestiging from kaart.initiative where id = a) = pg_temp.v('vo1');
  assert api.submission_update(-1, d, 'submitter') = 'not_found';
  perform pg_temp.ok('submission_update of a submitted initiative');
end
$$;

-- what the constraints refuse, even when the service let it through ---------------------------------
select pg_temp.expect('niveau 1', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"niveaus": [1, 2]}')), '23514', 'initiative_niveaus_check');
select pg_temp.expect('unknown route kind', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"route_kind": "feestje"}')), '23503', 'initiative_route_kind_fkey');
select pg_temp.expect('no name', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X') - 'name'), '23502');
select pg_temp.expect('geintegreerde route at niveau 3', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"route_kind": "geintegreerde_route"}')), '23514', 'initiative_geintegreerde_route_check');
select pg_temp.expect('unknown mbo BRIN', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"location": {"lon": 6.09, "lat": 52.51}, "parties": [{"role": "mbo", "brin": "97ZZ"}]}')),
                      '23503', 'party_organisation_id_fkey');
select pg_temp.expect('a vo party that is no school location', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"parties": [{"role": "vo", "vestigingscode": "99ZZ99"}], "location": {"lon": 6.09, "lat": 52.51}}')),
                      '23503', 'party_vestigingscode_fkey');
select pg_temp.expect('a bad e-mail address', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"contacts": [{"name": "Anna", "email": "anna@"}]}')), '23514', 'contact_person_email_check');
select pg_temp.expect('a point in Paris', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"location": {"lon": 2.35, "lat": 48.85}}')), '23514', 'initiative_geom_in_netherlands');
select pg_temp.expect('no location at all', format('select api.submission_create(%L, null, null, null, null, null)',
                      pg_temp.doc('Testroute X', '{"parties": [{"role": "mbo", "brin": "99AA"}]}')), '23502');
select pg_temp.expect('a short edit token hash', format('select api.submission_create(%L, %L, null, null, null, null)',
                      pg_temp.doc('Testroute X'), '\x00'), '23514', 'initiative_edit_token_hash_check');

-- moderation queue, approve -------------------------------------------------------------------------
do $$
declare
  a bigint := pg_temp.v('a')::bigint;
  q jsonb;
  e jsonb;
  n bigint := api.moderation_count('pending');
begin
  q := api.moderation_queue('pending', 1000, 0);
  assert jsonb_array_length(q) = least(n, 1000);
  select x into e from jsonb_array_elements(q) x where (x ->> 'id')::bigint = a;
  assert e ->> 'kind' = 'new' and e ->> 'status' = 'submitted' and e -> 'published' = 'null'
         and e ->> 'name' = 'Testroute A, verbeterd' and e -> 'document' ->> 'name' = 'Testroute A, verbeterd';
  assert jsonb_array_length(e -> 'changes') = 15, 'a new submission lists every field as a change';
  -- oldest first
  assert (select bool_and(y.at <= coalesce(y.next, y.at)) from (
            select (j.x ->> 'submitted_at')::timestamptz as at, lead((j.x ->> 'submitted_at')::timestamptz) over (order by j.k) as next
            from jsonb_array_elements(q) with ordinality j(x, k)) y), 'the pending queue is not oldest first';
  perform pg_temp.expect('an unknown queue', 'select api.moderation_queue(''nieuw'', 10, 0)', '22023');

  assert api.moderation_approve(a, 'key:Jan (moderator)') = 'published';
  assert (select name from api.initiatives where id = a) = 'Testroute A, verbeterd', 'not public after approval';
  assert (select status from kaart.initiative where id = a) = 'published';
  assert api.moderation_approve(a, 'key:Jan (moderator)') = 'nothing_pending';
  assert api.moderation_approve(-1, 'key:Jan (moderator)') = 'not_found';
  assert exists (select 1 from audit.log where entity = 'initiative' and entity_id = a and actor = 'key:Jan (moderator)'
                 and before ->> 'status' = 'submitted' and after ->> 'status' = 'published');
  assert api.moderation_count('published') = (select count(*) from kaart.initiative where status = 'published');
  perform pg_temp.ok('moderation queue and approval');
end
$$;

-- a published initiative: revisions -----------------------------------------------------------------
do $$
declare
  a bigint := pg_temp.v('a')::bigint;
  g record;
  e jsonb;
  d jsonb;
  rev integer := (select revision from kaart.initiative where id = a);
  pub jsonb := (select to_jsonb(i) from api.initiatives i where id = a);
  anna bigint := (select id from kaart.contact_person where initiative_id = a and name like 'Anna%');
begin
  select * into g from api.submission_get(a);
  -- the school edits what it got back: a new name, niveau 4 too, Anna kept by id, Bert left out
  d := (g.doc - '{id,status,revision,created_at,updated_at,published_at,withdrawn_at,rejection_reason,pending_revision,rejected_revision}'::text[])
       || jsonb_build_object('name', 'Testroute A, tweede versie', 'niveaus', '[2,3,4]'::jsonb,
                             'contacts', jsonb_build_array(g.doc -> 'contacts' -> 0));
  assert api.submission_update(a, d, 'submitter') = 'revision_pending';
  assert (select to_jsonb(i) from api.initiatives i where id = a) = pub, 'a pending revision changed the public initiative';
  select * into g from api.submission_get(a);
  assert g.doc ->> 'name' = 'Testroute A, verbeterd' and g.doc -> 'pending_revision' -> 'document' ->> 'name' = 'Testroute A, tweede versie';
  -- a second correction replaces the pending revision
  assert api.submission_update(a, d || '{"name": "Testroute A, derde versie"}', 'submitter') = 'revision_pending';
  assert (select count(*) from kaart.revision where initiative_id = a and status = 'pending') = 1;
  assert (select count(*) from kaart.revision where initiative_id = a and status = 'superseded') = 1;
  -- the moderator sees the changes: name, niveaus and contacts, nothing else
  select x into e from jsonb_array_elements(api.moderation_queue('pending', 1000, 0)) x
  where (x ->> 'id')::bigint = a and x ->> 'kind' = 'revision';
  assert e ->> 'status' = 'published' and e -> 'published' ->> 'name' = 'Testroute A, verbeterd';
  assert (select array_agg(c ->> 'field' order by n) from jsonb_array_elements(e -> 'changes') with ordinality j(c, n))
         = '{name,niveaus,contacts}', format('changes: %s', e -> 'changes');
  assert e -> 'changes' -> 0 = '{"field": "name", "before": "Testroute A, verbeterd", "after": "Testroute A, derde versie"}';
  -- data the constraints refuse is refused now, and leaves the pending revision as it was
  perform pg_temp.expect('a revision to niveau 1',
                         format('select api.submission_update(%s, %L, %L)', a, d || '{"niveaus": [1]}', 'submitter'),
                         '23514', 'initiative_niveaus_check');
  perform pg_temp.expect('a revision without an mbo party',
                         format('select api.submission_update(%s, %L, %L)', a,
                                d || jsonb_build_object('parties', jsonb_build_array(d -> 'parties' -> 0)), 'submitter'),
                         '23514', 'initiative_parties_check');
  assert (select doc ->> 'name' from kaart.revision where initiative_id = a and status = 'pending') = 'Testroute A, derde versie';
  assert (select to_jsonb(i) from api.initiatives i where id = a) = pub;

  assert api.moderation_approve(a, 'key:Jan (moderator)') = 'revision_applied';
  assert (select name from api.initiatives where id = a) = 'Testroute A, derde versie', 'the revision was not applied';
  assert (select niveaus from api.initiatives where id = a) = '{2,3,4}';
  assert (select revision from kaart.initiative where id = a) = rev + 1, 'the revision was not counted';
  assert (select count(*) from kaart.contact_person where initiative_id = a) = 1
         and exists (select 1 from kaart.contact_person where id = anna), 'contacts of the revision not applied by id';
  assert (select status from kaart.revision where initiative_id = a order by id desc limit 1) = 'approved';
  assert api.moderation_approve(a, 'key:Jan (moderator)') = 'nothing_pending';
  assert (select count(*) from api.submission_get(a) where doc -> 'pending_revision' = 'null') = 1;

  -- a revision rejected: the published one stays
  assert api.submission_update(a, d || '{"name": "Testroute A, afgewezen versie"}', 'submitter') = 'revision_pending';
  perform pg_temp.expect('a revision rejected without a reason',
                         format('select api.moderation_reject(%s, null, %L)', a, 'key:Jan (moderator)'), '23514', 'revision_reason_check');
  assert api.moderation_reject(a, 'Naam klopt niet', 'key:Jan (moderator)') = 'revision_rejected';
  assert (select name from api.initiatives where id = a) = 'Testroute A, derde versie';
  assert (select doc -> 'rejected_revision' ->> 'reason' from api.submission_get(a)) = 'Naam klopt niet';
  assert api.moderation_reject(a, 'Nog eens', 'key:Jan (moderator)') = 'nothing_pending';
  perform pg_temp.ok('revisions of a published initiative: pending, replaced, refused, applied, rejected');
end
$$;

-- reject, edit, withdraw ----------------------------------------------------------------------------
do $$
declare
  a bigint := pg_temp.v('a')::bigint;
  b bigint := pg_temp.v('b')::bigint;
begin
  perform pg_temp.expect('a rejection without a reason',
                         format('select api.moderation_reject(%s, %L, %L)', b, '  ', 'key:Jan (moderator)'), '23514', 'initiative_rejection_check');
  assert api.moderation_reject(b, 'Geen mbo-partner bevestigd', 'key:Jan (moderator)') = 'rejected';
  assert (select status = 'rejected' and rejection_reason = 'Geen mbo-partner bevestigd' and rejected_at is not null
          from kaart.initiative where id = b);
  assert (select doc ->> 'rejection_reason' from api.submission_get(b)) = 'Geen mbo-partner bevestigd';
  assert api.submission_update(b, pg_temp.doc('Nog een poging'), 'submitter') = 'not_editable';
  assert api.submission_withdraw(b, 'submitter') = 'not_editable';
  assert api.moderation_approve(b, 'key:Jan (moderator)') = 'nothing_pending';
  assert api.moderation_reject(b, 'Weer', 'key:Jan (moderator)') = 'nothing_pending';
  assert api.moderation_reject(-1, 'Weer', 'key:Jan (moderator)') = 'not_found';
  -- a moderator may edit whatever the status
  assert api.moderation_edit(b, pg_temp.doc('Testroute B, door de moderator'), 'key:Jan (moderator)') = 'updated';
  assert (select status = 'rejected' and name = 'Testroute B, door de moderator' from kaart.initiative where id = b);
  assert api.moderation_edit(-1, pg_temp.doc('x'), 'key:Jan (moderator)') = 'not_found';
  assert api.moderation_count('rejected') = (select count(*) from kaart.initiative where status = 'rejected');
  assert exists (select 1 from jsonb_array_elements(api.moderation_queue('rejected', 1000, 0)) x
                 where (x ->> 'id')::bigint = b and x ->> 'rejection_reason' = 'Geen mbo-partner bevestigd');

  -- the submitter withdraws a published initiative with a pending revision
  assert api.submission_update(a, pg_temp.doc('Testroute A, nooit gepubliceerd'), 'submitter') = 'revision_pending';
  assert api.submission_withdraw(a, 'submitter') = 'withdrawn';
  assert (select status = 'withdrawn' and withdrawn_at is not null and published_at is not null and withdrawal_reason is null
          from kaart.initiative where id = a);
  assert not exists (select 1 from api.initiatives where id = a), 'a withdrawn initiative is public';
  assert not exists (select 1 from kaart.revision where initiative_id = a and status = 'pending');
  assert exists (select 1 from kaart.revision where initiative_id = a and status = 'dropped');
  assert api.submission_withdraw(a, 'submitter') = 'not_editable';
  assert api.submission_withdraw(-1, 'submitter') = 'not_found';
  perform pg_temp.ok('reject, moderator edit, submitter withdrawal');
end
$$;

-- a moderator withdraws, with a reason; moderator edit of a published initiative counts a revision
do $$
declare
  c bigint;
  rev integer;
begin
  select id into c from api.submission_create(pg_temp.doc('Testroute C'), sha256('token-c'), 'submitter', null, null, null);
  assert api.moderation_approve(c, 'key:Jan (moderator)') = 'published';
  rev := (select revision from kaart.initiative where id = c);
  assert api.moderation_edit(c, pg_temp.doc('Testroute C', '{"contacts": []}'), 'key:Jan (moderator)') = 'updated';
  assert (select revision from kaart.initiative where id = c) = rev + 1, 'an edit of contacts only was not counted';
  assert api.moderation_edit(c, pg_temp.doc('Testroute C', '{"contacts": []}'), 'key:Jan (moderator)') = 'updated';
  assert (select revision from kaart.initiative where id = c) = rev + 1, 'an edit that changed nothing was counted';
  perform pg_temp.expect('a moderator edit leaving a published initiative without a vo party',
                         format('select api.moderation_edit(%s, %L, %L)', c,
                                pg_temp.doc('Testroute C', jsonb_build_object('location', '{"lon": 6.09, "lat": 52.51}'::jsonb,
                                  'parties', jsonb_build_array(jsonb_build_object('role', 'mbo', 'brin', pg_temp.v('brin'))))),
                                'key:Jan (moderator)'), '23514', 'initiative_parties_check');
  assert api.moderation_withdraw(c, 'Dubbel op de kaart', 'key:Jan (moderator)') = 'withdrawn';
  assert (select status = 'withdrawn' and withdrawal_reason = 'Dubbel op de kaart' from kaart.initiative where id = c);
  assert api.moderation_withdraw(c, null, 'key:Jan (moderator)') = 'not_editable';
  assert api.moderation_withdraw(-1, null, 'key:Jan (moderator)') = 'not_found';
  assert exists (select 1 from jsonb_array_elements(api.moderation_queue('withdrawn', 1000, 0)) x
                 where (x ->> 'id')::bigint = c and x ->> 'withdrawal_reason' = 'Dubbel op de kaart');
  perform pg_temp.ok('moderator edit and withdrawal');
end
$$;

-- school contacts -------------------------------------------------------------------------------------
do $$
declare
  sc jsonb;
begin
  assert api.school_contact_get(pg_temp.v('vo2')) is null;
  assert api.school_contact_set(pg_temp.v('vo2'), '{"name": "Karel  Contact", "function": "SBO-coördinator", "email": "k.contact@school.example"}',
                                'key:Jan (moderator)') = 'set';
  sc := api.school_contact_get(pg_temp.v('vo2'));
  assert sc ->> 'name' = 'Karel Contact' and sc ->> 'email' = 'k.contact@school.example' and sc -> 'phone' = 'null';
  assert api.school_contact_set(pg_temp.v('vo2'), '{"name": "Karel Contact", "email": "karel@school.example", "phone": "038 1234567"}',
                                'key:Jan (moderator)') = 'set';
  assert api.school_contact_get(pg_temp.v('vo2')) ->> 'email' = 'karel@school.example';
  assert api.school_contact_set('99ZZ99', '{"name": "Karel"}', 'key:Jan (moderator)') = 'unknown_school';
  perform pg_temp.expect('a school contact with a bad e-mail address',
                         format('select api.school_contact_set(%L, %L, %L)', pg_temp.v('vo2'), '{"name": "Karel", "email": "geen"}', 'x'),
                         '23514', 'school_contact_email_check');
  assert exists (select 1 from audit.log where entity = 'school_contact' and after ->> 'email' = 'karel@school.example');
  assert api.school_contact_delete(pg_temp.v('vo2'), 'key:Jan (moderator)');
  assert api.school_contact_get(pg_temp.v('vo2')) is null;
  assert not api.school_contact_delete(pg_temp.v('vo2'), 'key:Jan (moderator)');
  -- deleting is erasing: the person's fields are gone from the trail too
  assert not exists (select 1 from audit.log where entity = 'school_contact' and concat(before, after) like '%karel%');
  perform pg_temp.ok('school contacts');
end
$$;

-- AVG erasure by a moderator: the person everywhere, and no trace in any table ------------------------
create function pg_temp.traces(needles text[]) returns text[] language plpgsql as $$
declare
  col record;
  hits text[] := '{}';
  found boolean;
begin
  for col in
    select n.nspname, c.relname, a.attname
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in ('kaart', 'audit', 'ref', 'api', 'public')
      and a.attnum > 0 and not a.attisdropped
      and a.atttypid in ('text'::regtype, 'varchar'::regtype, 'json'::regtype, 'jsonb'::regtype, 'text[]'::regtype, 'bpchar'::regtype)
  loop
    execute format('select exists (select 1 from %I.%I t where t.%I::text ilike any ($1))', col.nspname, col.relname, col.attname)
      into found using array(select '%' || x || '%' from unnest(needles) x);
    if found then
      hits := hits || format('%s.%s.%s', col.nspname, col.relname, col.attname);
    end if;
  end loop;
  return hits;
end
$$;

do $$
declare
  e bigint;
  f bigint;
  zoe bigint;
  bert bigint;
  g record;
  d jsonb;
  needles text[] := '{Zoë Uniektest,Uniektest,zoe.uniektest@school.example,98765433}';
begin
  select id into e from api.submission_create(pg_temp.doc('Testroute E', '{"contacts": [
    {"name": "Zoë Uniektest", "function": "coördinator", "email": "zoe.uniektest@school.example", "phone": "+31 6 98765433", "public_consent": true},
    {"name": "Bert Blijft", "email": "bert.blijft@school.example"}]}'), sha256('token-e'), 'submitter', null, null, null);
  assert api.moderation_approve(e, 'key:Jan (moderator)') = 'published';
  assert (select contacts from api.initiatives where id = e) @> '[{"name": "Zoë Uniektest"}]', 'consented name not public';
  zoe := (select id from kaart.contact_person where initiative_id = e and name = 'Zoë Uniektest');
  bert := (select id from kaart.contact_person where initiative_id = e and name = 'Bert Blijft');
  -- she is in a superseded revision by id, in the pending one by name and e-mail only
  select * into g from api.submission_get(e);
  d := g.doc - '{id,status,revision,created_at,updated_at,published_at,withdrawn_at,rejection_reason,pending_revision,rejected_revision}'::text[];
  assert api.submission_update(e, d || '{"name": "Testroute E, versie 2"}', 'submitter') = 'revision_pending';
  assert api.submission_update(e, d || '{"name": "Testroute E, versie 3", "mailbox": "zoe.uniektest@school.example", "contacts": [
    {"name": "Zoë  Uniektest", "email": "ZOE.UNIEKTEST@school.example"}, {"name": "Bert Blijft", "email": "bert.blijft@school.example"}]}',
    'submitter') = 'revision_pending';
  -- the same person under another initiative, and as a school's SBO contact
  -- (whose personal address is also that initiative's mailbox)
  select id into f from api.submission_create(pg_temp.doc('Testroute F', '{"mailbox": "Zoe.Uniektest@school.example",
                                                "contacts": [{"name": "Z. Uniektest", "email": "zoe.uniektest@school.example"}]}'),
                                              sha256('token-f'), 'submitter', null, null, null);
  assert api.school_contact_set(pg_temp.v('vo2'), '{"name": "Zoë Uniektest", "email": "zoe.uniektest@school.example"}', 'key:Jan (moderator)') = 'set';
  assert cardinality(pg_temp.traces(needles)) > 0;

  assert api.contact_erase(zoe, 'key:Jan (moderator)');
  assert pg_temp.traces(needles) = '{}', format('the erased person is still in %s', pg_temp.traces(needles));
  -- the rest stays: the initiatives, Bert, the pending revision without her, the trail (redacted)
  assert (select status from kaart.initiative where id = e) = 'published' and exists (select 1 from api.initiatives where id = e);
  assert (select contacts from api.initiatives where id = e) = '[]';
  assert exists (select 1 from kaart.contact_person where id = bert);
  assert exists (select 1 from kaart.initiative where id = f and mailbox is null)
         and not exists (select 1 from kaart.contact_person where initiative_id = f);
  assert (select doc -> 'mailbox' from kaart.revision where initiative_id = e and status = 'pending') = 'null';
  assert (select doc -> 'contacts' from kaart.revision where initiative_id = e and status = 'pending')
         = '[{"name": "Bert Blijft", "email": "bert.blijft@school.example", "phone": null, "function": null, "sbo_contact": false, "public_consent": false}]';
  assert (select count(*) from audit.log where entity = 'contact_person' and entity_id = zoe) >= 2;
  assert (select bool_and(coalesce(after, before) ->> 'name' = '[gewist]' and coalesce(after, before) ->> 'email' = '[gewist]'
                          and (coalesce(after, before) ->> 'initiative_id')::bigint = e)
          from audit.log where entity = 'contact_person' and entity_id = zoe);
  assert api.school_contact_get(pg_temp.v('vo2')) is null;
  assert not api.contact_erase(zoe, 'key:Jan (moderator)'), 'a second erasure found something';
  perform pg_temp.ok('erasure by a moderator leaves no trace of name, e-mail or phone in any table');
end
$$;

-- AVG erasure by the submitter: only a contact of their own initiative ---------------------------------
do $$
declare
  g bigint;
  gerda bigint;
begin
  select id into g from api.submission_create(pg_temp.doc('Testroute G', '{"contacts": [{"name": "Gerda Wegwezen", "email": "gerda.wegwezen@school.example", "phone": "+31 6 11122233"}]}'),
                                              sha256('token-g'), 'submitter', null, null, null);
  gerda := (select id from kaart.contact_person where initiative_id = g);
  assert not api.submission_contact_erase(pg_temp.v('b')::bigint, gerda, 'submitter'), 'erased through another initiative';
  assert exists (select 1 from kaart.contact_person where id = gerda);
  assert api.submission_contact_erase(g, gerda, 'submitter');
  assert pg_temp.traces('{Gerda Wegwezen,gerda.wegwezen@school.example,11122233}') = '{}';
  assert exists (select 1 from kaart.initiative where id = g);
  assert not api.submission_contact_erase(g, gerda, 'submitter');
  perform pg_temp.ok('erasure by the submitter');
end
$$;

-- retention -------------------------------------------------------------------------------------------
do $$
declare
  h bigint;
  n integer;
begin
  select id into h from api.submission_create(pg_temp.doc('Testroute H', '{"contacts": [{"name": "Henk Oudgediende", "email": "henk.oud@school.example"}]}'),
                                              sha256('token-h'), 'submitter', null, null, null);
  -- a person removed by an earlier correction is in the trail only
  assert api.submission_update(h, pg_temp.doc('Testroute H', '{"contacts": [{"name": "Hanna Nieuw", "email": "hanna.nieuw@school.example"}]}'),
                               'submitter') = 'updated';
  assert api.moderation_reject(h, 'Geen route', 'key:Jan (moderator)') = 'rejected';
  n := (select count(*) from kaart.contact_person c join kaart.initiative i on i.id = c.initiative_id
        where (i.status = 'rejected' and i.rejected_at < now() - interval '1 day')
           or (i.status = 'withdrawn' and i.withdrawn_at < now() - interval '1 day'));
  assert api.retention_purge('1 day') = n, 'the purge did not count the contact persons it erased';
  assert exists (select 1 from kaart.contact_person where initiative_id = h), 'a fresh rejection was purged';
  n := api.retention_purge('-1 second');   -- everything rejected or withdrawn until now
  assert n >= 1;
  assert not exists (select 1 from kaart.contact_person where initiative_id = h);
  assert pg_temp.traces('{Henk Oudgediende,henk.oud@school.example,Hanna Nieuw,hanna.nieuw@school.example}') = '{}';
  assert exists (select 1 from kaart.initiative where id = h and status = 'rejected');
  assert api.retention_purge('-1 second') = 0, 'a second purge found something';
  perform pg_temp.ok(format('retention purge (%s contact persons)', n));
end
$$;

-- API keys ----------------------------------------------------------------------------------------------
do $$
declare
  k bigint;
  l record;
  used timestamptz;
begin
  k := api.key_create('test-sleutel', 'moderator', sha256('geheim'));
  select * into l from api.key_lookup(k);
  assert l.name = 'test-sleutel' and l.role = 'moderator' and l.secret_hash = sha256('geheim');
  perform api.key_touch(k);
  used := (select last_used_at from kaart.api_key where id = k);
  assert used is not null;
  perform api.key_touch(k);
  assert (select last_used_at from kaart.api_key where id = k) = used;
  assert exists (select 1 from jsonb_array_elements(api.key_list()) x where (x ->> 'id')::bigint = k and x ->> 'role' = 'moderator');
  assert api.key_list()::text not like '%secret%';
  assert not exists (select 1 from audit.log where entity = 'api_key' and concat(before, after) like '%secret%');
  assert (select count(*) from audit.log where entity = 'api_key' and entity_id = k) = 1, 'touching a key was audited';
  perform pg_temp.expect('a key with an unknown role', 'select api.key_create(''x'', ''baas'', sha256(''x''))', '23514', 'api_key_role_check');
  perform pg_temp.expect('a key name twice', 'select api.key_create(''test-sleutel'', ''analyst'', sha256(''y''))', '23505', 'api_key_name_key');
  assert api.key_revoke('test-sleutel');
  assert not api.key_revoke('test-sleutel');
  assert (select count(*) from api.key_lookup(k)) = 0;
  assert (select count(*) from audit.log where entity = 'api_key' and entity_id = k and after ->> 'revoked_at' is not null) = 1;
  perform pg_temp.ok('API keys');
end
$$;

-- audit log ------------------------------------------------------------------------------------------------
do $$
declare
  a bigint := pg_temp.v('a')::bigint;
  r jsonb;
begin
  r := api.audit_query('initiative', a, null, null, null, 100, 0);
  assert (r ->> 'total')::int >= 4 and jsonb_array_length(r -> 'entries') = (r ->> 'total')::int;
  assert (select bool_and((x ->> 'entity_id')::bigint = a and x ->> 'entity' = 'initiative') from jsonb_array_elements(r -> 'entries') x);
  assert (select array_agg((x ->> 'id')::bigint order by n) = array_agg((x ->> 'id')::bigint order by (x ->> 'id')::bigint desc)
          from jsonb_array_elements(r -> 'entries') with ordinality j(x, n)), 'not newest first';
  assert (select array_agg(distinct x ->> 'actor' order by x ->> 'actor') from jsonb_array_elements(r -> 'entries') x)
         = '{key:Jan (moderator),submitter}';
  assert (r -> 'entries' -> 0) ?& '{id,at,actor,action,entity,entity_id,before,after}';
  r := api.audit_query('initiative', a, 'key:Jan (moderator)', null, null, 2, 1);
  assert jsonb_array_length(r -> 'entries') <= 2
         and (select bool_and(x ->> 'actor' = 'key:Jan (moderator)') from jsonb_array_elements(r -> 'entries') x);
  assert (api.audit_query(null, null, null, now() + interval '1 day', null, null, null) ->> 'total')::int = 0;
  assert (api.audit_query(null, null, null, null, now() + interval '1 day', 5, null) -> 'entries' ->> 4) is not null;
  assert (api.audit_query('revision', null, null, now(), null, 1000, 0) ->> 'total')::int >= 5;
  perform pg_temp.ok('audit_query');
end
$$;

-- privileges ----------------------------------------------------------------------------------------------
do $$
declare
  want regprocedure[] := array[
    'api.submission_problems(jsonb)', 'api.submission_create(jsonb, bytea, text, bytea, bytea, bytea)',
    'api.submission_get(bigint)', 'api.submission_update(bigint, jsonb, text)', 'api.submission_withdraw(bigint, text)',
    'api.contact_erase(bigint, text)', 'api.submission_contact_erase(bigint, bigint, text)',
    'api.moderation_queue(text, integer, integer)', 'api.moderation_count(text)', 'api.moderation_approve(bigint, text)',
    'api.moderation_reject(bigint, text, text)', 'api.moderation_edit(bigint, jsonb, text)',
    'api.moderation_withdraw(bigint, text, text)', 'api.school_contact_get(text)', 'api.school_contact_set(text, jsonb, text)',
    'api.school_contact_delete(text, text)', 'api.key_create(text, text, bytea)', 'api.key_lookup(bigint)',
    'api.key_touch(bigint)', 'api.key_revoke(text)', 'api.key_list()',
    'api.audit_query(text, bigint, text, timestamptz, timestamptz, integer, integer)', 'api.retention_purge(interval)',
    'api.moderation_page(text, integer, integer)'];
  -- and the analysts' contact list of the regional overviews (personal data, so not public)
  overviews regprocedure[] := array['api.region_exists(text, text)', 'api.region_contacts(text, text)',
                                    'api.region_contacts_json(text, text)'];
  -- and the response cache's day boundary: its listener runs on the primary, as this role
  listener regprocedure[] := array['api.seconds_to_midnight()'];
  got regprocedure[];
begin
  select array_agg(p.oid::regprocedure order by p.oid) into got
  from pg_proc p where has_function_privilege('routekaart_app', p.oid, 'execute')
                   and p.pronamespace in ('api'::regnamespace, 'kaart'::regnamespace, 'audit'::regnamespace, 'ref'::regnamespace);
  assert got = (select array_agg(x order by x::oid) from unnest(want || overviews || listener) x), format('routekaart_app may execute %s', got);
  assert not exists (select 1 from pg_proc p where p.oid = any (want::oid[])
                     and has_function_privilege('routekaart_web', p.oid, 'execute')), 'routekaart_web may execute a write function';
  assert not exists (select 1 from pg_proc p where p.oid = any (want::oid[])
                     and (not p.prosecdef or p.proowner <> 'routekaart_owner'::regrole
                          or not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%'))),
         'a write function is not a security definer of routekaart_owner with a fixed search_path';
  assert not exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname in ('ref', 'kaart', 'audit', 'api') and c.relkind in ('r', 'v', 'm', 'p', 'S')
                       and has_table_privilege('routekaart_app', c.oid, 'select,insert,update,delete')),
         'routekaart_app has privileges on a table or view';
  assert has_schema_privilege('routekaart_app', 'api', 'usage')
         and not has_schema_privilege('routekaart_app', 'kaart', 'usage')
         and not has_schema_privilege('routekaart_app', 'audit', 'usage');
  perform pg_temp.ok('routekaart_app executes exactly the write functions; routekaart_web none of them');
end
$$;

-- the whole write path as the service's role, then the checks deferred to commit, still as that
-- role (which may not read kaart: the functions must have run them already)
select set_config('test.doc', pg_temp.doc('Testroute R')::text, true);
-- what the queue holds as the owner sees it, for the write role to see the same
select set_config('test.pending', api.moderation_count('pending')::text, true);
set local role routekaart_app;
do $$
declare
  a bigint := current_setting('test.a')::bigint;
  d jsonb := current_setting('test.doc')::jsonb;
  r bigint;
  c bigint;
begin
  assert api.moderation_count('pending') = current_setting('test.pending')::bigint;
  assert (select count(*) from api.submission_get(a)) = 1;
  select id into r from api.submission_create(d, sha256('token-r'), 'submitter', sha256('idem-r'), sha256('request-r'), '\x01');
  assert api.submission_update(r, d || '{"description": "Verbeterd"}', 'submitter') = 'updated';
  assert api.moderation_approve(r, 'key:Jan (moderator)') = 'published';
  assert api.submission_update(r, d || '{"name": "Testroute R, herzien"}', 'submitter') = 'revision_pending';
  assert api.moderation_approve(r, 'key:Jan (moderator)') = 'revision_applied';
  assert api.moderation_edit(r, d || '{"name": "Testroute R, bewerkt"}', 'key:Jan (moderator)') = 'updated';
  c := ((select doc from api.submission_get(r)) -> 'contacts' -> 0 ->> 'id')::bigint;
  assert api.submission_contact_erase(r, c, 'submitter');
  assert api.school_contact_set(current_setting('test.vo2'), '{"name": "Karel Contact"}', 'key:Jan (moderator)') = 'set';
  perform api.key_touch(api.key_create('test-app-sleutel', 'analyst', sha256('x')));
  set constraints all immediate;
  assert api.submission_withdraw(r, 'submitter') = 'withdrawn';
  perform api.retention_purge('-1 second');  -- the role may run it (else insufficient_privilege)
  set constraints all immediate;
  begin
    perform 1 from kaart.initiative limit 1;
    raise exception 'FAILED: routekaart_app read kaart.initiative';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from kaart.contact_person limit 1;
    raise exception 'FAILED: routekaart_app read kaart.contact_person';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from audit.log limit 1;
    raise exception 'FAILED: routekaart_app read audit.log';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from api.initiatives limit 1;
    raise exception 'FAILED: routekaart_app read api.initiatives';
  exception when insufficient_privilege then null;
  end;
  raise notice 'ok - set role routekaart_app: the write path works, deferred checks included; it reads no table';
end
$$;
reset role;
set local role routekaart_web;
do $$
begin
  begin
    perform api.submission_get(1);
    raise exception 'FAILED: routekaart_web executed api.submission_get';
  exception when insufficient_privilege then null;
  end;
  begin
    perform api.moderation_queue('pending', 10, 0);
    raise exception 'FAILED: routekaart_web executed api.moderation_queue';
  exception when insufficient_privilege then null;
  end;
  begin
    perform api.key_list();
    raise exception 'FAILED: routekaart_web executed api.key_list';
  exception when insufficient_privilege then null;
  end;
  perform 1 from api.initiatives limit 1;   -- its own reads still work
  raise notice 'ok - set role routekaart_web: executes none of them';
end
$$;
reset role;

-- the deferred checks of api/20_kaart_rules.sql hold for everything written above
set constraints all immediate;
select pg_temp.ok('deferred checks at commit time');

-- how long a submission takes (the first call of a session also compiles the functions)
do $$
declare
  t0 timestamptz;
  ms numeric[] := '{}';
begin
  for i in 1..5 loop
    t0 := clock_timestamp();
    perform api.submission_create(pg_temp.doc('Testroute tijd ' || i), sha256(('token-t' || i)::bytea), 'submitter',
                                  sha256(('idem-t' || i)::bytea), sha256('request-t'), '\x01');
    ms := ms || round(extract(epoch from clock_timestamp() - t0)::numeric * 1000, 2);
  end loop;
  -- a measurement, not a check: timing belongs to bench/, not to a test
  raise notice 'measured - api.submission_create took % ms (first call of the session first)', ms;
end
$$;

rollback;
