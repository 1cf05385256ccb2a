// What placement needs to know about a workload, and nothing else: built from the spec here, in
// one place, so the walker and the plugins never read the spec (or its run section) directly.
import type { LatencyTarget } from '../latency/types.ts';
import type { PlacementStrategy, WorkloadClass } from '../workloads/presets.ts';
import { isLatencyClass } from '../workloads/presets.ts';
import type { SpreadRule, WorkloadSpec } from '../workloads/spec.ts';
import type { ScoreBreakdown } from './types.ts';

export interface PlacementRequest {
  class: WorkloadClass;
  /** Accelerators wanted (0: host-only work). */
  accelerators: number;
  minFp16Tflops: number;
  basis: 'nominal' | 'measured';
  memoryMibPerAccelerator: number;
  /** Allowed vendors; null: any. */
  vendors: ReadonlySet<string> | null;
  domesticOnly: boolean;
  labels: readonly (readonly [string, string])[];
  /** null: no latency SLO. */
  latency: { to: LatencyTarget; maxRttMs: number } | null;
  strategy: PlacementStrategy;
  /** Its priority, against which preemptible work may be evicted. */
  priority: number;
  /** May evict lower-priority preemptible work when nothing fits (latency classes with an SLO). */
  mayPreempt: boolean;
  /** Score weights; a 0 weight turns that score off (latency is 0 without an SLO). */
  weights: ScoreBreakdown;
  /** Nodes this decision must not use (they failed this workload before). */
  exclude: ReadonlySet<string>;
  /** Replicas: the districts, sites or nodes its sibling replicas hold, which this one must avoid. */
  spread: Spread | null;
}

export interface Spread {
  by: SpreadRule;
  /** Keys (district, site or node id, per `by`) already held, with the replica holding each. */
  taken: ReadonlyMap<string, string>;
}

/** Weights for latency work and throughput work alike; green is per class (presets.ts). */
export const DEFAULT_WEIGHTS: Readonly<Omit<ScoreBreakdown, 'green'>> = { latency: 10, packing: 1, domestic: 0.5 };

const NOBODY: ReadonlySet<string> = new Set();
const NONE: readonly (readonly [string, string])[] = [];

function labelPairs(labels: Record<string, string>): readonly (readonly [string, string])[] {
  const pairs = Object.entries(labels);
  return pairs.length > 0 ? pairs : NONE;
}

export function placementRequest(spec: WorkloadSpec, opts: { exclude?: Iterable<string>; weights?: Partial<ScoreBreakdown>; spread?: Spread | null } = {}): PlacementRequest {
  const n = spec.needs;
  const latencyClass = isLatencyClass(spec.class);
  // Field by field, not spread: this runs once per decision and spread is a slow path in V8.
  const o = opts.weights;
  const w: ScoreBreakdown = {
    latency: o?.latency ?? DEFAULT_WEIGHTS.latency,
    packing: o?.packing ?? DEFAULT_WEIGHTS.packing,
    domestic: o?.domestic ?? DEFAULT_WEIGHTS.domestic,
    green: o?.green ?? spec.greenWeight,
  };
  for (const [k, v] of Object.entries(w)) if (!(v >= 0)) throw new Error(`placement weight ${k} must be ≥ 0 (got ${v}): the walker's bounds assume no score lowers a total`);
  return {
    class: spec.class,
    accelerators: n.accelerators,
    minFp16Tflops: n.minFp16Tflops,
    basis: n.basis,
    memoryMibPerAccelerator: n.memoryMibPerAccelerator,
    vendors: n.vendors.length > 0 ? new Set<string>(n.vendors) : null,
    domesticOnly: n.domesticOnly,
    labels: labelPairs(n.labels),
    latency: spec.latency,
    strategy: spec.strategy,
    priority: spec.priority,
    mayPreempt: spec.latency !== null && latencyClass,
    weights: {
      latency: spec.latency ? w.latency : 0,
      packing: w.packing,
      domestic: w.domestic,
      // Energy is traded against latency only for throughput work: off for the latency classes.
      green: latencyClass ? 0 : w.green,
    },
    exclude: opts.exclude ? new Set(opts.exclude) : NOBODY,
    spread: opts.spread ?? null,
  };
}
