-- The first step of the replacement of the database API (inside its transaction, under the
-- advisory lock): take the exclusive locks that dropping the previous run's triggers and views
-- needs, all at once before anything else, while the service may be reading through them.
-- A reader inside an api function holds the locks of the statements it ran and asks for more as
-- it goes on; a replacement that took some locks and then waited for another could wait for a
-- reader that waits for it (a deadlock, and one of the two is cancelled). So the one LOCK
-- statement may take at most :lock_wait (statement_timeout), less than deadlock_timeout (1 s):
-- a reader queued behind it waits less than that and never runs into the deadlock check. When the
-- time is up the transaction is rolled back, every lock it had is released, and migrate.sh begins
-- it again a little later. Readers then wait for the replacement itself (a few hundred ms).
set local client_min_messages = warning;
set local statement_timeout = :'lock_wait';
select format('lock table %s in access exclusive mode', string_agg(r::text, ', ' order by r)) as lock_all
from (select distinct case s.kind when 'trigger' then to_regclass(s.on_table)
                                  when 'view' then to_regclass(s.name) end r
      from public.schema_api s) x
where r is not null
having count(*) > 0 \gexec
set local statement_timeout to default;
