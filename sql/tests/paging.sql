-- Test of api.initiative_page (api/80_initiative_page.sql): the page and the count against independent queries
-- on kaart.initiative, keyset paging walking every match once, the estimate beyond the cap, and
-- that the public role may call it. Runs in one transaction that is rolled back. Needs the demo
-- data; run it as a superuser.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/tests/paging.sql      (prints "ok - ..." per check)
\ir prologue.psql

do $$
declare
  p record;
  want bigint[];
  got bigint[] := '{}';
  after bigint;
  pages integer := 0;
begin
  -- a filter on three fields, as the map sends it
  select array_agg(id order by id) into want from kaart.initiative
   where status = 'published' and niveaus && '{3}' and profielen && '{ZW,EO}'
     and route_kind <> 'samenwerking';
  assert cardinality(want) > 20, 'the demo data should match the filter more than 20 times';
  loop
    p := api.initiative_page(niveaus => '{3}', profielen => '{ZW,EO}',
                             route_kinds => '{doorlopende_leerroute,geintegreerde_route,leerlab}',
                             after => after, lim => 7);
    assert p.matched = cardinality(want) and not p.estimated,
      format('matched %s, want %s', p.matched, cardinality(want));
    got := got || p.ids;
    pages := pages + 1;
    exit when not p.more;
    assert cardinality(p.ids) = 7;
    after := p.ids[7];
  end loop;
  assert got = want, 'keyset pages differ from the independent query';
  assert pages = (cardinality(want) + 6) / 7;
  perform pg_temp.ok('keyset pages of a filter give every match once, in id order, with the exact count');

  -- an offset counts from the key
  p := api.initiative_page(after => want[3], skip => 2, lim => 2,
                           niveaus => '{3}', profielen => '{ZW,EO}',
                           route_kinds => '{doorlopende_leerroute,geintegreerde_route,leerlab}');
  assert p.ids = want[6:7], format('after + skip gave %s', p.ids);
  perform pg_temp.ok('skip applies after the key');

  -- unknown region codes are named, the known ones still filter
  p := api.initiative_page(region_codes => '{GM9999,PV26,AM99}');
  assert p.unknown_regions = 'AM99,GM9999';
  assert p.matched = (select count(*) from kaart.initiative where status = 'published' and region_codes && '{PV26}');
  perform pg_temp.ok('unknown region codes are reported, sorted');
end
$$;

do $$
declare
  p record;
  total bigint := (select count(*) from kaart.initiative where status = 'published');
  dlr bigint := (select count(*) from kaart.initiative where status = 'published' and route_kind = 'doorlopende_leerroute');
begin
  -- beyond the cap: without filters, or by route kind alone, still exact (from the cells)
  p := api.initiative_page(count_cap => 10);
  assert p.matched = total and not p.estimated, format('%s vs %s', p.matched, total);
  p := api.initiative_page(route_kinds => '{doorlopende_leerroute}', count_cap => 10);
  assert p.matched = dlr and not p.estimated;
  perform pg_temp.ok('beyond the cap the unfiltered and route-kind counts stay exact');
  -- with another filter: an estimate, said so, never below the cap
  p := api.initiative_page(niveaus => '{2,3,4}', count_cap => 10);
  assert p.estimated and p.matched > 10, format('estimate %s', p.matched);
  assert p.matched between total / 3 and total * 3, format('estimate %s for %s', p.matched, total);
  perform pg_temp.ok('beyond the cap a filtered count is the planner''s estimate, flagged');
  -- below the cap: exact
  p := api.initiative_page(niveaus => '{2,3,4}', count_cap => 100000);
  assert p.matched = total and not p.estimated;
  perform pg_temp.ok('below the cap the count is exact');
end
$$;

do $$
begin
  begin
    perform api.initiative_page(lim => 0);
    assert false, 'lim 0 was accepted';
  exception when invalid_parameter_value then
    null;
  end;
  perform pg_temp.ok('a page of no rows is refused');
end
$$;

set local role routekaart_web;
do $$
begin
  assert (select cardinality(ids) from api.initiative_page(lim => 3)) = 3;
  perform pg_temp.ok('the public role pages through api.initiative_page');
end
$$;
reset role;

rollback;
