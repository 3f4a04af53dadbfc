-- The baseline of the schema, part 3: the tables of the kaart schema (what 004, 005, 010, 015 and
-- 017 made). The triggers that keep their rules and derived tables are in sql/api/.
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
  -- Code arrays are checked against the statutory lists: a CHECK cannot read ref, so the codes are
  -- spelled out here, and sql/migrate/codelists.sql fails a run where they differ from the lists.
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

-- Published initiatives per region and per school location, for the counts of api.regions and
-- api.schools. Kept by statement triggers (one upsert per statement, also for bulk loads),
-- because counting at read time means reading every initiative: seconds at a million.
create table kaart.region_tally (
  code text not null,
  year smallint not null,
  n    integer not null,
  primary key (code, year)
);
create table kaart.school_tally (
  vestigingscode text primary key,
  n              integer not null
);
comment on table kaart.region_tally is 'Number of published initiatives per region (maintained by triggers)';
comment on table kaart.school_tally is 'Number of published initiatives per school location among their parties (maintained by triggers)';

-- Tables of the write path: pending revisions of published initiatives, idempotency keys of
-- submissions, the Sterk beroepsonderwijs-contactpersoon of each school location, and the API keys
-- of the programme team. Constraints are named table_field_check like those above, so the service
-- can turn a violation into a field error.
-- Why a moderator withdrew an initiative (a submitter's own withdrawal has none).
alter table kaart.initiative
  add column withdrawal_reason text
    constraint initiative_withdrawal_reason_check
    check (withdrawal_reason is null or (length(withdrawal_reason) between 1 and 2000 and status = 'withdrawn'));
comment on column kaart.initiative.withdrawal_reason is 'Reason given by the moderator who withdrew the initiative';

-- Erasure finds a person's other contact rows by e-mail address, and retention the audit rows of
-- the contact persons and revisions of an initiative.
create index contact_person_email on kaart.contact_person (lower(email)) where email is not null;

-- A change to a published initiative, proposed by its submitter. The published row stays as it is
-- until a moderator approves the revision; at most one revision per initiative is pending.
--   pending    awaiting a moderator
--   approved   applied to the initiative
--   rejected   refused, with a reason
--   superseded replaced by a newer revision from the submitter
--   dropped    the initiative was withdrawn while the revision was pending
-- doc is the submission document in its normalised form (kaart.normalize_document): it holds
-- contact persons, so erasure (kaart.erase_persons) scrubs it.
create table kaart.revision (
  id            bigint generated always as identity primary key,
  initiative_id bigint not null constraint revision_initiative_id_fkey
                references kaart.initiative on delete cascade,
  status        text not null default 'pending'
                constraint revision_status_check
                check (status in ('pending', 'approved', 'rejected', 'superseded', 'dropped')),
  doc           jsonb not null constraint revision_doc_check check (jsonb_typeof(doc) = 'object'),
  base_revision integer not null,          -- kaart.initiative.revision when it was submitted
  reason        text constraint revision_reason_check
                check ((reason is null or length(reason) between 1 and 2000)
                       and (status <> 'rejected' or reason is not null)),
  created_at    timestamptz not null default now(),
  decided_at    timestamptz,
  constraint revision_decided_at_check check ((status = 'pending') = (decided_at is null))
);
create unique index revision_one_pending on kaart.revision (initiative_id) where status = 'pending';
create index revision_initiative on kaart.revision (initiative_id);
create index revision_pending_created on kaart.revision (created_at) where status = 'pending';

comment on table kaart.revision is 'Revisions of published initiatives proposed by their submitters; one pending at a time';

-- Idempotency keys of submissions (the Idempotency-Key header), kept for 24 hours: a repeated
-- request with the same key returns the initiative created the first time. The service stores the
-- hash of the request (to refuse the key's reuse for another body) and the edit token encrypted so
-- that only a holder of the idempotency key can recover it (to answer the repetition with the same
-- token); the database sees neither the key nor the token. Not audited: it records requests, not
-- data of the map.
create table kaart.submission_idempotency (
  key_hash      bytea primary key constraint submission_idempotency_key_hash_check
                check (octet_length(key_hash) = 32),
  initiative_id bigint constraint submission_idempotency_initiative_id_fkey
                references kaart.initiative on delete cascade,
  request_hash  bytea not null constraint submission_idempotency_request_hash_check
                check (octet_length(request_hash) between 1 and 64),
  token_enc     bytea not null constraint submission_idempotency_token_enc_check
                check (octet_length(token_enc) between 1 and 1024),
  created_at    timestamptz not null default now()
);
create index submission_idempotency_created on kaart.submission_idempotency (created_at);
create index submission_idempotency_initiative on kaart.submission_idempotency (initiative_id);

comment on table kaart.submission_idempotency is 'Idempotency keys of submissions (hashes only), kept 24 hours';

-- The Sterk beroepsonderwijs-contactpersoon of a school location, kept by the programme team.
-- Personal data, never public. `id` identifies the row in audit.log (whose entity_id is a number).
-- A school location that leaves DUO's list takes its contact with it.
create table kaart.school_contact (
  vestigingscode text primary key constraint school_contact_vestigingscode_fkey
                 references ref.school_location on delete cascade,
  id             bigint generated always as identity unique,
  name           text not null constraint school_contact_name_check check (length(name) between 2 and 200),
  function       text constraint school_contact_function_check check (length(function) between 1 and 200),
  email          text constraint school_contact_email_check check (kaart.is_email(email)),
  phone          text constraint school_contact_phone_check check (phone ~ '^\+?[0-9][0-9 ()-]{5,19}$'),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now()
);
create index school_contact_email on kaart.school_contact (lower(email));

comment on table kaart.school_contact is 'The Sterk beroepsonderwijs-contactpersoon per school location; personal data';

-- API keys of the programme team and the ministry. The secret is random and shown once; only its
-- SHA-256 is stored. A revoked key keeps its row (and its name) for the audit trail.
create table kaart.api_key (
  id           bigint generated always as identity primary key,
  name         text not null constraint api_key_name_key unique
               constraint api_key_name_check check (length(name) between 1 and 100 and name !~ '[[:cntrl:]]'),
  role         text not null constraint api_key_role_check check (role in ('moderator', 'analyst', 'admin')),
  secret_hash  bytea not null constraint api_key_secret_hash_check check (octet_length(secret_hash) = 32),
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz,
  last_used_at timestamptz
);

comment on table kaart.api_key is 'API keys (sha256 of the secret only); revoked keys are kept';

-- What the regional overviews (api/65_overviews.sql) count, kept ready by statement triggers on kaart.initiative,
-- kaart.party and kaart.contact_person, so that an overview as of any day is one scan of a narrow
-- table instead of the wide initiative rows (about 1.8 kB each: texts and the search vector) and
-- a join with their parties.
--
-- kaart.overview_initiative: one row per initiative that is published, or was published before
-- it was withdrawn: its dates, regions, agreement date and the tally of its attributes. Kept as
-- narrow as possible: an overview reads all of it. kaart.overview_route: the same for the coverage
-- matrix, for the routes that fill it.
--
-- A tally is a numeric whose decimal digits form fields of 8 digits, one per attribute in the
-- order of kaart.overview_fields() (route kinds, niveaus, profielen, opleidingsdomeinen, RIO,
-- cohort guarantee): 1 when the initiative has the attribute, 0 when not. A sum of tallies holds
-- every count at once (up to 99,999,999 per field), so a region's figures are one sum() over its
-- initiatives instead of 35 filtered counts. `cells` is the tally of the coverage matrix,
-- profiel × niveau (kaart.coverage_fields()), of the routes the law is about (doorlopende
-- leerroutes and geïntegreerde routes), which have a row in kaart.overview_route.
--
-- kaart.overview_party: the same initiatives' parties and whether they have an SBO contact person
-- (no row when they have neither).
--
-- kaart.overview_presence: for each vo location, mbo institution or location and company, the
-- periods in which it took part in at least one counted initiative (per region for the mbo
-- parties and companies). "How many distinct mbo institutions in this region as of that day" is
-- then a count over a few thousand rows instead of unnesting the parties of every initiative.
-- Derived: written only by kaart.overview_refresh().
create table kaart.overview_initiative (
  initiative_id       bigint primary key,
  published_at        timestamptz not null,
  withdrawn_at        timestamptz,
  -- the initiative's region of each type (from kaart.initiative.region_codes)
  provincie           text,
  arbeidsmarktregio   text,
  rmc                 text,
  gemeente            text,
  agreement_signed_on date,
  tally               numeric not null      -- fields of kaart.overview_fields()
);

-- Doorlopende leerroutes and geïntegreerde routes with a profiel (the others fill no cell).
create table kaart.overview_route (
  initiative_id       bigint primary key,
  published_at        timestamptz not null,
  withdrawn_at        timestamptz,
  provincie           text,
  arbeidsmarktregio   text,
  rmc                 text,
  gemeente            text,
  cells               numeric not null      -- fields of kaart.coverage_fields()
);

create table kaart.overview_party (
  initiative_id       bigint primary key,
  vo_locations        text[] not null,      -- school locations of its vo parties
  sbo_contact         boolean not null,     -- it has a contact person flagged sbo_contact
  mbo_organisations   bigint[] not null,    -- organisations of its mbo parties
  mbo_locations       text[] not null,      -- school locations of its mbo parties
  companies           bigint[] not null     -- organisations of its bedrijf parties
);

comment on table kaart.overview_initiative is
  'Derived, for the regional overviews: what each published (or published, then withdrawn) initiative counts for';
comment on table kaart.overview_route is
  'Derived, for the coverage matrix: the cells each counted doorlopende leerroute and geïntegreerde route fills';
comment on table kaart.overview_party is
  'Derived, for the regional overviews: the parties of the initiatives in kaart.overview_initiative';

-- A party (kind, key) counts as of a moment c when since < c and (until is null or c <= until),
-- the same rule as for an initiative (published_at < c, not withdrawn_at < c): the periods of its
-- initiatives merged. kind: vo (a vo location takes part), sbo (… in an initiative with an SBO
-- contact person), mbo_organisation, mbo_location, company. key: the vestigingscode or the
-- organisation id. vo and sbo are per location (no regions); the others per region of their
-- initiatives.
create table kaart.overview_presence (
  kind              text not null
                    check (kind in ('vo', 'sbo', 'mbo_organisation', 'mbo_location', 'company')),
  key               text not null,
  provincie         text,
  arbeidsmarktregio text,
  rmc               text,
  gemeente          text,
  since             timestamptz not null,
  until             timestamptz,
  check (until > since)
);
create index overview_presence_key on kaart.overview_presence (kind, key);

comment on table kaart.overview_presence is
  'Derived, for the regional overviews: when each vo location, mbo party and company took part in published initiatives';

-- What the vector tiles and the clusters (api/75_tiles.sql) read, kept ready: the published initiatives counted
-- per cell of a fine grid in Web Mercator, and the region outlines simplified per band of zooms.
--
-- The grid. EPSG:3857 spans ±W = ±20037508.342789244 m in x and y. A tile of zoom z (XYZ scheme,
-- y from the north, as ST_TileEnvelope) is divided into 8 × 8 cells, so the cell grid of zoom z
-- has 2^(z+3) cells per side; cell (cx, cy) of zoom z holds the points with
--   cx = floor((x + W) / (2W / 2^(z+3))),  cy = floor((W - y) / (2W / 2^(z+3)))
-- (kaart.cell_x, kaart.cell_y). The cells nest: the cell of zoom z is the zoom-12 cell shifted
-- right by 12 - z bits, and tile (x, y) of zoom z holds the zoom-12 cells with cx >> (12 - z)
-- between 8x and 8x + 7. kaart.initiative_cell keeps the zoom-12 grid (2^15 cells per side,
-- about 1.2 km), so a cluster of any zoom up to 12 is a sum over a range of its primary key.
--
-- Coordinates are summed exactly: a point's Mercator coordinates are rounded to 1/1024 m
-- (kaart.mercator_q), so every sum is a multiple of 2^-10 that float8 holds exactly while it stays
-- below 2^43 (8.8e12 m: 400,000 initiatives in one cell at the far edge of the world, over a
-- million in the Netherlands). Adding and removing points in any order then gives the same sums
-- as counting from scratch, and a cell whose points left has sums of exactly 0.
set local role routekaart_owner;

-- A coordinate in metres, rounded to 1/1024 m (exact: multiplying and dividing by powers of two).
create function kaart.mercator_q(v float8) returns float8
language sql immutable parallel safe
return round(v * 1024) / 1024;

-- The column and row (from the north) of the cell of zoom z (8 × 8 per tile) that holds the
-- EPSG:3857 coordinate; points on the far edge of the world belong to the last cell.
create function kaart.cell_x(x float8, z integer) returns integer
language sql immutable parallel safe
return least(greatest(floor((x + 20037508.342789244::float8)
                            / (2 * 20037508.342789244::float8 / (1::bigint << (z + 3))::float8)), 0),
             (1::bigint << (z + 3)) - 1)::integer;

create function kaart.cell_y(y float8, z integer) returns integer
language sql immutable parallel safe
return least(greatest(floor((20037508.342789244::float8 - y)
                            / (2 * 20037508.342789244::float8 / (1::bigint << (z + 3))::float8)), 0),
             (1::bigint << (z + 3)) - 1)::integer;

-- Published initiatives per zoom-12 cell and route kind. Derived: written only by the triggers
-- of sql/api/70_tile_cells.sql.
create table kaart.initiative_cell (
  cx         integer not null,   -- kaart.cell_x(x, 12)
  cy         integer not null,   -- kaart.cell_y(y, 12)
  route_kind text not null,
  n          integer not null,   -- published initiatives (no row when 0)
  sx         float8 not null,    -- sum of their x (EPSG:3857, kaart.mercator_q)
  sy         float8 not null,    -- sum of their y
  sid        bigint not null,    -- sum of their ids: the id when n = 1
  primary key (cx, cy, route_kind)
);

comment on table kaart.initiative_cell is
  'Derived, for tiles and clusters: published initiatives per zoom-12 Web Mercator cell (8 x 8 per tile) and route kind (maintained by triggers)';

-- The zoom-12 cell of a point (EPSG:4326), for the index below.
create function kaart.geom_cell_x(geom geometry) returns integer
language sql immutable parallel safe
return kaart.cell_x(kaart.mercator_q(st_x(st_transform(geom, 3857))), 12);

create function kaart.geom_cell_y(geom geometry) returns integer
language sql immutable parallel safe
return kaart.cell_y(kaart.mercator_q(st_y(st_transform(geom, 3857))), 12);

-- The published initiatives by zoom-12 cell, with what a tile of them shows: a tile from zoom 13
-- on is a few ranges of this index, read without touching the table (an index-only scan, once
-- VACUUM has marked the pages all-visible). The table's own rows are wide (about 1.8 kB) and
-- the points of one place lie scattered over it, so reading them costs a page per initiative.
create index initiative_published_cell on kaart.initiative (kaart.geom_cell_x(geom), kaart.geom_cell_y(geom))
  include (id, route_kind, name, geom) where status = 'published';

create table kaart.region_tile_geom (
  type text not null,
  code text not null,
  year smallint not null,
  band smallint not null check (band between 0 and 3),
  geom geometry(MultiPolygon, 3857) not null check (not st_isempty(geom)),
  primary key (type, year, band, code),
  foreign key (type, code, year) references ref.region on delete cascade
);
create index region_tile_geom_geom on kaart.region_tile_geom using gist (geom);

comment on table kaart.region_tile_geom is
  'Derived, for the region tiles: CBS region outlines in EPSG:3857 per zoom band (kaart.region_tile_bands), filled by api.refresh_region_tiles()';

revoke all on function
  kaart.mercator_q(float8), kaart.cell_x(float8, integer), kaart.cell_y(float8, integer),
  kaart.geom_cell_x(geometry), kaart.geom_cell_y(geometry)
from public;

do $$
begin
  -- the cells nest, also at the edges of the world
  assert (select bool_and(kaart.cell_x(v, 12) >> (12 - z) = kaart.cell_x(v, z)
                          and kaart.cell_y(v, 12) >> (12 - z) = kaart.cell_y(v, z))
          from generate_series(0, 12) z,
               unnest(array[-20037508.342789244, -1e-9, 0, 1e-9, 123456.789, 568432.5, 6803219.25,
                            20037508.342789244]::float8[]) v);
  -- a cell of zoom z lies inside the tile ST_TileEnvelope gives for it
  assert (select bool_and(kaart.cell_x(st_xmin(e) + 1e-3, z) = 8 * tx and kaart.cell_x(st_xmax(e) - 1e-3, z) = 8 * tx + 7
                          and kaart.cell_y(st_ymax(e) - 1e-3, z) = 8 * ty and kaart.cell_y(st_ymin(e) + 1e-3, z) = 8 * ty + 7)
          from (values (0, 0, 0), (5, 16, 10), (12, 2106, 1347), (12, 4095, 0)) t(z, tx, ty),
               lateral (select st_tileenvelope(t.z, t.tx, t.ty) as e) x);
end
$$;
