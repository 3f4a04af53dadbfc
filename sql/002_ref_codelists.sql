-- Code lists. They are small and fixed by statute, so they are seeded here and the database works
-- without the data directory. Labels are Dutch, as the map shows them. `sort` is display order.
set local role routekaart_owner;

-- Kinds of cooperation shown on the map (Wet doorlopende leerroutes vmbo-mbo, Stb. 2020, 157).
create table ref.route_kind (
  code        text primary key check (code ~ '^[a-z_]{1,40}$'),
  label       text not null,
  description text not null,
  sort        smallint not null unique
);
insert into ref.route_kind (code, label, description, sort) values
  ('doorlopende_leerroute', 'Doorlopende leerroute',
   'Van vmbo leerjaar 3 naar een mbo-diploma op niveau 2, 3 of 4 in één programma; de eerste twee jaar ingeschreven en bekostigd in het vo, daarna in het mbo.', 1),
  ('geintegreerde_route', 'Geïntegreerde route',
   'Van de basisberoepsgerichte leerweg naar een mbo-diploma op niveau 2, waarbij het vmbo-examen geheel of gedeeltelijk vervalt.', 2),
  ('leerlab', 'Leerlab',
   'Een proeftuin waarin vmbo, mbo en bedrijfsleven samen nieuwe vormen van beroepsonderwijs ontwikkelen.', 3),
  ('samenwerking', 'Samenwerking',
   'Andere regionale samenwerking tussen vmbo, mbo en bedrijfsleven: leerwerktraject, vm2, doorlopende leerlijn, van twee scholen tot een regionaal netwerk.', 4);

-- vmbo leerwegen (WVO art. 10, 10b, 10d).
create table ref.leerweg (
  code  text primary key check (code ~ '^[A-Z]{2}$'),
  label text not null,
  sort  smallint not null unique
);
insert into ref.leerweg (code, label, sort) values
  ('BB', 'basisberoepsgerichte leerweg', 1),
  ('KB', 'kaderberoepsgerichte leerweg', 2),
  ('GL', 'gemengde leerweg', 3),
  ('TL', 'theoretische leerweg', 4);

-- The ten beroepsgerichte profielen (Uitvoeringsbesluit WVO 2020 art. 2.21 lid 1).
-- `code` is an ASCII form of the usual abbreviation `afkorting`.
create table ref.profiel (
  code      text primary key check (code ~ '^[A-Z]{2,3}$'),
  afkorting text not null unique,
  label     text not null,
  sort      smallint not null unique
);
insert into ref.profiel (code, afkorting, label, sort) values
  ('BWI', 'BWI',   'Bouwen, wonen en interieur', 1),
  ('PIE', 'PIE',   'Produceren, installeren en energie', 2),
  ('MT',  'M&T',   'Mobiliteit en transport', 3),
  ('MVI', 'MVI',   'Media, vormgeving en ICT', 4),
  ('MAT', 'MaT',   'Maritiem en techniek', 5),
  ('ZW',  'Z&W',   'Zorg en welzijn', 6),
  ('EO',  'E&O',   'Economie en ondernemen', 7),
  ('HBR', 'HBR',   'Horeca, bakkerij en recreatie', 8),
  ('GR',  'Groen', 'Groen', 9),
  ('DP',  'D&P',   'Dienstverlening en producten', 10);

-- mbo niveaus (WEB art. 7.2.2 lid 1). Routes to Entree (niveau 1) are not allowed by the law.
create table ref.niveau (
  niveau             smallint primary key check (niveau between 1 and 4),
  label              text not null,
  allowed_for_routes boolean not null
);
insert into ref.niveau (niveau, label, allowed_for_routes) values
  (1, 'Entreeopleiding', false),
  (2, 'Basisberoepsopleiding', true),
  (3, 'Vakopleiding', true),
  (4, 'Middenkaderopleiding / specialistenopleiding', true);

-- The 16 mbo opleidingsdomeinen (Regeling vaststelling kwalificatiedossiers en opleidingsdomeinen
-- 2012, art. 2 lid 1 a-p); the code is the article letter.
create table ref.opleidingsdomein (
  code  text primary key check (code ~ '^[a-p]$'),
  label text not null
);
insert into ref.opleidingsdomein (code, label) values
  ('a', 'Bouw en infra'),
  ('b', 'Afbouw, hout en onderhoud'),
  ('c', 'Techniek en procesindustrie'),
  ('d', 'Ambacht, laboratorium en gezondheidstechniek'),
  ('e', 'Media en vormgeving'),
  ('f', 'Informatie en communicatietechnologie'),
  ('g', 'Mobiliteit en voertuigen'),
  ('h', 'Transport, scheepvaart en logistiek'),
  ('i', 'Handel en ondernemerschap'),
  ('j', 'Economie en administratie'),
  ('k', 'Veiligheid en sport'),
  ('l', 'Uiterlijke verzorging'),
  ('m', 'Horeca en bakkerij'),
  ('n', 'Toerisme en recreatie'),
  ('o', 'Zorg en welzijn'),
  ('p', 'Voedsel, natuur en leefomgeving');

-- Which opleidingsdomeinen a vmbo profiel leads to: the usual doorstroom, not a legal rule.
-- It drives the form's suggestions and the demo data; the database does not refuse other
-- combinations, because real routes cross these lines (a ZW pupil into sport, a PIE pupil into
-- the laboratory). Judgement per profiel:
--   BWI  bouw (a) and afbouw/hout/onderhoud (b): the profiel's own two halves.
--   PIE  techniek en procesindustrie (c) for metaal, installatie and elektro; ambacht/laboratorium (d)
--        for the instrument and fine-metal trades.
--   MT   mobiliteit en voertuigen (g) and transport/logistiek (h).
--   MVI  media en vormgeving (e) and ICT (f).
--   MAT  scheepvaart (h) and maritieme techniek within techniek (c).
--   ZW   zorg en welzijn (o); its keuzevakken also lead to uiterlijke verzorging (l) and sport (k).
--   EO   handel (i), economie en administratie (j), and logistiek (h) through its keuzevak.
--   HBR  horeca en bakkerij (m) and toerisme en recreatie (n).
--   GR   voedsel, natuur en leefomgeving (p).
--   DP   deliberately broad (a profiel for pupils who have not chosen a sector yet): the service
--        domains e, f, i, j, k, l, n, o.
create table ref.profiel_domein (
  profiel text not null references ref.profiel,
  domein  text not null references ref.opleidingsdomein,
  primary key (profiel, domein)
);
insert into ref.profiel_domein (profiel, domein)
select p, d
from (values ('BWI', 'a,b'), ('PIE', 'c,d'), ('MT', 'g,h'), ('MVI', 'e,f'), ('MAT', 'c,h'),
             ('ZW', 'o,l,k'), ('EO', 'i,j,h'), ('HBR', 'm,n'), ('GR', 'p'),
             ('DP', 'e,f,i,j,k,l,n,o')) v(p, ds),
     unnest(string_to_array(ds, ',')) d;

-- Topics of the samenwerkingsovereenkomst of a doorlopende leerroute; `required` are the ones the
-- agreement must cover, the transfer of funding is optional.
create table ref.agreement_topic (
  code     text primary key check (code ~ '^[a-z_]{1,40}$'),
  label    text not null,
  required boolean not null,
  sort     smallint not null unique
);
insert into ref.agreement_topic (code, label, required, sort) values
  ('profiel_domein',       'Profiel en opleidingsdomein / kwalificatie', true, 1),
  ('dagelijkse_leiding',   'Dagelijkse leiding', true, 2),
  ('inrichting',           'Organisatorische en onderwijskundige inrichting', true, 3),
  ('overstapoptie',        'Overstapoptie', true, 4),
  ('bedrijfsleven',        'Betrokkenheid bedrijfsleven', true, 5),
  ('geschilbeslechting',   'Geschilbeslechting', true, 6),
  ('toetreding_opzegging', 'Toetreding, opzegging en wijziging', true, 7),
  ('medezeggenschap',      'Medezeggenschap', true, 8),
  ('overdracht_bekostiging', 'Overdracht bekostiging', false, 9);

-- CBS region divisions and their code prefixes (PV20, AM18, MC21, GM0363).
create table ref.region_type (
  type   text primary key check (type ~ '^[a-z]{1,30}$'),
  prefix text not null unique check (prefix ~ '^[A-Z]{2}$'),
  label  text not null,
  sort   smallint not null unique
);
insert into ref.region_type (type, prefix, label, sort) values
  ('provincie',         'PV', 'Provincie', 1),
  ('arbeidsmarktregio', 'AM', 'Arbeidsmarktregio', 2),
  ('rmc',               'MC', 'RMC-regio', 3),
  ('gemeente',          'GM', 'Gemeente', 4);

comment on table ref.route_kind       is 'Kinds of vmbo–mbo cooperation on the map';
comment on table ref.leerweg          is 'vmbo leerwegen';
comment on table ref.profiel          is 'vmbo beroepsgerichte profielen';
comment on table ref.niveau           is 'mbo niveaus; allowed_for_routes is false for Entree';
comment on table ref.opleidingsdomein is 'mbo opleidingsdomeinen (a–p)';
comment on table ref.profiel_domein   is 'Usual doorstroom from a vmbo profiel to mbo opleidingsdomeinen (advisory)';
comment on table ref.agreement_topic  is 'Topics of the samenwerkingsovereenkomst';
comment on table ref.region_type      is 'CBS region divisions and their code prefixes';
