-- The baseline of the schema, part 1: extensions, roles, schemas and the roles' settings (what the
-- migrations 001, 009 and 020 did before sql/ was split into migrations/ and api/).
--
-- This is the only migration that needs more than ownership of the database: extensions need a
-- superuser, roles need CREATEROLE. Every later migration runs as routekaart_owner, so everything
-- the service can reach is owned by a role without superuser rights.
create extension if not exists postgis;
create extension if not exists pgcrypto;   -- digest() for edit-token hashes

-- Roles are cluster-wide: several databases of one cluster (tests, scratch copies) share them,
-- so create them only when missing and never drop them here.
do $$
begin
  if not exists (select from pg_roles where rolname = 'routekaart_owner') then
    -- owns schemas, tables, views and security-definer functions; nobody logs in as it
    create role routekaart_owner nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'routekaart_web') then
    -- the HTTP service: reads the api schema, nothing else
    create role routekaart_web login;
  end if;
  -- the migrating user switches to the owner in later migrations (a superuser needs no grant)
  if not (select rolsuper from pg_roles where rolname = current_user)
     and not pg_has_role(current_user, 'routekaart_owner', 'member') then
    execute format('grant routekaart_owner to %I', current_user);
  end if;
end
$$;

comment on role routekaart_owner is 'routekaart: owner of the ref, kaart, audit and api schemas';
comment on role routekaart_web is 'routekaart: the HTTP service; reads the api schema only';

-- ref: public reference data (code lists, CBS regions, DUO schools, postcodes)
-- kaart: the initiatives and everything about them, including personal data
-- audit: who changed what
-- api: the only thing the service reads (views and functions)
create schema if not exists ref   authorization routekaart_owner;
create schema if not exists kaart authorization routekaart_owner;
create schema if not exists audit authorization routekaart_owner;
create schema if not exists api   authorization routekaart_owner;

comment on schema ref   is 'routekaart: code lists and reference geography (CBS regions, DUO schools, PC4)';
comment on schema kaart is 'routekaart: initiatives, parties, contact persons, organisations';
comment on schema audit is 'routekaart: audit trail of every change to kaart';
comment on schema api   is 'routekaart: views and functions read by the HTTP service';

-- New schemas grant nothing to PUBLIC, but functions do (EXECUTE) unless told otherwise.
alter default privileges for role routekaart_owner revoke execute on functions from public;

-- The role of the write path. routekaart_app is what the service logs in as for submissions,
-- moderation, API keys and the audit log: it may execute the write functions of the api schema
-- (granted in sql/api/) and nothing else. It has no access to any table; every write goes through
-- a security-definer function owned by routekaart_owner. Public reads stay with routekaart_web.
do $$
begin
  if not exists (select from pg_roles where rolname = 'routekaart_app') then
    create role routekaart_app login;
  end if;
end
$$;

comment on role routekaart_app is 'routekaart: the HTTP service''s write path; executes the api write functions only';

-- A 201 means committed: the write path waits until its commit is in the write-ahead log, whatever
-- the server's default. A cluster tuned for speed (synchronous_commit = off, as the throwaway test
-- cluster is) could otherwise lose the last acknowledged submissions in a crash. Reads are not
-- affected.
do $$
begin
  execute format('alter role routekaart_app in database %I set synchronous_commit = on', current_database());
end
$$;
