// Every label the workload asks for, with the same value.
import type { FilterPlugin } from '../plugin.ts';

export const labels: FilterPlugin = {
  name: 'labels',
  needsRtt: false,
  appliesTo: (ctx) => ctx.req.labels.length > 0,
  passes({ node }, ctx) {
    return labels.byLabels!(node.labels, ctx);
  },
  byLabels(nodeLabels, ctx) {
    for (const [k, v] of ctx.req.labels) if (nodeLabels[k] !== v) return false;
    return true;
  },
  reason({ node }, ctx) {
    const [k, v] = ctx.req.labels.find(([k, v]) => node.labels[k] !== v)!;
    return `${node.id}: label ${k}=${node.labels[k] ?? '(unset)'}, needs ${k}=${v}`;
  },
};
