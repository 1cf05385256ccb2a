// What a node has free, summarised once per change (upsert, allocate, release), so placement can
// bound a node's score and rule it out in O(1) before looking at its accelerators.
import type { PlacementNode } from './types.ts';

export interface CapacitySummary {
  total: number;
  free: number;
  freeDomestic: number;
  /** Free plus held by preemptible work: the most a preemption could make room for. */
  evictable: number;
  /** One entry per accelerator held by preemptible work. */
  preemptiblePriorities: number[];
}

export function summarize(node: PlacementNode): CapacitySummary {
  const s: CapacitySummary = { total: node.accelerators.length, free: 0, freeDomestic: 0, evictable: 0, preemptiblePriorities: [] };
  for (const a of node.accelerators) {
    if (!a.allocatedTo) {
      s.free++;
      s.evictable++;
      if (a.domestic) s.freeDomestic++;
    } else if (a.allocatedTo.preemptible) {
      s.evictable++;
      s.preemptiblePriorities.push(a.allocatedTo.priority);
    }
  }
  return s;
}
