// What the browser tests share: a real routekaartd on a free port (against the test cluster that
// tests/run.sh set up), Debian's Chromium driven by playwright-core, SQL through psql, API keys made
// as an operator makes them, and screenshots kept as test artifacts.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = process.env.RK_TOP || resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(top, 'web', 'package.json'));
const { chromium } = require('playwright-core');

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests through tests/run.sh`);
  return v;
}

// Starts routekaartd; resolves to { url, stop(), log }.
export async function startServer(extraEnv = {}) {
  const bin = need('RK_SERVER');
  const logDir = process.env.RK_LOG_DIR || tmpdir();
  mkdirSync(logDir, { recursive: true });
  const log = join(logDir, `browser-server-${process.pid}-${Date.now()}.log`);
  const env = {
    ...process.env,
    DATABASE_URL: need('RK_TEST_DATABASE_URL'),
    DATABASE_READ_URL: need('RK_TEST_DATABASE_READ_URL'),
    PORT: '0',
    LISTEN: '127.0.0.1',
    WEB_ROOT: need('RK_WEB_ROOT'),
    ...extraEnv,
  };
  const fd = openSync(log, 'w');
  const child = spawn(bin, [], { env, stdio: ['ignore', 'ignore', fd] });
  let exited = false;
  let status = null;
  child.on('exit', (code, signal) => { exited = true; status = signal ? `signal ${signal}` : `exit ${code}`; });
  for (let i = 0; i < 300; i++) {
    const text = readFileSync(log, 'utf8');
    const m = text.match(/"listening".*"url":"(http:\/\/127\.0\.0\.1:\d+)\/?"/);
    if (m) {
      return {
        url: m[1],
        log,
        // Stops it with SIGTERM; throws unless it exits 0 (a sanitizer's report, a crash or an
        // exit of its own while the test ran is a failure of the test).
        async stop() {
          if (!exited) {
            const done = new Promise((r) => child.on('exit', r));
            child.kill('SIGTERM');
            await done;
          }
          if (status !== 'exit 0') throw new Error(`routekaartd ended with ${status}; see ${log}`);
        },
      };
    }
    if (exited) throw new Error(`routekaartd exited early (${status}); see ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`routekaartd did not start; see ${log}`);
}

// Debian's Chromium, headless, with a fresh profile and no calls to the outside world.
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'rk-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
    ],
    viewport: { width: 1280, height: 860 },
    locale: 'nl-NL',
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

// A page that fails the test on any console error or uncaught exception of the site.
export async function newPage(context, problems) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  return page;
}

export async function screenshot(page, name) {
  const dir = process.env.RK_ARTIFACT_DIR || join(top, 'var', 'test-artifacts', 'browser');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}

// One value (or rows joined by newlines) from the test database, as the superuser. Parameters
// are psql variables: :'p1' is the first, quoted as a literal.
export function sql(query, params = []) {
  const args = ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1'];
  params.forEach((p, i) => args.push('-v', `p${i + 1}=${p}`));
  return execFileSync('psql', args, { input: query, encoding: 'utf8' }).trim();
}

// An API key, made with `routekaartd keys create` as an operator would.
export function createKey(role) {
  return execFileSync(need('RK_SERVER'), ['keys', 'create', '--role', role, '--name', `browser-${role}-${Date.now()}`], {
    env: { ...process.env, DATABASE_URL: need('RK_TEST_DATABASE_URL') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
}

export async function api(base, path, { method = 'GET', body, key, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (key) h.Authorization = `Bearer ${key}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}
