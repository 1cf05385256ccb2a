// GET /v1/events (server-sent events), GET /v1/geography and the dashboard's assets, against a
// real orchestrator and a 4-node simulated fleet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { dashboardPlugin } from '../../../orchestrator/dashboard/plugin.ts';
import { RECENT_EVENTS } from '../../../orchestrator/dashboard/live-feed.ts';
import { waitFor } from '../../helpers/wait.ts';
import { DISTRICTS, SITES } from '../../../orchestrator/geo/city.ts';
import { nodeTopic } from '../../../protocol/topics.ts';
import { authPlugin, issueApiToken, parseTokenLines } from '../../../orchestrator/api/auth.ts';
import { Orchestrator } from '../../../orchestrator/orchestrator.ts';
import { quietLog } from '../../helpers/quiet-log.ts';
import { demoSpec, startHarness, type Harness } from './harness.ts';

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads an event stream; next(name) resolves with the next event of that name (bounded wait). */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const ctrl = new AbortController();
  const res = await fetch(url, { signal: ctrl.signal, headers });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const queue: SseEvent[] = [];
  let buffer = '';
  // A read that lost the race against the poll tick is kept, or its chunk would be dropped.
  let pending: Promise<ReadableStreamReadResult<string>> | null = null;
  async function next(name: string, match: (d: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = queue.findIndex((e) => e.event === name && match(e.data));
      if (i >= 0) return queue.splice(i, 1)[0]!.data;
      if (Date.now() > deadline) throw new Error(`no "${name}" event within ${timeoutMs} ms; got ${queue.map((e) => e.event).join(', ')}`);
      pending ??= reader.read();
      const tick = new Promise<null>((r) => setTimeout(() => r(null), 500));
      const got = await Promise.race([pending, tick]);
      if (got === null) continue;
      pending = null;
      if (got.done) throw new Error('stream ended');
      buffer += got.value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event && data) queue.push({ event, data: JSON.parse(data) });
      }
    }
  }
  return { res, next, close: () => ctrl.abort() };
}

describe('dashboard live feed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([dashboardPlugin]);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('starts with a snapshot of the fleet, then streams a node going offline', async () => {
    const s = await openStream(`${h.orch.httpUrl}/v1/events`);
    try {
      expect(s.res.headers.get('content-type')).toContain('text/event-stream');
      const snap = await s.next('snapshot');
      expect(snap.nodes.map((n: { id: string }) => n.id).sort()).toEqual(h.fleet.specs.map((x) => x.id).sort());
      expect(snap.summary.nodes.online).toBe(4);
      const victim = h.fleet.specs[0]!.id;
      h.fleet.get(victim)!.sever();
      const change = await s.next('status', (d) => d.nodeId === victim);
      expect(change).toMatchObject({ from: 'online', to: 'offline', reason: 'will' });
      const node = await s.next('node', (d) => d.id === victim && d.status === 'offline');
      expect(node.accelerators.length).toBe(h.fleet.specs[0]!.pack.count);
      const summary = await s.next('summary', (d) => d.nodes.offline === 1);
      expect(summary.nodes.online).toBe(3);
    } finally {
      s.close();
    }
  });

  it("re-sends the summary as the fleet's power changes, with telemetry alone", async () => {
    const s = await openStream(`${h.orch.httpUrl}/v1/events`);
    try {
      const snap = await s.next('snapshot');
      const before = snap.summary.energy.powerW;
      // Simulated cards' power wanders with every reading; nothing else need change.
      const summary = await s.next('summary', (d) => d.energy.powerW !== before, 12_000);
      expect(summary.energy.cardsReportingPower).toBeGreaterThan(0);
      expect(summary.energy.powerW).toBeGreaterThan(0);
    } finally {
      s.close();
    }
  });

  it('streams rejected messages and workload changes', async () => {
    const s = await openStream(`${h.orch.httpUrl}/v1/events`);
    try {
      await s.next('snapshot');
      const rogue = await mqtt.connectAsync(h.orch.mqttUrl, { clientId: 'rogue-feed' });
      await rogue.publishAsync(nodeTopic(h.orch.topicRoot, 'fz-gulou-dc-1', 'rogue-feed', 'state'), Buffer.from([0xff, 0x01]), { qos: 1 });
      await rogue.endAsync();
      const rejected = await s.next('rejected');
      expect(rejected.topic).toContain('rogue-feed');
      expect(h.orch.ingest.rejected.get(rejected.reason)).toBeGreaterThan(0);

      const r = await fetch(`${h.orch.httpUrl}/v1/workloads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(demoSpec('feed-test', h.fleet.specs[1]!.site.id)),
      });
      expect(r.status).toBe(201);
      const created = (await r.json()) as { id: string };
      const placed = await s.next('workload', (w) => w.id === created.id && w.state === 'placed');
      // The same shape as the API's, never the manager's internals.
      expect(Object.keys(placed).sort()).toEqual(Object.keys(await (await fetch(`${h.orch.httpUrl}/v1/workloads/${created.id}`)).json()).sort());
      expect(placed.nodeId).toBe(h.orch.workloads.get(created.id)!.nodeId);
      expect(placed).not.toHaveProperty('input');
    } finally {
      s.close();
    }
  });

  it('sends the last events after the snapshot, so a page opened late has a log (bounded, oldest first)', async () => {
    // With no page open: the fleet came online, a rogue message was refused, a workload placed.
    const rogue1 = await mqtt.connectAsync(h.orch.mqttUrl, { clientId: 'rogue-early' });
    await rogue1.publishAsync(nodeTopic(h.orch.topicRoot, 'fz-gulou-dc-1', 'rogue-early', 'state'), Buffer.from([0xff, 0x01]), { qos: 1 });
    await rogue1.endAsync();
    const r = await fetch(`${h.orch.httpUrl}/v1/workloads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(demoSpec('before-page', h.fleet.specs[2]!.site.id)) });
    expect(r.status).toBe(201);
    await waitFor('rejected and placed', () => h.orch.ingest.rejected.size > 0 && h.orch.workloads.list().some((w) => w.spec.name === 'before-page' && w.nodeId));
    const s = await openStream(`${h.orch.httpUrl}/v1/events`);
    try {
      await s.next('snapshot');
      const recent = (await s.next('recent')) as { event: string; data: { atMs?: number; nodeId?: string; state?: string } }[];
      expect(recent.length).toBeGreaterThan(0);
      expect(recent.length).toBeLessThanOrEqual(RECENT_EVENTS);
      const online = recent.filter((e) => e.event === 'status' && (e.data as { to?: string }).to === 'online').map((e) => e.data.nodeId);
      expect(new Set(online)).toEqual(new Set(h.fleet.specs.map((x) => x.id)));
      expect(recent.some((e) => e.event === 'workload' && e.data.state === 'placed')).toBe(true);
      expect(recent.some((e) => e.event === 'rejected')).toBe(true);
      const times = recent.filter((e) => e.event === 'status').map((e) => e.data.atMs!);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(recent.every((e) => ['status', 'rejected', 'refused', 'workload'].includes(e.event))).toBe(true);
    } finally {
      s.close();
    }
    // Bounded: a flood of rejected messages leaves exactly the last RECENT_EVENTS.
    // (The orchestrator's own 'rejected' events, as the ingest emits them: a broker flood is not the point.)
    for (let i = 0; i < RECENT_EVENTS + 20; i++) h.orch.events.emit('rejected', 'undecodable', 'flood', `flood/rogue-${i}/state`);
    const again = await openStream(`${h.orch.httpUrl}/v1/events`);
    try {
      await again.next('snapshot');
      const recent = (await again.next('recent')) as { event: string; data: { topic?: string } }[];
      expect(recent.length).toBe(RECENT_EVENTS);
      expect(recent.at(-1)!.data.topic).toContain(`rogue-${RECENT_EVENTS + 19}`);
    } finally {
      again.close();
    }
  });

  it('serves the geography the map is drawn from, without copying the numbers', async () => {
    const geo = (await (await fetch(`${h.orch.httpUrl}/v1/geography`)).json()) as { districts: { id: string; lat: number }[]; sites: { id: string }[] };
    expect(geo.districts.map((d) => [d.id, d.lat])).toEqual(DISTRICTS.map((d) => [d.id, d.lat]));
    expect(geo.sites.map((s) => s.id)).toEqual(SITES.map((s) => s.id));
  });

  it('serves the page and its assets, and only those', async () => {
    const page = await fetch(`${h.orch.httpUrl}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    for (const m of html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)) {
      const r = await fetch(`${h.orch.httpUrl}${m[1]}`);
      expect(r.status, m[1]).toBe(200);
    }
    for (const file of ['map.js', 'format.js']) expect((await fetch(`${h.orch.httpUrl}/assets/${file}`)).status).toBe(200);
    expect((await fetch(`${h.orch.httpUrl}/assets/..%2Fplugin.ts`)).status).toBe(404);
    expect((await fetch(`${h.orch.httpUrl}/assets/index.html`)).status).toBe(404);
  });

  it('lets the orchestrator stop while a dashboard is still connected', async () => {
    const own = await startHarness([dashboardPlugin], 1);
    const s = await openStream(`${own.orch.httpUrl}/v1/events`);
    await s.next('snapshot');
    await own.stop();
    await expect(s.next('never')).rejects.toThrow(/ended|terminated|abort/i);
  });

  it('with API tokens: the page and geography are public, the live feed needs a viewer token', async () => {
    const viewer = issueApiToken('dash-viewer', 'viewer');
    const tokens = parseTokenLines(viewer.line, 'test');
    const o = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, plugins: [(app) => authPlugin(app, { tokens }), dashboardPlugin] });
    try {
      expect((await fetch(`${o.httpUrl}/`)).status).toBe(200);
      expect((await fetch(`${o.httpUrl}/assets/dashboard.js`)).status).toBe(200);
      expect((await fetch(`${o.httpUrl}/v1/geography`)).status).toBe(200);
      expect((await fetch(`${o.httpUrl}/v1/events`)).status).toBe(401);
      const s = await openStream(`${o.httpUrl}/v1/events`, { authorization: `Bearer ${viewer.token}` });
      expect((await s.next('snapshot')).nodes).toEqual([]);
      s.close();
    } finally {
      await o.stop();
    }
  });
});
