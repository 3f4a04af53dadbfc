-- Start of the replacement of the database API (inside its transaction, under the lock): drop what
-- the previous run of sql/api/ created (public.schema_api), then note what exists without it.
-- Triggers first, then views and functions, each without CASCADE: one that another depends on is
-- tried again after that one is gone, and one that something else depends on (a table, an index,
-- a constraint: the schema may not use the API) stops the run with PostgreSQL's error.
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
end
$$;
create temp table api_before on commit drop as select * from api_objects;
