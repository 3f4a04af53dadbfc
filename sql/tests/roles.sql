-- The service never needs a superuser: the roles of routekaart (set up by deploy/db-init.sh, as on
-- any server) are no superusers and may create neither databases nor roles; the service's roles
-- own nothing at all; the database and everything in ref, kaart, audit and api belongs to
-- routekaart_owner, the role the migrations run as. Changes nothing. Run as a superuser:
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/roles.sql      (prints "ok - ..." per check)
\ir prologue.psql

do $$
declare
  bad text;
begin
  select string_agg(rolname, ', ') into bad from pg_roles
  where rolname in ('routekaart_owner', 'routekaart_app', 'routekaart_web')
    and (rolsuper or rolcreatedb or rolcreaterole or rolreplication or rolbypassrls);
  assert bad is null, format('roles with more than they need (superuser, createdb, createrole, replication, bypassrls): %s', bad);
  assert (select count(*) from pg_roles
          where rolname in ('routekaart_owner', 'routekaart_app', 'routekaart_web') and rolcanlogin) = 3,
    'routekaart_owner, routekaart_app and routekaart_web should exist and log in';
  perform pg_temp.ok('routekaart_owner, _app and _web log in, and are NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS');

  -- pg_shdepend records the owner of every object of every database, and of databases
  select string_agg(format('%s %s', d.classid::regclass, d.objid), ', ') into bad
  from pg_shdepend d
  where d.deptype = 'o' and d.refobjid in ('routekaart_app'::regrole, 'routekaart_web'::regrole);
  assert bad is null, format('the service''s roles own objects: %s', bad);
  perform pg_temp.ok('routekaart_app and routekaart_web own nothing, in any database');

  select string_agg(r, ', ') into bad
  from unnest(array['routekaart_owner', 'routekaart_app', 'routekaart_web']) r
  where exists (select from pg_auth_members m
                where m.member = r::regrole
                  and m.roleid in (select oid from pg_roles where rolsuper
                                   or rolname in ('pg_read_all_data', 'pg_write_all_data', 'pg_read_server_files',
                                                  'pg_write_server_files', 'pg_execute_server_program')))
     or (r <> 'routekaart_owner' and pg_has_role(r, 'routekaart_owner', 'usage'));
  assert bad is null, format('roles that inherit more: %s', bad);
  perform pg_temp.ok('none of them is a member of a superuser or a predefined data role, and the service''s roles are not members of routekaart_owner');

  assert (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) = 'routekaart_owner',
    'the database should belong to routekaart_owner';
  select string_agg(x, ', ') into bad from (
    select format('schema %s (%s)', nspname, pg_get_userbyid(nspowner)) x from pg_namespace
    where nspname in ('ref', 'kaart', 'audit', 'api') and nspowner <> 'routekaart_owner'::regrole
    union all
    select format('%s (%s)', c.oid::regclass, pg_get_userbyid(c.relowner)) from pg_class c
    where (c.relnamespace in (select oid from pg_namespace where nspname in ('ref', 'kaart', 'audit', 'api'))
           or c.oid in ('public.schema_migrations'::regclass, 'public.schema_api'::regclass, 'public.schema_api_state'::regclass))
      and c.relowner <> 'routekaart_owner'::regrole
    union all
    select format('%s (%s)', p.oid::regprocedure, pg_get_userbyid(p.proowner)) from pg_proc p
    where p.pronamespace in (select oid from pg_namespace where nspname in ('ref', 'kaart', 'audit', 'api'))
      and p.proowner <> 'routekaart_owner'::regrole
      and not exists (select from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')) o;
  assert bad is null, format('owned by another role than routekaart_owner: %s', bad);
  perform pg_temp.ok('the database, its schemas ref, kaart, audit and api, every table, view and function in them, and the migrations'' bookkeeping belong to routekaart_owner');
end
$$;

rollback;
