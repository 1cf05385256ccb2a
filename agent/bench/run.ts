// Benchmarks every target of this node within one time budget: picks a backend per target,
// skips busy accelerators, serves and refreshes the on-disk cache, and never lets one failing
// target stop the others.
import { availableParallelism } from 'node:os';
import type { Accelerator, BenchResult } from '../../protocol/messages.ts';
import { CPU_BENCH_TARGET } from '../../protocol/targets.ts';
import type { BenchCache } from './cache.ts';
import { startPowerMeter, withPower } from './power.ts';
import { cpuBackend } from './cpu/backend.ts';
import { readCpuFacts } from './cpu/peak.ts';
import { torchBackend } from './torch/backend.ts';
import { BenchError, targetOf, type BackendName, type BenchBackend, type BenchProgress, type BenchTarget, type CpuTarget } from './types.ts';

export const DEFAULT_BUDGET_MS = 30_000;

export interface RunBenchmarksOptions {
  accelerators: readonly Accelerator[];
  /** Measure the host CPU too (default true). */
  includeCpu?: boolean;
  /** Only these target ids ("cpu", "acc:0"). */
  only?: readonly string[];
  /** Candidate backends, in preference order per target; default: torch then cpu. */
  backends?: readonly BenchBackend[];
  /** Use this backend and no other. */
  backend?: BackendName;
  /** Wall-clock budget for all targets together. */
  budgetMs?: number;
  /** Accelerator indexes running workloads: skipped unless `force`. */
  busy?: Iterable<number>;
  force?: boolean;
  /** Ignore cached results and measure again. */
  rerun?: boolean;
  /** Absent or null: no caching. */
  cache?: BenchCache | null;
  signal?: AbortSignal;
  onProgress?: (p: BenchProgress) => void;
  /** A card's power draw from its vendor tool, read while that card is benchmarked; absent: no energy figures. */
  powerOf?: (acceleratorIndex: number) => Promise<number | undefined>;
  /** How often power is read during a run (default 500 ms). */
  powerEveryMs?: number;
}

export type BenchOutcome =
  | { target: string; status: 'measured' | 'cached'; backend: BackendName; result: BenchResult }
  | { target: string; status: 'skipped' | 'failed'; backend?: BackendName; reason: string };

export interface BenchRun {
  /** Measured and cached results, one per target that has a figure. */
  results: BenchResult[];
  outcomes: BenchOutcome[];
}

export function defaultBackends(): BenchBackend[] {
  return [torchBackend(), cpuBackend()];
}

/** The host CPU as a target; its model and core count key the cache. */
export async function cpuTarget(): Promise<CpuTarget> {
  const facts = await readCpuFacts();
  return { id: CPU_BENCH_TARGET, kind: 'cpu', model: facts.model, cores: availableParallelism() };
}

/**
 * Backends for a target in preference order. The built-in cpu backend comes first for the
 * host CPU (numpy's BLAS where a Python has it, else the JS kernel: a figure on every node);
 * a site command listed before it wins.
 */
function preference(target: BenchTarget, backends: readonly BenchBackend[], only?: BackendName): BenchBackend[] {
  if (only) return backends.filter((b) => b.name === only);
  if (target.kind === 'accelerator') return backends.filter((b) => b.name !== 'cpu');
  const command = backends.filter((b) => b.name === 'command');
  return [...command, ...backends.filter((b) => b.name === 'cpu'), ...backends.filter((b) => b.name === 'torch')];
}

export async function runBenchmarks(opts: RunBenchmarksOptions): Promise<BenchRun> {
  const backends = opts.backends ?? defaultBackends();
  const busy = new Set(opts.busy ?? []);
  const targets: BenchTarget[] = [
    ...(opts.includeCpu === false ? [] : [await cpuTarget()]),
    ...opts.accelerators.map(targetOf),
  ].filter((t) => !opts.only || opts.only.includes(t.id));

  const outcomes: BenchOutcome[] = [];
  const pending: { target: BenchTarget; backend: BenchBackend; tag: string | undefined }[] = [];
  for (const target of targets) {
    if (target.kind === 'accelerator' && busy.has(target.accelerator.index) && !opts.force) {
      outcomes.push({ target: target.id, status: 'skipped', reason: 'busy running a workload; benchmark it when idle or pass --force' });
      continue;
    }
    const chosen = await choose(target, preference(target, backends, opts.backend));
    if ('reason' in chosen) {
      outcomes.push({ target: target.id, status: 'skipped', reason: chosen.reason });
      continue;
    }
    const tag = opts.cache ? await chosen.backend.cacheTag?.(target) : undefined;
    const cached = opts.rerun ? undefined : opts.cache?.get(target, chosen.backend.name, tag);
    if (cached) outcomes.push({ target: target.id, status: 'cached', backend: chosen.backend.name, result: cached });
    else pending.push({ target, backend: chosen.backend, tag });
  }

  // The budget is for measuring: choosing a backend (Python probes, each bounded by its own
  // timeout) comes before it, so a slow `import numpy` does not eat a short budget.
  const deadline = Date.now() + (opts.budgetMs ?? DEFAULT_BUDGET_MS);
  for (let i = 0; i < pending.length; i++) {
    const { target, backend, tag } = pending[i]!;
    if (opts.signal?.aborted) {
      outcomes.push({ target: target.id, status: 'skipped', backend: backend.name, reason: 'benchmark run cancelled' });
      continue;
    }
    // An equal share of what is left, so a slow early target cannot starve the later ones.
    const budgetMs = Math.max(0, deadline - Date.now()) / (pending.length - i);
    if (budgetMs < 500) {
      outcomes.push({ target: target.id, status: 'skipped', backend: backend.name, reason: 'time budget spent; give a larger --budget' });
      continue;
    }
    try {
      opts.onProgress?.({ target: target.id, backend: backend.name, phase: 'start', fraction: 0 });
      // A CPU run has no card power: only accelerators are metered.
      const powerOf = opts.powerOf;
      const meter = target.kind === 'accelerator' && powerOf ? startPowerMeter(() => powerOf(target.accelerator.index), opts.powerEveryMs) : null;
      const measured = await backend
        .run(target, {
          budgetMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        })
        .finally(() => meter?.stop());
      const result = meter ? withPower(measured, await meter.stop()) : measured;
      outcomes.push({ target: target.id, status: 'measured', backend: backend.name, result });
      opts.cache?.set(target, backend.name, result, tag);
      await opts.cache?.save();
    } catch (e) {
      const reason = e instanceof BenchError && e.code === 'aborted' ? 'benchmark run cancelled' : (e as Error).message;
      outcomes.push({ target: target.id, status: 'failed', backend: backend.name, reason });
    }
  }

  const order = new Map<string, number>(targets.map((t, i) => [t.id, i]));
  outcomes.sort((a, b) => order.get(a.target)! - order.get(b.target)!);
  return { results: outcomes.flatMap((o) => ('result' in o ? [o.result] : [])), outcomes };
}

async function choose(target: BenchTarget, candidates: BenchBackend[]): Promise<{ backend: BenchBackend } | { reason: string }> {
  const reasons: string[] = [];
  for (const backend of candidates) {
    const a = await backend.available(target);
    if (a.ok) return { backend };
    reasons.push(`${backend.name}: ${a.reason}`);
  }
  return { reason: reasons.length ? reasons.join('; ') : 'no benchmark backend selected for this target' };
}
