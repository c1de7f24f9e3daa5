// The page's only link to the service: the public REST routes, with the token header when one is
// set. SPECOBJIDs pass 2^53, so no ID ever goes through a JavaScript number: /query's JSON sends
// them as strings, and the .npy reader below turns 64-bit integers into BigInt, then strings.

export const api = {
  token: sessionStorage.getItem('specmill-token') || '',
  context: '',
};

function headers(extra = {}) {
  const h = { ...extra };
  if (api.token) h['X-DL-AuthToken'] = api.token;
  return h;
}

async function check(res) {
  if (res.ok) return res;
  let msg = `HTTP ${res.status}`;
  try { const j = JSON.parse(await res.text()); msg = `${j.error}: ${j.message}`; } catch (e) { /* not JSON */ }
  throw new Error(msg);
}

export async function get(path, params = {}) {
  const q = new URLSearchParams(params);
  return check(await fetch(`/${path}?${q}`, { headers: headers() }));
}

// Form-encoded POST, as the original client sends it.
export async function post(path, params = {}) {
  return check(await fetch(`/${path}`, {
    method: 'POST', headers: headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams(params),
  }));
}

export function withContext(params) {
  return api.context ? { ...params, context: api.context } : params;
}

// An ID list as the service's text form: one ID a line, each kept as the text it was typed.
export function idListText(ids) { return ids.join('\n'); }

// Reads a .npy reply (version 1-3, little-endian, 1-D, plain or structured) into named columns.
export function parseNpy(buf) {
  const bytes = new Uint8Array(buf);
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.slice(1, 6)) !== 'NUMPY') throw new Error('not a .npy reply');
  const dv = new DataView(buf);
  const major = bytes[6];
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.slice(hstart, hstart + hlen));
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  let fields = [];
  const descr = header.match(/'descr':\s*(\[.*\]|'[^']*')/)[1];
  if (descr.startsWith('[')) {
    for (const m of descr.matchAll(/\('(\w+)',\s*'([<>|=]?)([fiub])(\d+)'\)/g)) fields.push({ name: m[1], kind: m[3], size: +m[4] });
  } else {
    const m = descr.match(/'([<>|=]?)([fiub])(\d+)'/);
    fields = [{ name: 'value', kind: m[2], size: +m[3] }];
  }
  const stride = fields.reduce((a, f) => a + f.size, 0);
  const data = hstart + hlen;
  const out = { shape };
  let off = 0;
  for (const f of fields) {
    const col = f.size === 8 && f.kind !== 'f' ? new Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = data + i * stride + off;
      if (f.kind === 'f') col[i] = f.size === 4 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
      else if (f.size === 8) col[i] = (f.kind === 'u' ? dv.getBigUint64(p, true) : dv.getBigInt64(p, true)).toString();
      else if (f.size === 4) col[i] = f.kind === 'u' ? dv.getUint32(p, true) : dv.getInt32(p, true);
      else if (f.size === 2) col[i] = f.kind === 'u' ? dv.getUint16(p, true) : dv.getInt16(p, true);
      else col[i] = f.kind === 'i' ? dv.getInt8(p) : dv.getUint8(p);
    }
    out[f.name] = col;
    off += f.size;
  }
  return out;
}

// The /stack CSV: `# key: value` lines, a header, numbers.
export function parseStackCsv(text) {
  const meta = {}, cols = {};
  let names = null;
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (line.startsWith('#')) {
      const m = line.match(/^#\s*([^:]+):\s*(.*)$/);
      if (m) meta[m[1].trim()] = m[2];
    } else if (!names) {
      names = line.split(',');
      for (const n of names) cols[n] = [];
    } else {
      line.split(',').forEach((v, k) => cols[names[k]].push(Number(v)));
    }
  }
  return { meta, cols };
}

export async function download(path, params, filename) {
  const res = await post(path, params);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url; a.download = filename;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// An image route's PNG as an object URL (an <img src> could not send the token header).
export async function imageUrl(res) { return URL.createObjectURL(await res.blob()); }
