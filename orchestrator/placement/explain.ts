// The walker's own counters, turned into what explain shows: per filter how many nodes it removed
// (with a few reasons), how many nodes were scored, how many the search never had to look at, and
// the best candidates. Nothing here is recomputed after the fact.
import type { Candidate } from './plugin.ts';
import type { CandidateReport, Decision, Explain, FilterName, FilterReport, ScoreBreakdown } from './types.ts';

const REASON_SAMPLES = 3;

export class Tally {
  readonly reports: FilterReport[];
  private readonly byName = new Map<FilterName, FilterReport>();
  scored = 0;
  notExamined = 0;

  constructor(names: readonly FilterName[]) {
    this.reports = names.map((name) => ({ name, removed: 0, reasons: [] }));
    for (const r of this.reports) this.byName.set(r.name, r);
  }

  /** Counts `count` nodes removed by `name`; `reason` is asked only while examples are wanted. */
  removed(name: FilterName, count: number, reason: () => string | null): void {
    if (count <= 0) return;
    const r = this.byName.get(name)!;
    r.removed += count;
    if (r.reasons.length < REASON_SAMPLES) {
      const why = reason();
      if (why !== null) r.reasons.push(why);
    }
  }

  /** The hot path's form: the report itself, so a removal costs no lookup and no closure. */
  report(name: FilterName): FilterReport {
    return this.byName.get(name)!;
  }

  static wantsReason(r: FilterReport): boolean {
    return r.reasons.length < REASON_SAMPLES;
  }

  worst(): FilterName | null {
    let worst: FilterReport | null = null;
    for (const r of this.reports) if (r.removed > 0 && (!worst || r.removed > worst.removed)) worst = r;
    return worst?.name ?? null;
  }
}

export interface Evaluated extends Candidate {
  breakdown: ScoreBreakdown;
  total: number;
}

/** Higher total first, then the lower node id: the deterministic tie-break. */
export function better(a: { total: number; node: { id: string } }, b: { total: number; node: { id: string } }): boolean {
  return a.total > b.total || (a.total === b.total && a.node.id < b.node.id);
}

/** The best candidate plus a short best-first list. */
export class TopN {
  readonly items: Evaluated[] = [];
  constructor(private readonly n: number) {}
  get best(): Evaluated | undefined {
    return this.items[0];
  }
  offer(e: Evaluated): void {
    const items = this.items;
    if (items.length >= this.n && !better(e, items[items.length - 1]!)) return;
    let i = items.length;
    while (i > 0 && better(e, items[i - 1]!)) i--;
    items.splice(i, 0, e);
    if (items.length > this.n) items.pop();
  }
}

export function report(e: Evaluated): CandidateReport {
  return { nodeId: e.node.id, total: e.total, breakdown: e.breakdown, rttMs: e.est?.rttMs ?? null, measured: e.est?.measured ?? false };
}

export function decision(fleet: number, top: readonly Evaluated[], tally: Tally, weights: ScoreBreakdown, evict: string[] = []): Decision {
  const best = top[0];
  const explain: Explain = {
    fleet,
    filters: tally.reports,
    scored: tally.scored,
    notExamined: tally.notExamined,
    candidates: top.map(report),
    blockedBy: best ? null : tally.worst(),
    weights,
  };
  return {
    nodeId: best?.node.id ?? null,
    acceleratorIndexes: best ? best.chosen.map((a) => a.index) : [],
    rttMs: best?.est?.rttMs ?? null,
    rttMeasured: best?.est?.measured ?? false,
    evict,
    explain,
  };
}
