// FLOP accounting for GEMM benchmarks: one multiply-add per (m, n, k) triple counts as 2 FLOPs.

export function gemmFlops(m: number, n: number, k: number): number {
  return 2 * m * n * k;
}

/** FLOPs done in `ms` milliseconds, as TFLOPS. */
export function tflopsOf(flops: number, ms: number): number {
  if (!(ms > 0)) throw new RangeError(`duration ${ms} ms must be positive`);
  return flops / (ms / 1000) / 1e12;
}

/** measured / nominal, 0 when either is unknown (the protocol's convention). */
export function ratioTo(measured: number | undefined, nominal: number | undefined): number {
  if (measured === undefined || nominal === undefined || !(nominal > 0) || !Number.isFinite(measured)) return 0;
  return Math.round((measured / nominal) * 10_000) / 10_000;
}

export function roundTo(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
