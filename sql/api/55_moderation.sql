-- Moderation by the programme team, the Sterk beroepsonderwijs-contactpersoon per school location,
-- API keys, the audit log and the retention of personal data. The service authenticates the API
-- key and checks its role before it calls these; the actor it passes ('key:Jan (moderator)') is
-- what audit.log records. Same conventions as api/50_submissions.sql (security definer, fixed search_path, one call
-- one transaction, deferred checks run before returning).
set local role routekaart_owner;

-- Moderation ------------------------------------------------------------------------------------

-- One entry of the moderation queue: the initiative, or its pending revision when `revision` is given.
--   {id, kind: new | revision, revision_id, status, revision, base_revision, name, submitted_at, decided_at, document,
--    published (the published document, or null), changes: [{field, before, after}],
--    rejection_reason, withdrawal_reason}
create function kaart.moderation_entry(initiative bigint, revision bigint) returns jsonb
language plpgsql stable as $$
declare
  i record;
  r record;
  current jsonb := kaart.initiative_document(moderation_entry.initiative);
  document jsonb;
  published jsonb;
begin
  select x.id, x.status, x.name, x.revision, x.created_at, x.published_at, x.rejected_at, x.withdrawn_at,
         x.rejection_reason, x.withdrawal_reason
    into i from kaart.initiative x where x.id = moderation_entry.initiative;
  if not found then
    return null;
  end if;
  select x.id, x.doc, x.created_at, x.base_revision into r
  from kaart.revision x where x.id = moderation_entry.revision and x.initiative_id = i.id;
  document := coalesce(r.doc, current);
  published := case when r.id is not null or i.status = 'published' then current end;
  return jsonb_build_object(
           'id', i.id,
           'kind', case when r.id is null then 'new' else 'revision' end,
           'revision_id', r.id,
           'status', i.status,
           'revision', i.revision,
           -- for a revision: the initiative's revision it was written against (it may have moved on)
           'base_revision', r.base_revision,
           'name', coalesce(r.doc ->> 'name', i.name),
           'submitted_at', coalesce(r.created_at, i.created_at),
           'decided_at', case i.status when 'published' then i.published_at when 'rejected' then i.rejected_at
                                       when 'withdrawn' then i.withdrawn_at end,
           'document', document,
           'published', published,
           'changes', kaart.document_changes(published, document),
           'rejection_reason', i.rejection_reason,
           'withdrawal_reason', i.withdrawal_reason);
end
$$;

-- The moderation queue, `lim` entries (default 50, at most 1000) from `off`:
--   pending    submitted initiatives (kind new) and pending revisions of published ones (kind
--              revision), oldest first
--   rejected, published, withdrawn
--              initiatives with that status (kind new), most recently decided first
-- Another status raises 22023 (invalid_parameter_value).
create function api.moderation_queue(status text, lim integer, off integer) returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  n integer := least(greatest(coalesce(lim, 50), 1), 1000);
  o integer := greatest(coalesce(off, 0), 0);
begin
  case moderation_queue.status
    when 'pending' then
      return (select coalesce(jsonb_agg(kaart.moderation_entry(q.initiative_id, q.revision_id)
                                        order by q.at, q.initiative_id, q.revision_id nulls first), '[]')
              from (select x.initiative_id, x.revision_id, x.at
                    from (select i.id as initiative_id, null::bigint as revision_id, i.created_at as at
                          from kaart.initiative i where i.status = 'submitted'
                          union all
                          select r.initiative_id, r.id, r.created_at
                          from kaart.revision r where r.status = 'pending') x
                    order by x.at, x.initiative_id, x.revision_id nulls first
                    limit n offset o) q);
    -- (one query per status, so that the published one can walk its index on published_at)
    when 'published' then
      return (select coalesce(jsonb_agg(kaart.moderation_entry(q.id, null) order by q.k), '[]')
              from (select i.id, row_number() over (order by i.published_at desc, i.id desc) as k
                    from (select x.id, x.published_at from kaart.initiative x where x.status = 'published'
                          order by x.published_at desc, x.id desc limit n offset o) i) q);
    when 'rejected' then
      return (select coalesce(jsonb_agg(kaart.moderation_entry(q.id, null) order by q.k), '[]')
              from (select i.id, row_number() over (order by i.rejected_at desc, i.id desc) as k
                    from (select x.id, x.rejected_at from kaart.initiative x where x.status = 'rejected'
                          order by x.rejected_at desc, x.id desc limit n offset o) i) q);
    when 'withdrawn' then
      return (select coalesce(jsonb_agg(kaart.moderation_entry(q.id, null) order by q.k), '[]')
              from (select i.id, row_number() over (order by i.withdrawn_at desc, i.id desc) as k
                    from (select x.id, x.withdrawn_at from kaart.initiative x where x.status = 'withdrawn'
                          order by x.withdrawn_at desc, x.id desc limit n offset o) i) q);
    else
      raise exception 'unknown moderation status "%"', moderation_queue.status
        using errcode = 'invalid_parameter_value', hint = 'One of pending, rejected, published, withdrawn.';
  end case;
end
$$;

comment on function api.moderation_queue(text, integer, integer) is
  'Moderation queue (pending | rejected | published | withdrawn) as a JSON array of entries';

create function api.moderation_count(status text) returns bigint
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  case moderation_count.status
    when 'pending' then
      return (select count(*) from kaart.initiative i where i.status = 'submitted')
           + (select count(*) from kaart.revision r where r.status = 'pending');
    when 'rejected', 'published', 'withdrawn' then
      return (select count(*) from kaart.initiative i where i.status = moderation_count.status);
    else
      raise exception 'unknown moderation status "%"', moderation_count.status
        using errcode = 'invalid_parameter_value', hint = 'One of pending, rejected, published, withdrawn.';
  end case;
end
$$;

comment on function api.moderation_count(text) is 'Number of entries in a moderation queue';

-- Approve: published (a submitted initiative is published) | revision_applied (the pending
-- revision replaced the published initiative's fields, parties and contacts; one more revision) |
-- nothing_pending | not_found.
create function api.moderation_approve(id bigint, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  cur record;
  rev record;
begin
  perform kaart.set_actor(moderation_approve.actor, 'moderator');
  select i.status, i.revision into cur from kaart.initiative i where i.id = moderation_approve.id for update;
  if not found then
    return 'not_found';
  end if;
  if cur.status = 'submitted' then
    perform kaart.require_parties(moderation_approve.id);
    update kaart.initiative i set status = 'published' where i.id = moderation_approve.id;
    perform kaart.check_deferred();
    return 'published';
  end if;
  select r.id, r.doc into rev from kaart.revision r
  where r.initiative_id = moderation_approve.id and r.status = 'pending' for update;
  if cur.status <> 'published' or not found then
    return 'nothing_pending';
  end if;
  perform kaart.apply_document(moderation_approve.id, rev.doc);
  perform kaart.require_parties(moderation_approve.id);
  perform kaart.bump_revision(moderation_approve.id, cur.revision);
  update kaart.revision r set status = 'approved', decided_at = now() where r.id = rev.id;
  perform kaart.check_deferred();
  return 'revision_applied';
end
$$;

comment on function api.moderation_approve(bigint, text) is
  'Approve: published | revision_applied | nothing_pending | not_found';

-- Reject with a reason: rejected (a submitted initiative) | revision_rejected (the pending revision;
-- the published initiative stays) | nothing_pending | not_found. A missing reason raises 23514
-- (initiative_rejection_check, revision_reason_check).
create function api.moderation_reject(id bigint, reason text, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  st text;
  why text := nullif(btrim(moderation_reject.reason), '');
begin
  perform kaart.set_actor(moderation_reject.actor, 'moderator');
  select i.status into st from kaart.initiative i where i.id = moderation_reject.id for update;
  if not found then
    return 'not_found';
  end if;
  if st = 'submitted' then
    update kaart.initiative i set status = 'rejected', rejection_reason = why where i.id = moderation_reject.id;
    return 'rejected';
  end if;
  update kaart.revision r set status = 'rejected', reason = why, decided_at = now()
  where r.initiative_id = moderation_reject.id and r.status = 'pending';
  if found then
    return 'revision_rejected';
  end if;
  return 'nothing_pending';
end
$$;

comment on function api.moderation_reject(bigint, text, text) is
  'Reject with a reason: rejected | revision_rejected | nothing_pending | not_found';

-- A moderator's edit applies at once, whatever the status (which it does not change); a pending
-- revision stays pending. updated | not_found.
create function api.moderation_edit(id bigint, doc jsonb, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  cur record;
  before jsonb;
begin
  perform kaart.set_actor(moderation_edit.actor, 'moderator');
  select i.status, i.revision into cur from kaart.initiative i where i.id = moderation_edit.id for update;
  if not found then
    return 'not_found';
  end if;
  before := kaart.initiative_document(moderation_edit.id);
  perform kaart.apply_document(moderation_edit.id, moderation_edit.doc);
  if cur.status = 'published' then
    perform kaart.require_parties(moderation_edit.id);
    if kaart.initiative_document(moderation_edit.id) is distinct from before then
      perform kaart.bump_revision(moderation_edit.id, cur.revision);
    end if;
  end if;
  perform kaart.check_deferred();
  return 'updated';
end
$$;

comment on function api.moderation_edit(bigint, jsonb, text) is 'Moderator''s direct edit: updated | not_found';

-- A moderator withdraws a submitted or published initiative, with an optional reason (stored in
-- kaart.initiative.withdrawal_reason); a pending revision is dropped. withdrawn | not_editable
-- (rejected or withdrawn already) | not_found.
create function api.moderation_withdraw(id bigint, reason text, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform kaart.set_actor(moderation_withdraw.actor, 'moderator');
  return kaart.withdraw(moderation_withdraw.id, moderation_withdraw.reason);
end
$$;

comment on function api.moderation_withdraw(bigint, text, text) is
  'Moderator withdraws: withdrawn | not_editable | not_found';

-- Sterk beroepsonderwijs-contactpersoon per school location ---------------------------------------

create function api.school_contact_get(code text) returns jsonb
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select jsonb_build_object('vestigingscode', s.vestigingscode, 'id', s.id, 'name', s.name, 'function', s.function,
                            'email', s.email, 'phone', s.phone, 'updated_at', s.updated_at)
  from kaart.school_contact s
  where s.vestigingscode = $1
$$;

comment on function api.school_contact_get(text) is
  'The SBO contact person of a school location {vestigingscode, id (its audit entity_id), name, function, email, phone, updated_at}, or null';

-- Set (create or replace) the contact of a school location from {name, function, email, phone}:
-- set | unknown_school.
create function api.school_contact_set(code text, doc jsonb, actor text) returns text
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  perform kaart.set_actor(school_contact_set.actor, 'moderator');
  if not exists (select 1 from ref.school_location s where s.vestigingscode = school_contact_set.code) then
    return 'unknown_school';
  end if;
  insert into kaart.school_contact as s (vestigingscode, name, function, email, phone)
  values (school_contact_set.code,
          btrim(regexp_replace(school_contact_set.doc ->> 'name', '\s+', ' ', 'g')),
          nullif(btrim(school_contact_set.doc ->> 'function'), ''),
          nullif(btrim(school_contact_set.doc ->> 'email'), ''),
          nullif(btrim(school_contact_set.doc ->> 'phone'), ''))
  on conflict (vestigingscode) do update
    set name = excluded.name, function = excluded.function, email = excluded.email, phone = excluded.phone,
        updated_at = now()
    where (s.name, s.function, s.email, s.phone)
          is distinct from (excluded.name, excluded.function, excluded.email, excluded.phone);
  return 'set';
end
$$;

comment on function api.school_contact_set(text, jsonb, text) is
  'Set the SBO contact person of a school location: set | unknown_school';

-- Remove the contact of a school location. It is an erasure: the person's fields in this
-- contact's audit trail are redacted to "[gewist]". False when the location had none.
create function api.school_contact_delete(code text, actor text) returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  gone record;
begin
  perform kaart.set_actor(school_contact_delete.actor, 'moderator');
  delete from kaart.school_contact s where s.vestigingscode = school_contact_delete.code
  returning s.id, lower(s.email) as email, kaart.name_key(s.name) as name into gone;
  if not found then
    return false;
  end if;
  update audit.log a
  set before = case when lower(a.before ->> 'email') = gone.email or kaart.name_key(a.before ->> 'name') = gone.name
                    then kaart.redact_person(a.before) else a.before end,
      after = case when lower(a.after ->> 'email') = gone.email or kaart.name_key(a.after ->> 'name') = gone.name
                   then kaart.redact_person(a.after) else a.after end
  where a.entity = 'school_contact' and a.entity_id = gone.id;
  return true;
end
$$;

comment on function api.school_contact_delete(text, text) is
  'Remove (and erase from the audit trail) the SBO contact person of a school location';

-- API keys --------------------------------------------------------------------------------------
-- These take no actor: audit.log records routekaart.actor if the caller set it in the same
-- transaction, otherwise the database user.

create function api.key_create(name text, role text, secret_hash bytea) returns bigint
language sql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
  insert into kaart.api_key (name, role, secret_hash) values (btrim($1), $2, $3) returning id
$$;

comment on function api.key_create(text, text, bytea) is
  'Create an API key (role moderator | analyst | admin; sha256 of the secret); returns its id';

-- The key to check a presented secret against; no row when unknown or revoked.
create function api.key_lookup(id bigint) returns table (name text, role text, secret_hash bytea)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select k.name, k.role, k.secret_hash from kaart.api_key k where k.id = $1 and k.revoked_at is null
$$;

comment on function api.key_lookup(bigint) is 'Name, role and secret hash of a key that is not revoked';

-- Record that a key was used; at most one write a minute per key.
create function api.key_touch(id bigint) returns void
language sql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
  update kaart.api_key k set last_used_at = now()
  where k.id = $1 and k.revoked_at is null
    and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute')
$$;

comment on function api.key_touch(bigint) is 'Set last_used_at of a key, at most once a minute';

create function api.key_revoke(name text) returns boolean
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
  update kaart.api_key k set revoked_at = now() where k.name = btrim(key_revoke.name) and k.revoked_at is null;
  return found;
end
$$;

comment on function api.key_revoke(text) is 'Revoke a key by name; false when no such active key';

create function api.key_list() returns jsonb
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object('id', k.id, 'name', k.name, 'role', k.role, 'created_at', k.created_at,
                                               'revoked_at', k.revoked_at, 'last_used_at', k.last_used_at)
                            order by k.id), '[]')
  from kaart.api_key k
$$;

comment on function api.key_list() is 'All API keys (never their hashes)';

-- Audit log -------------------------------------------------------------------------------------

-- {"total": n, "entries": [{id, at, actor, action, entity, entity_id, before, after}]}, newest
-- first, `lim` entries (default 100, at most 1000) from `off`. NULL parameters do not filter;
-- `since` is inclusive, `until` exclusive. Entities: initiative, party, contact_person,
-- organisation, revision, school_contact, api_key.
create function api.audit_query(entity text, entity_id bigint, actor text, since timestamptz, until timestamptz,
                                lim integer, off integer) returns jsonb
language plpgsql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  n integer := least(greatest(coalesce(lim, 100), 1), 1000);
  o integer := greatest(coalesce(off, 0), 0);
  cond text := 'true';
  total bigint;
  entries jsonb;
begin
  if audit_query.entity is not null then cond := cond || ' and a.entity = $1'; end if;
  if audit_query.entity_id is not null then cond := cond || ' and a.entity_id = $2'; end if;
  if audit_query.actor is not null then cond := cond || ' and a.actor = $3'; end if;
  if audit_query.since is not null then cond := cond || ' and a.at >= $4'; end if;
  if audit_query.until is not null then cond := cond || ' and a.at < $5'; end if;
  execute 'select count(*) from audit.log a where ' || cond
    into total using audit_query.entity, audit_query.entity_id, audit_query.actor, audit_query.since, audit_query.until;
  execute 'select coalesce(jsonb_agg(jsonb_build_object(''id'', x.id, ''at'', x.at, ''actor'', x.actor, ''action'', x.action,
                                                       ''entity'', x.entity, ''entity_id'', x.entity_id,
                                                       ''before'', x.before, ''after'', x.after) order by x.id desc), ''[]'')
           from (select a.* from audit.log a where ' || cond || ' order by a.id desc limit $6 offset $7) x'
    into entries using audit_query.entity, audit_query.entity_id, audit_query.actor, audit_query.since, audit_query.until, n, o;
  return jsonb_build_object('total', total, 'entries', entries);
end
$$;

comment on function api.audit_query(text, bigint, text, timestamptz, timestamptz, integer, integer) is
  'Audit log entries matching the given filters, newest first, with the total count';

-- Retention ------------------------------------------------------------------------------------

-- AVG retention: erase the contact persons of initiatives rejected or withdrawn longer ago than
-- `older_than` (their rows, the contacts in their revision documents, their fields in audit.log).
-- The initiatives stay. Returns how many contact persons were erased.
create function api.retention_purge(older_than interval) returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
  old bigint[];
  n integer;
begin
  perform kaart.set_actor(null, 'retention');
  select coalesce(array_agg(i.id), '{}') into old
  from kaart.initiative i
  where ((i.status = 'rejected' and i.rejected_at < now() - older_than)
         or (i.status = 'withdrawn' and i.withdrawn_at < now() - older_than))
    and (exists (select 1 from kaart.contact_person c where c.initiative_id = i.id)
         or exists (select 1 from kaart.revision r where r.initiative_id = i.id and r.doc -> 'contacts' <> '[]')
         or exists (select 1 from audit.log a
                    where a.entity in ('contact_person', 'revision')
                      and (coalesce(a.after, a.before) ->> 'initiative_id') = i.id::text
                      and (kaart.payload_has_person(a.entity, a.before) or kaart.payload_has_person(a.entity, a.after))));
  if cardinality(old) = 0 then
    return 0;
  end if;
  n := kaart.erase_persons(array(select c.id from kaart.contact_person c where c.initiative_id = any (old)),
                           false, false, old);
  perform kaart.check_deferred();
  return n;
end
$$;

comment on function api.retention_purge(interval) is
  'Erase contact persons of initiatives rejected or withdrawn longer ago than the interval; returns how many';

-- Privileges -----------------------------------------------------------------------------------
grant execute on function
  api.moderation_queue(text, integer, integer),
  api.moderation_count(text),
  api.moderation_approve(bigint, text),
  api.moderation_reject(bigint, text, text),
  api.moderation_edit(bigint, jsonb, text),
  api.moderation_withdraw(bigint, text, text),
  api.school_contact_get(text),
  api.school_contact_set(text, jsonb, text),
  api.school_contact_delete(text, text),
  api.key_create(text, text, bytea),
  api.key_lookup(bigint),
  api.key_touch(bigint),
  api.key_revoke(text),
  api.key_list(),
  api.audit_query(text, bigint, text, timestamptz, timestamptz, integer, integer),
  api.retention_purge(interval)
to routekaart_app;
