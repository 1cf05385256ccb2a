// Nodes that already failed this workload (no ack in time, refused it, broke its SLO) are not
// tried again for it.
import type { FilterPlugin } from '../plugin.ts';

export const excluded: FilterPlugin = {
  name: 'excluded',
  needsRtt: false,
  appliesTo: (ctx) => ctx.req.exclude.size > 0,
  passes: ({ node }, ctx) => !ctx.req.exclude.has(node.id),
  reason: ({ node }) => `${node.id}: failed this workload before`,
};
