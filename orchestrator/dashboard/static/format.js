// Small DOM and number helpers for the dashboard. Text always goes in through textContent, so
// nothing a node reports (ids, labels, error messages) is ever parsed as HTML.

/** Creates an element: h('td', { class: 'num', 'aria-label': 'x' }, 'text', childNode). */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  return h('svg:' + tag, attrs, ...children);
}

export function num(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(share) {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)} %` : '—';
}

export function ago(ms, now = Date.now()) {
  if (!ms) return '—';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function clock(ms) {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** Node states: colour plus a shape and a word, so the state never depends on colour alone. */
export const NODE_STATES = {
  online: { color: '#1a7f37', glyph: '●', label: 'online' },
  offline: { color: '#cf222e', glyph: '■', label: 'offline' },
  unknown: { color: '#6e7781', glyph: '◆', label: 'unknown' },
};

export const WORKLOAD_STATE_GLYPH = {
  pending: '◌', placed: '◐', running: '●', completed: '✓', failed: '✗', stopped: '■', evicted: '⇥', overflowed: '⇗',
};

export function rttText(rttMs, measured) {
  if (rttMs === null || rttMs === undefined) return '—';
  return measured ? `${num(rttMs, 2)} ms measured` : `~${num(rttMs, 2)} ms estimated`;
}

export function sloText(spec) {
  const l = spec && spec.latency;
  if (!l) return 'no latency SLO';
  const to = l.to.site ?? l.to.landmark ?? `${l.to.lat},${l.to.lon}`;
  return `≤ ${l.maxRttMs} ms to ${to}`;
}

/** A reading with its unit, or '—' when the card's tool does not give it (null, never 0). */
export function reading(v, digits, unit) {
  return v === null || v === undefined ? '—' : `${num(v, digits)} ${unit}`;
}

/** What a TFLOPS/W figure rests on, in words. */
export const EFFICIENCY_BASIS = {
  measured: 'measured: benchmark over the power it drew',
  nominal: 'nominal: catalogue over TDP',
  mixed: 'measured where benchmarked, else nominal',
  unknown: 'no TDP or benchmark power known',
};

/** "0.612 measured" / "0.700 nominal" / "— unknown". */
export function efficiencyText(e) {
  return `${e.tflopsPerWatt === null ? '—' : num(e.tflopsPerWatt, 3)} ${e.basis}`;
}

export const HEALTH_GLYPH = { ok: '●', warning: '▲', error: '✗', unknown: '◆' };
