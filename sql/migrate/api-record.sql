-- End of the replacement of the database API: record what sql/api/ created, for the next run.
reset role;
delete from public.schema_api;
insert into public.schema_api (kind, name, on_table)
select kind, name, on_table from api_objects
except
select kind, name, on_table from api_before;
