// The latency score's inverse bound, which lets the walker rule a node out on one comparison of its
// RTT: at any RTT up to rttAtBound(s) the bound reaches s, and past it (beyond float slack) it does not.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { latency } from '../../../orchestrator/placement/scores/latency.ts';
import { placementRequest } from '../../../orchestrator/placement/place.ts';
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
