// The page at /ui in headless Chromium: a deep link, a cone search, sorting, a spectrum with its
// lines and rest frame, previews, a stacked image and a stack. Plotted arrays are compared with
// the arrays the REST API serves (read here through the CSV forms, not the page's .npy reader),
// IDs as exact decimal strings (the real SDSS IDs pass 2^53), and no console errors allowed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARTEFACTS, buildStore, csvColumns, getJson, launch, postText, skipUnlessReady, startServer, step } from './harness.mjs';

skipUnlessReady();
fs.mkdirSync(ARTEFACTS, { recursive: true });
const dir = buildStore();
const server = await startServer(dir);
const browser = await launch();
const { page, errors } = browser;
const shot = name => page.screenshot({ path: path.join(ARTEFACTS, `${name}.png`), fullPage: true });
const f32 = s => Math.fround(Number(s));
// A page load, then the app's start (contexts listed, the view drawn from the URL: it sets
// body[data-ready]): a form filled before then is redrawn from the URL under the test's feet
// (seen under load: an uploaded ID list cleared before its search was sent).
const open = async url => {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
};

try {
  const U = server.url;
  // A real spectrum (its SPECOBJID > 2^53) to centre the cone on.
  const first = (await getJson(U, 'query', { constraint: "run2d = '26'", fields: 'specobjid,ra,dec,z', format: 'json', limit: 1 })).rows[0];
  assert.ok(BigInt(first.specobjid) > 2n ** 53n, 'the cone centre is a real ID past 2^53');
  const cone = { ra: String(first.ra), dec: String(first.dec), radius: '5' };
  const expected = await getJson(U, 'query', { ra: cone.ra, dec: cone.dec, size: cone.radius, format: 'json', limit: 50 });
  assert.ok(expected.rows.length >= 1);

  step('deep link to a cone search');
  await open(`${U}/ui?${new URLSearchParams(cone)}`);
  await page.waitForSelector('#results tbody tr');
  let ids = await page.$$eval('#results tbody tr', rows => rows.map(r => r.dataset.id));
  assert.deepEqual(ids, expected.rows.map(r => r.specobjid), 'the table lists the /query rows, IDs exact');
  assert.equal(await page.inputValue('#search-form [name=ra]'), cone.ra, 'the deep link filled the form');

  step('cone search from the form, then sort by z');
  await open(`${U}/ui`);
  await page.fill('#search-form [name=ra]', cone.ra);
  await page.fill('#search-form [name=dec]', cone.dec);
  await page.fill('#search-form [name=radius]', '180');
  await page.click('#search-go');
  await page.waitForFunction(() => document.querySelectorAll('#results tbody tr').length > 1);
  assert.match(page.url(), /radius=180/);
  const all = await getJson(U, 'query', { ra: cone.ra, dec: cone.dec, size: '180', format: 'json', limit: 50, sort: 'z', fields: 'specobjid,z' });
  await page.click('#results th[data-col=z]');
  await page.waitForURL(/sort=z/);
  await page.waitForSelector('#results th.sorted[data-col=z]');
  ids = await page.$$eval('#results tbody tr', rows => rows.map(r => r.dataset.id));
  assert.deepEqual(ids, all.rows.map(r => r.specobjid), 'sorted by z as /query sorts');
  await shot('search');

  step('SQL constraint, an uploaded ID list, and a protected context with its token');
  const qso = await getJson(U, 'query', { constraint: "class = 'QSO'", format: 'json', limit: 50 });
  await open(`${U}/ui`);
  await page.fill('#search-form [name=constraint]', "class = 'QSO'");
  await page.click('#search-go');
  await page.waitForURL(/constraint=/);
  await page.waitForSelector('#results tbody tr');
  assert.deepEqual(await page.$$eval('#results tbody tr', r => r.map(x => x.dataset.id)), qso.rows.map(r => r.specobjid));
  const two = all.rows.slice(0, 2).map(r => r.specobjid);
  await open(`${U}/ui`);
  await page.setInputFiles('#id-file', { name: 'ids.txt', mimeType: 'text/plain', buffer: Buffer.from(two.join('\n') + '\n') });
  await page.waitForFunction(() => document.querySelector('#search-form [name=ids]').value.length > 0);
  await page.click('#search-go');
  await page.waitForURL(/ids=/);
  await page.waitForSelector('#results tbody tr');
  assert.deepEqual((await page.$$eval('#results tbody tr', r => r.map(x => x.dataset.id))).sort(), [...two].sort());
  await page.fill('#token', 'reader-token');
  await page.press('#token', 'Enter');
  await open(`${U}/ui?context=private_dr16&constraint=${encodeURIComponent('1 = 1')}`);
  await page.waitForSelector('#results tbody tr');
  assert.equal(await page.inputValue('#context'), 'private_dr16');
  const priv = await (await fetch(`${U}/query?${new URLSearchParams({ context: 'private_dr16', constraint: '1 = 1', format: 'json', limit: 50 })}`,
    { headers: { 'X-DL-AuthToken': 'reader-token' } })).json();
  assert.ok(priv.rows.length > 0);
  assert.deepEqual(await page.$$eval('#results tbody tr', r => r.map(x => x.dataset.id)), priv.rows.map(r => r.specobjid), 'the private context, read with the token');

  step('a polygon');
  const [ra, dec] = [Number(first.ra), Number(first.dec)];
  const region = JSON.stringify([[ra - 3, dec - 3], [ra + 3, dec - 3], [ra + 3, dec + 3], [ra - 3, dec + 3]]);
  const inPolygon = await getJson(U, 'query', { region, format: 'json', limit: 50 });
  assert.ok(inPolygon.rows.some(r => r.specobjid === first.specobjid));
  await open(`${U}/ui?${new URLSearchParams({ region })}`);
  await page.waitForSelector('#results tbody tr');
  assert.deepEqual(await page.$$eval('#results tbody tr', r => r.map(x => x.dataset.id)), inPolygon.rows.map(r => r.specobjid));
  assert.equal(await page.inputValue('#search-form [name=region]'), region);

  await open(`${U}/ui?${new URLSearchParams({ ...cone, radius: '180', sort: 'z' })}`);
  await page.waitForSelector('#results tbody tr');
  step('previews and the stacked image of the page');
  await page.click('.tabs button[data-tab=grid]');
  await page.waitForFunction(n => [...document.querySelectorAll('#grid img')].filter(i => i.complete && i.naturalWidth === 300).length === n, ids.length);
  await shot('previews');
  await page.click('.tabs button[data-tab=image]');
  await page.selectOption('#image-sort', 'mjd');
  const [imageRequest] = await Promise.all([page.waitForRequest(r => r.url().endsWith('/stackedImage')), page.click('#image-go')]);
  await page.waitForFunction(() => document.querySelector('#stacked-image').naturalHeight > 0);
  assert.match(page.url(), /sort=mjd/);
  const byMjd = await getJson(U, 'query', { ra: cone.ra, dec: cone.dec, size: '180', format: 'json', limit: 2000, sort: 'mjd', fields: 'specobjid' });
  assert.deepEqual(new URLSearchParams(imageRequest.postData()).get('id_list').split('\n'), byMjd.rows.map(r => r.specobjid),
    'the stacked image is of the selection in mjd order, IDs exact');
  await shot('stacked-image');

  step('open a spectrum');
  await page.click('.tabs button[data-tab=table]');
  await page.click(`#results a:text-is("${first.specobjid}")`);
  await page.waitForURL(new RegExp(`/ui/spectrum/${first.specobjid}`));
  await page.waitForFunction(() => window.specmill.spectrum && document.querySelector('#spec-id').textContent);
  const served = csvColumns((await postText(U, 'getSpec', { id_list: first.specobjid, format: 'csv' })).text);
  const plotted = await page.evaluate(() => window.specmill.spectrum.data.map(a => Array.from(a)));
  const n = served.flux.length;
  assert.equal(plotted[0].length, n);
  for (let i = 0; i < n; i++) {
    assert.ok(Math.abs(plotted[0][i] / 10 ** f32(served.loglam[i]) - 1) < 1e-12, `wavelength ${i}`);
    assert.equal(plotted[1][i], f32(served.flux[i]), `flux ${i}`);
    const iv = f32(served.ivar[i]);
    if (iv > 0) assert.ok(Math.abs(plotted[3][i] - (f32(served.flux[i]) + 1 / Math.sqrt(iv))) < 1e-9, `+1 sigma ${i}`);
    else assert.equal(plotted[3][i], null);
    assert.equal(plotted[4][i], f32(served.model[i]), `model ${i}`);
  }
  assert.equal(await page.textContent('#meta dd[data-key=specobjid]'), first.specobjid);
  const z = Number(await page.textContent('#meta dd[data-key=z]'));
  assert.equal(z, Number(first.z));
  const halpha = () => page.$eval('#line-list li:has-text("Hα")', li => Number(li.dataset.at));
  assert.ok(Math.abs(await halpha() - 6564.61 * (1 + z)) < 1e-6, 'H-alpha at (1 + z) x rest');
  await shot('spectrum');

  step('zoom, pan, sky, a download');
  const xRange = () => page.evaluate(() => { const x = window.specmill.spectrum.scales.x; return [x.min, x.max]; });
  const [x0, x1] = await xRange();
  const box = await page.locator('#spectrum-plot .u-over').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -200);
  await page.waitForFunction(w => { const x = window.specmill.spectrum.scales.x; return x.max - x.min < w; }, x1 - x0);
  const [z0, z1] = await xRange();
  assert.ok(z0 > x0 && z1 < x1, 'the wheel zooms in');
  await page.keyboard.down('Shift');
  await page.mouse.wheel(0, 200);
  await page.keyboard.up('Shift');
  await page.waitForFunction(m => window.specmill.spectrum.scales.x.min > m, z0);
  const [p0, p1] = await xRange();
  assert.ok(Math.abs((p1 - p0) - (z1 - z0)) < 1e-6 * (z1 - z0), 'shift + wheel pans at the same zoom');
  assert.equal(await page.evaluate(() => window.specmill.spectrum.series[5].show), false);
  await page.check('#show-sky');
  await page.waitForURL(/sky=1/);
  await page.waitForFunction(() => window.specmill.spectrum.series[5].show);
  const [s0, s1] = await xRange();
  assert.ok(Math.abs(s0 - p0) < 1e-6 && Math.abs(s1 - p1) < 1e-6, 'a toggle keeps the zoom');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#view-spectrum button[data-fmt=numpy]')]);
  assert.equal(dl.suggestedFilename(), `${first.specobjid}.npy`);
  const npy = Buffer.from(await (await fetch(`${U}/getSpec`, { method: 'POST', body: new URLSearchParams({ id_list: first.specobjid, format: 'numpy' }) })).arrayBuffer());
  assert.ok(fs.readFileSync(await dl.path()).equals(npy), 'the npy download is the getSpec reply');
  await page.uncheck('#show-sky');
  await page.waitForFunction(() => !/sky=1/.test(location.search));

  step('lines off and on, rest frame, another z, smoothing');
  await page.uncheck('#show-lines');
  await page.waitForURL(/lines=0/);
  assert.equal(await page.$$eval('#line-list li', l => l.length), 0);
  await page.check('#show-lines');
  await page.check('#rest-frame');
  await page.waitForURL(/rest=1/);
  await page.waitForFunction(() => document.querySelector('#show-lines').checked && document.querySelectorAll('#line-list li').length > 0);
  assert.ok(Math.abs(await halpha() - 6564.61) < 1e-9, 'rest frame: lines at rest wavelengths');
  const rest = await page.evaluate(() => Array.from(window.specmill.spectrum.data[0]));
  for (let i = 0; i < n; i += 97) assert.ok(Math.abs(rest[i] / (10 ** f32(served.loglam[i]) / (1 + z)) - 1) < 1e-12);
  await page.uncheck('#rest-frame');
  await page.fill('#z', '0.5');
  await page.press('#z', 'Enter');
  await page.waitForURL(/z=0\.5/);
  assert.ok(Math.abs(await halpha() - 6564.61 * 1.5) < 1e-6, 'user z moves the lines');
  await page.fill('#smooth', '5');
  await page.press('#smooth', 'Enter');
  await page.waitForURL(/smooth=5/);
  const deep = page.url();
  await open(deep);  // the URL alone reproduces the view
  await page.waitForFunction(() => window.specmill.spectrum);
  assert.equal(await page.inputValue('#z'), '0.5');
  assert.equal(await page.inputValue('#smooth'), '5');
  const smoothed = await page.evaluate(() => Array.from(window.specmill.spectrum.data[1]));
  const k = Math.floor(n / 2);
  const win = [-2, -1, 0, 1, 2].map(d => k + d).filter(j => f32(served.ivar[j]) > 0).map(j => f32(served.flux[j]));
  assert.ok(Math.abs(smoothed[k] - win.reduce((a, b) => a + b, 0) / win.length) < 1e-9, 'boxcar of 5 good pixels');

  step('build a stack of the cone selection');
  const stackUrl = `${U}/ui/stack?${new URLSearchParams({ ...cone, radius: '180' })}`;
  await open(stackUrl);
  await page.selectOption('#stack-form [name=method]', 'mean');
  await page.check('#stack-form [name=rest_frame]');
  await page.fill('#stack-form [name=grid]', 'log:3.5,3.9,1e-3');
  await page.click('#stack-go');
  await page.waitForURL(/run=1/);
  await page.waitForFunction(() => window.specmill.stack);
  const selection = await getJson(U, 'query', { ra: cone.ra, dec: cone.dec, size: '180', format: 'json', limit: 5000 });
  const stackReply = await postText(U, 'stack', { id_list: selection.rows.map(r => r.specobjid).join('\n'), method: 'mean', rest_frame: 'true', grid: 'log:3.5,3.9,1e-3', format: 'csv' });
  const stack = csvColumns(stackReply.text);
  const sp = await page.evaluate(() => window.specmill.stack.data.map(a => Array.from(a)));
  assert.equal(sp[0].length, stack.wavelength.length);
  for (let i = 0; i < sp[0].length; i++) {
    assert.equal(sp[0][i], Number(stack.wavelength[i]));
    assert.equal(sp[1][i], Number(stack.flux[i]));
  }
  assert.match(await page.textContent('#stack-info'), new RegExp(`^${stackReply.headers.get('X-Spectra-Used')} of ${selection.rows.length} spectra`));
  await shot('stack');

  step('the DESI context: a cone search, a spectrum on the linear grid, a stack');
  const desiFirst = (await getJson(U, 'query', { context: 'desi_dr1', constraint: "class = 'GALAXY'", fields: 'specobjid,ra,dec,z', format: 'json', limit: 1 })).rows[0];
  assert.ok(BigInt(desiFirst.specobjid) > 2n ** 53n, 'a DESI TARGETID past 2^53');
  const desiCone = { context: 'desi_dr1', ra: String(desiFirst.ra), dec: String(desiFirst.dec), radius: '10' };
  const desiRows = await getJson(U, 'query', { context: 'desi_dr1', ra: desiCone.ra, dec: desiCone.dec, size: desiCone.radius, format: 'json', limit: 50 });
  await open(`${U}/ui?${new URLSearchParams(desiCone)}`);
  await page.waitForSelector('#results tbody tr');
  assert.equal(await page.inputValue('#context'), 'desi_dr1');
  assert.deepEqual(await page.$$eval('#results tbody tr', r => r.map(x => x.dataset.id)), desiRows.rows.map(r => r.specobjid), 'the DESI rows, TARGETIDs exact');
  await page.click(`#results a:text-is("${desiFirst.specobjid}")`);
  await page.waitForURL(new RegExp(`/ui/spectrum/${desiFirst.specobjid}\\?context=desi_dr1`));
  await page.waitForFunction(id => window.specmill.spectrum && document.querySelector('#spec-id').textContent === id, desiFirst.specobjid);
  const desiServed = csvColumns((await postText(U, 'getSpec', { context: 'desi_dr1', id_list: desiFirst.specobjid, format: 'csv' })).text);
  const desiPlotted = await page.evaluate(() => window.specmill.spectrum.data.map(a => Array.from(a)));
  assert.equal(desiPlotted[0].length, 7781, 'the brz grid: 3600-9824 A at 0.8 A');
  assert.equal(desiServed.flux.length, 7781);
  for (let i = 0; i < 7781; i++) {
    assert.ok(Math.abs(desiPlotted[0][i] / 10 ** f32(desiServed.loglam[i]) - 1) < 1e-12, `DESI wavelength ${i}`);
    // getSpec serves loglam as float32 (the original service's column): 0.002 A at 9800 A.
    assert.ok(Math.abs(desiPlotted[0][i] - (3600 + 0.8 * i)) < 0.01, `DESI wavelength ${i} on the 0.8 A grid`);
    assert.equal(desiPlotted[1][i], f32(desiServed.flux[i]), `DESI flux ${i}`);
  }
  const desiZ = Number(await page.textContent('#meta dd[data-key=z]'));
  assert.equal(desiZ, Number(desiFirst.z));
  assert.ok(Math.abs(await halpha() - 6564.61 * (1 + desiZ)) < 1e-6, 'DESI: H-alpha at (1 + z) x rest');
  assert.ok(await page.isDisabled('#show-model') && await page.isDisabled('#show-sky'), 'a coadd has no model or sky to toggle');
  assert.equal(await page.evaluate(() => window.specmill.spectrum.series[4].show), false, 'no model line at 0');
  await shot('desi-spectrum');
  const desiStackUrl = `${U}/ui/stack?${new URLSearchParams({ ...desiCone, radius: '180' })}`;
  await open(desiStackUrl);
  await page.selectOption('#stack-form [name=method]', 'median');
  await page.click('#stack-go');
  await page.waitForURL(/run=1/);
  await page.waitForFunction(() => window.specmill.stack);
  const desiSel = await getJson(U, 'query', { context: 'desi_dr1', ra: desiCone.ra, dec: desiCone.dec, size: '180', format: 'json', limit: 5000 });
  const desiStack = csvColumns((await postText(U, 'stack', { context: 'desi_dr1', id_list: desiSel.rows.map(r => r.specobjid).join('\n'), method: 'median', format: 'csv' })).text);
  const dsp = await page.evaluate(() => window.specmill.stack.data.map(a => Array.from(a)));
  assert.equal(dsp[0].length, desiStack.wavelength.length);
  assert.ok(Math.abs(dsp[0][0] - 3600) < 1e-6 && Math.abs(dsp[0][1] - dsp[0][0] - 0.8) < 1e-6, 'the DESI stack is on its linear grid');
  for (let i = 0; i < dsp[0].length; i++) assert.equal(dsp[1][i], Number(desiStack.flux[i]), `DESI stack flux ${i}`);
  await shot('desi-stack');

  assert.deepEqual(errors, [], 'no console errors');
  step('passed');
} catch (e) {
  console.log('page status line:', await page.textContent('#status').catch(() => '?'), 'url:', page.url());
  console.log(errors.join('\n'));
  throw e;
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
