// What the API, the dashboard and the CLI show of the registry: one shape, computed in one place.
import { sumFp16, type FleetFp16Totals } from '../protocol/fp16.ts';
import type { Accelerator, BenchResult, Fp16Figure, Location, Host, RttStats, Telemetry } from '../protocol/messages.ts';
import { benchTarget, CPU_BENCH_TARGET } from '../protocol/targets.ts';
import type { NodeRecord } from './registry.ts';

export interface AcceleratorView extends Accelerator {
  measured: (Fp16Figure & { latencyP50Ms: number; latencyP99Ms: number; ratioToNominal: number; backend: string; atMs: number }) | null;
}

export interface NodeView extends Pick<NodeRecord, 'id' | 'site' | 'status' | 'statusReason' | 'sinceMs' | 'lastSeenMs' | 'loss'> {
  agentVersion: string;
  host: Host | null;
  labels: Record<string, string>;
  location: Location | null;
  accelerators: AcceleratorView[];
  nominalTflops: number;
  measuredTflops: number | null;
  /** The node's CPU benchmark, FP16-eq by the protocol's rule (weak basis). */
  cpuMeasured: (Fp16Figure & { rawTflops: number; atMs: number }) | null;
  telemetry: (Telemetry & { atMs: number }) | null;
  latency: { atMs: number; windowMs: number; targets: RttStats[] } | null;
  runningWorkloads: string[];
}

function measuredFor(results: BenchResult[], target: string): BenchResult | undefined {
  return results.find((r) => r.target === target);
}

export function nodeView(n: NodeRecord): NodeView {
  const results = n.bench?.results ?? [];
  const accelerators: AcceleratorView[] = (n.birth?.accelerators ?? []).map((a) => {
    const r = measuredFor(results, benchTarget(a.index));
    return {
      ...a,
      measured: r
        ? {
            ...r.fp16,
            latencyP50Ms: r.latencyP50Ms,
            latencyP99Ms: r.latencyP99Ms,
            ratioToNominal: r.ratioToNominal,
            backend: r.backend,
            atMs: r.atMs,
          }
        : null,
    };
  });
  const nominal = accelerators.reduce((s, a) => s + (a.nominal.tflops ?? 0), 0);
  const measuredAll = accelerators.filter((a) => a.measured?.tflops !== undefined);
  const cpu = measuredFor(results, CPU_BENCH_TARGET);
  return {
    id: n.id,
    site: n.site,
    status: n.status,
    statusReason: n.statusReason,
    sinceMs: n.sinceMs,
    lastSeenMs: n.lastSeenMs,
    agentVersion: n.birth?.agentVersion ?? '',
    host: n.birth?.host ?? null,
    labels: n.birth?.labels ?? {},
    location: n.birth?.location ?? null,
    accelerators,
    nominalTflops: round(nominal),
    measuredTflops: measuredAll.length ? round(measuredAll.reduce((s, a) => s + a.measured!.tflops!, 0)) : null,
    cpuMeasured: cpu ? { ...cpu.fp16, rawTflops: cpu.rawTflops, atMs: cpu.atMs } : null,
    telemetry: n.telemetry,
    latency: n.latency ? { atMs: n.latency.atMs, windowMs: n.latency.windowMs, targets: n.latency.targets } : null,
    runningWorkloads: n.birth?.runningWorkloads ?? [],
    loss: n.loss,
  };
}

export interface VendorSummary {
  vendor: string;
  domestic: boolean;
  count: number;
  nominalTflops: number;
  unknownNominal: number;
}

export interface FleetSummary {
  nodes: { total: number; online: number; offline: number; unknown: number };
  accelerators: number;
  byVendor: VendorSummary[];
  nominal: FleetFp16Totals;
  measured: FleetFp16Totals;
  cityPlan: { targetPflops: number; domesticShareTarget: number; meetsDomesticShare: boolean };
}

/** City plan targets (shared/fixtures/city-plan.md): 400 PFLOPS FP16; ≥80 % domestic for subsidy. */
export const CITY_PLAN = { targetPflops: 400, domesticShareTarget: 0.8 } as const;

export function fleetSummary(nodes: Iterable<NodeRecord>): FleetSummary {
  const counts = { total: 0, online: 0, offline: 0, unknown: 0 };
  const vendors = new Map<string, VendorSummary>();
  const nominal: { domestic: boolean; fp16: Fp16Figure }[] = [];
  const measured: { domestic: boolean; fp16: Fp16Figure }[] = [];
  for (const n of nodes) {
    counts.total++;
    counts[n.status]++;
    for (const a of nodeView(n).accelerators) {
      const v = vendors.get(a.vendor) ?? { vendor: a.vendor, domestic: a.domestic, count: 0, nominalTflops: 0, unknownNominal: 0 };
      v.count++;
      if (a.nominal.tflops === undefined) v.unknownNominal++;
      else v.nominalTflops = round(v.nominalTflops + a.nominal.tflops);
      vendors.set(a.vendor, v);
      nominal.push({ domestic: a.domestic, fp16: a.nominal });
      if (a.measured) measured.push({ domestic: a.domestic, fp16: a.measured });
    }
  }
  const nominalTotals = sumFp16(nominal);
  return {
    nodes: counts,
    accelerators: nominal.length,
    byVendor: [...vendors.values()].sort((a, b) => b.nominalTflops - a.nominalTflops || a.vendor.localeCompare(b.vendor)),
    nominal: nominalTotals,
    measured: sumFp16(measured),
    cityPlan: {
      ...CITY_PLAN,
      meetsDomesticShare: nominalTotals.domesticShare >= CITY_PLAN.domesticShareTarget,
    },
  };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
