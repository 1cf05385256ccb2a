// The CPU's GEMM through numpy and the BLAS it links (OpenBLAS, MKL, BLIS): the vector units at
// work, where the JS kernel only times V8's scalar loop. Finds a Python whose numpy has an
// optimised BLAS among ../python.ts's candidates, then runs agent/bench/numpy_gemm.py as a child
// (process group, timeout, cancel) and validates what it prints.
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { parseProgress, runJsonChild } from '../child.ts';
import { pythonCandidates } from '../python.ts';
import { BenchError } from '../types.ts';
import { decodeJson } from '../validate.ts';

export const NUMPY_SCRIPT = fileURLToPath(new URL('../numpy_gemm.py', import.meta.url));

const PROBE_TIMEOUT_MS = 30_000;
/** Python start-up and `import numpy` are outside the script's own budget accounting. */
const STARTUP_ALLOWANCE_MS = 10_000;
/** Read by OpenBLAS, OpenMP builds, MKL and BLIS: the thread count is fixed when numpy loads. */
const THREAD_VARS = ['OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'BLIS_NUM_THREADS'] as const;
/** Environment that picks OpenBLAS's kernel; it changes the answer, so it is part of the cache key. */
const KERNEL_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

const Blas = Type.Object({
  name: Type.Union(['openblas', 'mkl', 'blis', 'reference', 'unknown'].map((n) => Type.Literal(n))),
  version: Type.String(),
  core: Type.String(),
  threads: Type.Integer({ minimum: 0 }),
  config: Type.String(),
  library: Type.String(),
});
const ProbeOk = Type.Object({
  ok: Type.Literal(true),
  numpy: Type.String({ minLength: 1 }),
  python: Type.String(),
  blas: Blas,
  env: Type.Record(Type.String(), Type.String()),
});
const Fail = Type.Object({ ok: Type.Literal(false), error: Type.String(), hint: Type.String() });
const RunOk = Type.Composite([
  ProbeOk,
  Type.Object({
    threads: Type.Integer({ minimum: 1 }),
    throughput: Type.Object({
      n: Type.Integer({ minimum: 1 }),
      iterations: Type.Integer({ minimum: 1 }),
      median_ms: Type.Number({ exclusiveMinimum: 0 }),
      gflops: Type.Number({ exclusiveMinimum: 0 }),
    }),
    latency: Type.Object({
      n: Type.Integer({ minimum: 1 }),
      iterations: Type.Integer({ minimum: 1 }),
      p50_ms: Type.Number({ minimum: 0 }),
      p99_ms: Type.Number({ minimum: 0 }),
    }),
    duration_ms: Type.Number({ minimum: 0 }),
  }),
]);
const ProbeOutput = Type.Union([ProbeOk, Fail]);
const RunOutput = Type.Union([RunOk, Fail]);

export type NumpyInfo = Static<typeof ProbeOk>;
export type NumpyGemmMeasurement = Static<typeof RunOk>;
export type NumpyProbe = { ok: true; python: string; info: NumpyInfo } | { ok: false; reason: string };

export interface NumpyFindOptions {
  /** Pythons to try, in order; default ../python.ts's candidates. */
  pythons?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

const cache = new Map<string, Promise<NumpyProbe>>();

/** "numpy-openblas 0.3.31": what measured, as the result's versions.kernel says it. */
export function numpyKernelLabel(info: Pick<NumpyInfo, 'blas'>): string {
  return `numpy-${info.blas.name} ${info.blas.version}`;
}

/**
 * The first candidate Python whose numpy runs an optimised BLAS. A numpy on the netlib reference
 * BLAS (Debian's libblas3 with no libopenblas0) is passed over: it is slower than the JS kernel.
 * Cached per candidate list and kernel environment for the life of the process.
 */
export function findNumpyPython(opts: NumpyFindOptions = {}): Promise<NumpyProbe> {
  const env = opts.env ?? process.env;
  const pythons = opts.pythons ?? pythonCandidates(env);
  const key = JSON.stringify([pythons, KERNEL_VARS.map((v) => env[v] ?? null)]);
  let p = cache.get(key);
  if (!p) {
    p = probeAll(pythons, env);
    cache.set(key, p);
  }
  return p;
}

async function probeAll(pythons: readonly string[], env: NodeJS.ProcessEnv): Promise<NumpyProbe> {
  const reasons: string[] = [];
  for (const python of pythons) {
    try {
      const { json } = await runJsonChild(python, [NUMPY_SCRIPT, '--probe'], { timeoutMs: PROBE_TIMEOUT_MS, label: `${python} numpy check`, env });
      const out = decodeJson(ProbeOutput, json, `${python} numpy_gemm.py --probe`);
      if (!out.ok) reasons.push(`${python}: ${/No module named '?([\w.]+)'?/.exec(out.error)?.[0] ?? out.error}`);
      else if (out.blas.name === 'reference') reasons.push(`${python}: numpy ${out.numpy} runs the netlib reference BLAS (${out.blas.library})`);
      else return { ok: true, python, info: out };
    } catch (e) {
      reasons.push(`${python}: ${(e instanceof BenchError ? e.message : String(e)).slice(0, 160)}`);
    }
  }
  return {
    ok: false,
    reason: `no Python with numpy on an optimised BLAS (${reasons.join('; ')}); install one (Debian: apt-get install python3-numpy libopenblas0) or set BANYAN_PYTHON`,
  };
}

export interface NumpyGemmOptions {
  budgetMs: number;
  /** BLAS threads: the cores the agent may use. */
  threads: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** N of the throughput GEMM, halved by the script until it fits the budget (default 2048). */
  size?: number;
  /** N of the latency GEMM (default 64, as the JS kernel's). */
  latencySize?: number;
  onProgress?: (phase: string, fraction: number) => void;
}

export async function measureNumpyGemm(python: string, opts: NumpyGemmOptions): Promise<NumpyGemmMeasurement> {
  if (!(opts.budgetMs > 0)) throw new RangeError('numpy gemm budgetMs must be positive');
  if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new RangeError(`numpy gemm threads=${opts.threads} must be a positive integer`);
  const threads = String(opts.threads);
  const args = [
    NUMPY_SCRIPT,
    '--threads', threads,
    '--budget-ms', String(Math.max(500, Math.round(opts.budgetMs))),
    ...(opts.size ? ['--size', String(opts.size)] : []),
    ...(opts.latencySize ? ['--latency-size', String(opts.latencySize)] : []),
  ];
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), PYTHONUNBUFFERED: '1' };
  for (const v of THREAD_VARS) env[v] = threads;
  const { json } = await runJsonChild(python, args, {
    label: 'numpy_gemm.py',
    timeoutMs: opts.budgetMs + STARTUP_ALLOWANCE_MS,
    env,
    ...(opts.signal ? { signal: opts.signal } : {}),
    onStderrLine: (line) => {
      const p = parseProgress(line);
      if (p) opts.onProgress?.(p.phase, p.fraction);
    },
  });
  const out = decodeJson(RunOutput, json, 'numpy_gemm.py');
  if (!out.ok) throw new BenchError('failed', `numpy_gemm.py with ${python}: ${out.error}; ${out.hint}`);
  return out;
}
