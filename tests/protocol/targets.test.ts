// Bench target names: written by the agent, read back by the orchestrator to match a figure to its card.
import { describe, expect, it } from 'vitest';
import { benchTarget, CPU_BENCH_TARGET, parseBenchTarget } from '../../protocol/targets.ts';

describe('bench targets', () => {
  it('name an accelerator by its index and read it back', () => {
    for (const i of [0, 1, 7, 63, 1000]) expect(parseBenchTarget(benchTarget(i))).toBe(i);
    expect(benchTarget(3)).toBe('acc:3');
  });

  it('the CPU and anything else are not accelerators', () => {
    for (const t of [CPU_BENCH_TARGET, 'acc:', 'acc:-1', 'acc:01', 'acc:1.5', 'acc:1 ', 'gpu:0', '']) expect(parseBenchTarget(t), t).toBeNull();
  });
});
