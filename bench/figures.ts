// The bench convention of DESIGN.md: every figure is { name, value, unit, note }.
// A figure that could not be measured is left out, never faked.
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note: string;
}

/** A benchmark module: bench/<name>.bench.ts default-exports one of these. */
export type BenchModule = () => Promise<Figure[]>;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
