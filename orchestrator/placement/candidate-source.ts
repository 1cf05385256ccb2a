// What the walker reads its candidates from (sources.ts, grid-source.ts): groups in the order that
// finds a winner soonest, each bounded as a whole.
import type { BoundQuery } from './plugin.ts';

export interface CandidateSource {
  /** Fixed for a walk (a source is made for one decision). */
  readonly groupCount: number;
  slotsOf(g: number): readonly number[];
  /** Sets what every node of group g satisfies (a floor RTT, or an exact free count). */
  describeGroup(g: number, q: BoundQuery): void;
  /** Group g and every later one are past the latency SLO (the walk ends there). */
  pastSlo(g: number): boolean;
  /** A lower bound on the slot's effective RTT to the target; NaN when the source has none. */
  rttLowerBound(slot: number): number;
  /** rttLowerBound of group g's nodes, by their position in slotsOf(g); null: ask per node. */
  rttBoundsOf(g: number): ArrayLike<number> | null;
  /** Slots group g also holds that another group walks (1: pass over it); null: none. */
  skipIn(g: number): Uint8Array | null;
  /** How many of group g's slots skipIn(g) marks (read without the mask when a group is passed over whole). */
  skippedIn(g: number): number;
  /** Nodes within a group come in id order, so a node that can only tie the best loses on id. */
  readonly idOrdered: boolean;
  /**
   * RTT floors never fall along the order: the first group that cannot win with any capacity
   * ends the walk (one that cannot with its own is passed over).
   */
  readonly monotone: boolean;
  /** Optional: the source the preemption walk reads, where it differs (it may free cards). */
  forPreemption?(): CandidateSource;
}
