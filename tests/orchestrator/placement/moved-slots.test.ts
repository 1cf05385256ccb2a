// The shared slot log answers every target's catch-up exactly as looking the model's ids up would,
// for targets at different versions, samples interleaved with the asks, and after a node joins.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyModel } from '../../../orchestrator/latency/model.ts';
import { PlacementIndex } from '../../../orchestrator/placement/placement-index.ts';

const node = (id: string) => ({ id, site: 's', online: true, lastSeenMs: 0, labels: {}, accelerators: [] });

describe('MovedSlots', () => {
  it('gives the slots of the ids the model names since any version', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(9), fc.nat(9), fc.nat(20), fc.boolean()), { minLength: 1, maxLength: 40 }), (steps) => {
        const model = new LatencyModel();
        const ids = Array.from({ length: 10 }, (_, i) => `n${i}`);
        for (const id of ids) model.observe(id, id === 'n0' ? 'n1' : 'n0', 1);
        const index = new PlacementIndex(ids.slice(0, 8).map(node));
        for (const [a, b, back, join] of steps) {
          model.observe(ids[a]!, ids[b]!, 1 + a);
          if (join && !index.get(ids[9]!)) index.upsert(node(ids[9]!));
          const version = Math.max(0, model.version - back);
          const want = model.movedSince(version);
          const got = index.movedSince(model, version);
          if (want === null) continue;
          expect(got).not.toBeNull();
          expect(got!.entries.slice(got!.from)).toEqual(want.map((id) => index.slotOf(id) ?? -1));
        }
      }),
      { numRuns: 100 },
    );
  });
});
