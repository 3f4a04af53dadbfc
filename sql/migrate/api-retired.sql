-- After the replacement of the database API has committed: drop the views and functions it moved
-- into the schemas api_retired, kaart_retired, audit_retired and ref_retired (migrate/api-drop.sql). A reader of the running service that
-- was executing one of them when the replacement committed may still be; every statement of the
-- service ends within its statement_timeout (DB_STATEMENT_TIMEOUT_MS, 5 s), so while another
-- session is connected to the database, this waits :retire_grace first.
set client_min_messages = warning;
select exists (select from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid())
       as others_connected \gset
\if :others_connected
select pg_sleep(extract(epoch from :'retire_grace'::interval)) \gset
\endif
begin;
select pg_advisory_xact_lock(hashtext('routekaart.migrate')) \gset
-- The rehearsal of migrate/api-drop.sql found that nothing but the api itself used them.
drop schema if exists api_retired, kaart_retired, audit_retired, ref_retired cascade;
commit;
