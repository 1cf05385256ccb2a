// Online and heard from lately: a node gone quiet may be gone.
import type { FilterPlugin } from '../plugin.ts';

export const onlineFresh: FilterPlugin = {
  name: 'online-fresh',
  needsRtt: false,
  appliesTo: () => true,
  passes: ({ node }, ctx) => node.online && ctx.nowMs - node.lastSeenMs <= ctx.freshMs,
  reason({ node }, ctx) {
    if (!node.online) return `${node.id}: offline`;
    return `${node.id}: last heard ${Math.round((ctx.nowMs - node.lastSeenMs) / 1000)} s ago (fresh ≤ ${ctx.freshMs / 1000} s)`;
  },
};
