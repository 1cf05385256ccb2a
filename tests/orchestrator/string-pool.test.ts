import { expect, it } from 'vitest';
import { StringPool } from '../../orchestrator/string-pool.ts';

const acc = (uuid: string) => ({ model: 'A100', uuid, nominal: { tflops: 312, basis: 'fp16', source: 'catalog', kind: 'nominal', weak: false } });

it('shares equal strings, and equal catalogue figures, versions and labels as one frozen object', () => {
  const pool = new StringPool();
  const a = pool.compact({ labels: { tier: 'edge' }, accelerators: [acc('GPU-1'), acc('GPU-2')] });
  const b = pool.compact({ labels: { tier: 'edge' }, accelerators: [acc('GPU-3')] });
  expect(a.accelerators[0]!.nominal).toBe(b.accelerators[0]!.nominal);
  expect(a.accelerators[1]!.nominal).toBe(a.accelerators[0]!.nominal);
  expect(a.labels).toBe(b.labels);
  expect(Object.isFrozen(a.labels)).toBe(true);
  expect(() => {
    (a.labels as Record<string, string>).tier = 'core';
  }).toThrow(TypeError);
  expect(a).toEqual({ labels: { tier: 'edge' }, accelerators: [acc('GPU-1'), acc('GPU-2')] });
});

it('keeps a node\'s own values (uuids) out of the pool, and objects that differ apart', () => {
  const pool = new StringPool();
  const a = pool.compact({ accelerators: [acc('GPU-1')] });
  const other = { ...acc('GPU-2'), nominal: { ...acc('GPU-2').nominal, tflops: 156 } };
  const b = pool.compact({ accelerators: [other] });
  expect(b.accelerators[0]!.nominal).not.toBe(a.accelerators[0]!.nominal);
  expect(b.accelerators[0]!.nominal.tflops).toBe(156);
  // A100, fp16, catalog, nominal; no uuid.
  expect(pool.size).toBe(4);
});

it('copies any message as the JSON round trip it replaced does, NaN, undefined, dates, buffers and all', async () => {
  const fc = (await import('fast-check')).default;
  const odd = fc.oneof(fc.constant(Number.NaN), fc.constant(Infinity), fc.constant(undefined), fc.constant(new Date(0)), fc.constant(Buffer.from('ab')), fc.constant(() => 1));
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), odd, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('uuid', 'nominal', 'labels', 'model', '__proto__', 'x', '0'), tie('v'), { maxKeys: 4 })),
  })).v;
  fc.assert(
    fc.property(value, (v) => {
      const pool = new StringPool();
      const expected = JSON.parse(JSON.stringify({ m: v, rows: [v, { v }] }));
      expect(pool.compact({ m: v, rows: [v, { v }] })).toStrictEqual(expected);
      // Rows copied directly, for packing: the same value.
      expect(pool.compact({ m: v, rows: [v, { v }] }, 'rows')).toStrictEqual(expected);
    }),
    { numRuns: 500 },
  );
});
