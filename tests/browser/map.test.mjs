// The public map (web/src/index.html, map.js) in a real browser against a real routekaartd and the
// test database: what a visitor sees is checked against the API and, independently, against SQL.
//   node --test tests/browser/map.test.mjs   (with the environment tests/run.sh sets up)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api, launchBrowser, newPage, screenshot, sql, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// ---------------------------------------------------------------- helpers

// Opens the map with a query string and waits until its results are on the page.
async function openMap(page, query = '') {
  const res = await page.goto(`${server.url}/${query}`);
  assert.equal(res.status(), 200, `GET /${query} serves the map`);
  assert.match(res.headers()['content-type'], /^text\/html/, `GET /${query} serves the map`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state));
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', 'the map reports ready');
}

// Waits until the page shows the results of exactly this filter query (names as in the API).
async function waitForQuery(page, query) {
  await page.waitForFunction(
    (q) => document.body.dataset.state === 'ready' && window.routekaart && window.routekaart.query === q,
    query,
  );
}

// The number in the count the visitor reads ("1.234 initiatieven").
async function shownCount(page) {
  const text = await page.getByTestId('count').textContent();
  const m = text.match(/\d[\d.]*/);
  assert.ok(m, `the count shows a number: "${text}"`);
  return Number(m[0].replace(/\./g, ''));
}

async function numberMatched(params) {
  const res = await api(server.url, `/collections/initiatives/items?${params}${params ? '&' : ''}limit=1`);
  assert.equal(res.status, 200, res.text);
  return res.json.numberMatched;
}

async function initiative(id) {
  const res = await api(server.url, `/collections/initiatives/items/${id}`);
  assert.equal(res.status, 200, res.text);
  return res.json;
}

// What the markers on the map stand for: the numbers written in the clusters plus the single pins.
async function markersOnMap(page) {
  return page.evaluate(() => {
    const pane = document.querySelector('.leaflet-marker-pane');
    const clusters = [...pane.querySelectorAll('[data-testid="cluster"]')];
    const pins = pane.querySelectorAll('[data-testid="marker"]').length;
    const written = clusters.reduce((s, c) => s + Number(c.textContent.replace(/\./g, '')), 0);
    return { clusters: clusters.length, pins, sum: written + pins };
  });
}

// A point where the element is what a click there would hit (markers overlap, panels cover the
// map); with byCount, of the element with the largest data-count that can be hit.
async function visiblePoint(page, selector, { byCount = false } = {}) {
  return page.evaluate(({ selector, byCount }) => {
    const els = [...document.querySelectorAll(selector)];
    if (byCount) els.sort((a, b) => Number(b.dataset.count) - Number(a.dataset.count));
    for (const e of els) {
      const r = e.getBoundingClientRect();
      for (let i = 1; i < 8; i++) {
        for (let j = 1; j < 8; j++) {
          const x = r.left + (r.width * i) / 8;
          const y = r.top + (r.height * j) / 8;
          const hit = document.elementFromPoint(x, y);
          if (hit && (hit === e || e.contains(hit))) return { x, y, code: e.dataset.code || null, id: e.dataset.id || null };
        }
      }
    }
    return null;
  }, { selector, byCount });
}

// Waits until the map has stopped panning and zooming.
async function mapAtRest(page) {
  await page.waitForFunction(() => !window.routekaart.moving);
}

async function showAllListEntries(page) {
  const more = page.locator('#results-more-button');
  while (await more.isVisible()) {
    const before = await page.getByTestId('result-item').count();
    await more.click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="result-item"]').length > n, before);
  }
  return page.getByTestId('result-item').evaluateAll((els) => els.map((e) => Number(e.dataset.id)));
}

// ---------------------------------------------------------------- the tests

test('the map loads every published initiative, counted as the API and the database count them', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  await openMap(page);
  await screenshot(page, 'map-01-loaded');

  const shown = await shownCount(page);
  const matched = await numberMatched('');
  const inDatabase = Number(sql('select count(*) from api.initiatives'));
  assert.ok(inDatabase > 0, 'the test database has published initiatives');
  assert.equal(shown, matched, 'the count is the API\'s numberMatched');
  assert.equal(shown, inDatabase, 'the count is the number of published initiatives in the database');
  assert.equal(await page.evaluate(() => window.routekaart.total), inDatabase);
  assert.equal(await page.evaluate(() => window.routekaart.clusterSum()), inDatabase, 'the clusters hold every initiative');

  // at the national view every initiative is on the screen, mostly in clusters with their count
  const onMap = await markersOnMap(page);
  assert.ok(onMap.clusters > 0, 'initiatives are clustered at national zoom');
  assert.equal(onMap.sum, inDatabase, 'the numbers in the clusters and the single pins add up to the count');

  // the list holds the same initiatives
  const ids = await showAllListEntries(page);
  const all = await api(server.url, '/collections/initiatives/items?limit=10000');
  assert.deepEqual([...ids].sort((a, b) => a - b), all.json.features.map((f) => f.id).sort((a, b) => a - b));

  // the sources whose licence (CC BY 4.0) asks for it are named on the map (geo/data/README.md)
  const credits = await page.locator('.leaflet-control-attribution').textContent();
  assert.match(credits, /CBS, PDOK/, 'the map credits CBS and PDOK for the boundaries');
  assert.match(credits, /GeoNames/, 'the map credits GeoNames for the postcode points');

  assert.deepEqual(problems, [], 'no console errors');
  await page.close();
});

test('the map follows the next links when the results come in several pages', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  let requests = 0;
  // the page asks for the API's maximum page size; smaller pages make it page through the results
  await page.route(/\/collections\/initiatives\/items\?/, (route) => {
    const url = new URL(route.request().url());
    requests++;
    if (url.searchParams.get('limit') === '10000') url.searchParams.set('limit', '100');
    return route.continue({ url: url.toString() });
  });
  await openMap(page);
  const total = Number(sql('select count(*) from api.initiatives'));
  assert.ok(requests >= Math.ceil(total / 100), `${requests} requests for ${total} initiatives in pages of 100`);
  assert.equal(await shownCount(page), total);
  assert.equal(await page.evaluate(() => window.routekaart.loaded), total, 'every page was loaded');
  assert.equal(await page.evaluate(() => window.routekaart.clusterSum()), total);
  await screenshot(page, 'map-02-paged');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a late answer to an earlier choice of filters does not replace the answer to a later one', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  await openMap(page);
  // the answer for niveau 2 comes late, after the visitor has moved on to niveau 4
  let lateDone;
  const late = new Promise((resolve) => { lateDone = resolve; });
  await page.route(/\/collections\/initiatives\/items\?niveau=2&/, async (route) => {
    try {
      const response = await route.fetch();
      await new Promise((resolve) => setTimeout(resolve, 600));
      await route.fulfill({ response });
    } catch {
      // the page gave up waiting for it
    }
    lateDone();
  });
  const niveaus = page.getByTestId('filter-niveau');
  await niveaus.getByLabel('Niveau 2').check();
  await niveaus.getByLabel('Niveau 2').uncheck();
  await niveaus.getByLabel('Niveau 4').check();
  await waitForQuery(page, 'niveau=4');
  await late;
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));

  const niveau4 = await numberMatched('niveau=4');
  assert.notEqual(niveau4, await numberMatched('niveau=2'), 'the two answers differ');
  assert.equal(await page.evaluate(() => window.routekaart.query), 'niveau=4');
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.equal(await shownCount(page), niveau4);
  assert.equal(await page.evaluate(() => window.routekaart.clusterSum()), niveau4);
  assert.equal(new URL(page.url()).searchParams.get('niveau'), '4');
  await screenshot(page, 'map-03-late-answer');
  assert.deepEqual(problems, []);
  await page.close();
});

let filteredUrl = null;

test('filtering on niveau and route kind changes the count as the API and the database do, and the URL', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  await openMap(page);
  const total = await shownCount(page);

  await page.getByTestId('filter-niveau').getByLabel('Niveau 3').check();
  await waitForQuery(page, 'niveau=3');
  await page.getByTestId('filter-route_kind').getByLabel('Doorlopende leerroute').check();
  await waitForQuery(page, 'niveau=3&route_kind=doorlopende_leerroute');
  await screenshot(page, 'map-04-filtered');

  const shown = await shownCount(page);
  const matched = await numberMatched('niveau=3&route_kind=doorlopende_leerroute');
  const inDatabase = Number(sql(
    "select count(*) from api.initiatives where 3 = any(niveaus) and route_kind = 'doorlopende_leerroute'",
  ));
  assert.ok(inDatabase > 0 && inDatabase < total, `the filter narrows the results (${inDatabase} of ${total})`);
  assert.equal(shown, matched, 'the count is the API\'s numberMatched for the same filters');
  assert.equal(shown, inDatabase, 'the count is what SQL counts for the same filters');
  assert.equal(await page.evaluate(() => window.routekaart.clusterSum()), inDatabase, 'the map shows the filtered set');
  assert.equal((await markersOnMap(page)).sum, inDatabase);

  const url = new URL(page.url());
  assert.equal(url.searchParams.get('niveau'), '3');
  assert.equal(url.searchParams.get('route_kind'), 'doorlopende_leerroute');
  filteredUrl = url.pathname + url.search;

  assert.deepEqual(problems, []);
  await page.close();
});

test('opening a shared URL restores the filters in the controls and the same results', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  const shared = filteredUrl || '/?niveau=3&route_kind=doorlopende_leerroute';
  await openMap(page, shared.replace(/^\//, ''));
  const filters = page.getByTestId('filter-niveau');
  assert.equal(await filters.getByLabel('Niveau 3').isChecked(), true);
  assert.equal(await filters.getByLabel('Niveau 2').isChecked(), false);
  assert.equal(await filters.getByLabel('Niveau 4').isChecked(), false);
  const kinds = page.getByTestId('filter-route_kind');
  assert.equal(await kinds.getByLabel('Doorlopende leerroute').isChecked(), true);
  assert.equal(await kinds.getByLabel('Leerlab').isChecked(), false);
  assert.equal(await shownCount(page), await numberMatched('niveau=3&route_kind=doorlopende_leerroute'));

  // every other filter: region, profiel, leerweg and text, from one real initiative so that
  // the view is not empty
  const sample = (await api(server.url, '/collections/initiatives/items?limit=1')).json.features[0].properties;
  const region = sample.region_codes.find((c) => c.startsWith('AM'));
  const params = new URLSearchParams({
    q: sample.place, region, profiel: sample.profielen[0], leerweg: sample.leerwegen[0],
  });
  await openMap(page, `?${params}`);
  assert.equal(await page.getByTestId('filter-q').inputValue(), sample.place);
  assert.equal(await page.getByTestId('filter-region').inputValue(), region);
  assert.equal(await page.getByTestId('filter-profiel').inputValue(), sample.profielen[0]);
  assert.equal(await page.getByTestId('filter-leerweg').inputValue(), sample.leerwegen[0]);
  const expected = await numberMatched(params.toString());
  assert.ok(expected >= 1);
  assert.equal(await shownCount(page), expected);
  assert.ok((await page.getByTestId('result-item').evaluateAll((els) => els.map((e) => Number(e.dataset.id))))
    .includes(sample.id), 'the initiative the filters were taken from is in the list');
  await screenshot(page, 'map-05-restored');

  assert.deepEqual(problems, []);
  await page.close();
});

test('the initiatives do not wait for the region outlines, and a region from the URL gets its name when they come', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route(/\/collections\/regions-/, async (route) => { await held; await route.continue(); });
  const sample = (await api(server.url, '/collections/initiatives/items?limit=1')).json.features[0].properties;
  const region = sample.region_codes.find((c) => c.startsWith('AM'));
  await openMap(page, `?region=${region}`);
  assert.equal(await shownCount(page), await numberMatched(`region=${region}`), 'the results are shown while the regions load');
  assert.equal(await page.getByTestId('filter-region').inputValue(), region);
  assert.equal(await page.locator('.base-provincie').count(), 0, 'the base map is still on its way');

  release();
  await page.waitForFunction(() => document.querySelectorAll('#filter-region optgroup').length === 2);
  await page.locator('.base-provincie').first().waitFor({ state: 'attached' });
  const name = sql('select name from api.regions where code = :\'p1\'', [region]);
  assert.equal(await page.getByTestId('filter-region').inputValue(), region);
  assert.equal(await page.locator('#filter-region option:checked').textContent(), name, 'the region is shown by its name');
  assert.equal(await page.locator(`#filter-region option[value="${region}"]`).count(), 1, 'and offered once');

  assert.deepEqual(problems, []);
  await page.close();
});

test('choosing an initiative in the list or on the map opens its details', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  await openMap(page);

  // a click on a cluster at the national view zooms in
  const zoom = await page.evaluate(() => window.routekaart.zoom());
  const cluster = await visiblePoint(page, '.leaflet-marker-pane [data-testid="cluster"]', { byCount: true });
  assert.ok(cluster, 'a cluster can be clicked');
  await page.mouse.click(cluster.x, cluster.y);
  await page.waitForFunction((z) => window.routekaart.zoom() > z && !window.routekaart.moving, zoom);

  // from the list
  const entry = page.getByTestId('result-item').nth(2);
  const id = Number(await entry.getAttribute('data-id'));
  await entry.click();
  await page.waitForSelector(`[data-testid="details"][data-id="${id}"][data-state="ready"]`);
  const feature = await initiative(id);
  assert.equal(await page.getByTestId('details-name').textContent(), feature.properties.name);
  const details = await page.getByTestId('details').textContent();
  for (const party of feature.properties.parties) assert.ok(details.includes(party.name), `party ${party.name} is shown`);
  for (const person of feature.properties.contacts) assert.ok(details.includes(person.name), `contact ${person.name} is shown`);
  if (feature.properties.mailbox) {
    assert.equal(await page.getByTestId('details').locator(`a[href="mailto:${feature.properties.mailbox}"]`).count(), 1);
  }
  assert.equal(new URL(page.url()).searchParams.get('id'), String(id), 'the chosen initiative is in the URL');
  await screenshot(page, 'map-06-details-from-list');

  // closed with Escape, focus back on the list entry
  await page.keyboard.press('Escape');
  await page.getByTestId('details').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.id), String(id));
  assert.equal(new URL(page.url()).searchParams.get('id'), null);

  // a text that leaves one initiative: one pin on the map, which opens that initiative
  const all = (await api(server.url, '/collections/initiatives/items?limit=50')).json.features;
  let only = null;
  for (const f of all) {
    const q = `"${f.properties.name}"`;
    if (await numberMatched(`q=${encodeURIComponent(q)}`) === 1) {
      only = { id: f.id, q };
      break;
    }
  }
  assert.ok(only, 'an initiative with a name of its own');
  await page.getByTestId('filter-q').fill(only.q);
  await page.getByTestId('filter-q').press('Enter');
  await waitForQuery(page, `q=${encodeURIComponent(only.q)}`);
  assert.equal(await shownCount(page), 1);
  const onMap = await markersOnMap(page);
  assert.deepEqual([onMap.clusters, onMap.pins], [0, 1], 'a single pin, no cluster');
  await mapAtRest(page);
  const pin = await visiblePoint(page, '.leaflet-marker-pane [data-testid="marker"]');
  assert.ok(pin, 'the pin can be clicked');
  assert.equal(Number(pin.id), only.id);
  await page.mouse.click(pin.x, pin.y);
  await page.waitForSelector(`[data-testid="details"][data-id="${only.id}"][data-state="ready"]`);
  assert.equal(await page.getByTestId('details-name').textContent(), (await initiative(only.id)).properties.name);
  await screenshot(page, 'map-07-details-from-marker');

  assert.deepEqual(problems, []);
  await page.close();
});

test('the choropleth colours one polygon per region, with a legend and the figures of each region', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  await openMap(page);

  await page.getByTestId('choropleth').selectOption('arbeidsmarktregio');
  await page.waitForSelector('[data-testid="legend"][data-state="ready"]');
  const regions = await api(server.url, '/collections/regions-arbeidsmarktregio/items?limit=1');
  const overview = (await api(server.url, '/overviews/arbeidsmarktregio')).json;
  assert.ok(regions.json.numberMatched > 1);
  const paths = page.locator('.leaflet-choropleth-pane path.region');
  assert.equal(await paths.count(), regions.json.numberMatched, 'one polygon per arbeidsmarktregio');
  assert.equal(new URL(page.url()).searchParams.get('choropleth'), 'arbeidsmarktregio');

  // the legend's classes are the colours of the polygons, and more initiatives is never lighter
  const legendColours = await page.locator('[data-testid="legend"] .legend__swatch').evaluateAll(
    (els) => els.map((e) => e.dataset.colour),
  );
  assert.ok(legendColours.length >= 2, 'the legend has classes');
  const fills = await paths.evaluateAll((els) => els.map((e) => ({ code: e.dataset.code, fill: e.getAttribute('fill') })));
  for (const f of fills) assert.ok(legendColours.includes(f.fill), `${f.code} has a colour of the legend`);
  const byCode = new Map(overview.regions.map((r) => [r.code, r]));
  const rank = (code) => legendColours.indexOf(fills.find((f) => f.code === code).fill);
  const sorted = [...overview.regions].sort((a, b) => a.initiatives - b.initiatives);
  assert.ok(rank(sorted[0].code) < rank(sorted[sorted.length - 1].code), 'fewest is lighter than most');
  for (const a of overview.regions) {
    for (const b of overview.regions) {
      if (a.initiatives < b.initiatives) assert.ok(rank(a.code) <= rank(b.code), `${a.code} not darker than ${b.code}`);
    }
  }

  // pointing at a region shows its name and figure
  const at = await visiblePoint(page, '.leaflet-choropleth-pane path.region');
  assert.ok(at, 'a region can be pointed at');
  await page.mouse.move(at.x, at.y);
  const tooltip = page.locator('.leaflet-tooltip');
  await tooltip.waitFor();
  const region = byCode.get(at.code);
  const tip = await tooltip.textContent();
  assert.ok(tip.includes(region.name), `the tooltip names ${region.name}: "${tip}"`);
  assert.match(tip, new RegExp(`\\b${region.initiatives} initiatie(f|ven)\\b`));
  await screenshot(page, 'map-08-choropleth');

  // a click shows the figures in the legend, whence the region becomes the filter
  await page.mouse.click(at.x, at.y);
  const show = page.locator('#legend-region button');
  await show.waitFor();
  await show.click();
  await waitForQuery(page, `region=${at.code}`);
  assert.equal(await shownCount(page), region.initiatives, 'the region\'s initiatives are the overview\'s figure');
  assert.equal(await shownCount(page), await numberMatched(`region=${at.code}`));

  // the gemeenten: as many polygons as there are gemeenten
  await page.getByTestId('choropleth').selectOption('gemeente');
  await page.waitForFunction(() => document.querySelector('[data-testid="legend"]').dataset.state === 'ready'
    && document.querySelectorAll('.leaflet-choropleth-pane path.region--gemeente').length > 0);
  const gemeenten = await api(server.url, '/collections/regions-gemeente/items?limit=1');
  assert.equal(await page.locator('.leaflet-choropleth-pane path.region').count(), gemeenten.json.numberMatched);
  assert.equal(await page.locator('.leaflet-choropleth-pane path.region--arbeidsmarktregio').count(), 0);

  // and off again
  await page.getByTestId('choropleth').selectOption('');
  await page.getByTestId('legend').waitFor({ state: 'hidden' });
  assert.equal(await page.locator('.leaflet-choropleth-pane path.region').count(), 0);

  assert.deepEqual(problems, []);
  await page.close();
});

test('on a phone the list is the view, with details, filters and the map a tap away', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  await page.setViewportSize({ width: 390, height: 844 });
  await openMap(page);

  const total = await shownCount(page);
  assert.ok(await page.getByTestId('count').isVisible(), 'the count is in view');
  assert.ok(await page.getByTestId('results-list').isVisible(), 'the list is the view');
  assert.equal(await page.locator('#map').isVisible(), false, 'the map waits for its turn');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'nothing wider than the screen');
  const first = page.getByTestId('result-item').first();
  const box = await first.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.height >= 44, 'entries fit the screen and are easy to tap');
  assert.ok(await page.getByRole('link', { name: 'Initiatief aanmelden' }).isVisible());
  await screenshot(page, 'map-09-phone-list');

  // an entry opens its details over the whole screen; closing returns to the entry
  const id = Number(await first.getAttribute('data-id'));
  await first.click();
  await page.waitForSelector(`[data-testid="details"][data-id="${id}"][data-state="ready"]`);
  assert.equal(await page.getByTestId('details-name').textContent(), (await initiative(id)).properties.name);
  const panel = await page.getByTestId('details').boundingBox();
  assert.ok(panel.width >= 389, 'the details use the whole width');
  await screenshot(page, 'map-10-phone-details');
  await page.getByRole('button', { name: 'Details sluiten' }).click();
  await page.getByTestId('details').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.id), String(id));

  // the filters open from their button
  await page.getByRole('button', { name: /^Filters/ }).click();
  await page.getByTestId('filter-niveau').getByLabel('Niveau 4').check();
  await waitForQuery(page, 'niveau=4');
  const niveau4 = await numberMatched('niveau=4');
  assert.equal(await shownCount(page), niveau4);
  assert.ok(niveau4 > 0 && niveau4 < total);
  const withNiveau4 = new Set((await api(server.url, '/collections/initiatives/items?niveau=4&limit=10000')).json.features.map((f) => f.id));
  const listed = await page.getByTestId('result-item').evaluateAll((els) => els.map((e) => Number(e.dataset.id)));
  assert.ok(listed.length > 0 && listed.every((i) => withNiveau4.has(i)), 'the list holds only initiatives at niveau 4');

  // the map instead of the list, and back
  await page.getByRole('button', { name: 'Kaart', exact: true }).click();
  await page.locator('#map').waitFor({ state: 'visible' });
  assert.equal(await page.getByTestId('results-list').isVisible(), false);
  await page.waitForFunction(() => document.querySelectorAll('.leaflet-marker-pane [data-count]').length > 0);
  await mapAtRest(page);
  assert.equal((await markersOnMap(page)).sum, niveau4, 'the map shows the same results');
  await screenshot(page, 'map-11-phone-map');
  await page.getByRole('button', { name: 'Lijst', exact: true }).click();
  await page.getByTestId('results-list').waitFor({ state: 'visible' });

  // the skip link to the filters, closed again since the map was shown, opens them and leads into them
  const filtersToggle = page.getByRole('button', { name: /^Filters/ });
  assert.equal(await filtersToggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await page.getByTestId('filter-q').isVisible(), false);
  await page.getByRole('link', { name: 'Direct naar de filters' }).focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('filter-q').waitFor({ state: 'visible' });
  assert.equal(await filtersToggle.getAttribute('aria-expanded'), 'true');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'filter-q', 'the next Tab is in the filters');

  // "Toon op de kaart" closes the details and shows the map; focus goes to the map, not to the
  // list entry now out of view
  const entry = page.getByTestId('result-item').first();
  const entryId = Number(await entry.getAttribute('data-id'));
  await entry.click();
  await page.waitForSelector(`[data-testid="details"][data-id="${entryId}"][data-state="ready"]`);
  await page.getByRole('button', { name: 'Toon op de kaart' }).click();
  await page.getByTestId('details').waitFor({ state: 'hidden' });
  await page.locator('#map').waitFor({ state: 'visible' });
  assert.equal(await page.getByTestId('results-list').isVisible(), false);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'map', 'focus is on the map, not lost to the page');

  assert.deepEqual(problems, []);
  await page.close();
});

test('when the API fails the page says so in Dutch and offers to try again', async () => {
  const problems = [];
  const page = await newPage(browser, problems);
  let fail = true;
  await page.route(/\/collections\/initiatives\/items\?/, (route) => (fail
    ? route.fulfill({
      status: 503,
      contentType: 'application/problem+json',
      body: JSON.stringify({ type: '/problems/service-unavailable', title: 'service unavailable', status: 503, detail: 'x', instance: '/' }),
    })
    : route.continue()));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.body.dataset.state === 'error');
  const alert = page.getByRole('alert');
  assert.match(await alert.textContent(), /niet beschikbaar/);
  const box = await alert.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 860, 'the message is in view');
  assert.doesNotMatch(await page.getByTestId('count').textContent(), /\d/, 'no count without data');
  await screenshot(page, 'map-12-error');

  fail = false;
  await page.getByRole('button', { name: 'Opnieuw proberen' }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  assert.equal(await shownCount(page), await numberMatched(''));
  assert.equal(await alert.isVisible(), false);
  assert.deepEqual(problems.filter((p) => !/status of 503/.test(p)), [], 'only the failed requests are reported');
  await page.close();
});
