// Builds the website into OUT (node build.mjs OUT): the pages (src/*.html) at the top, every other
// file as OUT/assets/NAME.HASH.EXT, named by its content so that it can be cached for a year.
// References in the pages (src="x.js", href="x.css") and in style sheets (url(images/x.png)) are
// rewritten to the hashed names; a reference to a file that does not exist fails the build.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, '..', 'build', 'web'));
const nm = join(here, 'node_modules');

// logical name -> source file; the logical names are what the pages and style sheets refer to
const sources = new Map([
  ['leaflet.js', join(nm, 'leaflet/dist/leaflet.js')],
  ['leaflet.css', join(nm, 'leaflet/dist/leaflet.css')],
  ['supercluster.js', join(nm, 'supercluster/dist/supercluster.min.js')],
]);
for (const f of readdirSync(join(nm, 'leaflet/dist/images'))) {
  sources.set(`images/${f}`, join(nm, 'leaflet/dist/images', f));
}
const pages = [];
for (const f of readdirSync(join(here, 'src'))) {
  if (f.endsWith('.html')) pages.push(f);
  else sources.set(f, join(here, 'src', f));
}

const hashed = new Map(); // logical name -> /assets/NAME.HASH.EXT
const contents = new Map(); // logical name -> Buffer, after rewriting

function assetName(logical, bytes) {
  const ext = extname(logical);
  const stem = basename(logical, ext).replace(/[^A-Za-z0-9_-]/g, '-');
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  return `/assets/${stem}.${hash}${ext}`;
}

function fail(msg) {
  console.error(`web/build.mjs: ${msg}`);
  process.exit(1);
}

// Plain files first, then style sheets (which refer to images), so that every target is known.
const isCss = (n) => n.endsWith('.css');
for (const [logical, file] of sources) {
  if (isCss(logical)) continue;
  const bytes = readFileSync(file);
  contents.set(logical, bytes);
  hashed.set(logical, assetName(logical, bytes));
}
for (const [logical, file] of sources) {
  if (!isCss(logical)) continue;
  const base = dirname(logical) === '.' ? '' : `${dirname(logical)}/`;
  const text = readFileSync(file, 'utf8').replace(/url\((['"]?)([^'")]+)\1\)/g, (m, q, ref) => {
    if (/^(data:|#)/.test(ref)) return m;
    const target = hashed.get(base + ref);
    if (!target) fail(`${logical} refers to ${ref}, which is not part of the site`);
    return `url(${target})`;
  });
  const bytes = Buffer.from(text);
  contents.set(logical, bytes);
  hashed.set(logical, assetName(logical, bytes));
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
for (const [logical, bytes] of contents) {
  writeFileSync(join(out, hashed.get(logical)), bytes);
}
for (const page of pages) {
  const html = readFileSync(join(here, 'src', page), 'utf8').replace(
    /\b(src|href)="([^"]+)"/g,
    (m, attr, ref) => {
      if (/^(\/|#|https?:|mailto:|data:)/.test(ref)) return m;
      const target = hashed.get(ref);
      if (!target) fail(`${page} refers to ${ref}, which is not part of the site`);
      return `${attr}="${target}"`;
    },
  );
  writeFileSync(join(out, page), html);
}
console.log(`  WEB ${out}: ${pages.length} pages, ${contents.size} assets`);
