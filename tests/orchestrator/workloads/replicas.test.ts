// Replicated workloads without MQTT: the spec's replicas/spread validation, spread by site kept
// through a node loss (only the lost replica moves), restore of replica records, and the health
// and bounds that GET /v1/resolve applies. The fleet path is tests/e2e/replicas-resolve.test.ts.
import { describe, expect, it } from 'vitest';
import { FleetView } from '../../../orchestrator/fleet/view.ts';
import { Ingest } from '../../../orchestrator/ingest.ts';
import { LatencyModel } from '../../../orchestrator/latency/model.ts';
import { Registry } from '../../../orchestrator/registry.ts';
import { boundedEstimate, parseNear, unhealthy } from '../../../orchestrator/resolve/nearest.ts';
import { WorkloadManager } from '../../../orchestrator/workloads/manager.ts';
import { restoreWorkloads, snapshotWorkloads } from '../../../orchestrator/workloads/persist.ts';
import { parseWorkloadSpec } from '../../../orchestrator/workloads/spec.ts';
import { accelerator, birth } from '../../helpers/envelopes.ts';

const base = { name: 'edge-ai', tenant: 't', class: 'batch', run: { runner: 'simulated' } };

describe('spec: replicas and spread', () => {
  it('defaults to one replica spread by node, and refuses out-of-range values with clear errors', () => {
    const one = parseWorkloadSpec(base);
    expect(one.ok && [one.spec.replicas, one.spec.spread]).toEqual([1, 'node']);
    const three = parseWorkloadSpec({ ...base, replicas: 3, spread: 'district' });
    expect(three.ok && [three.spec.replicas, three.spec.spread]).toEqual([3, 'district']);
    const bad = parseWorkloadSpec({ ...base, replicas: 65, spread: 'city' });
    expect(bad.ok).toBe(false);
    const errors = bad.ok ? [] : bad.errors;
    expect(errors.find((e) => e.path === '/replicas')!.message).toMatch(/64 \(instances to run, 1 to 64\)/);
    expect(errors.find((e) => e.path === '/spread')!.message).toMatch(/use one of district, site, node/);
    const zero = parseWorkloadSpec({ ...base, replicas: 0 });
    expect(!zero.ok && zero.errors[0]!.path).toBe('/replicas');
    const frac = parseWorkloadSpec({ ...base, replicas: 1.5 });
    expect(!frac.ok && frac.errors[0]!.path).toBe('/replicas');
  });
});

function setup() {
  const now = { t: 1_000_000 };
  const registry = new Registry({ clock: () => now.t });
  const latency = new LatencyModel();
  const ingest = new Ingest('banyan/v1', registry, undefined, {}, latency);
  const fleet = new FleetView();
  const manager = new WorkloadManager({ dispatcher: { command: async (_n, _a, c = 'c') => c }, fleet, latency, clock: () => now.t, ackTimeoutMs: 60_000 });
  const addNode = (id: string, site: string, district: string) => {
    const n = registry.touch(id, site, 's');
    registry.setBirth(n, birth({ location: { lat: 26, lon: 119.3, site, district, siteKind: 'factory' }, accelerators: [accelerator({ index: 0 })], telemetryIntervalMs: 1000 }));
    ingest.locate(n);
    fleet.update(n);
    manager.nodeChanged(n);
    return n;
  };
  return { now, registry, latency, fleet, manager, addNode };
}

describe('replica sets in the manager', () => {
  it('keeps replicas on distinct sites, re-places only the lost one, and says how many fit', () => {
    const { now, registry, fleet, manager, addNode } = setup();
    for (const [id, site] of [['a1', 's-a'], ['a2', 's-a'], ['b1', 's-b'], ['c1', 's-c']] as const) addNode(id, site, 'd');
    const r = manager.submit({ ...base, replicas: 3, spread: 'site', needs: { accelerators: 1 }, disconnect: { policy: 'replace', graceMs: 0 } });
    expect(r.ok).toBe(true);
    const set = r.ok ? r.replicas! : [];
    expect(set.map((w) => w.id)).toEqual([0, 1, 2].map((i) => `${set[0]!.replica!.set}-r${i}`));
    const sites = () => manager.replicas(set[0]!.replica!.set).map((w) => registry.get(w.nodeId!)?.site);
    expect(new Set(sites()).size).toBe(3);
    // The replica on s-b loses its node: only it moves, and no other site is free, so it waits.
    const onB = set.find((w) => w.nodeId === 'b1')!;
    const others = set.filter((w) => w !== onB).map((w) => [w.id, w.nodeId]);
    registry.setStatus(registry.get('b1')!, 'offline', 'will');
    fleet.update(registry.get('b1')!);
    manager.nodeChanged(registry.get('b1')!);
    now.t += 1;
    manager.tick();
    expect(onB.state, JSON.stringify(onB.history)).toBe('pending');
    expect(onB.history.at(-1)!.reason).toMatch(/replica \d of 3: 2 of 3 replicas placed; 1 node\(s\) that fit every other rule share a site with a placed replica \(e\.g\. a\d: site s-a already holds replica/);
    expect(set.filter((w) => w !== onB).map((w) => [w.id, w.nodeId])).toEqual(others);
    // A node on a new site appears: the waiting replica takes it.
    addNode('e1', 's-e', 'd');
    now.t += 1;
    manager.tick();
    expect(onB.nodeId).toBe('e1');
    expect(new Set(sites()).size).toBe(3);
  });

  it('restores replica records from a snapshot', () => {
    const { manager, addNode } = setup();
    addNode('a1', 's-a', 'd1');
    addNode('b1', 's-b', 'd2');
    const r = manager.submit({ ...base, replicas: 2, spread: 'district' });
    const { workloads, problems } = restoreWorkloads(JSON.parse(JSON.stringify(snapshotWorkloads(manager.list()))) as unknown[]);
    expect(problems).toEqual([]);
    expect(workloads.map((w) => w.replica)).toEqual(r.ok ? r.replicas!.map((w) => w.replica) : []);
  });
});

describe('resolve: health and bounds', () => {
  it('leaves out an instance whose measured RTT breaks its SLO, or whose node is silent past 1.25 intervals', () => {
    const { now, registry, latency, manager, addNode } = setup();
    addNode('a1', 's-a', 'd1');
    latency.setLocation('lm', { lat: 26, lon: 119.3 }, { place: true });
    const r = manager.submit({ ...base, name: 'ctl', class: 'industrial-control', latency: { to: { site: 's-a' }, maxRttMs: 10 } });
    const w = r.ok ? r.workload : undefined!;
    w.state = 'running';
    const deps = { node: (id: string) => registry.get(id), latency, nowMs: now.t };
    expect(unhealthy(w, deps)).toBeNull();
    expect(unhealthy(w, { ...deps, nowMs: now.t + 1251 })).toMatch(/silent for 1251 ms \(telemetry every 1000 ms\)/);
    const slow = { estimateTo: () => ({ rttMs: 12, measured: true, errorMs: 0 }) };
    expect(unhealthy(w, { ...deps, latency: slow })).toMatch(/over its SLO: measured 12.00 ms > 10 ms/);
    registry.setStatus(registry.get('a1')!, 'offline', 'will');
    expect(unhealthy(w, deps)).toMatch(/node a1 is offline \(will\)/);
  });

  it('clamps an estimate into what both ends measured to a shared landmark', () => {
    const fake = {
      estimateTo: () => ({ rttMs: 2.5, measured: false, errorMs: 2 }),
      anchorOf: () => ({ id: 'p', geoMs: 0.5, fits: 1, x: 0, y: 0, height: 0, error: 0, errorScale: 1 }),
      estimate: (a: string) => ({ rttMs: a === 'n' ? 6 : 0.5, measured: true, errorMs: 0 }),
    };
    // Vivaldi says 2 ms from n to the anchor; the landmark proves at least |6 − 0.5| = 5.5.
    const e = boundedEstimate('n', { lat: 26, lon: 119 }, { latency: fake, landmarks: ['L'] })!;
    expect(e.rttMs).toBeCloseTo(5.5 + 0.5);
    expect(e.measured).toBe(false);
    expect(e.errorMs).toBeCloseTo(1 + 0.5);
  });

  it('parses near as a known site or LAT,LON, and says what is wrong otherwise', () => {
    const m = new LatencyModel();
    m.setLocation('fz-gulou-dc-1', { lat: 26.088, lon: 119.31 }, { place: true });
    expect(parseNear('fz-gulou-dc-1', m)).toEqual({ ok: true, target: { site: 'fz-gulou-dc-1' } });
    expect(parseNear(' 26.08 , 119.3 ', m)).toEqual({ ok: true, target: { lat: 26.08, lon: 119.3 } });
    expect(parseNear('fz-gulou-dc-2', m)).toMatchObject({ ok: false, message: expect.stringMatching(/did you mean 'fz-gulou-dc-1'/) });
    expect(parseNear('26,190', m)).toMatchObject({ ok: false, message: expect.stringMatching(/longitude within ±180/) });
    expect(parseNear(undefined, m)).toMatchObject({ ok: false });
  });
});
