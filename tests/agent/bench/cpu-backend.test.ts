import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../../agent/bench/cpu/backend.ts';
import { measureCpuGemm } from '../../../agent/bench/cpu/measure.ts';
import type { BenchTarget } from '../../../agent/bench/types.ts';

const cpu: BenchTarget = { id: 'cpu', kind: 'cpu', model: 'test CPU', cores: 2 };

describe('cpu backend', () => {
  it('measures a positive FP32 figure and converts it by the fp32x2 rule, flagged weak', async () => {
    const phases = new Set<string>();
    const r = await cpuBackend({ n: 64, latencyN: 16, workers: 2, rounds: 3 }).run(cpu, {
      budgetMs: 600,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(r.backend).toBe('cpu');
    expect(r.precision).toBe('fp32');
    expect(r.rawTflops).toBeGreaterThan(0);
    expect(r.fp16).toMatchObject({ basis: 'fp32x2', weak: true, kind: 'measured', source: 'bench:cpu' });
    expect(r.fp16.tflops).toBeCloseTo(r.rawTflops * 2, 3);
    expect(r.latencyP50Ms).toBeGreaterThan(0);
    expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms);
    expect(r.shape).toMatch(/64x64x64 fp32 x2 threads, median of 3 rounds/);
    expect(r.versions.peak).toBeTruthy();
    expect([...phases]).toEqual(['throughput', 'latency']);
  });

  it('sums every worker of a round', async () => {
    const m = await measureCpuGemm({ budgetMs: 300, n: 32, latencyN: 8, workers: 2, rounds: 2 });
    expect(m.roundGflops).toHaveLength(2);
    expect(m.roundGflops.every((g) => g > 0)).toBe(true);
    expect(m.latencySamplesMs.length).toBeGreaterThan(0);
  });

  it('stops its workers when cancelled', async () => {
    const ctl = new AbortController();
    let rounds = 0;
    // A minute of budget makes each timed round ~8 s: cancelling after 300 ms must end the run
    // before any round reports, which only happens if the workers are terminated.
    const run = cpuBackend({ n: 64, workers: 2 }).run(cpu, {
      budgetMs: 60_000,
      signal: ctl.signal,
      onProgress: () => rounds++,
    });
    setTimeout(() => ctl.abort(), 300);
    await expect(run).rejects.toMatchObject({ name: 'BenchError', code: 'aborted' });
    expect(rounds).toBe(0);
  });

  it('refuses accelerators', async () => {
    const acc = { id: 'acc:0', kind: 'accelerator' } as unknown as BenchTarget;
    expect(await cpuBackend().available(acc)).toMatchObject({ ok: false });
  });
});
