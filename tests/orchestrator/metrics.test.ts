// GET /metrics against a real orchestrator and a 4-node simulated fleet: the text parses, and the
// values agree with the fleet (nodes by state, accelerators by vendor, FP16 totals, ingest counts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { metricsOf, metricsPlugin } from '../../orchestrator/metrics.ts';
import { nodeView } from '../../orchestrator/views.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import { VENDORS, type VendorId } from '../../protocol/vendors.ts';
import { waitFor } from '../helpers/wait.ts';
import { parseExposition, value } from '../helpers/exposition.ts';
import { demoSpec, startHarness, type Harness } from './dashboard/harness.ts';

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
    const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-3;
    // Benchmarks land while the test runs: compare a scrape with the registry as it was then.
    const samples = await waitFor('a scrape that agrees with the registry', async () => {
      const { samples } = await scrape();
      const accs = [...h.orch.registry.all()].flatMap((n) => nodeView(n).accelerators);
      const ok = [true, false].every((domestic) => {
        const mine = accs.filter((a) => a.domestic === domestic);
        const labels = { domestic: String(domestic) };
        return (
          close(value(samples, 'banyan_fp16_tflops', { kind: 'nominal', ...labels }), mine.reduce((s, a) => s + (a.nominal.tflops ?? 0), 0)) &&
          close(value(samples, 'banyan_fp16_tflops', { kind: 'measured', ...labels }), mine.reduce((s, a) => s + (a.measured?.tflops ?? 0), 0))
        );
      });
      return ok && samples;
    });
    // 910B nodes carry 8 x 280 TFLOPS nominal: the domestic figure is not trivially zero.
    expect(value(samples, 'banyan_fp16_tflops', { kind: 'nominal', domestic: 'true' })).toBeGreaterThanOrEqual(2240);
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

  it("exposes every simulated card's readings with vendor and model labels, and the fleet's power", async () => {
    await waitFor('telemetry from every node', () => [...h.orch.registry.all()].every((n) => n.telemetry !== null));
    const { samples, helps } = await scrape();
    for (const spec of h.fleet.specs) {
      const power = samples.filter((s) => s.name === 'banyan_accelerator_power_watts' && s.labels.node === spec.id);
      expect(power.map((s) => s.labels.gpu).sort()).toEqual(Array.from({ length: spec.pack.count }, (_, i) => String(i)).sort());
      for (const s of power) {
        expect(s.labels).toMatchObject({ site: spec.site.id, vendor: spec.pack.vendor, domestic: String(VENDORS[spec.pack.vendor as VendorId].domestic) });
        expect(s.labels.model).toBeTruthy();
        expect(s.value).toBeGreaterThan(0);
      }
      expect(samples.filter((s) => s.name === 'banyan_accelerator_utilization_percent' && s.labels.node === spec.id)).toHaveLength(spec.pack.count);
    }
    const fleetPower = value(samples, 'banyan_fleet_accelerator_power_watts')!;
    expect(fleetPower).toBeGreaterThan(0);
    // A fleet-only scrape (a big fleet's fast job): the same families less the per-card ones.
    const r = await fetch(`${h.orch.httpUrl}/metrics?cards=false`);
    expect(r.status).toBe(200);
    const lean = parseExposition(await r.text());
    expect(lean.samples.filter((s) => s.name.startsWith('banyan_accelerator_'))).toEqual([]);
    expect(value(lean.samples, 'banyan_nodes', { state: 'online' })).toBe(4);
    expect(value(lean.samples, 'banyan_fleet_accelerator_power_watts')).toBeGreaterThan(0);
    // No help text sends a user to a file they do not have.
    for (const [name, help] of helps) expect(help, name).not.toMatch(/\.md\b/);
  });

  it('follows a node going offline, and drops its per-card series', async () => {
    const victim = h.fleet.specs[0]!;
    h.fleet.get(victim.id)!.sever();
    await waitFor('node offline', () => h.orch.registry.get(victim.id)?.status === 'offline');
    const { samples } = await scrape();
    expect(value(samples, 'banyan_nodes', { state: 'online' })).toBe(3);
    expect(value(samples, 'banyan_nodes', { state: 'offline' })).toBe(1);
    expect(samples.filter((s) => s.name.startsWith('banyan_accelerator_') && s.labels.node === victim.id)).toEqual([]);
    expect(samples.filter((s) => s.name === 'banyan_accelerator_info' && s.labels.node === h.fleet.specs[1]!.id)).toHaveLength(h.fleet.specs[1]!.pack.count);
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
    expect(value(samples, 'banyan_placement_decision_decisions_total')).toBeUndefined();
    expect(value(samples, 'banyan_placement_decisions_total', { outcome: 'placed' })).toBe(2);
    expect(value(samples, 'banyan_placement_decisions_total', { outcome: 'unschedulable' })).toBe(1);
  });

  it('counts workloads by state and their transitions, from the workload manager', async () => {
    const target = h.fleet.specs[1]!;
    const r = await fetch(`${h.orch.httpUrl}/v1/workloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(demoSpec('metrics-ctl', target.site.id)),
    });
    expect(r.status).toBe(201);
    const { id } = (await r.json()) as { id: string };
    await waitFor('workload placed', () => {
      const x = h.orch.workloads.get(id);
      return x && (x.state === 'placed' || x.state === 'running') && x;
    });
    const { samples } = await scrape();
    // The agent's ack may turn it from placed to running while the scrape renders: either counts.
    expect(value(samples, 'banyan_workloads', { state: 'placed' })! + value(samples, 'banyan_workloads', { state: 'running' })!).toBe(1);
    expect(value(samples, 'banyan_workloads', { state: 'pending' })).toBe(0);
    expect(value(samples, 'banyan_workload_transitions_total', { state: 'placed' })).toBe(1);
    expect(value(samples, 'banyan_workloads_breaking_slo')).toBe(0);
  });

  it('counts an SLO breach once per crossing, by class', async () => {
    const w = h.orch.workloads.list().find((x) => x.state === 'placed' || x.state === 'running')!;
    const emit = (sloBreachSinceMs: number | null) => h.orch.events.emit('workload', { ...w, sloBreachSinceMs });
    emit(Date.now());
    emit(Date.now());
    emit(null);
    emit(Date.now());
    const { samples } = await scrape();
    expect(value(samples, 'banyan_slo_violations_total', { class: 'industrial-control' })).toBe(2);
  });

  it('uses its own registry: two orchestrators in one process do not share series', async () => {
    const other = await startHarness([metricsPlugin], 1);
    try {
      const r = parseExposition(await (await fetch(`${other.orch.httpUrl}/metrics`)).text());
      expect(value(r.samples, 'banyan_nodes', { state: 'online' })).toBe(1);
      expect(value(r.samples, 'banyan_placement_decisions_total', { outcome: 'placed' })).toBeUndefined();
    } finally {
      await other.stop();
    }
  });

  // Last: it fills the model with points of its own.
  it("exposes the latency model's error scale, 1 until pairs it had not seen say otherwise", async () => {
    expect(value((await scrape()).samples, 'banyan_latency_error_scale')).toBe(1);
    // Points 1 ms apart on a line, settled pair by pair; then new pairs far above what the fit says.
    const line = (i: number) => `metrics-line-${i}`;
    for (let r = 0; r < 20; r++) for (let i = 0; i < 40; i++) h.orch.latency.observe(line(i), line(i + 1), 1);
    for (let d = 2; d < 10; d++) for (let i = 0; i + d <= 40; i++) h.orch.latency.observe(line(i), line(i + d), 5 * d);
    expect(h.orch.latency.errorScale).toBeGreaterThan(1);
    expect(value((await scrape()).samples, 'banyan_latency_error_scale')).toBe(h.orch.latency.errorScale);
  });
});
