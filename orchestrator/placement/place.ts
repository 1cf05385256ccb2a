// Placement's entry point: one walk over the request's candidate source (walker.ts), then, when
// nothing fits and the request may preempt, the same walk in preemption mode.
import { Tally, TopN, decision, type Evaluated } from './explain.ts';
import { FILTERS } from './filters/index.ts';
import type { PlacementIndex } from './placement-index.ts';
import type { PlacementContext } from './plugin.ts';
import { PreemptRanking } from './preempt.ts';
import type { PlacementRequest } from './request.ts';
import type { Decision, LatencyEstimator, PlacementOptions } from './types.ts';
import { newWalk, sourceFor, walk, type Ranking } from './walker.ts';

export { PlacementIndex } from './placement-index.ts';
export { placementRequest, type PlacementRequest } from './request.ts';

class BestFirst implements Ranking {
  constructor(readonly top: TopN) {}
  threshold(): number {
    return this.top.best?.total ?? -Infinity;
  }
  tieId(): string | null {
    return this.top.best?.node.id ?? null;
  }
  offer(e: Evaluated): void {
    this.top.offer(e);
  }
}

/**
 * Chooses a node for the request.
 * Cost: a latency workload walks its target's RTT buckets nearest first (a still model), or the
 * shared coordinate grid's cells by floor (RTT samples streaming in): O(1) per node skipped by its
 * bound, O(a) per node examined (a accelerators), stopping once no node further on can win. The
 * buckets cost O(m) per target for the m nodes RTT samples named since its last use (an O(N)
 * rebuild when that is cheaper or the anchor's drift widens the bounds past 1 ms); the grid O(m)
 * once for all targets, and an O(n) heap of its cells when a target's anchor moves. Both keep
 * their nodes in lists by free-card count: lists that cannot hold or win the work are passed over whole.
 * Other work walks the free-capacity groups from the best-packing end with the same bounds.
 * "Nothing fits" counts the nodes a source proves out in bulk; the preemption walk covers only
 * the nodes within the SLO and stops on the same bounds.
 */
export function place(req: PlacementRequest, index: PlacementIndex, latency: LatencyEstimator, opts: PlacementOptions): Decision {
  const ctx: PlacementContext = { req, nowMs: opts.nowMs, freshMs: opts.freshMs ?? 30_000, preempt: false };
  // Only the filters that apply to this request get a row: no "latency-slo 0" for work without an SLO.
  const names = FILTERS.filter((f) => f.appliesTo(ctx)).map((f) => f.name);
  const tally = new Tally(names);
  const w = newWalk(index, latency, ctx, tally);
  const src = sourceFor(w, latency);
  const ranking = new BestFirst(new TopN(opts.topN ?? 5));
  walk(w, src, ranking);
  const nothing = decision(index.size, ranking.top.items, tally, req.weights);
  if (nothing.nodeId !== null || !req.mayPreempt) return nothing;
  const lowest = index.lowestPreemptiblePriority();
  if (lowest === null || lowest >= req.priority) return nothing;
  // The preemption walk's own counts would double the explanation; the ordinary walk's stand.
  const pw = newWalk(index, latency, { req, nowMs: ctx.nowMs, freshMs: ctx.freshMs, preempt: true }, new Tally(names));
  const pr = new PreemptRanking(lowest);
  walk(pw, src.forPreemption?.() ?? src, pr);
  if (!pr.best) return nothing;
  const won = decision(index.size, [pr.best.e], tally, req.weights, pr.best.evict);
  // Still say what blocked an ordinary placement.
  return { ...won, explain: { ...won.explain, blockedBy: nothing.explain.blockedBy } };
}
