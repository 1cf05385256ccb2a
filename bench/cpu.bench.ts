// CPU compute figures of this machine, by the agent's own benchmark backends:
//   bench.cpu.gflops          FP32 GFLOPS of the cpu backend (numpy's BLAS where a Python has it,
//                             else the JS last resort; the note names the kernel), all cores, median of runs
//   bench.cpu.ratio_to_peak   that / bench.cpu.peak_gflops
//   bench.cpu.peak_gflops     theoretical FP32 peak: cores × max clock × FLOPs/cycle (basis in the note)
//   bench.cpu.gflops.js       the JS kernel alone (the last resort), same cores
//   bench.cpu.latency_p50_ms  a 64³ GEMM by the bench.cpu.gflops kernel, median of the runs' p50
//   bench.torch_cpu.gflops    FP32 GFLOPS of agent/bench/torch_gemm.py on device cpu; only when a
//                             Python with torch is found (left out otherwise, never faked)
// This machine's environment sets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for old OpenBLAS builds; they
// pin a current one to its AVX2 kernel. As the environment's notes say, this command alone unsets
// both (the agent itself keeps whatever its environment says) and the note names the kernel run.
import { loadavg } from 'node:os';
import { cpuBackend } from '../agent/bench/cpu/backend.ts';
import { allowedCpus } from '../agent/bench/cpu/cores.ts';
import { cpuPeak, readCpuFacts } from '../agent/bench/cpu/peak.ts';
import { cpuTarget } from '../agent/bench/run.ts';
import { torchBackend } from '../agent/bench/torch/backend.ts';
import { findTorchPython } from '../agent/bench/torch/python.ts';
import type { BenchResult } from '../protocol/messages.ts';
import { median, type Figure } from './figures.ts';

const RUNS = 3;
const RUN_BUDGET_MS = 3000;
const KERNEL_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

export const budgetMs = 120_000;

export default async function cpuBench(): Promise<Figure[]> {
  const target = await cpuTarget();
  const facts = await readCpuFacts();
  const cores = (await allowedCpus()).count;
  const peak = cpuPeak(facts, cores);
  const env = { ...process.env };
  const unset = KERNEL_VARS.filter((v) => env[v] !== undefined).map((v) => `${v}=${env[v]}`);
  for (const v of KERNEL_VARS) delete env[v];

  // A shared machine's other work starves a multi-threaded BLAS (its threads wait for each other):
  // the note carries the load the figure was taken under.
  const load = loadavg()[0]!.toFixed(1);
  const best = await runs(cpuBackend({ env }), target);
  const jsRuns = await runs(cpuBackend({ kernel: 'js' }), target);
  const last = best[best.length - 1]!;
  const kernelOf = (r: BenchResult) => [r.versions.kernel, r.versions.blas, r.versions.kernelNote].filter(Boolean).join('; ');
  const gflops = median(best.map((r) => r.rawTflops * 1000));
  const figures: Figure[] = [
    {
      name: 'bench.cpu.gflops',
      value: gflops,
      unit: 'GFLOPS',
      note: `median of ${RUNS} runs; kernel ${kernelOf(last)}${unset.length ? ` (${unset.join(' ')} unset for this run)` : ''}; ${last.shape}; ${cores} logical CPUs, ${target.model}; load average ${load} at the start`,
    },
  ];
  if (peak) {
    figures.push(
      { name: 'bench.cpu.ratio_to_peak', value: gflops / peak.gflops, unit: 'ratio', note: `bench.cpu.gflops / bench.cpu.peak_gflops; kernel ${last.versions.kernel}` },
      { name: 'bench.cpu.peak_gflops', value: peak.gflops, unit: 'GFLOPS', note: `FP32 peak = ${peak.assumption}` },
    );
  } else {
    process.stderr.write('bench.cpu.ratio_to_peak and bench.cpu.peak_gflops left out: clock or vector width not in /proc/cpuinfo or cpufreq\n');
  }
  figures.push(
    {
      name: 'bench.cpu.gflops.js',
      value: median(jsRuns.map((r) => r.rawTflops * 1000)),
      unit: 'GFLOPS',
      note: `the last-resort JS kernel, median of ${RUNS} runs; ${jsRuns[0]!.shape}${peak ? `; ${(median(jsRuns.map((r) => r.rawTflops * 1000)) / peak.gflops).toFixed(3)} of peak` : ''}`,
    },
    {
      name: 'bench.cpu.latency_p50_ms',
      value: median(best.map((r) => r.latencyP50Ms)),
      unit: 'ms',
      note: `64x64x64 fp32 GEMM by ${last.versions.kernel}; p99 of last run ${last.latencyP99Ms} ms`,
    },
  );

  const py = await findTorchPython('cpu');
  if (py.ok) {
    const t = await torchBackend().run(target, { budgetMs: 8000 });
    figures.push({
      name: 'bench.torch_cpu.gflops',
      value: t.rawTflops * 1000,
      unit: 'GFLOPS',
      note: `torch ${t.versions.torch} via ${py.python}; ${t.shape}; ${t.versions.threads} threads`,
    });
  } else {
    process.stderr.write(`bench.torch_cpu.gflops left out: ${py.reason}\n`);
  }
  return figures;
}

async function runs(backend: ReturnType<typeof cpuBackend>, target: Awaited<ReturnType<typeof cpuTarget>>): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (let i = 0; i < RUNS; i++) out.push(await backend.run(target, { budgetMs: RUN_BUDGET_MS }));
  return out;
}
