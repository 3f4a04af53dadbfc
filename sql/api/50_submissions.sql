-- Submissions by schools (no account; an edit token) and erasure of their contact persons.
--
-- Every api function here is a security definer owned by routekaart_owner with a fixed search_path,
-- does all its writes in the one statement that calls it (so one call is one transaction), runs
-- the checks deferred to commit before it returns (kaart.check_deferred), and names who acts in
-- the audit trail (routekaart.actor). routekaart_app may execute them (granted at the end).
-- The service checks the edit token itself: it reads the stored hash with api.submission_get and
-- compares in constant time before it calls update, withdraw or contact erasure.
set local role routekaart_owner;

-- Run the checks that api/20_kaart_rules.sql defers to commit (a published initiative has a vo and an mbo party)
-- now, while the calling function still has its owner's rights: at commit the service's role,
-- which may not read kaart, would be running them. Afterwards they are deferred again. Every
-- write function ends with this; one call is one transaction, so nothing is checked less.
create function kaart.check_deferred() returns void
language plpgsql as $$
begin
  set constraints kaart.initiative_check_inserted, kaart.initiative_check_published immediate;
  set constraints kaart.initiative_check_inserted, kaart.initiative_check_published deferred;
end
$$;

-- Who acts, for audit.log, for the rest of the transaction.
create function kaart.set_actor(actor text, fallback text) returns void
language sql volatile
begin atomic
  select set_config('routekaart.actor', coalesce(nullif(btrim(actor), ''), fallback), true);
end;

-- Problems of a submission that need data, for field errors: [{"pointer", "code"}], [] when none.
-- Robust to any shape (what cannot be read is skipped; the service's shape checks report it).
-- Pointers are JSON pointers (RFC 6901, arrays from 0) into the document. Codes:
--   unknown_vestiging        /parties/i/vestigingscode of a vo or mbo party, or /location/vestigingscode:
--                            no such school location (ref.school_location)
--   not_vmbo                 /parties/i/vestigingscode of a vo party: the location offers no vmbo
--                            (no VBO or MAVO in its onderwijsstructuur), or is not a vo location
--   not_mbo                  /parties/i/vestigingscode of an mbo party: the location is not an mbo location
--   unknown_brin             /parties/i/brin of an mbo party: no known mbo institution has that BRIN
--                            (kaart.organisation, or mbo school locations where those are loaded)
--   profiel_domein_mismatch  /opleidingsdomeinen/i: the domein is not a usual doorstroom of any of
--                            the given profielen (ref.profiel_domein; checked only when profielen
--                            are given)
--   outside_netherlands      /location: the explicit lon/lat is not within about 2 km of a gemeente
--   no_location              /location: no location, and no vo party naming a school location to
--                            take the point from (one naming an unknown location gets
--                            unknown_vestiging instead)
create function api.submission_problems(doc jsonb) returns jsonb
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  with parties as (
    select p.n - 1 as i, p.e, p.e ->> 'role' as role,
           case when jsonb_typeof(p.e -> 'vestigingscode') = 'string' then p.e ->> 'vestigingscode' end as vestigingscode,
           case when jsonb_typeof(p.e -> 'brin') = 'string' then p.e ->> 'brin' end as brin
    from jsonb_array_elements(case when jsonb_typeof($1 -> 'parties') = 'array' then $1 -> 'parties' end)
         with ordinality p(e, n)
    where jsonb_typeof(p.e) = 'object'
  ),
  profielen as (
    select e as code
    from jsonb_array_elements_text(case when jsonb_typeof($1 -> 'profielen') = 'array' then $1 -> 'profielen' end) e
    where e in (select code from ref.profiel)
  ),
  loc as (
    select $1 -> 'location' as l
    where jsonb_typeof($1 -> 'location') = 'object'
  ),
  problems as (
    select 1 as part, p.i as k, format('/parties/%s/vestigingscode', p.i) as pointer, 'unknown_vestiging' as code
    from parties p
    where p.role in ('vo', 'mbo') and p.vestigingscode is not null
      and not exists (select 1 from ref.school_location s where s.vestigingscode = p.vestigingscode)
    union all
    select 1, p.i, format('/parties/%s/vestigingscode', p.i), 'not_vmbo'
    from parties p join ref.school_location s on s.vestigingscode = p.vestigingscode
    where p.role = 'vo' and not (s.sector = 'vo' and s.vmbo)
    union all
    select 1, p.i, format('/parties/%s/vestigingscode', p.i), 'not_mbo'
    from parties p join ref.school_location s on s.vestigingscode = p.vestigingscode
    where p.role = 'mbo' and s.sector <> 'mbo'
    union all
    select 1, p.i, format('/parties/%s/brin', p.i), 'unknown_brin'
    from parties p
    where p.role = 'mbo' and p.vestigingscode is null and p.brin is not null
      and not exists (select 1 from kaart.organisation o where o.brin = p.brin and o.kind = 'mbo')
      and not exists (select 1 from ref.school_location s where s.brin = p.brin and s.sector = 'mbo')
    union all
    select 2, d.n - 1, format('/opleidingsdomeinen/%s', d.n - 1), 'profiel_domein_mismatch'
    from jsonb_array_elements(case when jsonb_typeof($1 -> 'opleidingsdomeinen') = 'array' then $1 -> 'opleidingsdomeinen' end)
         with ordinality d(e, n)
    where jsonb_typeof(d.e) = 'string'
      and exists (select 1 from profielen)
      and not exists (select 1 from ref.profiel_domein pd
                      where pd.domein = d.e #>> '{}' and pd.profiel in (select code from profielen))
    union all
    select 3, 0, '/location/vestigingscode', 'unknown_vestiging'
    from loc
    where jsonb_typeof(loc.l -> 'vestigingscode') = 'string'
      and not exists (select 1 from ref.school_location s where s.vestigingscode = loc.l ->> 'vestigingscode')
    union all
    select 3, 0, '/location', 'outside_netherlands'
    from loc
    where case when loc.l -> 'vestigingscode' is null
                    and jsonb_typeof(loc.l -> 'lon') = 'number' and jsonb_typeof(loc.l -> 'lat') = 'number'
               then not kaart.point_in_netherlands((loc.l -> 'lon')::numeric, (loc.l -> 'lat')::numeric)
               else false end
    union all
    select 3, 0, '/location', 'no_location'
    where jsonb_typeof($1) = 'object'
      and coalesce(jsonb_typeof($1 -> 'location'), 'null') = 'null'
      and not exists (select 1 from parties p where p.role = 'vo' and p.vestigingscode is not null)
  )
  select coalesce(jsonb_agg(jsonb_build_object('pointer', pointer, 'code', code) order by part, k, pointer, code), '[]')
  from problems
$$;

comment on function api.submission_problems(jsonb) is
  'Data checks of a submission document: [{pointer, code}] with codes unknown_vestiging, not_vmbo, not_mbo, '
  'unknown_brin, profiel_domein_mismatch, outside_netherlands, no_location; [] when fine';

-- Create a submitted initiative from a document. With an idempotency key seen in the last 24
-- hours, return what that first call stored and change nothing. The key's row is written first: a
-- concurrent call with the same key waits on its unique index until this one commits, then finds it.
create function kaart.submission_create(doc jsonb, token_hash bytea, actor text, idem_key_hash bytea,
                                        given_request_hash bytea, given_token_enc bytea)
returns table (id bigint, created boolean, request_hash bytea, token_enc bytea)
language plpgsql as $$
declare
  new_id bigint;
  prior record;
begin
  perform kaart.set_actor(actor, 'submitter');
  delete from kaart.submission_idempotency k where k.created_at < now() - interval '24 hours';
  if idem_key_hash is not null then
    insert into kaart.submission_idempotency as k (key_hash, request_hash, token_enc)
    values (idem_key_hash, given_request_hash, given_token_enc)
    on conflict (key_hash) do nothing;
    if not found then
      select k.initiative_id, k.request_hash, k.token_enc into prior
      from kaart.submission_idempotency k where k.key_hash = idem_key_hash;
      return query select prior.initiative_id, false, prior.request_hash, prior.token_enc;
      return;
    end if;
  end if;

  insert into kaart.initiative as i (
    source, status, edit_token_hash, name, route_kind, leerwegen, profielen, niveaus, opleidingsdomeinen,
    crebo, start_year, description, website, mailbox, location_vestiging, geom,
    agreement_signed_on, agreement_topics, rio_registered, combined_pta_oer, cohort_guarantee)
  select 'submission', 'submitted', token_hash, f.name, f.route_kind, f.leerwegen, f.profielen, f.niveaus,
         f.opleidingsdomeinen, f.crebo, f.start_year, f.description, f.website, f.mailbox, f.location_vestiging, f.geom,
         f.agreement_signed_on, f.agreement_topics, f.rio_registered, f.combined_pta_oer, f.cohort_guarantee
  from kaart.doc_fields(doc) f
  returning i.id into new_id;
  perform kaart.apply_parties(new_id, doc);
  perform kaart.apply_contacts(new_id, doc);

  if idem_key_hash is not null then
    update kaart.submission_idempotency k set initiative_id = new_id where k.key_hash = idem_key_hash;
  end if;
  perform kaart.check_deferred();
  return query select new_id, true, given_request_hash, given_token_enc;
end
$$;

-- (SQL, not PL/pgSQL: the parameter and result names of the contract overlap, which only a SQL
-- function allows.)
create function api.submission_create(doc jsonb, token_hash bytea, actor text, idem_key_hash bytea,
                                      request_hash bytea, token_enc bytea)
returns table (id bigint, created boolean, request_hash bytea, token_enc bytea)
language sql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select * from kaart.submission_create($1, $2, $3, $4, $5, $6)
$$;

comment on function api.submission_create(jsonb, bytea, text, bytea, bytea, bytea) is
  'Create a submitted initiative; with a known idempotency key return the first call''s row (created = false)';

-- The submitter's view: the current document with its state, and the pending revision if any.
create function api.submission_get(id bigint) returns table (token_hash bytea, doc jsonb)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select i.edit_token_hash,
         kaart.initiative_document(i.id) || jsonb_build_object(
           'id', i.id,
           'status', i.status,
           'revision', i.revision,
           'created_at', i.created_at,
           'updated_at', i.updated_at,
           'published_at', i.published_at,
           'withdrawn_at', i.withdrawn_at,
           'rejection_reason', i.rejection_reason,
           'pending_revision', (select jsonb_build_object('document', r.doc, 'created_at', r.created_at)
                                from kaart.revision r where r.initiative_id = i.id and r.status = 'pending'),
           -- the last revision a moderator refused, while none is pending: why it was refused
           'rejected_revision', (select jsonb_build_object('reason', r.reason, 'created_at', r.created_at, 'decided_at', r.decided_at)
                                 from kaart.revision r
                                 where r.initiative_id = i.id and r.status = 'rejected'
                                   and not exists (select 1 from kaart.revision p where p.initiative_id = i.id and p.status = 'pending')
                                   and r.decided_at = (select max(x.decided_at) from kaart.revision x
                                                       where x.initiative_id = i.id and x.status <> 'pending')
                                 order by r.id desc limit 1))
  from kaart.initiative i
  where i.id = $1
$$;

comment on function api.submission_get(bigint) is
  'Edit-token hash and the submitter''s view of an initiative (document, state, pending revision); no row when absent';

-- Store a document as the pending revision of a published initiative, replacing an earlier pending
-- one. The document is first written to the initiative in a subtransaction that is then undone, so
-- that what the constraints refuse is refused now, not when a moderator approves it.
create function kaart.propose_revision(initiative bigint, doc jsonb) returns void
language plpgsql as $$
declare
  normal jsonb := kaart.normalize_document(doc);
  seen integer;
begin
  begin
    perform kaart.apply_document(initiative, normal);
    perform kaart.require_parties(initiative);
    raise exception 'dry run' using errcode = 'RK001';
  exception when sqlstate 'RK001' then
    null;   -- valid; everything written in the block is undone
  end;
  select i.revision into seen from kaart.initiative i where i.id = initiative;
  update kaart.revision r set status = 'superseded', decided_at = now()
  where r.initiative_id = initiative and r.status = 'pending';
  insert into kaart.revision (initiative_id, doc, base_revision) values (initiative, normal, seen);
end
$$;

-- A submitter's correction. Result:
--   updated           the initiative was still submitted: its fields, parties and contacts are replaced
--   revision_pending  it is published: the document waits for a moderator as the pending revision
--   not_editable      it is rejected or withdrawn
--   not_found         no such initiative
create function api.submission_update(id bigint, doc jsonb, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  st text;
begin
  perform kaart.set_actor(submission_update.actor, 'submitter');
  select i.status into st from kaart.initiative i where i.id = submission_update.id for update;
  if not found then
    return 'not_found';
  end if;
  case st
    when 'submitted' then
      perform kaart.apply_document(submission_update.id, submission_update.doc);
      perform kaart.check_deferred();
      return 'updated';
    when 'published' then
      perform kaart.propose_revision(submission_update.id, submission_update.doc);
      perform kaart.check_deferred();
      return 'revision_pending';
    else
      return 'not_editable';
  end case;
end
$$;

comment on function api.submission_update(bigint, jsonb, text) is
  'Submitter''s correction: updated | revision_pending | not_editable | not_found';

-- Withdraw an initiative (and drop its pending revision). Shared by submitters and moderators.
create function kaart.withdraw(initiative bigint, reason text) returns text
language plpgsql as $$
declare
  st text;
begin
  select i.status into st from kaart.initiative i where i.id = initiative for update;
  if not found then
    return 'not_found';
  end if;
  if st not in ('submitted', 'published') then
    return 'not_editable';
  end if;
  update kaart.revision r set status = 'dropped', decided_at = now()
  where r.initiative_id = initiative and r.status = 'pending';
  update kaart.initiative i set status = 'withdrawn', withdrawal_reason = nullif(btrim(reason), '')
  where i.id = initiative;
  perform kaart.check_deferred();
  return 'withdrawn';
end
$$;

-- A submitter withdraws: withdrawn | not_editable (rejected or withdrawn already) | not_found.
create function api.submission_withdraw(id bigint, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform kaart.set_actor(submission_withdraw.actor, 'submitter');
  return kaart.withdraw(submission_withdraw.id, null);
end
$$;

comment on function api.submission_withdraw(bigint, text) is
  'Submitter withdraws: withdrawn | not_editable | not_found';

-- AVG erasure of a contact person by a moderator: the person everywhere (their contact rows under
-- every initiative with the same e-mail address, revision documents, school contacts with that
-- e-mail address, their fields in audit.log). False when there is no such contact person.
create function api.contact_erase(contact_id bigint, actor text) returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform kaart.set_actor(contact_erase.actor, 'moderator');
  if not exists (select 1 from kaart.contact_person c where c.id = contact_erase.contact_id) then
    return false;
  end if;
  perform kaart.erase_persons(array[contact_erase.contact_id], true, true);
  perform kaart.check_deferred();
  return true;
end
$$;

comment on function api.contact_erase(bigint, text) is
  'AVG erasure of a contact person everywhere, audit payloads redacted; the initiative stays';

-- AVG erasure by the submitter, of a contact person of their own initiative: the row, the person
-- in that initiative's revision documents, the school contact of that initiative's school
-- locations naming the same e-mail address, their fields in audit.log. False when the contact is
-- not one of that initiative.
create function api.submission_contact_erase(initiative_id bigint, contact_id bigint, actor text) returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform kaart.set_actor(submission_contact_erase.actor, 'submitter');
  if not exists (select 1 from kaart.contact_person c
                 where c.id = submission_contact_erase.contact_id
                   and c.initiative_id = submission_contact_erase.initiative_id) then
    return false;
  end if;
  perform kaart.erase_persons(array[submission_contact_erase.contact_id], false, true);
  perform kaart.check_deferred();
  return true;
end
$$;

comment on function api.submission_contact_erase(bigint, bigint, text) is
  'AVG erasure of a contact person of the given initiative by its submitter';

-- Privileges -----------------------------------------------------------------------------------
grant execute on function
  api.submission_problems(jsonb),
  api.submission_create(jsonb, bytea, text, bytea, bytea, bytea),
  api.submission_get(bigint),
  api.submission_update(bigint, jsonb, text),
  api.submission_withdraw(bigint, text),
  api.contact_erase(bigint, text),
  api.submission_contact_erase(bigint, bigint, text)
to routekaart_app;
