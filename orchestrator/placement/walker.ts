// The one walk every placement takes (Nomad's feasibility-then-rank iterators over a candidate
// source, with Kubernetes-style plugins): visit the source's groups in order; skip a group, or a
// node, whose weighted score bound cannot beat the best found; run the filters in order on the
// rest, score what passes. Each node ends up counted once: removed by a filter, scored, or never
// examined. The preemption search is the same walk with a different ranking of what passes.
import type { RttEstimate } from '../latency/types.ts';
import { chooseAccelerators } from './cards.ts';
import type { Evaluated, Tally } from './explain.ts';
import { FILTERS } from './filters/index.ts';
import type { PlacementIndex } from './placement-index.ts';
import type { BoundQuery, Candidate, FilterPlugin, FleetFacts, PlacementContext, ScorePlugin, Subject } from './plugin.ts';
import { SCORES } from './scores/index.ts';
import { FreeSource, RttSource, type CandidateSource } from './sources.ts';
import type { FilterName, LatencyEstimator, ScoreBreakdown } from './types.ts';

/** Slack on every bound, so a rounding difference between a bound and a score never skips a tie. */
const EPS = 1e-9;

/** What a walk hands what passes, and how good a node must be able to get to be worth a look. */
export interface Ranking {
  /** A node whose bound is below this (with slack) is not examined; -Infinity: every node is. */
  threshold(): number;
  /** The id a node that can only tie the threshold must be below to win (null: none). */
  tieId(): string | null;
  offer(e: Evaluated): void;
}

export interface Walk {
  index: PlacementIndex;
  ctx: PlacementContext;
  tally: Tally;
  estimate: (nodeId: string) => RttEstimate | undefined;
  filters: readonly FilterPlugin[];
  scores: readonly { plugin: ScorePlugin; weight: number }[];
  fleet: FleetFacts;
}

export function newWalk(index: PlacementIndex, latency: LatencyEstimator, ctx: PlacementContext, tally: Tally): Walk {
  const target = ctx.req.latency?.to;
  const estimate = target === undefined ? () => undefined : latency.estimatorTo?.(target) ?? ((id: string) => latency.estimateTo(id, target));
  return {
    index,
    ctx,
    tally,
    estimate,
    filters: FILTERS.filter((f) => f.appliesTo(ctx)),
    scores: SCORES.map((plugin) => ({ plugin, weight: ctx.req.weights[plugin.name] })).filter((s) => s.weight > 0),
    fleet: { maxAccelerators: index.maxAccelerators, maxTflopsPerWatt: index.maxTflopsPerWatt },
  };
}

export function sourceFor(w: Walk, latency: LatencyEstimator): CandidateSource {
  return w.ctx.req.latency ? RttSource.for(w.ctx.req, w.index, latency) : new FreeSource(w.index, w.ctx.req.accelerators, w.ctx.req);
}

/** Σ weight · bound, in the same order and arithmetic as the total. */
function bound(w: Walk, q: BoundQuery): number {
  let b = 0;
  for (const s of w.scores) b += s.weight * s.plugin.bound(q, w.ctx, w.fleet);
  return b;
}

export function walk(w: Walk, src: CandidateSource, rank: Ranking): void {
  const { index, tally } = w;
  const q: BoundQuery = { rttMs: Number.NaN, free: -1, node: null, cap: null };
  const max = w.ctx.req.latency?.maxRttMs ?? Infinity;
  let g = 0;
  let stoppedByBound = false;
  for (; g < src.groupCount; g++) {
    if (src.pastSlo(g)) break;
    const slots = src.slotsOf(g);
    if (slots.length === 0) continue;
    src.describeGroup(g, q);
    const groupBound = bound(w, q);
    if (groupBound + EPS < rank.threshold()) {
      stoppedByBound = true;
      break;
    }
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      const lb = src.rttLowerBound(slot);
      const node = index.nodeAt(slot);
      if (lb > max) {
        tally.removed('latency-slo', 1, () => reasonOf(w, 'latency-slo', node.id));
        continue;
      }
      const threshold = rank.threshold();
      const tie = rank.tieId();
      // Within an id-ordered group every later node has a higher id: once the group's bound can
      // only tie the best, none of them can win.
      if (src.idOrdered && tie !== null && groupBound <= threshold && node.id > tie) {
        tally.notExamined += slots.length - i;
        break;
      }
      const cap = index.capacityAt(slot);
      q.rttMs = lb;
      q.node = node;
      q.cap = cap;
      q.free = -1;
      const nodeBound = bound(w, q);
      if (nodeBound + EPS < threshold || (src.idOrdered && tie !== null && nodeBound <= threshold && node.id > tie)) {
        tally.notExamined++;
        continue;
      }
      const e = evaluate(w, { node, cap, est: undefined });
      if (e) rank.offer(e);
    }
  }
  settleRest(w, src, g, stoppedByBound);
}

/**
 * Runs the filters in order on one node; on a pass, picks its accelerators and scores it.
 * Exported for the tests' scan, so the oracle and the walker judge a node alike.
 */
export function evaluate(w: Walk, s: Subject): Evaluated | null {
  for (const f of w.filters) {
    if (f.needsRtt && s.est === undefined) s.est = w.estimate(s.node.id);
    if (!f.passes(s, w.ctx)) {
      w.tally.removed(f.name, 1, () => f.reason(s, w.ctx));
      return null;
    }
  }
  w.tally.scored++;
  const chosen = chooseAccelerators(s.node, w.ctx);
  let used = s.cap.total - s.cap.free;
  if (w.ctx.preempt) {
    used = 0;
    for (const a of s.node.accelerators) if (a.allocatedTo && !chosen.includes(a)) used++;
  }
  const c: Candidate = { node: s.node, cap: s.cap, est: s.est, chosen, used };
  const breakdown: ScoreBreakdown = { latency: 0, packing: 0, domestic: 0, green: 0 };
  let total = 0;
  for (const { plugin, weight } of w.scores) {
    const score = plugin.score(c, w.ctx);
    breakdown[plugin.name] = score;
    total += weight * score;
  }
  return { ...c, breakdown, total };
}

/** One example reason from the named filter for a node the walk ruled out without visiting. */
function reasonOf(w: Walk, name: FilterName, nodeId: string): string | null {
  const f = FILTERS.find((x) => x.name === name)!;
  const node = w.index.get(nodeId);
  if (!node) return null;
  const slot = w.index.slotOf(nodeId)!;
  return f.reason({ node, cap: w.index.capacityAt(slot), est: f.needsRtt ? w.estimate(nodeId) : undefined }, w.ctx);
}

/**
 * Counts the nodes the walk did not visit: those a source proved out (past the SLO, no RTT
 * estimate, too few free accelerators) as removed by that filter, the rest as not examined.
 */
function settleRest(w: Walk, src: CandidateSource, g: number, stoppedByBound: boolean): void {
  const { tally } = w;
  if (src instanceof RttSource) {
    const order = src.order;
    let within = 0;
    let past = 0;
    if (stoppedByBound) within = src.withinSloFrom(g);
    let sample: number | undefined;
    for (let b = g; b < order.buckets.length; b++) {
      const n = order.buckets[b]!.length;
      past += n;
      if (sample === undefined && n > 0 && src.pastSlo(b)) sample = order.buckets[b]![0];
    }
    past -= within;
    tally.notExamined += within;
    if (past > 0) tally.removed('latency-slo', past, () => (sample === undefined ? null : reasonOf(w, 'latency-slo', w.index.nodeAt(sample).id)));
    const unreachable = order.unreachable;
    if (unreachable.size > 0) {
      const first = unreachable.values().next().value!;
      tally.removed('latency-slo', unreachable.size, () => reasonOf(w, 'latency-slo', w.index.nodeAt(first).id));
    }
    return;
  }
  for (let b = g; b < src.groupCount; b++) tally.notExamined += src.slotsOf(b).length;
  // Nodes with fewer free accelerators than needed are never in the source's groups.
  const need = w.ctx.req.accelerators;
  for (let f = 0; f < Math.min(need, w.index.maxFreeBucket + 1); f++) {
    const slots = w.index.withFree(f);
    if (slots.length > 0) tally.removed('accelerators', slots.length, () => reasonOf(w, 'accelerators', w.index.nodeAt(slots[0]!).id));
  }
}
