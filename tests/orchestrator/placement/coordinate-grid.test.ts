// The coordinate grid latency work walks while RTT samples stream: every node once, each with its
// model estimate to the bit, never below its group's floor, floors in walk order, as samples move
// nodes and the target's anchor; and the rule that picks it over a target's RTT buckets.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlacementIndex, placementRequest } from '../../../orchestrator/placement/place.ts';
import { hasCoordinates } from '../../../orchestrator/placement/coordinate-grid.ts';
import { GridSource } from '../../../orchestrator/placement/grid-source.ts';
import { RttSource, latencySource } from '../../../orchestrator/placement/sources.ts';
import { effectiveRtt } from '../../../orchestrator/placement/filters/latency-slo.ts';
import { FREE_CLASSES } from '../../../orchestrator/placement/free-classes.ts';
import { targetKey } from '../../../orchestrator/latency/types.ts';
import type { BoundQuery } from '../../../orchestrator/placement/plugin.ts';
import { parseWorkloadSpec } from '../../../orchestrator/workloads/spec.ts';
import { fleetArb } from './random-fleet.ts';

/** Last-bit differences between estimateTo and estimatorTo (seen: 2e-15 ms). */
const ROUNDING_MS = 1e-9;
const target = { landmark: 'L' };
const sampleArb = fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0.1, max: 15, noNaN: true }));

describe('coordinate grid', () => {
  it('walks every node once, each at its model estimate and above its group floor, as samples move nodes and the anchor', () => {
    fc.assert(
      fc.property(fleetArb, fc.array(sampleArb, { minLength: 1, maxLength: 6 }), ({ nodes, model }, samples) => {
        const index = new PlacementIndex(nodes);
        const ids = nodes.map((n) => n.id);
        expect(hasCoordinates(model)).toBe(true);
        if (!hasCoordinates(model)) return;
        const check = () => {
          // Work that needs no card reads every free-count list.
          const src = GridSource.for(index, index.grid, model, target, targetKey(target), 8, { accelerators: 0, strategy: 'spread' }, index.maxFreeBucket);
          // The landmark is fitted and a random fleet's exceptions are few: the grid serves it.
          expect(src).not.toBeNull();
          const q: BoundQuery = { rttMs: Number.NaN, free: -1, tflopsPerWatt: Number.NaN, node: null, cap: null };
          const seen = new Set<number>();
          let previous = -Infinity;
          let pastFrom: number | null = null;
          for (let g = 0; g < src!.groupCount; g++) {
            src!.describeGroup(g, q);
            expect(q.rttMs).toBeGreaterThanOrEqual(previous);
            previous = q.rttMs;
            if (src!.pastSlo(g)) pastFrom ??= g;
            // Once past the SLO, every later group is too: the walk may stop at the first.
            else expect(pastFrom).toBeNull();
            const slots = src!.slotsOf(g);
            const figures = src!.rttBoundsOf(g);
            const skip = src!.skipIn(g);
            slots.forEach((slot, i) => {
              if (skip !== null && skip[slot] === 1) return;
              // Group 0 holds any count; a cell's list bounds its nodes by its count (the last: that many or more).
              if (g > 0 && q.free >= 0) expect(index.freeAt(slot)).toBe(q.free);
              if (g > 0 && q.free < 0) expect(index.freeAt(slot)).toBeGreaterThanOrEqual(FREE_CLASSES - 1);
              expect(seen.has(slot)).toBe(false);
              seen.add(slot);
              const est = model.estimateTo(index.idAt(slot), target);
              if (est === undefined) {
                expect(figures[i]).toBeNaN();
                return;
              }
              expect(Math.abs(figures[i]! - effectiveRtt(est))).toBeLessThanOrEqual(ROUNDING_MS);
              expect(q.rttMs).toBeLessThanOrEqual(figures[i]!);
              if (src!.pastSlo(g)) expect(figures[i]).toBeGreaterThan(8);
            });
          }
          expect(seen.size).toBe(index.size);
        };
        check();
        for (const [a, b, rtt] of samples) {
          const from = a % 4 === 0 ? 'L' : ids[a % ids.length]!;
          const to = ids[b % ids.length]!;
          if (from === to) continue;
          const taker = index.get(ids[(a + b) % ids.length]!)!;
          const card = taker.accelerators.find((x) => !x.allocatedTo);
          if (card && a % 3 !== 0) index.allocate(taker.id, [card.index], { workload: `t-${a}-${b}`, priority: 100, preemptible: true });
          else if (taker.accelerators[0]?.allocatedTo) index.release(taker.accelerators[0].allocatedTo.workload, taker.id);
          for (let r = 0; r < 8; r++) model.observe(from, to, rtt);
          check();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('serves latency work while samples arrive between decisions, and leaves a still model to the RTT buckets', () => {
    fc.assert(
      fc.property(fleetArb, ({ nodes, model }) => {
        const index = new PlacementIndex(nodes);
        const spec = parseWorkloadSpec({ name: 'w', tenant: 't', class: 'cloud-gaming', run: { runner: 'simulated' }, latency: { to: target } });
        if (!spec.ok) throw new Error(JSON.stringify(spec.errors));
        const req = placementRequest(spec.spec);
        expect(latencySource(req, index, model)).toBeInstanceOf(GridSource);
        // The same model version again: the buckets are built once and then read as they are.
        expect(latencySource(req, index, model)).toBeInstanceOf(RttSource);
        expect(latencySource(req, index, model)).toBeInstanceOf(RttSource);
        const [a, b] = [nodes[0]!.id, nodes[1]!.id];
        // A sample or two: the two nodes are cheaper to catch up in the buckets than a walk of the grid.
        model.observe(a, b, 3);
        expect(latencySource(req, index, model)).toBeInstanceOf(RttSource);
        // A stream of them: the grid again.
        for (let r = 0; r < 40; r++) model.observe(a, b, 3 + r);
        expect(latencySource(req, index, model)).toBeInstanceOf(GridSource);
      }),
      { numRuns: 40 },
    );
  });
});
