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
  /** The node's energy-efficiency tier (efficiencyTier): free buckets are split by it. */
  tier: number;
}

/** Width of an efficiency tier, in FP16-eq TFLOPS per watt. */
export const TIER_STEP = 0.05;
const TOP_TIER = 200;

/** 0: no figure; then one tier per TIER_STEP, the last one open-ended. */
export function efficiencyTier(tflopsPerWatt: number | undefined): number {
  if (tflopsPerWatt === undefined || !(tflopsPerWatt > 0)) return 0;
  return 1 + Math.min(TOP_TIER - 1, Math.floor(tflopsPerWatt / TIER_STEP));
}

export function summarize(node: PlacementNode): CapacitySummary {
  const s: CapacitySummary = { total: node.accelerators.length, free: 0, freeDomestic: 0, evictable: 0, preemptiblePriorities: [], tier: efficiencyTier(node.tflopsPerWatt) };
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
