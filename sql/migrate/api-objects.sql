-- The objects that sql/api/ may create, as the session's temporary view api_objects: every
-- function (not of an extension) and view of the schemas api, kaart, audit and ref, and every
-- trigger (not one PostgreSQL made for a foreign key) on their tables. A function that migrations
-- create (one a CHECK, a generated column or an index uses) is one of these too, but was there
-- before sql/api/ ran, so it is never recorded as sql/api/'s (api-record.sql).
create temp view api_objects as
select 'function'::text as kind, p.oid::regprocedure::text as name, ''::text as on_table
from pg_proc p
where p.pronamespace in (select oid from pg_namespace where nspname in ('api', 'kaart', 'audit', 'ref'))
  and not exists (select from pg_depend d
                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
union all
select 'view', c.oid::regclass::text, ''
from pg_class c
where c.relnamespace in (select oid from pg_namespace where nspname in ('api', 'kaart', 'audit', 'ref'))
  and c.relkind in ('v', 'm')
union all
select 'trigger', t.tgname::text, t.tgrelid::regclass::text
from pg_trigger t join pg_class c on c.oid = t.tgrelid
where c.relnamespace in (select oid from pg_namespace where nspname in ('api', 'kaart', 'audit', 'ref'))
  and not t.tgisinternal;
