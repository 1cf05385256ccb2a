// Latency work's candidates read straight from the shared coordinate grid (coordinate-grid.ts):
// group 0 is the nodes whose estimate is not a coordinate one (the anchor, its measured peers,
// nodes not fitted yet), each with its figure from the model; then the grid's cells by their
// floor, each bounded by its nearest point in the plane, its least height and the grid's least
// error, each node by its figure from its coordinate, taken as the walk reaches it. Nothing here
// is per target but the order of the cells, sorted again when the anchor moves: RTT samples
// between decisions cost a walk nothing but the moved nodes' re-filing in the one grid.
import { effectiveMsAt } from '../latency/model.ts';
import { effectiveRtt } from './filters/latency-slo.ts';
import type { AnchorState, LatencyTarget } from '../latency/types.ts';
import { CoordinateGrid, type Cell, type CoordinateModel } from './coordinate-grid.ts';
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
  /** Cells by their floor to the anchor, lowest first, with the floors. */
  cells: Cell[] = [];
  floors: number[] = [];
  /** Grid cells taken into the order so far (cells[0..seen) of the grid), and those since. */
  seen = 0;
  pending: Cell[] = [];
  pendingFloors: number[] = [];
  /** Group 0's slots and figures (NaN: no estimate). */
  zero: number[] = [];
  zeroFigures: number[] = [];
  /** By slot, 1 for group 0's members: a cell holding one passes over it. */
  inZero = new Uint8Array(0);
  /** Group 0's members filed in cells, as of this decision. */
  zeroInCells = 0;
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
  private scratch: number[] = [];
  /**
   * The walk reads the order and the pending cells merged, one group after the other: a cursor
   * at group `at` (cell cells[i] or pending[j]); a walk that starts over (preemption) resets it.
   */
  private at = 0;
  private i = 0;
  private j = 0;
  private cell: Cell | null = null;
  private cellFloor = 0;

  private constructor(
    private readonly grid: CoordinateGrid,
    private readonly o: GridOrder,
    private readonly maxRttMs: number,
  ) {}

  /**
   * The target's source on the grid brought to the model's version; null when the grid cannot serve
   * it (the anchor not fitted, too many nodes in group 0) or the model has not moved since the
   * target's last walk (its RTT buckets are then current and cheaper to walk).
   */
  static for(index: SlotIndex, grid: CoordinateGrid, latency: CoordinateModel, target: LatencyTarget, key: string, maxRttMs: number): GridSource | null {
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
      const before = o !== undefined && o.generation === grid.generation ? o : undefined;
      // A little under the grid's least error, so each new low does not send every target to a sort.
      o = new GridOrder(anchor, grid.generation, ERROR_FLOOR_SHARE * grid.minError);
      if (before) resortFrom(o, before);
      o.serves = setGroupZero(o, index, grid, latency, target);
    } else if (o.serves && o.othersVersion !== grid.othersVersion) o.serves = setGroupZero(o, index, grid, latency, target);
    orders.delete(key);
    orders.set(key, o);
    if (orders.size > MAX_ORDERS) orders.delete(orders.keys().next().value!);
    if (!o.serves) return null;
    o.lastUse = latency.version;
    takeNewCells(o, grid);
    o.zeroInCells = 0;
    for (const slot of o.zero) if (grid.cellIdOf(slot) >= 0) o.zeroInCells++;
    return new GridSource(grid, o, maxRttMs);
  }

  get groupCount(): number {
    return 1 + this.o.cells.length + this.o.pending.length;
  }

  slotsOf(g: number): readonly number[] {
    return g === 0 ? this.o.zero : this.seek(g).slots;
  }

  skipIn(g: number): Uint8Array | null {
    return g === 0 ? null : this.o.inZero;
  }

  describeGroup(g: number, q: BoundQuery): void {
    q.rttMs = this.floor(g);
    q.free = -1;
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

  /** Group g's figures, in the order of slotsOf(g); valid until the next call. */
  rttBoundsOf(g: number): readonly number[] {
    if (g === 0) return this.o.zeroFigures;
    const slots = this.slotsOf(g);
    const out = this.scratch;
    out.length = slots.length;
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
    const left = zero - walkedZero + this.grid.filed - this.o.zeroInCells - (encountered - walkedZero);
    if (left <= 0) return { past: 0, pastSample: null, within: 0 };
    if (stoppedByBound) return { past: 0, pastSample: null, within: left };
    let pastSample: number | null = null;
    for (let k = Math.max(g, 1); k < this.groupCount && pastSample === null; k++) {
      for (const slot of this.seek(k).slots) {
        if (this.o.inZero[slot] !== 1) {
          pastSample = slot;
          break;
        }
      }
    }
    return { past: left, pastSample, within: 0 };
  }

  /** A lower bound on every figure in group g (group 0 is bounded node by node). */
  private floor(g: number): number {
    if (g === 0) return 0;
    this.seek(g);
    return this.cellFloor;
  }

  /** Group g ≥ 1: the cell at position g − 1 of the order and the pending cells merged by floor. */
  private seek(g: number): Cell {
    if (g === this.at && this.cell !== null) return this.cell;
    if (g < this.at || this.cell === null) {
      this.at = 0;
      this.i = 0;
      this.j = 0;
    }
    const o = this.o;
    while (this.at < g) {
      const fromOrder = this.j >= o.pending.length || (this.i < o.cells.length && o.floors[this.i]! <= o.pendingFloors[this.j]!);
      if (fromOrder) {
        this.cell = o.cells[this.i]!;
        this.cellFloor = o.floors[this.i++]!;
      } else {
        this.cell = o.pending[this.j]!;
        this.cellFloor = o.pendingFloors[this.j++]!;
      }
      this.at++;
    }
    return this.cell!;
  }

}

function sameAnchor(a: AnchorState, b: AnchorState): boolean {
  return a.id === b.id && a.fits === b.fits && a.geoMs === b.geoMs && a.x === b.x && a.y === b.y && a.height === b.height && a.error === b.error;
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

/** Cells kept pending (merged by the walk as it goes) before one pass merges them into the order. */
const MAX_PENDING = 256;

/**
 * Takes in the cells the grid gained since the order last looked. They appear a few at a time as
 * nodes move, and each merged into every target's order at once cost more than the walks: they
 * wait in a short sorted list the walk merges as it goes, and join the order in one pass when many.
 */
/**
 * A moved anchor's order from the one before: the same cells with floors taken again, in the old
 * order sorted by insertion. A sample moves an anchor a fraction of a ms, so few cells change
 * places; past a budget of moves (a long way) a full sort. Pending cells stay pending.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Cells by floor, with their floors. A moved anchor sends a target here with thousands of cells,
 * on the walk's clock: each floor carries its cell's position in its last 16 bits (moved down to
 * the nearest double at or under it, so still a floor) and one native numeric sort orders them,
 * several times faster than a sort calling a comparator. Past 65,536 cells, or on a floor too
 * small to carry bits, the comparator sort.
 */
function sortedByFloor(cells: readonly Cell[], o: GridOrder): { cells: Cell[]; floors: number[] } {
  const n = cells.length;
  const keys = new Float64Array(n);
  let packed = LITTLE_ENDIAN && n <= 0x10000;
  for (let k = 0; k < n; k++) {
    const f = floorOf(cells[k]!, o);
    if (!(f > 1e-290)) packed = false;
    keys[k] = packed ? withPosition(f, k) : f;
  }
  if (!packed) {
    const byFloor = cells.map((c, k) => ({ c, f: keys[k]! })).sort((a, b) => a.f - b.f);
    return { cells: byFloor.map((e) => e.c), floors: byFloor.map((e) => e.f) };
  }
  keys.sort();
  const out: Cell[] = new Array(n);
  const floors: number[] = new Array(n);
  for (let k = 0; k < n; k++) {
    f64[0] = keys[k]!;
    out[k] = cells[u32[0]! & 0xffff]!;
    floors[k] = keys[k]!;
  }
  return { cells: out, floors };
}

/** The largest double at or under f (> 0) whose last 16 bits are `position` (exported for its test). */
export function withPosition(f: number, position: number): number {
  f64[0] = f;
  const lo = u32[0]!;
  if ((lo & 0xffff) >= position) u32[0] = ((lo & 0xffff0000) | position) >>> 0;
  else if (lo >>> 16 > 0) u32[0] = (((lo & 0xffff0000) - 0x10000) | position) >>> 0;
  else {
    u32[1] = u32[1]! - 1;
    u32[0] = (0xffff0000 | position) >>> 0;
  }
  return f64[0]!;
}

function resortFrom(o: GridOrder, before: GridOrder): void {
  const cells = before.cells.slice();
  const floors = cells.map((c) => floorOf(c, o));
  if (!sortByFloor(cells, floors, 8 * cells.length)) return;
  o.cells = cells;
  o.floors = floors;
  o.seen = before.seen;
  o.pending = before.pending.slice();
  o.pendingFloors = o.pending.map((c) => floorOf(c, o));
  sortByFloor(o.pending, o.pendingFloors, Infinity);
}

/** Insertion sort of cells with their floors; false (half done) once it has moved more than `budget`. */
function sortByFloor(cells: Cell[], floors: number[], budget: number): boolean {
  for (let k = 1; k < cells.length; k++) {
    const c = cells[k]!;
    const f = floors[k]!;
    let j = k - 1;
    while (j >= 0 && floors[j]! > f) {
      cells[j + 1] = cells[j]!;
      floors[j + 1] = floors[j]!;
      j--;
    }
    cells[j + 1] = c;
    floors[j + 1] = f;
    if ((budget -= k - 1 - j) < 0) return false;
  }
  return true;
}

function takeNewCells(o: GridOrder, grid: CoordinateGrid): void {
  const cells = grid.cells;
  if (o.seen === 0) {
    const sorted = sortedByFloor(cells, o);
    o.cells = sorted.cells;
    o.floors = sorted.floors;
    o.seen = cells.length;
    return;
  }
  for (let k = o.seen; k < cells.length; k++) {
    const c = cells[k]!;
    const f = floorOf(c, o);
    let lo = 0;
    let hi = o.pendingFloors.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o.pendingFloors[mid]! <= f) lo = mid + 1;
      else hi = mid;
    }
    o.pending.splice(lo, 0, c);
    o.pendingFloors.splice(lo, 0, f);
  }
  o.seen = cells.length;
  if (o.pending.length <= MAX_PENDING) return;
  const merged: Cell[] = new Array(o.cells.length + o.pending.length);
  const floors: number[] = new Array(merged.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < merged.length; k++) {
    if (j >= o.pending.length || (i < o.cells.length && o.floors[i]! <= o.pendingFloors[j]!)) {
      merged[k] = o.cells[i]!;
      floors[k] = o.floors[i++]!;
    } else {
      merged[k] = o.pending[j]!;
      floors[k] = o.pendingFloors[j++]!;
    }
  }
  o.cells = merged;
  o.floors = floors;
  o.pending = [];
  o.pendingFloors = [];
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
