// Latency work's candidates (RTT buckets, grid cells) are kept in lists by free-card count, so a
// walk passes over the nodes that cannot hold the work, or cannot pack well enough to win, a list
// at a time instead of a comparison a node. One rule for the classes and the order a walk reads them.
import type { PlacementRequest } from './request.ts';

/**
 * Free-count classes: 0 to 14 free exactly, the last 15 or more. At 100k nodes a cloud-gaming
 * walk passed over ~11,000 nodes near its site whose free cards could not win (one comparison
 * each); split, it passes over their lists.
 */
export const FREE_CLASSES = 16;

/** The class of a node with `free` free accelerators. */
export function freeClassOf(free: number): number {
  return free < FREE_CLASSES - 1 ? free : FREE_CLASSES - 1;
}

/** The classes one walk reads, in its order, and the least of them (those below are not walked). */
export interface ClassWalk {
  readonly classes: readonly number[];
  readonly least: number;
  /** Every class (a preemption walk, which may free cards): no list is bounded by its count. */
  readonly preempt: boolean;
}

/**
 * Spread reads the emptiest boxes first, binpack the fullest that fit; classes below the work's
 * need are not walked unless the walk may preempt. `topFree`: the most free accelerators any node has.
 */
export function classWalk(req: Pick<PlacementRequest, 'accelerators' | 'strategy'>, topFree: number, preempt: boolean): ClassWalk {
  const top = freeClassOf(Math.max(0, topFree));
  const least = preempt ? 0 : freeClassOf(req.accelerators);
  const up: number[] = [];
  for (let c = least; c <= top; c++) up.push(c);
  return { classes: req.strategy === 'binpack' && !preempt ? up : up.reverse(), least, preempt };
}

/** The free count a list of class c bounds its nodes by (-1: unknown, for the last class or a preemption walk). */
export function boundFreeOf(walk: ClassWalk, c: number): number {
  return walk.preempt || c === FREE_CLASSES - 1 ? -1 : c;
}
