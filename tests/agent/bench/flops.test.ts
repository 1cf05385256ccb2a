import { describe, expect, it } from 'vitest';
import { fillMatrix, gemmAccumulate } from '../../../agent/bench/cpu/gemm-kernel.mjs';
import { gemmFlops, ratioTo, tflopsOf } from '../../../agent/bench/flops.ts';

describe('FLOP counting', () => {
  it('counts 2·M·N·K for a GEMM', () => {
    expect(gemmFlops(2, 3, 4)).toBe(48);
    expect(gemmFlops(8192, 8192, 8192)).toBe(1_099_511_627_776);
  });
  it('turns FLOPs and milliseconds into TFLOPS', () => {
    // 8192³ in 1.2 ms is the ~916 TFLOPS an H200 reaches at ~93 % of its 989.5 nominal.
    expect(tflopsOf(gemmFlops(8192, 8192, 8192), 1.2)).toBeCloseTo(916.26, 2);
    expect(() => tflopsOf(1, 0)).toThrow(RangeError);
  });
  it('gives the ratio to nominal, 0 when the nominal is unknown', () => {
    expect(ratioTo(916.26, 989.5)).toBe(0.926);
    expect(ratioTo(10, undefined)).toBe(0);
    expect(ratioTo(undefined, 100)).toBe(0);
  });
});

describe('cpu gemm kernel', () => {
  it('computes C += A·B exactly like the naive triple loop', () => {
    const n = 12;
    const a = new Float32Array(n * n);
    const b = new Float32Array(n * n);
    fillMatrix(a, 1);
    fillMatrix(b, 2);
    const c = new Float32Array(n * n).fill(1);
    gemmAccumulate(a, b, c, n, new Float32Array(n * n));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * b[k * n + j]!;
        expect(c[i * n + j]).toBeCloseTo(1 + s, 6);
      }
    }
  });
  it('rejects sizes that are not a multiple of 4 and short buffers', () => {
    const m = new Float32Array(36);
    expect(() => gemmAccumulate(m, m, m, 6, m)).toThrow(/multiple of 4/);
    expect(() => gemmAccumulate(m, m, m, 8, m)).toThrow(/must hold 64/);
  });
});
