// The latency model's log of the node ids its samples named, turned into slots once for every
// target's RTT buckets: each sample names two nodes, and each of the tens of cached targets would
// otherwise look both up again when it catches up (a string-keyed lookup is most of a re-file).
import type { SlotIndex } from './rtt-buckets.ts';
import type { LatencyEstimator } from './types.ts';

/** Past this many entries the oldest half goes; a target further behind rebuilds. */
const MAX_ENTRIES = 1 << 17;

export class MovedSlots {
  /** The model version entries[0] belongs to (two entries per version, -1: not a node here). */
  private base = 0;
  private upto = -1;
  private membership = -1;
  private entries: number[] = [];

  /**
   * Slots named since `version`, as entries[from..]; null when the model cannot say (a wider
   * change, or further back than kept).
   */
  since(index: SlotIndex, latency: LatencyEstimator, version: number): { entries: readonly number[]; from: number } | null {
    const now = latency.version;
    if (now === undefined || latency.movedSince === undefined) return null;
    if (this.membership !== index.membership || version < this.base || this.upto < 0) {
      this.membership = index.membership;
      this.base = version;
      this.upto = version;
      this.entries = [];
    }
    if (now > this.upto) {
      const ids = latency.movedSince(this.upto);
      if (ids === null) {
        this.upto = -1;
        return null;
      }
      for (const id of ids) this.entries.push(index.slotOf(id) ?? -1);
      this.upto = now;
      if (this.entries.length > MAX_ENTRIES) {
        const versions = this.entries.length >> 2;
        this.entries = this.entries.slice(2 * versions);
        this.base += versions;
        if (version < this.base) return null;
      }
    }
    return { entries: this.entries, from: 2 * (version - this.base) };
  }
}
