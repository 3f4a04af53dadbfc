-- The figures of today's overview of region type $1, computed afresh from kaart.* and ref.* the
-- plain way (no view or function of sql/api, none of the overview_* tables those keep), for
-- tests/overview.c to compare with every cell of the CSV and the XLSX. One row per region of the
-- current division: its code, and a json object of every column by its header in the export, the
-- counts as numbers, the shares as numbers rounded to 4 decimals (null without vmbo locations).
with division as (
  select year from ref.division where is_current
), gem as (            -- every gemeente with its region of type $1
  select gr.gemeente_code,
         case $1 when 'gemeente' then gr.gemeente_code when 'provincie' then gr.provincie_code
                 when 'arbeidsmarktregio' then gr.arbeidsmarktregio_code when 'rmc' then gr.rmc_code end as code
  from ref.gemeente_regio gr join division d on d.year = gr.year
), ini as (            -- published initiatives with their region: the gemeente of their location, else of their point
  select i.*, g.code as region
  from kaart.initiative i
  join gem g on g.gemeente_code = coalesce(
         (select s.gemeente_code from ref.school_location s where s.vestigingscode = i.location_vestiging),
         (select r.code from ref.region r join division d on d.year = r.year
          where r.type = 'gemeente' and st_intersects(r.geom, i.geom) limit 1))
  where i.status = 'published'
), vmbo as (           -- vmbo locations with their region, whether they take part, whether they have an SBO contact
  select s.vestigingscode, s.leerlingen, g.code as region,
         exists (select 1 from kaart.party p join kaart.initiative i on i.id = p.initiative_id
                 where p.role = 'vo' and p.vestigingscode = s.vestigingscode and i.status = 'published') as taking_part,
         exists (select 1 from kaart.school_contact c where c.vestigingscode = s.vestigingscode)
           or exists (select 1 from kaart.party p join kaart.initiative i on i.id = p.initiative_id
                      join kaart.contact_person c on c.initiative_id = i.id and c.sbo_contact
                      where p.role = 'vo' and p.vestigingscode = s.vestigingscode and i.status = 'published') as sbo
  from ref.school_location s join gem g on g.gemeente_code = s.gemeente_code
  where s.sector = 'vo' and s.vmbo
)
select r.code, (
  jsonb_build_object(
    'regiotype', $1,
    'regiocode', r.code,
    'regio', r.name,
    'initiatieven', (select count(*) from ini where ini.region = r.code),
    'niveau_2', (select count(*) from ini where ini.region = r.code and 2 = any(ini.niveaus)),
    'niveau_3', (select count(*) from ini where ini.region = r.code and 3 = any(ini.niveaus)),
    'niveau_4', (select count(*) from ini where ini.region = r.code and 4 = any(ini.niveaus)),
    'vmbo_vestigingen', (select count(*) from vmbo v where v.region = r.code),
    'vmbo_vestigingen_deelnemend', (select count(*) from vmbo v where v.region = r.code and v.taking_part),
    'aandeel_deelnemend', (select round(count(*) filter (where v.taking_part)::numeric / nullif(count(*), 0), 4)
                           from vmbo v where v.region = r.code),
    'vmbo_leerlingen', (select coalesce(sum(v.leerlingen), 0) from vmbo v where v.region = r.code),
    -- mbo parties: an institution, or an mbo location named without its institution
    'mbo_instellingen', (select count(distinct coalesce('o' || p.organisation_id, 'l' || p.vestigingscode))
                         from ini join kaart.party p on p.initiative_id = ini.id
                         where ini.region = r.code and p.role = 'mbo'),
    'bedrijven', (select count(distinct p.organisation_id)
                  from ini join kaart.party p on p.initiative_id = ini.id
                  where ini.region = r.code and p.role = 'bedrijf'),
    'met_overeenkomst', (select count(*) from ini where ini.region = r.code
                         and ini.agreement_signed_on <= (now() at time zone 'Europe/Amsterdam')::date),
    'met_rio', (select count(*) from ini where ini.region = r.code and ini.rio_registered),
    'met_cohortgarantie', (select count(*) from ini where ini.region = r.code and ini.cohort_guarantee),
    'vestigingen_met_sbo_contact', (select count(*) from vmbo v where v.region = r.code and v.sbo),
    'aandeel_sbo_contact', (select round(count(*) filter (where v.sbo)::numeric / nullif(count(*), 0), 4)
                            from vmbo v where v.region = r.code))
  || (select jsonb_object_agg(k.code, (select count(*) from ini where ini.region = r.code and ini.route_kind = k.code))
      from ref.route_kind k)
  || (select jsonb_object_agg('profiel_' || p.code,
                              (select count(*) from ini where ini.region = r.code and p.code = any(ini.profielen)))
      from ref.profiel p)
  || (select jsonb_object_agg('domein_' || o.code,
                              (select count(*) from ini where ini.region = r.code and o.code = any(ini.opleidingsdomeinen)))
      from ref.opleidingsdomein o)
  )::text as figures
from ref.region r join division d on d.year = r.year
where r.type = $1
order by r.code
