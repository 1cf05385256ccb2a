// Preemption: when nothing fits, a node where evicting lower-priority preemptible allocations
// makes room. Ranked by fewest evicted workloads, then the lowest evicted priority, then score.
import type { RttEstimate } from '../latency/types.ts';
import type { WorkloadSpec } from '../workloads/spec.ts';
import { better, type Evaluated } from './decision.ts';
import { chooseAccelerators, scoreNode, weightedTotal } from './plugins.ts';
import type { PlacementAccelerator, PlacementNode, ScoreBreakdown } from './types.ts';

export interface PreemptOption {
  e: Evaluated;
  evict: string[];
  /** The highest priority among the chosen accelerators' holders (-1 for a free one). */
  maxPriority: number;
}

/** The preemption option on one node that already passed the host and latency checks, if any. */
export function preemptOption(node: PlacementNode, est: RttEstimate | undefined, spec: WorkloadSpec, w: ScoreBreakdown): PreemptOption | null {
  const evictable = (a: PlacementAccelerator) => !a.allocatedTo || (a.allocatedTo.preemptible && a.allocatedTo.priority < spec.priority);
  // Free accelerators first, then those of the lowest-priority victims.
  const pool = chooseAccelerators(node, { ...spec, needs: { ...spec.needs, accelerators: node.accelerators.length } }, evictable);
  pool.sort((a, b) => (a.allocatedTo?.priority ?? -1) - (b.allocatedTo?.priority ?? -1) || Number(b.domestic) - Number(a.domestic) || a.index - b.index);
  const chosen = pool.slice(0, spec.needs.accelerators);
  if (chosen.length < spec.needs.accelerators) return null;
  const evict = [...new Set(chosen.flatMap((a) => (a.allocatedTo ? [a.allocatedTo.workload] : [])))].sort();
  if (evict.length === 0) return null;
  const maxPriority = Math.max(...chosen.map((a) => a.allocatedTo?.priority ?? -1));
  const used = node.accelerators.reduce((n, a) => n + (a.allocatedTo && !chosen.includes(a) ? 1 : 0), 0);
  const breakdown = scoreNode(node, chosen, est, spec, used);
  return { e: { node, chosen, est, breakdown, total: weightedTotal(breakdown, w, spec) }, evict, maxPriority };
}

export function preemptBetter(a: PreemptOption, b: PreemptOption | null): boolean {
  if (!b) return true;
  if (a.evict.length !== b.evict.length) return a.evict.length < b.evict.length;
  if (a.maxPriority !== b.maxPriority) return a.maxPriority < b.maxPriority;
  return better(a.e, b.e);
}
