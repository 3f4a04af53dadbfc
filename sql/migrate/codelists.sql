-- The code lists into the ref tables: geo/codelists.json, their one source, is what ref holds
-- after every migrate.sh run. migrate.sh runs this after the migrations and before the api, in the
-- api's transaction, with the source's text in the setting routekaart.codelists.
--
-- Each list's rows are upserted (a row whose values are the same is not touched, so a run that
-- changes nothing writes nothing), ref.profiel_domein follows the profielen's "domeinen", and a
-- code the source no longer has is deleted: a code still in use fails the run through the foreign
-- keys (route kinds, region types, profiel_domein) or through the check at the end (the code
-- arrays of kaart.initiative). Reordering two codes of a list in one run trips the unique sort;
-- give one a free number first.
set local role routekaart_owner;

do $$
declare
  src jsonb := current_setting('routekaart.codelists')::jsonb;
  tab text;
  literal text[];
  want text[];
  c record;
begin
  if jsonb_typeof(src) <> 'object' then
    raise exception 'code lists: the source is not a JSON object';
  end if;
  -- each list in the source is the rows of its ref table: an object per row, its keys the columns
  foreach tab in array '{route_kind,leerweg,profiel,niveau,opleidingsdomein,agreement_topic,region_type,party_role}'::text[] loop
    if jsonb_typeof(src -> tab) is distinct from 'array' or jsonb_array_length(src -> tab) = 0 then
      raise exception 'code lists: the source has no list "%"', tab;
    end if;
  end loop;

  insert into ref.route_kind as t (code, label, description, sort)
  select code, label, description, sort from jsonb_populate_recordset(null::ref.route_kind, src -> 'route_kind')
  on conflict (code) do update set (label, description, sort) = (excluded.label, excluded.description, excluded.sort)
    where (t.label, t.description, t.sort) is distinct from (excluded.label, excluded.description, excluded.sort);

  insert into ref.leerweg as t (code, label, sort)
  select code, label, sort from jsonb_populate_recordset(null::ref.leerweg, src -> 'leerweg')
  on conflict (code) do update set (label, sort) = (excluded.label, excluded.sort)
    where (t.label, t.sort) is distinct from (excluded.label, excluded.sort);

  insert into ref.profiel as t (code, afkorting, label, sort)
  select code, afkorting, label, sort from jsonb_populate_recordset(null::ref.profiel, src -> 'profiel')
  on conflict (code) do update set (afkorting, label, sort) = (excluded.afkorting, excluded.label, excluded.sort)
    where (t.afkorting, t.label, t.sort) is distinct from (excluded.afkorting, excluded.label, excluded.sort);

  insert into ref.niveau as t (niveau, label, allowed_for_routes)
  select niveau, label, allowed_for_routes from jsonb_populate_recordset(null::ref.niveau, src -> 'niveau')
  on conflict (niveau) do update set (label, allowed_for_routes) = (excluded.label, excluded.allowed_for_routes)
    where (t.label, t.allowed_for_routes) is distinct from (excluded.label, excluded.allowed_for_routes);

  insert into ref.opleidingsdomein as t (code, label)
  select code, label from jsonb_populate_recordset(null::ref.opleidingsdomein, src -> 'opleidingsdomein')
  on conflict (code) do update set label = excluded.label where t.label is distinct from excluded.label;

  insert into ref.agreement_topic as t (code, label, required, sort)
  select code, label, required, sort from jsonb_populate_recordset(null::ref.agreement_topic, src -> 'agreement_topic')
  on conflict (code) do update set (label, required, sort) = (excluded.label, excluded.required, excluded.sort)
    where (t.label, t.required, t.sort) is distinct from (excluded.label, excluded.required, excluded.sort);

  insert into ref.region_type as t (type, prefix, label, sort)
  select type, prefix, label, sort from jsonb_populate_recordset(null::ref.region_type, src -> 'region_type')
  on conflict (type) do update set (prefix, label, sort) = (excluded.prefix, excluded.label, excluded.sort)
    where (t.prefix, t.label, t.sort) is distinct from (excluded.prefix, excluded.label, excluded.sort);

  -- which opleidingsdomeinen each profiel usually leads to
  delete from ref.profiel_domein pd
   where not exists (select 1 from jsonb_array_elements(src -> 'profiel') p,
                                   jsonb_array_elements_text(p -> 'domeinen') d
                      where p ->> 'code' = pd.profiel and d = pd.domein);
  insert into ref.profiel_domein (profiel, domein)
  select p ->> 'code', d
    from jsonb_array_elements(src -> 'profiel') p, jsonb_array_elements_text(p -> 'domeinen') d
  on conflict do nothing;

  -- the codes the source no longer has, children before parents
  delete from ref.region_type where type::text not in (select e ->> 'type' from jsonb_array_elements(src -> 'region_type') e);
  delete from ref.agreement_topic where code::text not in (select e ->> 'code' from jsonb_array_elements(src -> 'agreement_topic') e);
  delete from ref.opleidingsdomein where code::text not in (select e ->> 'code' from jsonb_array_elements(src -> 'opleidingsdomein') e);
  delete from ref.niveau where niveau::text not in (select e ->> 'niveau' from jsonb_array_elements(src -> 'niveau') e);
  delete from ref.profiel where code::text not in (select e ->> 'code' from jsonb_array_elements(src -> 'profiel') e);
  delete from ref.leerweg where code::text not in (select e ->> 'code' from jsonb_array_elements(src -> 'leerweg') e);
  delete from ref.route_kind where code::text not in (select e ->> 'code' from jsonb_array_elements(src -> 'route_kind') e);

  -- kaart.initiative's CHECKs spell out the codes its arrays may hold: a CHECK cannot read a
  -- table, and databases of before the split have them as they are. They must be the lists.
  for c in
    select * from (values
      ('initiative_leerwegen_check', array(select code from ref.leerweg order by sort)),
      ('initiative_profielen_check', array(select code from ref.profiel order by sort)),
      ('initiative_niveaus_check', array(select niveau::text from ref.niveau where allowed_for_routes order by niveau)),
      ('initiative_opleidingsdomeinen_check', array(select code from ref.opleidingsdomein order by code)),
      ('initiative_agreement_topics_check', array(select code from ref.agreement_topic order by sort)))
      v(name, codes)
  loop
    select substring(pg_get_constraintdef(k.oid) from '<@ ''(\{[^}]*\})''')::text[] into literal
      from pg_constraint k where k.conname = c.name and k.conrelid = 'kaart.initiative'::regclass;
    if literal is distinct from c.codes then
      raise exception 'code lists: % allows %, the code list is %', c.name, literal, c.codes
        using hint = 'A changed code list needs a migration that replaces the CHECK of kaart.initiative.';
    end if;
  end loop;
  select array_agg(m[1] order by n) into literal
    from pg_constraint k,
         regexp_matches(pg_get_constraintdef(k.oid), '''([^'']*)''::text', 'g') with ordinality r(m, n)
   where k.conname = 'party_role_check' and k.conrelid = 'kaart.party'::regclass;
  select array_agg(e ->> 'code' order by n) into want
    from jsonb_array_elements(src -> 'party_role') with ordinality e(e, n);
  if literal is distinct from want then
    raise exception 'code lists: party_role_check allows %, the code list is %', literal, want
      using hint = 'A changed code list needs a migration that replaces the CHECK of kaart.party.';
  end if;
end
$$;

reset role;
