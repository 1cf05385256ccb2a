// Replicas of one workload keep apart: a node whose district, site or node (per the spec's
// `spread`) already holds a sibling replica is not a candidate. A node without a district in its
// birth cannot prove it stands apart, so `spread: district` passes it over.
import type { SpreadRule } from '../../workloads/spec.ts';
import type { FilterPlugin } from '../plugin.ts';
import type { PlacementNode } from '../types.ts';

/** The key two replicas may not share under the rule ('' when the node does not say). */
export function spreadKey(node: Pick<PlacementNode, 'id' | 'site' | 'district'>, by: SpreadRule): string {
  return by === 'node' ? node.id : by === 'site' ? node.site : (node.district ?? '');
}

export const spread: FilterPlugin = {
  name: 'spread',
  needsRtt: false,
  appliesTo: (ctx) => ctx.req.spread !== null,
  passes({ node }, ctx) {
    const s = ctx.req.spread!;
    const key = spreadKey(node, s.by);
    return key !== '' && !s.taken.has(key);
  },
  reason({ node }, ctx) {
    const s = ctx.req.spread!;
    const key = spreadKey(node, s.by);
    if (key === '') return `${node.id}: its birth names no district (spread: district needs one)`;
    return s.by === 'node' ? `${node.id}: already runs replica ${s.taken.get(key)}` : `${node.id}: ${s.by} ${key} already holds replica ${s.taken.get(key)}`;
  },
};
