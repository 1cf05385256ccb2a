// Every node's Vivaldi coordinate, by slot, filed in square cells of the coordinate plane: one
// copy for every target, kept current from the model's sample log at O(1) a moved node, where a
// target's RTT buckets (rtt-buckets.ts) pay that once per cached target. A walk to a target reads
// the cells nearest the target's anchor first and takes each node's figure from its coordinate
// there and then, so a sample costs the walks nothing but that one move (see GridSource). A
// cell keeps its members in lists by free-card count (free-classes.ts), as the RTT buckets do.
import { coordinateEffectiveMs } from '../latency/model.ts';
import type { AnchorState } from '../latency/types.ts';
import type { SlotIndex } from './rtt-buckets.ts';
import { FREE_CLASSES, freeClassOf } from './free-classes.ts';
import type { LatencyEstimator } from './types.ts';

/**
 * Side of a cell in the plane, in coordinate ms. Cells hold their nodes in lists by free count
 * (free-classes.ts), so a walk pays per list reached: with those lists, 1 ms × 0.25 ms of height
 * placed 1.32 times as fast as 0.5 × 0.1 under the bench's stream (10k nodes, 4 samples a decision,
 * 40 interleaved blocks of 500 calls in one process); 2 ms or 0.5 ms of height did about as well,
 * 1 × 0.1 or 0.5 × 0.2 less (1.13–1.16). Before the lists, 0.5 × 0.1 placed fastest.
 */
export const CELL_MS = 1.0;
/**
 * Height of a cell, in ms: in a fitted city the plane spans ~5 ms and heights (each node's access
 * link) 0–2 ms, so cells by the plane alone held nodes ms apart. Cells by error as well walked a
 * quarter fewer nodes through three times the cells, and placed slower.
 */
export const HEIGHT_CELL_MS = 0.25;
/** Cells beyond this from the origin share the edge cell (hours of RTT away: no model puts a point there). */
const CELL_LIMIT = 1 << 25;

export interface Cell {
  /** Position in the grid's cells (cells are never dropped: an empty one stays empty). */
  readonly id: number;
  readonly cx: number;
  readonly cy: number;
  readonly ch: number;
  /** The lowest height a member can have. */
  readonly floorHeight: number;
  /** Members by free-count class (free-classes.ts); undefined: none yet. */
  readonly lists: (number[] | undefined)[];
  /** Bit c set: lists[c] is not empty. */
  mask: number;
}

const EMPTY: readonly number[] = Object.freeze([]);

/** The cell's members of free-count class c. */
export function membersOf(cell: Cell, c: number): readonly number[] {
  return cell.lists[c] ?? EMPTY;
}

/** A latency model that can hand out its coordinates (LatencyModel does). */
export type CoordinateModel = LatencyEstimator &
  Required<Pick<LatencyEstimator, 'version' | 'movedSince' | 'fittedCoordinate' | 'geometryOf' | 'anchorOf'>>;

export function hasCoordinates(latency: LatencyEstimator): latency is CoordinateModel {
  return (
    latency.version !== undefined && latency.movedSince !== undefined && latency.fittedCoordinate !== undefined &&
    latency.geometryOf !== undefined && latency.anchorOf !== undefined
  );
}

export class CoordinateGrid {
  /** The model version the coordinates are current for; -1: never built. */
  version = -1;
  membership = -1;
  /** By slot: x, y, height, error. */
  private coords = new Float64Array(0);
  /** By slot: its cell's id, -1 when it has no fitted coordinate (it is in `others`). */
  private cellOf = new Int32Array(0);
  /** By slot: its place in its cell's list, and that list's free-count class. */
  private posOf = new Int32Array(0);
  private clsOf = new Uint8Array(0);
  /** Filed slots by free-count class. */
  readonly classCount = new Int32Array(FREE_CLASSES);
  readonly cells: Cell[] = [];
  private readonly cellByKey = new Map<string, Cell>();
  /** Slots of the fleet without a fitted coordinate: their figures come from the model itself. */
  readonly others = new Set<number>();
  /** Bumped when `others` changes. */
  othersVersion = 0;
  /** Bumped on a rebuild (cell ids start over); cells added since are cells[seen..]. */
  generation = 0;
  /** Slots filed in cells. */
  filed = 0;
  /** The lowest error any filed coordinate has had since the last rebuild: a term of every floor. */
  minError = Infinity;

  /** Brings every coordinate to the model's version: O(m) for m moved nodes, O(N) after a wider change. */
  refresh(index: SlotIndex, latency: CoordinateModel): void {
    const version = latency.version;
    if (this.membership === index.membership && this.version === version) return;
    const moved = this.membership === index.membership && this.version >= 0 ? index.movedSince(latency, this.version) : null;
    if (moved === null) {
      this.rebuild(index, latency);
    } else {
      const { entries } = moved;
      for (let i = moved.from; i < entries.length; i++) {
        const slot = entries[i]!;
        if (slot >= 0 && slot < this.cellOf.length) this.file(slot, index, latency);
      }
    }
    this.version = version;
  }

  /** The slot's figure to the anchor: the model's estimate, effective, to the bit. */
  figure(slot: number, a: AnchorState): number {
    const c = this.coords;
    const o = slot * 4;
    return coordinateEffectiveMs(c[o]!, c[o + 1]!, c[o + 2]!, c[o + 3]!, a);
  }

  /** The free-count class a slot is filed under. */
  classOf(slot: number): number {
    return this.clsOf[slot]!;
  }

  /**
   * Keeps a slot in its cell's list of its free count as allocations change it (PlacementIndex
   * calls it): O(1). A slot the grid has no room for yet is taken at the next rebuild.
   */
  reclass(slot: number, free: number): void {
    if (slot >= this.clsOf.length) return;
    const c = freeClassOf(free);
    if (this.clsOf[slot] === c) return;
    const cell = this.cellOf[slot]!;
    if (cell < 0) {
      this.clsOf[slot] = c;
      return;
    }
    this.unfile(slot, cell);
    this.clsOf[slot] = c;
    this.fileIn(slot, this.cells[cell]!);
  }

  /** The cell a slot is filed in (-1: none). */
  cellIdOf(slot: number): number {
    return slot < this.cellOf.length ? this.cellOf[slot]! : -1;
  }

  /** Slots the grid has room for (a mask by slot is this long). */
  get capacity(): number {
    return this.cellOf.length;
  }

  /** The nearest any point of the cell is to (x, y) in the plane. */
  static planeDistance(cell: Cell, x: number, y: number): number {
    const x0 = cell.cx * CELL_MS;
    const y0 = cell.cy * CELL_MS;
    const dx = x < x0 ? x0 - x : x > x0 + CELL_MS ? x - x0 - CELL_MS : 0;
    const dy = y < y0 ? y0 - y : y > y0 + CELL_MS ? y - y0 - CELL_MS : 0;
    return Math.sqrt(dx * dx + dy * dy);
  }

  private rebuild(index: SlotIndex, latency: CoordinateModel): void {
    let top = 0;
    for (const slot of index.slots()) top = Math.max(top, slot + 1);
    this.coords = new Float64Array(top * 4);
    this.cellOf = new Int32Array(top).fill(-1);
    this.posOf = new Int32Array(top);
    this.clsOf = new Uint8Array(top);
    this.classCount.fill(0);
    this.cells.length = 0;
    this.cellByKey.clear();
    this.others.clear();
    this.filed = 0;
    this.minError = Infinity;
    this.generation++;
    this.othersVersion++;
    this.membership = index.membership;
    for (const slot of index.slots()) {
      this.others.add(slot);
      this.file(slot, index, latency);
    }
  }

  /** Takes the slot's coordinate now and files it (out of its old cell). */
  private file(slot: number, index: SlotIndex, latency: CoordinateModel): void {
    const c = latency.fittedCoordinate(index.idAt(slot));
    const old = this.cellOf[slot]!;
    if (c === undefined) {
      if (old >= 0) this.unfile(slot, old);
      if (!this.others.has(slot)) {
        this.others.add(slot);
        this.othersVersion++;
      }
      return;
    }
    if (this.others.delete(slot)) this.othersVersion++;
    const o = slot * 4;
    this.coords[o] = c.x;
    this.coords[o + 1] = c.y;
    this.coords[o + 2] = c.height;
    this.coords[o + 3] = c.error;
    if (c.error < this.minError) this.minError = c.error;
    const cx = cellIndex(c.x, CELL_MS);
    const cy = cellIndex(c.y, CELL_MS);
    const ch = cellIndex(c.height, HEIGHT_CELL_MS);
    const cls = freeClassOf(index.freeAt(slot));
    if (old >= 0) {
      const cell = this.cells[old]!;
      if (cell.cx === cx && cell.cy === cy && cell.ch === ch && cls === this.clsOf[slot]) return;
      this.unfile(slot, old);
    }
    this.clsOf[slot] = cls;
    const key = `${cx},${cy},${ch}`;
    let cell = this.cellByKey.get(key);
    if (!cell) {
      cell = { id: this.cells.length, cx, cy, ch, floorHeight: ch * HEIGHT_CELL_MS, lists: new Array<number[] | undefined>(FREE_CLASSES).fill(undefined), mask: 0 };
      this.cells.push(cell);
      this.cellByKey.set(key, cell);
    }
    this.fileIn(slot, cell);
  }

  /** Files the slot (not filed) in the cell's list of its class. */
  private fileIn(slot: number, cell: Cell): void {
    const c = this.clsOf[slot]!;
    const list = (cell.lists[c] ??= []);
    this.cellOf[slot] = cell.id;
    this.posOf[slot] = list.length;
    list.push(slot);
    cell.mask |= 1 << c;
    this.classCount[c]!++;
    this.filed++;
  }

  /** O(1): the list's last slot takes this one's place. */
  private unfile(slot: number, cellId: number): void {
    const c = this.clsOf[slot]!;
    const cell = this.cells[cellId]!;
    const slots = cell.lists[c]!;
    this.classCount[c]!--;
    const at = this.posOf[slot]!;
    const last = slots.pop()!;
    if (last !== slot) {
      slots[at] = last;
      this.posOf[last] = at;
    }
    if (slots.length === 0) cell.mask &= ~(1 << c);
    this.cellOf[slot] = -1;
    this.filed--;
  }
}

function cellIndex(v: number, side: number): number {
  return Math.max(-CELL_LIMIT + 1, Math.min(CELL_LIMIT - 1, Math.floor(v / side)));
}
