// Green compute: prefer the nodes that give the most FP16-equivalent TFLOPS per watt (measured by
// the node's benchmark where it ran with power readings, else the catalogue's nominal TFLOPS over
// TDP: orchestrator/fleet/efficiency.ts). Only work that uses accelerators gains from it; a node
// without a figure scores 0. The request turns it off for the latency classes (request.ts).
import type { ScorePlugin } from '../plugin.ts';

/** The efficiency at which the score is one half: about a current data-centre card's. */
export const GREEN_HALF_TFLOPS_PER_W = 1;

/** Strictly increasing in TFLOPS/W, in [0, 1), with no fleet-wide normalisation to go stale. */
export function greenScoreOf(tflopsPerWatt: number | undefined): number {
  if (tflopsPerWatt === undefined || !(tflopsPerWatt > 0)) return 0;
  return tflopsPerWatt / (tflopsPerWatt + GREEN_HALF_TFLOPS_PER_W);
}

export const green: ScorePlugin = {
  name: 'green',
  readsNode: true,
  usesRtt: false,
  score: ({ node }, ctx) => (ctx.req.accelerators === 0 ? 0 : greenScoreOf(node.tflopsPerWatt)),
  bound(q, ctx, fleet) {
    if (ctx.req.accelerators === 0) return 0;
    if (q.node) return greenScoreOf(q.node.tflopsPerWatt);
    return greenScoreOf(Number.isNaN(q.tflopsPerWatt) ? fleet.maxTflopsPerWatt : Math.min(q.tflopsPerWatt, fleet.maxTflopsPerWatt));
  },
};
