-- What the service may do: read the api schema, nothing else. Views run with the rights of their
-- owner (routekaart_owner), so the service needs no privilege on ref, kaart or audit, and has none:
-- `set role routekaart_web; select * from kaart.contact_person` is permission denied.
set local role routekaart_owner;

revoke all on schema ref, kaart, audit, api from public;
revoke all on all tables in schema ref, kaart, audit, api from public;
revoke all on all functions in schema ref, kaart, audit, api from public;

grant usage on schema api to routekaart_web;
grant select on api.initiatives, api.schools, api.regions to routekaart_web;
grant execute on function api.codelists_json() to routekaart_web;
grant execute on function api.initiative_ids(geometry, text[], text[], text[], text[], integer[], text[], text[], text[], text)
  to routekaart_web;
