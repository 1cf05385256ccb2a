// The two kinds of placement plugin, as in the Kubernetes scheduler framework: a filter owns one
// hard constraint (its check and the reason it gives), a score owns one preference (its score in
// [0, 1] and an upper bound on it). The walker (walker.ts) knows no constraint or preference of
// its own: it runs the filters in order, sums the weighted scores, and stops once the weighted
// sum of the bounds says no node left can beat the best found.
import type { RttEstimate } from '../latency/types.ts';
import type { CapacitySummary } from './capacity.ts';
import type { PlacementRequest } from './request.ts';
import type { FilterName, PlacementAccelerator, PlacementNode, ScoreName } from './types.ts';

export interface PlacementContext {
  req: PlacementRequest;
  nowMs: number;
  freshMs: number;
  /** The preemption search: accelerators held by lower-priority preemptible work count as usable. */
  preempt: boolean;
}

/** A node being judged; `est` is asked of the latency model only once a filter needs it. */
export interface Subject {
  node: PlacementNode;
  cap: CapacitySummary;
  est: RttEstimate | undefined;
}

export interface FilterPlugin {
  readonly name: FilterName;
  /** The walker gets the node's RTT estimate before running a filter that says so. */
  readonly needsRtt: boolean;
  /** False: it cannot reject anything for this request, so the walk skips it. */
  appliesTo(ctx: PlacementContext): boolean;
  passes(s: Subject, ctx: PlacementContext): boolean;
  /** Why it rejected s; only asked for the few examples explain keeps. */
  reason(s: Subject, ctx: PlacementContext): string;
  /**
   * Set when the verdict reads the node's labels and nothing else: the walker then decides a node
   * by its label set (PlacementIndex.labelSetAt), once a set a walk, without fetching the node.
   */
  byLabels?(labels: Readonly<Record<string, string>>, ctx: PlacementContext): boolean;
  /**
   * Set when a necessary condition of the filter reads the node's free and free domestic card
   * counts alone: an ordinary walk (not a preemption walk, which counts evictable cards) rules a
   * node out by it, once a capacity summary a walk, without fetching the node.
   */
  byCapacity?(free: number, freeDomestic: number, ctx: PlacementContext): boolean;
}

/** A node that passed every filter, with the accelerators it would give. */
export interface Candidate extends Subject {
  chosen: PlacementAccelerator[];
  /** Accelerators that stay allocated to other work if it is placed here. */
  used: number;
}

/**
 * What the walker knows about the nodes a bound must cover: a lower bound on their effective RTT
 * (NaN: none), their exact free count (-1: unknown), the most TFLOPS per watt any of them has
 * (NaN: unknown), or the node itself (null: a group of nodes).
 */
export interface BoundQuery {
  rttMs: number;
  free: number;
  tflopsPerWatt: number;
  node: PlacementNode | null;
  cap: CapacitySummary | null;
}

/** Fleet-wide maxima the index keeps (they only grow, so they stay valid bounds). */
export interface FleetFacts {
  maxAccelerators: number;
  maxTflopsPerWatt: number;
}

export interface ScorePlugin {
  readonly name: ScoreName;
  /**
   * Its bound reads the RTT lower bound (and never rises as it grows): the walker bounds it per
   * node before the rest, and once an RTT is ruled out, every larger one is too.
   */
  readonly usesRtt: boolean;
  /** Its bound reads the node itself, not only its capacity summary (else the walker may reuse it per summary). */
  readonly readsNode: boolean;
  score(c: Candidate, ctx: PlacementContext): number;
  /** The most score() could give any node the query describes (never less, or a winner is skipped). */
  bound(q: BoundQuery, ctx: PlacementContext, fleet: FleetFacts): number;
  /**
   * Optional, for a score that uses RTT: the largest RTT at which bound() reaches `score`
   * (Infinity: at any RTT; -Infinity: at none). With it the walker rules a node out on one
   * comparison of its RTT against a cut-off per capacity summary.
   */
  rttAtBound?(score: number, ctx: PlacementContext): number;
}
