// Enough of those accelerators at the FP16-equivalent throughput asked for, nominal or measured.
import { fp16Qualifies, qualifies, usable } from '../cards.ts';
import type { FilterPlugin, PlacementContext, Subject } from '../plugin.ts';

function fastEnough({ node }: Subject, ctx: PlacementContext): number {
  let n = 0;
  for (const a of node.accelerators) if (usable(a, ctx) && qualifies(a, ctx.req) && fp16Qualifies(a, ctx.req)) n++;
  return n;
}

export const fp16Capacity: FilterPlugin = {
  name: 'fp16-capacity',
  needsRtt: false,
  appliesTo: (ctx) => ctx.req.accelerators > 0 && ctx.req.minFp16Tflops > 0,
  passes: (s, ctx) => fastEnough(s, ctx) >= ctx.req.accelerators,
  reason: (s, ctx) => `${s.node.id}: ${fastEnough(s, ctx)} usable accelerator(s) with ≥${ctx.req.minFp16Tflops} ${ctx.req.basis} FP16 TFLOPS, needs ${ctx.req.accelerators}`,
};
