-- The rules a CHECK cannot express: derived regions, the point inside the Netherlands, the
-- lifecycle, coherent parties. Violations raise SQLSTATE 23514 (check_violation) with the
-- constraint name set, like a CHECK would; missing reference data raises 55000.
--
-- The row triggers are plpgsql with their queries inline, because plpgsql caches the plans of its
-- own queries but not those of SQL functions it calls: this keeps a bulk load of a million
-- initiatives within minutes.
set local role routekaart_owner;

-- is empty); unknown codes and NULLs are kept, at the end, so that the CHECKs still refuse them.
-- Arrays that are already canonical, the usual case, are returned after one cheap pass.
create function kaart.canonical_codes(codes text[], code_order text[]) returns text[]
language plpgsql immutable parallel safe as $$
declare
  c text;
  prev text;
  pos integer;
  prev_pos integer := 0;
  by_list boolean := cardinality(code_order) > 0;
  ok boolean := array_ndims(codes) = 1;
begin
  if codes is null or cardinality(codes) = 0 then
    return codes;
  end if;
  if ok then
    foreach c in array codes loop
      if c is null then
        ok := false;
      elsif by_list then
        pos := array_position(code_order, c);
        ok := coalesce(pos > prev_pos, false);
        prev_pos := pos;
      else
        ok := prev is null or c > prev;
      end if;
      exit when not ok;
      prev := c;
    end loop;
    if ok then
      return codes;
    end if;
  end if;
  return (select array_agg(x order by coalesce(array_position(code_order, x), 1000), x)
          from (select distinct x from unnest(codes) x) d);
end
$$;

-- The order of a code list (leerweg, profiel, agreement_topic) for kaart.canonical_codes: that of
-- ref (filled from geo/codelists.json before the api is made), written in as constants by the DO
-- block so that a call with a constant list name folds to its array when planned.
-- (Opleidingsdomeinen and crebo codes sort by their code: canonical_codes with '{}'.)
do $gen$
begin
  execute format('create function kaart.code_order(list text) returns text[]
language sql immutable parallel safe
return case list when ''leerweg'' then %L::text[]
                 when ''profiel'' then %L::text[]
                 when ''agreement_topic'' then %L::text[] end',
    array(select code from ref.leerweg order by sort),
    array(select code from ref.profiel order by sort),
    array(select code from ref.agreement_topic order by sort));
end
$gen$;

-- What the parties of one initiative add up to: the BRINs of its vo and mbo parties and its school
-- locations (as stored in kaart.initiative.brins / vestigingen: sorted, unique, empty when none),
-- and whether it has the vo and the mbo party a published initiative needs.
create function kaart.party_summary(initiative bigint, out brins text[], out vestigingen text[],
                                    out has_vo boolean, out has_mbo boolean)
language plpgsql stable as $$
begin
  select coalesce(array_agg(distinct x.brin order by x.brin) filter (where x.brin is not null), '{}'),
         coalesce(array_agg(p.vestigingscode order by p.vestigingscode) filter (where p.vestigingscode is not null), '{}'),
         coalesce(bool_or(p.role = 'vo'), false),
         coalesce(bool_or(p.role = 'mbo'), false)
    into brins, vestigingen, has_vo, has_mbo
  from kaart.party p
  -- per party an index lookup: cheaper than joining the tables for the usual two or three parties
  cross join lateral (
    select case when p.vestigingscode is not null
                then (select s.brin from ref.school_location s where s.vestigingscode = p.vestigingscode)
                else (select o.brin from kaart.organisation o where o.id = p.organisation_id and o.kind = 'mbo')
           end as brin) x
  where p.initiative_id = initiative;
end
$$;

-- The same for many initiatives at once, for statement-level triggers.
create function kaart.party_codes(ids bigint[])
returns table (initiative_id bigint, brins text[], vestigingen text[], has_vo boolean, has_mbo boolean)
language sql stable as $$
  select i.id,
         coalesce(array_agg(distinct coalesce(s.brin, o.brin) order by coalesce(s.brin, o.brin))
                    filter (where coalesce(s.brin, o.brin) is not null and (s.brin is not null or o.kind = 'mbo')), '{}'),
         coalesce(array_agg(distinct p.vestigingscode order by p.vestigingscode)
                    filter (where p.vestigingscode is not null), '{}'),
         coalesce(bool_or(p.role = 'vo'), false),
         coalesce(bool_or(p.role = 'mbo'), false)
  from unnest(ids) as i(id)
  left join kaart.party p on p.initiative_id = i.id
  left join ref.school_location s on s.vestigingscode = p.vestigingscode
  left join kaart.organisation o on o.id = p.organisation_id
  group by i.id
$$;

-- Before every write of an initiative: canonical values, derived regions, lifecycle dates.
create function kaart.initiative_before_write() returns trigger
language plpgsql as $$
declare
  yr smallint;
  school_geom geometry;
  school_plaats text;
  gm text;
  codes text[];
  near text;
  derive boolean;
  parties record;
begin
  -- canonical forms, so that equal data compares equal
  new.name := btrim(regexp_replace(new.name, '\s+', ' ', 'g'));
  new.description := nullif(btrim(new.description), '');
  new.website := nullif(btrim(new.website), '');
  new.mailbox := nullif(btrim(new.mailbox), '');
  new.place := nullif(btrim(new.place), '');
  -- (an array of one element is canonical already; its code is checked by the CHECKs)
  if cardinality(new.leerwegen) > 1 then
    new.leerwegen := kaart.canonical_codes(new.leerwegen, kaart.code_order('leerweg'));
  end if;
  if cardinality(new.profielen) > 1 then
    new.profielen := kaart.canonical_codes(new.profielen, kaart.code_order('profiel'));
  end if;
  if cardinality(new.opleidingsdomeinen) > 1 then
    new.opleidingsdomeinen := kaart.canonical_codes(new.opleidingsdomeinen, '{}');
  end if;
  if cardinality(new.crebo) > 1 then
    new.crebo := kaart.canonical_codes(new.crebo, '{}');
  end if;
  if cardinality(new.agreement_topics) > 1 then
    new.agreement_topics := kaart.canonical_codes(new.agreement_topics, kaart.code_order('agreement_topic'));
  end if;
  if cardinality(new.niveaus) > 1 then
    new.niveaus := array(select distinct n from unnest(new.niveaus) n order by n);
  end if;

  -- Regions follow from the uitvoeringslocatie. They are derived again only when the location
  -- changes or a new division year has become current.
  if tg_op = 'INSERT' then
    derive := true;
  else
    yr := ref.current_year();
    derive := new.geom is null
              or new.location_vestiging is distinct from old.location_vestiging
              or not st_equals(new.geom, old.geom)
              or old.region_year <> yr;
  end if;
  if derive then
    yr := null;
    if new.location_vestiging is not null then
      -- the school's point, and its administrative gemeente when that is in the current division
      select s.geom, s.plaats, g.gemeente_code, g.year,
             case when g.gemeente_code is not null
                  then array[g.provincie_code, g.arbeidsmarktregio_code, g.rmc_code, g.gemeente_code] end
        into school_geom, school_plaats, gm, yr, codes
      from ref.school_location s
      left join (ref.gemeente_regio g join ref.division d on d.year = g.year and d.is_current)
        on g.gemeente_code = s.gemeente_code
      where s.vestigingscode = new.location_vestiging;
      if not found then
        raise exception 'school location % does not exist', new.location_vestiging
          using errcode = 'foreign_key_violation', constraint = 'initiative_location_vestiging_fkey',
                table = 'initiative', schema = 'kaart', column = 'location_vestiging';
      end if;
      new.geom := coalesce(new.geom, school_geom);
      new.place := coalesce(new.place, school_plaats);
      if not st_equals(new.geom, school_geom)
         and not st_dwithin(new.geom::geography, school_geom::geography, 2000) then
        raise exception 'the point is more than 2 km from school location %', new.location_vestiging
          using errcode = 'check_violation', constraint = 'initiative_geom_at_location',
                table = 'initiative', schema = 'kaart', column = 'geom';
      end if;
    end if;
    if new.geom is null then
      return new;   -- the NOT NULL constraint reports it
    end if;
    yr := coalesce(yr, ref.current_year());
    -- A school's own point is in the Netherlands; any other point is checked.
    if gm is null or not st_equals(new.geom, school_geom) then
      near := ref.gemeente_at(new.geom, yr);
      if near is null then
        raise exception 'the point (%, %) is not in the Netherlands', st_x(new.geom), st_y(new.geom)
          using errcode = 'check_violation', constraint = 'initiative_geom_in_netherlands',
                table = 'initiative', schema = 'kaart', column = 'geom',
                detail = 'It lies more than 2 km from every Dutch gemeente.';
      end if;
      gm := coalesce(gm, near);
    end if;
    new.gemeente_code := gm;
    new.region_year := yr;
    if new.place is null then
      select r.name into new.place from ref.region r where r.code = gm and r.year = yr;
    end if;
  else
    new.gemeente_code := old.gemeente_code;
    new.region_year := old.region_year;
  end if;
  if codes is null then
    select array[g.provincie_code, g.arbeidsmarktregio_code, g.rmc_code, g.gemeente_code] into codes
    from ref.gemeente_regio g where g.gemeente_code = new.gemeente_code and g.year = new.region_year;
  end if;
  new.region_codes := codes;

  if tg_op = 'INSERT' then
    new.revision := 1;
    new.created_at := coalesce(new.created_at, now());
    new.updated_at := coalesce(new.updated_at, new.created_at);
    -- an import may bring its own history; otherwise the dates are now
    new.published_at := case when new.status = 'published' then coalesce(new.published_at, now())
                             when new.status = 'withdrawn' then new.published_at end;
    new.rejected_at := case when new.status = 'rejected' then coalesce(new.rejected_at, now()) end;
    new.withdrawn_at := case when new.status = 'withdrawn' then coalesce(new.withdrawn_at, now()) end;
    return new;   -- brins/vestigingen may come precomputed: checked at commit
  end if;

  -- UPDATE: who made the row and what follows from its parties are not edited here
  new.source := old.source;
  new.created_at := old.created_at;
  parties := kaart.party_summary(new.id);
  new.brins := parties.brins;
  new.vestigingen := parties.vestigingen;
  new.published_at := old.published_at;
  new.rejected_at := old.rejected_at;
  new.withdrawn_at := old.withdrawn_at;

  -- lifecycle: submitted → published | rejected | withdrawn; published → withdrawn
  if new.status <> old.status then
    if not (old.status = 'submitted' and new.status in ('published', 'rejected', 'withdrawn')
            or old.status = 'published' and new.status = 'withdrawn') then
      raise exception 'an initiative cannot go from % to %', old.status, new.status
        using errcode = 'check_violation', constraint = 'initiative_status_transition',
              table = 'initiative', schema = 'kaart', column = 'status';
    end if;
    case new.status
      when 'published' then new.published_at := now();
      when 'rejected' then new.rejected_at := now();
      when 'withdrawn' then new.withdrawn_at := now();
    end case;
  end if;

  -- A revision is a transaction that changed the row; a no-op update changes nothing.
  if (to_jsonb(new) - '{updated_at,revision,search}'::text[])
     is distinct from (to_jsonb(old) - '{updated_at,revision,search}'::text[]) then
    new.revision := old.revision + case when old.updated_at < now() then 1 else 0 end;
    new.updated_at := now();
  else
    new.revision := old.revision;
    new.updated_at := old.updated_at;
  end if;
  return new;
end
$$;

create trigger initiative_before_write
  before insert or update on kaart.initiative
  for each row execute function kaart.initiative_before_write();

-- Keep the party-derived columns of initiatives up to date (set-based, for bulk writes). A
-- published initiative that lost its vo or mbo party is touched as well, so that its deferred
-- check below runs.
create function kaart.refresh_party_codes(ids bigint[]) returns void
language sql as $$
  update kaart.initiative i
  set brins = c.brins, vestigingen = c.vestigingen
  from kaart.party_codes(ids) c
  where i.id = c.initiative_id
    and (i.brins is distinct from c.brins or i.vestigingen is distinct from c.vestigingen
         or (i.status = 'published' and not (c.has_vo and c.has_mbo)))
$$;

-- Checked at commit, when all parties of a new or newly published initiative are written: a
-- published initiative has at least one vo and one mbo party. And brins/vestigingen brought by an
-- insert (bulk loads precompute them) must be empty if no party was ever written; once a party is
-- written, refresh_party_codes has made them right, and updates recompute them anyway.
create function kaart.initiative_check_deferred() returns trigger
language plpgsql as $$
declare
  cur record;
  has_vo boolean;
  has_mbo boolean;
  n integer;
begin
  select i.id, i.status, i.brins, i.vestigingen into cur from kaart.initiative i where i.id = new.id;
  if not found then
    return null;   -- deleted later in the same transaction
  end if;
  select coalesce(bool_or(p.role = 'vo'), false), coalesce(bool_or(p.role = 'mbo'), false), count(*)
    into has_vo, has_mbo, n
  from kaart.party p where p.initiative_id = cur.id;
  if cur.status = 'published' and not (has_vo and has_mbo) then
    raise exception 'published initiative % needs at least one vo and one mbo party', cur.id
      using errcode = 'check_violation', constraint = 'initiative_parties_check',
            table = 'initiative', schema = 'kaart';
  end if;
  if n = 0 and (cardinality(cur.brins) > 0 or cardinality(cur.vestigingen) > 0) then
    raise exception 'initiative % has brins/vestigingen but no parties', cur.id
      using errcode = 'check_violation', constraint = 'initiative_party_codes_check',
            table = 'initiative', schema = 'kaart';
  end if;
  return null;
end
$$;

create constraint trigger initiative_check_inserted
  after insert on kaart.initiative deferrable initially deferred
  for each row when (new.status = 'published' or cardinality(new.brins) > 0 or cardinality(new.vestigingen) > 0)
  execute function kaart.initiative_check_deferred();
create constraint trigger initiative_check_published
  after update on kaart.initiative deferrable initially deferred
  for each row when (new.status = 'published')
  execute function kaart.initiative_check_deferred();

-- Changes are upserted as deltas (a proposed row may be negative: hence no CHECK n >= 0), in
-- key order, so that concurrent writers lock the counters in the same order.
create function kaart.tally_published() returns trigger
language plpgsql as $$
begin
  if tg_op = 'TRUNCATE' then
    delete from kaart.region_tally;
    delete from kaart.school_tally;
  elsif tg_op = 'INSERT' then
    with r as (
      insert into kaart.region_tally as t (code, year, n)
      select c, i.region_year, count(*) from new_rows i, unnest(i.region_codes) c
      where i.status = 'published' group by 1, 2 order by 1, 2
      on conflict (code, year) do update set n = t.n + excluded.n)
    insert into kaart.school_tally as t (vestigingscode, n)
    select v, count(*) from new_rows i, unnest(i.vestigingen) v
    where i.status = 'published' group by 1 order by 1
    on conflict (vestigingscode) do update set n = t.n + excluded.n;
  elsif tg_op = 'DELETE' then
    with r as (
      insert into kaart.region_tally as t (code, year, n)
      select c, i.region_year, -count(*) from old_rows i, unnest(i.region_codes) c
      where i.status = 'published' group by 1, 2 order by 1, 2
      on conflict (code, year) do update set n = t.n + excluded.n)
    insert into kaart.school_tally as t (vestigingscode, n)
    select v, -count(*) from old_rows i, unnest(i.vestigingen) v
    where i.status = 'published' group by 1 order by 1
    on conflict (vestigingscode) do update set n = t.n + excluded.n;
  else
    with r as (
      insert into kaart.region_tally as t (code, year, n)
      select c, year, sum(k) from (
        select c, i.region_year as year, 1 as k from new_rows i, unnest(i.region_codes) c where i.status = 'published'
        union all
        select c, i.region_year, -1 from old_rows i, unnest(i.region_codes) c where i.status = 'published') x
      group by 1, 2 having sum(k) <> 0 order by 1, 2
      on conflict (code, year) do update set n = t.n + excluded.n)
    insert into kaart.school_tally as t (vestigingscode, n)
    select v, sum(k) from (
      select v, 1 as k from new_rows i, unnest(i.vestigingen) v where i.status = 'published'
      union all
      select v, -1 from old_rows i, unnest(i.vestigingen) v where i.status = 'published') x
    group by 1 having sum(k) <> 0 order by 1
    on conflict (vestigingscode) do update set n = t.n + excluded.n;
  end if;
  return null;
end
$$;

create trigger tally_insert after insert on kaart.initiative
  referencing new table as new_rows for each statement execute function kaart.tally_published();
create trigger tally_update after update on kaart.initiative
  referencing old table as old_rows new table as new_rows for each statement execute function kaart.tally_published();
create trigger tally_delete after delete on kaart.initiative
  referencing old table as old_rows for each statement execute function kaart.tally_published();
create trigger tally_truncate after truncate on kaart.initiative
  for each statement execute function kaart.tally_published();

-- Parties: the role must fit what the party is, and the initiative's brins/vestigingen follow.
create function kaart.party_after_write() returns trigger
language plpgsql as $$
declare
  bad record;
  ids bigint[];
begin
  if tg_op in ('INSERT', 'UPDATE') then
    select n.id, n.role, coalesce(n.vestigingscode, n.organisation_id::text) as what into bad
    from new_rows n
    left join ref.school_location s on s.vestigingscode = n.vestigingscode
    left join kaart.organisation o on o.id = n.organisation_id
    where not case n.role
      when 'vo' then s.sector = 'vo'
      when 'mbo' then coalesce(s.sector = 'mbo', o.kind = 'mbo')
      when 'bedrijf' then o.kind = 'company'
      when 'overig' then o.kind = 'other'
    end
    limit 1;
    if found then
      raise exception 'party % cannot have role %', bad.what, bad.role
        using errcode = 'check_violation', constraint = 'party_role_kind_check',
              table = 'party', schema = 'kaart', column = 'role',
              detail = 'A vo party is a vo school location, an mbo party an mbo institution or location, '
                       'a bedrijf a company, overig another organisation.';
    end if;
  end if;
  if tg_op = 'INSERT' then
    -- a new party only adds codes: refresh only initiatives that do not list them yet (bulk
    -- loads bring them precomputed)
    select array_agg(distinct n.initiative_id) into ids
    from new_rows n
    join kaart.initiative i on i.id = n.initiative_id
    left join ref.school_location s on s.vestigingscode = n.vestigingscode
    left join kaart.organisation o on o.id = n.organisation_id and o.kind = 'mbo'
    where (n.vestigingscode is not null and not i.vestigingen @> array[n.vestigingscode])
       or (coalesce(s.brin, o.brin) is not null and not i.brins @> array[coalesce(s.brin, o.brin)]);
  elsif tg_op = 'DELETE' then
    select array_agg(distinct initiative_id) into ids from old_rows;
  else
    select array_agg(distinct initiative_id) into ids
    from (select initiative_id from new_rows union select initiative_id from old_rows) x;
  end if;
  if ids is not null then
    perform kaart.refresh_party_codes(ids);
  end if;
  return null;
end
$$;

create trigger party_after_insert after insert on kaart.party
  referencing new table as new_rows for each statement execute function kaart.party_after_write();
create trigger party_after_update after update on kaart.party
  referencing old table as old_rows new table as new_rows for each statement execute function kaart.party_after_write();
create trigger party_after_delete after delete on kaart.party
  referencing old table as old_rows for each statement execute function kaart.party_after_write();

-- Organisations: the kind is what parties rely on, so it is fixed; a new BRIN reaches the
-- initiatives it takes part in.
create function kaart.organisation_before_update() returns trigger
language plpgsql as $$
begin
  if new.kind <> old.kind then
    raise exception 'the kind of an organisation cannot change (% → %)', old.kind, new.kind
      using errcode = 'check_violation', constraint = 'organisation_kind_check',
            table = 'organisation', schema = 'kaart', column = 'kind';
  end if;
  new.created_at := old.created_at;
  if new is distinct from old then
    new.updated_at := now();
  end if;
  return new;
end
$$;
create trigger organisation_before_update before update on kaart.organisation
  for each row execute function kaart.organisation_before_update();

create function kaart.organisation_after_update() returns trigger
language plpgsql as $$
begin
  perform kaart.refresh_party_codes(array(
    select distinct p.initiative_id
    from new_rows n join old_rows o on o.id = n.id
    join kaart.party p on p.organisation_id = n.id
    where n.brin is distinct from o.brin));
  return null;
end
$$;
create trigger organisation_after_update after update on kaart.organisation
  referencing old table as old_rows new table as new_rows
  for each statement execute function kaart.organisation_after_update();

create function kaart.contact_person_before_write() returns trigger
language plpgsql as $$
begin
  new.name := btrim(regexp_replace(new.name, '\s+', ' ', 'g'));
  new.function := nullif(btrim(new.function), '');
  new.email := nullif(btrim(new.email), '');
  new.phone := nullif(btrim(new.phone), '');
  if tg_op = 'UPDATE' then
    new.created_at := old.created_at;
    if new is distinct from old then
      new.updated_at := now();
    end if;
  end if;
  return new;
end
$$;
create trigger contact_person_before_write before insert or update on kaart.contact_person
  for each row execute function kaart.contact_person_before_write();

-- The read side caches rendered responses; tell it when data change. Statement-level and
-- deduplicated per transaction by PostgreSQL, delivered at commit.
create function kaart.notify_change() returns trigger
language plpgsql as $$
begin
  perform pg_notify('routekaart_changed', tg_table_schema || '.' || tg_table_name);
  return null;
end
$$;

do $$
declare
  t text;
begin
  -- (not kaart.api_key: API keys are not data of the map)
  foreach t in array array['kaart.initiative', 'kaart.party', 'kaart.contact_person', 'kaart.organisation',
                           'kaart.revision', 'kaart.school_contact',
                           'ref.region', 'ref.gemeente_regio', 'ref.school_location', 'ref.division']
  loop
    execute format('create trigger notify_change after insert or update or delete or truncate on %s
                    for each statement execute function kaart.notify_change()', t);
  end loop;
end
$$;

-- Approving a revision, or a moderator's edit of a published initiative, is a new revision of the
-- initiative even when only its parties or contact persons changed, which the row trigger above
-- does not see. kaart.bump_revision() asks for it through a transaction-local setting naming the
-- initiative; this trigger, which runs after initiative_before_write (triggers fire in name order),
-- then counts one more revision, once.
create function kaart.initiative_revision_bump() returns trigger
language plpgsql as $$
begin
  if current_setting('routekaart.bump_revision', true) = new.id::text then
    perform set_config('routekaart.bump_revision', '', true);
    if new.revision = old.revision then
      new.revision := old.revision + 1;
      new.updated_at := now();
    end if;
  end if;
  return new;
end
$$;
create trigger initiative_revision_bump before update on kaart.initiative
  for each row execute function kaart.initiative_revision_bump();

create function kaart.bump_revision(initiative bigint, seen_revision integer) returns void
language plpgsql as $$
begin
  perform set_config('routekaart.bump_revision', initiative::text, true);
  update kaart.initiative i set revision = i.revision where i.id = initiative and i.revision = seen_revision;
  perform set_config('routekaart.bump_revision', '', true);
end
$$;
comment on function kaart.bump_revision(bigint, integer)
  is 'Count a new revision of the initiative unless its revision has moved on from seen_revision';
