// This city's work that ran in other cities (federation overflow): the usage their ledgers hold
// for it, as their runners reported it, and what it comes to under this city's price plans. The
// entries themselves live in the running city's ledger; this is a view, never an entry here.
import type { OverflowUsage } from '../../protocol/federation.ts';
import { feeFor, toFen, type PricePlan } from './entries.ts';

export interface RemoteRunLike {
  id: string;
  spec: { name: string; tenant: string };
  state: string;
  overflow: { city: string | null; state: string; reason: string; final: boolean; usage: OverflowUsage } | null;
}

export interface RemoteUsageRow {
  workloadId: string;
  name: string;
  tenant: string;
  city: string;
  state: string;
  /** The running city's last word: no more usage will come. */
  final: boolean;
  usage: OverflowUsage;
  /** Under this city's plan for the tenant; 0 without one. */
  feeCny: number;
}

export interface RemoteUsageView {
  workloads: RemoteUsageRow[];
  byTenant: { tenant: string; acceleratorHours: number; pflopsHoursNominal: number; feeCny: number; cities: string[] }[];
}

export function remoteUsage(workloads: Iterable<RemoteRunLike>, planOf: (tenant: string) => PricePlan | null): RemoteUsageView {
  const rows: RemoteUsageRow[] = [];
  for (const w of workloads) {
    const o = w.overflow;
    if (!o?.city) continue;
    const plan = planOf(w.spec.tenant);
    rows.push({ workloadId: w.id, name: w.spec.name, tenant: w.spec.tenant, city: o.city, state: o.state, final: o.final, usage: o.usage, feeCny: feeFor(plan, o.usage.pflopsHoursNominal, o.usage.acceleratorHours) });
  }
  const by = new Map<string, RemoteUsageView['byTenant'][number]>();
  for (const r of rows) {
    const t = by.get(r.tenant) ?? { tenant: r.tenant, acceleratorHours: 0, pflopsHoursNominal: 0, feeCny: 0, cities: [] };
    t.acceleratorHours += r.usage.acceleratorHours;
    t.pflopsHoursNominal += r.usage.pflopsHoursNominal;
    t.feeCny = toFen(t.feeCny + r.feeCny);
    if (!t.cities.includes(r.city)) t.cities.push(r.city);
    by.set(r.tenant, t);
  }
  return { workloads: rows, byTenant: [...by.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)) };
}
