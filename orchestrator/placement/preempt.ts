// Preemption, when nothing fits a workload that may preempt: the same walk over the same nodes,
// with accelerators held by lower-priority preemptible work counted as usable. Options rank by
// fewest workloads evicted, then the lowest priority evicted, then score (then node id).
import { better, type Evaluated } from './explain.ts';
import type { Ranking } from './walker.ts';

export interface PreemptOption {
  e: Evaluated;
  evict: string[];
  /** The highest priority among the chosen accelerators' holders (-1 for a free one). */
  maxPriority: number;
}

function optionOf(e: Evaluated): PreemptOption | null {
  const evict = [...new Set(e.chosen.flatMap((a) => (a.allocatedTo ? [a.allocatedTo.workload] : [])))].sort();
  // Free cards alone would have been placed without preemption.
  if (evict.length === 0) return null;
  return { e, evict, maxPriority: Math.max(...e.chosen.map((a) => a.allocatedTo?.priority ?? -1)) };
}

function preemptBetter(a: PreemptOption, b: PreemptOption | null): boolean {
  if (!b) return true;
  if (a.evict.length !== b.evict.length) return a.evict.length < b.evict.length;
  if (a.maxPriority !== b.maxPriority) return a.maxPriority < b.maxPriority;
  return better(a.e, b.e);
}

/**
 * The ranking for the preemption walk. Score bounds prune only once the best option evicts one
 * workload of the lowest preemptible priority in the fleet: nothing can rank above that but a
 * better score.
 */
export class PreemptRanking implements Ranking {
  best: PreemptOption | null = null;
  constructor(private readonly lowestPriority: number) {}
  threshold(): number {
    const b = this.best;
    return b !== null && b.evict.length === 1 && b.maxPriority <= this.lowestPriority ? b.e.total : -Infinity;
  }
  tieId(): string | null {
    return null;
  }
  offer(e: Evaluated): void {
    const o = optionOf(e);
    if (o && preemptBetter(o, this.best)) this.best = o;
  }
}
