-- The other answers the service used to put together in its own SQL: the moderation queue's page,
-- the overview documents, the contact list as JSON, and the time to the next midnight of the
-- listener. Each returns what that SQL returned, byte for byte, in named columns.
set local role routekaart_owner;

-- GET /admin/submissions: {status, numberMatched, items} (routekaart_app).
create function api.moderation_page(status text, lim integer, off integer) returns table (page text)
language sql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select json_build_object('status', $1, 'numberMatched', api.moderation_count($1),
                           'items', api.moderation_queue($1, $2, $3))::text
$$;

comment on function api.moderation_page(text, integer, integer) is
  'A page of a moderation queue with its number of entries, as the JSON the service answers';

-- GET /overviews/{type}?f=geojson: the FeatureCollection of api.overview_geojson, and with a code
-- only that region's Feature; matched is the number of Features of that region (0: no such
-- region), 1 without a code.
create function api.overview_features(region_type text, as_of date, simplify float8, code text default null)
returns table (geojson text, matched bigint)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select api.overview_geojson($1, $2, $3), 1::bigint
  where $4 is null
  union all
  select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f), '[]'))::text, count(f)
  from json_array_elements(api.overview_geojson($1, $2, $3)::json -> 'features') f
  where $4 is not null and f ->> 'id' = $4
  having $4 is not null
$$;

comment on function api.overview_features(text, date, float8, text) is
  'The overview of a region type (or of one region) as a GeoJSON FeatureCollection';

-- GET /overviews/{type}[/{code}]: {region_type, as_of, regions} (as_of: the day, today in the
-- Netherlands when NULL).
create function api.overview_document(region_type text, as_of date, code text default null)
returns table (document text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select json_build_object('region_type', $1,
                           'as_of', coalesce($2, (now() at time zone 'Europe/Amsterdam')::date),
                           'regions', api.overview($1, $2, $3))::text
$$;

comment on function api.overview_document(text, date, text) is
  'The overview figures of a region type (or one region) as of a day, as the JSON the service answers';

-- GET /overviews/{type}/{code}/contacts: api.region_contacts as a JSON array (routekaart_app).
create function api.region_contacts_json(region_type text, code text) returns table (contacts text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select coalesce(json_agg(c), '[]')::text from api.region_contacts($1, $2) c
$$;

comment on function api.region_contacts_json(text, text) is 'api.region_contacts as a JSON array; personal data';

-- Seconds until the next midnight in Europe/Amsterdam, from the database's time zone data: when
-- the response cache's "today" ends.
create function api.seconds_to_midnight() returns table (seconds numeric)
language sql stable
set search_path = pg_catalog, public, pg_temp
as $$
  select extract(epoch from ((date_trunc('day', now() at time zone 'Europe/Amsterdam')
                              + interval '1 day') at time zone 'Europe/Amsterdam') - now())
$$;

comment on function api.seconds_to_midnight() is 'Seconds until the next midnight in the Netherlands';

-- Privileges ----------------------------------------------------------------------------------
grant execute on function
  api.overview_features(text, date, float8, text),
  api.overview_document(text, date, text),
  api.seconds_to_midnight()
to routekaart_web;
grant execute on function
  api.moderation_page(text, integer, integer),
  api.region_contacts_json(text, text)
to routekaart_app;
-- the response cache listens for changes on the primary, as the write role (a standby cannot LISTEN)
grant execute on function api.seconds_to_midnight() to routekaart_app;
