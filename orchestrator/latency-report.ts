// A node's latest RTT report as the registry keeps it. As decoded, each target is an object with
// five figures that are not small integers, and V8 boxes each of those in its own heap number: a
// report of six targets held ~1.2 KB, on every node. Kept here: the figures of all targets in one
// array of unboxed doubles, the names in another. Read, it is the report as decoded (`targets`
// is an enumerable property, so spreads, JSON and deep equality see what they saw before), built
// afresh on each read; nothing on the ingest path reads it.
import type { LatencyReport, RttStats, RttTargetKind } from '../protocol/messages.ts';

/** RttStats' numeric fields, in the decoder's order (after target and targetKind). */
const FIGURES = ['p50Ms', 'p90Ms', 'p99Ms', 'jitterMs', 'loss', 'sent', 'received', 'minMs'] as const;
const F = FIGURES.length;

export type KeptLatencyReport = LatencyReport & { atMs: number };

export class PackedLatencyReport implements KeptLatencyReport {
  /** target, targetKind of each target in turn. */
  readonly #names: string[];
  /** FIGURES of each target in turn. */
  readonly #figures: number[];
  declare readonly targets: RttStats[];
  declare readonly windowMs: number;
  declare readonly atMs: number;

  static readonly #targets: PropertyDescriptor = {
    enumerable: true,
    get(this: PackedLatencyReport): RttStats[] {
      return this.#unpack();
    },
  };

  /** `pool` gives the string to keep for each target and kind (one copy the fleet shares). */
  constructor(report: LatencyReport, atMs: number, pool?: { intern(s: string): string }) {
    const intern = (s: string) => (pool ? pool.intern(s) : s);
    const n = report.targets.length;
    const names = new Array<string>(2 * n);
    const figures = new Array<number>(F * n);
    for (let i = 0; i < n; i++) {
      const t = report.targets[i]!;
      names[2 * i] = intern(t.target);
      names[2 * i + 1] = intern(t.targetKind);
      for (let f = 0; f < F; f++) figures[F * i + f] = t[FIGURES[f]!];
    }
    this.#names = names;
    this.#figures = figures;
    // In the decoded report's key order: targets, windowMs, then the orchestrator's atMs.
    Object.defineProperty(this, 'targets', PackedLatencyReport.#targets);
    this.windowMs = report.windowMs;
    this.atMs = atMs;
  }

  #unpack(): RttStats[] {
    const names = this.#names;
    const figures = this.#figures;
    const out = new Array<RttStats>(names.length / 2);
    for (let i = 0; i < out.length; i++) {
      const at = F * i;
      out[i] = {
        target: names[2 * i]!,
        targetKind: names[2 * i + 1]! as RttTargetKind,
        p50Ms: figures[at]!,
        p90Ms: figures[at + 1]!,
        p99Ms: figures[at + 2]!,
        jitterMs: figures[at + 3]!,
        loss: figures[at + 4]!,
        sent: figures[at + 5]!,
        received: figures[at + 6]!,
        minMs: figures[at + 7]!,
      };
    }
    return out;
  }
}
