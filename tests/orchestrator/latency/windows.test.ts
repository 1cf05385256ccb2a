import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { median } from '../../../orchestrator/latency/model.ts';
import { SampleWindows } from '../../../orchestrator/latency/windows.ts';

describe('sample windows', () => {
  it('give the median of each pair\'s last `window` samples, as an array per pair did, across slot reuse and page boundaries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.tuple(fc.nat(5000), fc.double({ min: 0, max: 500, noNaN: true }), fc.boolean()), { maxLength: 400 }),
        (window, ops) => {
          const w = new SampleWindows(window);
          const slots = new Map<number, number>();
          const ref = new Map<number, number[]>();
          // Many pairs first, so slots span pages.
          for (let p = 0; p < 5001; p += 1) {
            slots.set(p, w.open());
            ref.set(p, []);
          }
          for (const [pair, v, drop] of ops) {
            if (drop) {
              w.close(slots.get(pair)!);
              slots.set(pair, w.open());
              ref.set(pair, []);
              continue;
            }
            w.push(slots.get(pair)!, v);
            const r = ref.get(pair)!;
            r.push(v);
            if (r.length > window) r.shift();
            expect(w.median(slots.get(pair)!)).toBe(median(r));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('reuses a closed slot, empty', () => {
    const w = new SampleWindows(3);
    const a = w.open();
    w.push(a, 5);
    w.close(a);
    const b = w.open();
    expect(b).toBe(a);
    expect(w.median(b)).toBeNaN();
    w.push(b, 7);
    expect(w.median(b)).toBe(7);
  });
});
