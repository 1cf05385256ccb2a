// The city plan counts compute on domestic chips: prefer them, by the share of the chosen cards.
import type { ScorePlugin } from '../plugin.ts';

export const domestic: ScorePlugin = {
  name: 'domestic',
  readsNode: false,
  usesRtt: false,
  score({ chosen }) {
    if (chosen.length === 0) return 0;
    let n = 0;
    for (const a of chosen) if (a.domestic) n++;
    return n / chosen.length;
  },
  bound(q, ctx) {
    const need = ctx.req.accelerators;
    if (need === 0) return 0;
    // Free domestic cards cap the share; an eviction may free more of them.
    if (q.cap && !ctx.preempt) return Math.min(q.cap.freeDomestic, need) / need;
    return 1;
  },
};
