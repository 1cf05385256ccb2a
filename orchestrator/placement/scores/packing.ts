// Bin-packing (fill the fullest node that fits, keeping whole nodes free) or spreading (the
// emptiest), by the node's utilisation once the workload is on it.
import type { BoundQuery, FleetFacts, PlacementContext, ScorePlugin } from '../plugin.ts';

function packingOf(utilisation: number, ctx: PlacementContext): number {
  return ctx.req.strategy === 'binpack' ? utilisation : 1 - utilisation;
}

function bound(q: BoundQuery, ctx: PlacementContext, fleet: FleetFacts): number {
  const need = ctx.req.accelerators;
  const binpack = ctx.req.strategy === 'binpack';
  if (q.cap) {
    const total = q.cap.total;
    if (total === 0) return binpack ? 1 : 0;
    // Evicting frees cards without filling them, so a preempting spread may find the node emptier.
    if (ctx.preempt && !binpack) return 1 - need / total;
    // Same arithmetic as score(), so a node's bound equals its score when nothing is evicted.
    return packingOf((total - q.cap.free + need) / total, ctx);
  }
  if (q.free >= 0) {
    // f free out of at least f: packing is best on the largest node (binpack) or on one with f in all (spread).
    const f = q.free;
    if (binpack) return fleet.maxAccelerators === 0 ? 1 : 1 - (f - need) / fleet.maxAccelerators;
    return f === 0 ? 0 : (f - need) / f;
  }
  if (binpack || fleet.maxAccelerators === 0) return 1;
  return Math.max(0, 1 - need / fleet.maxAccelerators);
}

export const packing: ScorePlugin = {
  name: 'packing',
  readsNode: false,
  usesRtt: false,
  score({ node, chosen, used }, ctx) {
    const total = node.accelerators.length;
    return packingOf(total === 0 ? 1 : (used + chosen.length) / total, ctx);
  },
  bound,
};
