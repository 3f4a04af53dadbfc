-- Test of the code lists (sql/migrate/codelists.sql): every row of the ref code tables, every
-- value and label, and the whole of api.codelists_json() (/codelists) equal geo/codelists.json,
-- their one source. Changes nothing. Run from the checkout:
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/codelists.sql      (prints "ok - ..." per check)
\set source `cat geo/codelists.json`
\ir prologue.psql
select set_config('test.source', :'source', true) is not null as set \gset

-- each table both ways: a row of the source that ref lacks, or a row of ref that the source lacks
do $$
declare
  src jsonb := pg_temp.v('source')::jsonb;
  t text;
  extra text;
begin
  foreach t in array '{route_kind,leerweg,profiel,niveau,opleidingsdomein,agreement_topic,region_type}'::text[] loop
    execute format('select string_agg(d, ''; '') from (
                      (select to_jsonb(s)::text as d from jsonb_populate_recordset(null::ref.%1$I, $1) s
                       except select to_jsonb(r)::text from ref.%1$I r)
                      union all
                      (select ''ref only: '' || to_jsonb(r)::text from ref.%1$I r
                       except select ''ref only: '' || to_jsonb(s)::text from jsonb_populate_recordset(null::ref.%1$I, $1) s)) x',
                   t)
      into extra using src -> t;
    assert extra is null, format('ref.%s differs from the source: %s', t, extra);
    perform pg_temp.ok(format('ref.%s holds every row of the source, value for value, and no other', t));
  end loop;
  select string_agg(x, '; ') into extra from (
    (select p ->> 'code' || ':' || d as x
       from jsonb_array_elements(src -> 'profiel') p, jsonb_array_elements_text(p -> 'domeinen') d
     except select profiel || ':' || domein from ref.profiel_domein)
    union all
    (select 'ref only: ' || profiel || ':' || domein from ref.profiel_domein
     except select 'ref only: ' || (p ->> 'code') || ':' || d
       from jsonb_array_elements(src -> 'profiel') p, jsonb_array_elements_text(p -> 'domeinen') d)) y;
  assert extra is null, format('ref.profiel_domein differs from the source: %s', extra);
  perform pg_temp.ok('ref.profiel_domein is the profielen''s domeinen of the source');
end
$$;

-- /codelists, built from the source independently of ref: the same document, key for key
do $$
declare
  src jsonb := pg_temp.v('source')::jsonb;
  want jsonb;
  got jsonb := api.codelists_json()::jsonb;
  pick constant text[][] := '{{route_kinds,route_kind,code label},{leerwegen,leerweg,code label},
                              {niveaus,niveau,niveau label allowed_for_routes},
                              {opleidingsdomeinen,opleidingsdomein,code label},
                              {region_types,region_type,type prefix label},
                              {agreement_topics,agreement_topic,code label required}}';
begin
  want := jsonb_build_object('profielen',
    (select jsonb_agg(jsonb_build_object('code', p -> 'code', 'afkorting', p -> 'afkorting', 'label', p -> 'label',
                                         'opleidingsdomeinen', (select jsonb_agg(d order by d) from jsonb_array_elements(p -> 'domeinen') d))
                      order by n)
       from jsonb_array_elements(src -> 'profiel') with ordinality e(p, n)));
  for i in 1 .. array_length(pick, 1) loop
    want := want || jsonb_build_object(pick[i][1],
      (select jsonb_agg((select jsonb_object_agg(k, r -> k) from unnest(string_to_array(pick[i][3], ' ')) k) order by n)
         from jsonb_array_elements(src -> pick[i][2]) with ordinality e(r, n)));
  end loop;
  assert got = want, format('api.codelists_json() differs from the source: %s, want %s', got, want);
  perform pg_temp.ok('api.codelists_json() (/codelists) is the source, every code, label and value in its order');
end
$$;

rollback;
