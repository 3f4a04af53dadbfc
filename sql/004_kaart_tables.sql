-- The initiatives and everything about them. Every rule the service validates is enforced here as
-- well, so no path around the service can store bad data. Constraints are named after the field
-- they guard (table_field_check), which lets the service turn a violation into a field error.
set local role routekaart_owner;

-- Shapes shared by several tables. Immutable, so CHECK constraints may use them.
create function kaart.is_email(v text) returns boolean
language sql immutable parallel safe
return length(v) <= 254 and v ~ '^[^@[:space:]]+@[^@[:space:].]+(\.[^@[:space:].]+)+$';

create function kaart.is_url(v text) returns boolean
language sql immutable parallel safe
return length(v) <= 500 and v ~ '^https?://[^[:space:]/?#@]+\.[^[:space:]/?#@]+(:[0-9]{1,5})?([/?#][^[:space:]]*)?$';

-- Organisations other than vo school locations: mbo institutions (by BRIN), companies (by KvK
-- number) and other organisations (by name).
create table kaart.organisation (
  id         bigint generated always as identity primary key,
  kind       text not null constraint organisation_kind_check check (kind in ('mbo', 'company', 'other')),
  brin       text constraint organisation_brin_check check (brin ~ '^[0-9]{2}[A-Z]{2}$'),
  kvk        text constraint organisation_kvk_check check (kvk ~ '^[0-9]{8}$'),
  name       text not null constraint organisation_name_check check (length(name) between 2 and 200),
  plaats     text constraint organisation_plaats_check check (length(plaats) between 1 and 100),
  postcode   text constraint organisation_postcode_check check (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
  website    text constraint organisation_website_check check (kaart.is_url(website)),
  geom       geometry(Point, 4326) constraint organisation_geom_check check (not st_isempty(geom)),
  is_demo    boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- an mbo institution is known by its BRIN, a company by its KvK number
  constraint organisation_identity_check check (case kind
    when 'mbo' then brin is not null and kvk is null
    when 'company' then kvk is not null and brin is null
    else brin is null end)
);
create unique index organisation_brin_key on kaart.organisation (brin) where brin is not null;
create unique index organisation_kvk_key on kaart.organisation (kvk) where kvk is not null;
create unique index organisation_other_name_key on kaart.organisation (lower(name), lower(coalesce(plaats, '')))
  where kind = 'other';
create index organisation_geom on kaart.organisation using gist (geom);

create table kaart.initiative (
  id                 bigint generated always as identity primary key,
  -- where the row came from: a school's submission, an import, or the demo generator (which
  -- replaces its own rows and never touches others)
  source             text not null default 'submission'
                     constraint initiative_source_check check (source in ('submission', 'import', 'demo')),
  external_ref       text constraint initiative_external_ref_check check (length(external_ref) between 1 and 100),
  status             text not null default 'submitted'
                     constraint initiative_status_check check (status in ('submitted', 'published', 'rejected', 'withdrawn')),
  name               text not null constraint initiative_name_check check (length(name) between 3 and 200),
  route_kind         text not null constraint initiative_route_kind_fkey references ref.route_kind,
  -- Code arrays are checked against the statutory lists (mirrored in ref, asserted at the end).
  leerwegen          text[] not null constraint initiative_leerwegen_check
                     check (cardinality(leerwegen) >= 1 and leerwegen <@ '{BB,KB,GL,TL}'),
  -- a route without a beroepsgericht profiel exists only in the theoretische leerweg
  profielen          text[] not null default '{}' constraint initiative_profielen_check
                     check (profielen <@ '{BWI,PIE,MT,MVI,MAT,ZW,EO,HBR,GR,DP}'
                            and (cardinality(profielen) >= 1 or leerwegen = '{TL}')),
  -- no routes to Entree (niveau 1)
  niveaus            integer[] not null constraint initiative_niveaus_check
                     check (cardinality(niveaus) >= 1 and niveaus <@ '{2,3,4}'),
  opleidingsdomeinen text[] not null constraint initiative_opleidingsdomeinen_check
                     check (cardinality(opleidingsdomeinen) >= 1
                            and opleidingsdomeinen <@ '{a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p}'),
  crebo              text[] not null default '{}' constraint initiative_crebo_check
                     check (cardinality(crebo) <= 50
                            and array_to_string(crebo, ',', '?') ~ '^([0-9]{5}(,[0-9]{5})*)?$'),
  start_year         integer constraint initiative_start_year_check check (start_year between 2000 and 2100),
  description        text constraint initiative_description_check check (length(description) <= 5000),
  website            text constraint initiative_website_check check (kaart.is_url(website)),
  mailbox            text constraint initiative_mailbox_check check (kaart.is_email(mailbox)),
  place              text constraint initiative_place_check check (length(place) between 1 and 100),
  -- the uitvoeringslocatie: a school location whose point (and gemeente) the initiative takes
  location_vestiging text constraint initiative_location_vestiging_fkey references ref.school_location,
  geom               geometry(Point, 4326) not null constraint initiative_geom_check check (not st_isempty(geom)),

  -- conditions; NULL is "not stated"
  agreement_signed_on date constraint initiative_agreement_signed_on_check
                      check (agreement_signed_on between '2000-01-01' and '2100-01-01'),
  agreement_topics    text[] not null default '{}' constraint initiative_agreement_topics_check
                      check (agreement_topics <@ '{profiel_domein,dagelijkse_leiding,inrichting,overstapoptie,bedrijfsleven,geschilbeslechting,toetreding_opzegging,medezeggenschap,overdracht_bekostiging}'
                             and (cardinality(agreement_topics) = 0 or agreement_signed_on is not null)),
  rio_registered      boolean,
  combined_pta_oer    boolean,
  cohort_guarantee    boolean,

  -- derived by triggers, never written by hand
  gemeente_code      text not null,
  region_year        smallint not null,
  region_codes       text[] not null,      -- GM, PV, AM and MC codes of region_year
  brins              text[] not null default '{}',   -- BRINs of the vo and mbo parties
  vestigingen        text[] not null default '{}',   -- school locations among the parties

  rejection_reason   text constraint initiative_rejection_reason_check
                     check (length(rejection_reason) between 1 and 2000),
  edit_token_hash    bytea constraint initiative_edit_token_hash_check check (octet_length(edit_token_hash) = 32),
  revision           integer not null default 1,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  published_at       timestamptz,
  rejected_at        timestamptz,
  withdrawn_at       timestamptz,
  search             tsvector generated always as
                       (setweight(to_tsvector('dutch'::regconfig, name), 'A')
                        || setweight(to_tsvector('dutch'::regconfig, coalesce(description, '')), 'B')) stored,

  -- the geïntegreerde route is by law basisberoepsgerichte leerweg → mbo niveau 2
  constraint initiative_geintegreerde_route_check
    check (route_kind <> 'geintegreerde_route' or (leerwegen = '{BB}' and niveaus = '{2}')),
  constraint initiative_status_dates_check check (
        (published_at is not null) = (status = 'published' or (status = 'withdrawn' and published_at is not null))
    and (rejected_at is not null) = (status = 'rejected')
    and (withdrawn_at is not null) = (status = 'withdrawn')),
  constraint initiative_rejection_check check (status <> 'rejected' or rejection_reason is not null),
  constraint initiative_region_fkey foreign key (gemeente_code, region_year) references ref.gemeente_regio,
  constraint initiative_external_ref_key unique (source, external_ref)
);

-- Indexes for the public read path cover published rows only, the rows it can see.
create index initiative_status on kaart.initiative (status);
create index initiative_published_geom on kaart.initiative using gist (geom) where status = 'published';
create index initiative_published_regions on kaart.initiative using gin (region_codes) where status = 'published';
create index initiative_published_niveaus on kaart.initiative using gin (niveaus) where status = 'published';
create index initiative_published_profielen on kaart.initiative using gin (profielen) where status = 'published';
create index initiative_published_leerwegen on kaart.initiative using gin (leerwegen) where status = 'published';
create index initiative_published_domeinen on kaart.initiative using gin (opleidingsdomeinen) where status = 'published';
create index initiative_published_brins on kaart.initiative using gin (brins) where status = 'published';
create index initiative_published_vestigingen on kaart.initiative using gin (vestigingen) where status = 'published';
create index initiative_published_search on kaart.initiative using gin (search) where status = 'published';
create index initiative_published_at on kaart.initiative (published_at) where status = 'published';
create index initiative_location on kaart.initiative (location_vestiging);

-- Who offers an initiative: a school location (vo, or mbo where DUO's mbo locations are loaded)
-- or an organisation.
create table kaart.party (
  id              bigint generated always as identity primary key,
  initiative_id   bigint not null constraint party_initiative_id_fkey
                  references kaart.initiative on delete cascade,
  role            text not null constraint party_role_check check (role in ('vo', 'mbo', 'bedrijf', 'overig')),
  vestigingscode  text constraint party_vestigingscode_fkey references ref.school_location,
  organisation_id bigint constraint party_organisation_id_fkey references kaart.organisation,
  created_at      timestamptz not null default now(),
  constraint party_target_check check (num_nonnulls(vestigingscode, organisation_id) = 1),
  constraint party_school_key unique (initiative_id, vestigingscode),
  constraint party_organisation_key unique (initiative_id, organisation_id)
);
create index party_vestigingscode on kaart.party (vestigingscode);
create index party_organisation on kaart.party (organisation_id);

-- Personal data. Private by default (AVG): only a name and function, and only with recorded
-- consent, ever reach the public api; e-mail and phone never do.
create table kaart.contact_person (
  id             bigint generated always as identity primary key,
  initiative_id  bigint not null constraint contact_person_initiative_id_fkey
                 references kaart.initiative on delete cascade,
  name           text not null constraint contact_person_name_check check (length(name) between 2 and 200),
  function       text constraint contact_person_function_check check (length(function) between 1 and 200),
  email          text constraint contact_person_email_check check (kaart.is_email(email)),
  phone          text constraint contact_person_phone_check check (phone ~ '^\+?[0-9][0-9 ()-]{5,19}$'),
  sbo_contact    boolean not null default false,   -- the school's Sterk beroepsonderwijs-contactpersoon
  public_consent boolean not null default false,
  consent_at     timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint contact_person_consent_check check (public_consent = (consent_at is not null))
);
create index contact_person_initiative on kaart.contact_person (initiative_id);

comment on table kaart.organisation   is 'mbo institutions (BRIN), companies (KvK) and other organisations';
comment on table kaart.initiative     is 'Cooperation initiatives (doorlopende leerroutes and others); regions, brins and vestigingen are derived';
comment on table kaart.party          is 'Parties of an initiative: school locations or organisations';
comment on table kaart.contact_person is 'Contact persons of an initiative; personal data, public only with consent';
comment on column kaart.initiative.region_codes is 'GM/PV/AM/MC codes of region_year, derived from location_vestiging or geom';
comment on column kaart.initiative.edit_token_hash is 'sha256 of the edit token given to the submitter';

-- The constant arrays in the CHECKs above must match the code lists.
do $$
begin
  assert (select array_agg(code order by sort) from ref.leerweg) = '{BB,KB,GL,TL}';
  assert (select array_agg(code order by sort) from ref.profiel) = '{BWI,PIE,MT,MVI,MAT,ZW,EO,HBR,GR,DP}';
  assert (select array_agg(niveau::int order by niveau) from ref.niveau where allowed_for_routes) = '{2,3,4}';
  assert (select array_agg(code order by code) from ref.opleidingsdomein) = '{a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p}';
  assert (select array_agg(code order by sort) from ref.agreement_topic)
    = '{profiel_domein,dagelijkse_leiding,inrichting,overstapoptie,bedrijfsleven,geschilbeslechting,toetreding_opzegging,medezeggenschap,overdracht_bekostiging}';
end
$$;
