// The tests' oracle: the plain scan. Every node in id order, every filter, every score; no
// candidate source, no bound, no early stop. The walker must decide exactly as this does.
import { Tally, TopN, decision } from '../../../orchestrator/placement/explain.ts';
import { FILTERS } from '../../../orchestrator/placement/filters/index.ts';
import type { PlacementIndex } from '../../../orchestrator/placement/placement-index.ts';
import type { PlacementContext } from '../../../orchestrator/placement/plugin.ts';
import { PreemptRanking } from '../../../orchestrator/placement/preempt.ts';
import type { PlacementRequest } from '../../../orchestrator/placement/request.ts';
import type { Decision, LatencyEstimator, PlacementOptions } from '../../../orchestrator/placement/types.ts';
import { evaluate, newWalk } from '../../../orchestrator/placement/walker.ts';

export function scan(req: PlacementRequest, index: PlacementIndex, latency: LatencyEstimator, opts: PlacementOptions): Decision {
  const ctx: PlacementContext = { req, nowMs: opts.nowMs, freshMs: opts.freshMs ?? 30_000, preempt: false };
  const names = FILTERS.filter((f) => f.appliesTo(ctx)).map((f) => f.name);
  // A plain estimator, so the scan does not share the walker's resolved-once shortcut either.
  const plain: LatencyEstimator = { estimateTo: (id, t) => latency.estimateTo(id, t) };
  const tally = new Tally(names);
  const w = newWalk(index, plain, ctx, tally);
  const top = new TopN(opts.topN ?? 5);
  for (const node of index.all()) {
    const e = evaluate(w, { node, cap: index.capacityAt(index.slotOf(node.id)!), est: undefined });
    if (e) top.offer(e);
  }
  const nothing = decision(index.size, top.items, tally, req.weights);
  if (nothing.nodeId !== null || !req.mayPreempt) return nothing;
  const lowest = index.lowestPreemptiblePriority();
  if (lowest === null || lowest >= req.priority) return nothing;
  const pw = newWalk(index, plain, { ...ctx, preempt: true }, new Tally(names));
  const rank = new PreemptRanking(lowest);
  for (const node of index.all()) {
    const e = evaluate(pw, { node, cap: index.capacityAt(index.slotOf(node.id)!), est: undefined });
    if (e) rank.offer(e);
  }
  return rank.best ? decision(index.size, [rank.best.e], tally, req.weights, rank.best.evict) : nothing;
}
