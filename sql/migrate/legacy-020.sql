-- Adoption of a database migrated before sql/ was split: migrations 001-020 applied (migrate.sh
-- has compared their checksums with legacy-020.sha256), none of the baseline. Its tables, data,
-- roles and grants are those the baseline migrations/100-104 make, so the baseline is recorded
-- as applied (the temporary table baseline (version, checksum) that migrate.sh fills) without running it,
-- and all its functions, views and triggers but those of the baseline are recorded as created
-- by sql/api/, so that the replacement of the api which follows drops them (also those that
-- sql/api/ no longer has, such as api.initiative_ids and audit.log_api_key_change) and creates
-- sql/api/ afresh. Runs in its own transaction under the lock; a concurrent run that adopted the
-- database meanwhile makes it a no-op.
select count(*) filter (where version < '100') = 20 and count(*) filter (where version >= '100') = 0 as adopt
from public.schema_migrations \gset
\if :adopt
insert into public.schema_migrations (version, checksum) select version, checksum from baseline;
insert into public.schema_api (kind, name, on_table)
select kind, name, on_table from api_objects
where not (kind = 'function' and name::regprocedure = any (array[
  -- the functions of the baseline: CHECKs, generated columns and an index use them
  'kaart.is_email(text)', 'kaart.is_url(text)', 'ref.leerwegen_for_structure(text)',
  'kaart.mercator_q(float8)', 'kaart.cell_x(float8, integer)', 'kaart.cell_y(float8, integer)',
  'kaart.geom_cell_x(geometry)', 'kaart.geom_cell_y(geometry)']::regprocedure[]));
\echo migrate: adopted the database of before the split (001-020): baseline recorded as applied
\endif
