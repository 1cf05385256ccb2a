// The walker's sources keep its capacity summaries, free buckets and cached RTT buckets in step with
// allocations, releases and model updates (including samples that move the target's landmark, so
// the buckets run on drifted bounds): after any sequence of them it decides exactly as a scan over
// a fresh copy of the fleet does.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlacementIndex, place, placementRequest } from '../../../orchestrator/placement/place.ts';
import { RttBuckets } from '../../../orchestrator/placement/rtt-buckets.ts';
import { FREE_CLASSES, freeClassOf } from '../../../orchestrator/placement/free-classes.ts';
import { effectiveRtt } from '../../../orchestrator/placement/filters/latency-slo.ts';
import { NOW, fleetArb, specArb } from './random-fleet.ts';
import { scan } from './scan.ts';

/** Last-bit differences between two float paths to the same estimate. */
const ROUNDING_MS = 1e-9;

const stepArb = fc.record({ spec: specArb, release: fc.nat(), observe: fc.option(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0.1, max: 15, noNaN: true })), { nil: undefined }) });

describe('placement walker under churn', () => {
  it('matches a scan of a fresh copy after allocations, releases, preemptions and new RTT samples', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(stepArb, { minLength: 1, maxLength: 12 }), ({ nodes, model }, steps) => {
        const index = new PlacementIndex(nodes);
        const live: { workload: string; node: string }[] = [];
        steps.forEach(({ spec, release, observe }, k) => {
          const fresh = new PlacementIndex(index.all().map((n) => structuredClone(n)));
          const req = placementRequest(spec);
          const expected = scan(req, fresh, model, { nowMs: NOW });
          const d = place(req, index, model, { nowMs: NOW });
          expect(d.nodeId).toBe(expected.nodeId);
          expect(d.acceleratorIndexes).toEqual(expected.acceleratorIndexes);
          expect(d.evict).toEqual(expected.evict);
          expect(d.explain.candidates[0]?.total).toBe(expected.explain.candidates[0]?.total);
          const x = d.explain;
          expect(x.filters.reduce((n, f) => n + f.removed, 0) + x.scored + x.notExamined).toBe(index.size);
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
            const b = ids[observe[1] % ids.length]!;
            if (observe[0] % 3 === 0) {
              // A sample with the landmark (the target's anchor) at one end, close to what the
              // model expects, so the anchor moves a little and the buckets run on drifted bounds.
              const expected = model.estimate(b, 'L')?.rttMs ?? observe[2];
              model.observe('L', b, expected * (0.99 + observe[2] / 750));
            } else for (let r = 0; r < 8; r++) model.observe(ids[observe[0] % ids.length]!, b, observe[2]);
          }
        });
      }),
      { numRuns: 80 },
    );
  });

  it('keeps every node in the RTT buckets at a lower bound on its current estimate, exact unless drifted, in the list of its free count', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0.1, max: 15, noNaN: true })), { minLength: 1, maxLength: 6 }), ({ nodes, model }, samples) => {
        const index = new PlacementIndex(nodes);
        const target = { landmark: 'L' };
        const buckets = RttBuckets.build(index, model, target, model.version);
        // Stored on the index, which moves its nodes between free-count lists as cards are taken.
        index.storeOrder('t', buckets);
        const ids = nodes.map((n) => n.id);
        let anchorMoved = false;
        for (const [a, b, rtt] of samples) {
          const taker = index.get(ids[(a + b) % ids.length]!)!;
          const card = taker.accelerators.find((x) => !x.allocatedTo);
          if (card && a % 3 !== 0) index.allocate(taker.id, [card.index], { workload: `t-${a}-${b}`, priority: 100, preemptible: a % 2 === 0 });
          else if (taker.accelerators[0]?.allocatedTo) index.release(taker.accelerators[0].allocatedTo.workload, taker.id);
          const from = a % 4 === 0 ? 'L' : ids[a % ids.length]!;
          anchorMoved ||= from === 'L';
          for (let r = 0; r < 8; r++) model.observe(from, ids[b % ids.length]!, rtt);
          // Refreshed after every sample, as placements between samples would.
          if (!buckets.refresh(index, model, model.version)) return;
        }
        let filed = 0;
        for (let b = 0; b < buckets.bucketCount; b++) for (let c = 0; c < FREE_CLASSES; c++) {
          const bucket = buckets.list(b, c);
          // The walk reads the figures beside the slots when no epoch drifted: they must be the same.
          expect(buckets.figuresOf(b, c)).toHaveLength(bucket.length);
          bucket.forEach((slot, i) => {
            if (buckets.exact) expect(buckets.figuresOf(b, c)[i]).toBe(buckets.lowerBound(slot));
            // Each node in the list of its free count.
            expect(freeClassOf(index.freeAt(slot))).toBe(c);
          });
          for (const slot of bucket) {
            filed++;
            expect(buckets.bucketFloor(b)).toBeLessThanOrEqual(buckets.lowerBound(slot));
            const eff = effectiveRtt(model.estimateTo(index.nodeAt(slot).id, target)!);
            // A figure taken through estimatorTo and one retaken through estimateTo may differ in
            // the last bit (seen: 2e-15 ms); a picosecond of tolerance is no placement decision.
            expect(buckets.lowerBound(slot)).toBeLessThanOrEqual(eff + ROUNDING_MS);
            if (!anchorMoved) expect(Math.abs(buckets.lowerBound(slot) - eff)).toBeLessThanOrEqual(ROUNDING_MS);
          }
        }
        expect(filed).toBe(buckets.reachable);
        for (const slot of buckets.unreachable) expect(model.estimateTo(index.nodeAt(slot).id, target)).toBeUndefined();
        expect(buckets.reachable + buckets.unreachable.size).toBe(index.size);
      }),
      { numRuns: 150 },
    );
  });
});
