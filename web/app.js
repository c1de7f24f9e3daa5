// The page's views: search (/ui?...), spectrum (/ui/spectrum/<id>?...), stack (/ui/stack?...).
// Every view is its URL: the controls write their state into the query string
// (history.replaceState / pushState) and a view is drawn from the URL alone, so a copied link
// reproduces it. Only the public REST routes are called (api.js).
import { api, get, post, withContext, idListText, parseNpy, parseStackCsv, download, imageUrl } from './api.js';
import { LINES, smooth, spectrumPlot } from './plot.js';

const $ = s => document.querySelector(s);
const COLUMNS = ['specobjid', 'plate', 'mjd', 'fiberid', 'ra', 'dec', 'z', 'z_err', 'zwarning', 'class', 'subclass', 'sn_median_all', 'programname'];
const PAGE = 50;
// Shaded pixels: no inverse variance, or an and_mask bit of the SDSS bad-pixel set that /stack
// drops by default (docs/stack.md, mask value 0x07c4026f).
const BAD_PIXEL_BITS = 0x07c4026f;
const SEARCH_KEYS = ['ra', 'dec', 'radius', 'region', 'constraint', 'ids'];
const state = window.specmill = { spectrum: null, stack: null };  // the plots, for tests and the console

function status(text, error = false) {
  const s = $('#status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

function params() { return new URLSearchParams(location.search); }

// Keeps the context in every link so that a link reproduces the view in its context.
function link(path, p = new URLSearchParams()) {
  if (api.context && !p.has('context')) p.set('context', api.context);
  const q = p.toString();
  return `${path}${q ? '?' + q : ''}`;
}

function go(href, replace = false) {
  const url = new URL(href, document.baseURI);
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  render().catch(e => status(e.message, true));
}

// The selection the search form describes, as /query parameters.
function queryParams(p) {
  const q = {};
  if (p.get('ra') && p.get('dec') && p.get('radius')) Object.assign(q, { ra: p.get('ra'), dec: p.get('dec'), size: p.get('radius') });
  if (p.get('region')) q.region = p.get('region');
  if (p.get('constraint')) q.constraint = p.get('constraint');
  if (p.get('ids')) q.id = idListText(splitIds(p.get('ids')));
  return withContext(q);
}

// ID lists: one ID a line in the text boxes, `;`-separated in URLs (a plate,mjd,fiber ID has commas).
function splitIds(text) { return text.split(/[\r\n;]+/).map(s => s.trim()).filter(Boolean); }

function hasSelection(p) { return SEARCH_KEYS.some(k => p.get(k)); }

async function runQuery(p, extra) {
  const res = await get('query', { ...queryParams(p), format: 'json', ...extra });
  const body = await res.json();  // IDs are strings in this reply
  return { rows: body.rows, more: res.headers.get('X-Query-More') === 'true' };
}

// ------------------------------------------------------------------ search
function fillSearchForm(p) {
  const f = $('#search-form');
  for (const k of SEARCH_KEYS) f.elements[k].value = k === 'ids' ? splitIds(p.get(k) || '').join('\n') : p.get(k) || '';
}

function searchUrlFromForm() {
  const f = $('#search-form'), p = new URLSearchParams();
  for (const k of SEARCH_KEYS) {
    let v = f.elements[k].value.trim();
    if (k === 'ids') v = splitIds(v).join(';');
    if (v) p.set(k, v);
  }
  return p;
}

function sortText(p) { return p.get('sort') ? `${p.get('sort')}${p.get('desc') ? ' DESC' : ''}` : ''; }

async function renderSearch(p) {
  fillSearchForm(p);
  const tab = p.get('tab') || 'table';
  for (const b of document.querySelectorAll('.tabs button')) b.classList.toggle('on', b.dataset.tab === tab);
  for (const t of ['table', 'grid', 'image']) $(`#tab-${t}`).hidden = t !== tab;
  const stackP = new URLSearchParams(p); ['tab', 'offset', 'sort', 'desc'].forEach(k => stackP.delete(k));
  $('#to-stack').setAttribute('href', link('stack', stackP));
  $('#image-sort').replaceChildren(...COLUMNS.map(c => new Option(c, c, false, c === (p.get('sort') || 'z'))));
  $('#image-desc').checked = !!p.get('desc');
  const thead = $('#results thead'), tbody = $('#results tbody');
  if (!hasSelection(p)) {
    thead.replaceChildren(); tbody.replaceChildren(); $('#grid').replaceChildren();
    status('Search by cone, polygon, SQL constraint or an ID list.');
    return;
  }
  const offset = Number(p.get('offset') || 0);
  status('searching...');
  const { rows, more } = await runQuery(p, { fields: COLUMNS.join(','), limit: PAGE, offset, sort: sortText(p) });
  const tr = document.createElement('tr');
  for (const c of COLUMNS) {
    const th = document.createElement('th');
    th.textContent = c; th.dataset.col = c;
    if (p.get('sort') === c) th.classList.add('sorted'), p.get('desc') && th.classList.add('desc');
    tr.append(th);
  }
  thead.replaceChildren(tr);
  tbody.replaceChildren(...rows.map(r => {
    const row = document.createElement('tr');
    row.dataset.id = r.specobjid;
    for (const c of COLUMNS) {
      const td = document.createElement('td');
      if (c === 'specobjid') {
        const a = document.createElement('a');
        a.href = link(`spectrum/${r.specobjid}`); a.dataset.link = ''; a.textContent = r.specobjid;
        td.append(a);
      } else td.textContent = r[c] ?? '';
      row.append(td);
    }
    return row;
  }));
  $('#page-info').textContent = rows.length ? `rows ${offset + 1}-${offset + rows.length}` : 'no rows';
  $('#prev').disabled = offset === 0;
  $('#next').disabled = !more;
  status(`${rows.length} rows${more ? ' (more on the next page)' : ''}`);
  if (tab === 'grid') await renderGrid(rows);
  if (tab === 'image' && p.get('render')) await renderStackedImage(p);
}

async function renderGrid(rows) {
  const grid = $('#grid');
  grid.replaceChildren();
  for (const r of rows) {
    const fig = document.createElement('figure'), img = document.createElement('img'), cap = document.createElement('figcaption');
    const a = document.createElement('a');
    a.href = link(`spectrum/${r.specobjid}`); a.dataset.link = ''; a.append(img);
    cap.textContent = `${r.specobjid} z=${Number(r.z).toFixed(4)} ${r.class || ''}`;
    fig.dataset.id = r.specobjid; fig.append(a, cap); grid.append(fig);
    img.alt = r.specobjid;
    img.src = await imageUrl(await get('preview', withContext({ id: r.specobjid, width: 300, height: 100, model: 'true' })));
  }
}

async function renderStackedImage(p) {
  status('rendering the stacked image...');
  const { rows, more } = await runQuery(p, { fields: 'specobjid', limit: 2000, sort: sortText(p) || 'z' });
  if (!rows.length) return status('nothing to render');
  const res = await post('stackedImage', withContext({ id_list: idListText(rows.map(r => r.specobjid)), fmt: 'png', yscale: 4 }));
  $('#stacked-image').src = await imageUrl(res);
  status(`stacked image of ${more ? 'the first ' : ''}${rows.length} spectra sorted by ${sortText(p) || 'z'}`);
}

// ------------------------------------------------------------------ spectrum
const spec = { id: null, data: null, meta: null };

async function loadSpectrum(id) {
  if (spec.id === id && spec.context === api.context) return;
  status(`loading ${id}...`);
  const [npy, q] = await Promise.all([
    post('getSpec', withContext({ id_list: id, format: 'numpy' })).then(r => r.arrayBuffer()),
    get('query', withContext({ id, fields: 'specobjid,plate,mjd,fiberid,ra,dec,z,z_err,zwarning,class,subclass,sn_median_all,run2d,programname', format: 'json', primary: 'false' })).then(r => r.json()),
  ]);
  Object.assign(spec, { id, context: api.context, data: parseNpy(npy), meta: q.rows[0] || {} });
}

async function renderSpectrum(id, p) {
  await loadSpectrum(id);
  const { data, meta } = spec;
  $('#spec-id').textContent = id;
  const zCat = Number(meta.z ?? 0);
  const z = p.has('z') ? Number(p.get('z')) : zCat;
  const rest = p.get('rest') === '1', width = Number(p.get('smooth') || 1);
  $('#z').value = String(z); $('#rest-frame').checked = rest; $('#smooth').value = width;
  $('#show-lines').checked = p.get('lines') !== '0';
  $('#show-sky').checked = p.get('sky') === '1';
  $('#show-model').checked = p.get('model') !== '0';
  // DESI coadds carry no model and no sky (getSpec serves zeros): their toggles are off and
  // nothing is drawn, rather than a flat line at 0 that looks like data.
  const hasModel = data.model.some(v => v !== 0), hasSky = data.sky.some(v => v !== 0);
  $('#show-model').disabled = !hasModel;
  $('#show-sky').disabled = !hasSky;
  $('#meta').replaceChildren(...Object.entries(meta).flatMap(([k, v]) => {
    const dt = document.createElement('dt'), dd = document.createElement('dd');
    dt.textContent = k; dd.textContent = v; dd.dataset.key = k;
    return [dt, dd];
  }));
  const shift = rest ? 1 + z : 1;
  const x = Array.from(data.loglam, l => 10 ** l / shift);
  // In the rest frame the flux density is per rest-frame Angstrom: (1 + z) x f_lambda.
  const scale = v => Array.from(v, f => f * shift);
  const lines = $('#show-lines').checked ? LINES.map(([name, lambda, kind]) => ({ name, kind, at: rest ? lambda : lambda * (1 + z) })) : null;
  $('#line-list').replaceChildren(...(lines || []).map(l => {
    const li = document.createElement('li');
    li.textContent = `${l.name} ${l.at.toFixed(1)}`; li.dataset.at = l.at;
    return li;
  }));
  const flux = scale(smooth(data.flux, data.ivar, width)).map(v => (v === null ? null : v));
  const ivar = Array.from(data.ivar, v => v / (shift * shift));
  // A control change redraws the plot; the zoom stays unless the frame changed.
  const prev = state.spectrum && spec.drawn?.id === id && spec.drawn.rest === rest && spec.drawn.z === z
    ? { min: state.spectrum.scales.x.min, max: state.spectrum.scales.x.max } : null;
  spec.drawn = { id, rest, z };
  state.spectrum?.destroy();
  state.spectrum = spectrumPlot($('#spectrum-plot'), {
    x, flux, ivar, model: scale(data.model), sky: scale(data.sky), mask: Array.from(data.and_mask, (m, i) => (m & BAD_PIXEL_BITS) !== 0 || !(data.ivar[i] > 0)),
    lines, rest, showModel: hasModel && $('#show-model').checked, showSky: hasSky && $('#show-sky').checked,
  }, Math.max(500, $('main').clientWidth - 280));
  if (prev) state.spectrum.setScale('x', prev);
  status(`${id}: ${x.length} pixels, z = ${zCat}${meta.class ? ' ' + meta.class : ''}`);
}

function spectrumControlsToUrl() {
  const p = params();
  const set = (k, v, dflt) => (v === dflt ? p.delete(k) : p.set(k, v));
  set('z', $('#z').value.trim(), String(Number(spec.meta?.z ?? 0)));
  set('rest', $('#rest-frame').checked ? '1' : '0', '0');
  set('lines', $('#show-lines').checked ? '1' : '0', '1');
  set('sky', $('#show-sky').checked ? '1' : '0', '0');
  set('model', $('#show-model').checked ? '1' : '0', '1');
  set('smooth', String($('#smooth').value), '1');
  go(location.pathname + (p.toString() ? '?' + p : ''), true);
}

// ------------------------------------------------------------------ stack
function stackForm(p) {
  const f = $('#stack-form');
  for (const k of ['method', 'grid', 'normalize', 'mask_bits']) if (p.get(k)) f.elements[k].value = p.get(k);
  f.elements.rest_frame.checked = p.get('rest_frame') === '1';
  f.elements.ids.value = splitIds(p.get('ids') || '').join('\n');
}

const MAX_STACK = 5000;  // spectra a stack takes from a selection (the service's max_ids may be lower)

async function stackParams(p) {
  const sel = hasSelection(p) ? await runQuery(p, { fields: 'specobjid', limit: MAX_STACK }) : { rows: [], more: false };
  const ids = sel.rows.map(r => r.specobjid);
  if (!ids.length) throw new Error('the selection is empty: search first, or list IDs');
  stackParams.truncated = sel.more;
  const q = { id_list: idListText(ids), method: p.get('method') || 'weighted_mean' };
  for (const k of ['grid', 'normalize', 'mask_bits']) if (p.get(k)) q[k] = p.get(k);
  if (p.get('rest_frame') === '1') q.rest_frame = 'true';
  return withContext(q);
}

async function renderStack(p) {
  stackForm(p);
  if (!p.get('run')) { status(hasSelection(p) ? 'Choose the options and press Stack.' : 'Search first, or list IDs.'); return; }
  status('stacking...');
  const res = await post('stack', { ...(await stackParams(p)), format: 'csv' });
  const { meta, cols } = parseStackCsv(await res.text());
  $('#stack-info').textContent = `${res.headers.get('X-Spectra-Used')} of ${res.headers.get('X-Spectra-Requested')} spectra, ${meta.method || ''} ${meta.frame || ''}${stackParams.truncated ? ` (the first ${MAX_STACK} of the selection)` : ''}`;
  state.stack?.destroy();
  state.stack = spectrumPlot($('#stack-plot'), { x: cols.wavelength, flux: cols.flux, ivar: cols.ivar, rest: p.get('rest_frame') === '1', yLabel: 'stacked flux' },
    Math.max(500, $('main').clientWidth - 20));
  state.stackServed = cols;
  status(`stack of ${cols.wavelength.length} pixels`);
}

function stackUrlFromForm() {
  const f = $('#stack-form'), p = params();
  for (const k of ['method', 'grid', 'normalize', 'mask_bits']) f.elements[k].value.trim() ? p.set(k, f.elements[k].value.trim()) : p.delete(k);
  f.elements.rest_frame.checked ? p.set('rest_frame', '1') : p.delete('rest_frame');
  const ids = splitIds(f.elements.ids.value);
  if (ids.length) { SEARCH_KEYS.forEach(k => p.delete(k)); p.set('ids', ids.join(';')); }
  p.set('run', '1');
  return p;
}

// ------------------------------------------------------------------ shell
async function loadContexts(p) {
  const all = await (await get('contexts', { format: 'json' })).json();
  const sel = $('#context');
  // The service's default context: /contexts names it by its catalog, `<context>.specobj`.
  const dflt = await (await get('contexts', { context: 'default', format: 'json' })).json();
  const dfltName = String(dflt.catalog || '').replace(/\.specobj$/, '');
  api.context = p.get('context') || api.context || (dfltName in all ? dfltName : Object.keys(all)[0]) || '';
  sel.replaceChildren(...Object.entries(all).map(([name, c]) => new Option(`${name}${c.public ? '' : ' (token)'}`, name, false, name === api.context)));
}

async function render() {
  const p = params();
  if (p.get('context')) api.context = p.get('context');
  $('#context').value = api.context;
  const path = location.pathname.replace(/^(\/spec)?\/ui\/?/, '');
  const m = path.match(/^spectrum\/([^/]+)$/);
  $('#view-search').hidden = !!m || path === 'stack';
  $('#view-spectrum').hidden = !m;
  $('#view-stack').hidden = path !== 'stack';
  if (m) return renderSpectrum(decodeURIComponent(m[1]), p);
  if (path === 'stack') return renderStack(p);
  return renderSearch(p);
}

function wire() {
  document.addEventListener('click', e => {
    const a = e.target.closest('a[data-link]');
    if (!a || e.ctrlKey || e.metaKey || e.button) return;
    e.preventDefault();
    go(a.getAttribute('href'));
  });
  window.addEventListener('popstate', () => render().catch(e => status(e.message, true)));
  $('#token').value = api.token;
  $('#token').addEventListener('change', e => { api.token = e.target.value; sessionStorage.setItem('specmill-token', api.token); go(location.href, true); });
  $('#context').addEventListener('change', e => { api.context = e.target.value; const p = params(); p.set('context', api.context); go(location.pathname + '?' + p, true); });
  $('#search-form').addEventListener('submit', e => { e.preventDefault(); go(link('./', searchUrlFromForm())); });
  $('#id-file').addEventListener('change', async e => {
    const f = e.target.files[0];
    if (f) $('#search-form').elements.ids.value = await f.text();
  });
  $('#results thead').addEventListener('click', e => {
    const col = e.target.dataset.col;
    if (!col) return;
    const p = params();
    if (p.get('sort') === col && !p.get('desc')) p.set('desc', '1'); else p.delete('desc');
    p.set('sort', col); p.delete('offset');
    go('./?' + p);
  });
  const page = d => { const p = params(); p.set('offset', Math.max(0, Number(p.get('offset') || 0) + d * PAGE)); go('./?' + p); };
  $('#prev').addEventListener('click', () => page(-1));
  $('#next').addEventListener('click', () => page(1));
  for (const b of document.querySelectorAll('.tabs button'))
    b.addEventListener('click', () => { const p = params(); p.set('tab', b.dataset.tab); p.delete('render'); go('./?' + p, true); });
  $('#image-go').addEventListener('click', () => {
    const p = params(); p.set('sort', $('#image-sort').value); $('#image-desc').checked ? p.set('desc', '1') : p.delete('desc'); p.set('render', '1');
    go('./?' + p, true);
  });
  for (const id of ['#z', '#rest-frame', '#show-lines', '#show-sky', '#show-model', '#smooth'])
    $(id).addEventListener('change', spectrumControlsToUrl);
  $('#z-reset').addEventListener('click', () => { $('#z').value = String(Number(spec.meta?.z ?? 0)); spectrumControlsToUrl(); });
  for (const b of document.querySelectorAll('#view-spectrum .downloads button'))
    b.addEventListener('click', () => download('getSpec', withContext({ id_list: spec.id, format: b.dataset.fmt }),
      `${spec.id}.${{ numpy: 'npy', fits: 'fits', csv: 'csv' }[b.dataset.fmt]}`).catch(e => status(e.message, true)));
  $('#stack-form').addEventListener('submit', e => { e.preventDefault(); go('stack?' + stackUrlFromForm()); });
  for (const b of document.querySelectorAll('#stack-form .downloads button'))
    b.addEventListener('click', async () => {
      try { await download('stack', { ...(await stackParams(stackUrlFromForm())), format: b.dataset.fmt }, `stack.${b.dataset.fmt}`); } catch (e) { status(e.message, true); }
    });
}

wire();
loadContexts(params()).then(render).then(() => { document.body.dataset.ready = '1'; }).catch(e => status(e.message, true));
