// Enough usable accelerators of the vendor, domestic and memory kind asked for. The capacity
// summary rules most nodes out without looking at their cards.
import { qualifies, usable } from '../cards.ts';
import type { FilterPlugin, PlacementContext, Subject } from '../plugin.ts';

function matching({ node }: Subject, ctx: PlacementContext): number {
  let n = 0;
  for (const a of node.accelerators) if (usable(a, ctx) && qualifies(a, ctx.req)) n++;
  return n;
}

export const accelerators: FilterPlugin = {
  name: 'accelerators',
  needsRtt: false,
  appliesTo: (ctx) => ctx.req.accelerators > 0,
  passes(s, ctx) {
    const need = ctx.req.accelerators;
    if (ctx.preempt ? s.cap.evictable < need : !accelerators.byCapacity!(s.cap.free, s.cap.freeDomestic, ctx)) return false;
    return matching(s, ctx) >= need;
  },
  byCapacity(free, freeDomestic, ctx) {
    const need = ctx.req.accelerators;
    return free >= need && (!ctx.req.domesticOnly || freeDomestic >= need);
  },
  reason(s, ctx) {
    const what = ctx.preempt ? 'free or evictable' : 'free';
    return `${s.node.id}: ${matching(s, ctx)} ${what} matching accelerator(s), needs ${ctx.req.accelerators}`;
  },
};
