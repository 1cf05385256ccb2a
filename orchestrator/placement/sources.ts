// Where the walker's candidates come from, in the order that finds a winner soonest, grouped so a
// whole group can be bounded at once:
// - latency work: the target's nodes in RTT buckets (rtt-buckets.ts), nearest first, or while RTT
//   samples stream in, the shared coordinate grid's cells (grid-source.ts); a group's bound is its
//   floor RTT, and the walk ends at the first group past the SLO;
// - other work: the nodes by free accelerator count, from the best-packing end (fewest free that
//   fit for bin-packing, most free for spreading), split by energy-efficiency tier, each group in
//   id order.
import type { LatencyTarget } from '../latency/types.ts';
import { targetKey } from '../latency/types.ts';
import type { PlacementIndex } from './placement-index.ts';
import type { BoundQuery } from './plugin.ts';
import type { CandidateSource } from './candidate-source.ts';
import type { PlacementRequest } from './request.ts';
import { hasCoordinates } from './coordinate-grid.ts';
import { GridSource } from './grid-source.ts';
import { RttBuckets } from './rtt-buckets.ts';
import { boundFreeOf, classWalk, type ClassWalk } from './free-classes.ts';
import type { LatencyEstimator } from './types.ts';


/** Cached RTT buckets this few moved nodes behind are caught up rather than read from the grid. */
const CATCH_UP_NODES = 16;

/**
 * Latency work's source: the target's RTT buckets where they are current or nearly so (a still
 * model), else the coordinate grid, which RTT samples cost nothing per target (grid-source.ts);
 * the buckets again where the grid cannot serve the target.
 */
export function latencySource(req: PlacementRequest, index: PlacementIndex, latency: LatencyEstimator): CandidateSource {
  const slo = req.latency!;
  const version = latency.version;
  // A model that cannot say what changed gets fresh figures every time.
  if (version === undefined) return new RttSource(RttBuckets.build(index, latency, slo.to, 0), slo.maxRttMs, req, index.maxFreeBucket);
  const key = targetKey(slo.to);
  const cached = index.cachedOrder(key);
  if (hasCoordinates(latency) && (cached === undefined || cached.behind(latency, version) > CATCH_UP_NODES)) {
    const grid = GridSource.for(index, index.grid, latency, slo.to, key, slo.maxRttMs, req, index.maxFreeBucket);
    if (grid) return grid;
  }
  return new RttSource(currentBuckets(index, latency, slo.to, slo.maxRttMs, version, key, cached), slo.maxRttMs, req, index.maxFreeBucket);
}

/** Drifted bounds wider than this (ms, at the SLO) cost more walking than a rebuild: rebuild. */
const MAX_WIDENING_MS = 1;
/** Catching up on more moved nodes than this share of the fleet costs more than a rebuild. */
const MAX_CATCH_UP_SHARE = 1;

/**
 * Groups: each RTT bucket's free-count lists (rtt-buckets.ts), bucket by bucket, within a bucket
 * from the best-packing end; lists of nodes with fewer free cards than the work needs are not
 * walked (the preemption walk, which may free cards, walks them too). A list is bounded by its
 * bucket's floor and its free count; the walk ends at the first bucket whose floor cannot win
 * with any free count.
 */
export class RttSource implements CandidateSource {
  readonly idOrdered = false;
  readonly monotone = true;
  /** The free-count classes walked in each bucket, in walk order. */
  private readonly classes: readonly number[];
  private readonly walk: ClassWalk;

  constructor(
    readonly order: RttBuckets,
    private readonly maxRttMs: number,
    private readonly req: Pick<PlacementRequest, 'accelerators' | 'strategy'>,
    /** The most free accelerators any node has (classes above it are empty). */
    private readonly topFree: number,
    preempt = false,
  ) {
    this.walk = classWalk(req, topFree, preempt);
    this.classes = this.walk.classes;
  }

  /** The same order for the preemption walk: every free count, as evictions may free cards. */
  forPreemption(): RttSource {
    return new RttSource(this.order, this.maxRttMs, this.req, this.topFree, true);
  }

  get groupCount(): number {
    return this.order.bucketCount * this.classes.length;
  }
  slotsOf(g: number): readonly number[] {
    const k = this.classes.length;
    return this.order.list((g / k) | 0, this.classes[g % k]!);
  }
  describeGroup(g: number, q: BoundQuery): void {
    const k = this.classes.length;
    const c = this.classes[g % k]!;
    q.rttMs = this.order.bucketFloor((g / k) | 0);
    q.free = boundFreeOf(this.walk, c);
    q.tflopsPerWatt = Number.NaN;
    q.node = null;
    q.cap = null;
  }
  pastSlo(g: number): boolean {
    return this.order.bucketFloor((g / this.classes.length) | 0) > this.maxRttMs;
  }
  rttLowerBound(slot: number): number {
    return this.order.lowerBound(slot);
  }
  rttBoundsOf(g: number): readonly number[] | null {
    const k = this.classes.length;
    return this.order.exact ? this.order.figuresOf((g / k) | 0, this.classes[g % k]!) : null;
  }
  skipIn(): null {
    return null;
  }
  skippedIn(): number {
    return 0;
  }

  /** Nodes in walked classes, in groups from g on, whose bucket is still within the SLO by its floor. */
  withinSloFrom(g: number): number {
    const k = this.classes.length;
    if (k === 0) return 0;
    const b = (g / k) | 0;
    const past = this.firstPast();
    if (b >= past) return 0;
    let n = 0;
    for (let r = 0; r < k; r++) {
      const c = this.classes[r]!;
      n += this.order.countBefore(past, c) - this.order.countBefore(b + 1, c);
      if (r >= g % k) n += this.order.list(b, c).length;
    }
    return n;
  }

  /** A node of a walked class in a bucket past the SLO, from group g's bucket on (for an example). */
  pastSample(g: number): number | null {
    const k = this.classes.length;
    if (k === 0) return null;
    for (let b = Math.max((g / k) | 0, this.firstPast()); b < this.order.bucketCount; b++) {
      for (const c of this.classes) {
        const list = this.order.list(b, c);
        if (list.length > 0) return list[0]!;
      }
    }
    return null;
  }

  /** Filed nodes in the classes not walked (too few free accelerators), with one of them. */
  notWalked(): { count: number; sample: number | null } {
    let count = 0;
    for (let c = 0; c < this.walk.least; c++) count += this.order.classCount[c]!;
    if (count === 0) return { count, sample: null };
    for (let b = 0; b < this.order.bucketCount; b++) {
      for (let c = 0; c < this.walk.least; c++) {
        const list = this.order.list(b, c);
        if (list.length > 0) return { count, sample: list[0]! };
      }
    }
    return { count, sample: null };
  }

  /** The first bucket past the SLO. */
  firstPast(): number {
    return this.order.firstBucketPast(this.maxRttMs);
  }
}

/** The target's buckets, cached on the index (`cached`, looked up once) and brought up to the model's version, or rebuilt. */
function currentBuckets(index: PlacementIndex, latency: LatencyEstimator, target: LatencyTarget, maxRttMs: number, version: number, key: string, cached: RttBuckets | undefined): RttBuckets {
  if (cached && cached.behind(latency, version) <= index.size * MAX_CATCH_UP_SHARE) {
    if (cached.refresh(index, latency, version) && cached.widening(maxRttMs) <= MAX_WIDENING_MS) return cached;
  }
  const built = RttBuckets.build(index, latency, target, version);
  index.storeOrder(key, built);
  return built;
}

/**
 * Groups: (free count, efficiency tier), free counts from the best-packing end, tiers from the
 * most efficient; a group is bounded by its free count and the best efficiency in it.
 */
export class FreeSource implements CandidateSource {
  readonly idOrdered = true;
  // A later free count may hold a more efficient tier: a group that cannot win ends only itself.
  readonly monotone = false;
  private readonly groups: { free: number; tier: number }[] = [];
  constructor(private readonly index: PlacementIndex, need: number, req: PlacementRequest) {
    const top = index.maxFreeBucket;
    for (let step = 0; step <= top - need; step++) {
      const free = req.strategy === 'binpack' ? need + step : top - step;
      for (const tier of index.tiersWithFree(free)) this.groups.push({ free, tier });
    }
  }
  get groupCount(): number {
    return this.groups.length;
  }
  slotsOf(g: number): readonly number[] {
    const { free, tier } = this.groups[g]!;
    return this.index.withFree(free, tier);
  }
  describeGroup(g: number, q: BoundQuery): void {
    const { free, tier } = this.groups[g]!;
    q.rttMs = Number.NaN;
    q.free = free;
    q.tflopsPerWatt = this.index.tierCeiling(free, tier);
    q.node = null;
    q.cap = null;
  }
  pastSlo(): boolean {
    return false;
  }
  rttLowerBound(): number {
    return Number.NaN;
  }
  rttBoundsOf(): null {
    return null;
  }
  skipIn(): null {
    return null;
  }
  skippedIn(): number {
    return 0;
  }
}
