-- Test of the api functions that replace the SQL the service held in its C files (sql/README.md,
-- "Calls of the service"): each returns, column for column and byte for byte, what the service's
-- statement returned, for a range of parameters. The statements are quoted here as the service
-- sent them, with their parameters as $n. Runs in one transaction that is rolled back. Needs the
-- reference data and the demo data; run it as a superuser.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/service_calls.sql      (prints "ok - ..." per check)
\ir prologue.psql

-- same(what, old statement, new statement, parameters as text): both give the same rows. The
-- statements are prepared without parameter types, as the service's were (PQexecParams), so that
-- PostgreSQL infers them from the statement.
create function pg_temp.run(name text, statement text, p text[]) returns text language plpgsql as $$
declare
  n integer;
  result text;
begin
  execute format('prepare %I as select coalesce(string_agg(t::text, E''\n''), ''(none)'') from (%s) t', name, statement);
  select coalesce(cardinality(parameter_types), 0) into n from pg_prepared_statements where pg_prepared_statements.name = run.name;
  if n = 0 then
    execute format('execute %I', name) into result;
  else
    execute format('execute %I(%s)', name, (select string_agg(quote_nullable(p[k]), ', ' order by k) from generate_series(1, n) k))
      into result;
  end if;
  execute format('deallocate %I', name);
  return result;
end
$$;

create function pg_temp.same(what text, old text, new text, p text[]) returns void language plpgsql as $$
declare
  a text := pg_temp.run('old_statement', old, p);
  b text := pg_temp.run('new_statement', new, p);
begin
  if a is distinct from b then
    raise exception 'FAILED: % differs for %: % versus %', what, p, left(a, 300), left(b, 300);
  end if;
end
$$;

-- The statement of service/initiatives.c (items_sql) and api.initiative_items.
do $$
declare
  p text[];
  n integer := 0;
begin
  foreach p slice 1 in array array[
    array[null, null, null, null, null, null, null, null, null, null, null, '100', '0'],
    array[null, '{AM13,PV26}', null, '{3}', null, null, null, null, null, null, null, '10', '0'],
    array[null, null, '{doorlopende_leerroute}', '{3}', '{ZW,EO}', null, null, null, null, null, '100', '5', '0'],
    array['{4.8,52.0,5.3,52.4}', null, null, null, null, '{BB}', '{o}', null, 'zorg', '{2025,2026}', null, '20', '3'],
    array[null, '{XX99,AM13}', null, null, null, null, null, '{99AA}', null, null, null, '10', '0'],
    array[null, null, null, null, null, null, null, null, 'nergens-te-vinden', null, null, '10', '0']]::text[]
  loop
    perform pg_temp.same('the items page',
      'select p.unknown_regions, p.matched, cardinality(p.ids),'
      '       (select coalesce(string_agg(json_build_object('
      '          ''type'', ''Feature'', ''id'', id,'
      '          ''geometry'', st_asgeojson(geom, 6)::json,'
      '          ''properties'', json_build_object('
      '            ''id'', id, ''name'', name, ''route_kind'', route_kind, ''leerwegen'', leerwegen,'
      '            ''profielen'', profielen, ''niveaus'', niveaus, ''opleidingsdomeinen'', opleidingsdomeinen,'
      '            ''crebo'', crebo, ''start_year'', start_year, ''place'', place, ''website'', website,'
      '            ''mailbox'', mailbox, ''region_codes'', region_codes, ''published_at'', published_at)'
      '        )::text, '','' order by id), '''') from api.initiatives where id = any (p.ids)),'
      '       p.estimated, p.more, p.ids[cardinality(p.ids)]'
      '  from api.initiative_page($1::float8[], $2::text[], $3::text[], $4::int[], $5::text[],'
      '                           $6::text[], $7::text[], $8::text[], $9::text, $10::int[],'
      '                           $11::bigint, $12::int, $13::int) p',
      'select * from api.initiative_items($1::float8[], $2::text[], $3::text[], $4::int[], $5::text[],'
      '  $6::text[], $7::text[], $8::text[], $9::text, $10::int[], $11::bigint, $12::int, $13::int)', p);
    n := n + 1;
  end loop;
  perform pg_temp.ok(format('api.initiative_items returns what the items statement returned (%s pages)', n));
end
$$;

do $$
declare
  id text;
begin
  foreach id in array array[(select min(i.id)::text from api.initiatives i), (select max(i.id)::text from api.initiatives i), '0',
                            (select min(i.id)::text from kaart.initiative i where i.status <> 'published')] loop
    perform pg_temp.same('the item',
      'select json_build_object('
      '  ''type'', ''Feature'', ''id'', id,'
      '  ''geometry'', st_asgeojson(geom, 6)::json,'
      '  ''properties'', json_build_object('
      '    ''id'', id, ''name'', name, ''route_kind'', route_kind, ''leerwegen'', leerwegen,'
      '    ''profielen'', profielen, ''niveaus'', niveaus, ''opleidingsdomeinen'', opleidingsdomeinen,'
      '    ''crebo'', crebo, ''start_year'', start_year, ''description'', description, ''place'', place,'
      '    ''website'', website, ''mailbox'', mailbox, ''region_codes'', region_codes,'
      '    ''parties'', parties, ''conditions'', conditions, ''regions'', regions, ''contacts'', contacts,'
      '    ''published_at'', published_at, ''updated_at'', updated_at))::text'
      '  from api.initiatives where id = $1::bigint',
      'select * from api.initiative_item($1::bigint)', array[id]);
  end loop;
  perform pg_temp.ok('api.initiative_item returns what the item statement returned (and no row for none)');
end
$$;

-- service/initiatives.c (clusters_sql): its parameters are zoom, bbox and the filters in the order
-- of the items; it handed them to api.initiative_clusters in that function's order.
do $$
declare
  p text[];
begin
  foreach p slice 1 in array array[
    array['5', null, null, null, null, null, null, null, null, null, null],
    array['9', '{4.8,52.0,5.3,52.4}', null, '{leerlab,samenwerking}', null, null, null, null, null, null, null],
    array['14', '{5.0,52.0,5.2,52.2}', null, null, '{3}', '{ZW}', '{KB}', null, null, null, null],
    array['7', null, '{PV26,XX00}', null, '{2,4}', null, '{BB,GL}', '{c,o}', null, 'zorg', '{2024,2025}']]::text[]
  loop
    perform pg_temp.same('the clusters',
      'with k as ('
      '  select * from api.initiative_clusters($1::int, $2::float8[], $3::text[], $4::text[],'
      '                                        $7::text[], $6::text[], $5::int[], $8::text[],'
      '                                        $9::text[], $10::text, $11::int[]))'
      'select (select string_agg(c, '','' order by c) from unnest($3::text[]) c'
      '         where not exists (select 1 from api.regions r where r.code = c)),'
      '       (select count(*) from k), (select coalesce(sum(count), 0) from k),'
      '       (select coalesce(string_agg(json_build_object('
      '          ''type'', ''Feature'','
      '          ''geometry'', json_build_object(''type'', ''Point'','
      '                                        ''coordinates'', json_build_array(round(lon::numeric, 6), round(lat::numeric, 6))),'
      '          ''properties'', json_strip_nulls(json_build_object('
      '            ''count'', count, ''route_kind_counts'', route_kind_counts, ''id'', id)))::text,'
      '          '','' order by count desc, lon, lat), '''') from k)',
      'select * from api.initiative_cluster_features($1::int, $2::float8[], $3::text[], $4::text[], $5::int[],'
      '  $6::text[], $7::text[], $8::text[], $9::text[], $10::text, $11::int[])', p);
  end loop;
  perform pg_temp.ok('api.initiative_cluster_features returns what the clusters statement returned');
end
$$;

-- service/schools.c (SCHOOL_PROPERTIES)
select set_config('test.school_properties',
  '''vestigingscode'', vestigingscode, ''brin'', brin, ''name'', name, ''address'', address,'
  ' ''postcode'', postcode, ''plaats'', plaats, ''gemeente_code'', gemeente_code,'
  ' ''region_codes'', region_codes, ''vmbo'', vmbo, ''onderwijsstructuur'', onderwijsstructuur,'
  ' ''leerwegen'', leerwegen, ''website'', website, ''route_count'', route_count', true);
do $$
declare
  p text[];
begin
  foreach p slice 1 in array array[
    array[null, null, null, null, null, '100', '0'],
    array['{4.8,52.0,5.3,52.4}', null, null, 'true', null, '10', '2'],
    array[null, '{AM13,ZZ00}', null, null, 'college', '50', '0'],
    array[null, null, (select '{' || min(brin) || '}' from ref.school_location), 'false', null, '5', '0']]::text[]
  loop
    perform pg_temp.same('the schools page',
      'with m as ('
      '  select s.* from api.schools s'
      '   where ($1::float8[] is null or s.geom && st_makeenvelope($1[1], $1[2], $1[3], $1[4], 4326))'
      '     and ($2::text[] is null or s.region_codes && $2::text[])'
      '     and ($3::text[] is null or s.brin = any($3::text[]))'
      '     and ($4::bool is null or s.vmbo = $4::bool)'
      '     and ($5::text is null or strpos(lower(s.name || '' '' || s.plaats), lower($5::text)) > 0)'
      '), page as ('
      '  select * from m order by vestigingscode limit $6::int offset $7::int'
      ')'
      'select (select string_agg(c, '','') from unnest($2::text[]) c'
      '         where not exists (select 1 from api.regions r where r.code = c)),'
      '       (select count(*) from m),'
      '       (select count(*) from page),'
      '       (select coalesce(string_agg(json_build_object('
      '          ''type'', ''Feature'', ''id'', vestigingscode,'
      '          ''geometry'', st_asgeojson(geom, 6)::json,'
      '          ''properties'', json_build_object(' || pg_temp.v('school_properties') || ')'
      '        )::text, '','' order by vestigingscode), '''') from page)',
      'select * from api.school_items($1::float8[], $2::text[], $3::text[], $4::boolean, $5::text, $6::int, $7::int)', p);
  end loop;
  foreach p slice 1 in array array[array[(select min(vestigingscode) from ref.school_location)], array['00XX00']] loop
    perform pg_temp.same('the school',
      'select json_build_object(''type'', ''Feature'', ''id'', vestigingscode,'
      '  ''geometry'', st_asgeojson(geom, 6)::json,'
      '  ''properties'', json_build_object(' || pg_temp.v('school_properties') || '))::text'
      '  from api.schools where vestigingscode = $1::text',
      'select * from api.school_item($1::text)', p);
  end loop;
  perform pg_temp.ok('api.school_items and api.school_item return what the schools statements returned');
end
$$;

-- service/regions.c (REGION_FEATURE; the item's parameters were type, simplify, code)
select set_config('test.region_feature',
  'json_build_object(''type'', ''Feature'', ''id'', code,'
  '  ''geometry'', st_asgeojson(case when $2::float8 > 0 then st_snaptogrid(geom, $2::float8)'
  '                                else geom end, 6)::json,'
  '  ''properties'', json_build_object(''type'', type, ''code'', code, ''year'', year, ''name'', name,'
  '                                  ''initiative_count'', initiative_count))::text', true);
do $$
declare
  p text[];
begin
  foreach p slice 1 in array array[
    array['provincie', '0', null, '100', '0'],
    array['gemeente', '0.005', '{4.8,52.0,5.3,52.4}', '10', '3'],
    array['arbeidsmarktregio', '0.01', null, '5', '30']]::text[]
  loop
    perform pg_temp.same('the regions page',
      'with m as ('
      '  select * from api.regions g'
      '   where g.type = $1::text'
      '     and g.year = (select max(year) from api.regions where type = $1::text)'
      '     and ($3::float8[] is null or g.geom && st_makeenvelope($3[1], $3[2], $3[3], $3[4], 4326))'
      '), page as ('
      '  select * from m order by code limit $4::int offset $5::int'
      ')'
      'select null::text, (select count(*) from m), (select count(*) from page),'
      '       (select coalesce(string_agg(' || pg_temp.v('region_feature') || ', '','' order by code), '''') from page)',
      'select * from api.region_items($1::text, $2::float8, $3::float8[], $4::int, $5::int)', p);
  end loop;
  foreach p slice 1 in array array[array['gemeente', '0', 'GM0363'], array['provincie', '0.01', 'PV26'],
                                   array['rmc', '0', 'PV26'], array['gemeente', '0', 'GM9999']]::text[] loop
    perform pg_temp.same('the region',
      'select ' || pg_temp.v('region_feature') || ' from api.regions'
      ' where type = $1::text and code = $3::text'
      ' order by year desc limit 1',
      'select * from api.region_item($1::text, $3::text, $2::float8)', p);
  end loop;
  perform pg_temp.ok('api.region_items and api.region_item return what the regions statements returned');
end
$$;

-- service/admin.c, service/overviews.c, service/cache.c
do $$
declare
  p text[];
begin
  foreach p slice 1 in array array[array['pending', '100', '0'], array['published', '5', '2'], array['rejected', '10', '0']]::text[] loop
    perform pg_temp.same('the moderation queue',
      'select json_build_object(''status'', $1::text, ''numberMatched'', api.moderation_count($1::text),'
      ' ''items'', api.moderation_queue($1::text, $2::int, $3::int))::text',
      'select * from api.moderation_page($1::text, $2::int, $3::int)', p);
  end loop;
  foreach p slice 1 in array array[array['provincie', null, '0.01'], array['arbeidsmarktregio', '2025-09-01', '0']]::text[] loop
    perform pg_temp.same('the overview as GeoJSON',
      'select api.overview_geojson($1::text, $2::date, $3::float8), 1',
      'select * from api.overview_features($1::text, $2::date, $3::float8)', p);
  end loop;
  foreach p slice 1 in array array[array['provincie', null, '0.01', 'PV26'], array['gemeente', null, '0', 'GM0000']]::text[] loop
    perform pg_temp.same('the overview of a region as GeoJSON',
      'select json_build_object(''type'', ''FeatureCollection'', ''features'','
      ' coalesce(json_agg(f), ''[]''))::text, count(f)'
      ' from json_array_elements(api.overview_geojson($1::text, $2::date, $3::float8)::json'
      ' -> ''features'') f where f ->> ''id'' = $4::text',
      'select * from api.overview_features($1::text, $2::date, $3::float8, $4::text)', p);
  end loop;
  foreach p slice 1 in array array[array['provincie', null, null], array['gemeente', '2025-09-01', 'GM0363'],
                                   array['rmc', null, 'MC00']]::text[] loop
    perform pg_temp.same('the overview',
      'select json_build_object(''region_type'', $1::text,'
      ' ''as_of'', coalesce($2::date, (now() at time zone ''Europe/Amsterdam'')::date),'
      ' ''regions'', api.overview($1::text, $2::date, $3::text))::text',
      'select * from api.overview_document($1::text, $2::date, $3::text)', p);
  end loop;
  foreach p slice 1 in array array[array['gemeente', 'GM0363'], array['provincie', 'PV00']]::text[] loop
    perform pg_temp.same('the contacts of a region',
      'select coalesce(json_agg(c), ''[]'')::text from api.region_contacts($1::text, $2::text) c',
      'select * from api.region_contacts_json($1::text, $2::text)', p);
  end loop;
  perform pg_temp.same('the seconds to midnight',
    'select extract(epoch from ((date_trunc(''day'', now() at time zone ''Europe/Amsterdam'')'
    ' + interval ''1 day'') at time zone ''Europe/Amsterdam'') - now())',
    'select * from api.seconds_to_midnight()', '{}');
  perform pg_temp.ok('api.moderation_page, api.overview_features, api.overview_document, api.region_contacts_json '
                     'and api.seconds_to_midnight return what the statements of admin.c, overviews.c and cache.c returned');
end
$$;

-- who may call them: as the service's statements could
do $$
declare
  f text;
begin
  foreach f in array array['api.initiative_items(float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[], bigint, integer, integer)',
                           'api.initiative_item(bigint)',
                           'api.initiative_cluster_features(integer, float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[])',
                           'api.school_items(float8[], text[], text[], boolean, text, integer, integer)', 'api.school_item(text)',
                           'api.region_items(text, float8, float8[], integer, integer)', 'api.region_item(text, text, float8)',
                           'api.overview_features(text, date, float8, text)', 'api.overview_document(text, date, text)',
                           'api.seconds_to_midnight()'] loop
    assert has_function_privilege('routekaart_web', f, 'execute'), f || ' for routekaart_web';
    assert not has_function_privilege('routekaart_app', f, 'execute'), f || ' not for routekaart_app';
  end loop;
  foreach f in array array['api.moderation_page(text, integer, integer)', 'api.region_contacts_json(text, text)'] loop
    assert has_function_privilege('routekaart_app', f, 'execute'), f || ' for routekaart_app';
    assert not has_function_privilege('routekaart_web', f, 'execute'), f || ' not for routekaart_web';
  end loop;
  assert not has_function_privilege('routekaart_web', 'kaart.matching_initiatives(float8[], text[], text[], integer[], text[], text[], text[], text[], text, integer[])', 'execute');
  perform pg_temp.ok('routekaart_web may call the public reads, routekaart_app the moderation page and the contacts, neither kaart.matching_initiatives');
end
$$;

rollback;
