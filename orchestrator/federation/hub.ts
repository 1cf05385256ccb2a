// The upstream side: each member city's latest summary and a bounded history of them, and the
// province's view: every member and their sum.
import { STALE_AFTER_PERIODS, type CitySummary } from '../../protocol/federation.ts';
import { roundPflops } from './summary.ts';

/** Summaries kept per member, oldest dropped first (a day at the default period). */
const HISTORY_MAX = 2880;

export interface MemberState {
  city: string;
  /** fresh: a summary within STALE_AFTER_PERIODS periods; stale: older; never: none yet. */
  status: 'fresh' | 'stale' | 'never';
  lastSummaryAtMs: number | null;
  lastHeardMs: number | null;
  history: number;
  latest: CitySummary | null;
}

export interface FederationTotals {
  members: number;
  fresh: number;
  nodes: { total: number; online: number };
  accelerators: number;
  nominalPflops: number;
  nominalDomesticPflops: number;
  measuredPflops: number;
  measuredDomesticPflops: number;
  domesticShare: number;
  byVendor: { vendor: string; domestic: boolean; accelerators: number; nominalPflops: number; measuredPflops: number }[];
  freeAccelerators: number;
  freeNominalPflops: number;
}

export class Hub {
  private readonly state = new Map<string, { history: CitySummary[]; lastHeardMs: number | null }>();

  constructor(
    cities: readonly string[],
    private readonly periodMs: number,
    private readonly clock: () => number = Date.now,
  ) {
    for (const c of cities) this.state.set(c, { history: [], lastHeardMs: null });
  }

  /** Keeps each seq once, in seq order; returns how many were new. */
  accept(city: string, summaries: readonly CitySummary[]): { accepted: number; duplicates: number } {
    const s = this.state.get(city)!;
    s.lastHeardMs = this.clock();
    const have = new Set(s.history.map((h) => h.seq));
    let accepted = 0;
    for (const x of summaries) {
      if (have.has(x.seq)) continue;
      have.add(x.seq);
      s.history.push(x);
      accepted++;
    }
    s.history.sort((a, b) => a.seq - b.seq);
    if (s.history.length > HISTORY_MAX) s.history.splice(0, s.history.length - HISTORY_MAX);
    return { accepted, duplicates: summaries.length - accepted };
  }

  history(city: string): readonly CitySummary[] {
    return this.state.get(city)?.history ?? [];
  }

  members(): MemberState[] {
    const now = this.clock();
    return [...this.state.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([city, s]) => {
        const latest = s.history.at(-1) ?? null;
        const status = latest === null ? 'never' : now - latest.atMs <= STALE_AFTER_PERIODS * this.periodMs ? 'fresh' : 'stale';
        return { city, status, lastSummaryAtMs: latest?.atMs ?? null, lastHeardMs: s.lastHeardMs, history: s.history.length, latest };
      });
  }

  /** The sum of every member's latest summary (stale ones included, and counted in `fresh` only when fresh). */
  totals(): FederationTotals {
    const ms = this.members();
    const latest = ms.map((m) => m.latest).filter((x): x is CitySummary => x !== null);
    const sum = (f: (s: CitySummary) => number) => latest.reduce((a, s) => a + f(s), 0);
    const vendors = new Map<string, FederationTotals['byVendor'][number]>();
    for (const s of latest)
      for (const v of s.byVendor) {
        const t = vendors.get(v.vendor) ?? { vendor: v.vendor, domestic: v.domestic, accelerators: 0, nominalPflops: 0, measuredPflops: 0 };
        t.accelerators += v.accelerators;
        t.nominalPflops = roundPflops(t.nominalPflops + v.nominalPflops);
        t.measuredPflops = roundPflops(t.measuredPflops + v.measuredPflops);
        vendors.set(v.vendor, t);
      }
    const nominal = roundPflops(sum((s) => s.nominal.pflops));
    const nominalDomestic = roundPflops(sum((s) => s.nominal.domesticPflops));
    return {
      members: ms.length,
      fresh: ms.filter((m) => m.status === 'fresh').length,
      nodes: { total: sum((s) => s.nodes.total), online: sum((s) => s.nodes.online) },
      accelerators: sum((s) => s.accelerators),
      nominalPflops: nominal,
      nominalDomesticPflops: nominalDomestic,
      measuredPflops: roundPflops(sum((s) => s.measured.pflops)),
      measuredDomesticPflops: roundPflops(sum((s) => s.measured.domesticPflops)),
      domesticShare: nominal > 0 ? Math.round((nominalDomestic / nominal) * 1e4) / 1e4 : 0,
      byVendor: [...vendors.values()].sort((a, b) => b.nominalPflops - a.nominalPflops || a.vendor.localeCompare(b.vendor)),
      freeAccelerators: sum((s) => s.free.reduce((a, r) => a + r.freeAccelerators, 0)),
      freeNominalPflops: roundPflops(sum((s) => s.free.reduce((a, r) => a + r.freeNominalPflops, 0))),
    };
  }
}
