-- The role of the write path. Like 001, this migration needs CREATEROLE (or a superuser) the first
-- time it runs in a cluster; roles are cluster-wide, so it only creates the role when missing.
--
-- routekaart_app is what the service logs in as for submissions, moderation, API keys and the
-- audit log: it may execute the write functions of the api schema (granted in 014) and nothing
-- else. It has no access to any table; every write goes through a security-definer function
-- owned by routekaart_owner. Public reads stay with routekaart_web, which gets none of these.
do $$
begin
  if not exists (select from pg_roles where rolname = 'routekaart_app') then
    create role routekaart_app login;
  end if;
end
$$;

comment on role routekaart_app is 'routekaart: the HTTP service''s write path; executes the api write functions only';
