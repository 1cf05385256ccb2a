// The placement pipeline: host filters (cheap first) → latency SLO → weighted scores →
// deterministic tie-break (node id). On a PlacementIndex with a versioned latency model the
// search runs over the index's RTT buckets and free buckets (indexed.ts); otherwise nearest-first or a scan.
import type { WorkloadSpec } from '../workloads/spec.ts';
import { isLatencyClass } from '../workloads/presets.ts';
import { Tally, TopN, decision, withPreemption, type Evaluated } from './decision.ts';
import { newSearch, placeByFreeCapacity, placeByTargetOrder } from './indexed.ts';
import type { PlacementIndex } from './placement-index.ts';
import {
  DEFAULT_WEIGHTS, HOST_FILTERS, chooseAccelerators, filterLatency, scoreNode, totalUpperBound, weightedTotal, type FilterContext,
} from './plugins.ts';
import { preemptBetter, preemptOption, type PreemptOption } from './preempt.ts';
import type { Decision, LatencyEstimator, PlacementNode, PlacementOptions, ScoreBreakdown } from './types.ts';

export { PlacementIndex } from './placement-index.ts';
export { better } from './decision.ts';

/**
 * Chooses a node for the spec.
 * Cost, with a versioned latency model (LatencyModel): a latency workload walks its target's
 * RTT buckets nearest first, O(1) per node skipped by its capacity bound, O(a) per node examined
 * (a accelerators), stopping once no node further on can win; keeping the buckets costs O(m)
 * for m nodes named by RTT samples since the target's last use (no sort), and an O(N) rebuild
 * only when the anchor's drift widens the bounds past 1 ms. A workload without an SLO walks the
 * free-capacity buckets from the best-packing end, with the same bounds. "Nothing fits" counts
 * the nodes outside the SLO (or short of free accelerators) in bulk and examines only the rest;
 * the preemption search covers only the nodes within the SLO and stops on the same bound.
 * Without a versioned model: nearest-first branch and bound, else a scan, O(N·a).
 */
export function place(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, opts: PlacementOptions): Decision {
  const w: ScoreBreakdown = { ...DEFAULT_WEIGHTS, ...opts.weights };
  const ctx: FilterContext = { spec, nowMs: opts.nowMs, freshMs: opts.freshMs ?? 30_000, exclude: opts.exclude };
  const topN = opts.topN ?? 5;
  // The bounds assume no score can lower a total; a negative weight takes the plain paths.
  const bounded = w.latency >= 0 && w.packing >= 0 && w.domestic >= 0;
  const preemptible = spec.latency !== null && isLatencyClass(spec.class);
  if (bounded && !spec.latency) return placeByFreeCapacity(newSearch(spec, index, latency, ctx, w, topN));
  if (bounded && latency.version !== undefined) return placeByTargetOrder(newSearch(spec, index, latency, ctx, w, topN), preemptible);
  if (spec.latency && latency.nearestFirst) {
    const fast = placeNearestFirst(spec, index, latency, ctx, w, topN);
    if (fast.nodeId !== null) return fast;
  }
  const scanned = placeByScan(spec, index, latency, ctx, w, topN);
  if (scanned.nodeId !== null || !preemptible) return scanned;
  const p = preempt(spec, index, latency, ctx, w);
  return p ? withPreemption(scanned, p) : scanned;
}

function evaluate(node: PlacementNode, spec: WorkloadSpec, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, tally: Tally): Evaluated | null {
  for (const f of HOST_FILTERS) {
    const why = f.run(node, ctx);
    if (why !== null) {
      tally.reject(f.name, why);
      return null;
    }
  }
  const est = spec.latency ? latency.estimateTo(node.id, spec.latency.to) : undefined;
  const why = filterLatency(node, est, spec);
  if (why !== null) {
    tally.reject('latency-slo', why);
    return null;
  }
  const chosen = chooseAccelerators(node, spec, (a) => !a.allocatedTo);
  const used = node.accelerators.reduce((n, a) => n + (a.allocatedTo ? 1 : 0), 0);
  const breakdown = scoreNode(node, chosen, est, spec, used);
  return { node, chosen, est, breakdown, total: weightedTotal(breakdown, w, spec) };
}

function placeNearestFirst(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, topN: number): Decision {
  const tally = new Tally();
  const top = new TopN(topN);
  let visited = 0;
  for (const c of latency.nearestFirst!(spec.latency!.to, spec.latency!.maxRttMs)) {
    const best = top.best;
    // Strictly below: a later node could still tie the best and win on id. The top-N list in
    // explain then holds the candidates examined up to this point.
    if (best && totalUpperBound(c.lowerBoundMs, w, spec) < best.total) break;
    const node = index.get(c.id);
    if (!node) continue;
    visited++;
    const e = evaluate(node, spec, latency, ctx, w, tally);
    if (e) top.offer(e);
  }
  return decision(top, tally, index.size - visited);
}

function placeByScan(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, topN: number): Decision {
  const tally = new Tally();
  const top = new TopN(topN);
  for (const node of index.all()) {
    const e = evaluate(node, spec, latency, ctx, w, tally);
    if (e) top.offer(e);
  }
  return decision(top, tally, 0);
}

/** Preemption over every node (the plain path). */
function preempt(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown): { e: Evaluated; evict: string[] } | null {
  let best: PreemptOption | null = null;
  for (const node of index.all()) {
    if ((HOST_FILTERS[0]!.run(node, ctx) ?? HOST_FILTERS[1]!.run(node, ctx)) !== null) continue;
    const est = latency.estimateTo(node.id, spec.latency!.to);
    if (filterLatency(node, est, spec) !== null) continue;
    const option = preemptOption(node, est, spec, w);
    if (option && preemptBetter(option, best)) best = option;
  }
  return best && { e: best.e, evict: best.evict };
}
