// Drives the GEMM worker threads: one per logical CPU for throughput (median of timed rounds,
// summed over workers), then one worker for the latency of a small, inference-sized GEMM.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BenchError } from '../types.ts';

export interface CpuGemmOptions {
  budgetMs: number;
  signal?: AbortSignal;
  /** Throughput matrix size (multiple of 4). */
  n?: number;
  /** Latency matrix size (multiple of 4). */
  latencyN?: number;
  workers?: number;
  rounds?: number;
  onProgress?: (phase: 'throughput' | 'latency', fraction: number) => void;
}

export interface CpuGemmMeasurement {
  n: number;
  latencyN: number;
  workers: number;
  /** Aggregate GFLOPS of each timed round, all workers together. */
  roundGflops: number[];
  latencySamplesMs: number[];
}

const WORKER_URL = new URL('./gemm-worker.mjs', import.meta.url);
/** Share of the budget for throughput rounds; the rest is worker start-up and latency. */
const THROUGHPUT_SHARE = 0.7;
const LATENCY_SHARE = 0.15;

type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'round'; round: number; flops: number; ms: number }
  | { kind: 'done' }
  | { kind: 'latency'; samplesMs: number[] };

function decodeMessage(m: unknown): WorkerMessage {
  const o = m as Record<string, unknown> | null;
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  switch (o?.kind) {
    case 'ready':
    case 'done':
      return { kind: o.kind };
    case 'round':
      if (num(o.round) && num(o.flops) && num(o.ms) && (o.ms as number) > 0) {
        return { kind: 'round', round: o.round as number, flops: o.flops as number, ms: o.ms as number };
      }
      break;
    case 'latency':
      if (Array.isArray(o.samplesMs) && o.samplesMs.every(num)) return { kind: 'latency', samplesMs: o.samplesMs as number[] };
      break;
  }
  throw new BenchError('bad_output', `cpu gemm worker sent an unexpected message ${JSON.stringify(m)}; the worker file and agent are out of step, reinstall the agent`);
}

export async function measureCpuGemm(opts: CpuGemmOptions): Promise<CpuGemmMeasurement> {
  const n = opts.n ?? 256;
  const latencyN = opts.latencyN ?? 64;
  const workers = opts.workers ?? availableParallelism();
  const rounds = opts.rounds ?? 5;
  for (const [name, v] of [['n', n], ['latencyN', latencyN]] as const) {
    if (!Number.isInteger(v) || v <= 0 || v % 4 !== 0) throw new RangeError(`cpu gemm ${name}=${v} must be a positive multiple of 4`);
  }
  if (!(opts.budgetMs > 0)) throw new RangeError('cpu gemm budgetMs must be positive');
  const roundMs = Math.max(10, (opts.budgetMs * THROUGHPUT_SHARE) / rounds);

  const flopsByRound: number[][] = Array.from({ length: rounds }, () => []);
  const barrier = new SharedArrayBuffer(4);
  const gate = new Int32Array(barrier);
  let ready = 0;
  let finishedRounds = 0;
  // One failing worker must stop the others, which would otherwise wait on the barrier forever.
  const group = new AbortController();
  const onOuterAbort = () => group.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) group.abort();
  await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      runWorker({ mode: 'throughput', n, rounds, roundMs, seed: 7 + w * 2, barrier }, group.signal, (msg) => {
        if (msg.kind === 'ready' && ++ready === workers) {
          Atomics.store(gate, 0, 1);
          Atomics.notify(gate, 0);
        } else if (msg.kind === 'round') {
          flopsByRound[msg.round]?.push((msg.flops / msg.ms) * 1e-6);
          opts.onProgress?.('throughput', ++finishedRounds / (rounds * workers));
        }
        return msg.kind === 'done';
      }).catch((e: unknown) => {
        group.abort();
        throw e;
      }),
    ),
  ).finally(() => opts.signal?.removeEventListener('abort', onOuterAbort));

  let latencySamplesMs: number[] = [];
  await runWorker(
    { mode: 'latency', n: latencyN, maxIterations: 5000, budgetMs: opts.budgetMs * LATENCY_SHARE, seed: 3 },
    opts.signal,
    (msg) => {
      if (msg.kind !== 'latency') return false;
      latencySamplesMs = msg.samplesMs;
      opts.onProgress?.('latency', 1);
      return true;
    },
  );
  return {
    n,
    latencyN,
    workers,
    roundGflops: flopsByRound.map((perWorker) => perWorker.reduce((s, g) => s + g, 0)),
    latencySamplesMs,
  };
}

/** Runs one worker until `onMessage` returns true; terminates it on abort or error. */
function runWorker(data: object, signal: AbortSignal | undefined, onMessage: (m: WorkerMessage) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new BenchError('aborted', 'cpu benchmark cancelled'));
    const worker = new Worker(WORKER_URL, { workerData: data });
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => settle(new BenchError('aborted', 'cpu benchmark cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: unknown) => {
      try {
        if (onMessage(decodeMessage(m))) settle();
      } catch (e) {
        settle(e as Error);
      }
    });
    worker.on('error', (e) => settle(new BenchError('failed', `cpu gemm worker crashed: ${e.message}`)));
    worker.on('exit', (code) => settle(new BenchError('failed', `cpu gemm worker exited with code ${code} before reporting`)));
  });
}
