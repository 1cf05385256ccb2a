// The dashboard's behaviour: a snapshot and live changes from GET /v1/events (server-sent
// events), rendered into the page at most once per animation frame. No framework, no build.
import { h, num, pct, ago, clock, NODE_STATES, WORKLOAD_STATE_GLYPH, rttText, sloText, reading, efficiencyText, EFFICIENCY_BASIS, HEALTH_GLYPH } from './format.js';
import { FleetMap } from './map.js';

const state = {
  nodes: new Map(),
  summary: null,
  workloads: new Map(),
  sort: { key: 'id', dir: 1 },
  filter: '',
  selectedNode: null,
  explainFor: null,
  openDetails: new Set(),
  map: null,
  workloadsApi: true,
  /** site id → district id, from the geography: for nodes that report no district of their own. */
  siteDistrict: new Map(),
};

const $ = (sel) => document.querySelector(sel);
/** As many as the server keeps and sends on connect (live-feed.ts RECENT_EVENTS). */
const MAX_EVENTS = 100;
/** Per-card readings are not in the live feed (a big fleet would flood it): open nodes are polled. */
const DETAIL_REFRESH_MS = 2000;

// ---- rendering ---------------------------------------------------------------------------

let pending = false;
function render() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    renderTotals();
    renderNodes();
    renderWorkloads();
    state.map?.render([...state.nodes.values()], [...state.workloads.values()]);
  });
}

function renderTotals() {
  const s = state.summary;
  if (!s) return;
  $('#t-nodes').textContent = `${s.nodes.online} / ${s.nodes.total}`;
  $('#t-nodes-note').textContent = `online · ${s.nodes.offline} offline · ${s.nodes.unknown} unknown`;
  $('#t-nominal').textContent = num(s.nominal.pflops, 3);
  $('#t-nominal-note').textContent = `${s.accelerators} accelerators · city target ${s.cityPlan.targetPflops} PFLOPS` +
    (s.nominal.unknownCount ? ` · ${s.nominal.unknownCount} without a catalogue figure` : '');
  $('#t-measured').textContent = num(s.measured.pflops, 3);
  $('#t-measured-note').textContent = s.nominal.pflops > 0 ? `${pct(s.measured.pflops / s.nominal.pflops)} of nominal` : '';
  const share = s.nominal.domesticShare;
  $('#t-domestic').textContent = pct(share);
  const verdict = $('#t-domestic-verdict');
  const ok = s.cityPlan.meetsDomesticShare;
  verdict.textContent = ok ? `✓ meets the ${pct(s.cityPlan.domesticShareTarget)} line` : `✗ below the ${pct(s.cityPlan.domesticShareTarget)} line`;
  verdict.className = `verdict ${ok ? 'ok' : 'bad'}`;
  $('#t-share-fill').style.width = `${Math.min(100, share * 100)}%`;
  $('#t-share-line').style.left = `${s.cityPlan.domesticShareTarget * 100}%`;
  $('#t-share').setAttribute('aria-valuenow', (share * 100).toFixed(1));
  const progress = s.cityPlan.targetPflops > 0 ? s.nominal.pflops / s.cityPlan.targetPflops : 0;
  $('#plan-p').textContent = num(s.nominal.pflops, 3);
  $('#plan-target').textContent = String(s.cityPlan.targetPflops);
  $('#plan-pct').textContent = pct(progress);
  $('#plan-fill').style.width = `${Math.min(100, progress * 100)}%`;
  $('#plan-meter').setAttribute('aria-valuenow', (progress * 100).toFixed(1));
  const max = Math.max(1, ...s.byVendor.map((v) => v.nominalTflops));
  $('#vendors').replaceChildren(...s.byVendor.map((v) => h('li', {},
    h('span', {}, `${v.vendor}${v.domestic ? ' (domestic)' : ''}`),
    h('span', { class: `bar${v.domestic ? ' domestic' : ''}`, style: `width:${(v.nominalTflops / max) * 100}%`, 'aria-hidden': 'true' }),
    h('span', { class: 'fig' }, `${v.count} × · ${num(v.nominalTflops, 0)} TF`))));
  fillVendorOptions(s.byVendor);
  const e = s.energy;
  $('#t-power').textContent = num(e.powerW / 1000, 2);
  $('#t-power-note').textContent = `${e.cardsReportingPower} of ${s.accelerators} cards report power`;
  $('#t-eff').textContent = num(e.efficiency.tflopsPerWatt, 3);
  $('#t-eff').dataset.basis = e.efficiency.basis;
  $('#t-eff-note').textContent = EFFICIENCY_BASIS[e.efficiency.basis] +
    (e.efficiency.unknownCards ? ` · ${e.efficiency.unknownCards} cards without a figure` : '');
}

function benchOf(n) {
  const measured = n.accelerators.filter((a) => a.measured);
  if (measured.length === 0) return null;
  return measured.reduce((a, b) => (b.measured.atMs > a.measured.atMs ? b : a)).measured;
}

/** The node's own district, else its site's in the city's geography, else — (never blank). */
function districtOf(n) {
  return n.location?.district || state.siteDistrict.get(n.site) || '—';
}

const SORTS = {
  id: (n) => n.id,
  status: (n) => n.status,
  district: (n) => `${districtOf(n)} ${n.site}`,
  accelerators: (n) => n.accelerators.length,
  nominal: (n) => n.nominalTflops,
  measured: (n) => n.measuredTflops ?? -1,
  bench: (n) => benchOf(n)?.atMs ?? 0,
};

function matches(n, q) {
  if (!q) return true;
  const hay = [n.id, n.site, n.status, districtOf(n), ...n.accelerators.map((a) => `${a.vendor} ${a.model}`)].join(' ').toLowerCase();
  return q.split(/\s+/).every((term) => hay.includes(term));
}

function renderNodes() {
  const key = SORTS[state.sort.key];
  const rows = [...state.nodes.values()]
    .filter((n) => matches(n, state.filter))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return (x < y ? -1 : x > y ? 1 : a.id.localeCompare(b.id)) * state.sort.dir;
    });
  $('#node-count').textContent = `${rows.length} of ${state.nodes.size} nodes`;
  $('#nodes tbody').replaceChildren(...rows.map(nodeRow));
}

function nodeRow(n) {
  const st = NODE_STATES[n.status] ?? NODE_STATES.unknown;
  const bench = benchOf(n);
  const models = [...new Set(n.accelerators.map((a) => a.model))].join(', ');
  const details = h('details', { open: state.openDetails.has(n.id) },
    h('summary', {}, n.accelerators.length ? `${n.accelerators.length} × ${models}` : 'none'),
    n.accelerators.length ? cardsView(n) : null);
  details.addEventListener('toggle', () => {
    // A re-render re-creates an open <details>, which fires toggle again: fetch only on a real open.
    if (details.open && !state.openDetails.has(n.id)) {
      state.openDetails.add(n.id);
      void refreshNode(n.id);
    } else if (!details.open) state.openDetails.delete(n.id);
  });
  return h('tr', { 'data-node': n.id, class: state.selectedNode === n.id ? 'selected' : undefined },
    h('th', { scope: 'row' }, n.id),
    h('td', { class: `state state-${n.status}`, 'data-status': n.status }, `${st.glyph} ${st.label}`),
    h('td', { class: 'district' }, `${districtOf(n)} / ${n.site}`),
    h('td', {}, details),
    h('td', { class: 'num' }, num(n.nominalTflops, 1)),
    h('td', { class: 'num' }, num(n.measuredTflops, 1)),
    h('td', {}, bench ? `${bench.backend}, ${ago(bench.atMs)}` : 'none yet'));
}

const CARD_COLUMNS = ['#', 'Model', 'Util', 'Memory used / total', 'Temp', 'Power / limit', 'Health', 'TFLOPS/W', 'FP16-eq TFLOPS nominal → measured'];

/** One row per card: its latest readings (— where its tool gives none) and its efficiency. */
function cardsView(n) {
  const t = n.telemetry;
  const e = n.efficiency;
  const foot = [
    t ? `readings ${ago(t.atMs)}` : 'no readings yet',
    n.acceleratorPowerW === null ? null : `${num(n.acceleratorPowerW, 0)} W in all`,
    e.tflopsPerWatt === null ? `node TFLOPS/W unknown (${EFFICIENCY_BASIS.unknown})` : `node ${num(e.tflopsPerWatt, 3)} TFLOPS/W, ${EFFICIENCY_BASIS[e.basis]}`,
  ].filter(Boolean).join(' · ');
  return h('div', { class: 'cardsview' },
    h('div', { class: 'cardgrid', role: 'table', 'aria-label': `Accelerators of ${n.id}` },
      h('div', { role: 'row', class: 'cg-head' }, CARD_COLUMNS.map((c) => h('span', { role: 'columnheader' }, c))),
      n.accelerators.map(cardRow)),
    h('p', { class: 'muted cg-foot' }, foot),
    (t?.acceleratorErrors ?? []).map((x) => h('p', { class: 'slo-bad cg-error' }, x)));
}

function cardRow(a) {
  const r = a.telemetry;
  const health = r?.health ?? a.health;
  const total = r?.memoryTotalMib ?? (a.memoryMib || null);
  const gib = (mib) => (mib === null || mib === undefined ? null : mib / 1024);
  const cell = (key, text, attrs = {}) => h('span', { role: 'cell', class: `c-${key}`, ...attrs }, text);
  const m = a.measured;
  return h('div', { role: 'row', 'data-card': a.index },
    cell('index', `#${a.index}`),
    cell('model', a.model, { title: `${a.vendor} ${a.model}${a.uuid ? ` · ${a.uuid}` : ''} · ${a.pciBusId}` }),
    cell('util', reading(r?.utilPct, 0, '%')),
    cell('mem', `${num(gib(r?.memoryUsedMib), 1)} / ${reading(gib(total), 1, 'GiB')}`),
    cell('temp', reading(r?.temperatureC, 0, '°C')),
    cell('power', `${reading(r?.powerW, 0, 'W')} / ${reading(r?.powerLimitW, 0, 'W')}`),
    cell('health', `${HEALTH_GLYPH[health] ?? ''} ${health}`, { 'data-health': health }),
    cell('eff', efficiencyText(a.efficiency), { 'data-basis': a.efficiency.basis, title: EFFICIENCY_BASIS[a.efficiency.basis] }),
    cell('fp16', `${num(a.nominal.tflops, 0)}${a.nominal.basis !== 'fp16' ? ` (${a.nominal.basis})` : ''} → ${m ? `${num(m.tflops, 0)} (${num(m.ratioToNominal * 100, 0)} %)` : 'not benchmarked'}`,
      m ? { title: `${m.backend}: p50 ${num(m.latencyP50Ms, 2)} ms, p99 ${num(m.latencyP99Ms, 2)} ms` } : {}));
}

async function refreshNode(id) {
  try {
    const r = await api(`/v1/nodes/${encodeURIComponent(id)}`);
    if (!r.ok) return;
    state.nodes.set(id, await r.json());
    render();
  } catch {
    // the next tick tries again
  }
}

function renderWorkloads() {
  const note = $('#workloads-note');
  const list = [...state.workloads.values()].sort((a, b) => b.createdAtMs - a.createdAtMs);
  note.textContent = !state.workloadsApi ? 'This orchestrator has no workloads API.' : list.length === 0 ? 'No workloads yet; submit one below.' : '';
  $('#workloads tbody').replaceChildren(...list.map((w) => {
    const violating = w.spec.latency && w.rttMs !== null && w.rttMs > w.spec.latency.maxRttMs;
    return h('tr', { 'data-workload': w.id, 'data-state': w.state },
      h('th', { scope: 'row' }, w.spec.name, h('div', { class: 'muted' }, w.id)),
      h('td', {}, w.spec.class),
      h('td', { class: `state wl-${w.state}` }, `${WORKLOAD_STATE_GLYPH[w.state] ?? ''} ${w.state}`),
      h('td', { class: 'wl-node' }, w.nodeId ?? (w.overflow?.city ? `in ${w.overflow.city}` : '—')),
      h('td', {}, sloText(w.spec)),
      h('td', { class: violating ? 'wl-rtt slo-bad' : 'wl-rtt' }, rttText(w.rttMs, w.rttMeasured), violating ? ' ✗ over SLO' : ''),
      h('td', {}, h('button', { type: 'button', 'aria-label': `Explain placement of ${w.spec.name}`, onclick: () => explain(w.id) }, 'Explain')));
  }));
}

// ---- explain -------------------------------------------------------------------------------

async function explain(id) {
  state.explainFor = id;
  const panel = $('#explain');
  const body = $('#explain-body');
  panel.hidden = false;
  const w = state.workloads.get(id);
  $('#explain-h').textContent = `Explain: ${w?.spec.name ?? id}`;
  body.replaceChildren(h('p', { class: 'muted' }, 'loading…'));
  try {
    const r = await api(`/v1/workloads/${encodeURIComponent(id)}/explain`);
    const data = await r.json();
    if (!r.ok) throw new Error(data.message ?? `HTTP ${r.status}`);
    body.replaceChildren(...explainView(data.explain ?? data), ...historyView(w));
  } catch (e) {
    body.replaceChildren(h('p', { class: 'slo-bad' }, `could not load the explanation: ${e.message}`));
  }
}

function explainView(x) {
  const out = [];
  if (Array.isArray(x.filters)) {
    out.push(h('h4', {}, 'Filters'), h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'filter'), h('th', { class: 'num' }, 'removed'), h('th', {}, 'why, e.g.'))),
      h('tbody', {}, x.filters.map((f) => h('tr', {}, h('td', {}, f.name), h('td', { class: 'num' }, f.removed), h('td', {}, (f.reasons ?? []).join('; ')))))));
  }
  if (Array.isArray(x.candidates)) {
    out.push(h('h4', {}, 'Top candidates'), h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ...['node', 'score', 'latency', 'packing', 'domestic', 'RTT'].map((c) => h('th', {}, c)))),
      h('tbody', {}, x.candidates.map((c) => h('tr', {},
        h('td', {}, c.nodeId), h('td', { class: 'num' }, num(c.total, 3)),
        h('td', { class: 'num' }, num(c.breakdown?.latency, 3)), h('td', { class: 'num' }, num(c.breakdown?.packing, 3)),
        h('td', { class: 'num' }, num(c.breakdown?.domestic, 3)), h('td', {}, rttText(c.rttMs, c.measured)))))));
  }
  const facts = [];
  if (x.blockedBy) facts.push(`blocked by: ${x.blockedBy}`);
  if (typeof x.notExamined === 'number') facts.push(`${x.fleet} nodes: ${x.scored} scored, ${x.notExamined} not examined (none of them could beat the best score); the rest removed by the filters above`);
  if (facts.length) out.push(h('p', {}, facts.join(' · ')));
  if (out.length === 0) out.push(h('pre', {}, JSON.stringify(x, null, 2)));
  return out;
}

function historyView(w) {
  if (!w?.history?.length) return [];
  return [h('h4', {}, 'History'), h('ol', {}, w.history.map((e) => h('li', {}, `${clock(e.atMs)} ${e.state}${e.reason ? ` — ${e.reason}` : ''}`)))];
}

// ---- recent events -------------------------------------------------------------------------

function logEvent(kind, text, atMs = Date.now()) {
  const list = $('#events');
  list.prepend(h('li', { class: `kind-${kind}` }, h('time', { datetime: new Date(atMs).toISOString() }, clock(atMs)), h('span', {}, kind), h('span', {}, text)));
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

function workloadEvent(before, w, atMs = Date.now()) {
  const reason = w.history?.at(-1)?.reason;
  const why = reason ? ` (${reason})` : '';
  if (before?.nodeId && w.nodeId && before.nodeId !== w.nodeId) {
    logEvent('replaced', `${w.spec.name} re-placed ${before.nodeId} → ${w.nodeId}${why}`, atMs);
  } else if (before?.state !== w.state) {
    // The lifecycle's own reason already names the node and RTT when it has one.
    const where = w.nodeId && !reason?.includes(w.nodeId) ? ` on ${w.nodeId}, ${rttText(w.rttMs, w.rttMeasured)}` : '';
    logEvent(w.state, `${w.spec.name} ${w.state}${where}${why}`, atMs);
  }
}

// ---- API access --------------------------------------------------------------------------
// With API tokens configured the orchestrator wants `Authorization: Bearer …` on every data
// route, the live feed included; EventSource cannot send headers, so the feed is read with fetch.

const TOKEN_KEY = 'banyan-token';

function authHeaders() {
  const t = sessionStorage.getItem(TOKEN_KEY);
  return t ? { authorization: `Bearer ${t}` } : {};
}

async function api(path, init = {}) {
  const r = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), ...authHeaders() } });
  if (r.status === 401 || r.status === 403) askForToken(r.status === 401 ? 'This orchestrator needs an API token.' : 'This token may not do that.');
  return r;
}

function askForToken(why) {
  const form = $('#token-form');
  form.hidden = false;
  $('#token-why').textContent = why;
}

// ---- live feed -----------------------------------------------------------------------------

/** Reads server-sent events from a fetch body; calls handlers[name](data) per event. */
async function readEvents(body, handlers) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length && handlers[name]) handlers[name](JSON.parse(data.join('\n')));
    }
  }
}

function connect() {
  const conn = $('#conn');
  const handlers = {};
  const on = (name, fn) => { handlers[name] = fn; };
  let delay = 500;
  const open = async () => {
    try {
      const r = await api('/v1/events', { headers: { accept: 'text/event-stream' } });
      if (!r.ok || !r.body) throw new Error(`HTTP ${r.status}`);
      conn.dataset.state = 'live';
      conn.textContent = 'live';
      delay = 500;
      await readEvents(r.body, handlers);
    } catch {
      // retried below
    }
    conn.dataset.state = 'lost';
    conn.textContent = 'reconnecting…';
    setTimeout(open, delay);
    delay = Math.min(delay * 2, 10_000);
  };
  on('snapshot', (s) => {
    state.nodes = new Map(s.nodes.map((n) => [n.id, n]));
    state.summary = s.summary;
    render();
  });
  on('node', (n) => { state.nodes.set(n.id, n); render(); });
  on('summary', (s) => { state.summary = s; render(); });
  const logStatus = (c) => {
    const kind = c.to === 'offline' ? 'lost' : c.to === 'online' ? 'online' : c.to;
    logEvent(kind, `${c.nodeId} ${c.from} → ${c.to} (${c.reason})`, c.atMs);
  };
  const logRejected = (r) => logEvent('rejected', `${r.reason}: ${r.detail}`, r.atMs);
  const logRefused = (r) => {
    const who = r.username ? `${r.username} (${r.clientId})` : r.clientId || 'a client';
    const more = r.suppressed ? ` (+${r.suppressed} more)` : '';
    logEvent('refused', `broker refused ${who}: ${r.reason}: ${r.detail}${more}`, r.atMs);
  };
  on('status', logStatus);
  on('rejected', logRejected);
  // What happened before this page opened (sent again on every reconnect): the log starts over.
  on('recent', (list) => {
    $('#events').replaceChildren();
    const seen = new Map();
    for (const { event, data } of list) {
      if (event === 'status') logStatus(data);
      else if (event === 'rejected') logRejected(data);
      else if (event === 'refused') logRefused(data);
      else if (event === 'workload') {
        workloadEvent(seen.get(data.id), data, data.history?.at(-1)?.atMs);
        seen.set(data.id, data);
      }
    }
  });
  on('refused', logRefused);
  on('workload', (w) => {
    workloadEvent(state.workloads.get(w.id), w);
    state.workloads.set(w.id, w);
    render();
    if (state.explainFor === w.id) void explain(w.id);
  });
  void open();
}

async function loadWorkloads() {
  try {
    const r = await api('/v1/workloads');
    if (r.status === 404) { state.workloadsApi = false; render(); return; }
    const body = await r.json();
    // Records that arrived live while this was in flight are newer than the list: keep them.
    for (const w of body.workloads ?? []) if (!state.workloads.has(w.id)) state.workloads.set(w.id, w);
    render();
  } catch (e) {
    $('#workloads-note').textContent = `could not load workloads: ${e.message}`;
  }
}

/** The city's half-year now (UTC+8, as the books count it), e.g. 2026H2. */
function currentHalf() {
  const local = new Date(Date.now() + 8 * 3_600_000);
  return `${local.getUTCFullYear()}H${local.getUTCMonth() < 6 ? 1 : 2}`;
}

/** Per-site eligibility for the supply subsidy, from the books (GET /v1/reports/supply). */
async function loadPlan() {
  const period = currentHalf();
  try {
    const r = await api(`/v1/reports/supply?period=${period}`);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const rep = await r.json();
    $('#plan-period').textContent = `${period}: capacity from ${rep.capacityFrom}; subsidy so far ${num(rep.totals.subsidyCny, 2)} CNY`;
    $('#sites tbody').replaceChildren(
      ...rep.sites.map((s) =>
        h('tr', { 'data-site': s.site, 'data-eligible': s.eligible ? 'yes' : 'no' },
          h('td', {}, s.site),
          h('td', { class: 'num' }, num(s.nominalPflops, 3)),
          h('td', { class: 'num' }, pct(s.domesticShare)),
          h('td', {}, s.eligible ? '✓ yes' : '✗ no'),
          h('td', { class: 'num' }, num(s.soldUsedCny, 2)),
          h('td', {}, s.misses.join('; ') || '—'))),
    );
  } catch (e) {
    $('#plan-period').textContent = `could not load the supply report: ${e.message}`;
  }
}

/** The federation panel: member cities and their sum on an upstream, the link upward on a city; hidden when neither. */
async function loadFederation() {
  const [members, summary, upstream] = await Promise.all(['/v1/federation/members', '/v1/federation/summary', '/v1/federation/upstream'].map((p) => fetch(p, { headers: authHeaders() }).then((r) => (r.ok ? r.json() : null), () => null)));
  const hasMembers = members && members.members.length > 0;
  $('#federation').hidden = !hasMembers && !upstream;
  if (hasMembers && summary) {
    $('#federation-sum').textContent = `${summary.members} member cities (${summary.fresh} fresh): ${num(summary.nominalPflops, 3)} P nominal, ${num(summary.measuredPflops, 3)} P measured FP16-eq, ${pct(summary.domesticShare)} domestic, ${summary.freeAccelerators} accelerators free`;
    $('#members tbody').replaceChildren(
      ...members.members.map((m) =>
        h('tr', { 'data-city': m.city, 'data-status': m.status },
          h('td', {}, m.city),
          h('td', {}, m.status),
          h('td', {}, m.lastSummaryAtMs ? ago(m.lastSummaryAtMs) : '—'),
          h('td', { class: 'num' }, m.latest ? String(m.latest.nodes.online) : '—'),
          h('td', { class: 'num' }, m.latest ? num(m.latest.nominal.pflops, 3) : '—'),
          h('td', { class: 'num' }, m.latest ? num(m.latest.measured.pflops, 3) : '—'),
          h('td', { class: 'num' }, m.latest ? pct(m.latest.nominal.domesticShare) : '—'),
          h('td', { class: 'num' }, m.latest ? String(m.latest.free.reduce((a, f) => a + f.freeAccelerators, 0)) : '—'))),
    );
  }
  $('#members').hidden = !hasMembers;
  $('#federation-upstream').textContent = upstream
    ? `Upstream ${upstream.url} as city ${upstream.city}: ${upstream.reachable ? 'reachable' : `unreachable (${upstream.lastError})`}; ${upstream.sent} summaries sent, ${upstream.backlog} waiting`
    : '';
}

async function loadMap() {
  const geo = await (await fetch('/v1/geography')).json();
  state.siteDistrict = new Map(geo.sites.map((s) => [s.id, s.district]));
  state.map = new FleetMap($('#map'), geo, selectNode);
  fillSiteOptions(geo);
  render();
}

function selectNode(id) {
  state.selectedNode = id;
  state.filter = '';
  $('#node-filter').value = '';
  render();
  requestAnimationFrame(() => document.querySelector(`#nodes tr[data-node="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'center' }));
}

// ---- controls ------------------------------------------------------------------------------

function fillVendorOptions(byVendor) {
  const select = document.querySelector('select[name=vendor]');
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of byVendor) if (!have.has(v.vendor)) select.append(h('option', { value: v.vendor }, `${v.vendor}${v.domestic ? ' (domestic)' : ''}`));
}

function fillSiteOptions(geo) {
  const select = document.querySelector('select[name=site]');
  for (const d of geo.districts) {
    const sites = geo.sites.filter((s) => s.district === d.id);
    select.append(h('optgroup', { label: d.name }, sites.map((s) => h('option', { value: s.id }, `${s.id} (${s.kind})`))));
  }
}

function specFromForm(form) {
  const f = new FormData(form);
  const str = (k) => String(f.get(k) ?? '').trim();
  const numOrNull = (k) => (str(k) === '' ? null : Number(str(k)));
  const needs = { accelerators: numOrNull('accelerators') ?? 0 };
  if (str('vendor')) needs.vendors = [str('vendor')];
  if (f.get('domesticOnly')) needs.domesticOnly = true;
  if (numOrNull('minTflops') !== null) needs.minFp16Tflops = numOrNull('minTflops');
  const spec = { name: str('name'), tenant: str('tenant'), class: str('class'), needs, run: { runner: 'simulated' } };
  const seconds = numOrNull('durationS');
  if (seconds !== null) spec.run.durationMs = Math.round(seconds * 1000);
  if (str('site')) {
    spec.latency = { to: { site: str('site') } };
    if (numOrNull('maxRttMs') !== null) spec.latency.maxRttMs = numOrNull('maxRttMs');
  }
  return spec;
}

async function submit(e) {
  e.preventDefault();
  const out = $('#submit-result');
  out.className = '';
  out.textContent = 'submitting…';
  try {
    const r = await api('/v1/workloads', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(specFromForm(e.target)) });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const details = (body.errors ?? []).map((x) => `${x.path}: ${x.message}`).join('; ');
      throw new Error([body.message ?? `HTTP ${r.status}`, details].filter(Boolean).join(' — '));
    }
    const w = body.workload ?? body;
    if (w.id) {
      if (!state.workloads.has(w.id)) { workloadEvent(undefined, w); state.workloads.set(w.id, w); }
      out.className = 'ok';
      out.textContent = `submitted ${w.spec?.name ?? ''} as ${w.id}: ${w.state}${w.nodeId ? ` on ${w.nodeId}` : ''}`;
      render();
    }
  } catch (err) {
    out.className = 'error';
    out.textContent = `not submitted: ${err.message}`;
  }
}

function wireControls() {
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('#token').value.trim());
    location.reload();
  });
  $('#node-filter').addEventListener('input', (e) => { state.filter = e.target.value.trim().toLowerCase(); render(); });
  for (const b of document.querySelectorAll('#nodes th button')) {
    b.addEventListener('click', () => {
      const key = b.dataset.sort;
      state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
      for (const th of document.querySelectorAll('#nodes th')) th.setAttribute('aria-sort', 'none');
      b.parentElement.setAttribute('aria-sort', state.sort.dir === 1 ? 'ascending' : 'descending');
      render();
    });
  }
  const large = $('#large-type');
  const setLarge = (on) => {
    document.body.classList.toggle('large', on);
    large.setAttribute('aria-pressed', String(on));
    localStorage.setItem('banyan.large', on ? '1' : '0');
  };
  large.addEventListener('click', () => setLarge(!document.body.classList.contains('large')));
  setLarge(localStorage.getItem('banyan.large') === '1' || new URLSearchParams(location.search).has('wall'));
  $('#submit').addEventListener('submit', submit);
}

wireControls();
connect();
setInterval(() => { for (const id of state.openDetails) void refreshNode(id); }, DETAIL_REFRESH_MS);
void loadMap();
void loadWorkloads();
void loadPlan();
setInterval(() => void loadPlan(), 30_000);
void loadFederation();
setInterval(() => void loadFederation(), 10_000);
