-- What the regional overviews (api/65_overviews.sql) count, kept ready in the tables of
-- migrations/102_kaart.sql (kaart.overview_initiative, overview_route, overview_party,
-- overview_presence, explained there) by statement triggers on kaart.initiative, kaart.party and
-- kaart.contact_person.
set local role routekaart_owner;

-- The code lists come from ref (filled from geo/codelists.json before the api is made): the four
-- functions below are written out here from its rows, as constants, so that they stay immutable
-- and as fast as literal lists. A changed list changes them on the next migrate.sh run.
do $gen$
declare
  r record;
  flags text := '';      -- kaart.overview_tally's 0/1 flags, in the order of its fields
  cells text := '';      -- kaart.coverage_tally's profiel fields
  niveaus text := '';    -- and the niveau flags of one profiel
begin
  -- The fields of a tally, in order: route kinds, niveaus (those of routes), profielen,
  -- opleidingsdomeinen (each in code-list order), then the two conditions.
  execute format('create function kaart.overview_fields() returns text[]
language sql immutable parallel safe
return %L::text[]',
    array(select 'route_kind:' || code from ref.route_kind order by sort)
    || array(select 'niveau:' || niveau from ref.niveau where allowed_for_routes order by niveau)
    || array(select 'profiel:' || code from ref.profiel order by sort)
    || array(select 'opleidingsdomein:' || code from ref.opleidingsdomein order by code)
    || '{condition:rio_registered,condition:cohort_guarantee}'::text[]);

  -- The fields of a coverage tally: profiel:niveau, profielen in code-list order, then niveaus.
  execute format('create function kaart.coverage_fields() returns text[]
language sql immutable parallel safe
return %L::text[]',
    array(select p.code || ':' || n.niveau from ref.profiel p cross join ref.niveau n
          where n.allowed_for_routes order by p.sort, n.niveau));

  for r in select code from ref.route_kind order by sort loop
    flags := flags || format('route_kind = %L, ', r.code);
  end loop;
  for r in select niveau from ref.niveau where allowed_for_routes order by niveau loop
    flags := flags || format('%L = any (niveaus), ', r.niveau);
    niveaus := niveaus || case when niveaus = '' then '' else ', ' end || format('%L = any (niveaus)', r.niveau);
  end loop;
  for r in select code from ref.profiel order by sort loop
    flags := flags || format('%L = any (profielen), ', r.code);
    cells := cells || case when cells = '' then '' else ' || ' end
             || format('case when %L = any (profielen) then b else z end', r.code);
  end loop;
  for r in select code from ref.opleidingsdomein order by code loop
    flags := flags || format('%L = any (opleidingsdomeinen), ', r.code);
  end loop;

  -- An initiative's tally, in the order of kaart.overview_fields(). Joining the 0/1 flags with
  -- seven zeros between them gives one field of 8 digits per flag (the first one's leading
  -- zeros left out).
  execute format('create function kaart.overview_tally(route_kind text, niveaus integer[], profielen text[],
                                     opleidingsdomeinen text[], rio_registered boolean,
                                     cohort_guarantee boolean) returns numeric
language sql immutable parallel safe
return array_to_string(array[%s
    coalesce(rio_registered, false), coalesce(cohort_guarantee, false)]::integer[], ''0000000'')::numeric', flags);

  -- An initiative's coverage tally: per profiel (in order) the niveau fields when it has the
  -- profiel, zeros when not; 0 for kinds other than doorlopende leerroute and geïntegreerde
  -- route (the two routes to an mbo diploma: which kinds those are is not in the code list).
  execute format('create function kaart.coverage_tally(route_kind text, profielen text[], niveaus integer[]) returns numeric
language sql immutable parallel safe
return case when route_kind in (''doorlopende_leerroute'', ''geintegreerde_route'') then
  (select (%s)::numeric
   from (select ''0000000'' || array_to_string(array[%s]::integer[], ''0000000'') as b,
                repeat(''0'', %L) as z) x)
  else 0 end', cells, niveaus,
    8 * (select count(*) from ref.niveau where allowed_for_routes));
end
$gen$;

-- An initiative's region of each type, from its region codes: a column per type of
-- ref.region_type (in its order), named as the type, the code that starts with the type's
-- prefix. Written out from ref by the DO block; a SQL function of one SELECT, so that the
-- planner puts it inline in kaart.overview_refresh as if it were spelled out there.
do $gen$
declare
  r record;
  cols text := '';   -- '<type> text' per region type
  sel text := '';    -- 'max(r) filter (where r like ''<prefix>%'') as <type>' per region type
begin
  for r in select type, prefix from ref.region_type order by sort loop
    cols := cols || case when cols = '' then '' else ', ' end || format('%I text', r.type);
    sel := sel || case when sel = '' then '' else E',\n         ' end
           || format('max(r) filter (where r like %L) as %I', r.prefix || '%', r.type);
  end loop;
  execute format('create function kaart.overview_region_columns(codes text[]) returns table (%s)
language sql immutable parallel safe
as %L', cols, E'\n  select ' || sel || E'\n  from unnest(codes) r\n');
end
$gen$;

-- A tally (or a sum of tallies) of n fields as its 8n digits, and the count in field k of those.
-- (tally_overflow takes the tally so that the planner does not raise it while folding constants.)
create function kaart.tally_overflow(tally numeric) returns text
language plpgsql immutable parallel safe as $$
begin
  raise exception 'a count in a tally exceeds 99999999' using errcode = 'numeric_value_out_of_range';
end
$$;

create function kaart.tally_digits(tally numeric, n integer) returns text
language sql immutable parallel safe
return case when length(coalesce(tally, 0)::text) <= 8 * n then lpad(coalesce(tally, 0)::text, 8 * n, '0')
            else kaart.tally_overflow(tally) end;

create function kaart.tally_field(digits text, k integer) returns integer
language sql immutable parallel safe
return substr(digits, 8 * k - 7, 8)::integer;

-- The counts in a tally per field, with its position.
create function kaart.tally_counts(tally numeric, fields text[])
returns table (k integer, field text, n integer)
language sql immutable parallel safe
as $$
  select u.k::integer, u.field, kaart.tally_field(x.digits, u.k::integer)
  from (select kaart.tally_digits(tally, cardinality(fields)) as digits) x,
       unnest(fields) with ordinality u(field, k)
$$;

-- The parties (kind, key) of rows of kaart.overview_party, with the regions that count for them.
create function kaart.overview_party_keys(p kaart.overview_party, f kaart.overview_initiative)
returns table (kind text, key text, provincie text, arbeidsmarktregio text, rmc text, gemeente text)
language sql immutable as $$
  select 'vo', v, null, null, null, null from unnest(p.vo_locations) v
  union all
  select 'sbo', v, null, null, null, null from unnest(p.vo_locations) v where p.sbo_contact
  union all
  select 'mbo_organisation', o::text, f.provincie, f.arbeidsmarktregio, f.rmc, f.gemeente from unnest(p.mbo_organisations) o
  union all
  select 'mbo_location', l, f.provincie, f.arbeidsmarktregio, f.rmc, f.gemeente from unnest(p.mbo_locations) l
  union all
  select 'company', c::text, f.provincie, f.arbeidsmarktregio, f.rmc, f.gemeente from unnest(p.companies) c
$$;

-- The periods of the parties of these initiatives (NULL: of all).
create function kaart.overview_spans(ids bigint[])
returns table (kind text, key text, provincie text, arbeidsmarktregio text, rmc text, gemeente text,
               since timestamptz, until timestamptz)
language sql stable as $$
  select k.kind, k.key, k.provincie, k.arbeidsmarktregio, k.rmc, k.gemeente, (x.f).published_at, (x.f).withdrawn_at
  from (select p, f from kaart.overview_party p join kaart.overview_initiative f on f.initiative_id = p.initiative_id
        where ids is null
        union all
        -- (through both primary keys)
        select p, f from kaart.overview_party p join kaart.overview_initiative f on f.initiative_id = p.initiative_id
        where p.initiative_id = any (ids) and f.initiative_id = any (ids)) x(p, f)
  cross join lateral kaart.overview_party_keys(x.p, x.f) k
  -- a period that ends where it starts is empty
  where (x.f).withdrawn_at is null or (x.f).withdrawn_at > (x.f).published_at
$$;

-- Rebuild the rows of these parties (kinds[i], keys[i]). With from_ids NULL, from all initiatives
-- that hold them; otherwise their rows are merged with the periods of these initiatives (which
-- only adds: for parties none of whose periods went away).
create function kaart.overview_presence_rebuild(kinds text[], keys text[], from_ids bigint[] default null)
returns void
language plpgsql
set plan_cache_mode = force_custom_plan
as $$
declare
  source bigint[] := from_ids;   -- the initiatives to read; NULL: all
begin
  if from_ids is null and cardinality(keys) <= 100 then
    -- a few parties (a write through the api): their initiatives through the indexes of kaart.party
    source := array(
      select distinct p.initiative_id from kaart.party p
      where p.vestigingscode = any (array(select k from unnest(kinds, keys) u(c, k)
                                          where c in ('vo', 'sbo', 'mbo_location')))
         or p.organisation_id = any (array(select k::bigint from unnest(kinds, keys) u(c, k)
                                           where c in ('mbo_organisation', 'company'))));
  end if;

  with affected as (
    select distinct u.kind, u.key from unnest(kinds, keys) u(kind, key)
  ), gone as (
    delete from kaart.overview_presence p
    using affected a where p.kind = a.kind and p.key = a.key
  ), span as (
    select p.kind, p.key, p.provincie, p.arbeidsmarktregio, p.rmc, p.gemeente, p.since, p.until
    from kaart.overview_presence p join affected a on a.kind = p.kind and a.key = p.key
    where from_ids is not null
    union all
    select s.* from kaart.overview_spans(source) s join affected a on a.kind = s.kind and a.key = s.key
  ), reach as (
    -- how far the earlier periods of the same party reach
    select s.*, max(coalesce(s.until, 'infinity')) over (
             partition by s.kind, s.key, s.provincie, s.arbeidsmarktregio, s.rmc, s.gemeente
             order by s.since, s.until rows between unbounded preceding and 1 preceding) as reached
    from span s
  ), island as (
    -- a period that starts after all earlier ones ended starts a new stretch
    select r.*, count(*) filter (where r.reached is null or r.since > r.reached) over (
             partition by r.kind, r.key, r.provincie, r.arbeidsmarktregio, r.rmc, r.gemeente
             order by r.since, r.until rows unbounded preceding) as n
    from reach r
  )
  insert into kaart.overview_presence (kind, key, provincie, arbeidsmarktregio, rmc, gemeente, since, until)
  select i.kind, i.key, i.provincie, i.arbeidsmarktregio, i.rmc, i.gemeente, min(i.since),
         nullif(max(coalesce(i.until, 'infinity')), 'infinity')
  from island i
  group by i.kind, i.key, i.provincie, i.arbeidsmarktregio, i.rmc, i.gemeente, i.n;
end
$$;

-- The parties of these (distinct) initiatives as kaart.overview_party holds them (published or
-- withdrawn after publication ones only).
create function kaart.overview_party_rows(ids bigint[])
returns table (initiative_id bigint, vo_locations text[], sbo_contact boolean, mbo_organisations bigint[],
               mbo_locations text[], companies bigint[])
language sql stable as $$
  select i.id, p.vo_locations,
         exists (select 1 from kaart.contact_person c where c.initiative_id = i.id and c.sbo_contact),
         p.mbo_organisations, p.mbo_locations, p.companies
  from unnest(ids) t(id)
  join kaart.initiative i on i.id = t.id
  cross join lateral (
    select coalesce(array_agg(pt.vestigingscode order by pt.vestigingscode)
                      filter (where pt.role = 'vo' and pt.vestigingscode is not null), '{}') as vo_locations,
           coalesce(array_agg(pt.organisation_id order by pt.organisation_id)
                      filter (where pt.role = 'mbo' and pt.organisation_id is not null), '{}') as mbo_organisations,
           coalesce(array_agg(pt.vestigingscode order by pt.vestigingscode)
                      filter (where pt.role = 'mbo' and pt.vestigingscode is not null), '{}') as mbo_locations,
           coalesce(array_agg(pt.organisation_id order by pt.organisation_id)
                      filter (where pt.role = 'bedrijf' and pt.organisation_id is not null), '{}') as companies
    from kaart.party pt
    where pt.initiative_id = i.id) p
  where i.published_at is not null
    and i.status in ('published', 'withdrawn')
$$;

-- Recompute the rows of these initiatives from kaart (rows of initiatives that are gone, were
-- never published or were rejected are removed), then the periods of the parties of the ones
-- that changed. `initiatives`: recompute kaart.overview_initiative (their own columns changed).
-- `parties`: which kaart.overview_party rows to recompute: 'all' (their parties or contact persons
-- changed), 'moved' (only where the period or the regions changed, or the row came or went:
-- nothing else there depends on the initiative's own columns), 'none' (new initiatives: parties
-- refer to their initiative, so they have none yet). Unchanged rows are not rewritten.
create function kaart.overview_refresh(ids bigint[], initiatives boolean default true, parties text default 'all')
returns void
language plpgsql
-- plans for the actual number of initiatives (one or a hundred thousand), not a generic guess
set plan_cache_mode = force_custom_plan
as $$
declare
  moved bigint[] := '{}';   -- initiatives whose counted period or regions changed, or that came or went
  party_ids bigint[];
  diff record;
begin
  ids := array(select distinct unnest(ids));
  party_ids := case parties when 'all' then ids else '{}' end;
  if initiatives then
    with target as (
      select t.id from unnest(ids) t(id)
    ), before as (
      select f.* from target t join kaart.overview_initiative f on f.initiative_id = t.id
    ), src as (
      select i.id, i.published_at, i.withdrawn_at,
             rc.provincie, rc.arbeidsmarktregio, rc.rmc, rc.gemeente,
             i.agreement_signed_on,
             kaart.overview_tally(i.route_kind, i.niveaus, i.profielen, i.opleidingsdomeinen,
                                  i.rio_registered, i.cohort_guarantee) as tally,
             kaart.coverage_tally(i.route_kind, i.profielen, i.niveaus) as cells
      from target t
      join kaart.initiative i on i.id = t.id
      cross join lateral kaart.overview_region_columns(i.region_codes) rc
      where i.published_at is not null
        and i.status in ('published', 'withdrawn')
    ), gone as (
      delete from kaart.overview_initiative f
      using (select id from target except select id from src) x
      where f.initiative_id = x.id
      returning f.initiative_id
    ), put as (
      insert into kaart.overview_initiative as f (
        initiative_id, published_at, withdrawn_at, provincie, arbeidsmarktregio, rmc, gemeente,
        agreement_signed_on, tally)
      select id, published_at, withdrawn_at, provincie, arbeidsmarktregio, rmc, gemeente,
             agreement_signed_on, tally
      from src
      on conflict (initiative_id) do update set
        published_at = excluded.published_at, withdrawn_at = excluded.withdrawn_at,
        provincie = excluded.provincie, arbeidsmarktregio = excluded.arbeidsmarktregio,
        rmc = excluded.rmc, gemeente = excluded.gemeente,
        agreement_signed_on = excluded.agreement_signed_on, tally = excluded.tally
      where (f.published_at, f.withdrawn_at, f.provincie, f.arbeidsmarktregio, f.rmc, f.gemeente,
             f.agreement_signed_on, f.tally)
            is distinct from
            (excluded.published_at, excluded.withdrawn_at, excluded.provincie, excluded.arbeidsmarktregio,
             excluded.rmc, excluded.gemeente, excluded.agreement_signed_on, excluded.tally)
      returning f.initiative_id, f.published_at, f.withdrawn_at, f.provincie, f.arbeidsmarktregio, f.rmc, f.gemeente
    ), route_gone as (
      delete from kaart.overview_route r
      using (select id from target except select id from src where cells <> 0) x
      where r.initiative_id = x.id
    ), route_put as (
      insert into kaart.overview_route as r (
        initiative_id, published_at, withdrawn_at, provincie, arbeidsmarktregio, rmc, gemeente, cells)
      select id, published_at, withdrawn_at, provincie, arbeidsmarktregio, rmc, gemeente, cells
      from src
      where cells <> 0
      on conflict (initiative_id) do update set
        published_at = excluded.published_at, withdrawn_at = excluded.withdrawn_at,
        provincie = excluded.provincie, arbeidsmarktregio = excluded.arbeidsmarktregio,
        rmc = excluded.rmc, gemeente = excluded.gemeente, cells = excluded.cells
      where (r.published_at, r.withdrawn_at, r.provincie, r.arbeidsmarktregio, r.rmc, r.gemeente, r.cells)
            is distinct from
            (excluded.published_at, excluded.withdrawn_at, excluded.provincie, excluded.arbeidsmarktregio,
             excluded.rmc, excluded.gemeente, excluded.cells)
    )
    select coalesce(array_agg(x.id), '{}') into moved
    from (select g.initiative_id as id from gone g
          union
          select m.initiative_id
          from (select n.initiative_id, n.published_at, n.withdrawn_at, n.provincie, n.arbeidsmarktregio, n.rmc, n.gemeente
                from put n
                except
                select b.initiative_id, b.published_at, b.withdrawn_at, b.provincie, b.arbeidsmarktregio, b.rmc, b.gemeente
                from before b) m) x;
    if parties = 'moved' then
      party_ids := moved;
    end if;
  end if;
  if cardinality(party_ids) = 0 then
    return;
  end if;

  with target as (
    select t.id from unnest(party_ids) t(id)
  ), before as (
    select p.* from target t join kaart.overview_party p on p.initiative_id = t.id
  ), src as materialized (
    -- initiatives without parties or SBO contact persons have no row
    select * from kaart.overview_party_rows(party_ids) r
    where r.sbo_contact or cardinality(r.vo_locations) + cardinality(r.mbo_organisations)
                           + cardinality(r.mbo_locations) + cardinality(r.companies) > 0
  ), gone as (
    delete from kaart.overview_party p
    using (select id from target except select initiative_id from src) x
    where p.initiative_id = x.id
    returning p.initiative_id
  ), put as (
    insert into kaart.overview_party as p (
      initiative_id, vo_locations, sbo_contact, mbo_organisations, mbo_locations, companies)
    select initiative_id, vo_locations, sbo_contact, mbo_organisations, mbo_locations, companies
    from src
    on conflict (initiative_id) do update set
      vo_locations = excluded.vo_locations, sbo_contact = excluded.sbo_contact,
      mbo_organisations = excluded.mbo_organisations, mbo_locations = excluded.mbo_locations,
      companies = excluded.companies
    where (p.vo_locations, p.sbo_contact, p.mbo_organisations, p.mbo_locations, p.companies)
          is distinct from
          (excluded.vo_locations, excluded.sbo_contact, excluded.mbo_organisations, excluded.mbo_locations,
           excluded.companies)
    returning p.initiative_id
  ), changed (id, moved) as (
    select initiative_id, true from gone
    union select initiative_id, false from put
    union select m, true from unnest(moved) m
  ), changed_once as (
    select c.id, bool_or(c.moved) as moved from changed c group by c.id
  ), old_key as (
    select c.id, c.moved, k.kind, k.key
    from changed_once c
    join before b on b.initiative_id = c.id
    cross join lateral kaart.overview_party_keys(b, null) k
  ), new_key as (
    select c.id, k.kind, k.key
    from changed_once c
    join src s on s.initiative_id = c.id
    cross join lateral kaart.overview_party_keys(
      row(s.initiative_id, s.vo_locations, s.sbo_contact, s.mbo_organisations, s.mbo_locations, s.companies)::kaart.overview_party,
      null) k
  ), removed as (
    -- parties that lost a period: those of initiatives that went or moved, and those left out
    select o.kind, o.key from old_key o where o.moved
    union
    select x.kind, x.key
    from (select o.id, o.kind, o.key from old_key o except select n.id, n.kind, n.key from new_key n) x
  ), added as (
    select distinct n.kind, n.key from new_key n
    except
    select r.kind, r.key from removed r
  )
  select (select array_agg(kind order by kind, key) from removed) as removed_kinds,
         (select array_agg(key order by kind, key) from removed) as removed_keys,
         (select array_agg(kind order by kind, key) from added) as added_kinds,
         (select array_agg(key order by kind, key) from added) as added_keys,
         (select array_agg(id) from changed_once) as ids
    into diff;
  -- the periods of parties that lost one are recomputed, the others merged with the new ones
  if diff.removed_keys is not null then
    perform kaart.overview_presence_rebuild(diff.removed_kinds, diff.removed_keys);
  end if;
  if diff.added_keys is not null then
    perform kaart.overview_presence_rebuild(diff.added_kinds, diff.added_keys, diff.ids);
  end if;
end
$$;

-- Statement triggers: one refresh per statement, also for bulk loads.
create function kaart.overview_initiative_changed() returns trigger
language plpgsql as $$
declare
  ids bigint[];
begin
  if tg_op = 'TRUNCATE' then
    delete from kaart.overview_initiative;
    delete from kaart.overview_route;
    delete from kaart.overview_party;
    delete from kaart.overview_presence;
    return null;
  elsif tg_op = 'DELETE' then
    select array_agg(o.id) into ids
    from old_rows o join kaart.overview_initiative f on f.initiative_id = o.id;
  else
    select array_agg(n.id) into ids from new_rows n;
  end if;
  if ids is not null then
    perform kaart.overview_refresh(ids, initiatives => true,
                                   parties => case tg_op when 'INSERT' then 'none' else 'moved' end);
  end if;
  return null;
end
$$;

create trigger overview_insert after insert on kaart.initiative
  referencing new table as new_rows for each statement execute function kaart.overview_initiative_changed();
create trigger overview_update after update on kaart.initiative
  referencing new table as new_rows for each statement execute function kaart.overview_initiative_changed();
create trigger overview_delete after delete on kaart.initiative
  referencing old table as old_rows for each statement execute function kaart.overview_initiative_changed();
create trigger overview_truncate after truncate on kaart.initiative
  for each statement execute function kaart.overview_initiative_changed();

-- Parties, and contact persons (through their sbo_contact flag), of initiatives that have a row.
-- Not when an initiative is deleted: its parties and contact persons then go by the cascade, which
-- runs inside the foreign key's trigger (pg_trigger_depth() > 0) once per initiative, and the
-- initiative's own trigger above takes care of them, once per statement.
create function kaart.overview_party_changed() returns trigger
language plpgsql as $$
declare
  ids bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.initiative_id) into ids
    from new_rows n join kaart.overview_initiative f on f.initiative_id = n.initiative_id;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.initiative_id) into ids
    from old_rows o join kaart.overview_initiative f on f.initiative_id = o.initiative_id;
  else
    select array_agg(distinct x.initiative_id) into ids
    from (select initiative_id from new_rows union select initiative_id from old_rows) x
    join kaart.overview_initiative f on f.initiative_id = x.initiative_id;
  end if;
  if ids is not null then
    perform kaart.overview_refresh(ids, initiatives => false, parties => 'all');
  end if;
  return null;
end
$$;

create trigger overview_party_insert after insert on kaart.party
  referencing new table as new_rows for each statement execute function kaart.overview_party_changed();
create trigger overview_party_update after update on kaart.party
  referencing old table as old_rows new table as new_rows for each statement execute function kaart.overview_party_changed();
create trigger overview_party_delete after delete on kaart.party
  referencing old table as old_rows for each statement when (pg_trigger_depth() < 1)
  execute function kaart.overview_party_changed();

create function kaart.overview_contact_changed() returns trigger
language plpgsql as $$
declare
  ids bigint[];
begin
  if tg_op = 'INSERT' then
    select array_agg(distinct n.initiative_id) into ids
    from new_rows n join kaart.overview_initiative f on f.initiative_id = n.initiative_id
    where n.sbo_contact;
  elsif tg_op = 'DELETE' then
    select array_agg(distinct o.initiative_id) into ids
    from old_rows o join kaart.overview_initiative f on f.initiative_id = o.initiative_id
    where o.sbo_contact;
  else
    select array_agg(distinct x.initiative_id) into ids
    from (select initiative_id from new_rows where sbo_contact
          union select initiative_id from old_rows where sbo_contact) x
    join kaart.overview_initiative f on f.initiative_id = x.initiative_id;
  end if;
  if ids is not null then
    perform kaart.overview_refresh(ids, initiatives => false, parties => 'all');
  end if;
  return null;
end
$$;

create trigger overview_contact_insert after insert on kaart.contact_person
  referencing new table as new_rows for each statement execute function kaart.overview_contact_changed();
create trigger overview_contact_update after update on kaart.contact_person
  referencing old table as old_rows new table as new_rows for each statement execute function kaart.overview_contact_changed();
create trigger overview_contact_delete after delete on kaart.contact_person
  referencing old table as old_rows for each statement when (pg_trigger_depth() < 1)
  execute function kaart.overview_contact_changed();

-- Emptied wholesale (which cascades from nothing here but a TRUNCATE of kaart.initiative, handled
-- above): the rows of every initiative again.
create function kaart.overview_parties_truncated() returns trigger
language plpgsql as $$
begin
  perform kaart.overview_refresh(array(select initiative_id from kaart.overview_initiative),
                                 initiatives => false, parties => 'all');
  return null;
end
$$;

create trigger overview_party_truncate after truncate on kaart.party
  for each statement execute function kaart.overview_parties_truncated();
create trigger overview_contact_truncate after truncate on kaart.contact_person
  for each statement execute function kaart.overview_parties_truncated();

-- The rows of the initiatives that exist already.

revoke all on function kaart.overview_fields(), kaart.coverage_fields(), kaart.overview_region_columns(text[]),
  kaart.overview_tally(text, integer[], text[], text[], boolean, boolean),
  kaart.coverage_tally(text, text[], integer[]), kaart.tally_overflow(numeric), kaart.tally_digits(numeric, integer),
  kaart.tally_field(text, integer), kaart.tally_counts(numeric, text[]),
  kaart.overview_party_keys(kaart.overview_party, kaart.overview_initiative), kaart.overview_spans(bigint[]),
  kaart.overview_presence_rebuild(text[], text[], bigint[]),
  kaart.overview_party_rows(bigint[]), kaart.overview_refresh(bigint[], boolean, text),
  kaart.overview_initiative_changed(), kaart.overview_party_changed(),
  kaart.overview_contact_changed(), kaart.overview_parties_truncated()
  from public;

do $$
begin
  -- the fields are ref's by construction; the two route kinds that coverage_tally names are in it
  assert (select count(*) from ref.route_kind where code in ('doorlopende_leerroute', 'geintegreerde_route')) = 2;
  -- every field on its own
  assert (select bool_and(array(select c.field from kaart.tally_counts(t, kaart.overview_fields()) c where c.n = 1)
                          = array[f] and (select sum(c.n) from kaart.tally_counts(t, kaart.overview_fields()) c) = 1)
          from unnest(kaart.overview_fields()) f,
               lateral (select kaart.overview_tally(
                  case when f like 'route_kind:%' then split_part(f, ':', 2) else 'none' end,
                  case when f like 'niveau:%' then array[split_part(f, ':', 2)::integer] else '{}' end,
                  case when f like 'profiel:%' then array[split_part(f, ':', 2)] else '{}' end,
                  case when f like 'opleidingsdomein:%' then array[split_part(f, ':', 2)] else '{}' end,
                  f = 'condition:rio_registered', f = 'condition:cohort_guarantee') as t) x);
  assert (select bool_and(array(select c.field from kaart.tally_counts(t, kaart.coverage_fields()) c where c.n = 1)
                          = array[f] and (select sum(c.n) from kaart.tally_counts(t, kaart.coverage_fields()) c) = 1)
          from unnest(kaart.coverage_fields()) f,
               lateral (select kaart.coverage_tally('doorlopende_leerroute', array[split_part(f, ':', 1)],
                                                    array[split_part(f, ':', 2)::integer]) as t) x);
end
$$;
