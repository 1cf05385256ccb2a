// The latency SLO: a measured RTT must meet it; an estimate must meet it with its error bound
// added, so an uncertain node never passes on luck.
import type { RttEstimate } from '../../latency/types.ts';
import type { FilterPlugin } from '../plugin.ts';

/** What the SLO is judged on: measured RTT as is, an estimate plus its error bound. */
export function effectiveRtt(est: RttEstimate): number {
  return est.measured ? est.rttMs : est.rttMs + est.errorMs;
}

export const latencySlo: FilterPlugin = {
  name: 'latency-slo',
  needsRtt: true,
  appliesTo: (ctx) => ctx.req.latency !== null,
  passes: ({ est }, ctx) => est !== undefined && effectiveRtt(est) <= ctx.req.latency!.maxRttMs,
  reason({ node, est }, ctx) {
    const max = ctx.req.latency!.maxRttMs;
    if (!est) return `${node.id}: no RTT estimate to the target yet`;
    return est.measured
      ? `${node.id}: measured RTT ${est.rttMs.toFixed(2)} ms > ${max} ms`
      : `${node.id}: estimated RTT ${est.rttMs.toFixed(2)} ± ${est.errorMs.toFixed(2)} ms > ${max} ms`;
  },
};
