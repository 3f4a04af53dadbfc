-- The settings of both sessions of sql/migrate.sh. A statement of a migration waits at most
-- :lock_timeout for a lock. When the migrating session waits for a lock held by a reader that
-- waits for one of its own, it finds the deadlock itself after 50 ms and gives way, long before
-- the reader would (deadlock_timeout, 1 s): the reader goes on, and migrate.sh tries again. Only
-- a superuser may change deadlock_timeout, or a role it was granted to (the DBA step,
-- deploy/db-init.sh, grants it to routekaart_owner); without it the server's setting stays.
set client_min_messages = warning;
set lock_timeout = :'lock_timeout';
do $$
begin
  perform set_config('deadlock_timeout', '50ms', false);
exception when insufficient_privilege then
  null;
end
$$;
