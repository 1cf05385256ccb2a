// Placement over the index's structures instead of a scan.
// - With an SLO: the target's RTT buckets (rtt-buckets.ts), walked from the nearest. Each node
//   carries a lower bound on its current effective RTT; skip a node whose O(1) score bound (that
//   bound plus its capacity summary) cannot beat the best so far; stop at the first bucket whose
//   floor is past the SLO or cannot beat it either. A node examined is judged on the model's
//   current estimate, SLO included, so a stale figure can cost time, never a wrong placement.
// - Without one: the nodes bucketed by free accelerators, visited from the best-packing bucket
//   (fewest free that fit for bin-packing, most free for spreading), stopping the same way.
// Both give the same node and score as a full scan: every skip is proved by an upper bound, and
// ties (same total) are never skipped, so the lowest id still wins them.
import type { LatencyTarget } from '../latency/types.ts';
import { targetKey } from '../latency/types.ts';
import type { WorkloadSpec } from '../workloads/spec.ts';
import type { CapacitySummary } from './capacity.ts';
import { Tally, TopN, decision, withPreemption, type Evaluated } from './decision.ts';
import type { PlacementIndex } from './placement-index.ts';
import { RttBuckets } from './rtt-buckets.ts';
import {
  HOST_FILTERS, chooseAccelerators, isAvailable, filterAccelerators, filterFp16, filterLatency, latencyScoreOf, scoreNode, weightedTotal, type FilterContext,
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

/** Drifted bounds wider than this (ms, at the SLO) cost more walking than a rebuild: rebuild. */
const MAX_WIDENING_MS = 1;

/** The cached buckets for the target, brought to the model's version, or rebuilt. */
function currentBuckets(s: Search, target: LatencyTarget, version: number, maxRttMs: number): RttBuckets {
  const key = targetKey(target);
  const cached = s.index.cachedOrder(key);
  if (cached && cached.refresh(s.index, s.latency, version) && cached.widening(maxRttMs) <= MAX_WIDENING_MS) return cached;
  const built = RttBuckets.build(s.index, s.latency, target, version);
  s.index.storeOrder(key, built);
  return built;
}

export function placeByTargetOrder(s: Search, allowPreemption: boolean): Decision {
  const { index, spec } = s;
  const slo = spec.latency!;
  const max = slo.maxRttMs;
  const order = currentBuckets(s, slo.to, s.latency.version!, max);
  const maxOther = s.w.packing * maxPacking(s) + s.w.domestic * (s.need > 0 ? 1 : 0);
  let examined = 0;
  let inSlo = 0;
  let outSample: number | undefined;
  let b = 0;
  for (; b < order.buckets.length; b++) {
    const floor = order.bucketFloor(b);
    if (floor > max) break;
    if (s.top.best && s.w.latency * latencyScoreOf(floor, max) + maxOther + EPS < s.top.best.total) break;
    for (const slot of order.buckets[b]!) {
      const lb = order.lowerBound(slot);
      if (lb > max) {
        outSample ??= slot;
        continue;
      }
      inSlo++;
      const best = s.top.best;
      const lat = s.w.latency * latencyScoreOf(lb, max);
      if (best && lat + maxOther + EPS < best.total) continue;
      const cap = index.capacityAt(slot);
      if (best && lat + otherBound(s, cap) + EPS < best.total) continue;
      examined++;
      consider(s, index.nodeAt(slot), cap);
    }
  }
  if (s.top.best) return decision(s.top, s.tally, index.size - examined);
  // Nothing fits: every node never reached (or with a bound past the SLO) is out on latency,
  // counted in bulk with one sampled reason.
  countOutOfSlo(s, order, order.reachable - inSlo, outSample ?? firstFrom(order, b));
  const nothing = decision(s.top, s.tally, 0);
  if (!allowPreemption) return nothing;
  const p = preemptInBuckets(s, order, b);
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
  // The bucket's figure may be stale: the SLO is judged on the current estimate.
  const late = filterLatency(node, est, s.spec);
  if (late !== null) {
    s.tally.reject('latency-slo', late);
    return;
  }
  const chosen = chooseAccelerators(node, s.spec, (a) => !a.allocatedTo);
  const breakdown = scoreNode(node, chosen, est, s.spec, cap.total - cap.free);
  const e: Evaluated = { node, chosen, est, breakdown, total: weightedTotal(breakdown, s.w, s.spec) };
  s.top.offer(e);
}

function hostReject(s: Search, node: PlacementNode, cap: CapacitySummary): FilterName | null {
  if (!isAvailable(node, s.ctx)) return 'online-fresh';
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

function countOutOfSlo(s: Search, order: RttBuckets, reachableOut: number, sample: number | undefined): void {
  sample ??= order.unreachable.values().next().value;
  if (sample === undefined) return;
  s.tally.rejectMany('latency-slo', reachableOut + order.unreachable.size, () => {
    const node = s.index.nodeAt(sample);
    return filterLatency(node, s.latency.estimateTo(node.id, s.spec.latency!.to), s.spec);
  });
}

/** Some node in bucket `from` or later (all of them past the SLO once the walk stopped there). */
function firstFrom(order: RttBuckets, from: number): number | undefined {
  for (let b = from; b < order.buckets.length; b++) if (order.buckets[b]!.length > 0) return order.buckets[b]![0];
  return undefined;
}

/**
 * Preemption over the nodes within the SLO (buckets before `end`). Stops early once the best
 * option evicts one workload of the lowest preemptible priority there is (nothing can rank above
 * that but a better score) and no node further on can beat its score.
 */
function preemptInBuckets(s: Search, order: RttBuckets, end: number): { e: Evaluated; evict: string[] } | null {
  const { index, spec } = s;
  const slo = spec.latency!;
  const floor = index.lowestPreemptiblePriority();
  if (floor === null || floor >= spec.priority) return null;
  const maxOther = s.w.packing * maxPacking(s) + s.w.domestic * (s.need > 0 ? 1 : 0);
  let best: PreemptOption | null = null;
  const settled = () => best !== null && best.evict.length === 1 && best.maxPriority <= floor;
  for (let b = 0; b <= end && b < order.buckets.length; b++) {
    const bucketLat = s.w.latency * latencyScoreOf(order.bucketFloor(b), slo.maxRttMs);
    if (settled() && bucketLat + maxOther + EPS < best!.e.total) break;
    for (const slot of order.buckets[b]!) {
      const lb = order.lowerBound(slot);
      if (lb > slo.maxRttMs) continue;
      if (settled() && s.w.latency * latencyScoreOf(lb, slo.maxRttMs) + maxOther + EPS < best!.e.total) continue;
      if (index.capacityAt(slot).evictable < s.need) continue;
      const node = index.nodeAt(slot);
      if (!isAvailable(node, s.ctx)) continue;
      if (s.labels.some(([k, v]) => node.labels[k] !== v)) continue;
      const est = s.latency.estimateTo(node.id, slo.to);
      if (filterLatency(node, est, spec) !== null) continue;
      const option = preemptOption(node, est, spec, s.w);
      if (option && preemptBetter(option, best)) best = option;
    }
  }
  return best && { e: best.e, evict: best.evict };
}
