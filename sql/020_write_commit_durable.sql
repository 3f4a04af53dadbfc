-- A 201 means committed: the write path waits until its commit is in the write-ahead log, whatever
-- the server's default. A cluster tuned for speed (synchronous_commit = off, as the throwaway test
-- cluster is) could otherwise lose the last acknowledged submissions in a crash. Reads are not
-- affected. Like 009 this needs CREATEROLE (or a superuser).
do $$
begin
  execute format('alter role routekaart_app in database %I set synchronous_commit = on', current_database());
end
$$;
