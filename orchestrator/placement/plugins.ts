// Filter and score plugins. Filters are ordered cheapest first; each returns null (pass) or why
// it rejected. Scores are each in [0, 1] and combined with weights.
import type { RttEstimate } from '../latency/types.ts';
import type { WorkloadSpec } from '../workloads/spec.ts';
import type { FilterName, PlacementAccelerator, PlacementNode, ScoreBreakdown } from './types.ts';

export const DEFAULT_WEIGHTS: ScoreBreakdown = { latency: 10, packing: 1, domestic: 0.5 };

export interface FilterContext {
  spec: WorkloadSpec;
  nowMs: number;
  freshMs: number;
  exclude?: ReadonlySet<string>;
}

/** Online, heard from lately, and not excluded from this decision: the one rule every path uses. */
export function isAvailable(node: PlacementNode, ctx: FilterContext): boolean {
  return node.online && ctx.nowMs - node.lastSeenMs <= ctx.freshMs && !ctx.exclude?.has(node.id);
}

/** An accelerator this workload could use, ignoring whether it is taken. */
export function acceleratorQualifies(a: PlacementAccelerator, spec: WorkloadSpec): boolean {
  const n = spec.needs;
  if (n.domesticOnly && !a.domestic) return false;
  if (n.vendors.length > 0 && !(n.vendors as string[]).includes(a.vendor)) return false;
  return a.memoryMib >= n.memoryMibPerAccelerator;
}

export function fp16Qualifies(a: PlacementAccelerator, spec: WorkloadSpec): boolean {
  if (spec.needs.minFp16Tflops <= 0) return true;
  const tflops = spec.needs.basis === 'measured' ? a.measuredTflops : a.nominalTflops;
  return tflops !== undefined && tflops >= spec.needs.minFp16Tflops;
}

export function filterOnline(node: PlacementNode, ctx: FilterContext): string | null {
  if (isAvailable(node, ctx)) return null;
  if (!node.online) return `${node.id}: offline`;
  if (ctx.exclude?.has(node.id)) return `${node.id}: failed this workload before`;
  const age = ctx.nowMs - node.lastSeenMs;
  return age > ctx.freshMs ? `${node.id}: last heard ${Math.round(age / 1000)} s ago (fresh ≤ ${ctx.freshMs / 1000} s)` : null;
}

export function filterLabels(node: PlacementNode, ctx: FilterContext): string | null {
  for (const [k, v] of Object.entries(ctx.spec.needs.labels)) {
    if (node.labels[k] !== v) return `${node.id}: label ${k}=${node.labels[k] ?? '(unset)'}, needs ${k}=${v}`;
  }
  return null;
}

export function filterAccelerators(node: PlacementNode, ctx: FilterContext): string | null {
  const need = ctx.spec.needs.accelerators;
  if (need === 0) return null;
  let free = 0;
  for (const a of node.accelerators) if (!a.allocatedTo && acceleratorQualifies(a, ctx.spec)) free++;
  return free >= need ? null : `${node.id}: ${free} free matching accelerator(s), needs ${need}`;
}

export function filterFp16(node: PlacementNode, ctx: FilterContext): string | null {
  const need = ctx.spec.needs.accelerators;
  if (need === 0 || ctx.spec.needs.minFp16Tflops <= 0) return null;
  let ok = 0;
  for (const a of node.accelerators) if (!a.allocatedTo && acceleratorQualifies(a, ctx.spec) && fp16Qualifies(a, ctx.spec)) ok++;
  return ok >= need
    ? null
    : `${node.id}: ${ok} free accelerator(s) with ≥${ctx.spec.needs.minFp16Tflops} ${ctx.spec.needs.basis} FP16 TFLOPS, needs ${need}`;
}

/** Measured RTT must meet the SLO; an estimate must meet it with its error bound added. */
export function filterLatency(node: PlacementNode, est: RttEstimate | undefined, spec: WorkloadSpec): string | null {
  if (!spec.latency) return null;
  const max = spec.latency.maxRttMs;
  if (!est) return `${node.id}: no RTT estimate to the target yet`;
  const eff = effectiveRtt(est);
  if (eff <= max) return null;
  return est.measured
    ? `${node.id}: measured RTT ${est.rttMs.toFixed(2)} ms > ${max} ms`
    : `${node.id}: estimated RTT ${est.rttMs.toFixed(2)} ± ${est.errorMs.toFixed(2)} ms > ${max} ms`;
}

export function effectiveRtt(est: RttEstimate): number {
  return est.measured ? est.rttMs : est.rttMs + est.errorMs;
}

export const HOST_FILTERS: readonly { name: FilterName; run: (n: PlacementNode, c: FilterContext) => string | null }[] = [
  { name: 'online-fresh', run: filterOnline },
  { name: 'labels', run: filterLabels },
  { name: 'accelerators', run: filterAccelerators },
  { name: 'fp16-capacity', run: filterFp16 },
];

/** Free accelerators to use: domestic first when the node has both, then lowest index. */
export function chooseAccelerators(node: PlacementNode, spec: WorkloadSpec, usable: (a: PlacementAccelerator) => boolean): PlacementAccelerator[] {
  const need = spec.needs.accelerators;
  if (need === 0) return [];
  const pool = node.accelerators.filter((a) => usable(a) && acceleratorQualifies(a, spec) && fp16Qualifies(a, spec));
  pool.sort((a, b) => Number(b.domestic) - Number(a.domestic) || a.index - b.index);
  return pool.slice(0, need);
}

export function scoreNode(
  node: PlacementNode, chosen: readonly PlacementAccelerator[], est: RttEstimate | undefined, spec: WorkloadSpec, alreadyUsed: number,
): ScoreBreakdown {
  const total = node.accelerators.length;
  const utilisation = total === 0 ? 1 : (alreadyUsed + chosen.length) / total;
  const domesticCount = chosen.reduce((n, a) => n + (a.domestic ? 1 : 0), 0);
  return {
    latency: latencyScore(est, spec),
    packing: spec.strategy === 'binpack' ? utilisation : 1 - utilisation,
    domestic: chosen.length === 0 ? 0 : domesticCount / chosen.length,
  };
}

export function latencyScore(est: RttEstimate | undefined, spec: WorkloadSpec): number {
  if (!spec.latency || !est) return 0;
  return latencyScoreOf(effectiveRtt(est), spec.latency.maxRttMs);
}

export function latencyScoreOf(effectiveRttMs: number, maxRttMs: number): number {
  return Math.max(0, Math.min(1, 1 - effectiveRttMs / maxRttMs));
}

export function weightedTotal(b: ScoreBreakdown, w: ScoreBreakdown, spec: WorkloadSpec): number {
  return (spec.latency ? w.latency * b.latency : 0) + w.packing * b.packing + w.domestic * b.domestic;
}

/** The best total any node with this effective RTT (or more) could reach. */
export function totalUpperBound(lowerBoundRttMs: number, w: ScoreBreakdown, spec: WorkloadSpec): number {
  const lat = spec.latency ? w.latency * Math.max(0, Math.min(1, 1 - lowerBoundRttMs / spec.latency.maxRttMs)) : 0;
  return lat + w.packing + w.domestic;
}
