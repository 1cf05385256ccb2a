// The bench convention (README, Benchmarks): every figure is { name, value, unit, note }.
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

/**
 * How long bench/run.ts lets a module run (its own child process) unless the module exports its
 * own `budgetMs`; past it, the module is killed and reported as failed, its figures left out.
 */
export const DEFAULT_MODULE_BUDGET_MS = 150_000;

/** Set by bench/run.ts for each module: the time the whole run has left for it. */
export const LEFT_MS_ENV = 'BANYAN_BENCH_LEFT_MS';

/**
 * What a module may really spend: its declared budget, or less when the run has less left. A
 * module with several parts uses it to skip the parts that cannot finish, keeping the rest.
 */
export function effectiveBudgetMs(declaredMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const left = Number(env[LEFT_MS_ENV]);
  return left > 0 ? Math.min(declaredMs, left) : declaredMs;
}

/** What bench/readme.ts needs of a run besides its figures. */
export interface RunSummary {
  atMs: number;
  /** The name filter it ran with (a partial run), or null. */
  filter: string | null;
  wallS: number;
  status: string;
}

/** A module's child process to bench/run.ts. */
export type ModuleMessage =
  | { kind: 'budget'; ms: number }
  | { kind: 'figures'; figures: unknown[] }
  | { kind: 'error'; message: string };

/** A figure as the convention has it, with a finite value: NaN or Infinity is no measurement. */
export function isFigure(f: unknown): f is Figure {
  const o = f as Partial<Figure> | null;
  return typeof o?.name === 'string' && typeof o.value === 'number' && Number.isFinite(o.value) && typeof o.unit === 'string' && typeof o.note === 'string';
}
