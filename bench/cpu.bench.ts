// CPU compute figures of this machine, by the agent's own benchmark backends:
//   bench.cpu.gflops          FP32 GFLOPS of the built-in GEMM in forked worker processes, all cores (median of runs)
//   bench.cpu.ratio_to_peak   that / theoretical FP32 peak from /proc/cpuinfo (assumption in the note)
//   bench.cpu.latency_p50_ms  a 64³ GEMM in one worker process, median of the runs' p50
//   bench.torch_cpu.gflops    FP32 GFLOPS of agent/bench/torch_gemm.py on device cpu; only when a
//                             Python with torch is found (left out otherwise, never faked)
import { availableParallelism } from 'node:os';
import { cpuBackend } from '../agent/bench/cpu/backend.ts';
import { cpuTarget } from '../agent/bench/run.ts';
import { torchBackend } from '../agent/bench/torch/backend.ts';
import { findTorchPython } from '../agent/bench/torch/python.ts';
import type { BenchResult } from '../protocol/messages.ts';
import { median, type Figure } from './figures.ts';

const RUNS = 3;
const RUN_BUDGET_MS = 3000;

export default async function cpuBench(): Promise<Figure[]> {
  const target = await cpuTarget();
  const runs: BenchResult[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await cpuBackend().run(target, { budgetMs: RUN_BUDGET_MS }));
  const last = runs[runs.length - 1]!;
  const figures: Figure[] = [
    {
      name: 'bench.cpu.gflops',
      value: median(runs.map((r) => r.rawTflops * 1000)),
      unit: 'GFLOPS',
      note: `median of ${RUNS} runs; ${last.shape}; ${availableParallelism()} logical CPUs, ${target.model}`,
    },
  ];
  const ratios = runs.map((r) => r.ratioToNominal).filter((r) => r > 0);
  if (ratios.length) {
    figures.push({ name: 'bench.cpu.ratio_to_peak', value: median(ratios), unit: 'ratio', note: `peak ${last.versions.peak}` });
  }
  figures.push({
    name: 'bench.cpu.latency_p50_ms',
    value: median(runs.map((r) => r.latencyP50Ms)),
    unit: 'ms',
    note: `64x64x64 fp32 GEMM in one worker process; p99 of last run ${last.latencyP99Ms} ms`,
  });

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
