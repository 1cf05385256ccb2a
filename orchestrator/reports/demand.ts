// Demand-side subsidy per enterprise (tenant) and year: purchases are the fees its usage incurred.
import { toFen, type LedgerEntry } from '../ledger/entries.ts';
import { RULES } from './rules.ts';
import { parsePeriod } from './period.ts';
import { inPeriod } from './supply.ts';

export type DemandBand = 'none' | 'city' | 'provincial';

export interface DemandTenant {
  tenant: string;
  purchasesCny: number;
  yearOnPlatform: number;
  band: DemandBand;
  rate: number;
  subsidyCny: number;
  capped: boolean;
  note: string;
}

export interface DemandReport {
  year: number;
  tenants: DemandTenant[];
  totals: { purchasesCny: number; subsidyCny: number };
  rules: string[];
}

export function demandReport(entries: readonly LedgerEntry[], year: number, opts: { utcOffsetMinutes?: number } = {}): DemandReport {
  const period = parsePeriod(String(year), opts.utcOffsetMinutes);
  const purchases = new Map<string, number>();
  const since = new Map<string, number>();
  const firstUse = new Map<string, number>();
  for (const e of entries) {
    if (e.kind === 'tenant') since.set(e.tenant, e.sinceYear);
    // Work run here for another city is that city's demand (federation overflow).
    else if (e.kind === 'usage' && !e.origin) {
      const y = new Date(e.startMs + (opts.utcOffsetMinutes ?? 480) * 60_000).getUTCFullYear();
      firstUse.set(e.tenant, Math.min(firstUse.get(e.tenant) ?? y, y));
      if (inPeriod(e, period)) purchases.set(e.tenant, (purchases.get(e.tenant) ?? 0) + e.feeCny);
    }
  }
  const tenants = [...purchases.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([tenant, raw]): DemandTenant => {
      const purchasesCny = toFen(raw);
      const yearOnPlatform = year - (since.get(tenant) ?? firstUse.get(tenant) ?? year) + 1;
      if (purchasesCny < RULES.demandMinCny.value) {
        return { tenant, purchasesCny, yearOnPlatform, band: 'none', rate: 0, subsidyCny: 0, capped: false, note: `below CNY ${RULES.demandMinCny.value.toLocaleString('en')} by ${fmt(RULES.demandMinCny.value - purchasesCny)}` };
      }
      if (purchasesCny >= RULES.demandProvincialCny.value) {
        return { tenant, purchasesCny, yearOnPlatform, band: 'provincial', rate: 0, subsidyCny: 0, capped: false, note: 'apply for the provincial subsidy; the city tops up the part above the provincial cap (at most CNY 500,000)' };
      }
      const rate = RULES.demandRates.value[yearOnPlatform - 1] ?? 0;
      const due = purchasesCny * rate;
      const subsidyCny = toFen(Math.min(due, RULES.demandCapCny.value));
      const note = rate === 0 ? `year ${yearOnPlatform} on the platform: the subsidy covers years 1–3` : `${rate * 100} % in year ${yearOnPlatform} on the platform`;
      return { tenant, purchasesCny, yearOnPlatform, band: 'city', rate, subsidyCny, capped: due > RULES.demandCapCny.value, note };
    });
  return {
    year,
    tenants,
    totals: { purchasesCny: toFen(tenants.reduce((a, t) => a + t.purchasesCny, 0)), subsidyCny: toFen(tenants.reduce((a, t) => a + t.subsidyCny, 0)) },
    rules: [RULES.demandMinCny.cite, RULES.demandRates.cite, RULES.demandProvincialCny.cite, RULES.demandCapCny.cite, 'work run here for another city of the federation (overflow) is that city\'s demand and is left out here'],
  };
}

function fmt(v: number): string {
  return v.toLocaleString('en', { maximumFractionDigits: 2 });
}
