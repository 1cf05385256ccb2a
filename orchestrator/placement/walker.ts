// The one walk every placement takes (Nomad's feasibility-then-rank iterators over a candidate
// source, with Kubernetes-style plugins): visit the source's groups in order; skip a group, or a
// node, whose weighted score bound cannot beat the best found; run the filters in order on the
// rest, score what passes. Each node ends up counted once: removed by a filter, scored, or never
// examined. The preemption search is the same walk with a different ranking of what passes.
import type { RttEstimate } from '../latency/types.ts';
import { chooseAccelerators } from './cards.ts';
import { Tally, type Evaluated } from './explain.ts';
import { FILTERS } from './filters/index.ts';
import { PlacementIndex } from './placement-index.ts';
import type { BoundQuery, FilterPlugin, FleetFacts, PlacementContext, ScorePlugin, Subject } from './plugin.ts';
import { estimatorOf } from './rtt-buckets.ts';
import { SCORES } from './scores/index.ts';
import { GridSource } from './grid-source.ts';
import type { CandidateSource } from './candidate-source.ts';
import { FreeSource, RttSource, latencySource } from './sources.ts';
import type { FilterName, FilterReport, LatencyEstimator } from './types.ts';

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
  /** Each filter's row in the tally, by the filter's position. */
  reports: readonly FilterReport[];
  scores: readonly { plugin: ScorePlugin; weight: number }[];
  /** The scores split by whether their bound reads RTT (the walker bounds those per node first). */
  rttScores: readonly { plugin: ScorePlugin; weight: number }[];
  restScores: readonly { plugin: ScorePlugin; weight: number }[];
  /** The rest split again: bounds that read only the capacity summary, and those that read the node. */
  capScores: readonly { plugin: ScorePlugin; weight: number }[];
  nodeScores: readonly { plugin: ScorePlugin; weight: number }[];
  fleet: FleetFacts;
}

export function newWalk(index: PlacementIndex, latency: LatencyEstimator, ctx: PlacementContext, tally: Tally): Walk {
  const target = ctx.req.latency?.to;
  const estimate = target === undefined ? () => undefined : estimatorOf(latency, target);
  const filters = FILTERS.filter((f) => f.appliesTo(ctx));
  const scores = SCORES.map((plugin) => ({ plugin, weight: ctx.req.weights[plugin.name] })).filter((s) => s.weight > 0);
  return {
    index,
    ctx,
    tally,
    estimate,
    filters,
    reports: filters.map((f) => tally.report(f.name)),
    scores,
    rttScores: scores.filter((s) => s.plugin.usesRtt),
    restScores: scores.filter((s) => !s.plugin.usesRtt),
    capScores: scores.filter((s) => !s.plugin.usesRtt && !s.plugin.readsNode),
    nodeScores: scores.filter((s) => !s.plugin.usesRtt && s.plugin.readsNode),
    fleet: { maxAccelerators: index.maxAccelerators, maxTflopsPerWatt: index.maxTflopsPerWatt },
  };
}

export function sourceFor(w: Walk, latency: LatencyEstimator): CandidateSource {
  return w.ctx.req.latency ? latencySource(w.ctx.req, w.index, latency) : new FreeSource(w.index, w.ctx.req.accelerators, w.ctx.req);
}

/**
 * Σ weight · bound over some of the scores (those whose bound reads RTT, the rest, or a part of
 * the rest), in the order and arithmetic of the total, so a bound never rounds below the total it covers.
 */
function partBound(w: Walk, q: BoundQuery, scores: readonly { plugin: ScorePlugin; weight: number }[]): number {
  let b = 0;
  for (let i = 0; i < scores.length; i++) b += scores[i]!.weight * scores[i]!.plugin.bound(q, w.ctx, w.fleet);
  return b;
}

export function walk(w: Walk, src: CandidateSource, rank: Ranking): void {
  const { index, tally } = w;
  const q: BoundQuery = { rttMs: Number.NaN, free: -1, tflopsPerWatt: Number.NaN, node: null, cap: null };
  let encountered = 0;
  let groupRest = 0;
  // The RTT bounds never rise with RTT and the threshold never falls, so an RTT ruled out once
  // stays ruled out: later nodes at or above it are skipped with one comparison.
  let prunedFrom = Infinity;
  let restFree = Number.NaN;
  let restTpw = -1;
  const rttScored = w.rttScores.length > 0;
  // Nodes of an RTT bucket often share a capacity summary (same site, same box): the bounds that
  // read no more than the summary are computed once per summary and walk.
  const memo = restMemo();
  // Bounds that read the node itself are first taken for its whole group (which covers it), so a
  // node ruled out by that is never fetched: at 100k nodes, batch work bounds thousands a decision.
  const nodeRead = w.nodeScores.length > 0;
  let groupNodePart = 0;
  // A single RTT score that can say at which RTT its bound reaches a score (latency): a node is
  // ruled out by comparing its RTT with a cut-off per capacity summary, taken again when the best
  // changes; at 100k nodes a gaming walk passes over ~11,000 nodes within a few ms of the best.
  const cutPlugin = w.rttScores.length === 1 && w.rttScores[0]!.plugin.rttAtBound !== undefined ? w.rttScores[0]!.plugin : null;
  const cutWeight = cutPlugin !== null ? w.rttScores[0]!.weight : 1;
  let stamp = ++cutStamps;
  let groupCut = Infinity;
  let groupCutStamp = -1;
  // The best only changes when a node is offered: read it again only then.
  let threshold = rank.threshold();
  let tie = rank.tieId();
  // Nodes inside walked buckets whose own bound is past the SLO: counted here, one example at the end.
  let lateCount = 0;
  let lateSample: number | null = null;
  const max = w.ctx.req.latency?.maxRttMs ?? Infinity;
  // The rest with nothing known of capacity: what any group could add to its RTT part. A
  // monotone source's walk ends at the first group that cannot win with it; a group that cannot
  // win with its own (fewer free cards) is passed over. Rests by free count are kept for the walk.
  q.free = -1;
  const anyRest = partBound(w, q, w.restScores);
  const restOfFree = restByFree.fill(Number.NaN);
  const nodePartOfFree = nodePartByFree;
  let g = 0;
  let stoppedByBound = false;
  const byLabels = positionsOf(w, (f) => f.byLabels !== undefined);
  // A preemption walk counts evictable cards: free counts rule nothing out.
  const byCapacity = w.ctx.preempt ? null : positionsOf(w, (f) => f.byCapacity !== undefined);
  verdictWalk++;
  const groups = src.groupCount;
  for (; g < groups; g++) {
    if (src.pastSlo(g)) break;
    const slots = src.slotsOf(g);
    if (slots.length === 0) continue;
    src.describeGroup(g, q);
    // The bound splits into the part that reads RTT and the rest; the rest is the same for every
    // group of an RTT source, so it is computed once. (The split reorders the sum: it gets the same
    // slack as every bound, and without an RTT part it is the sum itself.)
    if (!(Object.is(q.free, restFree) && Object.is(q.tflopsPerWatt, restTpw))) {
      const at = Number.isNaN(q.tflopsPerWatt) && q.free >= -1 && q.free < RESTS_BY_FREE - 1 ? q.free + 1 : -1;
      const nodePart = at >= 0 && !Number.isNaN(restOfFree[at]!) ? nodePartOfFree[at]! : nodeRead ? partBound(w, q, w.nodeScores) : 0;
      if (at >= 0 && !Number.isNaN(restOfFree[at]!)) groupRest = restOfFree[at]!;
      else {
        groupRest = partBound(w, q, w.restScores);
        if (at >= 0) {
          restOfFree[at] = groupRest;
          nodePartOfFree[at] = nodePart;
        }
      }
      // The cut-offs by capacity summary were taken with the node part: new ones if it changed.
      if (nodePart !== groupNodePart) stamp = ++cutStamps;
      groupNodePart = nodePart;
      prunedFrom = Infinity;
      groupCutStamp = -1;
      restFree = q.free;
      restTpw = q.tflopsPerWatt;
    }
    const rttPart = rttScored ? partBound(w, q, w.rttScores) : 0;
    const groupBound = rttPart + groupRest;
    if (groupBound + EPS < threshold) {
      if (src.monotone && rttPart + anyRest + EPS < threshold) {
        stoppedByBound = true;
        break;
      }
      // Accounted for here: the source's count of what the walk did not reach leaves them out.
      // (Slots another group walks are that group's.)
      const passed = slots.length - src.skippedIn(g);
      tally.notExamined += passed;
      encountered += passed;
      continue;
    }
    encountered += slots.length;
    const bounds = src.rttBoundsOf(g);
    const skip = src.skipIn(g);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (skip !== null && skip[slot] === 1) {
        encountered--;
        continue;
      }
      // Nodes a filter refuses by their label set (a lab tier near every site, free because
      // nothing lands there) or by their free card counts are ruled out before any bound or
      // fetch, once a set or summary a walk.
      if (byLabels !== null) {
        const set = index.labelSetAt(slot);
        if (set >= 0) {
          const failed = labelVerdict(w, byLabels, set);
          if (failed >= 0) {
            ruledOut(w, failed, slot);
            continue;
          }
        }
      }
      if (byCapacity !== null) {
        const failed = capacityVerdict(w, byCapacity, slot);
        if (failed >= 0) {
          ruledOut(w, failed, slot);
          continue;
        }
      }
      const lb = bounds !== null ? bounds[i]! : src.rttLowerBound(slot);
      // The node object is fetched only once a node survives the cheap bounds: at 100k nodes a
      // fetch per slot is a cache miss per slot.
      if (lb > max) {
        lateCount++;
        lateSample ??= slot;
        continue;
      }
      // Nothing to beat yet: no bound is worth computing.
      if (threshold !== -Infinity) {
        // Within an id-ordered group every later node has a higher id: once the group's bound can
        // only tie the best, none of them can win.
        if (src.idOrdered && tie !== null && groupBound <= threshold && index.idAt(slot) > tie) {
          tally.notExamined += slots.length - i;
          break;
        }
        let lat = 0;
        if (rttScored) {
          if (lb >= prunedFrom) {
            tally.notExamined++;
            continue;
          }
          if (cutPlugin !== null) {
            // Comparisons of its RTT against cut-offs taken once per best: the group's (what
            // prunedFrom learns from the first node past it), then its capacity summary's.
            if (groupCutStamp !== stamp) {
              const cut = cutPlugin.rttAtBound!((threshold - EPS - groupRest) / cutWeight, w.ctx);
              groupCut = widened(cut);
              groupCutStamp = stamp;
            }
            if (lb > groupCut) {
              prunedFrom = lb;
              tally.notExamined++;
              continue;
            }
            const key = index.capacityKeyAt(slot);
            if (key >= 0) {
              if (cutStamp[key] !== stamp) {
                let rest = memo[key]!;
                if (Number.isNaN(rest)) {
                  q.node = index.nodeAt(slot);
                  q.cap = index.capacityAt(slot);
                  rest = memo[key] = partBound(w, q, w.capScores);
                  q.node = null;
                  q.cap = null;
                }
                const cut = cutPlugin.rttAtBound!((threshold - EPS - rest - groupNodePart) / cutWeight, w.ctx);
                cutValue[key] = widened(cut);
                cutStamp[key] = stamp;
              }
              if (lb > cutValue[key]!) {
                tally.notExamined++;
                continue;
              }
            }
          }
          q.rttMs = lb;
          lat = partBound(w, q, w.rttScores);
          if (lat + groupRest + EPS < threshold) {
            prunedFrom = lb;
            tally.notExamined++;
            continue;
          }
        }
        // The summary object (a cache miss a node at scale) only for a summary not seen this walk.
        const key = index.capacityKeyAt(slot);
        let rest = key >= 0 ? memo[key]! : Number.NaN;
        if (Number.isNaN(rest)) {
          q.node = index.nodeAt(slot);
          q.cap = index.capacityAt(slot);
          rest = partBound(w, q, w.capScores);
          q.node = null;
          q.cap = null;
          if (key >= 0) memo[key] = rest;
        }
        if (nodeRead) {
          // Reordered sums, as with the RTT part: the same slack covers the rounding.
          const groupCovered = lat + rest + groupNodePart;
          if (groupCovered + EPS < threshold || (src.idOrdered && tie !== null && groupCovered <= threshold && index.idAt(slot) > tie)) {
            tally.notExamined++;
            continue;
          }
          q.node = index.nodeAt(slot);
          q.cap = index.capacityAt(slot);
          rest = partBound(w, q, w.restScores);
          q.node = null;
          q.cap = null;
        }
        const nodeBound = lat + rest;
        if (nodeBound + EPS < threshold || (src.idOrdered && tie !== null && nodeBound <= threshold && index.idAt(slot) > tie)) {
          tally.notExamined++;
          continue;
        }
      }
      const e = evaluate(w, { node: index.nodeAt(slot), cap: index.capacityAt(slot), est: undefined });
      if (e) {
        rank.offer(e);
        const next = rank.threshold();
        if (next !== threshold) stamp = ++cutStamps;
        threshold = next;
        tie = rank.tieId();
      }
    }
  }
  if (lateCount > 0) tally.removed('latency-slo', lateCount, () => reasonOf(w, 'latency-slo', index.nodeAt(lateSample!).id));
  settleRest(w, src, g, stoppedByBound, encountered);
}

/** Slack on an RTT cut-off, so a rounding difference from the exact bound never rules out a node it keeps. */
const CUT_SLACK_MS = 1e-9;
/** The cut-off with its slack; an infinite one as it is (-Infinity plus a relative slack would be NaN, which rules out nothing). */
function widened(cut: number): number {
  return Number.isFinite(cut) ? cut + CUT_SLACK_MS * (1 + Math.abs(cut)) : cut;
}
/** The positions in w.filters of the filters `has` picks; null: none. */
function positionsOf(w: Walk, has: (f: FilterPlugin) => boolean): number[] | null {
  const at: number[] = [];
  w.filters.forEach((f, i) => {
    if (has(f)) at.push(i);
  });
  return at.length === 0 ? null : at;
}

/** Bumped each walk: the verdicts below with another stamp are from an earlier walk. */
let verdictWalk = 0;

/** Verdicts by label set for the current walk: the failing filter's position, or -1 (passes). */
let labelStamp = new Float64Array(64);
let labelFailed = new Int16Array(64);
function labelVerdict(w: Walk, at: readonly number[], set: number): number {
  if (set >= labelStamp.length) {
    const n = Math.max(set + 1, labelStamp.length * 2);
    const stamps = new Float64Array(n);
    stamps.set(labelStamp);
    labelStamp = stamps;
    const failed = new Int16Array(n);
    failed.set(labelFailed);
    labelFailed = failed;
  }
  if (labelStamp[set] === verdictWalk) return labelFailed[set]!;
  const labels = w.index.labelSet(set);
  let failed = -1;
  for (const i of at) {
    if (!w.filters[i]!.byLabels!(labels, w.ctx)) {
      failed = i;
      break;
    }
  }
  labelStamp[set] = verdictWalk;
  labelFailed[set] = failed;
  return failed;
}

/** Verdicts by capacity key for the current walk, as labelVerdict's. */
const capacityStamp = new Float64Array(1 << 12);
const capacityFailed = new Int16Array(1 << 12);
function capacityVerdict(w: Walk, at: readonly number[], slot: number): number {
  const key = w.index.capacityKeyAt(slot);
  if (key >= 0 && capacityStamp[key] === verdictWalk) return capacityFailed[key]!;
  // The counts from the key itself where it has one: the summary object is a cache miss a node.
  let free: number;
  let freeDomestic: number;
  if (key >= 0) {
    free = PlacementIndex.freeOfKey(key);
    freeDomestic = PlacementIndex.freeDomesticOfKey(key);
  } else {
    const cap = w.index.capacityAt(slot);
    free = cap.free;
    freeDomestic = cap.freeDomestic;
  }
  let failed = -1;
  for (const i of at) {
    if (!w.filters[i]!.byCapacity!(free, freeDomestic, w.ctx)) {
      failed = i;
      break;
    }
  }
  if (key >= 0) {
    capacityStamp[key] = verdictWalk;
    capacityFailed[key] = failed;
  }
  return failed;
}

/** Counts a node ruled out by filter `failed` without evaluating it (its example reason fetches it). */
function ruledOut(w: Walk, failed: number, slot: number): void {
  const r = w.reports[failed]!;
  r.removed++;
  if (Tally.wantsReason(r)) r.reasons.push(w.filters[failed]!.reason({ node: w.index.nodeAt(slot), cap: w.index.capacityAt(slot), est: undefined }, w.ctx));
}

/** RTT cut-offs by capacity key, each valid while its stamp is the walk's current one. */
const cutValue = new Float64Array(1 << 12);
/** Float64: a stamp never wraps round to one still on an old cut-off. */
const cutStamp = new Float64Array(1 << 12);
let cutStamps = 0;

/** Group rests by free count + 1 (0: unknown) for one walk; NaN: not yet computed. */
const RESTS_BY_FREE = 17;
const restByFree = new Float64Array(RESTS_BY_FREE);
const nodePartByFree = new Float64Array(RESTS_BY_FREE);

/** One walk's bounds by capacity key (PlacementIndex.capacityKeyAt: 12 bits); NaN: not yet computed. */
let memoBuffer: Float64Array | null = null;
function restMemo(): Float64Array {
  memoBuffer ??= new Float64Array(1 << 12);
  return memoBuffer.fill(Number.NaN);
}

/**
 * Runs the filters in order on one node; on a pass, picks its accelerators and scores it.
 * Exported for the tests' scan, so the oracle and the walker judge a node alike.
 */
export function evaluate(w: Walk, s: Subject): Evaluated | null {
  const filters = w.filters;
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i]!;
    if (f.needsRtt && s.est === undefined) s.est = w.estimate(s.node.id);
    if (!f.passes(s, w.ctx)) {
      const r = w.reports[i]!;
      r.removed++;
      if (Tally.wantsReason(r)) r.reasons.push(f.reason(s, w.ctx));
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
  // Built field by field: object spread is a slow path in V8 (microseconds a call, measured here).
  const e: Evaluated = { node: s.node, cap: s.cap, est: s.est, chosen, used, breakdown: { latency: 0, packing: 0, domestic: 0, green: 0 }, total: 0 };
  let total = 0;
  const scores = w.scores;
  for (let i = 0; i < scores.length; i++) {
    const { plugin, weight } = scores[i]!;
    const score = plugin.score(e, w.ctx);
    e.breakdown[plugin.name] = score;
    total += weight * score;
  }
  e.total = total;
  return e;
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
function settleRest(w: Walk, src: CandidateSource, g: number, stoppedByBound: boolean, encountered: number): void {
  const { tally, index } = w;
  if (src instanceof GridSource) {
    const { past, pastSample, within } = src.rest(g, stoppedByBound, encountered);
    tally.notExamined += within;
    const few = src.notWalked();
    if (few.count > 0) tally.removed('accelerators', few.count, () => {
      const sample = few.sample();
      return sample === null ? null : reasonOf(w, 'accelerators', index.idAt(sample));
    });
    if (past > 0) tally.removed('latency-slo', past, () => reasonOf(w, 'latency-slo', index.idAt(pastSample!)));
    return;
  }
  if (src instanceof RttSource) {
    const order = src.order;
    const within = stoppedByBound ? src.withinSloFrom(g) : 0;
    tally.notExamined += within;
    const few = src.notWalked();
    if (few.count > 0) tally.removed('accelerators', few.count, () => reasonOf(w, 'accelerators', index.idAt(few.sample!)));
    const past = order.reachable - few.count - encountered - within;
    if (past > 0) {
      tally.removed('latency-slo', past, () => {
        const sample = src.pastSample(g);
        return sample === null ? null : reasonOf(w, 'latency-slo', index.idAt(sample));
      });
    }
    const unreachable = order.unreachable;
    if (unreachable.size > 0) {
      const first = unreachable.values().next().value!;
      tally.removed('latency-slo', unreachable.size, () => reasonOf(w, 'latency-slo', index.nodeAt(first).id));
    }
    return;
  }
  for (let b = g; b < src.groupCount; b++) tally.notExamined += src.slotsOf(b).length;
  // Nodes with fewer free accelerators than needed are never in the source's groups.
  const need = w.ctx.req.accelerators;
  for (let f = 0; f < Math.min(need, index.maxFreeBucket + 1); f++) {
    const count = index.countWithFree(f);
    const sample = index.anyWithFree(f);
    if (count > 0 && sample !== undefined) tally.removed('accelerators', count, () => reasonOf(w, 'accelerators', index.nodeAt(sample).id));
  }
}
