// Every node's Vivaldi coordinate, by slot, filed in square cells of the coordinate plane: one
// copy for every target, kept current from the model's sample log at O(1) a moved node, where a
// target's RTT buckets (rtt-buckets.ts) pay that once per cached target. A walk to a target reads
// the cells nearest the target's anchor first and takes each node's figure from its coordinate
// there and then, so a sample costs the walks nothing but that one move (see GridSource).
import { coordinateEffectiveMs } from '../latency/model.ts';
import type { AnchorState } from '../latency/types.ts';
import type { SlotIndex } from './rtt-buckets.ts';
import type { LatencyEstimator } from './types.ts';

/**
 * Side of a cell in the plane, in coordinate ms. In the bench's 10k-node city with 4 samples a
 * decision, 0.5 placed fastest: 0.25 walked a sixth fewer nodes but twice the cells, and cells
 * appearing as nodes move cost every target's order.
 */
export const CELL_MS = 0.5;
/**
 * Height of a cell, in ms: in a fitted city the plane spans ~5 ms and heights (each node's access
 * link) 0–2 ms, so cells by the plane alone held nodes ms apart (4,000 nodes walked a decision,
 * 1,900 with height cells of 0.1 ms; 0.05 ms walked as many through more cells). Cells by error
 * as well walked a quarter fewer nodes through three times the cells, and placed slower.
 */
export const HEIGHT_CELL_MS = 0.1;
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
  readonly slots: number[];
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
  private posOf = new Int32Array(0);
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
        if (slot >= 0 && slot < this.cellOf.length) this.file(slot, index.idAt(slot), latency);
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
      this.file(slot, index.idAt(slot), latency);
    }
  }

  /** Takes the slot's coordinate now and files it (out of its old cell). */
  private file(slot: number, id: string, latency: CoordinateModel): void {
    const c = latency.fittedCoordinate(id);
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
    if (old >= 0) {
      const cell = this.cells[old]!;
      if (cell.cx === cx && cell.cy === cy && cell.ch === ch) return;
      this.unfile(slot, old);
    }
    const key = `${cx},${cy},${ch}`;
    let cell = this.cellByKey.get(key);
    if (!cell) {
      cell = { id: this.cells.length, cx, cy, ch, floorHeight: ch * HEIGHT_CELL_MS, slots: [] };
      this.cells.push(cell);
      this.cellByKey.set(key, cell);
    }
    this.cellOf[slot] = cell.id;
    this.posOf[slot] = cell.slots.length;
    cell.slots.push(slot);
    this.filed++;
  }

  /** O(1): the cell's last slot takes this one's place. */
  private unfile(slot: number, cellId: number): void {
    const slots = this.cells[cellId]!.slots;
    const at = this.posOf[slot]!;
    const last = slots.pop()!;
    if (last !== slot) {
      slots[at] = last;
      this.posOf[last] = at;
    }
    this.cellOf[slot] = -1;
    this.filed--;
  }
}

function cellIndex(v: number, side: number): number {
  return Math.max(-CELL_LIMIT + 1, Math.min(CELL_LIMIT - 1, Math.floor(v / side)));
}
