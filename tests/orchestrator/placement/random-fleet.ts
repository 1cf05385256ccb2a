// Random fleets for the placement property tests: nodes on a plane (coordinates in ms), a
// landmark, and a LatencyModel fitted from noisy samples, with some pairs measured directly; its
// error scale is taken every few new pairs, so walks meet scales above 1 and changes of scale.
import fc from 'fast-check';
import { LatencyModel } from '../../../orchestrator/latency/model.ts';
import type { PlacementNode } from '../../../orchestrator/placement/types.ts';
import { parseWorkloadSpec, type WorkloadSpec } from '../../../orchestrator/workloads/spec.ts';

export const NOW = 1_000_000;
const VENDORS = ['nvidia', 'huawei', 'cambricon', 'amd'] as const;

const accelArb = fc.record({
  vendor: fc.constantFrom(...VENDORS),
  memoryMib: fc.constantFrom(16_384, 32_768, 65_536),
  nominalTflops: fc.option(fc.constantFrom(50, 120, 300), { nil: undefined }),
  measuredTflops: fc.option(fc.constantFrom(40, 100, 250), { nil: undefined }),
  taken: fc.option(fc.record({ priority: fc.constantFrom(50, 100, 600), preemptible: fc.boolean() }), { nil: undefined }),
});

const nodeArb = fc.record({
  x: fc.double({ min: 0, max: 12, noNaN: true }),
  y: fc.double({ min: 0, max: 12, noNaN: true }),
  online: fc.integer({ min: 0, max: 5 }).map((k) => k > 0), // mostly online
  ageMs: fc.constantFrom(0, 0, 1_000, 1_000, 60_000),
  zone: fc.constantFrom('a', 'b'),
  // Now and then a box past 15 cards: its capacity has no packed key and is bounded node by node.
  accelerators: fc.oneof({ weight: 12, arbitrary: fc.array(accelArb, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(accelArb, { minLength: 16, maxLength: 17 }) }),
  probedLandmark: fc.boolean(),
  tflopsPerWatt: fc.option(fc.constantFrom(0.4, 0.8, 1.2, 2), { nil: undefined }),
});

export interface RandomFleet {
  nodes: PlacementNode[];
  model: LatencyModel;
}

export const fleetArb = fc.record({ nodes: fc.array(nodeArb, { minLength: 3, maxLength: 25 }), lx: fc.double({ min: 0, max: 12, noNaN: true }), ly: fc.double({ min: 0, max: 12, noNaN: true }), seed: fc.integer() }).map(({ nodes, lx, ly, seed }): RandomFleet => {
  const model = new LatencyModel({ calibration: { after: 8, every: 4 } });
  const pos = new Map<string, [number, number]>([['L', [lx, ly]]]);
  const out: PlacementNode[] = nodes.map((n, i) => {
    const id = `n${String(i).padStart(2, '0')}`;
    pos.set(id, [n.x, n.y]);
    return {
      id, site: `s${i % 3}`, online: n.online, lastSeenMs: NOW - n.ageMs, labels: { zone: n.zone },
      accelerators: n.accelerators.map((a, index) => ({
        index, vendor: a.vendor, domestic: a.vendor === 'huawei' || a.vendor === 'cambricon', memoryMib: a.memoryMib,
        ...(a.nominalTflops !== undefined ? { nominalTflops: a.nominalTflops } : {}),
        ...(a.measuredTflops !== undefined ? { measuredTflops: a.measuredTflops } : {}),
        ...(a.taken ? { allocatedTo: { workload: `w-${i}-${index}`, ...a.taken } } : {}),
      })),
      ...(n.tflopsPerWatt !== undefined ? { tflopsPerWatt: n.tflopsPerWatt } : {}),
    };
  });
  const ids = [...pos.keys()];
  const dist = (a: string, b: string) => {
    const [ax, ay] = pos.get(a)!;
    const [bx, by] = pos.get(b)!;
    return Math.hypot(ax - bx, ay - by) + 0.2;
  };
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let round = 0; round < 30; round++) {
    for (const a of ids) {
      const b = ids[Math.floor(rand() * ids.length)]!;
      if (a === b || a === 'L' || b === 'L') continue;
      model.observe(a, b, dist(a, b) * (0.95 + 0.1 * rand()));
    }
  }
  nodes.forEach((n, i) => {
    if (n.probedLandmark) model.observe(out[i]!.id, 'L', dist(out[i]!.id, 'L'));
  });
  // Anchor the landmark's coordinate with a few probes from nodes that did not "measure" it.
  if (!model.has('L')) model.observe(out[0]!.id, 'L', dist(out[0]!.id, 'L'));
  return { nodes: out, model };
});

export const specArb = fc
  .record({
    cls: fc.constantFrom('industrial-control', 'grid-protection', 'cloud-gaming', 'batch' as const),
    accelerators: fc.integer({ min: 0, max: 3 }),
    vendors: fc.option(fc.subarray([...VENDORS], { minLength: 1 }), { nil: undefined }),
    domesticOnly: fc.boolean(),
    minFp16Tflops: fc.constantFrom(0, 45, 110),
    basis: fc.constantFrom('nominal', 'measured' as const),
    memory: fc.constantFrom(0, 20_000, 40_000),
    zone: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
    maxRttMs: fc.constantFrom(2, 5, 10, 20),
    strategy: fc.constantFrom('binpack', 'spread' as const),
    greenWeight: fc.option(fc.constantFrom(0, 0.5, 3), { nil: undefined }),
  })
  .map((r): WorkloadSpec => {
    const vendors = r.domesticOnly ? r.vendors?.filter((v) => v === 'huawei' || v === 'cambricon') : r.vendors;
    const parsed = parseWorkloadSpec({
      name: 'w-test', tenant: 't', class: r.cls, strategy: r.strategy,
      ...(r.cls === 'batch' && r.greenWeight !== undefined ? { greenWeight: r.greenWeight } : {}),
      run: { runner: 'simulated', durationMs: 1000 },
      needs: {
        accelerators: r.accelerators, domesticOnly: r.domesticOnly, minFp16Tflops: r.minFp16Tflops, basis: r.basis,
        memoryMibPerAccelerator: r.memory, ...(vendors && vendors.length > 0 ? { vendors } : {}),
        ...(r.zone ? { labels: { zone: r.zone } } : {}),
      },
      ...(r.cls === 'batch' ? {} : { latency: { to: { landmark: 'L' }, maxRttMs: r.maxRttMs } }),
    });
    if (!parsed.ok) throw new Error(`test spec invalid: ${JSON.stringify(parsed.errors)}`);
    return parsed.spec;
  });
