// The placement view of the fleet: nodes by id, each with a capacity summary kept current on
// every change, nodes bucketed by free accelerator count and efficiency tier (for work without a
// latency SLO), and per-target RTT buckets (for work with one; rtt-buckets.ts), rebuilt when the
// set of nodes changes.
import { summarize, type CapacitySummary } from './capacity.ts';

interface Bucket {
  slots: number[];
  sorted: boolean;
  /** The most TFLOPS per watt any member has had (a tier's bound, tight where its members agree). */
  ceiling: number;
}

/** The nodes with one free count, split by efficiency tier; keys highest tier first. */
interface FreeGroup {
  tiers: Map<number, Bucket>;
  keys: number[];
  count: number;
}
import { CoordinateGrid } from './coordinate-grid.ts';
import { MovedSlots } from './moved-slots.ts';
import type { RttBuckets } from './rtt-buckets.ts';
import type { Allocation, LatencyEstimator, PlacementNode } from './types.ts';

const MAX_CACHED_TARGETS = 128;
/** Label sets interned; past this, new sets are not (their nodes are judged one by one). */
const MAX_LABEL_SETS = 65_536;
/** The capacity key's bits in a slot's word (12 + 1 for its none); the label set's above them, up to MAX_LABEL_SETS + 1 < 2^18. */
const KEY_BITS = 13;
const KEY_MASK = (1 << KEY_BITS) - 1;

export class PlacementIndex {
  private readonly slotById = new Map<string, number>();
  private readonly nodes: (PlacementNode | undefined)[] = [];
  /** By slot: the node's id, read without touching the node (a cache miss a node at scale). */
  private readonly ids: string[] = [];
  private readonly caps: (CapacitySummary | undefined)[] = [];
  /**
   * By slot, one word: the node's interned label set and its capacity summary as one small number
   * (capacityKey), each + 1 (0: none), read by the walker without touching the node or the summary.
   * One word, not two arrays: at 100k nodes the walk's first read of a slot is a cache miss, and
   * it reads both.
   */
  private hot = new Int32Array(1024);
  private readonly labelSetIds = new Map<string, number>();
  private readonly labelSetList: Readonly<Record<string, string>>[] = [];
  private readonly vacant: number[] = [];
  /** Slots by free accelerator count and efficiency tier, each list in id order (sorted lazily after a bulk load). */
  private readonly byFree: FreeGroup[] = [];
  private bulk = false;
  private readonly preemptibleByPriority = new Map<number, number>();
  private readonly orders = new Map<string, RttBuckets>();
  private readonly moved = new MovedSlots();
  /** Every node's coordinate, one copy for all targets (kept current by the walks that read it). */
  readonly grid = new CoordinateGrid();
  private sorted: PlacementNode[] | null = null;
  private membershipVersion = 0;
  private maxTotal = 0;
  private maxEfficiency = 0;

  constructor(nodes: Iterable<PlacementNode> = []) {
    this.bulk = true;
    for (const n of nodes) this.upsert(n);
    this.bulk = false;
  }

  upsert(node: PlacementNode): void {
    let slot = this.slotById.get(node.id);
    if (slot === undefined) {
      slot = this.vacant.pop() ?? this.nodes.length;
      this.slotById.set(node.id, slot);
      this.ids[slot] = node.id;
      this.membershipVersion++;
    }
    this.nodes[slot] = node;
    this.sorted = null;
    this.internLabels(slot, node.labels);
    this.resummarize(slot);
  }

  remove(id: string): void {
    const slot = this.slotById.get(id);
    if (slot === undefined) return;
    this.forget(slot);
    this.slotById.delete(id);
    this.nodes[slot] = undefined;
    this.ids[slot] = '';
    this.setLabelSet(slot, -1);
    this.vacant.push(slot);
    this.sorted = null;
    this.membershipVersion++;
  }

  get(id: string): PlacementNode | undefined {
    const slot = this.slotById.get(id);
    return slot === undefined ? undefined : this.nodes[slot];
  }

  get size(): number {
    return this.slotById.size;
  }

  /** Every node in id order (cached until the set of nodes changes). */
  all(): readonly PlacementNode[] {
    this.sorted ??= [...this.slotById.values()].map((s) => this.nodes[s]!).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.sorted;
  }

  /** Records an allocation in the node view, so the next decision sees the capacity gone. */
  allocate(nodeId: string, acceleratorIndexes: readonly number[], allocation: Allocation): void {
    const slot = this.slotById.get(nodeId);
    if (slot === undefined) throw new Error(`allocate: unknown node ${nodeId}; upsert it before allocating`);
    for (const a of this.nodes[slot]!.accelerators) if (acceleratorIndexes.includes(a.index)) a.allocatedTo = { workload: allocation.workload, priority: allocation.priority, preemptible: allocation.preemptible };
    this.resummarize(slot);
  }

  /** Frees the workload's accelerators; pass its node to skip the fleet-wide search. */
  release(workload: string, nodeId?: string): void {
    const slots = nodeId !== undefined ? [this.slotById.get(nodeId)].filter((s) => s !== undefined) : this.slotById.values();
    for (const slot of slots) {
      let changed = false;
      for (const a of this.nodes[slot]!.accelerators) {
        if (a.allocatedTo?.workload === workload) {
          delete a.allocatedTo;
          changed = true;
        }
      }
      if (changed) this.resummarize(slot);
    }
  }

  // ── for the walker: slot-level access ──

  /** Bumped when a node joins or leaves (not when one changes). */
  get membership(): number {
    return this.membershipVersion;
  }

  /** The most accelerators any node has had (never shrinks: it is used as a bound). */
  get maxAccelerators(): number {
    return this.maxTotal;
  }

  /** The most FP16-eq TFLOPS per watt any node has had (never shrinks: it is used as a bound). */
  get maxTflopsPerWatt(): number {
    return this.maxEfficiency;
  }

  slots(): IterableIterator<number> {
    return this.slotById.values();
  }

  nodeAt(slot: number): PlacementNode {
    return this.nodes[slot]!;
  }

  /** nodeAt(slot).id without touching the node (re-files and tie checks need only the id). */
  idAt(slot: number): string {
    return this.ids[slot]!;
  }
  freeAt(slot: number): number {
    return this.caps[slot]!.free;
  }

  /**
   * The slot's label set: nodes with equal labels share one id, so a filter that reads labels
   * alone decides every node of a set at once (-1: not interned). A fleet has few distinct sets;
   * one where every node's labels differ stops interning at MAX_LABEL_SETS.
   */
  labelSetAt(slot: number): number {
    return (this.hot[slot]! >>> KEY_BITS) - 1;
  }

  /** The labels of label set `id`, and how many sets there are. */
  labelSet(id: number): Readonly<Record<string, string>> {
    return this.labelSetList[id]!;
  }
  get labelSetCount(): number {
    return this.labelSetList.length;
  }

  capacityAt(slot: number): CapacitySummary {
    return this.caps[slot]!;
  }

  /**
   * (total, free, free domestic) packed in 12 bits, equal for equal summaries; -1 when a count
   * passes 15. Scores that read only the summary give equal bounds to equal keys.
   */
  capacityKeyAt(slot: number): number {
    return (this.hot[slot]! & KEY_MASK) - 1;
  }

  /** A summary's capacity key (capacityKeyAt), or -1 when a count passes 15. */
  static keyOf(s: CapacitySummary): number {
    return s.total < 16 ? (s.total << 8) | (s.free << 4) | s.freeDomestic : -1;
  }

  /** The free and free domestic counts a capacity key (≥ 0) holds. */
  static freeOfKey(key: number): number {
    return (key >> 4) & 15;
  }
  static freeDomesticOfKey(key: number): number {
    return key & 15;
  }

  /** How many nodes have exactly `free` free accelerators. */
  countWithFree(free: number): number {
    return this.byFree[free]?.count ?? 0;
  }

  /** Some node with exactly `free` free accelerators (for an example reason), if any. */
  anyWithFree(free: number): number | undefined {
    for (const b of this.byFree[free]?.tiers.values() ?? []) if (b.slots.length > 0) return b.slots[0];
    return undefined;
  }

  /** The efficiency tiers present among nodes with `free` free accelerators, highest first. */
  tiersWithFree(free: number): readonly number[] {
    return this.byFree[free]?.keys ?? [];
  }

  /** The most TFLOPS per watt a node with `free` free accelerators in `tier` can have. */
  tierCeiling(free: number, tier: number): number {
    return this.byFree[free]?.tiers.get(tier)?.ceiling ?? 0;
  }

  /** Nodes with exactly `free` free accelerators in efficiency tier `tier`, in id order. */
  withFree(free: number, tier: number): readonly number[] {
    const b = this.byFree[free]?.tiers.get(tier);
    if (!b) return [];
    if (!b.sorted) {
      b.slots.sort((x, y) => (this.nodes[x]!.id < this.nodes[y]!.id ? -1 : 1));
      b.sorted = true;
    }
    return b.slots;
  }

  get maxFreeBucket(): number {
    return this.byFree.length - 1;
  }

  /** The lowest priority any preemptible allocation holds, or null when there is none. */
  lowestPreemptiblePriority(): number | null {
    let low: number | null = null;
    for (const p of this.preemptibleByPriority.keys()) if (low === null || p < low) low = p;
    return low;
  }

  /** The RTT buckets cached for a target key, if it was built for the current set of nodes. */
  cachedOrder(key: string): RttBuckets | undefined {
    const o = this.orders.get(key);
    if (!o || o.membership !== this.membershipVersion) return undefined;
    // Re-inserted so the map's order is least recently used first.
    this.orders.delete(key);
    this.orders.set(key, o);
    return o;
  }

  storeOrder(key: string, order: RttBuckets): void {
    this.orders.delete(key);
    this.orders.set(key, order);
    if (this.orders.size > MAX_CACHED_TARGETS) this.orders.delete(this.orders.keys().next().value!);
  }

  /** The slots the model's samples named since `version`, looked up once for every target. */
  movedSince(latency: LatencyEstimator, version: number): { entries: readonly number[]; from: number } | null {
    return this.moved.since(this, latency, version);
  }

  /** Slot of a node id. */
  slotOf(id: string): number | undefined {
    return this.slotById.get(id);
  }

  private internLabels(slot: number, labels: Readonly<Record<string, string>>): void {
    const key = JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
    let id = this.labelSetIds.get(key);
    if (id === undefined && this.labelSetList.length < MAX_LABEL_SETS) {
      id = this.labelSetList.length;
      this.labelSetIds.set(key, id);
      this.labelSetList.push(Object.freeze({ ...labels }));
    }
    this.setLabelSet(slot, id ?? -1);
  }

  private setLabelSet(slot: number, id: number): void {
    this.growHot(slot);
    this.hot[slot] = ((id + 1) << KEY_BITS) | (this.hot[slot]! & KEY_MASK);
  }
  private setCapacityKey(slot: number, key: number): void {
    this.growHot(slot);
    this.hot[slot] = (this.hot[slot]! & ~KEY_MASK) | (key + 1);
  }
  private growHot(slot: number): void {
    if (slot < this.hot.length) return;
    const grown = new Int32Array(Math.max(slot + 1, this.hot.length * 2));
    grown.set(this.hot);
    this.hot = grown;
  }

  private resummarize(slot: number): void {
    const before = this.caps[slot]?.free;
    this.forget(slot);
    const s = summarize(this.nodes[slot]!);
    this.caps[slot] = s;
    // Cached RTT orders and the grid keep each node in the list of its free count.
    if (s.free !== before) {
      for (const o of this.orders.values()) o.reclass(slot, s.free);
      this.grid.reclass(slot, s.free);
    }
    this.setCapacityKey(slot, PlacementIndex.keyOf(s));
    this.maxTotal = Math.max(this.maxTotal, s.total);
    this.maxEfficiency = Math.max(this.maxEfficiency, this.nodes[slot]!.tflopsPerWatt ?? 0);
    while (this.byFree.length <= s.free) this.byFree.push({ tiers: new Map(), keys: [], count: 0 });
    const group = this.byFree[s.free]!;
    let b = group.tiers.get(s.tier);
    if (!b) {
      group.tiers.set(s.tier, (b = { slots: [], sorted: true, ceiling: 0 }));
      group.keys = [...group.tiers.keys()].sort((x, y) => y - x);
    }
    group.count++;
    b.ceiling = Math.max(b.ceiling, this.nodes[slot]!.tflopsPerWatt ?? 0);
    this.bucketAdd(b, slot);
    for (const p of s.preemptiblePriorities) this.preemptibleByPriority.set(p, (this.preemptibleByPriority.get(p) ?? 0) + 1);
  }

  private forget(slot: number): void {
    const old = this.caps[slot];
    if (!old) return;
    const group = this.byFree[old.free]!;
    group.count--;
    this.bucketRemove(group.tiers.get(old.tier)!, slot);
    for (const p of old.preemptiblePriorities) {
      const left = this.preemptibleByPriority.get(p)! - 1;
      if (left === 0) this.preemptibleByPriority.delete(p);
      else this.preemptibleByPriority.set(p, left);
    }
    this.caps[slot] = undefined;
    this.setCapacityKey(slot, -1);
  }

  private bucketAdd(b: Bucket, slot: number): void {
    if (this.bulk || !b.sorted) {
      b.slots.push(slot);
      b.sorted = b.slots.length === 1;
      return;
    }
    b.slots.splice(this.position(b.slots, this.nodes[slot]!.id), 0, slot);
  }

  private bucketRemove(b: Bucket, slot: number): void {
    const i = b.sorted ? this.position(b.slots, this.nodes[slot]!.id) : b.slots.indexOf(slot);
    if (b.slots[i] === slot) b.slots.splice(i, 1);
  }

  /** First position in an id-ordered slot list whose id is not below `id`. */
  private position(slots: readonly number[], id: string): number {
    let lo = 0;
    let hi = slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[slots[mid]!]!.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
