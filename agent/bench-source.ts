// Where the agent's measured figures come from: the real node benchmarks itself (agent/bench),
// a simulated node derives figures from its catalogue entries. The agent sees only this seam.
import { join } from 'node:path';
import type { Accelerator, BenchResult } from '../protocol/messages.ts';
import type { BenchBackend } from './bench/index.ts';

export interface BenchRequest {
  accelerators: readonly Accelerator[];
  /** Accelerator indexes running workloads: never benchmarked. */
  busy: ReadonlySet<number>;
  /** Measure again even when a result for this driver is cached (cmd rebench). */
  rerun: boolean;
  signal: AbortSignal;
  /** A card's power draw from its vendor tool, for the energy figures (avgPowerW, tflopsPerWatt). */
  powerOf?: (acceleratorIndex: number) => Promise<number | undefined>;
}

export interface BenchSourceRun {
  results: BenchResult[];
  /** Targets without a figure this time, each with why ("acc:1: busy running a workload"). */
  skipped: string[];
}

export interface BenchSource {
  run(req: BenchRequest): Promise<BenchSourceRun>;
}

export interface NodeBenchOptions {
  /** Wall-clock budget for all targets together; keep it short on a node that serves traffic. */
  budgetMs: number;
  /** Cache file; results stay valid until the driver (or CPU model) changes. */
  cachePath: string;
  backends?: readonly BenchBackend[];
}

/** This machine, through agent/bench: the cpu backend for the host, torch for accelerators. */
export class NodeBenchSource implements BenchSource {
  constructor(private readonly opts: NodeBenchOptions) {}

  static inStateDir(stateDir: string, budgetMs: number): NodeBenchSource {
    return new NodeBenchSource({ budgetMs, cachePath: join(stateDir, 'bench-results.json') });
  }

  async run(req: BenchRequest): Promise<BenchSourceRun> {
    // Loaded on first use: an agent with benchmarks off never pays for the backends' modules.
    const { BenchCache, runBenchmarks } = await import('./bench/index.ts');
    const cache = await BenchCache.open(this.opts.cachePath);
    const run = await runBenchmarks({
      accelerators: req.accelerators,
      budgetMs: this.opts.budgetMs,
      busy: req.busy,
      rerun: req.rerun,
      cache,
      signal: req.signal,
      ...(req.powerOf ? { powerOf: req.powerOf } : {}),
      ...(this.opts.backends ? { backends: this.opts.backends } : {}),
    });
    return {
      results: run.results,
      skipped: run.outcomes.flatMap((o) => ('reason' in o ? [`${o.target}: ${o.reason}`] : [])),
    };
  }
}
