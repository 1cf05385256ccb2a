// What the ledger records. Usage is the unit of account: one allocation of accelerators to a
// workload on one node over [startMs, endMs), closed on stop, on node loss (at the time the node
// was lost) and at each day's end for long runs, so no usage entry spans two days (or two
// half-years). Tenants' price plans and daily capacity snapshots are entries too, so every
// figure a report shows can be traced to the chain.
import type { Chained } from './chain.ts';

export type PriceUnit = 'pflops-hour' | 'accelerator-hour';

export interface PricePlan {
  unit: PriceUnit;
  cnyPerUnit: number;
}

export interface TenantEntry {
  kind: 'tenant';
  tenant: string;
  plan: PricePlan;
  /** The first calendar year on the platform: demand subsidies run 50/40/30 % from it. */
  sinceYear: number;
}

export interface UsageAccelerator {
  index: number;
  vendor: string;
  model: string;
  domestic: boolean;
  nominalTflops: number;
  /** null where the card has no benchmark. */
  measuredTflops: number | null;
}

export type CloseReason = 'stopped' | 'completed' | 'failed' | 'moved' | 'node-lost' | 'evicted' | 'day-end' | 'restart';

export interface UsageEntry {
  kind: 'usage';
  workloadId: string;
  tenant: string;
  site: string;
  nodeId: string;
  accelerators: UsageAccelerator[];
  startMs: number;
  endMs: number;
  closedBy: CloseReason;
  /** FP16-eq TFLOPS of the allocation on each basis (measured null when any card lacks a benchmark). */
  nominalTflops: number;
  measuredTflops: number | null;
  pflopsHoursNominal: number;
  pflopsHoursMeasured: number | null;
  acceleratorHours: number;
  plan: PricePlan | null;
  /** What the tenant pays for it under its plan; 0 with no plan. */
  feeCny: number;
  /**
   * Work run here for another member city (federation overflow): its tenant is that city's, it is
   * that city's demand (this city's supply), and it is billed there, so no plan applies here.
   */
  origin?: { city: string; workloadId: string };
}

export interface SiteCapacity {
  site: string;
  nominalPflops: number;
  domesticPflops: number;
  measuredPflops: number;
}

export interface SnapshotEntry {
  kind: 'snapshot';
  /** The local calendar day it describes, YYYY-MM-DD. */
  day: string;
  nominalPflops: number;
  measuredPflops: number;
  domesticPflops: number;
  sites: SiteCapacity[];
}

export type LedgerBody = TenantEntry | UsageEntry | SnapshotEntry;
export type LedgerEntry = Chained<LedgerBody & Record<string, unknown>> & LedgerBody;

/** Fee for usage under a plan, rounded to the fen. */
export function feeFor(plan: PricePlan | null, pflopsHours: number, acceleratorHours: number): number {
  if (!plan) return 0;
  const units = plan.unit === 'pflops-hour' ? pflopsHours : acceleratorHours;
  return toFen(units * plan.cnyPerUnit);
}

/** CNY to the fen (0.01), as fees and subsidies are paid. */
export function toFen(cny: number): number {
  return Math.round(cny * 100) / 100;
}
