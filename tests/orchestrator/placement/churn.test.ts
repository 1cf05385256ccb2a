// The indexed search keeps its capacity summaries, free buckets and cached RTT orders in step with
// allocations, releases and model updates: after any sequence of them it decides exactly as a scan
// over a fresh copy of the fleet does.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlacementIndex, place } from '../../../orchestrator/placement/pipeline.ts';
import { buildOrder, patchOrder } from '../../../orchestrator/placement/indexed.ts';
import type { LatencyEstimator } from '../../../orchestrator/placement/types.ts';
import { NOW, fleetArb, specArb } from './random-fleet.ts';

const stepArb = fc.record({ spec: specArb, release: fc.nat(), observe: fc.option(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0.1, max: 15, noNaN: true })), { nil: undefined }) });

describe('indexed placement under churn', () => {
  it('matches a scan of a fresh copy after allocations, releases, preemptions and new RTT samples', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(stepArb, { minLength: 1, maxLength: 12 }), ({ nodes, model }, steps) => {
        const index = new PlacementIndex(nodes);
        const scanOnly: LatencyEstimator = { estimateTo: (id, t) => model.estimateTo(id, t) };
        const live: { workload: string; node: string }[] = [];
        steps.forEach(({ spec, release, observe }, k) => {
          const fresh = new PlacementIndex(index.all().map((n) => structuredClone(n)));
          const expected = place(spec, fresh, scanOnly, { nowMs: NOW });
          const d = place(spec, index, model, { nowMs: NOW });
          expect(d.nodeId).toBe(expected.nodeId);
          expect(d.acceleratorIndexes).toEqual(expected.acceleratorIndexes);
          expect(d.evict).toEqual(expected.evict);
          expect(d.explain.candidates[0]?.total).toBe(expected.explain.candidates[0]?.total);
          if (d.nodeId !== null) {
            for (const v of d.evict) index.release(v, d.nodeId);
            const workload = `${spec.name}-${k}`;
            index.allocate(d.nodeId, d.acceleratorIndexes, { workload, priority: spec.priority, preemptible: spec.preemptible });
            live.push({ workload, node: d.nodeId });
          }
          if (live.length > 0 && release % 2 === 0) {
            const [gone] = live.splice(release % live.length, 1);
            index.release(gone!.workload, release % 4 === 0 ? gone!.node : undefined);
          }
          if (observe) {
            const ids = index.all().map((n) => n.id);
            // A full window, so the pair's median and both coordinates really move.
            for (let r = 0; r < 8; r++) model.observe(ids[observe[0] % ids.length]!, ids[observe[1] % ids.length]!, observe[2]);
          }
        });
      }),
      { numRuns: 80 },
    );
  });

  it('patches a target order after new samples to what a rebuild gives', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0.1, max: 15, noNaN: true })), { minLength: 1, maxLength: 3 }), ({ nodes, model }, samples) => {
        const index = new PlacementIndex(nodes);
        const target = { landmark: 'L' };
        const before = buildOrder(index, model, target, model.version);
        const ids = nodes.map((n) => n.id);
        for (const [a, b, rtt] of samples) for (let r = 0; r < 8; r++) model.observe(ids[a % ids.length]!, ids[b % ids.length]!, rtt);
        const changed = model.changedSince(target, before.version);
        if (changed === null) return;
        const patched = patchOrder(index, model, target, model.version, before, changed);
        if (patched === null) return;
        const rebuilt = buildOrder(index, model, target, model.version);
        const effBySlot = (o: typeof rebuilt) => new Map(Array.from(o.slots, (slot, i) => [slot, o.effMs[i]!]));
        expect(effBySlot(patched)).toEqual(effBySlot(rebuilt));
        expect([...patched.unreachable].sort()).toEqual([...rebuilt.unreachable].sort());
        for (let i = 1; i < patched.effMs.length; i++) expect(patched.effMs[i]!).toBeGreaterThanOrEqual(patched.effMs[i - 1]!);
      }),
      { numRuns: 100 },
    );
  });
});
