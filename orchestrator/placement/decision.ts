// Building a Decision: the filter tally (how many nodes each filter removed, with a few reasons),
// the best-first candidate list, and the final shape explain shows.
import type { RttEstimate } from '../latency/types.ts';
import type { CandidateReport, Decision, FilterName, FilterReport, PlacementAccelerator, PlacementNode, ScoreBreakdown } from './types.ts';

const REASON_SAMPLES = 3;
const FILTER_ORDER: readonly FilterName[] = ['online-fresh', 'labels', 'accelerators', 'fp16-capacity', 'latency-slo'];

export interface Evaluated {
  node: PlacementNode;
  chosen: PlacementAccelerator[];
  est: RttEstimate | undefined;
  breakdown: ScoreBreakdown;
  total: number;
}

export class Tally {
  readonly reports = new Map<FilterName, FilterReport>(FILTER_ORDER.map((n) => [n, { name: n, removed: 0, reasons: [] }]));
  reject(name: FilterName, reason: string): void {
    this.rejectMany(name, 1, () => reason);
  }
  /** Counts `count` removals; `reason` is only asked for while samples are still wanted. */
  rejectMany(name: FilterName, count: number, reason: () => string | null): void {
    if (count <= 0) return;
    const r = this.reports.get(name)!;
    r.removed += count;
    if (r.reasons.length < REASON_SAMPLES) {
      const why = reason();
      if (why !== null) r.reasons.push(why);
    }
  }
  wantsReason(name: FilterName): boolean {
    return this.reports.get(name)!.reasons.length < REASON_SAMPLES;
  }
  list(): FilterReport[] {
    return [...this.reports.values()];
  }
  worst(): FilterName | null {
    let worst: FilterReport | null = null;
    for (const r of this.reports.values()) if (r.removed > 0 && (!worst || r.removed > worst.removed)) worst = r;
    return worst?.name ?? null;
  }
}

/** Keeps the best candidate plus a short top-N list, ordered by total desc then id asc. */
export class TopN {
  readonly items: Evaluated[] = [];
  constructor(private readonly n: number) {}
  get best(): Evaluated | undefined {
    return this.items[0];
  }
  offer(e: Evaluated): void {
    const i = this.items.findIndex((x) => better(e, x));
    if (i === -1) {
      if (this.items.length < this.n) this.items.push(e);
      return;
    }
    this.items.splice(i, 0, e);
    if (this.items.length > this.n) this.items.pop();
  }
}

export function better(a: { total: number; node: { id: string } }, b: { total: number; node: { id: string } }): boolean {
  return a.total > b.total || (a.total === b.total && a.node.id < b.node.id);
}

export function decision(top: TopN, tally: Tally, pruned: number): Decision {
  const best = top.best;
  return {
    nodeId: best?.node.id ?? null,
    acceleratorIndexes: best ? best.chosen.map((a) => a.index) : [],
    rttMs: best?.est?.rttMs ?? null,
    rttMeasured: best?.est?.measured ?? false,
    evict: [],
    explain: {
      filters: tally.list(),
      candidates: top.items.map(report),
      pruned,
      blockedBy: best ? null : tally.worst(),
    },
  };
}

export function report(e: Evaluated): CandidateReport {
  return { nodeId: e.node.id, total: e.total, breakdown: e.breakdown, rttMs: e.est?.rttMs ?? null, measured: e.est?.measured ?? false };
}

/** A preemption winner replaces "nothing fits" but keeps its filter report. */
export function withPreemption(nothing: Decision, p: { e: Evaluated; evict: string[] }): Decision {
  return {
    ...nothing,
    nodeId: p.e.node.id,
    acceleratorIndexes: p.e.chosen.map((a) => a.index),
    rttMs: p.e.est?.rttMs ?? null,
    rttMeasured: p.e.est?.measured ?? false,
    evict: p.evict,
    explain: { ...nothing.explain, candidates: [report(p.e)] },
  };
}
