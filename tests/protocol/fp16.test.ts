import { describe, expect, it } from 'vitest';
import { checkFactors, sumFp16, toFp16Eq } from '../../protocol/fp16.ts';

const opts = { kind: 'nominal' as const, source: 'test' };

describe('FP16-equivalent rule', () => {
  it('uses dense FP16 when stated, whatever else is stated', () => {
    expect(toFp16Eq({ fp16: 989.5, bf16: 989.5, fp32: 67, int8: 1979 }, opts)).toEqual({ tflops: 989.5, basis: 'fp16', source: 'test', kind: 'nominal', weak: false });
  });
  it('falls back to BF16, then INT8/2, then FP8/2, then FP32x2 (weak), then FP64x4 (weak)', () => {
    expect(toFp16Eq({ bf16: 196 }, opts)).toMatchObject({ tflops: 196, basis: 'bf16', weak: false });
    expect(toFp16Eq({ int8: 320, fp32: 40 }, opts)).toMatchObject({ tflops: 160, basis: 'int8/2', weak: false });
    expect(toFp16Eq({ fp8: 400 }, opts)).toMatchObject({ tflops: 200, basis: 'fp8/2' });
    expect(toFp16Eq({ fp32: 40 }, opts)).toMatchObject({ tflops: 80, basis: 'fp32x2', weak: true });
    expect(toFp16Eq({ fp64: 10 }, opts)).toMatchObject({ tflops: 40, basis: 'fp64x4', weak: true });
  });
  it('says unknown rather than guessing', () => {
    const f = toFp16Eq({ fp16: null, int8: 0 }, opts);
    expect(f.tflops).toBeUndefined();
    expect(f.basis).toBe('unknown');
  });
  it('applies a site override of a factor', () => {
    expect(toFp16Eq({ fp32: 40 }, { ...opts, factors: { fp32: 8 } })).toMatchObject({ tflops: 320, basis: 'fp32x2' });
  });
  it('validates overrides', () => {
    expect(checkFactors({ fp32: 8 })).toEqual([]);
    expect(checkFactors({ fp4: 1, fp32: -1 })).toHaveLength(2);
  });
  it('sums to PFLOPS with the domestic share, not counting unknowns', () => {
    const f = (t?: number) => (t === undefined ? toFp16Eq({}, opts) : toFp16Eq({ fp16: t }, opts));
    const totals = sumFp16([
      { domestic: true, fp16: f(280) },
      { domestic: true, fp16: f(520) },
      { domestic: false, fp16: f(200) },
      { domestic: true, fp16: f() },
    ]);
    expect(totals).toEqual({ pflops: 1, domesticPflops: 0.8, domesticShare: 0.8, unknownCount: 1 });
  });
});
