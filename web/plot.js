// Line plots on uPlot (fast for 4,000-pixel spectra and long stacks): flux with its 1-sigma band,
// masked pixels shaded, optional model and sky, spectral lines drawn at (1 + z) x rest.

// Vacuum rest wavelengths (Angstrom), as SDSS spectra are in vacuum.
export const LINES = [
  ['Lyα', 1215.67, 'em'], ['C IV', 1549.06, 'em'], ['C III]', 1908.73, 'em'], ['Mg II', 2798.75, 'em'],
  ['[O II]', 3728.48, 'em'], ['Ca K', 3934.78, 'abs'], ['Ca H', 3969.59, 'abs'], ['Hδ', 4102.89, 'em'],
  ['G band', 4305.61, 'abs'], ['Hγ', 4341.68, 'em'], ['Hβ', 4862.68, 'em'], ['[O III]', 4960.30, 'em'],
  ['[O III]', 5008.24, 'em'], ['Mg b', 5176.70, 'abs'], ['Na D', 5895.60, 'abs'], ['[N II]', 6549.86, 'em'],
  ['Hα', 6564.61, 'em'], ['[N II]', 6585.27, 'em'], ['[S II]', 6718.29, 'em'], ['[S II]', 6732.67, 'em'],
];

// A boxcar over good pixels (ivar > 0); width 1 returns the flux unchanged.
export function smooth(flux, ivar, width) {
  if (width <= 1) return Array.from(flux);
  const h = Math.floor(width / 2), out = new Array(flux.length);
  for (let i = 0; i < flux.length; i++) {
    let s = 0, n = 0;
    for (let k = Math.max(0, i - h); k <= Math.min(flux.length - 1, i + h); k++)
      if (ivar[k] > 0) { s += flux[k]; n++; }
    out[i] = n ? s / n : null;
  }
  return out;
}

function sigmaBand(flux, ivar, sign) {
  return Array.from(flux, (f, i) => (ivar[i] > 0 ? f + sign / Math.sqrt(ivar[i]) : null));
}

// Runs of masked pixels as [first, last] index pairs.
function maskedRuns(mask) {
  const runs = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    let j = i;
    while (j + 1 < mask.length && mask[j + 1]) j++;
    runs.push([i, j]);
    i = j;
  }
  return runs;
}

// Mouse wheel zooms around the cursor; shift + wheel pans.
function wheelZoom(u) {
  u.over.addEventListener('wheel', e => {
    e.preventDefault();
    const { min, max } = u.scales.x, span = max - min;
    if (e.shiftKey) {
      const d = Math.sign(e.deltaY || e.deltaX) * span * 0.1;
      u.setScale('x', { min: min + d, max: max + d });
      return;
    }
    const at = u.posToVal(e.offsetX, 'x'), f = e.deltaY < 0 ? 0.8 : 1.25;
    u.setScale('x', { min: at - (at - min) * f, max: at + (max - at) * f });
  }, { passive: false });
}

// state: {x, flux, ivar, model, sky, mask, lines: [{name, at}] | null, showModel, showSky}
export function spectrumPlot(el, state, width = 900) {
  const series = [{ label: 'Å' },
    { label: 'flux', stroke: '#1f4e9c', width: 1 },
    { label: '-1σ', stroke: 'rgba(31,78,156,0.15)', width: 0.5 },
    { label: '+1σ', stroke: 'rgba(31,78,156,0.15)', width: 0.5 },
    { label: 'model', stroke: '#d2452b', width: 1, show: !!state.showModel },
    { label: 'sky', stroke: '#6a9a3a', width: 1, show: !!state.showSky }];
  const data = [state.x, state.flux, sigmaBand(state.flux, state.ivar, -1), sigmaBand(state.flux, state.ivar, 1)];
  if (state.model) data.push(state.model, state.sky);  // a stack has neither
  series.length = data.length;
  const runs = state.mask ? maskedRuns(state.mask) : [];
  const opts = {
    width, height: 420, series, bands: [{ series: [3, 2], fill: 'rgba(31,78,156,0.18)' }],
    scales: { x: { time: false } }, axes: [{ label: state.rest ? 'rest-frame wavelength (Å)' : 'wavelength (Å)' }, { label: state.yLabel || 'flux (1e-17 erg/s/cm²/Å)' }],
    cursor: { drag: { x: true, y: false } },
    hooks: {
      drawClear: [u => {
        const c = u.ctx; c.save(); c.fillStyle = 'rgba(120,120,120,0.22)';
        for (const [a, b] of runs) {
          const x0 = u.valToPos(state.x[a], 'x', true), x1 = u.valToPos(state.x[b], 'x', true);
          c.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
        }
        c.restore();
      }],
      draw: [u => {
        if (!state.lines) return;
        const c = u.ctx; c.save(); c.font = `${11 * devicePixelRatio}px sans-serif`;
        for (const l of state.lines) {
          if (l.at < u.scales.x.min || l.at > u.scales.x.max) continue;
          const px = u.valToPos(l.at, 'x', true);
          c.strokeStyle = c.fillStyle = l.kind === 'abs' ? '#8a5a00' : '#9b1c8c';
          c.setLineDash([4, 3]); c.beginPath(); c.moveTo(px, u.bbox.top); c.lineTo(px, u.bbox.top + u.bbox.height); c.stroke();
          c.fillText(l.name, px + 2, u.bbox.top + 12 * devicePixelRatio);
        }
        c.restore();
      }],
    },
  };
  el.replaceChildren();
  const u = new uPlot(opts, data, el);
  wheelZoom(u);
  return u;
}
