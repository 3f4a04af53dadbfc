// The submission form (/aanmelden) in Chromium, against a real routekaartd and the test database:
// what a school sees when it submits an initiative with mistakes and without, what it can do with
// the edit token, and what the map shows once the programme team approved the initiative.
//   node --test tests/browser/form.test.mjs   (through tests/run.sh, which sets the environment)
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';

import { api, createKey, launchBrowser, newPage, screenshot, sql, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  // Every test submits; the default write limit of the service is meant for people, not for a suite.
  server = await startServer({ WRITE_RATE_PER_MINUTE: '1000', WRITE_RATE_BURST: '100' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const TIMEOUT = { timeout: 90_000 };
const TOKEN = /^rke_[A-Za-z0-9_-]{32}$/;

function json(query, params) {
  return JSON.parse(sql(query, params));
}

function submissionCount() {
  return Number(sql('select count(*) from kaart.initiative'));
}

// A word no initiative has, so that a full-text search finds only the one made here.
function uniqueWord() {
  const letters = 'bcdfghjklmnpqrstvwxz';
  let w = 'proef';
  for (let i = 0; i < 8; i++) w += letters[randomInt(letters.length)];
  return w;
}

// A vmbo school location and a piece of its name (its second and third word) that at most five
// locations share, so that typing the piece brings it into the first page of options. The piece is
// matched anywhere in name and plaats, case-insensitively, as the service does.
let schoolCache = null;
function knownSchool() {
  schoolCache ??= json(`
    with s as materialized (
      select vestigingscode, name, plaats, lower(name || ' ' || plaats) as hay,
             substring(name from '^\\S+\\s+(\\S+\\s+\\S+)') as part
        from api.schools where vmbo),
    c as materialized (select * from s where length(part) >= 8 order by vestigingscode limit 100)
    select json_build_object('vestigingscode', vestigingscode, 'name', name, 'plaats', plaats, 'part', part)
      from c
     where (select count(*) from s as o where strpos(o.hay, lower(c.part)) > 0) between 1 and 5
     order by vestigingscode
     limit 1`);
  return schoolCache;
}

function knownMboBrin() {
  return sql("select brin from kaart.organisation where kind = 'mbo' and brin is not null order by brin limit 1");
}

async function openForm(problems) {
  const page = await newPage(browser, problems);
  await page.goto(`${server.url}/aanmelden`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  return page;
}

// Chooses a school location in the search by its vestigingscode, as a user who knows it does.
async function chooseSchool(page, code) {
  await page.getByTestId('school-search').fill(code);
  await page.locator(`[data-testid="school-option"][data-code="${code}"]`).click();
  await page.locator(`[data-testid="school-chosen"][data-code="${code}"]`).waitFor();
}

// Fills in the whole form as a school would; o overrides the values that a test gets wrong on
// purpose. Returns what was filled in.
async function fillForm(page, o = {}) {
  const v = {
    name: 'Doorlopende leerroute Zorg en welzijn browsertest',
    niveaus: [2, 3],
    kvk: String(randomInt(10_000_000, 100_000_000)),
    email: 'a.devries@school.example',
    crebo: '25491, 25480',
    school: knownSchool(),
    brin: knownMboBrin(),
    ...o,
  };
  const form = page.getByTestId('submission-form');
  if (v.name) await page.getByLabel('Naam van het initiatief').fill(v.name);
  await form.locator('input[name="route_kind"][value="doorlopende_leerroute"]').check();
  for (const l of ['BB', 'KB']) await form.locator(`input[name="leerwegen"][value="${l}"]`).check();
  await form.locator('input[name="profielen"][value="ZW"]').check();
  for (const n of v.niveaus) await form.locator(`input[name="niveaus"][value="${n}"]`).check();
  await form.locator('input[name="opleidingsdomeinen"][value="o"]').check();
  await page.getByLabel(/^Crebo-codes/).fill(v.crebo);
  await page.getByLabel(/^Startjaar/).selectOption(String(new Date().getFullYear()));
  await page.getByLabel(/^Beschrijving/).fill('Leerlingen stromen vanaf leerjaar 3 door naar mbo Zorg en welzijn.');
  await page.getByLabel(/^Website/).fill('https://www.school.example/leerroute');
  await page.getByLabel(/^Algemeen e-mailadres/).fill('leerroutes@school.example');

  await chooseSchool(page, v.school.vestigingscode);
  await page.locator('[data-rows="mbo"] .row').first().getByLabel('BRIN-nummer of vestigingscode').fill(v.brin);
  await form.locator('[data-add="bedrijf"]').click();
  const company = page.locator('[data-rows="bedrijf"] .row').last();
  await company.getByLabel('KvK-nummer').fill(v.kvk);
  await company.getByLabel('Naam van het bedrijf').fill('Zorggroep Oost');
  await company.getByLabel(/Plaats/).fill('Zwolle');

  const contact = page.locator('[data-rows="contact"] .row').first();
  await contact.getByLabel('Naam', { exact: true }).fill('Anna de Vries');
  await contact.getByLabel(/Functie/).fill('teamleider vmbo');
  await contact.getByLabel('E-mailadres').fill(v.email);
  await contact.getByLabel(/Telefoonnummer/).fill('038 123 4567');
  await contact.getByLabel(/toestemming om naam en functie/).check();
  return v;
}

// Sends the form; resolves to the request the page made.
async function submit(page) {
  const request = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/submissions');
  await page.getByTestId('submit').click();
  return request;
}

async function submitGood(page, name, { double = false } = {}) {
  const filled = await fillForm(page, { name });
  if (double) await page.getByTestId('submit').dblclick();
  else await submit(page);
  const panel = page.getByTestId('submission-success');
  await panel.waitFor();
  return {
    ...filled,
    id: Number(await panel.getByTestId('submission-id').textContent()),
    token: (await panel.getByTestId('edit-token').textContent()).trim(),
  };
}

async function storage(page) {
  return page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
}

test('a submission with mistakes shows the errors of the service at their fields and stores nothing', TIMEOUT, async () => {
  const problems = [];
  const page = await openForm(problems);
  const before = submissionCount();
  await fillForm(page, { name: '', kvk: '1234567', email: 'a.devries@', niveaus: [], crebo: '25491, 2548' });
  const request = await submit(page);
  await page.getByTestId('error-summary').waitFor();

  assert.equal(request.headers()['content-type'], 'application/json');
  assert.ok(request.headers()['idempotency-key'], 'the POST carries an Idempotency-Key');
  const body = request.postDataJSON();
  const answer = await api(server.url, '/submissions', { method: 'POST', body });
  assert.equal(answer.status, 422);
  const expected = answer.json.errors.map((e) => e.pointer).sort();
  assert.equal(new Set(expected).size, expected.length);
  // the mistakes made on purpose are what the service finds, and nothing else
  assert.equal(expected.length, 5, JSON.stringify(answer.json.errors));
  for (const p of ['/name', '/niveaus', '/crebo/1', '/contacts/0/email']) assert.ok(expected.includes(p), p);
  const kvkPointer = expected.find((p) => /^\/parties\/\d+\/kvk$/.test(p));
  assert.ok(kvkPointer, 'an error for the KvK number');

  // Each error next to its field: what the field is, whether it is marked invalid and described
  // by the error.
  const shown = await page.$$eval('[data-testid="submission-form"] [data-error-for]', (els) => els
    .filter((e) => e.offsetParent !== null)
    .map((e) => {
      const group = e.closest('.form-group');
      const controls = [...group.querySelectorAll('input, select, textarea')];
      const own = controls.filter((c) => c.closest('.form-group') === group);
      return {
        pointer: e.dataset.errorFor,
        text: e.textContent,
        names: own.map((c) => c.name),
        values: own.map((c) => c.value),
        invalid: own.some((c) => c.getAttribute('aria-invalid') === 'true'),
        described: [group, ...own].some((c) => (c.getAttribute('aria-describedby') || '').split(' ').includes(e.id)),
      };
    }));
  assert.deepEqual(shown.map((s) => s.pointer).sort(), expected, 'the errors shown are those of the service');
  const at = Object.fromEntries(shown.map((s) => [s.pointer, s]));
  assert.deepEqual(at['/name'].names, ['name']);
  const nameMessage = answer.json.errors.find((e) => e.pointer === '/name').message;
  assert.ok(at['/name'].text.toLowerCase().includes(nameMessage.toLowerCase()), at['/name'].text);
  assert.ok(at['/niveaus'].names.every((n) => n === 'niveaus') && at['/niveaus'].names.length === 3);
  assert.deepEqual(at[kvkPointer].values, ['1234567']);
  assert.deepEqual(at['/crebo/1'].values, ['25491, 2548']);
  assert.deepEqual(at['/contacts/0/email'].values, ['a.devries@']);
  for (const s of shown) {
    assert.ok(s.invalid, `${s.pointer}: aria-invalid`);
    assert.ok(s.described, `${s.pointer}: aria-describedby`);
  }

  // The summary has focus and lists every error, each a link to its field.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'error-summary');
  const summary = page.getByTestId('error-summary');
  const listed = await summary.locator('[data-summary-for]').evaluateAll((els) => els.map((e) => e.dataset.summaryFor));
  assert.deepEqual(listed.sort(), expected);
  assert.equal(await summary.locator('[data-summary-for] a').count(), expected.length);
  await screenshot(page, 'form-1-errors');
  await summary.locator(`[data-summary-for="${kvkPointer}"] a`).click();
  assert.equal(await page.evaluate(() => document.activeElement.value), '1234567');

  assert.equal(submissionCount(), before, 'nothing was stored');
  // The 422s are expected; Chromium reports failed responses on the console.
  assert.deepEqual(problems.filter((p) => !/status of 422/.test(p)), []);
  await page.close();
});

test('the school search finds a school by part of its name and by its vestigingscode, and adds it', TIMEOUT, async () => {
  const problems = [];
  const page = await openForm(problems);
  const school = knownSchool();
  const searches = [];
  page.on('request', (r) => { if (r.url().includes('/collections/schools/items')) searches.push(r.url()); });

  const input = page.getByTestId('school-search');
  await input.pressSequentially(school.part, { delay: 25 });
  const option = page.locator(`[data-testid="school-option"][data-code="${school.vestigingscode}"]`);
  await option.waitFor();
  const text = await option.textContent();
  for (const want of [school.name, school.plaats, school.vestigingscode]) assert.ok(text.includes(want), `${want} in ${text}`);
  assert.equal(await input.getAttribute('aria-expanded'), 'true');
  // one search after the typing stops, not one per key
  assert.ok(searches.length >= 1 && searches.length <= Math.ceil(school.part.length / 4),
    `typing ${school.part.length} characters made ${searches.length} searches`);

  // by keyboard: down to the option, and Enter
  const id = await option.getAttribute('id');
  for (let i = 0; i < 10 && (await input.getAttribute('aria-activedescendant')) !== id; i++) await input.press('ArrowDown');
  assert.equal(await input.getAttribute('aria-activedescendant'), id);
  assert.equal(await option.getAttribute('aria-selected'), 'true');
  await screenshot(page, 'form-2-school-search');
  await input.press('Enter');

  const chosen = page.locator(`[data-testid="school-chosen"][data-code="${school.vestigingscode}"]`);
  await chosen.waitFor();
  assert.ok((await chosen.textContent()).includes(school.name));
  assert.equal(await page.getByTestId('school-chosen').count(), 1);
  assert.equal(await input.inputValue(), '');
  assert.equal(await input.getAttribute('aria-expanded'), 'false');

  // Enter in the search chooses, and never sends the form: a sent form would be busy or show errors.
  await input.fill('zz');
  await input.press('Enter');
  assert.notEqual(await page.getByTestId('submit').getAttribute('aria-disabled'), 'true');
  assert.ok(await page.getByTestId('error-summary').isHidden());

  // by vestigingscode: the one location, marked as chosen already
  await input.fill(school.vestigingscode.toLowerCase());
  const again = page.locator(`[data-testid="school-option"][data-code="${school.vestigingscode}"]`);
  await again.waitFor();
  assert.equal(await page.getByTestId('school-option').count(), 1);
  assert.equal(await again.getAttribute('aria-disabled'), 'true');
  await input.press('ArrowDown');
  await input.press('Enter');
  assert.equal(await page.getByTestId('school-chosen').count(), 1, 'a school is added once');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a good submission shows the edit token once, and the token opens the stored submission', TIMEOUT, async () => {
  const problems = [];
  const page = await openForm(problems);
  const word = uniqueWord();
  const name = `Leerroute ${word} Zorg en welzijn`;
  const keys = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/submissions') keys.push(r.headers()['idempotency-key']);
  });
  // a double click, as people do, makes one submission
  const s = await submitGood(page, name, { double: true });
  assert.ok(keys.length >= 1 && new Set(keys).size === 1, `POSTs with keys ${keys}`);
  assert.equal(sql('select count(*) from kaart.initiative where name = :\'p1\'', [name]), '1');

  assert.match(s.token, TOKEN);
  assert.ok(s.id > 0);
  assert.ok(await page.getByTestId('submission-form').isHidden());
  const text = await page.locator('body').innerText();
  assert.equal(text.split(s.token).length - 1, 1, 'the token is shown once');
  assert.match(await page.getByTestId('submission-url').textContent(), new RegExp(`/submissions/${s.id}$`));
  assert.ok(!(await storage(page)).includes(s.token), 'the token is not stored in the browser');
  assert.ok(!page.url().includes(s.token));
  await screenshot(page, 'form-3-success');
  // the copy button puts the token on the clipboard
  await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await page.getByTestId('copy-token').click();
  await page.waitForFunction(() => document.getElementById('copy-status').textContent !== '');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), s.token);

  const own = await api(server.url, `/submissions/${s.id}`, { key: s.token });
  assert.equal(own.status, 200);
  assert.equal(own.json.name, name);
  assert.equal(own.json.status, 'submitted');
  assert.equal((await api(server.url, `/submissions/${s.id}`, { key: `rke_${'x'.repeat(32)}` })).status, 401);

  const row = json(`select json_build_object('status', status, 'name', name, 'route_kind', route_kind,
      'niveaus', niveaus, 'leerwegen', leerwegen, 'profielen', profielen, 'crebo', crebo,
      'parties', (select json_agg(json_strip_nulls(json_build_object('role', p.role,
                    'vestigingscode', p.vestigingscode, 'brin', o.brin, 'kvk', o.kvk)) order by p.id)
                    from kaart.party p left join kaart.organisation o on o.id = p.organisation_id
                   where p.initiative_id = i.id),
      'contacts', (select json_agg(json_build_object('name', c.name, 'email', c.email, 'public_consent', c.public_consent))
                     from kaart.contact_person c where c.initiative_id = i.id))
    from kaart.initiative i where id = :'p1'`, [s.id]);
  assert.deepEqual(row, {
    status: 'submitted', name, route_kind: 'doorlopende_leerroute', niveaus: [2, 3], leerwegen: ['BB', 'KB'],
    profielen: ['ZW'], crebo: ['25480', '25491'],
    parties: [
      { role: 'vo', vestigingscode: s.school.vestigingscode },
      { role: 'mbo', brin: s.brin },
      { role: 'bedrijf', kvk: s.kvk },
    ],
    contacts: [{ name: 'Anna de Vries', email: s.email, public_consent: true }],
  });

  // not on the map before a moderator approves it
  assert.equal((await api(server.url, `/collections/initiatives/items/${s.id}`)).status, 404);
  const found = await api(server.url, `/collections/initiatives/items?q=${word}`);
  assert.equal(found.status, 200);
  assert.equal(found.json.numberMatched, 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('after approval the initiative is on the map', TIMEOUT, async () => {
  const problems = [];
  const page = await openForm(problems);
  const word = uniqueWord();
  const name = `Leerroute ${word} Zorg en welzijn`;
  const s = await submitGood(page, name);
  const key = createKey('moderator');
  const approved = await api(server.url, `/admin/submissions/${s.id}/approve`, { method: 'POST', key });
  assert.equal(approved.status, 200, approved.text);

  await page.goto(`${server.url}/?q=${encodeURIComponent(word)}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  const count = (await page.getByTestId('count').textContent()).trim();
  assert.match(count, /^1\b/, count);
  const items = page.getByTestId('result-item');
  assert.equal(await items.count(), 1);
  assert.ok((await items.first().textContent()).includes(name));
  await screenshot(page, 'form-4-map-after-approval');
  assert.deepEqual(problems, []);
  await page.close();
});

test('reloading the answer does not show the token again', TIMEOUT, async () => {
  const problems = [];
  const page = await openForm(problems);
  const s = await submitGood(page, `Leerroute ${uniqueWord()} techniek`);
  assert.match(s.token, TOKEN);

  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  assert.ok(await page.getByTestId('submission-success').isHidden());
  assert.ok(await page.getByTestId('submission-form').isVisible());
  assert.equal(await page.getByLabel('Naam van het initiatief').inputValue(), '');
  assert.ok(!(await page.content()).includes(s.token), 'the token is not in the page');
  assert.ok(!(await storage(page)).includes(s.token), 'the token is not stored in the browser');
  await screenshot(page, 'form-5-after-reload');
  assert.deepEqual(problems, []);
  await page.close();
});

test('when the service cannot answer, the form says so, keeps what was filled in and retries safely', TIMEOUT, async () => {
  const problems = [];
  const page = await openForm(problems);
  const name = `Leerroute ${uniqueWord()} storing`;
  const filled = await fillForm(page, { name });
  const problem = (status, extra = {}) => ({
    status,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: '/problems/x', title: 'x', status, detail: 'x', instance: '/submissions', ...extra }),
  });
  // What goes wrong, one attempt after the other, and what the page must say about it.
  const attempts = [
    [(route) => route.abort('connectionreset'), '[data-testid="submit-problem"]', /geen antwoord van de server/],
    [(route) => route.fulfill({ ...problem(503), headers: { 'Retry-After': '5' } }), '[data-testid="submit-problem"]', /niet bereikbaar/],
    [(route) => route.fulfill({ ...problem(429), headers: { 'Retry-After': '30' } }), '[data-testid="submit-problem"]', /Wacht 30 seconden/],
    // an error at a pointer the form has no field for is still listed
    [(route) => route.fulfill(problem(422, {
      type: '/problems/validation-failed',
      errors: [
        { pointer: '/name', code: 'too_short', message: 'te kort: minstens 3 tekens' },
        { pointer: '/toelichting', code: 'unknown_field', message: 'onbekend veld' },
      ],
    })), '[data-testid="error-summary"]', /Onbekend veld/],
  ];
  const keys = [];
  await page.route('**/submissions', (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    return attempts[keys.length - 1][0](route);
  });
  for (const [i, [, selector, says]] of attempts.entries()) {
    await page.getByTestId('submit').click();
    // the click takes the focus; the answer moves it to the message
    await page.waitForFunction((sel) => document.activeElement === document.querySelector(sel) &&
      document.querySelector('[data-testid="submit"]').getAttribute('aria-disabled') === 'false', selector);
    assert.equal(keys.length, i + 1);
    const text = await page.locator(selector).innerText();
    assert.match(text, says);
    if (i === 2) await screenshot(page, 'form-6-service-busy');
    // what was filled in is still there
    assert.equal(await page.getByLabel('Naam van het initiatief').inputValue(), name);
    assert.equal(await page.locator('[data-rows="contact"] .row').first().getByLabel('E-mailadres').inputValue(), filled.email);
    assert.equal(await page.getByTestId('school-chosen').count(), 1);
  }
  assert.deepEqual(await page.locator('[data-testid="error-summary"] [data-summary-for]')
    .evaluateAll((els) => els.map((e) => [e.dataset.summaryFor, e.querySelector('a') !== null])),
  [['/name', true], ['/toelichting', false]]);
  assert.deepEqual(await page.locator('[data-error-for]').evaluateAll((els) => els.map((e) => e.dataset.errorFor)), ['/name']);
  // The same form is sent with the same Idempotency-Key each time, so that an attempt that did
  // reach the service is not stored twice.
  assert.equal(new Set(keys).size, 1);

  await page.unroute('**/submissions');
  await submit(page);
  await page.getByTestId('submission-success').waitFor();
  assert.equal(sql('select count(*) from kaart.initiative where name = :\'p1\'', [name]), '1');
  // Chromium reports the failed responses on the console; those were made on purpose.
  assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_RESET|status of (503|429|422)/.test(p)), []);
  await page.close();
});
