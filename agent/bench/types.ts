// The contract every benchmark backend implements, and what the runner hands them.
import type { Accelerator, BenchResult } from '../../protocol/messages.ts';
import { benchTarget, type AcceleratorBenchTarget, type CPU_BENCH_TARGET } from '../../protocol/targets.ts';

export type BackendName = 'cpu' | 'torch' | 'command';
export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'torch', 'command'];

/** What gets benchmarked: the host CPU ("cpu") or one accelerator ("acc:<index>"). */
export type BenchTarget =
  | { id: typeof CPU_BENCH_TARGET; kind: 'cpu'; model: string; cores: number }
  | { id: AcceleratorBenchTarget; kind: 'accelerator'; accelerator: Accelerator };

export type CpuTarget = Extract<BenchTarget, { kind: 'cpu' }>;

export interface BenchProgress {
  target: string;
  backend: BackendName;
  /** "warmup", "throughput", "latency", "start", "done". */
  phase: string;
  /** 0..1 over this target's run. */
  fraction: number;
}

export interface BenchRunOptions {
  /** Wall-clock budget for this target, start-up included. */
  budgetMs: number;
  signal?: AbortSignal;
  onProgress?: (p: BenchProgress) => void;
}

export type Availability = { ok: true } | { ok: false; reason: string };

export interface BenchBackend {
  readonly name: BackendName;
  /** Whether this backend can measure the target on this node, and if not, why. */
  available(target: BenchTarget): Promise<Availability>;
  run(target: BenchTarget, opts: BenchRunOptions): Promise<BenchResult>;
  /** What else a cached result depends on (the cpu backend's kernel): a new tag measures again. */
  cacheTag?(target: BenchTarget): Promise<string>;
}

export type BenchErrorCode = 'aborted' | 'timeout' | 'bad_output' | 'failed' | 'unavailable';

/** A benchmark that could not produce a figure; the message says what to do. */
export class BenchError extends Error {
  override name = 'BenchError';
  constructor(
    readonly code: BenchErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function targetOf(acc: Accelerator): BenchTarget {
  return { id: benchTarget(acc.index), kind: 'accelerator', accelerator: acc };
}

/** The version whose change invalidates a cached result. */
export function driverKey(target: BenchTarget): string {
  return target.kind === 'cpu' ? `${target.model}|${target.cores}` : `${target.accelerator.model}|${target.accelerator.driverVersion}`;
}
