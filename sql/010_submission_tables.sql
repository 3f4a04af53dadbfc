-- Tables of the write path: pending revisions of published initiatives, idempotency keys of
-- submissions, the Sterk beroepsonderwijs-contactpersoon of each school location, and the API keys
-- of the programme team. Constraints are named table_field_check like those of 004, so the service
-- can turn a violation into a field error.
set local role routekaart_owner;

-- Why a moderator withdrew an initiative (a submitter's own withdrawal has none).
alter table kaart.initiative
  add column withdrawal_reason text
    constraint initiative_withdrawal_reason_check
    check (withdrawal_reason is null or (length(withdrawal_reason) between 1 and 2000 and status = 'withdrawn'));
comment on column kaart.initiative.withdrawal_reason is 'Reason given by the moderator who withdrew the initiative';

-- Erasure finds a person's other contact rows by e-mail address, and retention the audit rows of
-- the contact persons and revisions of an initiative.
create index contact_person_email on kaart.contact_person (lower(email)) where email is not null;
create index log_person_initiative on audit.log ((coalesce(after, before) ->> 'initiative_id'))
  where entity in ('contact_person', 'revision');

-- A change to a published initiative, proposed by its submitter. The published row stays as it is
-- until a moderator approves the revision; at most one revision per initiative is pending.
--   pending    awaiting a moderator
--   approved   applied to the initiative
--   rejected   refused, with a reason
--   superseded replaced by a newer revision from the submitter
--   dropped    the initiative was withdrawn while the revision was pending
-- doc is the submission document in its normalised form (kaart.normalize_document): it holds
-- contact persons, so erasure (kaart.erase_persons) scrubs it.
create table kaart.revision (
  id            bigint generated always as identity primary key,
  initiative_id bigint not null constraint revision_initiative_id_fkey
                references kaart.initiative on delete cascade,
  status        text not null default 'pending'
                constraint revision_status_check
                check (status in ('pending', 'approved', 'rejected', 'superseded', 'dropped')),
  doc           jsonb not null constraint revision_doc_check check (jsonb_typeof(doc) = 'object'),
  base_revision integer not null,          -- kaart.initiative.revision when it was submitted
  reason        text constraint revision_reason_check
                check ((reason is null or length(reason) between 1 and 2000)
                       and (status <> 'rejected' or reason is not null)),
  created_at    timestamptz not null default now(),
  decided_at    timestamptz,
  constraint revision_decided_at_check check ((status = 'pending') = (decided_at is null))
);
create unique index revision_one_pending on kaart.revision (initiative_id) where status = 'pending';
create index revision_initiative on kaart.revision (initiative_id);
create index revision_pending_created on kaart.revision (created_at) where status = 'pending';

comment on table kaart.revision is 'Revisions of published initiatives proposed by their submitters; one pending at a time';

-- Idempotency keys of submissions (the Idempotency-Key header), kept for 24 hours: a repeated
-- request with the same key returns the initiative created the first time. The service stores the
-- hash of the request (to refuse the key's reuse for another body) and the edit token encrypted so
-- that only a holder of the idempotency key can recover it (to answer the repetition with the same
-- token); the database sees neither the key nor the token. Not audited: it records requests, not
-- data of the map.
create table kaart.submission_idempotency (
  key_hash      bytea primary key constraint submission_idempotency_key_hash_check
                check (octet_length(key_hash) = 32),
  initiative_id bigint constraint submission_idempotency_initiative_id_fkey
                references kaart.initiative on delete cascade,
  request_hash  bytea not null constraint submission_idempotency_request_hash_check
                check (octet_length(request_hash) between 1 and 64),
  token_enc     bytea not null constraint submission_idempotency_token_enc_check
                check (octet_length(token_enc) between 1 and 1024),
  created_at    timestamptz not null default now()
);
create index submission_idempotency_created on kaart.submission_idempotency (created_at);
create index submission_idempotency_initiative on kaart.submission_idempotency (initiative_id);

comment on table kaart.submission_idempotency is 'Idempotency keys of submissions (hashes only), kept 24 hours';

-- The Sterk beroepsonderwijs-contactpersoon of a school location, kept by the programme team.
-- Personal data, never public. `id` identifies the row in audit.log (whose entity_id is a number).
-- A school location that leaves DUO's list takes its contact with it.
create table kaart.school_contact (
  vestigingscode text primary key constraint school_contact_vestigingscode_fkey
                 references ref.school_location on delete cascade,
  id             bigint generated always as identity unique,
  name           text not null constraint school_contact_name_check check (length(name) between 2 and 200),
  function       text constraint school_contact_function_check check (length(function) between 1 and 200),
  email          text constraint school_contact_email_check check (kaart.is_email(email)),
  phone          text constraint school_contact_phone_check check (phone ~ '^\+?[0-9][0-9 ()-]{5,19}$'),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
create index school_contact_email on kaart.school_contact (lower(email));

comment on table kaart.school_contact is 'The Sterk beroepsonderwijs-contactpersoon per school location; personal data';

-- API keys of the programme team and the ministry. The secret is random and shown once; only its
-- SHA-256 is stored. A revoked key keeps its row (and its name) for the audit trail.
create table kaart.api_key (
  id           bigint generated always as identity primary key,
  name         text not null constraint api_key_name_key unique
               constraint api_key_name_check check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  role         text not null constraint api_key_role_check check (role in ('moderator', 'analyst', 'admin')),
  secret_hash  bytea not null constraint api_key_secret_hash_check check (octet_length(secret_hash) = 32),
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz,
  last_used_at timestamptz
);

comment on table kaart.api_key is 'API keys (sha256 of the secret only); revoked keys are kept';

-- Audit and cache invalidation -----------------------------------------------------------------
-- revision and school_contact are logged like the tables of 004 (audit.log_change). api_key needs
-- its own variant: the secret's hash is never logged, and a change of last_used_at alone (the
-- service touches a key at most once a minute) is bookkeeping, not a change worth a row.
create function audit.log_api_key_change() returns trigger
language plpgsql as $$
declare
  who text := coalesce(nullif(current_setting('routekaart.actor', true), ''), session_user);
  act text := lower(tg_op);
  hidden text[] := '{secret_hash}';
  quiet text[] := '{secret_hash,last_used_at}';
begin
  if tg_op = 'INSERT' then
    insert into audit.log (actor, action, entity, entity_id, after)
    select who, act, tg_table_name, n.id, to_jsonb(n) - hidden from new_rows n;
  elsif tg_op = 'UPDATE' then
    insert into audit.log (actor, action, entity, entity_id, before, after)
    select who, act, tg_table_name, n.id, to_jsonb(o) - hidden, to_jsonb(n) - hidden
    from new_rows n join old_rows o on o.id = n.id
    where to_jsonb(o) - quiet is distinct from to_jsonb(n) - quiet;
  else
    insert into audit.log (actor, action, entity, entity_id, before)
    select who, act, tg_table_name, o.id, to_jsonb(o) - hidden from old_rows o;
  end if;
  return null;
end
$$;

do $$
declare
  t text;
  fn text;
begin
  foreach t in array array['revision', 'school_contact', 'api_key'] loop
    fn := case t when 'api_key' then 'audit.log_api_key_change' else 'audit.log_change' end;
    execute format('create trigger audit_insert after insert on kaart.%I
                    referencing new table as new_rows
                    for each statement execute function %s()', t, fn);
    execute format('create trigger audit_update after update on kaart.%I
                    referencing old table as old_rows new table as new_rows
                    for each statement execute function %s()', t, fn);
    execute format('create trigger audit_delete after delete on kaart.%I
                    referencing old table as old_rows
                    for each statement execute function %s()', t, fn);
  end loop;
  -- the read side's cache listens for changes of kaart (API keys are not data of the map)
  foreach t in array array['revision', 'school_contact'] loop
    execute format('create trigger notify_change after insert or update or delete or truncate on kaart.%I
                    for each statement execute function kaart.notify_change()', t);
  end loop;
end
$$;

-- Approving a revision, or a moderator's edit of a published initiative, is a new revision of the
-- initiative even when only its parties or contact persons changed, which the row trigger of 005
-- does not see. kaart.bump_revision() asks for it through a transaction-local setting naming the
-- initiative; this trigger, which runs after initiative_before_write (triggers fire in name order),
-- then counts one more revision, once.
create function kaart.initiative_revision_bump() returns trigger
language plpgsql as $$
begin
  if current_setting('routekaart.bump_revision', true) = new.id::text then
    perform set_config('routekaart.bump_revision', '', true);
    if new.revision = old.revision then
      new.revision := old.revision + 1;
      new.updated_at := now();
    end if;
  end if;
  return new;
end
$$;
create trigger initiative_revision_bump before update on kaart.initiative
  for each row execute function kaart.initiative_revision_bump();

create function kaart.bump_revision(initiative bigint, seen_revision integer) returns void
language plpgsql as $$
begin
  perform set_config('routekaart.bump_revision', initiative::text, true);
  update kaart.initiative i set revision = i.revision where i.id = initiative and i.revision = seen_revision;
  perform set_config('routekaart.bump_revision', '', true);
end
$$;
comment on function kaart.bump_revision(bigint, integer)
  is 'Count a new revision of the initiative unless its revision has moved on from seen_revision';
