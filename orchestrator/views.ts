// What the API, the dashboard and the CLI show of the registry: one shape, computed in one place.
import { sumFp16, type FleetFp16Totals } from '../protocol/fp16.ts';
import type { Accelerator, AcceleratorSample, BenchResult, Fp16Figure, Health, Host, HostInventory, Location, RttStats, Telemetry } from '../protocol/messages.ts';
import { cardEfficiency, combineEfficiency, EfficiencyMean, type CardEfficiency, type CombinedEfficiency } from './efficiency.ts';
import { benchTarget, CPU_BENCH_TARGET } from '../protocol/targets.ts';
import type { NodeRecord } from './registry.ts';

/** One card's latest readings; a reading its tool does not give is null, never 0. */
export interface CardReadings {
  index: number;
  utilPct: number | null;
  memoryUsedMib: number | null;
  memoryTotalMib: number | null;
  temperatureC: number | null;
  powerW: number | null;
  powerLimitW: number | null;
  health: Health;
}

export interface AcceleratorView extends Omit<Accelerator, 'tdpW' | 'nominalTflopsPerWatt'> {
  tdpW: number | null;
  nominalTflopsPerWatt: number | null;
  measured:
    | (Fp16Figure & {
        latencyP50Ms: number;
        latencyP99Ms: number;
        ratioToNominal: number;
        backend: string;
        atMs: number;
        avgPowerW: number | null;
        tflopsPerWatt: number | null;
      })
    | null;
  /** This card in the node's latest telemetry; null when that has no sample for it. */
  telemetry: CardReadings | null;
  efficiency: CardEfficiency;
}

export interface TelemetryView
  extends Pick<Telemetry, 'cpuPct' | 'memoryUsedPct' | 'load1' | 'runningWorkloads' | 'acceleratorErrors'> {
  atMs: number;
  accelerators: CardReadings[];
  diskFreeMib: number | null;
  diskTotalMib: number | null;
  netRxBytesPerS: number | null;
  netTxBytesPerS: number | null;
}

export interface HostView extends Omit<Host, 'inventory'> {
  /** The one-shot inventory from the birth; null when the agent did not collect one. */
  inventory: HostInventory | null;
}

export interface NodeView extends Pick<NodeRecord, 'id' | 'site' | 'status' | 'statusReason' | 'sinceMs' | 'lastSeenMs' | 'loss'> {
  agentVersion: string;
  host: HostView | null;
  /** host:port of the node's probe responder; '' when it runs none. */
  probeAddress: string;
  labels: Record<string, string>;
  location: Location | null;
  accelerators: AcceleratorView[];
  nominalTflops: number;
  measuredTflops: number | null;
  /** The node's CPU benchmark, FP16-eq by the protocol's rule (weak basis). */
  cpuMeasured: (Fp16Figure & { rawTflops: number; atMs: number }) | null;
  telemetry: TelemetryView | null;
  /** Sum of the power its cards report in the latest telemetry; null when none reports power. */
  acceleratorPowerW: number | null;
  /** TFLOPS-weighted FP16-eq TFLOPS per watt over its cards, with the basis it rests on. */
  efficiency: CombinedEfficiency;
  latency: { atMs: number; windowMs: number; targets: RttStats[] } | null;
  runningWorkloads: string[];
}

function measuredFor(results: BenchResult[], target: string): BenchResult | undefined {
  return results.find((r) => r.target === target);
}

function orNull(v: number | undefined): number | null {
  return v === undefined ? null : v;
}

function cardReadings(s: AcceleratorSample): CardReadings {
  return {
    index: s.index,
    utilPct: orNull(s.utilPct),
    memoryUsedMib: orNull(s.memoryUsedMib),
    memoryTotalMib: orNull(s.memoryTotalMib),
    temperatureC: orNull(s.temperatureC),
    powerW: orNull(s.powerW),
    powerLimitW: orNull(s.powerLimitW),
    health: s.health,
  };
}

function telemetryView(t: Telemetry & { atMs: number }): TelemetryView {
  return {
    atMs: t.atMs,
    cpuPct: t.cpuPct,
    memoryUsedPct: t.memoryUsedPct,
    load1: t.load1,
    runningWorkloads: t.runningWorkloads,
    accelerators: t.accelerators.map(cardReadings),
    acceleratorErrors: t.acceleratorErrors,
    diskFreeMib: orNull(t.diskFreeMib),
    diskTotalMib: orNull(t.diskTotalMib),
    netRxBytesPerS: orNull(t.netRxBytesPerS),
    netTxBytesPerS: orNull(t.netTxBytesPerS),
  };
}

/**
 * The node's latest benchmark by card: the result for target `acc:<index>`. Take it once per node:
 * a packed report (packed-rows.ts) builds all of its results on each read.
 */
export function cardBenches(n: NodeRecord): (index: number) => BenchResult | undefined {
  const results = n.bench?.results;
  return results ? (index) => measuredFor(results, benchTarget(index)) : () => undefined;
}

/** Sum of reported card power; null when no card reports power. */
function reportedPowerW(t: Pick<Telemetry, 'accelerators'> | null): number | null {
  let sum: number | null = null;
  for (const s of t?.accelerators ?? []) if (s.powerW !== undefined) sum = (sum ?? 0) + s.powerW;
  return sum === null ? null : round(sum);
}

export function nodeView(n: NodeRecord): NodeView {
  const results = n.bench?.results ?? [];
  const telemetry = n.telemetry ? telemetryView(n.telemetry) : null;
  const accelerators: AcceleratorView[] = (n.birth?.accelerators ?? []).map(({ tdpW, nominalTflopsPerWatt, ...a }) => {
    const r = measuredFor(results, benchTarget(a.index));
    return {
      ...a,
      tdpW: orNull(tdpW),
      nominalTflopsPerWatt: orNull(nominalTflopsPerWatt),
      measured: r
        ? {
            ...r.fp16,
            latencyP50Ms: r.latencyP50Ms,
            latencyP99Ms: r.latencyP99Ms,
            ratioToNominal: r.ratioToNominal,
            backend: r.backend,
            atMs: r.atMs,
            avgPowerW: orNull(r.avgPowerW),
            tflopsPerWatt: orNull(r.tflopsPerWatt),
          }
        : null,
      telemetry: telemetry?.accelerators.find((s) => s.index === a.index) ?? null,
      efficiency: cardEfficiency({ ...a, tdpW, nominalTflopsPerWatt }, r),
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
    host: n.birth ? hostView(n.birth.host) : null,
    probeAddress: n.birth?.probeAddress ?? '',
    labels: n.birth?.labels ?? {},
    location: n.birth?.location ?? null,
    accelerators,
    nominalTflops: round(nominal),
    measuredTflops: measuredAll.length ? round(measuredAll.reduce((s, a) => s + a.measured!.tflops!, 0)) : null,
    cpuMeasured: cpu ? { ...cpu.fp16, rawTflops: cpu.rawTflops, atMs: cpu.atMs } : null,
    telemetry,
    acceleratorPowerW: reportedPowerW(n.telemetry),
    efficiency: combineEfficiency(accelerators.map((a) => a.efficiency)),
    latency: n.latency ? { atMs: n.latency.atMs, windowMs: n.latency.windowMs, targets: n.latency.targets } : null,
    runningWorkloads: n.birth?.runningWorkloads ?? [],
    loss: n.loss,
  };
}

function hostView({ inventory, ...host }: Host): HostView {
  return { ...host, inventory: inventory ?? null };
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
  energy: FleetEnergy;
}

export interface FleetEnergy {
  /** Power the online nodes' cards report now (their latest telemetry), watts. */
  powerW: number;
  /** Cards whose latest reading has power; the rest are not in powerW. */
  cardsReportingPower: number;
  /** TFLOPS-weighted FP16-eq TFLOPS per watt over every known card, with its basis. */
  efficiency: CombinedEfficiency;
}

/** City plan targets (shared/fixtures/city-plan.md): 400 PFLOPS FP16; ≥80 % domestic for subsidy. */
export const CITY_PLAN = { targetPflops: 400, domesticShareTarget: 0.8 } as const;

export function fleetSummary(nodes: Iterable<NodeRecord>): FleetSummary {
  const counts = { total: 0, online: 0, offline: 0, unknown: 0 };
  const vendors = new Map<string, VendorSummary>();
  const nominal: { domestic: boolean; fp16: Fp16Figure }[] = [];
  const measured: { domestic: boolean; fp16: Fp16Figure }[] = [];
  const all = [...nodes];
  for (const n of all) {
    counts.total++;
    counts[n.status]++;
    // Not nodeView: the summary runs over the whole fleet at every change; it needs only these.
    const bench = cardBenches(n);
    for (const a of n.birth?.accelerators ?? []) {
      const v = vendors.get(a.vendor) ?? { vendor: a.vendor, domestic: a.domestic, count: 0, nominalTflops: 0, unknownNominal: 0 };
      v.count++;
      if (a.nominal.tflops === undefined) v.unknownNominal++;
      else v.nominalTflops = round(v.nominalTflops + a.nominal.tflops);
      vendors.set(a.vendor, v);
      nominal.push({ domestic: a.domestic, fp16: a.nominal });
      const r = bench(a.index);
      if (r) measured.push({ domestic: a.domestic, fp16: r.fp16 });
    }
  }
  const exact = sumFp16(nominal);
  const nominalTotals = forPeople(exact);
  return {
    nodes: counts,
    accelerators: nominal.length,
    byVendor: [...vendors.values()].sort((a, b) => b.nominalTflops - a.nominalTflops || a.vendor.localeCompare(b.vendor)),
    nominal: nominalTotals,
    measured: forPeople(sumFp16(measured)),
    cityPlan: {
      ...CITY_PLAN,
      meetsDomesticShare: exact.domesticShare >= CITY_PLAN.domesticShareTarget,
    },
    energy: fleetEnergy(all),
  };
}

/** The fleet's power now (online nodes' latest readings) and its TFLOPS-weighted efficiency. */
export function fleetEnergy(nodes: Iterable<NodeRecord>): FleetEnergy {
  const efficiency = new EfficiencyMean();
  let powerW = 0;
  let cardsReportingPower = 0;
  for (const n of nodes) {
    if (n.status === 'online') {
      for (const s of n.telemetry?.accelerators ?? []) {
        if (s.powerW === undefined) continue;
        powerW += s.powerW;
        cardsReportingPower++;
      }
    }
    const bench = cardBenches(n);
    for (const a of n.birth?.accelerators ?? []) efficiency.add(cardEfficiency(a, bench(a.index)));
  }
  return { powerW: round(powerW), cardsReportingPower, efficiency: efficiency.result() };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * Fleet totals as people read them: sums of many cards' figures carry float noise
 * (3.7690189999999997 PFLOPS), so PFLOPS keep 0.001 TFLOPS and the share 0.01 %.
 */
function forPeople(t: FleetFp16Totals): FleetFp16Totals {
  const pflops = (v: number) => Math.round(v * 1e6) / 1e6;
  return { ...t, pflops: pflops(t.pflops), domesticPflops: pflops(t.domesticPflops), domesticShare: Math.round(t.domesticShare * 1e4) / 1e4 };
}
