// Drives the GEMM workers: one per logical CPU for throughput (median of timed rounds, summed over
// workers), then one for the latency of a small, inference-sized GEMM.
// The workers are child processes, not worker threads: V8 flags are per process, and the agent
// runs --jitless to meet its memory target, where a thread would time the interpreter. A forked
// child gets its own flags (a normal JIT), and its memory goes back to the OS when it exits.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
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

const WORKER_PATH = fileURLToPath(new URL('./gemm-worker.mjs', import.meta.url));
/** Share of the budget for throughput rounds; the rest is worker start-up and latency. */
const THROUGHPUT_SHARE = 0.7;
const LATENCY_SHARE = 0.15;
/** How long a worker gets to exit after SIGTERM (or after its last message) before SIGKILL. */
const KILL_GRACE_MS = 1000;

type WorkerParams =
  | { mode: 'throughput'; n: number; rounds: number; roundMs: number; seed: number }
  | { mode: 'latency'; n: number; maxIterations: number; budgetMs: number; seed: number };

type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'round'; round: number; flops: number; ms: number }
  | { kind: 'done' }
  | { kind: 'latency'; samplesMs: number[] };

type ParentMessage = { kind: 'go' };

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
  throw new BenchError('bad_output', `cpu gemm worker sent an unexpected message ${JSON.stringify(m)?.slice(0, 200)}; the worker file and agent are out of step, reinstall the agent`);
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
  let ready = 0;
  let finishedRounds = 0;
  await runWorkers(
    Array.from({ length: workers }, (_, w) => ({ mode: 'throughput', n, rounds, roundMs, seed: 7 + w * 2 }) as const),
    opts.signal,
    (msg, broadcast) => {
      // Every worker has warmed up: start the timed rounds together, so each round has all cores busy.
      if (msg.kind === 'ready' && ++ready === workers) broadcast({ kind: 'go' });
      else if (msg.kind === 'round') {
        flopsByRound[msg.round]?.push((msg.flops / msg.ms) * 1e-6);
        opts.onProgress?.('throughput', ++finishedRounds / (rounds * workers));
      }
      return msg.kind === 'done';
    },
  );

  let latencySamplesMs: number[] = [];
  await runWorkers([{ mode: 'latency', n: latencyN, maxIterations: 5000, budgetMs: opts.budgetMs * LATENCY_SHARE, seed: 3 }], opts.signal, (msg) => {
    if (msg.kind !== 'latency') return false;
    latencySamplesMs = msg.samplesMs;
    opts.onProgress?.('latency', 1);
    return true;
  });
  return {
    n,
    latencyN,
    workers,
    roundGflops: flopsByRound.map((perWorker) => perWorker.reduce((s, g) => s + g, 0)),
    latencySamplesMs,
  };
}

/** The error line of Node's uncaught-exception report ("Error: …"), else the last line printed. */
function crashReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? '').slice(0, 300);
}

/** Without NODE_OPTIONS: it may carry the agent's --jitless or memory caps, which are not the benchmark's. */
function workerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Runs one worker process per params until `onMessage` returns true for each. Settles only once
 * every worker has exited, so none outlives the promise: the first failure (crash, bad message,
 * abort) kills the others, and the promise then rejects with that failure.
 */
function runWorkers(
  params: readonly WorkerParams[],
  signal: AbortSignal | undefined,
  onMessage: (msg: WorkerMessage, broadcast: (m: ParentMessage) => void) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new BenchError('aborted', 'cpu benchmark cancelled'));
    const stops: Array<() => void> = [];
    const children: ChildProcess[] = [];
    let failure: Error | undefined;
    let running = 0;
    const fail = (err: Error) => {
      failure ??= err;
      for (const stop of stops) stop();
    };
    const onAbort = () => fail(new BenchError('aborted', 'cpu benchmark cancelled'));
    const exited = () => {
      if (--running > 0) return;
      signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve();
    };
    const broadcast = (m: ParentMessage) => {
      for (const child of children) {
        child.send(m, (e) => e && fail(new BenchError('failed', `cpu gemm worker did not take ${m.kind}: ${e.message}`)));
      }
    };

    for (const p of params) {
      let child: ChildProcess;
      try {
        // execArgv [] and no NODE_OPTIONS: neither the agent's --jitless nor a TypeScript loader.
        child = fork(WORKER_PATH, [JSON.stringify(p)], { execArgv: [], env: workerEnv(), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      } catch (e) {
        fail(new BenchError('failed', `cpu gemm worker did not start: ${(e as Error).message}`));
        break;
      }
      children.push(child);
      running++;
      let done = false;
      let gone = false;
      let stderr = '';
      let killTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        if (gone || killTimer) return;
        child.kill('SIGTERM');
        killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      };
      stops.push(stop);
      const onGone = () => {
        if (gone) return;
        gone = true;
        clearTimeout(killTimer);
        if (!done) {
          const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
          const why = crashReason(stderr);
          fail(new BenchError('failed', `cpu gemm worker ${how} before reporting${why ? `: ${why}` : ''}`));
        }
        exited();
      };
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < 8192) stderr += d.toString('utf8');
      });
      child.on('message', (m: unknown) => {
        if (done || failure) return;
        try {
          done = onMessage(decodeMessage(m), broadcast);
        } catch (e) {
          return fail(e as Error);
        }
        // Its last message is sent; it exits by itself, or is made to.
        if (done) killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      });
      child.on('error', (e) => {
        fail(new BenchError('failed', `cpu gemm worker crashed: ${e.message}`));
        // A worker that never started has no exit to wait for.
        if (child.pid === undefined) onGone();
      });
      // 'close', not 'exit': it comes after the last IPC message and stderr byte are read.
      child.on('close', onGone);
    }
    if (running === 0) return failure ? reject(failure) : resolve();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}
