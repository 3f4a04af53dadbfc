-- One line per table of ref, kaart and audit (and the rows of public.schema_migrations of before
-- the split): name|rows|md5 of the rows in text form, sorted. For comparing a database's data
-- before and after a change of its schema.
select format('select %L, count(*), md5(coalesce(string_agg(t::text, E''\n'' order by t::text), '''')) from %s t',
              c.oid::regclass, c.oid::regclass)
from pg_class c
where c.relnamespace in ('ref'::regnamespace, 'kaart'::regnamespace, 'audit'::regnamespace)
  and c.relkind in ('r', 'p')
order by c.oid::regclass::text
\gexec
select 'public.schema_migrations (before the split)', count(*), md5(string_agg(version || ' ' || checksum || ' ' || applied_at, E'\n' order by version))
from public.schema_migrations where version < '100';
