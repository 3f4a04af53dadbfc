-- Start of the replacement of the database API (inside its transaction, under the lock): drop what
-- the previous run of sql/api/ created (public.schema_api), then note what exists without it.
-- Triggers first, then views and functions, each without CASCADE: one that another depends on is
-- tried again after that one is gone, and one that something else depends on (a table, an index,
-- a constraint: the schema may not use the API) stops the run with PostgreSQL's error.
-- That is a rehearsal, rolled back: then the views and functions are moved into the schemas
-- api_retired, kaart_retired, ..., where a reader of the running service that was already
-- executing one (it holds it by its oid, not by its name) still finds it, and the new api is made
-- beside them. migrate/api-retired.sql drops them once those readers are done.
set local client_min_messages = warning;
do $$
declare
  kind_ text;
  name_ text;
  table_ text;
  tab regclass;
  v regclass;
  f regprocedure;
  progress boolean;
  left_over integer;
  why text;
  existing text[];
begin
  for name_, table_ in select s.name, s.on_table from public.schema_api s where s.kind = 'trigger' loop
    tab := to_regclass(table_);
    if tab is not null then
      execute format('drop trigger if exists %I on %s', name_, tab);
    end if;
  end loop;
  begin   -- the rehearsal
  loop
    progress := false;
    left_over := 0;
    existing := array(select o.kind || ' ' || o.name from api_objects o);
    for kind_, name_ in select s.kind, s.name from public.schema_api s
                        where s.kind in ('view', 'function') order by s.kind desc, s.name loop
      -- (gone already, with a type its name mentions: to_regprocedure would raise)
      continue when not (kind_ || ' ' || name_ = any (existing));
      v := case when kind_ = 'view' then to_regclass(name_) end;
      f := case when kind_ = 'function' then to_regprocedure(name_) end;
      begin
        if v is not null then
          execute format('drop view %s', v);
        else
          execute format('drop function %s', f);
        end if;
        progress := true;
      exception when dependent_objects_still_exist then
        left_over := left_over + 1;
        why := sqlerrm;
      end;
    end loop;
    exit when left_over = 0;
    if not progress then
      raise exception 'cannot replace the api: %', why
        using hint = 'Something outside sql/api/ uses a view or function of sql/api/.';
    end if;
  end loop;
  raise exception using errcode = 'RKRHS', message = 'the rehearsal is over';
  exception when sqlstate 'RKRHS' then
    null;   -- everything it dropped is back
  end;

  -- for real: the views and functions move aside, each into the schema <its schema>_retired under
  -- its own name (a PL/pgSQL function may qualify its parameters with its name)
  for name_ in select distinct n.nspname from pg_namespace n where n.nspname in ('api', 'kaart', 'audit', 'ref') loop
    execute format('drop schema if exists %I cascade', name_ || '_retired');   -- left by a run that failed
    execute format('create schema %I authorization %I', name_ || '_retired', current_user);
  end loop;
  for name_ in select s.name from public.schema_api s where s.kind = 'view' order by s.name loop
    v := to_regclass(name_);
    continue when v is null;
    execute format('alter view %s set schema %I', v,
                   (select n.nspname || '_retired' from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = v));
  end loop;
  existing := array(select o.name from api_objects o where o.kind = 'function');
  for name_ in select s.name from public.schema_api s where s.kind = 'function' order by s.name loop
    continue when not (name_ = any (existing));
    f := to_regprocedure(name_);
    execute format('alter function %s set schema %I', f,
                   (select n.nspname || '_retired' from pg_proc p join pg_namespace n on n.oid = p.pronamespace where p.oid = f));
  end loop;
end
$$;
create temp table api_before on commit drop as select * from api_objects;
