// How a benchmark result names what it measured (BenchResult.target): the host CPU, or one
// accelerator by its index in the birth. The agent writes these names and the orchestrator reads
// them back to match a figure to its card, so the convention has one home.

export const CPU_BENCH_TARGET = 'cpu';

export type AcceleratorBenchTarget = `acc:${number}`;

/** The target name of the accelerator at `index` in the node's birth. */
export function benchTarget(index: number): AcceleratorBenchTarget {
  return `acc:${index}`;
}

/** The accelerator index a target names, or null for the CPU or anything that is not `acc:<index>`. */
export function parseBenchTarget(target: string): number | null {
  const m = /^acc:(0|[1-9][0-9]{0,5})$/.exec(target);
  return m ? Number(m[1]) : null;
}
