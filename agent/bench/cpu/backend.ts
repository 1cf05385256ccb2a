// The built-in CPU backend: every node gets a measured figure. FP32 GEMM through numpy's BLAS
// where a Python has one (the vector units at work), else, as a labelled last resort, the JS
// kernel in forked worker processes (each with a JIT, even under a --jitless agent), which times
// V8's scalar loop at a few % of the peak. Converted to FP16-eq by the protocol rule (fp32×2, weak).
import type { BenchResult } from '../../../protocol/messages.ts';
import { toFp16Eq } from '../../../protocol/fp16.ts';
import { quantile } from '../../probe/stats.ts';
import { ratioTo, roundTo } from '../flops.ts';
import { BenchError, type BenchBackend, type BenchRunOptions, type BenchTarget } from '../types.ts';
import { allowedCpus } from './cores.ts';
import { measureCpuGemm } from './measure.ts';
import { findNumpyPython, measureNumpyGemm, numpyKernelLabel, type NumpyInfo } from './numpy.ts';
import { cpuPeak, readCpuFacts, type CpuFacts } from './peak.ts';

/** 'auto': numpy when a Python has it on an optimised BLAS, else js. */
export type CpuKernel = 'auto' | 'numpy' | 'js';

export const JS_KERNEL = 'js-scalar';

export interface CpuBackendOptions {
  kernel?: CpuKernel;
  /** Pythons to look for numpy in, in order; default BANYAN_PYTHON, /usr/bin/python3, python3. */
  pythons?: readonly string[];
  /** Environment of the numpy child (and of the Python search). */
  env?: NodeJS.ProcessEnv;
  /** N of numpy's throughput GEMM, halved to fit the budget (default 2048). */
  numpySize?: number;
  /** JS kernel: throughput matrix size (multiple of 4). */
  n?: number;
  latencyN?: number;
  /** Logical CPUs to use (JS worker processes, numpy BLAS threads); default all the agent may use (./cores.ts). */
  workers?: number;
  rounds?: number;
  /** For tests and odd hosts; read from /proc/cpuinfo and cpufreq otherwise. */
  facts?: CpuFacts;
}

type KernelChoice = { kind: 'numpy'; python: string; info: NumpyInfo } | { kind: 'js'; why: string };

export function cpuBackend(config: CpuBackendOptions = {}): BenchBackend {
  const kernel = config.kernel ?? 'auto';
  const findOpts = { ...(config.pythons ? { pythons: config.pythons } : {}), ...(config.env ? { env: config.env } : {}) };

  const choose = async (): Promise<KernelChoice | { unavailable: string }> => {
    if (kernel === 'js') return { kind: 'js', why: 'chosen by configuration' };
    const py = await findNumpyPython(findOpts);
    if (py.ok) return { kind: 'numpy', python: py.python, info: py.info };
    return kernel === 'numpy' ? { unavailable: py.reason } : { kind: 'js', why: py.reason };
  };

  return {
    name: 'cpu',
    async available(target) {
      if (target.kind !== 'cpu') return { ok: false, reason: 'the cpu backend measures the host CPU only' };
      const c = await choose();
      return 'unavailable' in c ? { ok: false, reason: c.unavailable } : { ok: true };
    },
    // A node that gains numpy (or changes its BLAS) measures again instead of serving the old figure.
    async cacheTag() {
      const c = await choose();
      if ('unavailable' in c) return 'unavailable';
      return c.kind === 'js' ? JS_KERNEL : `${numpyKernelLabel(c.info)} ${c.info.blas.core} ${c.python}`;
    },
    async run(target: BenchTarget, opts: BenchRunOptions): Promise<BenchResult> {
      if (target.kind !== 'cpu') throw new BenchError('unavailable', 'the cpu backend measures the host CPU only');
      const started = Date.now();
      const workers = config.workers ?? (await allowedCpus()).count;
      const facts = config.facts ?? (await readCpuFacts());
      const c = await choose();
      if ('unavailable' in c) throw new BenchError('unavailable', c.unavailable);
      if (c.kind === 'numpy') {
        try {
          return await runNumpy(target, opts, c, workers, facts, started);
        } catch (e) {
          // A numpy that cannot run here is not the end of the figure: the JS kernel still can.
          const left = opts.budgetMs - (Date.now() - started);
          const canFallBack = kernel === 'auto' && e instanceof BenchError && (e.code === 'failed' || e.code === 'bad_output') && left >= 500;
          if (!canFallBack) throw e;
          return runJs(target, { ...opts, budgetMs: left }, `numpy with ${c.python} failed: ${e.message}`, workers, facts, started);
        }
      }
      return runJs(target, opts, c.why, workers, facts, started);
    },
  };

  async function runNumpy(
    target: BenchTarget,
    opts: BenchRunOptions,
    c: Extract<KernelChoice, { kind: 'numpy' }>,
    workers: number,
    facts: CpuFacts,
    started: number,
  ): Promise<BenchResult> {
    const m = await measureNumpyGemm(c.python, {
      budgetMs: opts.budgetMs,
      threads: workers,
      ...(config.env ? { env: config.env } : {}),
      ...(config.numpySize ? { size: config.numpySize } : {}),
      ...(config.latencyN ? { latencySize: config.latencyN } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (phase, fraction) => opts.onProgress?.({ target: target.id, backend: 'cpu', phase, fraction }),
    });
    const peak = cpuPeak(facts, m.threads);
    const kernelEnv = Object.entries(m.env).map(([k, v]) => `${k}=${v}`);
    const t = m.throughput;
    const l = m.latency;
    return cpuResult(target, started, {
      gflops: m.throughput.gflops,
      peak,
      latencyP50Ms: l.p50_ms,
      latencyP99Ms: l.p99_ms,
      shape: `throughput ${t.n}x${t.n}x${t.n} fp32 on ${m.threads} BLAS threads, median of ${t.iterations}; latency ${l.n}x${l.n}x${l.n}, ${l.iterations} iterations`,
      versions: {
        kernel: numpyKernelLabel(m),
        numpy: m.numpy,
        python: `${m.python} (${c.python})`,
        blas: `${m.blas.name} ${m.blas.version}, core ${m.blas.core}${kernelEnv.length ? ` (${kernelEnv.join(' ')} set in the environment)` : ''}`,
        threads: String(m.threads),
        cpu: facts.model,
        peak: peakText(peak),
      },
    });
  }

  async function runJs(target: BenchTarget, opts: BenchRunOptions, why: string, workers: number, facts: CpuFacts, started: number): Promise<BenchResult> {
    const m = await measureCpuGemm({
      budgetMs: opts.budgetMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(config.n ? { n: config.n } : {}),
      ...(config.latencyN ? { latencyN: config.latencyN } : {}),
      ...(config.rounds ? { rounds: config.rounds } : {}),
      workers,
      onProgress: (phase, f) =>
        opts.onProgress?.({ target: target.id, backend: 'cpu', phase, fraction: phase === 'throughput' ? f * 0.85 : 1 }),
    });
    const gflops = quantile(m.roundGflops, 0.5);
    const peak = cpuPeak(facts, workers);
    return cpuResult(target, started, {
      gflops,
      peak,
      latencyP50Ms: quantile(m.latencySamplesMs, 0.5),
      latencyP99Ms: quantile(m.latencySamplesMs, 0.99),
      shape: `throughput ${m.n}x${m.n}x${m.n} fp32 x${m.workers} processes, median of ${m.roundGflops.length} rounds; latency ${m.latencyN}x${m.latencyN}x${m.latencyN} on 1 process`,
      versions: {
        kernel: JS_KERNEL,
        kernelNote: `last resort, scalar JS 4x4 register tile (float32 storage, float64 accumulate): ${why}`,
        node: process.versions.node,
        v8: process.versions.v8,
        cpu: facts.model,
        peak: peakText(peak),
      },
    });
  }
}

/** What every CPU kernel's run reports: FP32 measured, FP16-eq by the protocol's rule, ratio to the peak. */
function cpuResult(
  target: BenchTarget,
  started: number,
  m: { gflops: number; peak: ReturnType<typeof cpuPeak>; latencyP50Ms: number; latencyP99Ms: number; shape: string; versions: Record<string, string> },
): BenchResult {
  const rawTflops = roundTo(m.gflops / 1000, 6);
  return {
    target: target.id,
    backend: 'cpu',
    fp16: toFp16Eq({ fp32: rawTflops }, { kind: 'measured', source: 'bench:cpu' }),
    rawTflops,
    precision: 'fp32',
    latencyP50Ms: roundTo(m.latencyP50Ms, 4),
    latencyP99Ms: roundTo(m.latencyP99Ms, 4),
    ratioToNominal: ratioTo(m.gflops, m.peak?.gflops),
    shape: m.shape,
    versions: m.versions,
    atMs: started,
    durationMs: Date.now() - started,
  };
}

function peakText(peak: ReturnType<typeof cpuPeak>): string {
  return peak ? `${roundTo(peak.gflops, 1)} GFLOPS = ${peak.assumption}` : 'unknown: clock or vector width not in /proc/cpuinfo';
}
