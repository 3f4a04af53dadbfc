-- What the write path may do: execute the api functions of 012 and 013, nothing else. It has no
-- privilege on any table or view (the functions run with their owner's rights), and the public
-- read role gets none of these functions.
set local role routekaart_owner;

-- New functions are not executable by PUBLIC (default privileges of 001); say it again for these,
-- so the grants below are the whole truth whatever the defaults were when they were created.
do $$
declare
  f regprocedure;
begin
  for f in select p.oid::regprocedure from pg_proc p
           where p.pronamespace in ('kaart'::regnamespace, 'audit'::regnamespace, 'api'::regnamespace)
  loop
    execute format('revoke all on function %s from public', f);
  end loop;
end
$$;

grant usage on schema api to routekaart_app;

grant execute on function
  api.submission_problems(jsonb),
  api.submission_create(jsonb, bytea, text, bytea, bytea, bytea),
  api.submission_get(bigint),
  api.submission_update(bigint, jsonb, text),
  api.submission_withdraw(bigint, text),
  api.contact_erase(bigint, text),
  api.submission_contact_erase(bigint, bigint, text),
  api.moderation_queue(text, integer, integer),
  api.moderation_count(text),
  api.moderation_approve(bigint, text),
  api.moderation_reject(bigint, text, text),
  api.moderation_edit(bigint, jsonb, text),
  api.moderation_withdraw(bigint, text, text),
  api.school_contact_get(text),
  api.school_contact_set(text, jsonb, text),
  api.school_contact_delete(text, text),
  api.key_create(text, text, bytea),
  api.key_lookup(bigint),
  api.key_touch(bigint),
  api.key_revoke(text),
  api.key_list(),
  api.audit_query(text, bigint, text, timestamptz, timestamptz, integer, integer),
  api.retention_purge(interval)
to routekaart_app;
