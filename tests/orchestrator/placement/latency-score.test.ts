// The latency score's inverse bound, which lets the walker rule a node out on one comparison of its
// RTT: at any RTT up to rttAtBound(s) the bound reaches s, and past it (beyond float slack) it does not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { latency } from '../../../orchestrator/placement/scores/latency.ts';
import { PlacementIndex, place, placementRequest } from '../../../orchestrator/placement/place.ts';
import type { LatencyEstimator, PlacementNode } from '../../../orchestrator/placement/types.ts';
import type { BoundQuery, PlacementContext } from '../../../orchestrator/placement/plugin.ts';
import { parseWorkloadSpec } from '../../../orchestrator/workloads/spec.ts';

const fleet = { maxAccelerators: 8, maxTflopsPerWatt: 1 };

function ctxFor(maxRttMs: number): PlacementContext {
  const r = parseWorkloadSpec({ name: 'w', tenant: 't', class: 'cloud-gaming', run: { runner: 'simulated' }, latency: { to: { site: 's' }, maxRttMs } });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { req: placementRequest(r.spec), nowMs: 0, freshMs: 30_000, preempt: false };
}

describe('latency score', () => {
  it('says at which RTT its bound reaches a score', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 50, noNaN: true }), fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.double({ min: 0, max: 60, noNaN: true }), (maxRttMs, score, rttMs) => {
        const ctx = ctxFor(maxRttMs);
        const q: BoundQuery = { rttMs, free: -1, tflopsPerWatt: Number.NaN, node: null, cap: null };
        const cut = latency.rttAtBound!(score, ctx);
        const reaches = latency.bound(q, ctx, fleet) >= score;
        if (rttMs <= cut - 1e-9 * (1 + Math.abs(cut))) expect(reaches).toBe(true);
        if (rttMs > cut + 1e-9 * (1 + Math.abs(cut))) expect(reaches).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the walk\'s RTT cut-offs', () => {
  afterEach(() => vi.restoreAllMocks());

  it('rule out a node whose free cards cannot reach the best on one comparison, without a bound of its own', () => {
    // The nearest node, at 0.1 ms, has 2 of its 8 domestic cards free; 400 behind it at 0.2–0.6 ms
    // have 4 of 8 free, none domestic. Their lists' bound (4 free could be a whole empty box, and
    // domestic) beats the best, so they are walked; their summaries bound packing and domestic so
    // low that the score a cut-off asks of the latency bound is past 1: a cut-off of -Infinity,
    // which must rule them out (with a slack added it was NaN, which ruled out nothing and sent
    // each to a latency bound of its own).
    const card = (index: number, taken: boolean, vendor: string) => ({ index, vendor, domestic: vendor === 'huawei', memoryMib: 65_536, nominalTflops: 300, ...(taken ? { allocatedTo: { workload: `w${index}`, priority: 900, preemptible: false } } : {}) });
    const node = (id: string, taken: number, vendor: string): PlacementNode => ({ id, site: 's', online: true, lastSeenMs: 0, labels: {}, accelerators: Array.from({ length: 8 }, (_, i) => card(i, i < taken, vendor)) });
    const rtt = new Map<string, number>([['near', 0.1]]);
    const nodes = [node('near', 6, 'huawei')];
    for (let i = 0; i < 400; i++) {
      nodes.push(node(`other-${i}`, 4, 'nvidia'));
      rtt.set(`other-${i}`, 0.2 + (i % 5) * 0.1);
    }
    const model: LatencyEstimator = { estimateTo: (id) => ({ rttMs: rtt.get(id)!, measured: true, errorMs: 0 }) };
    const bound = vi.spyOn(latency, 'bound');
    const d = place(placementRequest(specFor(20)), new PlacementIndex(nodes), model, { nowMs: 0 });
    expect(d.nodeId).toBe('near');
    expect(d.explain.notExamined).toBe(400);
    // A bound per list remains, none per node.
    expect(bound.mock.calls.length).toBeLessThan(20);
  });
});

function specFor(maxRttMs: number) {
  const r = parseWorkloadSpec({ name: 'w', tenant: 't', class: 'cloud-gaming', run: { runner: 'simulated' }, needs: { accelerators: 1 }, latency: { to: { site: 's' }, maxRttMs } });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.spec;
}
