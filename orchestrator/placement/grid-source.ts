// Latency work's candidates read straight from the shared coordinate grid (coordinate-grid.ts):
// group 0 is the nodes whose estimate is not a coordinate one (the anchor, its measured peers,
// nodes not fitted yet), each with its figure from the model; then the grid's cells by their
// floor, each bounded by its nearest point in the plane, its least height and the grid's least
// error, each node by its figure from its coordinate, taken as the walk reaches it. Nothing here
// is per target but the order of the cells, taken again when the anchor moves: RTT samples
// between decisions cost a walk nothing but the moved nodes' re-filing in the one grid. The order
// is sorted lazily (a heap the walk pops): a walk reads tens of a fleet's thousands of cells.
// Each cell's free-count lists are groups of their own, bounded by their count; lists of nodes
// with too few free cards are not walked (the preemption walk reads them all).
import { effectiveMsAt } from '../latency/model.ts';
import { effectiveRtt } from './filters/latency-slo.ts';
import type { AnchorState, LatencyTarget } from '../latency/types.ts';
import { CoordinateGrid, membersOf, type Cell, type CoordinateModel } from './coordinate-grid.ts';
import { FREE_CLASSES, boundFreeOf, classWalk, type ClassWalk } from './free-classes.ts';
import type { PlacementRequest } from './request.ts';

const EMPTY: readonly number[] = Object.freeze([]);
import type { BoundQuery } from './plugin.ts';
import { estimatorOf, type SlotIndex } from './rtt-buckets.ts';
import type { CandidateSource } from './candidate-source.ts';

/** Slack under a cell's floor: its distance and a node's are taken along different float paths. */
const FLOOR_SLACK_MS = 1e-9;
/** The share of the grid's least error an order's floors assume: a fit refining errors moves it often. */
const ERROR_FLOOR_SHARE = 0.75;
/** Targets whose order is kept (least recently used first out). */
const MAX_ORDERS = 128;
/**
 * Past this many nodes in group 0 (measured peers of the anchor, nodes not fitted yet) the model's
 * own estimates cost more than RTT buckets would: the grid does not serve the target.
 */
export const MAX_GROUP_ZERO = 512;

/** One target's view of the grid: its anchor, group 0, and the cells by floor. */
class GridOrder {
  /** Cells taken from the heap so far, by their floor to the anchor, lowest first, with the floors. */
  cells: Cell[] = [];
  floors: number[] = [];
  /** The other cells: a binary min-heap by floor, none below the last taken. */
  heapCells: Cell[] = [];
  heapFloors: number[] = [];
  /** Grid cells in the order so far (cells[0..seen) of the grid). */
  seen = 0;
  /** Group 0's slots and figures (NaN: no estimate). */
  zero: number[] = [];
  zeroFigures: number[] = [];
  /** By slot, 1 for group 0's members: a cell holding one passes over it. */
  inZero = new Uint8Array(0);
  /** Group 0's members filed in cells, as of this decision: in all, and in lists of `zeroLeast` free or more. */
  zeroInCells = 0;
  zeroInWalked = 0;
  zeroLeast = 0;
  othersVersion = -1;
  /** False while group 0 is too large for the grid to serve the target (until the anchor moves). */
  serves = true;
  /** The model version of the last walk this order served (a still model: RTT buckets serve better). */
  lastUse = -1;

  constructor(
    /** The anchor every figure and floor is taken against. */
    readonly anchor: AnchorState,
    readonly generation: number,
    /** The least error of any filed node when the floors were taken (a lower one needs new floors). */
    readonly errorFloor: number,
  ) {}
}

const ordersOf = new WeakMap<CoordinateGrid, Map<string, GridOrder>>();

export class GridSource implements CandidateSource {
  readonly idOrdered = false;
  readonly monotone = true;
  /** rttBoundsOf's answer, reused: setting a plain array's length each group was a runtime call. */
  private static scratch = new Float64Array(256);

  /** The free-count classes walked in each cell, in walk order. */
  private readonly classes: readonly number[];
  private readonly walk: ClassWalk;
  private walkedMask = 0;
  /** The walk's cursor: group `at`, the cell at position `pos` − 1 of the order, its class by rank `r`. */
  private at = 0;
  private pos = 0;
  private r = 0;
  private cell: Cell | null = null;
  /** Group 0's members filed in cells, by cell id · FREE_CLASSES + class (built when first asked). */
  private zeroByList: Map<number, number> | null = null;

  private constructor(
    private readonly grid: CoordinateGrid,
    private readonly o: GridOrder,
    private readonly maxRttMs: number,
    private readonly req: Pick<PlacementRequest, 'accelerators' | 'strategy'>,
    /** The most free accelerators any node has (classes above it are empty). */
    private readonly topFree: number,
    preempt: boolean,
  ) {
    this.walk = classWalk(req, topFree, preempt);
    this.classes = this.walk.classes;
    for (const c of this.classes) this.walkedMask |= 1 << c;
  }

  /** The same cells for the preemption walk: every free count, as evictions may free cards. */
  forPreemption(): GridSource {
    return new GridSource(this.grid, this.o, this.maxRttMs, this.req, this.topFree, true);
  }

  /**
   * The target's source on the grid brought to the model's version; null when the grid cannot serve
   * it (the anchor not fitted, too many nodes in group 0) or the model has not moved since the
   * target's last walk (its RTT buckets are then current and cheaper to walk).
   */
  static for(
    index: SlotIndex, grid: CoordinateGrid, latency: CoordinateModel, target: LatencyTarget, key: string, maxRttMs: number,
    req: Pick<PlacementRequest, 'accelerators' | 'strategy'>, topFree: number,
  ): GridSource | null {
    grid.refresh(index, latency);
    let orders = ordersOf.get(grid);
    if (!orders) ordersOf.set(grid, (orders = new Map()));
    let o = orders.get(key);
    const anchor = latency.anchorOf(target);
    if (!anchor || anchor.fits === 0) return null;
    if (o && o.lastUse === latency.version) return null;
    // The anchor moves only when a sample names it; then every floor and group 0's measured
    // figures change. (Keeping the order under the model's drift bound walked more than it saved.)
    if (!o || o.generation !== grid.generation || grid.minError < o.errorFloor || !sameAnchor(o.anchor, anchor)) {
      // A little under the grid's least error, so each new low does not send every target to new floors.
      o = new GridOrder(anchor, grid.generation, ERROR_FLOOR_SHARE * grid.minError);
      o.serves = setGroupZero(o, index, grid, latency, target);
    } else if (o.serves && o.othersVersion !== grid.othersVersion) o.serves = setGroupZero(o, index, grid, latency, target);
    orders.delete(key);
    orders.set(key, o);
    if (orders.size > MAX_ORDERS) orders.delete(orders.keys().next().value!);
    if (!o.serves) return null;
    o.lastUse = latency.version;
    takeNewCells(o, grid);
    const source = new GridSource(grid, o, maxRttMs, req, topFree, false);
    o.zeroInCells = 0;
    o.zeroInWalked = 0;
    o.zeroLeast = source.walk.least;
    for (const slot of o.zero) {
      if (grid.cellIdOf(slot) < 0) continue;
      o.zeroInCells++;
      if (grid.classOf(slot) >= o.zeroLeast) o.zeroInWalked++;
    }
    return source;
  }

  /** An upper bound: groups are the non-empty walked lists, found as the walk reaches them. */
  get groupCount(): number {
    return 1 + (this.o.cells.length + this.o.heapCells.length) * this.classes.length;
  }

  slotsOf(g: number): readonly number[] {
    if (g === 0) return this.o.zero;
    return this.seek(g) ? membersOf(this.cell!, this.classes[this.r]!) : EMPTY;
  }

  /** Group g's members that group 0 walks (the walker passes over them). */
  skippedIn(g: number): number {
    if (g === 0 || this.o.zeroInCells === 0 || !this.seek(g)) return 0;
    if (this.zeroByList === null) {
      this.zeroByList = new Map();
      for (const slot of this.o.zero) {
        const cell = this.grid.cellIdOf(slot);
        if (cell < 0) continue;
        const key = cell * FREE_CLASSES + this.grid.classOf(slot);
        this.zeroByList.set(key, (this.zeroByList.get(key) ?? 0) + 1);
      }
    }
    return this.zeroByList.get(this.cell!.id * FREE_CLASSES + this.classes[this.r]!) ?? 0;
  }

  skipIn(g: number): Uint8Array | null {
    return g === 0 ? null : this.o.inZero;
  }

  describeGroup(g: number, q: BoundQuery): void {
    q.rttMs = this.floor(g);
    q.free = g === 0 || !this.seek(g) ? -1 : boundFreeOf(this.walk, this.classes[this.r]!);
    q.tflopsPerWatt = Number.NaN;
    q.node = null;
    q.cap = null;
  }

  pastSlo(g: number): boolean {
    return g > 0 && this.floor(g) > this.maxRttMs;
  }

  rttLowerBound(slot: number): number {
    return this.o.inZero[slot] === 1 ? this.o.zeroFigures[this.o.zero.indexOf(slot)]! : this.grid.figure(slot, this.o.anchor);
  }

  /** Group g's figures, in the order of slotsOf(g) (the array may be longer); valid until the next call. */
  rttBoundsOf(g: number): ArrayLike<number> {
    if (g === 0) return this.o.zeroFigures;
    const slots = this.slotsOf(g);
    if (GridSource.scratch.length < slots.length) GridSource.scratch = new Float64Array(slots.length * 2);
    const out = GridSource.scratch;
    const a = this.o.anchor;
    for (let i = 0; i < slots.length; i++) out[i] = this.grid.figure(slots[i]!, a);
    return out;
  }

  /**
   * The nodes the walk did not reach, having ended before group g: if the walk stopped on its
   * bound they are not examined; if it ran past the SLO (or out of groups) every one is past it.
   * `encountered`: the nodes of the groups it walked, as the walker counts them.
   */
  rest(g: number, stoppedByBound: boolean, encountered: number): { past: number; pastSample: number | null; within: number } {
    const zero = this.o.zero.length;
    const walkedZero = g > 0 ? zero : 0;
    const least = this.walk.least;
    let walkable = 0;
    for (let c = least; c < this.grid.classCount.length; c++) walkable += this.grid.classCount[c]!;
    const left = zero - walkedZero + walkable - this.zeroInCellsFrom(least) - (encountered - walkedZero);
    if (left <= 0) return { past: 0, pastSample: null, within: 0 };
    if (stoppedByBound) return { past: 0, pastSample: null, within: left };
    let pastSample: number | null = null;
    for (let k = Math.max(g, 1); k < this.groupCount && pastSample === null; k++) {
      if (!this.seek(k)) break;
      for (const slot of this.slotsOf(k)) {
        if (this.o.inZero[slot] !== 1) {
          pastSample = slot;
          break;
        }
      }
    }
    return { past: left, pastSample, within: 0 };
  }

  /**
   * Nodes filed in cells of the classes the walk does not read (too few free accelerators, and
   * not in group 0, which is walked whatever its members' counts), with a way to one of them.
   */
  notWalked(): { count: number; sample: () => number | null } {
    const least = this.walk.least;
    let count = 0;
    for (let c = 0; c < least; c++) count += this.grid.classCount[c]!;
    count -= this.o.zeroInCells - this.zeroInCellsFrom(least);
    const sample = () => {
      for (const cell of this.grid.cells) {
        for (let c = 0; c < least; c++) for (const slot of membersOf(cell, c)) if (this.o.inZero[slot] !== 1) return slot;
      }
      return null;
    };
    return { count, sample };
  }

  /** Group 0's members filed in cells, in lists of `least` free or more. */
  private zeroInCellsFrom(least: number): number {
    const o = this.o;
    if (least === 0) return o.zeroInCells;
    if (least === o.zeroLeast) return o.zeroInWalked;
    let n = 0;
    for (const slot of o.zero) if (this.grid.cellIdOf(slot) >= 0 && this.grid.classOf(slot) >= least) n++;
    return n;
  }

  /** A lower bound on every figure in group g (group 0 is bounded node by node); Infinity past the last group. */
  private floor(g: number): number {
    if (g === 0) return 0;
    return this.seek(g) ? this.o.floors[this.pos - 1]! : Infinity;
  }

  /**
   * Moves the cursor to group g ≥ 1: the g-th non-empty walked list, cell by cell in floor order,
   * class by class within a cell. False past the last.
   */
  private seek(g: number): boolean {
    if (g === this.at) return this.cell !== null;
    if (g < this.at) {
      this.at = 0;
      this.pos = 0;
      this.cell = null;
    }
    while (this.at < g) {
      if (!this.advance()) {
        this.cell = null;
        this.at = g;
        return false;
      }
      this.at++;
    }
    return true;
  }

  /** The next non-empty walked list after the cursor's. */
  private advance(): boolean {
    const k = this.classes.length;
    const o = this.o;
    for (;;) {
      if (this.cell !== null && ++this.r < k) {
        if ((this.cell.mask >>> this.classes[this.r]!) & 1) return true;
        continue;
      }
      take(o, this.pos + 1);
      if (this.pos >= o.cells.length) return false;
      this.cell = o.cells[this.pos++]!;
      // A cell with none of the walked counts is passed over whole.
      this.r = (this.cell.mask & this.walkedMask) === 0 ? k : -1;
    }
  }
}

function sameAnchor(a: AnchorState, b: AnchorState): boolean {
  return a.id === b.id && a.fits === b.fits && a.geoMs === b.geoMs && a.x === b.x && a.y === b.y && a.height === b.height && a.error === b.error && a.errorScale === b.errorScale;
}

/** Group 0: the grid's unfitted nodes and the target's own exceptions, with the model's figures. */
function setGroupZero(o: GridOrder, index: SlotIndex, grid: CoordinateGrid, latency: CoordinateModel, target: LatencyTarget): boolean {
  o.othersVersion = grid.othersVersion;
  if (grid.others.size > MAX_GROUP_ZERO) return false;
  const geometry = latency.geometryOf(target, MAX_GROUP_ZERO);
  if (!geometry || geometry.anchor.id !== o.anchor.id) return false;
  const slots = new Set(grid.others);
  for (const id of geometry.otherwise) {
    const slot = index.slotOf(id);
    if (slot !== undefined) slots.add(slot);
  }
  if (slots.size > MAX_GROUP_ZERO) return false;
  const estimate = estimatorOf(latency, target);
  o.zero = [...slots];
  o.inZero = new Uint8Array(grid.capacity);
  for (const slot of o.zero) o.inZero[slot] = 1;
  o.zeroFigures = o.zero.map((slot) => {
    const est = estimate(index.idAt(slot));
    return est === undefined ? Number.NaN : effectiveRtt(est);
  });
  return true;
}

/**
 * Takes in the cells the grid gained since the order last looked: a new order (a moved anchor,
 * new floors) every cell, heaped in O(n); then each new one into the heap, or, below the last cell
 * taken, into its place among those taken.
 */
function takeNewCells(o: GridOrder, grid: CoordinateGrid): void {
  const cells = grid.cells;
  if (o.seen === 0) {
    o.heapCells = cells.slice();
    o.heapFloors = o.heapCells.map((c) => floorOf(c, o));
    for (let k = (o.heapCells.length >> 1) - 1; k >= 0; k--) siftDown(o, k);
    o.seen = cells.length;
    return;
  }
  for (let k = o.seen; k < cells.length; k++) {
    const c = cells[k]!;
    const f = floorOf(c, o);
    const taken = o.floors.length;
    if (taken > 0 && f < o.floors[taken - 1]!) {
      let lo = 0;
      let hi = taken;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (o.floors[mid]! <= f) lo = mid + 1;
        else hi = mid;
      }
      o.cells.splice(lo, 0, c);
      o.floors.splice(lo, 0, f);
    } else {
      o.heapCells.push(c);
      o.heapFloors.push(f);
      siftUp(o, o.heapCells.length - 1);
    }
  }
  o.seen = cells.length;
}

/** Pops the heap into the order until it holds n cells (or the heap is empty). */
function take(o: GridOrder, n: number): void {
  const cells = o.heapCells;
  const floors = o.heapFloors;
  while (o.cells.length < n && cells.length > 0) {
    o.cells.push(cells[0]!);
    o.floors.push(floors[0]!);
    const lastCell = cells.pop()!;
    const lastFloor = floors.pop()!;
    if (cells.length > 0) {
      cells[0] = lastCell;
      floors[0] = lastFloor;
      siftDown(o, 0);
    }
  }
}

function siftDown(o: GridOrder, k: number): void {
  const cells = o.heapCells;
  const floors = o.heapFloors;
  const n = cells.length;
  const c = cells[k]!;
  const f = floors[k]!;
  for (;;) {
    let child = 2 * k + 1;
    if (child >= n) break;
    if (child + 1 < n && floors[child + 1]! < floors[child]!) child++;
    if (floors[child]! >= f) break;
    cells[k] = cells[child]!;
    floors[k] = floors[child]!;
    k = child;
  }
  cells[k] = c;
  floors[k] = f;
}

function siftUp(o: GridOrder, k: number): void {
  const cells = o.heapCells;
  const floors = o.heapFloors;
  const c = cells[k]!;
  const f = floors[k]!;
  while (k > 0) {
    const parent = (k - 1) >> 1;
    if (floors[parent]! <= f) break;
    cells[k] = cells[parent]!;
    floors[k] = floors[parent]!;
    k = parent;
  }
  cells[k] = c;
  floors[k] = f;
}

/**
 * A lower bound on the figure of every node the cell can hold, to the order's anchor: its nearest
 * point in the plane, its least height, the grid's least error, in coordinateEffectiveMs's
 * arithmetic less a slack for the different float path.
 */
function floorOf(c: Cell, o: GridOrder): number {
  const eff = effectiveMsAt(CoordinateGrid.planeDistance(c, o.anchor.x, o.anchor.y), c.floorHeight, o.errorFloor, o.anchor);
  return eff - FLOOR_SLACK_MS * (1 + eff);
}
