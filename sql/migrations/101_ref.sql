-- The baseline of the schema, part 2: the ref schema (what 002 and 003 made): the code lists'
-- tables, and the tables of the reference geography.
-- Code lists. They are small and fixed by statute; their rows come from geo/codelists.json, their
-- one source, which sql/migrate.sh loads on every run (sql/migrate/codelists.sql). Labels are
-- Dutch, as the map shows them. `sort` is display order.
set local role routekaart_owner;

-- Kinds of cooperation shown on the map (Wet doorlopende leerroutes vmbo-mbo, Stb. 2020, 157).
create table ref.route_kind (
  code        text primary key check (code ~ '^[a-z_]{1,40}$'),
  label       text not null,
  description text not null,
  sort        smallint not null unique
);

-- vmbo leerwegen (WVO art. 10, 10b, 10d).
create table ref.leerweg (
  code  text primary key check (code ~ '^[A-Z]{2}$'),
  label text not null,
  sort  smallint not null unique
);

-- The ten beroepsgerichte profielen (Uitvoeringsbesluit WVO 2020 art. 2.21 lid 1).
-- `code` is an ASCII form of the usual abbreviation `afkorting`.
create table ref.profiel (
  code      text primary key check (code ~ '^[A-Z]{2,3}$'),
  afkorting text not null unique,
  label     text not null,
  sort      smallint not null unique
);

-- mbo niveaus (WEB art. 7.2.2 lid 1). Routes to Entree (niveau 1) are not allowed by the law.
create table ref.niveau (
  niveau             smallint primary key check (niveau between 1 and 4),
  label              text not null,
  allowed_for_routes boolean not null
);

-- The 16 mbo opleidingsdomeinen (Regeling vaststelling kwalificatiedossiers en opleidingsdomeinen
-- 2012, art. 2 lid 1 a-p); the code is the article letter.
create table ref.opleidingsdomein (
  code  text primary key check (code ~ '^[a-p]$'),
  label text not null
);

-- Which opleidingsdomeinen a vmbo profiel leads to: the usual doorstroom, not a legal rule (the
-- judgement per profiel is in geo/README.md). It drives the form's suggestions and the demo data;
-- the database does not refuse other combinations, because real routes cross these lines.
create table ref.profiel_domein (
  profiel text not null references ref.profiel,
  domein  text not null references ref.opleidingsdomein,
  primary key (profiel, domein)
);

-- Topics of the samenwerkingsovereenkomst of a doorlopende leerroute; `required` are the ones the
-- agreement must cover, the transfer of funding is optional.
create table ref.agreement_topic (
  code     text primary key check (code ~ '^[a-z_]{1,40}$'),
  label    text not null,
  required boolean not null,
  sort     smallint not null unique
);

-- CBS region divisions and their code prefixes (PV20, AM18, MC21, GM0363).
create table ref.region_type (
  type   text primary key check (type ~ '^[a-z]{1,30}$'),
  prefix text not null unique check (prefix ~ '^[A-Z]{2}$'),
  label  text not null,
  sort   smallint not null unique
);

comment on table ref.route_kind       is 'Kinds of vmbo–mbo cooperation on the map';
comment on table ref.leerweg          is 'vmbo leerwegen';
comment on table ref.profiel          is 'vmbo beroepsgerichte profielen';
comment on table ref.niveau           is 'mbo niveaus; allowed_for_routes is false for Entree';
comment on table ref.opleidingsdomein is 'mbo opleidingsdomeinen (a–p)';
comment on table ref.profiel_domein   is 'Usual doorstroom from a vmbo profiel to mbo opleidingsdomeinen (advisory)';
comment on table ref.agreement_topic  is 'Topics of the samenwerkingsovereenkomst';
comment on table ref.region_type      is 'CBS region divisions and their code prefixes';

-- Reference geography: CBS regions, the gemeente → region table, DUO school locations and PC4
-- points. Filled by geo/load-reference.sh; the schema is here so that the rules hold whoever loads.

-- A division year of the CBS regions. Exactly one is current: new initiatives get the regions of
-- that year, and loading a new year re-derives the regions of existing initiatives.
create table ref.division (
  year       smallint primary key check (year between 2000 and 2100),
  is_current boolean not null default false,
  loaded_at  timestamptz not null default now()
);
create unique index division_one_current on ref.division (is_current) where is_current;

-- Regions of every type, keyed by (type, code, year) because CBS re-divides between years.
-- The code's prefix fixes its type, so (code, year) is unique too and is what others reference.
create table ref.region (
  type text not null references ref.region_type,
  code text not null,
  year smallint not null references ref.division on delete cascade,
  name text not null check (length(name) between 1 and 200),
  geom geometry(MultiPolygon, 4326) not null check (st_isvalid(geom) and not st_isempty(geom)),
  primary key (type, code, year),
  unique (code, year),
  constraint region_code_check check (
    code ~ case type when 'gemeente' then '^GM[0-9]{4}$'
                     when 'provincie' then '^PV[0-9]{2}$'
                     when 'arbeidsmarktregio' then '^AM[0-9]{2}$'
                     when 'rmc' then '^MC[0-9]{2}$' end)
);
create index region_geom on ref.region using gist (geom);

-- Each gemeente's provincie, arbeidsmarktregio and RMC-regio in one division year. This, not a
-- spatial join against the dissolved layers, is how an initiative gets its larger regions.
create table ref.gemeente_regio (
  gemeente_code          text not null,
  year                   smallint not null,
  provincie_code         text not null,
  arbeidsmarktregio_code text not null,
  rmc_code               text not null,
  primary key (gemeente_code, year),
  foreign key (gemeente_code, year)          references ref.region (code, year) on delete cascade,
  foreign key (provincie_code, year)         references ref.region (code, year) on delete cascade,
  foreign key (arbeidsmarktregio_code, year) references ref.region (code, year) on delete cascade,
  foreign key (rmc_code, year)               references ref.region (code, year) on delete cascade,
  check (gemeente_code ~ '^GM[0-9]{4}$' and provincie_code ~ '^PV[0-9]{2}$'
         and arbeidsmarktregio_code ~ '^AM[0-9]{2}$' and rmc_code ~ '^MC[0-9]{2}$')
);

-- vmbo leerwegen a school offers, from DUO's onderwijsstructuur (e.g. 'VBO/MAVO/HAVO/VWO'):
--   VBO  (voorbereidend beroepsonderwijs) → BB, KB and GL: the beroepsgerichte leerwegen, and the
--        gemengde leerweg which combines them with the theoretical programme;
--   MAVO → GL and TL: the theoretical leerweg and the gemengde one it shares with VBO.
-- PRO, HAVO, VWO and BRUGJAAR add none. The result is in leerweg order (BB, KB, GL, TL).
create function ref.leerwegen_for_structure(structure text) returns text[]
language sql immutable parallel safe
return array(
  select lw from unnest('{BB,KB,GL,TL}'::text[]) with ordinality as u(lw, n)
  where (lw in ('BB', 'KB', 'GL') and 'VBO' = any (string_to_array(structure, '/')))
     or (lw in ('GL', 'TL') and 'MAVO' = any (string_to_array(structure, '/')))
  order by n);

-- School locations (DUO vestigingen) of vo and, where loaded, mbo. The gemeente code is DUO's
-- administrative one, which is more exact than a point-in-polygon on generalised borders.
create table ref.school_location (
  vestigingscode     text primary key check (vestigingscode ~ '^[0-9]{2}[A-Z]{2}[0-9]{2}$'),
  brin               text not null check (brin ~ '^[0-9]{2}[A-Z]{2}$'),
  name               text not null check (length(name) between 1 and 300),
  street             text check (length(street) <= 200),
  huisnummer         integer check (huisnummer between 0 and 99999),
  huisletter         text check (huisletter ~ '^[A-Za-z]$'),
  toevoeging         text check (length(toevoeging) between 1 and 10),
  postcode           text check (postcode ~ '^[1-9][0-9]{3}[A-Z]{2}$'),
  plaats             text not null check (length(plaats) between 1 and 100),
  gemeente_code      text not null check (gemeente_code ~ '^GM[0-9]{4}$'),
  sector             text not null check (sector in ('vo', 'mbo')),
  onderwijsstructuur text check (length(onderwijsstructuur) <= 100),
  vmbo               boolean not null generated always as
                       (coalesce('VBO' = any (string_to_array(onderwijsstructuur, '/'))
                              or 'MAVO' = any (string_to_array(onderwijsstructuur, '/')), false)) stored,
  leerwegen          text[] not null generated always as
                       (ref.leerwegen_for_structure(onderwijsstructuur)) stored,
  denominatie        text check (length(denominatie) <= 100),
  website            text check (website ~ '^https?://[^\s/?#]+\.[^\s/?#]+(/\S*)?$' and length(website) <= 500),
  leerlingen         integer check (leerlingen >= 0),
  geom               geometry(Point, 4326) not null check (not st_isempty(geom)),
  loaded_at          timestamptz not null default now(),
  check (brin = left(vestigingscode, 4))
);
create index school_location_geom on ref.school_location using gist (geom);
create index school_location_brin on ref.school_location (brin);
create index school_location_plaats on ref.school_location (plaats);

-- PC4 postcode points (GeoNames), used to place an address that has no coordinates.
create table ref.postcode4 (
  pc4           text primary key check (pc4 ~ '^[1-9][0-9]{3}$'),
  plaats        text not null check (length(plaats) between 1 and 100),
  gemeente_code text check (gemeente_code ~ '^GM[0-9]{4}$'),
  geom          geometry(Point, 4326) not null,
  suspect       boolean not null default false   -- position far from its neighbours; do not trust
);
create index postcode4_geom on ref.postcode4 using gist (geom);

comment on table ref.division        is 'CBS division years loaded; one is current';
comment on table ref.region          is 'CBS regions (gemeente, provincie, arbeidsmarktregio, rmc) per division year';
comment on table ref.gemeente_regio  is 'gemeente → provincie / arbeidsmarktregio / RMC per division year';
comment on table ref.school_location is 'DUO school locations (vestigingen) with BAG address points';
comment on table ref.postcode4       is 'PC4 postcode points (GeoNames)';
comment on column ref.school_location.leerwegen is 'vmbo leerwegen derived from onderwijsstructuur: VBO → BB, KB, GL; MAVO → GL, TL';
