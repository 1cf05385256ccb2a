// GET /metrics against a real orchestrator and a 4-node simulated fleet: the text parses, and the
// values agree with the fleet (nodes by state, accelerators by vendor, FP16 totals, ingest counts).
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { metricsOf, metricsPlugin } from '../../orchestrator/metrics.ts';
import { nodeView } from '../../orchestrator/views.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import { VENDORS, type VendorId } from '../../protocol/vendors.ts';
import type { WorkloadRecord } from '../../orchestrator/dashboard/workload-record.ts';
import { waitFor } from '../helpers/wait.ts';
import { startHarness, type Harness } from './dashboard/harness.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, enough of it to read our own exposition. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('GET /metrics', () => {
  let h: Harness;
  const scrape = async () => {
    const r = await fetch(`${h.orch.httpUrl}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    return parseExposition(await r.text());
  };

  beforeAll(async () => {
    h = await startHarness([metricsPlugin]);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('counts nodes by state and accelerators by vendor, as the fleet has them', async () => {
    const { samples, types } = await scrape();
    expect(types.get('banyan_nodes')).toBe('gauge');
    expect(value(samples, 'banyan_nodes', { state: 'online' })).toBe(4);
    expect(value(samples, 'banyan_nodes', { state: 'offline' })).toBe(0);
    const want = new Map<string, number>();
    for (const s of h.fleet.specs) want.set(s.pack.vendor, (want.get(s.pack.vendor) ?? 0) + s.pack.count);
    for (const [vendor, count] of want) {
      const domestic = String(VENDORS[vendor as VendorId].domestic);
      expect(value(samples, 'banyan_accelerators', { vendor, domestic })).toBe(count);
    }
    expect(samples.filter((s) => s.name === 'banyan_accelerators')).toHaveLength(want.size);
  });

  it('reports nominal and measured FP16-eq TFLOPS split by domestic, matching the registry', async () => {
    const nodes = [...h.orch.registry.all()].map(nodeView);
    const sum = (pick: (a: (typeof nodes)[number]['accelerators'][number]) => number | undefined, domestic: boolean) =>
      nodes.flatMap((n) => n.accelerators).filter((a) => a.domestic === domestic).reduce((s, a) => s + (pick(a) ?? 0), 0);
    const { samples } = await scrape();
    for (const domestic of [true, false]) {
      const nominal = value(samples, 'banyan_fp16_tflops', { kind: 'nominal', domestic: String(domestic) });
      expect(nominal).toBeCloseTo(sum((a) => a.nominal.tflops, domestic), 3);
      expect(value(samples, 'banyan_fp16_tflops', { kind: 'measured', domestic: String(domestic) })).toBeCloseTo(sum((a) => a.measured?.tflops, domestic), 3);
    }
    // Ascend 910B (280) x 8 per huawei node: the domestic nominal figure is not trivially zero.
    expect(value(samples, 'banyan_fp16_tflops', { kind: 'nominal', domestic: 'true' })).toBeGreaterThan(0);
  });

  it('mirrors ingest: messages received, accepted, and rejected by reason', async () => {
    const rogueId = 'rogue-metrics';
    const rogue = await mqtt.connectAsync(h.orch.mqttUrl, { clientId: rogueId });
    await rogue.publishAsync(nodeTopic(h.orch.topicRoot, 'fz-gulou-dc-1', rogueId, 'state'), Buffer.from([0xff, 0x00, 0x13]), { qos: 1 });
    await rogue.endAsync();
    await waitFor('a rejected message', () => h.orch.ingest.rejected.size > 0);
    const { samples, types } = await scrape();
    expect(types.get('banyan_messages_rejected_total')).toBe('counter');
    for (const [reason, n] of h.orch.ingest.rejected) expect(value(samples, 'banyan_messages_rejected_total', { reason })).toBe(n);
    const received = value(samples, 'banyan_messages_received_total')!;
    expect(received).toBeGreaterThan(4);
    expect(received).toBeLessThanOrEqual(h.orch.ingest.received.total);
    expect(value(samples, 'banyan_messages_accepted_total')).toBeLessThan(received);
  });

  it('follows a node going offline', async () => {
    h.fleet.get(h.fleet.specs[0]!.id)!.sever();
    await waitFor('node offline', () => h.orch.registry.get(h.fleet.specs[0]!.id)?.status === 'offline');
    const { samples } = await scrape();
    expect(value(samples, 'banyan_nodes', { state: 'online' })).toBe(3);
    expect(value(samples, 'banyan_nodes', { state: 'offline' })).toBe(1);
  });

  it('records placement decisions in a histogram of seconds', async () => {
    const m = metricsOf(h.orch)!;
    m.recordPlacement(0.0004, 'placed');
    m.recordPlacement(0.002, 'placed');
    m.recordPlacement(0.03, 'unschedulable');
    const { samples, types } = await scrape();
    expect(types.get('banyan_placement_decision_seconds')).toBe('histogram');
    expect(value(samples, 'banyan_placement_decision_seconds_count')).toBe(3);
    expect(value(samples, 'banyan_placement_decision_seconds_bucket', { le: '0.0005' })).toBe(1);
    expect(value(samples, 'banyan_placement_decision_seconds_bucket', { le: '0.0025' })).toBe(2);
    expect(value(samples, 'banyan_placement_decision_seconds_sum')).toBeCloseTo(0.0324, 6);
    expect(value(samples, 'banyan_placements_total', { outcome: 'placed' })).toBe(2);
    expect(value(samples, 'banyan_placements_total', { outcome: 'unschedulable' })).toBe(1);
  });

  it("counts workloads by state and SLO violations from the orchestrator's workload events", async () => {
    const node = h.fleet.specs[1]!.id;
    const spec = {
      name: 'press-ctl', tenant: 't', class: 'industrial-control', priority: 800, preemptible: false,
      disconnect: { policy: 'keep', graceMs: 1000 }, strategy: 'spread', run: { runner: 'simulated' },
      needs: { accelerators: 1, vendors: [], domesticOnly: false, minFp16Tflops: 0, basis: 'nominal', memoryMibPerAccelerator: 0, labels: {} },
      latency: { to: { site: 'fz-mawei-plant-3' }, maxRttMs: 10 },
    } as WorkloadRecord['spec'];
    const record = (over: Partial<WorkloadRecord>): WorkloadRecord => ({
      id: 'w-metrics', spec, state: 'running', nodeId: node, acceleratorIndexes: [0], rttMs: 3, rttMeasured: true, history: [], createdAtMs: 1, ...over,
    });
    const events = h.orch.events as unknown as EventEmitter;
    events.emit('workload', record({ state: 'placed' }));
    events.emit('workload', record({ rttMs: 4 }));
    events.emit('workload', record({ rttMs: 14 }));
    events.emit('workload', record({ rttMs: 15 }));
    events.emit('workload', { id: 'not-a-record' });
    const { samples } = await scrape();
    // One crossing of the SLO line is one violation, however long it lasts.
    expect(value(samples, 'banyan_slo_violations_total', { class: 'industrial-control' })).toBe(1);
    expect(value(samples, 'banyan_workloads', { state: 'running' })).toBe(1);
    expect(value(samples, 'banyan_workloads', { state: 'placed' })).toBe(0);
    expect(value(samples, 'banyan_workloads_violating_slo')).toBe(1);
    expect(value(samples, 'banyan_workload_transitions_total', { state: 'running' })).toBe(1);
  });

  it('uses its own registry: two orchestrators in one process do not share series', async () => {
    const other = await startHarness([metricsPlugin], 1);
    try {
      const r = parseExposition(await (await fetch(`${other.orch.httpUrl}/metrics`)).text());
      expect(value(r.samples, 'banyan_nodes', { state: 'online' })).toBe(1);
      expect(value(r.samples, 'banyan_placements_total', { outcome: 'placed' })).toBeUndefined();
    } finally {
      await other.stop();
    }
  });
});
