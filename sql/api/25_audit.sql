-- The audit trail: one row per inserted, updated or deleted row of kaart, with who, when, and the
-- row before and after. The actor is what the service sets per transaction
--   select set_config('routekaart.actor', 'moderator:jan@example.org', true);
-- and otherwise the database user.
set local role routekaart_owner;

-- Statement-level triggers with transition tables, so a bulk write is logged set-based. One
-- function for every audited table; its trigger arguments say what a table keeps out of the log:
--   hidden  columns never logged (default {search,edit_token_hash}: derived, or a secret even when
--           hashed); kaart.api_key: {secret_hash}
--   quiet   columns whose change alone is no change worth a row (default: hidden); kaart.api_key:
--           {secret_hash,last_used_at}, which the service touches at most once a minute
-- Bulk loaders run by the schema owner may set routekaart.audit = 'summary' (transaction-local)
-- to log one row per statement with the row count instead: the owner could drop these triggers
-- anyway, and no other role can use the setting.
create function audit.log_change() returns trigger
language plpgsql as $$
declare
  who text := coalesce(nullif(current_setting('routekaart.actor', true), ''), session_user);
  act text := lower(tg_op);
  hidden text[] := case when tg_nargs > 0 then tg_argv[0]::text[] else '{search,edit_token_hash}' end;
  quiet text[] := case when tg_nargs > 1 then tg_argv[1]::text[] else hidden end;
  nrows bigint;
begin
  if current_setting('routekaart.audit', true) = 'summary'
     and pg_has_role(session_user, 'routekaart_owner', 'member') then
    if tg_op = 'DELETE' then
      select count(*) into nrows from old_rows;
    else
      select count(*) into nrows from new_rows;
    end if;
    if nrows > 0 then
      insert into audit.log (actor, action, entity, after)
      values (who, act, tg_table_name, jsonb_build_object('summary', true, 'rows', nrows));
    end if;
    return null;
  end if;

  if tg_op = 'INSERT' then
    insert into audit.log (actor, action, entity, entity_id, after)
    select who, act, tg_table_name, n.id, to_jsonb(n) - hidden from new_rows n;
  elsif tg_op = 'UPDATE' then
    insert into audit.log (actor, action, entity, entity_id, before, after)
    select who, act, tg_table_name, n.id, to_jsonb(o) - hidden, to_jsonb(n) - hidden
    from new_rows n join old_rows o on o.id = n.id
    where to_jsonb(o) - quiet is distinct from to_jsonb(n) - quiet;
  else
    insert into audit.log (actor, action, entity, entity_id, before)
    select who, act, tg_table_name, o.id, to_jsonb(o) - hidden from old_rows o;
  end if;
  return null;
end
$$;

do $$
declare
  t text;
  args text;
begin
  foreach t in array array['initiative', 'party', 'contact_person', 'organisation', 'revision', 'school_contact',
                           'api_key'] loop
    args := case t when 'api_key' then '''{secret_hash}'', ''{secret_hash,last_used_at}''' else '' end;
    execute format('create trigger audit_insert after insert on kaart.%I
                    referencing new table as new_rows
                    for each statement execute function audit.log_change(%s)', t, args);
    execute format('create trigger audit_update after update on kaart.%I
                    referencing old table as old_rows new table as new_rows
                    for each statement execute function audit.log_change(%s)', t, args);
    execute format('create trigger audit_delete after delete on kaart.%I
                    referencing old table as old_rows
                    for each statement execute function audit.log_change(%s)', t, args);
  end loop;
end
$$;

-- Erasure on request (AVG art. 17) removes the person, not the initiative, and also scrubs the
-- person's data from the audit trail, keeping only that a contact person existed and was erased.
create function kaart.erase_contact_person(person bigint) returns boolean
language plpgsql as $$
begin
  delete from kaart.contact_person where id = person;
  if not found then
    return false;
  end if;
  update audit.log
  set before = case when before is null then null
                    else jsonb_build_object('id', person, 'initiative_id', before -> 'initiative_id', 'erased', true) end,
      after  = case when after is null then null
                    else jsonb_build_object('id', person, 'initiative_id', after -> 'initiative_id', 'erased', true) end
  where entity = 'contact_person' and entity_id = person;
  return true;
end
$$;
comment on function kaart.erase_contact_person(bigint) is 'Delete a contact person and scrub their personal data from audit.log';
