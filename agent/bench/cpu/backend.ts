// The built-in CPU backend: every node gets a measured figure, even with no accelerator and no
// Python. FP32 GEMM in forked worker processes (each with a JIT, even under a --jitless agent),
// converted to FP16-eq by the protocol rule (fp32×2, weak).
import { availableParallelism } from 'node:os';
import type { BenchResult } from '../../../protocol/messages.ts';
import { toFp16Eq } from '../../../protocol/fp16.ts';
import { quantile } from '../../probe/stats.ts';
import { ratioTo, roundTo } from '../flops.ts';
import type { BenchBackend, BenchRunOptions, BenchTarget } from '../types.ts';
import { measureCpuGemm } from './measure.ts';
import { cpuPeak, readCpuFacts, type CpuFacts } from './peak.ts';

export interface CpuBackendOptions {
  n?: number;
  latencyN?: number;
  workers?: number;
  rounds?: number;
  /** For tests and odd hosts; read from /proc/cpuinfo otherwise. */
  facts?: CpuFacts;
}

export function cpuBackend(config: CpuBackendOptions = {}): BenchBackend {
  return {
    name: 'cpu',
    async available(target) {
      return target.kind === 'cpu' ? { ok: true } : { ok: false, reason: 'the cpu backend measures the host CPU only' };
    },
    async run(target: BenchTarget, opts: BenchRunOptions): Promise<BenchResult> {
      const started = Date.now();
      const workers = config.workers ?? availableParallelism();
      const facts = config.facts ?? (await readCpuFacts());
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
      const rawTflops = roundTo(gflops / 1000, 6);
      return {
        target: target.id,
        backend: 'cpu',
        fp16: toFp16Eq({ fp32: rawTflops }, { kind: 'measured', source: 'bench:cpu' }),
        rawTflops,
        precision: 'fp32',
        latencyP50Ms: roundTo(quantile(m.latencySamplesMs, 0.5), 4),
        latencyP99Ms: roundTo(quantile(m.latencySamplesMs, 0.99), 4),
        ratioToNominal: ratioTo(gflops, peak?.gflops),
        shape: `throughput ${m.n}x${m.n}x${m.n} fp32 x${m.workers} processes, median of ${m.roundGflops.length} rounds; latency ${m.latencyN}x${m.latencyN}x${m.latencyN} on 1 process`,
        versions: {
          node: process.versions.node,
          v8: process.versions.v8,
          cpu: facts.model,
          kernel: 'js-4x4-register-tile (float32 storage, float64 accumulate)',
          peak: peak ? `${roundTo(peak.gflops, 1)} GFLOPS = ${peak.assumption}` : 'unknown: clock or vector width not in /proc/cpuinfo',
        },
        atMs: started,
        durationMs: Date.now() - started,
      };
    },
  };
}
