-- The writes of a soak run in the database, as bench/soak.sh checks them:
--
--   psql -XAtq -v ON_ERROR_STOP=1 -F '<tab>' -v tag=TAG -f bench/soak/db-check.sql < expected.csv
--
-- expected.csv (on stdin) is what bench/soak/writer.py wrote: id, status, name, description and
-- reason of every submission as the last 2xx answer left it; TAG is the run's tag in the names of
-- its submissions. One line per figure: acknowledged, as_answered, rows_of_run,
-- revisions_approved, and at most 5 mismatch lines.
create temp table expected (id bigint primary key, status text, name text, description text, reason text);
\copy expected from pstdin with (format csv)
-- the submissions the writer got a 201 for, and those in the database exactly as the last 2xx left them
select 'acknowledged', count(*) from expected;
select 'as_answered', count(*) from expected e join kaart.initiative i using (id)
 where i.source = 'submission' and i.status = e.status and i.name = e.name
   and i.description is not distinct from e.description
   and coalesce(i.withdrawal_reason, i.rejection_reason) is not distinct from e.reason;
-- every row of this run: no second one from a repeated Idempotency-Key, nothing from a bad request
select 'rows_of_run', count(*) from kaart.initiative where name like ('Soak ' || :'tag' || ' %');
select 'revisions_approved', count(*) from kaart.revision r join expected e on e.id = r.initiative_id where r.status = 'approved';
select 'mismatch', e.id, e.status || '/' || coalesce(i.status, 'missing'), e.name || ' / ' || coalesce(i.name, '')
  from expected e left join kaart.initiative i using (id)
 where i.id is null or i.status <> e.status or i.name <> e.name or i.description is distinct from e.description
    or coalesce(i.withdrawal_reason, i.rejection_reason) is distinct from e.reason
 order by e.id limit 5;
