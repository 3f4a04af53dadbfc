-- The submission document and the tables: reading a document into an initiative with its parties
-- and contact persons, writing an initiative back as a document, comparing two documents, and
-- erasing a person (AVG). Internal to the api functions of api/50_submissions.sql and
-- api/55_moderation.sql; nobody else may call them.
--
-- The document (the service has checked its shape; absent optional fields may be missing or null):
--   {"name", "route_kind", "leerwegen": [..], "profielen": [..], "niveaus": [..], "opleidingsdomeinen": [..],
--    "crebo": [..], "start_year", "description", "website", "mailbox",
--    "location": {"vestigingscode"} | {"lon", "lat"} | absent (= the first vo party's school location),
--    "conditions": {"agreement_signed_on", "agreement_topics": [..], "rio_registered", "combined_pta_oer",
--                   "cohort_guarantee"},
--    "parties": [{"role": "vo", "vestigingscode"} | {"role": "mbo", "brin"} | {"role": "mbo", "vestigingscode"}
--               | {"role": "bedrijf", "kvk", "name", "plaats"} | {"role": "overig", "name", "plaats"}],
--    "contacts": [{"id"?, "name", "function", "email", "phone", "sbo_contact", "public_consent"}]}
-- Values the service should have refused are left to the constraints and triggers of kaart, which raise with
-- the constraint's name (23514 check, 23503 foreign key, 23502 not null).
set local role routekaart_owner;

-- JSON helpers ----------------------------------------------------------------------------------

-- The elements of a JSON array as text (JSON null → NULL); NULL when it is not an array.
create function kaart.jtext_array(j jsonb) returns text[]
language sql immutable parallel safe
return case when jsonb_typeof(j) = 'array' then array(select jsonb_array_elements_text(j)) end;

-- The elements of a JSON array as integers; NULL when it is not an array.
create function kaart.jint_array(j jsonb) returns integer[]
language sql immutable parallel safe
return case when jsonb_typeof(j) = 'array' then array(select e::integer from jsonb_array_elements_text(j) e) end;

-- A JSON array, or the empty array for anything else.
create function kaart.jarray(j jsonb) returns jsonb
language sql immutable parallel safe
return case when jsonb_typeof(j) = 'array' then j else '[]'::jsonb end;

-- A person's name as kaart.contact_person stores it (one space between words), lower case, for
-- recognising the same name.
create function kaart.name_key(v text) returns text
language sql immutable parallel safe
return lower(btrim(regexp_replace(v, '\s+', ' ', 'g')));

-- Whether a point is in the Netherlands: within about 2 km of a gemeente of the current division
-- (ref.gemeente_at). Coordinates outside the country's box are refused without a spatial query.
create function kaart.point_in_netherlands(lon numeric, lat numeric) returns boolean
language sql stable
return case when lon between 3.0 and 7.5 and lat between 50.6 and 53.8
            then ref.gemeente_at(st_setsrid(st_makepoint(lon::float8, lat::float8), 4326), ref.current_year()) is not null
            else false end;

-- Reading a document ------------------------------------------------------------------------------

-- The first vo party (in document order) whose school location is known: the default location.
create function kaart.doc_default_location(doc jsonb) returns text
language sql stable
return (select s.vestigingscode
        from jsonb_array_elements(kaart.jarray(doc -> 'parties')) with ordinality p(e, n)
        join ref.school_location s on s.vestigingscode = p.e ->> 'vestigingscode'
        where p.e ->> 'role' = 'vo'
        order by p.n
        limit 1);

-- The columns of kaart.initiative that a document sets. The location is a school location
-- (location_vestiging; the row trigger takes its point) or a point (geom).
create function kaart.doc_fields(doc jsonb,
  out name text, out route_kind text, out leerwegen text[], out profielen text[], out niveaus integer[],
  out opleidingsdomeinen text[], out crebo text[], out start_year integer, out description text,
  out website text, out mailbox text, out location_vestiging text, out geom geometry,
  out agreement_signed_on date, out agreement_topics text[], out rio_registered boolean,
  out combined_pta_oer boolean, out cohort_guarantee boolean)
language plpgsql stable as $$
declare
  loc jsonb := doc -> 'location';
  cond jsonb := doc -> 'conditions';
  lon numeric;
  lat numeric;
begin
  if jsonb_typeof(doc) is distinct from 'object' then
    raise exception 'the submission document is not a JSON object' using errcode = 'invalid_parameter_value';
  end if;
  if jsonb_typeof(cond) is distinct from 'object' then
    cond := '{}';
  end if;
  name := doc ->> 'name';
  route_kind := doc ->> 'route_kind';
  leerwegen := kaart.jtext_array(doc -> 'leerwegen');
  profielen := coalesce(kaart.jtext_array(doc -> 'profielen'), '{}');
  niveaus := kaart.jint_array(doc -> 'niveaus');
  opleidingsdomeinen := kaart.jtext_array(doc -> 'opleidingsdomeinen');
  crebo := coalesce(kaart.jtext_array(doc -> 'crebo'), '{}');
  start_year := (doc ->> 'start_year')::integer;
  description := doc ->> 'description';
  website := doc ->> 'website';
  mailbox := doc ->> 'mailbox';
  agreement_signed_on := (cond ->> 'agreement_signed_on')::date;
  agreement_topics := coalesce(kaart.jtext_array(cond -> 'agreement_topics'), '{}');
  rio_registered := (cond ->> 'rio_registered')::boolean;
  combined_pta_oer := (cond ->> 'combined_pta_oer')::boolean;
  cohort_guarantee := (cond ->> 'cohort_guarantee')::boolean;

  if jsonb_typeof(loc) = 'object' and loc ->> 'vestigingscode' is not null then
    location_vestiging := loc ->> 'vestigingscode';
  elsif jsonb_typeof(loc) = 'object' then
    lon := (loc ->> 'lon')::numeric;
    lat := (loc ->> 'lat')::numeric;
    if lon is not null and lat is not null then
      if not (lon between -180 and 180 and lat between -90 and 90) then
        raise exception 'the point (%, %) is not in the Netherlands', lon, lat
          using errcode = 'check_violation', constraint = 'initiative_geom_in_netherlands',
                table = 'initiative', schema = 'kaart', column = 'geom';
      end if;
      geom := st_setsrid(st_makepoint(lon::float8, lat::float8), 4326);
    end if;
    -- otherwise no location at all: the NOT NULL constraint on geom reports it
  else
    location_vestiging := kaart.doc_default_location(doc);
  end if;
end
$$;

-- Organisations of parties. Companies are found by KvK number and others by name and place, and
-- created when missing (their name and place are taken only then). mbo institutions must exist:
-- in kaart.organisation, or as mbo school locations of that BRIN (then the institution is created
-- from its first location).
create function kaart.company_id(kvk text, name text, plaats text) returns bigint
language plpgsql as $$
#variable_conflict use_column
declare
  org bigint;
begin
  if company_id.kvk is null then
    return null;   -- party_target_check reports it
  end if;
  select o.id into org from kaart.organisation o where o.kvk = company_id.kvk;
  if not found then
    insert into kaart.organisation (kind, kvk, name, plaats)
    values ('company', company_id.kvk, btrim(regexp_replace(company_id.name, '\s+', ' ', 'g')),
            nullif(btrim(company_id.plaats), ''))
    on conflict (kvk) where kvk is not null do nothing
    returning id into org;
    if org is null then   -- created concurrently
      select o.id into org from kaart.organisation o where o.kvk = company_id.kvk;
    end if;
  end if;
  return org;
end
$$;

create function kaart.other_organisation_id(name text, plaats text) returns bigint
language plpgsql as $$
#variable_conflict use_column
declare
  org bigint;
  n text := btrim(regexp_replace(other_organisation_id.name, '\s+', ' ', 'g'));
  p text := nullif(btrim(other_organisation_id.plaats), '');
begin
  if n is null then
    return null;   -- party_target_check reports it
  end if;
  select o.id into org from kaart.organisation o
  where o.kind = 'other' and lower(o.name) = lower(n) and lower(coalesce(o.plaats, '')) = lower(coalesce(p, ''));
  if not found then
    insert into kaart.organisation (kind, name, plaats) values ('other', n, p)
    on conflict (lower(name), lower(coalesce(plaats, ''))) where kind = 'other' do nothing
    returning id into org;
    if org is null then
      select o.id into org from kaart.organisation o
      where o.kind = 'other' and lower(o.name) = lower(n) and lower(coalesce(o.plaats, '')) = lower(coalesce(p, ''));
    end if;
  end if;
  return org;
end
$$;

create function kaart.mbo_organisation_id(brin text) returns bigint
language plpgsql as $$
#variable_conflict use_column
declare
  org bigint;
begin
  if mbo_organisation_id.brin is null then
    return null;   -- party_target_check reports it
  end if;
  select o.id into org from kaart.organisation o where o.brin = mbo_organisation_id.brin;
  if not found then
    insert into kaart.organisation (kind, brin, name, plaats, geom)
    select 'mbo', s.brin, s.name, s.plaats, s.geom
    from ref.school_location s
    where s.brin = mbo_organisation_id.brin and s.sector = 'mbo'
    order by s.vestigingscode
    limit 1
    on conflict (brin) where brin is not null do nothing
    returning id into org;
    if org is null then
      select o.id into org from kaart.organisation o where o.brin = mbo_organisation_id.brin;
    end if;
    if org is null then
      raise exception 'no mbo institution has BRIN %', mbo_organisation_id.brin
        using errcode = 'foreign_key_violation', constraint = 'party_organisation_id_fkey',
              table = 'party', schema = 'kaart', column = 'organisation_id';
    end if;
  end if;
  return org;
end
$$;

-- Make the parties of an initiative those of the document: parties no longer named are removed,
-- new ones added (in document order), the others left alone. A party named twice counts once.
create function kaart.apply_parties(initiative bigint, doc jsonb) returns void
language plpgsql as $$
declare
  p record;
  roles text[] := '{}';
  vests text[] := '{}';
  orgs bigint[] := '{}';
  vest text;
  org bigint;
begin
  for p in select e, n from jsonb_array_elements(kaart.jarray(doc -> 'parties')) with ordinality x(e, n) order by n loop
    vest := null;
    org := null;
    case p.e ->> 'role'
      when 'vo' then
        vest := p.e ->> 'vestigingscode';
      when 'mbo' then
        vest := p.e ->> 'vestigingscode';
        if vest is null then
          org := kaart.mbo_organisation_id(p.e ->> 'brin');
        end if;
      when 'bedrijf' then
        org := kaart.company_id(p.e ->> 'kvk', p.e ->> 'name', p.e ->> 'plaats');
      when 'overig' then
        org := kaart.other_organisation_id(p.e ->> 'name', p.e ->> 'plaats');
      else
        null;   -- party_role_check reports it
    end case;
    roles := roles || (p.e ->> 'role');
    vests := vests || vest;
    orgs := orgs || org;
  end loop;

  if exists (select 1 from kaart.party pa where pa.initiative_id = apply_parties.initiative) then
    delete from kaart.party pa
    where pa.initiative_id = apply_parties.initiative
      and not exists (select 1 from unnest(roles, vests, orgs) d(role, vest, org)
                      where d.role = pa.role and d.vest is not distinct from pa.vestigingscode
                        and d.org is not distinct from pa.organisation_id);
  end if;

  insert into kaart.party (initiative_id, role, vestigingscode, organisation_id)
  select apply_parties.initiative, d.role, d.vest, d.org
  from (select distinct on (u.vest, u.org) u.role, u.vest, u.org, u.n
        from unnest(roles, vests, orgs) with ordinality u(role, vest, org, n)
        order by u.vest, u.org, u.n) d
  where not exists (select 1 from kaart.party pa
                    where pa.initiative_id = apply_parties.initiative
                      and pa.vestigingscode is not distinct from d.vest
                      and pa.organisation_id is not distinct from d.org)
  order by d.n;
end
$$;

-- Make the contact persons of an initiative those of the document. An element whose "id" is a
-- contact person of this initiative updates that row (its id stays; consent keeps its original
-- time); the other elements are new rows; rows not named are deleted.
create function kaart.apply_contacts(initiative bigint, doc jsonb) returns void
language plpgsql as $$
declare
  items jsonb := kaart.jarray(doc -> 'contacts');
  keep_ids bigint[];
  keep_pos bigint[];
begin
  select coalesce(array_agg(k.cid), '{}'), coalesce(array_agg(k.n), '{}') into keep_ids, keep_pos
  from (select distinct on (x.cid) x.cid, x.n
        from (select case when e ->> 'id' ~ '^[0-9]{1,18}$' then (e ->> 'id')::bigint end as cid, n
              from jsonb_array_elements(items) with ordinality j(e, n)) x
        join kaart.contact_person c on c.id = x.cid and c.initiative_id = apply_contacts.initiative
        order by x.cid, x.n) k;

  delete from kaart.contact_person c
  where c.initiative_id = apply_contacts.initiative and c.id <> all (keep_ids);

  if cardinality(keep_ids) > 0 then
    update kaart.contact_person c
    set name = j.e ->> 'name',
        function = j.e ->> 'function',
        email = j.e ->> 'email',
        phone = j.e ->> 'phone',
        sbo_contact = coalesce((j.e ->> 'sbo_contact')::boolean, false),
        public_consent = coalesce((j.e ->> 'public_consent')::boolean, false),
        consent_at = case when coalesce((j.e ->> 'public_consent')::boolean, false)
                          then coalesce(c.consent_at, now()) end
    from unnest(keep_ids, keep_pos) k(cid, n)
    join jsonb_array_elements(items) with ordinality j(e, n) on j.n = k.n
    where c.id = k.cid;
  end if;

  insert into kaart.contact_person (initiative_id, name, function, email, phone, sbo_contact, public_consent, consent_at)
  select apply_contacts.initiative, j.e ->> 'name', j.e ->> 'function', j.e ->> 'email', j.e ->> 'phone',
         coalesce((j.e ->> 'sbo_contact')::boolean, false),
         coalesce((j.e ->> 'public_consent')::boolean, false),
         case when coalesce((j.e ->> 'public_consent')::boolean, false) then now() end
  from jsonb_array_elements(items) with ordinality j(e, n)
  where j.n <> all (keep_pos)
  order by j.n;
end
$$;

-- Write a document over an existing initiative: its fields, parties and contact persons. The
-- status is not touched. Its place is derived again when its location changes.
create function kaart.apply_document(initiative bigint, doc jsonb) returns void
language plpgsql as $$
declare
  f record;
begin
  select * into f from kaart.doc_fields(doc);
  update kaart.initiative i
  set name = f.name, route_kind = f.route_kind, leerwegen = f.leerwegen, profielen = f.profielen,
      niveaus = f.niveaus, opleidingsdomeinen = f.opleidingsdomeinen, crebo = f.crebo,
      start_year = f.start_year, description = f.description, website = f.website, mailbox = f.mailbox,
      location_vestiging = f.location_vestiging, geom = f.geom,
      -- a school location's place is taken again (its point is NULL here, so the trigger derives);
      -- a point keeps its place only when it did not move
      place = case when f.location_vestiging is null and i.location_vestiging is null
                        and st_equals(i.geom, f.geom) then i.place end,
      agreement_signed_on = f.agreement_signed_on, agreement_topics = f.agreement_topics,
      rio_registered = f.rio_registered, combined_pta_oer = f.combined_pta_oer,
      cohort_guarantee = f.cohort_guarantee
  where i.id = apply_document.initiative;
  perform kaart.apply_parties(initiative, doc);
  perform kaart.apply_contacts(initiative, doc);
end
$$;

-- A published initiative needs a vo and an mbo party. api/20_kaart_rules.sql checks it at commit; this raises the
-- same error at once, inside the call that caused it.
create function kaart.require_parties(initiative bigint) returns void
language plpgsql as $$
declare
  s record;
begin
  s := kaart.party_summary(initiative);
  if not (s.has_vo and s.has_mbo) then
    raise exception 'published initiative % needs at least one vo and one mbo party', initiative
      using errcode = 'check_violation', constraint = 'initiative_parties_check',
            table = 'initiative', schema = 'kaart';
  end if;
end
$$;

-- Writing a document ------------------------------------------------------------------------------

-- A party as a document shows it: what identifies it, and the name it resolves to.
create function kaart.party_json(role text, vestigingscode text, school_name text, brin text, kvk text,
                                 org_name text, org_plaats text) returns jsonb
language sql immutable parallel safe
return jsonb_strip_nulls(case
  when vestigingscode is not null
    then jsonb_build_object('role', role, 'vestigingscode', vestigingscode, 'name', school_name)
  when role = 'mbo' then jsonb_build_object('role', role, 'brin', brin, 'name', org_name)
  when role = 'bedrijf' then jsonb_build_object('role', role, 'kvk', kvk, 'name', org_name, 'plaats', org_plaats)
  else jsonb_build_object('role', role, 'name', org_name, 'plaats', org_plaats) end);

-- An initiative as a submission document (contact persons with their ids, parties with names).
create function kaart.initiative_document(initiative bigint) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'name', i.name,
    'route_kind', i.route_kind,
    'leerwegen', to_jsonb(i.leerwegen),
    'profielen', to_jsonb(i.profielen),
    'niveaus', to_jsonb(i.niveaus),
    'opleidingsdomeinen', to_jsonb(i.opleidingsdomeinen),
    'crebo', to_jsonb(i.crebo),
    'start_year', i.start_year,
    'description', i.description,
    'website', i.website,
    'mailbox', i.mailbox,
    'location', case when i.location_vestiging is not null
                     then jsonb_build_object('vestigingscode', i.location_vestiging)
                     else jsonb_build_object('lon', round(st_x(i.geom)::numeric, 6), 'lat', round(st_y(i.geom)::numeric, 6)) end,
    'conditions', jsonb_build_object(
      'agreement_signed_on', i.agreement_signed_on,
      'agreement_topics', to_jsonb(i.agreement_topics),
      'rio_registered', i.rio_registered,
      'combined_pta_oer', i.combined_pta_oer,
      'cohort_guarantee', i.cohort_guarantee),
    'parties', (select coalesce(jsonb_agg(kaart.party_json(p.role, p.vestigingscode, s.name, o.brin, o.kvk, o.name, o.plaats)
                                          order by array_position('{vo,mbo,bedrijf,overig}'::text[], p.role), p.id), '[]')
                from kaart.party p
                left join ref.school_location s on s.vestigingscode = p.vestigingscode
                left join kaart.organisation o on o.id = p.organisation_id
                where p.initiative_id = i.id),
    'contacts', (select coalesce(jsonb_agg(jsonb_build_object(
                          'id', c.id, 'name', c.name, 'function', c.function, 'email', c.email, 'phone', c.phone,
                          'sbo_contact', c.sbo_contact, 'public_consent', c.public_consent) order by c.id), '[]')
                 from kaart.contact_person c
                 where c.initiative_id = i.id))
  from kaart.initiative i
  where i.id = $1
$$;

-- A submitted document in the form kaart.initiative_document gives, as far as it can be without
-- writing it: every field present, code lists in their canonical order, text trimmed as the row
-- triggers trim it, the location made explicit (absent = the first vo party's location) and
-- rounded to 6 decimals, parties resolved to the names they will have, contacts in document
-- order (with "id" where the document gave one). Pending revisions are stored in this form, so
-- applying one later gives the same initiative, and comparing it with the published one shows
-- only real changes.
create function kaart.normalize_document(doc jsonb) returns jsonb
language plpgsql stable as $$
declare
  f record;
begin
  select * into f from kaart.doc_fields(doc);
  return jsonb_build_object(
    'name', btrim(regexp_replace(f.name, '\s+', ' ', 'g')),
    'route_kind', f.route_kind,
    'leerwegen', to_jsonb(kaart.canonical_codes(f.leerwegen, kaart.code_order('leerweg'))),
    'profielen', to_jsonb(kaart.canonical_codes(f.profielen, kaart.code_order('profiel'))),
    'niveaus', to_jsonb(array(select distinct x from unnest(f.niveaus) x order by x)),
    'opleidingsdomeinen', to_jsonb(kaart.canonical_codes(f.opleidingsdomeinen, '{}')),
    'crebo', to_jsonb(kaart.canonical_codes(f.crebo, '{}')),
    'start_year', f.start_year,
    'description', nullif(btrim(f.description), ''),
    'website', nullif(btrim(f.website), ''),
    'mailbox', nullif(btrim(f.mailbox), ''),
    'location', case when f.location_vestiging is not null
                     then jsonb_build_object('vestigingscode', f.location_vestiging)
                     when f.geom is not null
                     then jsonb_build_object('lon', round(st_x(f.geom)::numeric, 6), 'lat', round(st_y(f.geom)::numeric, 6)) end,
    'conditions', jsonb_build_object(
      'agreement_signed_on', f.agreement_signed_on,
      'agreement_topics', to_jsonb(kaart.canonical_codes(f.agreement_topics, kaart.code_order('agreement_topic'))),
      'rio_registered', f.rio_registered,
      'combined_pta_oer', f.combined_pta_oer,
      'cohort_guarantee', f.cohort_guarantee),
    'parties', (
      select coalesce(jsonb_agg(d.party order by array_position('{vo,mbo,bedrijf,overig}'::text[], d.role), d.n), '[]')
      from (select distinct on (x.party - 'name' - 'plaats', case when x.role = 'overig' then x.party end) x.party, x.role, x.n
            from (select p.e ->> 'role' as role, p.n,
                         case when p.e ->> 'vestigingscode' is not null and p.e ->> 'role' in ('vo', 'mbo')
                              then kaart.party_json(p.e ->> 'role', p.e ->> 'vestigingscode', s.name, null, null, null, null)
                              when p.e ->> 'role' = 'mbo'
                              then kaart.party_json('mbo', null, null, p.e ->> 'brin', null,
                                                    coalesce(o.name, (select m.name from ref.school_location m
                                                                      where m.brin = p.e ->> 'brin' and m.sector = 'mbo'
                                                                      order by m.vestigingscode limit 1)), null)
                              when p.e ->> 'role' in ('bedrijf', 'overig')
                              then kaart.party_json(p.e ->> 'role', null, null, null, p.e ->> 'kvk',
                                                    coalesce(o.name, btrim(regexp_replace(p.e ->> 'name', '\s+', ' ', 'g'))),
                                                    case when o.id is not null then o.plaats else nullif(btrim(p.e ->> 'plaats'), '') end)
                              else p.e end as party
                  from jsonb_array_elements(kaart.jarray(doc -> 'parties')) with ordinality p(e, n)
                  left join ref.school_location s on s.vestigingscode = p.e ->> 'vestigingscode'
                  left join kaart.organisation o
                    on p.e ->> 'vestigingscode' is null
                   and case p.e ->> 'role'
                         when 'mbo' then o.brin = p.e ->> 'brin'
                         when 'bedrijf' then o.kvk = p.e ->> 'kvk'
                         when 'overig' then o.kind = 'other'
                              and lower(o.name) = lower(btrim(regexp_replace(p.e ->> 'name', '\s+', ' ', 'g')))
                              and lower(coalesce(o.plaats, '')) = lower(coalesce(nullif(btrim(p.e ->> 'plaats'), ''), ''))
                         else false end) x
            order by x.party - 'name' - 'plaats', case when x.role = 'overig' then x.party end, x.n) d),
    'contacts', (
      select coalesce(jsonb_agg(
               case when c.e ->> 'id' ~ '^[0-9]{1,18}$' then jsonb_build_object('id', (c.e ->> 'id')::bigint) else '{}' end
               || jsonb_build_object(
                    'name', btrim(regexp_replace(c.e ->> 'name', '\s+', ' ', 'g')),
                    'function', nullif(btrim(c.e ->> 'function'), ''),
                    'email', nullif(btrim(c.e ->> 'email'), ''),
                    'phone', nullif(btrim(c.e ->> 'phone'), ''),
                    'sbo_contact', coalesce((c.e ->> 'sbo_contact')::boolean, false),
                    'public_consent', coalesce((c.e ->> 'public_consent')::boolean, false))
               order by c.n), '[]')
      from jsonb_array_elements(kaart.jarray(doc -> 'contacts')) with ordinality c(e, n)));
end
$$;

-- The top-level fields in which two documents differ: [{"field", "before", "after"}], in document
-- order. With no `before` (a new submission) every field is listed. Contact ids do not count.
create function kaart.document_changes(before jsonb, after jsonb) returns jsonb
language sql immutable as $$
  select coalesce(jsonb_agg(jsonb_build_object('field', f.k, 'before', before -> f.k, 'after', after -> f.k) order by f.n), '[]')
  from unnest('{name,route_kind,leerwegen,profielen,niveaus,opleidingsdomeinen,crebo,start_year,description,website,mailbox,location,conditions,parties,contacts}'::text[])
       with ordinality f(k, n)
  where before is null
     or case when f.k = 'contacts'
             then (select jsonb_agg(e - 'id' order by n) from jsonb_array_elements(kaart.jarray(before -> 'contacts')) with ordinality c(e, n))
                  is distinct from
                  (select jsonb_agg(e - 'id' order by n) from jsonb_array_elements(kaart.jarray(after -> 'contacts')) with ordinality c(e, n))
             else before -> f.k is distinct from after -> f.k end
$$;

-- Erasure (AVG) ----------------------------------------------------------------------------------

-- A person object with its personal fields (name, function, email, phone) replaced by "[gewist]";
-- everything else is kept.
create function kaart.redact_person(p jsonb) returns jsonb
language sql immutable parallel safe
return case when jsonb_typeof(p) = 'object'
            then p || (select coalesce(jsonb_object_agg(k, '[gewist]'::text), '{}')
                       from unnest('{name,function,email,phone}'::text[]) k
                       where jsonb_typeof(p -> k) <> 'null')
            else p end;

-- Whether an audit payload of a contact person or a revision still holds a person's fields.
create function kaart.payload_has_person(entity text, payload jsonb) returns boolean
language sql immutable parallel safe
return case entity
  when 'contact_person' then coalesce(payload ->> 'name' <> '[gewist]', false)
  when 'revision' then exists (select 1 from jsonb_array_elements(kaart.jarray(payload -> 'doc' -> 'contacts')) c(e)
                               where c.e ->> 'name' <> '[gewist]' or c.e ->> 'email' <> '[gewist]' or c.e ->> 'phone' <> '[gewist]')
  else false end;

-- Whether a contact element of a document is one of the persons being erased: one of their contact
-- ids, or one of their e-mail addresses, or one of their names (callers pass names only where a
-- name identifies the person: in documents of the person's own initiative), or `every`.
create function kaart.contact_matches(c jsonb, ids bigint[], emails text[], names text[], every boolean) returns boolean
language sql immutable parallel safe
return jsonb_typeof(c) = 'object' and (
  every
  or coalesce(case when c ->> 'id' ~ '^[0-9]{1,18}$' then (c ->> 'id')::bigint = any (ids) end, false)
  or coalesce(lower(btrim(c ->> 'email')) = any (emails), false)
  or coalesce(kaart.name_key(c ->> 'name') = any (names), false));

-- A document without the matching contacts, or with them redacted.
create function kaart.doc_without_contacts(doc jsonb, ids bigint[], emails text[], names text[], every boolean) returns jsonb
language sql immutable parallel safe
return case when jsonb_typeof(doc -> 'contacts') = 'array'
            then jsonb_set(doc, '{contacts}',
                           (select coalesce(jsonb_agg(e order by n), '[]')
                            from jsonb_array_elements(doc -> 'contacts') with ordinality c(e, n)
                            where not kaart.contact_matches(e, ids, emails, names, every)))
            else doc end;

create function kaart.doc_redact_contacts(doc jsonb, ids bigint[], emails text[], names text[], every boolean) returns jsonb
language sql immutable parallel safe
return case when jsonb_typeof(doc -> 'contacts') = 'array'
            then jsonb_set(doc, '{contacts}',
                           (select coalesce(jsonb_agg(case when kaart.contact_matches(e, ids, emails, names, every)
                                                           then kaart.redact_person(e) else e end order by n), '[]')
                            from jsonb_array_elements(doc -> 'contacts') with ordinality c(e, n)))
            else doc end;

-- A payload's (or document's) mailbox redacted when it is one of these addresses.
create function kaart.redact_mailbox(p jsonb, emails text[]) returns jsonb
language sql immutable parallel safe
return case when lower(p ->> 'mailbox') = any (emails) then jsonb_set(p, '{mailbox}', '"[gewist]"') else p end;

-- A revision's audit payload with the matching contacts (and a matching mailbox) redacted.
create function kaart.redact_revision_payload(p jsonb, ids bigint[], emails text[], names text[], every boolean)
returns jsonb
language sql immutable parallel safe
return case when jsonb_typeof(p -> 'doc') = 'object'
            then jsonb_set(p, '{doc}', kaart.redact_mailbox(kaart.doc_redact_contacts(p -> 'doc', ids, emails, names, every), emails))
            else p end;

-- Erase contact persons: the rows, the person in revision documents and school contacts, and
-- their personal fields in audit.log (redacted to "[gewist]": the trail keeps that a person
-- existed and what happened, not who it was). The initiatives stay; the mailbox of one of the
-- person's initiatives that is their own address is cleared.
--   ids         contact_person ids to erase
--   everywhere  the person everywhere (a moderator's erasure): also their contact rows under other
--               initiatives (same e-mail), every revision document and school contact naming their
--               e-mail; otherwise only within the initiatives of `ids` (a submitter's erasure) and
--               the school contacts of those initiatives' school locations
--   schools     whether school contacts (kaart.school_contact) with their e-mail go too
--   clear       initiatives whose revision documents lose every contact (retention)
-- A person is recognised in documents by contact id, by e-mail address, and within their own
-- initiatives also by name. Returns the number of contact_person rows deleted.
create function kaart.erase_persons(ids bigint[], everywhere boolean, schools boolean, clear bigint[] default '{}')
returns integer
language plpgsql as $$
declare
  emails text[];
  names text[];
  scope bigint[];
  revs bigint[];
  boxes bigint[] := '{}';
  school_ids bigint[] := '{}';
  n integer;
begin
  ids := coalesce(ids, '{}');
  clear := coalesce(clear, '{}');
  if everywhere then
    select coalesce(array_agg(distinct y.id), '{}') into ids
    from (select c.id from kaart.contact_person c where c.id = any (ids)
          union all
          select c.id from kaart.contact_person c
          where c.email is not null
            and lower(c.email) = any (array(select lower(x.email) from kaart.contact_person x
                                            where x.id = any (ids) and x.email is not null))) y;
  end if;

  -- every e-mail address and name these rows have had, from the rows and from the audit trail
  select coalesce(array_agg(distinct lower(btrim(x.email))) filter (where x.email is not null and x.email <> '[gewist]'), '{}'),
         coalesce(array_agg(distinct kaart.name_key(x.name)) filter (where x.name is not null and x.name <> '[gewist]'), '{}')
    into emails, names
  from (select c.email, c.name from kaart.contact_person c where c.id = any (ids)
        union all
        select v ->> 'email', v ->> 'name'
        from audit.log a cross join lateral (values (a.before), (a.after)) p(v)
        where a.entity = 'contact_person' and a.entity_id = any (ids) and v is not null) x;

  select coalesce(array_agg(distinct c.initiative_id), '{}') || clear into scope
  from kaart.contact_person c where c.id = any (ids);

  delete from kaart.contact_person c where c.id = any (ids);
  get diagnostics n = row_count;

  -- revision documents: the person disappears from them
  select coalesce(array_agg(r.id), '{}') into revs
  from kaart.revision r
  where everywhere or r.initiative_id = any (scope);
  update kaart.revision r
  set doc = x.doc
  from (select r2.id, kaart.doc_without_contacts(r2.doc, ids, emails,
                                                  case when r2.initiative_id = any (scope) then names else '{}' end,
                                                  r2.initiative_id = any (clear)) as doc
        from kaart.revision r2 where r2.id = any (revs)) x
  where r.id = x.id and r.doc <> x.doc;

  -- the mailbox of one of their initiatives that is the person's own address
  if cardinality(emails) > 0 then
    with cleared as (
      update kaart.initiative i set mailbox = null
      where i.id = any (scope) and lower(i.mailbox) = any (emails)
      returning i.id)
    select coalesce(array_agg(c.id), '{}') into boxes from cleared c;
    update kaart.revision r set doc = jsonb_set(r.doc, '{mailbox}', 'null')
    where r.id = any (revs) and lower(r.doc ->> 'mailbox') = any (emails);
  end if;

  -- school contacts naming the same e-mail address
  if schools and cardinality(emails) > 0 then
    with gone as (
      delete from kaart.school_contact s
      where lower(s.email) = any (emails)
        and (everywhere or s.vestigingscode in (select p.vestigingscode from kaart.party p
                                                where p.initiative_id = any (scope) and p.vestigingscode is not null))
      returning s.id)
    select coalesce(array_agg(g.id), '{}') into school_ids from gone g;
  end if;

  -- the audit trail, including the rows the statements above have just written
  update audit.log a
  set before = kaart.redact_person(a.before), after = kaart.redact_person(a.after)
  where a.entity = 'contact_person' and a.entity_id = any (ids);
  if cardinality(clear) > 0 then
    -- also the persons these initiatives had before (contacts removed by an earlier correction)
    update audit.log a
    set before = kaart.redact_person(a.before), after = kaart.redact_person(a.after)
    where a.entity = 'contact_person' and (coalesce(a.after, a.before) ->> 'initiative_id') = any (clear::text[])
      and (kaart.payload_has_person(a.entity, a.before) or kaart.payload_has_person(a.entity, a.after));
  end if;

  update audit.log a
  set before = kaart.redact_revision_payload(a.before, ids, emails, case when x.own then names else '{}' end, x.every),
      after = kaart.redact_revision_payload(a.after, ids, emails, case when x.own then names else '{}' end, x.every)
  from audit.log b
  cross join lateral (select (coalesce(b.after, b.before) ->> 'initiative_id')::bigint = any (scope) as own,
                             coalesce((coalesce(b.after, b.before) ->> 'initiative_id')::bigint = any (clear), false) as every) x
  where a.id = b.id
    and b.entity = 'revision'
    and (everywhere or b.entity_id = any (revs))
    and (lower(b.before -> 'doc' ->> 'mailbox') = any (emails) or lower(b.after -> 'doc' ->> 'mailbox') = any (emails)
         or exists (select 1 from (values (b.before -> 'doc'), (b.after -> 'doc')) v(d),
                                  jsonb_array_elements(kaart.jarray(v.d -> 'contacts')) c(e)
                    where c.e ->> 'name' is distinct from '[gewist]'
                      and kaart.contact_matches(c.e, ids, emails, case when x.own then names else '{}' end, x.every)));

  if cardinality(emails) > 0 then
    update audit.log a
    set before = kaart.redact_mailbox(a.before, emails), after = kaart.redact_mailbox(a.after, emails)
    where a.entity = 'initiative' and a.entity_id = any (scope || boxes)
      and (lower(a.before ->> 'mailbox') = any (emails) or lower(a.after ->> 'mailbox') = any (emails));
  end if;

  if schools and cardinality(emails) > 0 then
    update audit.log a
    set before = case when lower(a.before ->> 'email') = any (emails) then kaart.redact_person(a.before) else a.before end,
        after = case when lower(a.after ->> 'email') = any (emails) then kaart.redact_person(a.after) else a.after end
    where a.entity = 'school_contact'
      and (a.entity_id = any (school_ids)
           or ((lower(a.before ->> 'email') = any (emails) or lower(a.after ->> 'email') = any (emails))
               and (everywhere or coalesce(a.after, a.before) ->> 'vestigingscode'
                                  in (select p.vestigingscode from kaart.party p
                                      where p.initiative_id = any (scope) and p.vestigingscode is not null))));
  end if;
  return n;
end
$$;

comment on function kaart.erase_persons(bigint[], boolean, boolean, bigint[])
  is 'AVG erasure of contact persons from contact_person, revision documents, school contacts and audit.log';
