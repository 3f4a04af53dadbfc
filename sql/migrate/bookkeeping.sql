-- The bookkeeping of sql/migrate.sh, created when missing. The lock keeps two concurrent runs from
-- both creating it.
set client_min_messages = warning;
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate'));
create table if not exists public.schema_migrations (
  version    text primary key check (version ~ '^[0-9]{3}$'),
  applied_at timestamptz not null default now(),
  checksum   text not null check (checksum ~ '^[0-9a-f]{64}$')
);
comment on table public.schema_migrations is 'Migrations of sql/ applied to this database (sql/migrate.sh).';
create table if not exists public.schema_api (
  kind     text not null check (kind in ('function', 'view', 'trigger')),
  name     text not null,
  on_table text not null default '',
  primary key (kind, name, on_table)
);
comment on table public.schema_api is
  'What sql/api/ created at the last sql/migrate.sh: views and functions (their regclass or regprocedure), triggers (name, on_table); the next run drops them and creates them again.';
create table if not exists public.schema_api_state (
  one      boolean primary key default true check (one),
  checksum text not null check (checksum ~ '^[0-9a-f]{64}$')
);
comment on table public.schema_api_state is
  'The sha256 of what made the api at the last sql/migrate.sh (sql/api/, the code lists, migrate.sh''s own SQL); while it and the migrations stay the same, the api is not replaced.';
commit;
