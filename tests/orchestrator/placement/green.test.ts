// The `green` score: batch work goes to the node that gives the most FP16-eq TFLOPS per watt when
// nodes are otherwise equal; latency classes never trade latency for it; weight 0 turns it off.
import { FleetView } from '../../../orchestrator/fleet/view.ts';
import { describe, expect, it } from 'vitest';
import { LatencyModel } from '../../../orchestrator/latency/model.ts';
import { PlacementIndex, place, placementRequest } from '../../../orchestrator/placement/place.ts';
import type { LatencyEstimator, PlacementNode } from '../../../orchestrator/placement/types.ts';
import { Registry } from '../../../orchestrator/registry.ts';
import { WorkloadManager } from '../../../orchestrator/workloads/manager.ts';
import { parseWorkloadSpec, type WorkloadSpec } from '../../../orchestrator/workloads/spec.ts';
import { accelerator, birth } from '../../helpers/envelopes.ts';

const NOW = 1_000_000;

/** Two cards, same everything; only the efficiency differs. The wasteful one has the lower id, so it wins every tie. */
function node(id: string, tflopsPerWatt: number | undefined): PlacementNode {
  return {
    id, site: 's', online: true, lastSeenMs: NOW, labels: {},
    accelerators: [0, 1].map((index) => ({ index, vendor: 'huawei', domestic: true, memoryMib: 65_536, nominalTflops: 280 })),
    ...(tflopsPerWatt !== undefined ? { tflopsPerWatt } : {}),
  };
}

function spec(input: Record<string, unknown>): WorkloadSpec {
  const r = parseWorkloadSpec({ name: 'w', tenant: 't', run: { runner: 'simulated' }, needs: { accelerators: 1 }, ...input });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}

/** Both nodes 1 ms from anywhere, measured: latency cannot tell them apart. */
const flat: LatencyEstimator = { estimateTo: () => ({ rttMs: 1, measured: true, errorMs: 0 }) };

const fleet = () => new PlacementIndex([node('a-wasteful', 0.5), node('b-efficient', 1.6)]);
const decide = (s: WorkloadSpec) => place(placementRequest(s), fleet(), flat, { nowMs: NOW });

describe('green score', () => {
  it('sends batch work to the more efficient of two otherwise equal nodes, and says so in explain', () => {
    const d = decide(spec({ class: 'batch' }));
    expect(d.nodeId).toBe('b-efficient');
    expect(d.explain.weights.green).toBe(0.5);
    expect(d.explain.candidates[0]!.breakdown.green).toBeCloseTo(1.6 / 2.6, 12);
    // The wasteful node's efficiency tier could not beat that: the walk never had to look at it.
    expect(d.explain.notExamined).toBe(1);
  });

  it('is off for the latency classes: a tie stays with the lower id', () => {
    for (const cls of ['industrial-control', 'grid-protection', 'trading', 'cloud-gaming']) {
      const d = decide(spec({ class: cls, latency: { to: { site: 'x' } } }));
      expect(d.nodeId, cls).toBe('a-wasteful');
      expect(d.explain.weights.green).toBe(0);
      expect(d.explain.candidates.every((c) => c.breakdown.green === 0)).toBe(true);
    }
  });

  it('is off at weight 0, and a higher weight outweighs packing', () => {
    expect(decide(spec({ class: 'batch', greenWeight: 0 })).nodeId).toBe('a-wasteful');
    // The wasteful node already runs one card: bin-packing prefers it (packing 1 vs 0.5).
    const index = fleet();
    index.allocate('a-wasteful', [1], { workload: 'x', priority: 100, preemptible: true });
    expect(place(placementRequest(spec({ class: 'batch' })), index, flat, { nowMs: NOW }).nodeId).toBe('a-wasteful');
    const strong = fleet();
    strong.allocate('a-wasteful', [1], { workload: 'x', priority: 100, preemptible: true });
    expect(place(placementRequest(spec({ class: 'batch', greenWeight: 10 })), strong, flat, { nowMs: NOW }).nodeId).toBe('b-efficient');
  });

  it('gives host-only work nothing (no accelerator, no energy to save) and nodes without a figure 0', () => {
    const d = decide(spec({ class: 'batch', needs: { accelerators: 0 } }));
    expect(d.explain.candidates.every((c) => c.breakdown.green === 0)).toBe(true);
    const unknown = place(placementRequest(spec({ class: 'batch' })), new PlacementIndex([node('a', undefined), node('b', 0.3)]), flat, { nowMs: NOW });
    expect(unknown.nodeId).toBe('b');
  });

  it('refuses greenWeight on a latency class, naming the field', () => {
    const r = parseWorkloadSpec({ name: 'w', tenant: 't', class: 'trading', run: { runner: 'simulated' }, latency: { to: { site: 'x' } }, greenWeight: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ path: '/greenWeight', message: expect.stringContaining('batch work only') });
  });

  it('reads the figure from what the registry keeps: nominal from the birth, then the measured bench', () => {
    const registry = new Registry({ clock: () => NOW });
    const fleetView = new FleetView();
    const manager = new WorkloadManager({ dispatcher: { command: async (_n, _a, c = 'c') => c }, latency: new LatencyModel(), fleet: fleetView, clock: () => NOW, ackTimeoutMs: 60_000 });
    const add = (id: string, nominalTflopsPerWatt: number) => {
      const n = registry.touch(id, 's', 's');
      registry.setBirth(n, birth({ accelerators: [0, 1].map((index) => accelerator({ index, nominalTflopsPerWatt })) }));
      fleetView.update(n);
      manager.nodeChanged(n);
      return n;
    };
    add('n1', 0.9);
    add('n2', 1.1);
    const submit = () => {
      const r = manager.submit({ name: 'b', tenant: 't', class: 'batch', run: { runner: 'simulated' }, needs: { accelerators: 2 } });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.workload;
    };
    const first = submit();
    expect(first.nodeId).toBe('n2');
    manager.stop(first.id);
    // n1 measures far better than its catalogue says: the measurement wins.
    const n1 = registry.get('n1')!;
    n1.bench = { atMs: NOW, results: [0, 1].map((i) => benchResult(`acc:${i}`, 300, 2.5)) };
    fleetView.update(n1);
    manager.nodeChanged(n1);
    expect(submit().nodeId).toBe('n1');
    manager.close();
  });
});

function benchResult(target: string, tflops: number, tflopsPerWatt: number) {
  return {
    target, backend: 'sim', fp16: { tflops, basis: 'fp16' as const, source: 'bench', kind: 'measured' as const, weak: false }, rawTflops: tflops,
    precision: 'fp16', latencyP50Ms: 1, latencyP99Ms: 2, ratioToNominal: 1, shape: '', versions: {}, atMs: NOW, durationMs: 1000,
    avgPowerW: tflops / tflopsPerWatt, tflopsPerWatt,
  };
}
