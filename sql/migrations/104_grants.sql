-- The baseline of the schema, part 5: privileges on schemas and tables (what 008, 014, 015 and 017
-- granted). Privileges on the views and functions of sql/api/ are granted there, with them.
-- What the service may do: read the api schema, nothing else. Views run with the rights of their
-- owner (routekaart_owner), so the service needs no privilege on ref, kaart or audit, and has none:
-- `set role routekaart_web; select * from kaart.contact_person` is permission denied.
set local role routekaart_owner;

revoke all on schema ref, kaart, audit, api from public;
revoke all on all tables in schema ref, kaart, audit, api from public;
revoke all on all functions in schema ref, kaart, audit, api from public;

grant usage on schema api to routekaart_web;

-- routekaart_app: usage of the api schema, and EXECUTE on the functions of the write path only.
grant usage on schema api to routekaart_app;

revoke all on table kaart.overview_initiative, kaart.overview_route, kaart.overview_party, kaart.overview_presence
  from public;
revoke all on table kaart.initiative_cell, kaart.region_tile_geom from public;
