// The FP16-equivalent rule: the one place where any throughput figure becomes the unit the city
// plan counts. Convention from shared/fixtures/accelerator-specs.md:
//   dense FP16 stated -> as is; BF16 only -> as is; INT8/FP8 only -> / 2;
//   FP32 only -> x 2 (weak: tensor FP16 is 8-16x FP32); FP64 only -> x 4 (weak).
// Sparse figures never count: callers pass dense figures only.
import type { Fp16Basis, Fp16Figure, FigureKind } from './messages.ts';

export type Precision = 'fp16' | 'bf16' | 'int8' | 'fp8' | 'fp32' | 'fp64';

/** Multiply a figure in this precision by the factor to get FP16-equivalent TFLOPS. */
export type Factors = Record<Precision, number>;

export const DEFAULT_FACTORS: Readonly<Factors> = Object.freeze({
  fp16: 1,
  bf16: 1,
  int8: 0.5,
  fp8: 0.5,
  fp32: 2,
  fp64: 4,
});

/** Order of preference: the closest precision to FP16 wins. */
const PREFERENCE: readonly Precision[] = ['fp16', 'bf16', 'int8', 'fp8', 'fp32', 'fp64'];

const BASIS: Record<Precision, Fp16Basis> = {
  fp16: 'fp16',
  bf16: 'bf16',
  int8: 'int8/2',
  fp8: 'fp8/2',
  fp32: 'fp32x2',
  fp64: 'fp64x4',
};

const WEAK: ReadonlySet<Precision> = new Set(['fp32', 'fp64']);

export type DenseFigures = Partial<Record<Precision, number | null>>;

export interface Fp16Options {
  kind: FigureKind;
  source: string;
  /** Site overrides of the default factors (agent configuration). */
  factors?: Partial<Factors>;
}

/** Converts the best stated dense figure to FP16-equivalent; unknown when none is stated. */
export function toFp16Eq(figures: DenseFigures, opts: Fp16Options): Fp16Figure {
  const factors = { ...DEFAULT_FACTORS, ...opts.factors };
  for (const p of PREFERENCE) {
    const v = figures[p];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
      return {
        tflops: round(v * factors[p]),
        basis: BASIS[p],
        source: opts.source,
        kind: opts.kind,
        weak: WEAK.has(p),
      };
    }
  }
  return unknownFp16(opts.kind, opts.source);
}

export function unknownFp16(kind: FigureKind, source: string): Fp16Figure {
  return { basis: 'unknown', source, kind, weak: false };
}

/**
 * FP16-equivalent TFLOPS per watt: nominal (nominal TFLOPS / catalogue TDP) or measured (measured
 * TFLOPS / average card power during the benchmark). Absent unless both figures are known and positive.
 */
export function tflopsPerWatt(tflops: number | undefined, watts: number | undefined): number | undefined {
  if (!(typeof tflops === 'number' && Number.isFinite(tflops) && tflops > 0)) return undefined;
  if (!(typeof watts === 'number' && Number.isFinite(watts) && watts > 0)) return undefined;
  return Math.round((tflops / watts) * 10_000) / 10_000;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Validates a site's factor overrides; returns the problems, empty when fine. */
export function checkFactors(f: Partial<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (!(k in DEFAULT_FACTORS)) problems.push(`unknown precision "${k}" (known: ${PREFERENCE.join(', ')})`);
    else if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) problems.push(`factor for ${k} must be a positive number`);
  }
  return problems;
}

export const TFLOPS_PER_PFLOPS = 1000;

export interface FleetFp16Totals {
  pflops: number;
  domesticPflops: number;
  /** domestic / total, 0..1; 0 when total is 0 */
  domesticShare: number;
  /** accelerators whose FP16-eq is unknown, not counted in the totals */
  unknownCount: number;
}

/** Sums FP16-eq figures of accelerators into PFLOPS with the domestic share. */
export function sumFp16(items: Iterable<{ domestic: boolean; fp16: Fp16Figure }>): FleetFp16Totals {
  let total = 0;
  let domestic = 0;
  let unknownCount = 0;
  for (const { domestic: isDomestic, fp16 } of items) {
    if (fp16.tflops === undefined) {
      unknownCount++;
      continue;
    }
    total += fp16.tflops;
    if (isDomestic) domestic += fp16.tflops;
  }
  return {
    pflops: total / TFLOPS_PER_PFLOPS,
    domesticPflops: domestic / TFLOPS_PER_PFLOPS,
    domesticShare: total > 0 ? domestic / total : 0,
    unknownCount,
  };
}
