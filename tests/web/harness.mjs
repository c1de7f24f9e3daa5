// What the browser tests share: a sample store (the real SDSS files plus sample spectra, as
// tests/python/rest_fixture.py builds it), a DESI store of generated coadds, a `specmill serve` on port 0 over it, and headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core; its own browser download is
// not used) with console errors collected.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
export const BIN = process.env.SPECMILL_BIN || path.join(root, 'build/bin/specmill');
export const SHARED = process.env.SPECMILL_SHARED_DATA || path.join(root, '../shared/data');
export const ARTEFACTS = process.env.SPECMILL_WEB_ARTEFACTS || path.join(root, 'build/web-artefacts');
const CHROMIUM = '/usr/bin/chromium';

export function skipUnlessReady() {
  const why = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing (scripts/install-deps.sh)`
    : !fs.existsSync(path.join(root, 'node_modules/playwright-core')) ? 'node_modules/playwright-core is missing (npm ci)' : null;
  if (why) { console.log(`SKIPPED: ${why}`); process.exit(77); }
}

export function buildStore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'specmill-web-'));
  const run = (...a) => execFileSync(BIN, a, { stdio: ['ignore', 'ignore', 'pipe'] });
  run('sample', '--out', path.join(dir, 'sample'), '--count', '40', '--seed', '5');
  run('ingest', '--store', path.join(dir, 'store'), '--block-size', '16', path.join(SHARED, 'spectra'), path.join(dir, 'sample'));
  run('ingest', '--store', path.join(dir, 'store'), '--context', 'private_dr16', path.join(SHARED, 'spectra'));
  // A DESI context (generated coadds on the linear 0.8 A grid, a zpix catalog) in its own store.
  run('sample', '--survey', 'desi', '--out', path.join(dir, 'desi-sample'), '--count', '30', '--seed', '3', '--fields', '1');
  run('ingest', '--store', path.join(dir, 'desi'), '--catalog', path.join(dir, 'desi-sample', 'zpix-sample.fits'), path.join(dir, 'desi-sample', 'healpix'));
  fs.writeFileSync(path.join(dir, 'service.json'), JSON.stringify({
    contexts: [
      { name: 'sdss_dr16', store: 'store', description: 'real and sample spectra' },
      { name: 'private_dr16', store: 'store', public: false, tokens: ['reader-token'] },
      { name: 'desi_dr1', store: 'desi', description: 'generated DESI coadds' },
    ],
    limits: { max_ids: 5000 },
  }));
  return dir;
}

export async function startServer(dir) {
  const proc = spawn(BIN, ['serve', '--config', path.join(dir, 'service.json'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', d => { err = (err + d).slice(-4000); });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', d => { out += d; if (out.includes('\n')) resolve(out.split('\n')[0]); });
    proc.on('exit', c => reject(new Error(`specmill serve exited ${c}: ${err}`)));
  });
  const port = Number(line.match(/127\.0\.0\.1:(\d+)/)[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise(r => { proc.on('exit', r); proc.kill('SIGTERM'); }),
  };
}

export async function launch() {
  const { chromium } = createRequire(import.meta.url)(path.join(root, 'node_modules/playwright-core'));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'specmill-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] || await context.newPage();
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', e => errors.push(`page: ${e.message}`));
  return { context, page, errors, close: async () => { await context.close(); fs.rmSync(userData, { recursive: true, force: true }); } };
}

// The test's own reading of the service's replies (not the page's code).
export async function getJson(base, route, params) {
  const res = await fetch(`${base}/${route}?${new URLSearchParams(params)}`);
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function postText(base, route, params) {
  const res = await fetch(`${base}/${route}`, { method: 'POST', body: new URLSearchParams(params) });
  if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
  return { text: await res.text(), headers: res.headers };
}

// A CSV reply (after `#` lines) as columns of strings.
export function csvColumns(text) {
  const lines = text.split('\n').filter(l => l && !l.startsWith('#'));
  const names = lines[0].split(',');
  const cols = Object.fromEntries(names.map(n => [n, []]));
  for (const l of lines.slice(1)) l.split(',').forEach((v, k) => cols[names[k]].push(v));
  return cols;
}

export function step(name) { console.log(`[${(performance.now() / 1000).toFixed(1)} s] ${name}`); }
