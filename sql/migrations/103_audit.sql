-- The baseline of the schema, part 4: the audit trail's table (what 006 and 010 made). Its
-- triggers are in sql/api/audit.sql.
-- The audit trail: one row per inserted, updated or deleted row of kaart, with who, when, and the
-- row before and after. The actor is what the service sets per transaction
--   select set_config('routekaart.actor', 'moderator:jan@example.org', true);
-- and otherwise the database user.
set local role routekaart_owner;

create table audit.log (
  id        bigint generated always as identity primary key,
  at        timestamptz not null default now(),
  txid      xid8 not null default pg_current_xact_id(),   -- groups the rows of one change
  actor     text not null,
  action    text not null check (action in ('insert', 'update', 'delete')),
  entity    text not null,          -- table name in kaart
  entity_id bigint,                 -- NULL for a bulk summary row (see below)
  before    jsonb,
  after     jsonb
);
create index log_entity on audit.log (entity, entity_id);
create index log_at on audit.log using brin (at);

comment on table audit.log is 'Every change to kaart.initiative, party, contact_person and organisation';

-- Erasure finds a person's other contact rows by e-mail address, and retention the audit rows of
-- the contact persons and revisions of an initiative.
create index log_person_initiative on audit.log ((coalesce(after, before) ->> 'initiative_id'))
  where entity in ('contact_person', 'revision');
