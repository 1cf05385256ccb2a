// One target's nodes bucketed by effective RTT (rttMs + errorMs, or rttMs when measured), kept
// current as RTT samples arrive without re-sorting: a node named by a sample moves between
// buckets in O(1). When the target's anchor itself moves, nobody else's figure is retaken: each
// figure belongs to the epoch (anchor state) it was taken in and is read through the model's
// drift bound since then (now ≥ scale · then − shift), so every figure the walk sees is a lower
// bound on the node's current one. Each bucket is split by free-card count, so a walk passes over
// the nodes that cannot hold the work, or cannot pack well enough to win, a list at a time; within
// a list nodes are unordered: the walk bounds a whole list by its floor and free count and each
// node by its own figure.
import type { AnchorState, LatencyTarget, RttEstimate } from '../latency/types.ts';
import { effectiveRtt } from './filters/latency-slo.ts';
import { FREE_CLASSES, freeClassOf } from './free-classes.ts';
import type { LatencyEstimator, PlacementNode } from './types.ts';

/** What the buckets read of the placement index (its slots), so the two modules do not import each other. */
export interface SlotIndex {
  readonly membership: number;
  slots(): IterableIterator<number>;
  slotOf(id: string): number | undefined;
  nodeAt(slot: number): PlacementNode;
  /** nodeAt(slot).id without touching the node. */
  idAt(slot: number): string;
  /** The node's free accelerators now (its capacity summary's). */
  freeAt(slot: number): number;
  /** The slots the model's samples named since `version` (see moved-slots.ts). */
  movedSince(latency: LatencyEstimator, version: number): { entries: readonly number[]; from: number } | null;
}

/**
 * Bucket width: an early stop overshoots by at most this much RTT. The walk bounds each node by
 * its own figure, so a wide bucket costs little there; few buckets keep the arrays a re-file
 * touches few and in cache (a sample moves a node by ~0.3 ms, often within one bucket), and at
 * 100k nodes 0.1 ms placed about a quarter faster than 0.01 ms (and a fifth faster than 0.05 ms).
 */
export const BUCKET_MS = 0.1;
/** Buckets beyond this one share it (≈ 205 ms: no SLO reaches it). */
const LAST_BUCKET = 2_047;
/** Anchor moves an order outlives before a rebuild (each costs one drift bound per refresh). */
const MAX_EPOCHS = 16;
/** Buckets per block of the count (see blocks). */
const BLOCK_BITS = 4;
const BLOCKS = (LAST_BUCKET >> BLOCK_BITS) + 1;
/** Slack on drifted bounds, so rounding never lifts one above the figure it bounds. */
const DRIFT_SLACK_MS = 1e-9;
const EMPTY: readonly number[] = Object.freeze([]);

interface Epoch {
  /** The anchor the figures of this epoch were taken against (undefined: the model gives none). */
  anchor: AnchorState | undefined;
  scale: number;
  shiftMs: number;
  /** Filed nodes whose figure is from this epoch. */
  count: number;
}

export class RttBuckets {
  /** The model version the figures are current for (up to the drift bounds). */
  version: number;
  readonly membership: number;
  /** Nodes with an estimate; the rest can never meet an SLO to the target. */
  reachable = 0;
  readonly unreachable = new Set<number>();
  /** Buckets so far (lists cover bucketCount · FREE_CLASSES). */
  bucketCount = 0;
  /** By bucket · FREE_CLASSES + class: the slots (undefined: none yet). */
  private readonly lists: (number[] | undefined)[] = [];
  /**
   * Beside each list, its members' figures in the same positions: a walk reads a node's bound
   * in sequence with its slot, where eff[slot] is a cache miss a node at 100k nodes.
   */
  private readonly listFigures: (number[] | undefined)[] = [];
  /** By slot: the figure (NaN: none), its place in its list, the epoch it was taken in, its class. */
  private readonly eff: Float64Array;
  private readonly pos: Int32Array;
  private readonly epochOf: Uint8Array;
  private readonly cls: Uint8Array;
  /** Filed nodes by class. */
  readonly classCount = new Int32Array(FREE_CLASSES);
  private readonly epochs: Epoch[];
  /** A bound valid for every epoch still holding figures: floor · floorScale − floorShiftMs. */
  private floorScale = 1;
  private floorShiftMs = 0;
  /**
   * Nodes per class and block of 2^BLOCK_BITS buckets (class · BLOCKS + block). Re-files far
   * outnumber counts (tens of cached targets catch up on every sample; only a walk stopped by its
   * bound counts): one touch per re-file, where a Fenwick tree took a dozen scattered ones.
   */
  private readonly blocks = new Int32Array(FREE_CLASSES * BLOCKS);

  private constructor(index: SlotIndex, latency: LatencyEstimator, private readonly target: LatencyTarget, version: number) {
    this.version = version;
    this.membership = index.membership;
    let top = 0;
    for (const slot of index.slots()) top = Math.max(top, slot + 1);
    this.eff = new Float64Array(top).fill(NaN);
    this.pos = new Int32Array(top);
    this.epochOf = new Uint8Array(top);
    this.cls = new Uint8Array(top);
    this.epochs = [{ anchor: latency.anchorOf?.(target), scale: 1, shiftMs: 0, count: 0 }];
  }

  /** Every node's figure taken now: O(N) estimates, no sort. */
  static build(index: SlotIndex, latency: LatencyEstimator, target: LatencyTarget, version: number): RttBuckets {
    const b = new RttBuckets(index, latency, target, version);
    const estimate = estimatorOf(latency, target);
    for (const slot of index.slots()) b.place(slot, index, estimate);
    return b;
  }

  /**
   * Brings the figures to `version`: O(m) for the m nodes named since the last refresh, plus one
   * drift bound per epoch. False when only a rebuild can: the model gave no bound (or no way to
   * follow its anchor), or the anchor moved more often than MAX_EPOCHS.
   */
  refresh(index: SlotIndex, latency: LatencyEstimator, version: number): boolean {
    if (version === this.version) return true;
    const drifts = latency.movedSince !== undefined && latency.anchorOf !== undefined && latency.anchorDrift !== undefined;
    if (drifts) {
      const moved = index.movedSince(latency, this.version);
      if (!moved || !this.followAnchor(latency)) return false;
      const estimate = estimatorOf(latency, this.target);
      const { entries } = moved;
      for (let i = moved.from; i < entries.length; i++) {
        const slot = entries[i]!;
        if (slot >= 0 && slot < this.eff.length) this.place(slot, index, estimate);
      }
    } else {
      const ids = latency.changedSince?.(this.target, this.version);
      if (!ids) return false;
      const estimate = estimatorOf(latency, this.target);
      for (const id of ids) {
        const slot = index.slotOf(id);
        if (slot !== undefined && slot < this.eff.length) this.place(slot, index, estimate);
      }
    }
    this.version = version;
    return true;
  }

  /** About how many nodes a refresh to `version` would re-file (each sample names two). */
  behind(latency: LatencyEstimator, version: number): number {
    return latency.movedSince === undefined && latency.changedSince === undefined ? Infinity : 2 * (version - this.version);
  }

  /** How much lower than its recorded figure a node at `ms` may now be. */
  widening(ms: number): number {
    return ms * (1 - this.floorScale) + this.floorShiftMs;
  }

  /** A lower bound on the slot's current effective RTT (its exact figure unless its epoch drifted). */
  lowerBound(slot: number): number {
    const e = this.eff[slot]!;
    const ep = this.epochs[this.epochOf[slot]!]!;
    if (ep.scale === 1 && ep.shiftMs === 0) return e;
    return e * ep.scale - ep.shiftMs - DRIFT_SLACK_MS;
  }

  /** No epoch holding figures has drifted: figuresOf(b, c)[i] is lowerBound(list(b, c)[i]). */
  get exact(): boolean {
    return this.floorScale === 1 && this.floorShiftMs === 0;
  }

  /** A lower bound on every figure in bucket b. */
  bucketFloor(b: number): number {
    // The slack (twice it when drifted) keeps the floor strictly below every member's bound, which
    // is computed along another float path: 1220 × 0.01 is 12.200000000000001, above a 12.2 member.
    const floor = b * BUCKET_MS - DRIFT_SLACK_MS;
    if (this.floorScale === 1 && this.floorShiftMs === 0) return floor;
    return floor * this.floorScale - this.floorShiftMs - DRIFT_SLACK_MS;
  }

  /** The slots of class c in bucket b. */
  list(b: number, c: number): readonly number[] {
    return this.lists[b * FREE_CLASSES + c] ?? EMPTY;
  }

  /** list(b, c)'s figures, in its order. */
  figuresOf(b: number, c: number): readonly number[] {
    return this.listFigures[b * FREE_CLASSES + c] ?? EMPTY;
  }

  /** How many filed nodes of class c sit in buckets before b. */
  countBefore(b: number, c: number): number {
    const end = Math.min(b, this.bucketCount);
    const whole = end >> BLOCK_BITS;
    let n = 0;
    for (let i = 0; i < whole; i++) n += this.blocks[c * BLOCKS + i]!;
    for (let i = whole << BLOCK_BITS; i < end; i++) n += this.list(i, c).length;
    return n;
  }

  /**
   * Keeps a node in the list of its free count as allocations change it (PlacementIndex calls
   * every cached order): O(1), its figure unchanged.
   */
  reclass(slot: number, free: number): void {
    if (slot >= this.eff.length) return;
    const c = freeClassOf(free);
    if (this.cls[slot] === c) return;
    const e = this.eff[slot]!;
    if (Number.isNaN(e)) {
      this.cls[slot] = c;
      return;
    }
    const epoch = this.epochOf[slot]!;
    this.unfile(slot);
    this.cls[slot] = c;
    this.file(slot, e, epoch);
  }

  /** The first bucket whose floor is past `ms` (every node from there on is above it). */
  firstBucketPast(ms: number): number {
    let b = Math.max(0, Math.floor(ms / BUCKET_MS));
    while (this.bucketFloor(b) <= ms) b++;
    return b;
  }

  /** Opens an epoch if the anchor moved, and re-bounds every epoch still holding figures. */
  private followAnchor(latency: LatencyEstimator): boolean {
    const anchor = latency.anchorOf!(this.target);
    const current = this.epochs[this.epochs.length - 1]!;
    if (!anchor || !current.anchor) return false;
    if (anchor.id !== current.anchor.id || anchor.fits !== current.anchor.fits) {
      if (this.epochs.length >= MAX_EPOCHS) return false;
      this.epochs.push({ anchor, scale: 1, shiftMs: 0, count: 0 });
    }
    this.floorScale = 1;
    this.floorShiftMs = 0;
    for (const ep of this.epochs) {
      if (ep.count === 0 || ep === this.epochs[this.epochs.length - 1]) continue;
      const d = latency.anchorDrift!(this.target, ep.anchor!);
      if (!d) return false;
      ep.scale = d.scale;
      ep.shiftMs = d.shiftMs;
      this.floorScale = Math.min(this.floorScale, d.scale);
      this.floorShiftMs = Math.max(this.floorShiftMs, d.shiftMs);
    }
    return true;
  }

  /** Takes the slot's figure now, in the current epoch, and files it (out of its old bucket). */
  private place(slot: number, index: SlotIndex, estimate: (id: string) => RttEstimate | undefined): void {
    const est = estimate(index.idAt(slot));
    const old = this.eff[slot]!;
    const epoch = this.epochs.length - 1;
    const c = freeClassOf(index.freeAt(slot));
    if (est !== undefined && !Number.isNaN(old) && c === this.cls[slot]) {
      // A sample often moves a node by less than a bucket: its figure changes, its place does not.
      const e = effectiveRtt(est);
      const b = Math.min(LAST_BUCKET, Math.floor(e / BUCKET_MS));
      if (b === Math.min(LAST_BUCKET, Math.floor(old / BUCKET_MS))) {
        this.epochs[this.epochOf[slot]!]!.count--;
        this.epochs[epoch]!.count++;
        this.epochOf[slot] = epoch;
        this.eff[slot] = e;
        this.listFigures[b * FREE_CLASSES + c]![this.pos[slot]!] = e;
        return;
      }
    }
    this.unfile(slot);
    this.cls[slot] = c;
    if (!est) {
      this.unreachable.add(slot);
      return;
    }
    this.file(slot, effectiveRtt(est), epoch);
  }

  /** Files the slot (not filed) at figure e of the epoch, in the list of its class. */
  private file(slot: number, e: number, epoch: number): void {
    const c = this.cls[slot]!;
    this.eff[slot] = e;
    this.epochOf[slot] = epoch;
    this.epochs[epoch]!.count++;
    const b = Math.min(LAST_BUCKET, Math.floor(e / BUCKET_MS));
    while (this.bucketCount <= b) {
      for (let k = 0; k < FREE_CLASSES; k++) {
        this.lists.push(undefined);
        this.listFigures.push(undefined);
      }
      this.bucketCount++;
    }
    const at = b * FREE_CLASSES + c;
    let list = this.lists[at];
    if (list === undefined) {
      list = this.lists[at] = [];
      this.listFigures[at] = [];
    }
    this.pos[slot] = list.length;
    list.push(slot);
    this.listFigures[at]!.push(e);
    this.blocks[c * BLOCKS + (b >> BLOCK_BITS)]!++;
    this.classCount[c]!++;
    this.reachable++;
  }

  /** O(1): the last node of the list takes this one's place. */
  private unfile(slot: number): void {
    const e = this.eff[slot]!;
    if (Number.isNaN(e)) {
      this.unreachable.delete(slot);
      return;
    }
    const c = this.cls[slot]!;
    const b = Math.min(LAST_BUCKET, Math.floor(e / BUCKET_MS));
    const list = this.lists[b * FREE_CLASSES + c]!;
    this.blocks[c * BLOCKS + (b >> BLOCK_BITS)]!--;
    this.classCount[c]!--;
    const figures = this.listFigures[b * FREE_CLASSES + c]!;
    const at = this.pos[slot]!;
    const last = list.pop()!;
    const lastFigure = figures.pop()!;
    if (last !== slot) {
      list[at] = last;
      figures[at] = lastFigure;
      this.pos[last] = at;
    }
    this.epochs[this.epochOf[slot]!]!.count--;
    this.eff[slot] = NaN;
    this.reachable--;
  }
}

/** The model's estimates to one target, resolved once where it can. */
export function estimatorOf(latency: LatencyEstimator, target: LatencyTarget): (id: string) => RttEstimate | undefined {
  return latency.estimatorTo?.(target) ?? ((id) => latency.estimateTo(id, target));
}
