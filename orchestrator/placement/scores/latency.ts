// Nearer is better: 1 at 0 ms, 0 at the SLO, judged on the same effective RTT as the SLO filter.
import { effectiveRtt } from '../filters/latency-slo.ts';
import type { ScorePlugin } from '../plugin.ts';

export function latencyScoreOf(effectiveRttMs: number, maxRttMs: number): number {
  return Math.max(0, Math.min(1, 1 - effectiveRttMs / maxRttMs));
}

export const latency: ScorePlugin = {
  name: 'latency',
  readsNode: false,
  usesRtt: true,
  score: ({ est }, ctx) => (ctx.req.latency && est ? latencyScoreOf(effectiveRtt(est), ctx.req.latency.maxRttMs) : 0),
  // A lower bound on RTT gives an upper bound on the score; nothing known: the best there is.
  bound: (q, ctx) => (ctx.req.latency === null ? 0 : Number.isNaN(q.rttMs) ? 1 : latencyScoreOf(q.rttMs, ctx.req.latency.maxRttMs)),
  rttAtBound(score, ctx) {
    if (ctx.req.latency === null) return score <= 0 ? Infinity : -Infinity;
    if (score <= 0) return Infinity;
    if (score > 1) return -Infinity;
    return ctx.req.latency.maxRttMs * (1 - score);
  },
};
