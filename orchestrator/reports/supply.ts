// Supply-side subsidy per site and half-year: capacity from the ledger's daily snapshots, compute
// sold and used from its usage entries, each figure with the rule it comes from.
import { plainNumber } from '../numbers.ts';
import { toFen, type LedgerEntry, type SiteCapacity, type SnapshotEntry, type UsageEntry } from '../ledger/entries.ts';
import { HOURS_PER_YEAR, RULES } from './rules.ts';
import { hoursIn, parsePeriod, type Period } from './period.ts';

export interface SupplySite {
  site: string;
  nominalPflops: number;
  domesticPflops: number;
  domesticShare: number;
  eligible: boolean;
  /** What keeps it out, with the distance to each threshold; empty when eligible. */
  misses: string[];
  /** Fees invoiced for compute used on the site in the period (CNY). */
  soldUsedCny: number;
  usedPflopsHours: number;
  /** P-years sold and used: PFLOPS-hours / 8,760. */
  usedPYears: number;
  subsidyBeforeCapCny: number;
  subsidyCny: number;
}

export interface SupplyReport {
  period: string;
  capacityFrom: string;
  sites: SupplySite[];
  totals: { subsidyBeforeCapCny: number; subsidyCny: number; capAvailableCny: number; capScale: number; soldUsedCny: number };
  rules: string[];
}

export interface SupplyOptions {
  utcOffsetMinutes?: number;
  /** Capacity to use when the period has no snapshot yet (the live fleet). */
  liveCapacity?: SiteCapacity[];
}

export function supplyReport(entries: readonly LedgerEntry[], periodLabel: string, opts: SupplyOptions = {}): SupplyReport {
  const period = parsePeriod(periodLabel, opts.utcOffsetMinutes);
  const raw = beforeCap(entries, period, opts);
  // The city's yearly cap: H2 gets what H1 left of it.
  let capAvailable: number = RULES.supplyCityCapCnyPerYear.value;
  if (period.label.endsWith('H2')) {
    const h1 = supplyReport(entries, `${period.year}H1`, opts);
    capAvailable = Math.max(0, capAvailable - h1.totals.subsidyCny);
  }
  const totalBefore = sum(raw.sites.map((s) => s.subsidyBeforeCapCny));
  const scale = totalBefore > capAvailable ? capAvailable / totalBefore : 1;
  const sites = raw.sites.map((s) => ({ ...s, subsidyCny: toFen(s.subsidyBeforeCapCny * scale) }));
  return {
    period: period.label,
    capacityFrom: raw.capacityFrom,
    sites,
    totals: {
      subsidyBeforeCapCny: toFen(totalBefore),
      subsidyCny: toFen(sum(sites.map((s) => s.subsidyCny))),
      capAvailableCny: capAvailable,
      capScale: scale,
      soldUsedCny: toFen(sum(sites.map((s) => s.soldUsedCny))),
    },
    rules: [RULES.supplyMinPflops.cite, RULES.supplyMinDomesticShare.cite, RULES.supplyCnyPerPYear.cite, RULES.supplyCityCapCnyPerYear.cite],
  };
}

function beforeCap(entries: readonly LedgerEntry[], period: Period, opts: SupplyOptions): { sites: SupplySite[]; capacityFrom: string } {
  let snapshot: SnapshotEntry | null = null;
  const used = new Map<string, { fees: number; pflopsHours: number }>();
  for (const e of entries) {
    if (e.kind === 'snapshot') {
      const t = Date.parse(`${e.day}T00:00:00Z`) - (opts.utcOffsetMinutes ?? 480) * 60_000;
      if (t >= period.startMs && t < period.endMs) snapshot = e;
    } else if (e.kind === 'usage' && inPeriod(e, period)) {
      const u = used.get(e.site) ?? { fees: 0, pflopsHours: 0 };
      u.fees += e.feeCny;
      u.pflopsHours += e.pflopsHoursNominal;
      used.set(e.site, u);
    }
  }
  const capacity = snapshot?.sites ?? opts.liveCapacity ?? [];
  const capacityFrom = snapshot ? `ledger snapshot of ${snapshot.day}` : opts.liveCapacity ? 'the live fleet (no snapshot in the period yet)' : 'none';
  const names = new Set([...capacity.map((c) => c.site), ...used.keys()]);
  const bySite = new Map(capacity.map((c) => [c.site, c]));
  const sites = [...names].sort().map((site): SupplySite => {
    const c = bySite.get(site);
    const nominal = c?.nominalPflops ?? 0;
    const domestic = c?.domesticPflops ?? 0;
    const share = nominal > 0 ? domestic / nominal : 0;
    const misses: string[] = [];
    if (nominal < RULES.supplyMinPflops.value) misses.push(`nominal ${plainNumber(nominal)} P is ${plainNumber(RULES.supplyMinPflops.value - nominal)} P short of ${RULES.supplyMinPflops.value} P`);
    if (share < RULES.supplyMinDomesticShare.value)
      misses.push(`domestic share ${plainNumber(share * 100)} % is ${plainNumber((RULES.supplyMinDomesticShare.value - share) * 100)} points short of ${RULES.supplyMinDomesticShare.value * 100} %`);
    const u = used.get(site) ?? { fees: 0, pflopsHours: 0 };
    // Never more P-years than the site could have delivered in the period.
    const usedPYears = Math.min(u.pflopsHours, nominal * hoursIn(period)) / HOURS_PER_YEAR;
    const eligible = misses.length === 0;
    const before = eligible ? usedPYears * RULES.supplyCnyPerPYear.value : 0;
    return {
      site,
      nominalPflops: nominal,
      domesticPflops: domestic,
      domesticShare: share,
      eligible,
      misses,
      soldUsedCny: toFen(u.fees),
      usedPflopsHours: u.pflopsHours,
      usedPYears,
      subsidyBeforeCapCny: toFen(before),
      subsidyCny: toFen(before),
    };
  });
  return { sites, capacityFrom };
}

/** Usage entries never span a local midnight, so one lies wholly in a period or wholly outside it. */
export function inPeriod(e: UsageEntry, p: Period): boolean {
  return e.startMs >= p.startMs && e.startMs < p.endMs;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
