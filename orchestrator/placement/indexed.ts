// Placement over the index's structures instead of a scan.
// - With an SLO: the target's nodes in order of effective RTT (cached per model version). Walk it
//   while the RTT meets the SLO; skip a node whose O(1) score bound (from its capacity summary)
//   cannot beat the best so far; stop when the bound for every node further on cannot either.
// - Without one: the nodes bucketed by free accelerators, visited from the best-packing bucket
//   (fewest free that fit for bin-packing, most free for spreading), stopping the same way.
// Both give the same node and score as a full scan: every skip is proved by an upper bound, and
// ties (same total) are never skipped, so the lowest id still wins them.
import type { LatencyTarget } from '../latency/types.ts';
import { targetKey } from '../latency/types.ts';
import type { WorkloadSpec } from '../workloads/spec.ts';
import type { CapacitySummary } from './capacity.ts';
import { Tally, TopN, decision, withPreemption, type Evaluated } from './decision.ts';
import type { PlacementIndex, TargetOrder } from './placement-index.ts';
import {
  HOST_FILTERS, chooseAccelerators, effectiveRtt, filterAccelerators, filterFp16, filterLatency, latencyScoreOf, scoreNode, weightedTotal, type FilterContext,
} from './plugins.ts';
import { preemptBetter, preemptOption, type PreemptOption } from './preempt.ts';
import type { Decision, FilterName, LatencyEstimator, PlacementNode, ScoreBreakdown } from './types.ts';

/** Slack on every bound, so a rounding difference between a bound and a score never skips a tie. */
const EPS = 1e-9;

interface Search {
  spec: WorkloadSpec;
  index: PlacementIndex;
  latency: LatencyEstimator;
  ctx: FilterContext;
  w: ScoreBreakdown;
  labels: [string, string][];
  need: number;
  tally: Tally;
  top: TopN;
}

export function newSearch(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, topN: number): Search {
  return { spec, index, latency, ctx, w, labels: Object.entries(spec.needs.labels), need: spec.needs.accelerators, tally: new Tally(), top: new TopN(topN) };
}

/** Effective RTT order for a target: every node the model can estimate, then the ones it cannot. */
export function buildOrder(index: PlacementIndex, latency: LatencyEstimator, target: LatencyTarget, version: number): TargetOrder {
  const slots: number[] = [];
  const eff: number[] = [];
  const unreachable: number[] = [];
  for (const slot of index.slots()) {
    const est = latency.estimateTo(index.nodeAt(slot).id, target);
    if (!est) unreachable.push(slot);
    else {
      slots.push(slot);
      eff.push(effectiveRtt(est));
    }
  }
  const ids = slots.map((s) => index.nodeAt(s).id);
  const perm = Array.from(slots.keys()).sort((a, b) => eff[a]! - eff[b]! || (ids[a]! < ids[b]! ? -1 : 1));
  return {
    version, membership: index.membership,
    slots: Int32Array.from(perm, (i) => slots[i]!),
    effMs: Float64Array.from(perm, (i) => eff[i]!),
    unreachable: Int32Array.from(unreachable),
  };
}

/** The cached order for the target, patched for the nodes whose estimate moved, or rebuilt. */
function currentOrder(s: Search, target: LatencyTarget, version: number): TargetOrder {
  const key = targetKey(target);
  const cached = s.index.cachedOrder(key);
  if (cached?.version === version) return cached;
  const changed = cached ? s.latency.changedSince?.(target, cached.version) : null;
  const order = (cached && changed && patchOrder(s.index, s.latency, target, version, cached, changed)) || buildOrder(s.index, s.latency, target, version);
  s.index.storeOrder(key, order);
  return order;
}

/**
 * Re-sorts only the nodes whose estimate moved: O(N + d log d) for d of them instead of N
 * estimates and an O(N log N) sort. Gives up (null) when so many moved that a rebuild is cheaper.
 */
export function patchOrder(index: PlacementIndex, latency: LatencyEstimator, target: LatencyTarget, version: number, old: TargetOrder, changed: Iterable<string>): TargetOrder | null {
  const moved = new Set<number>();
  for (const id of changed) {
    const slot = index.slotOf(id);
    if (slot !== undefined) moved.add(slot);
  }
  if (moved.size > (old.slots.length + old.unreachable.length) / 8) return null;
  // A byte per slot: the O(N) merge below tests it for every node.
  let maxSlot = 0;
  for (const slot of old.slots) maxSlot = Math.max(maxSlot, slot);
  for (const slot of moved) maxSlot = Math.max(maxSlot, slot);
  const isMoved = new Uint8Array(maxSlot + 1);
  for (const slot of moved) isMoved[slot] = 1;
  const patch: { slot: number; eff: number }[] = [];
  const unreachable = Array.from(old.unreachable).filter((slot) => !moved.has(slot));
  for (const slot of moved) {
    const est = latency.estimateTo(index.nodeAt(slot).id, target);
    if (est) patch.push({ slot, eff: effectiveRtt(est) });
    else unreachable.push(slot);
  }
  patch.sort((a, b) => a.eff - b.eff);
  const slots = new Int32Array(old.slots.length + patch.length);
  const effMs = new Float64Array(old.slots.length + patch.length);
  let k = 0;
  let p = 0;
  for (let i = 0; i < old.slots.length; i++) {
    const slot = old.slots[i]!;
    if (isMoved[slot] === 1) continue;
    const eff = old.effMs[i]!;
    while (p < patch.length && patch[p]!.eff <= eff) {
      slots[k] = patch[p]!.slot;
      effMs[k++] = patch[p++]!.eff;
    }
    slots[k] = slot;
    effMs[k++] = eff;
  }
  for (; p < patch.length; p++) {
    slots[k] = patch[p]!.slot;
    effMs[k++] = patch[p]!.eff;
  }
  return { version, membership: old.membership, slots: slots.subarray(0, k), effMs: effMs.subarray(0, k), unreachable: Int32Array.from(unreachable) };
}

export function placeByTargetOrder(s: Search, allowPreemption: boolean): Decision {
  const { index, spec } = s;
  const slo = spec.latency!;
  const version = s.latency.version!;
  const order = currentOrder(s, slo.to, version);
  const maxOther = s.w.packing * maxPacking(s) + s.w.domestic * (s.need > 0 ? 1 : 0);
  let examined = 0;
  let i = 0;
  for (; i < order.slots.length && order.effMs[i]! <= slo.maxRttMs; i++) {
    const best = s.top.best;
    const lat = s.w.latency * latencyScoreOf(order.effMs[i]!, slo.maxRttMs);
    if (best && lat + maxOther + EPS < best.total) break;
    const slot = order.slots[i]!;
    const cap = index.capacityAt(slot);
    if (best && lat + otherBound(s, cap) + EPS < best.total) continue;
    examined++;
    consider(s, index.nodeAt(slot), cap);
  }
  if (s.top.best) return decision(s.top, s.tally, index.size - examined);
  // Nothing fits: everything past the SLO is out on latency (sampled reasons, counted in bulk).
  countOutOfSlo(s, order, i);
  const nothing = decision(s.top, s.tally, 0);
  if (!allowPreemption) return nothing;
  const p = preemptInOrder(s, order, i);
  return p ? withPreemption(nothing, p) : nothing;
}

export function placeByFreeCapacity(s: Search): Decision {
  const { index, spec } = s;
  const binpack = spec.strategy === 'binpack';
  const top = index.maxFreeBucket;
  const maxTotal = index.maxAccelerators;
  const domestic = s.w.domestic * (s.need > 0 ? 1 : 0);
  // Same arithmetic as weightedTotal without latency, so no score can exceed it.
  const maxTotalScore = s.w.packing * 1 + domestic;
  let examined = 0;
  for (let step = 0; step <= top - s.need; step++) {
    const f = binpack ? s.need + step : top - step;
    const best = s.top.best;
    // Upper bounds on packing for any node with f free (so at least f accelerators in all).
    const packing = binpack ? (maxTotal === 0 ? 1 : 1 - (f - s.need) / maxTotal) : f === 0 ? 0 : (f - s.need) / f;
    if (best && s.w.packing * packing + domestic + EPS < best.total) break;
    // In id order, so once the best reaches the most any node could score, the rest of the
    // bucket loses; and a node whose bound only ties the best loses on id unless its id is lower.
    for (const slot of index.withFree(f)) {
      const b = s.top.best;
      if (b && b.total >= maxTotalScore) break;
      const cap = index.capacityAt(slot);
      const bound = otherBound(s, cap);
      if (b && (bound < b.total || (bound === b.total && index.nodeAt(slot).id > b.node.id))) continue;
      examined++;
      consider(s, index.nodeAt(slot), cap);
    }
  }
  if (s.top.best) return decision(s.top, s.tally, index.size - examined);
  // Nothing fits: nodes short of free accelerators are counted without visiting each one.
  for (let f = 0; f < Math.min(s.need, top + 1); f++) {
    const bucket = index.withFree(f);
    if (bucket.length === 0) continue;
    s.tally.rejectMany('accelerators', bucket.length, () => filterAccelerators(index.nodeAt(bucket[0]!), s.ctx));
  }
  return decision(s.top, s.tally, 0);
}

/** Runs the host filters in pipeline order on one node and offers it if it passes. */
function consider(s: Search, node: PlacementNode, cap: CapacitySummary): void {
  const rejected = hostReject(s, node, cap);
  if (rejected !== null) {
    s.tally.rejectMany(rejected, 1, () => HOST_FILTERS.find((f) => f.name === rejected)!.run(node, s.ctx));
    return;
  }
  const est = s.spec.latency ? s.latency.estimateTo(node.id, s.spec.latency.to) : undefined;
  const chosen = chooseAccelerators(node, s.spec, (a) => !a.allocatedTo);
  const breakdown = scoreNode(node, chosen, est, s.spec, cap.total - cap.free);
  const e: Evaluated = { node, chosen, est, breakdown, total: weightedTotal(breakdown, s.w, s.spec) };
  s.top.offer(e);
}

function hostReject(s: Search, node: PlacementNode, cap: CapacitySummary): FilterName | null {
  if (!node.online || s.ctx.nowMs - node.lastSeenMs > s.ctx.freshMs) return 'online-fresh';
  for (const [k, v] of s.labels) if (node.labels[k] !== v) return 'labels';
  if (cap.free < s.need || filterAccelerators(node, s.ctx) !== null) return 'accelerators';
  if (filterFp16(node, s.ctx) !== null) return 'fp16-capacity';
  return null;
}

/** The most packing + domestic score this node could give the spec (same arithmetic as scoreNode). */
function otherBound(s: Search, cap: CapacitySummary): number {
  const binpack = s.spec.strategy === 'binpack';
  const utilisation = cap.total === 0 ? 1 : (cap.total - cap.free + s.need) / cap.total;
  const domestic = s.need === 0 ? 0 : Math.min(cap.freeDomestic, s.need) / s.need;
  return s.w.packing * (binpack ? utilisation : 1 - utilisation) + s.w.domestic * domestic;
}

/** The most packing any node could give: spreading is best on the largest empty node. */
function maxPacking(s: Search): number {
  const maxTotal = s.index.maxAccelerators;
  if (s.spec.strategy === 'binpack' || maxTotal === 0) return 1;
  return Math.max(0, 1 - s.need / maxTotal);
}

function countOutOfSlo(s: Search, order: TargetOrder, from: number): void {
  const out = order.slots.length - from + order.unreachable.length;
  const sample = from < order.slots.length ? order.slots[from]! : order.unreachable[0];
  if (sample === undefined) return;
  s.tally.rejectMany('latency-slo', out, () => {
    const node = s.index.nodeAt(sample);
    return filterLatency(node, s.latency.estimateTo(node.id, s.spec.latency!.to), s.spec);
  });
}

/**
 * Preemption over the nodes within the SLO. Stops early once the best option evicts one workload
 * of the lowest preemptible priority there is (nothing can rank above that but a better score)
 * and no node further on can beat its score.
 */
function preemptInOrder(s: Search, order: TargetOrder, end: number): { e: Evaluated; evict: string[] } | null {
  const { index, spec } = s;
  const slo = spec.latency!;
  const floor = index.lowestPreemptiblePriority();
  if (floor === null || floor >= spec.priority) return null;
  const maxOther = s.w.packing * maxPacking(s) + s.w.domestic * (s.need > 0 ? 1 : 0);
  let best: PreemptOption | null = null;
  for (let i = 0; i < end; i++) {
    const lat = s.w.latency * latencyScoreOf(order.effMs[i]!, slo.maxRttMs);
    if (best && best.evict.length === 1 && best.maxPriority <= floor && lat + maxOther + EPS < best.e.total) break;
    const slot = order.slots[i]!;
    if (index.capacityAt(slot).evictable < s.need) continue;
    const node = index.nodeAt(slot);
    if (!node.online || s.ctx.nowMs - node.lastSeenMs > s.ctx.freshMs) continue;
    if (s.labels.some(([k, v]) => node.labels[k] !== v)) continue;
    const option = preemptOption(node, s.latency.estimateTo(node.id, slo.to), spec, s.w);
    if (option && preemptBetter(option, best)) best = option;
  }
  return best && { e: best.e, evict: best.evict };
}
