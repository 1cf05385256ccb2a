// The placement inputs (a view of a node the registry can build from births, bench reports and
// allocations) and its output (a decision with an explanation).
import type { LatLon } from '../latency/geo.ts';
import type { AnchorState, Drift, LatencyTarget, RttEstimate, TargetGeometry } from '../latency/types.ts';
import type { Coordinate } from '../latency/vivaldi.ts';

export interface Allocation {
  workload: string;
  priority: number;
  preemptible: boolean;
}

export interface PlacementAccelerator {
  index: number;
  vendor: string;
  domestic: boolean;
  memoryMib: number;
  /** FP16-equivalent TFLOPS, catalogue figure. */
  nominalTflops?: number;
  /** FP16-equivalent TFLOPS, from the node's benchmark. */
  measuredTflops?: number;
  allocatedTo?: Allocation;
}

export interface PlacementNode {
  id: string;
  site: string;
  online: boolean;
  lastSeenMs: number;
  labels: Record<string, string>;
  location?: LatLon;
  /** The district its birth names ('' when none): what `spread: district` keeps replicas apart by. */
  district?: string;
  accelerators: PlacementAccelerator[];
  /** FP16-eq TFLOPS per watt of the node's cards (orchestrator/fleet/efficiency.ts); absent: unknown. */
  tflopsPerWatt?: number;
}

/** What placement needs from the latency model (LatencyModel satisfies it). */
export interface LatencyEstimator {
  estimateTo(nodeId: string, target: LatencyTarget): RttEstimate | undefined;
  /**
   * Optional: grows whenever any estimate may have changed. With it, placement keeps each
   * target's nodes bucketed by effective RTT and moves only the nodes whose estimate changed.
   */
  readonly version?: number;
  /** Optional, with version: ids whose estimate to the target may have moved since then; null: any. */
  changedSince?(target: LatencyTarget, version: number): Iterable<string> | null;
  /** Optional: estimateTo with the target resolved once (for rebuilding an order). */
  estimatorTo?(target: LatencyTarget): (nodeId: string) => RttEstimate | undefined;
  /** Optional: the ids named by RTT samples since `version`; null: any estimate may have moved. */
  movedSince?(version: number): Iterable<string> | null;
  /** Optional, with movedSince: the target's anchor now, kept with the figures taken against it. */
  anchorOf?(target: LatencyTarget): AnchorState | undefined;
  /**
   * Optional, with movedSince: for nodes not named since, how far effective RTT can have fallen
   * since the anchor was `then`, so figures survive the anchor moving (as lower bounds); null: rebuild.
   */
  anchorDrift?(target: LatencyTarget, then: AnchorState): Drift | null;
  /**
   * Optional, with movedSince: a node's coordinate once a sample has fitted it. With it and
   * geometryOf, placement keeps one copy of every node's coordinate for all targets
   * (coordinate-grid.ts) instead of moving each sampled node in every target's buckets.
   */
  fittedCoordinate?(nodeId: string): Readonly<Coordinate> | undefined;
  /** Optional: how coordinate estimates to the target are made now; undefined past `maxOtherwise` exceptions. */
  geometryOf?(target: LatencyTarget, maxOtherwise?: number): TargetGeometry | undefined;
}

export type FilterName = 'online-fresh' | 'excluded' | 'labels' | 'accelerators' | 'fp16-capacity' | 'latency-slo' | 'spread';
export type ScoreName = 'latency' | 'packing' | 'domestic' | 'green';

export interface FilterReport {
  name: FilterName;
  /** Nodes this filter removed (each node is counted once, by the first filter it failed). */
  removed: number;
  /** Up to a few example reasons, e.g. "n17: 1 free accelerator, needs 2". */
  reasons: string[];
}

/** Per score plugin: its score in [0, 1] (weights are in the request). */
export type ScoreBreakdown = Record<ScoreName, number>;

export interface CandidateReport {
  nodeId: string;
  total: number;
  breakdown: ScoreBreakdown;
  rttMs: number | null;
  measured: boolean;
}

/**
 * What the search did, from its own counters. Every node of the fleet view is in exactly one of:
 * removed by a filter, scored, or not examined; so fleet = Σ filters[].removed + scored + notExamined.
 */
export interface Explain {
  fleet: number;
  filters: FilterReport[];
  /** Nodes that passed every filter and got a score. */
  scored: number;
  /** Nodes the search never had to look at: an upper bound proved none of them could beat the best. */
  notExamined: number;
  candidates: CandidateReport[];
  /** The filter that removed the most nodes when nothing fits; null when a node was chosen. */
  blockedBy: FilterName | null;
  /** The weights the scores were combined with (0: that score is off for this workload). */
  weights: ScoreBreakdown;
}

export interface Decision {
  nodeId: string | null;
  acceleratorIndexes: number[];
  rttMs: number | null;
  rttMeasured: boolean;
  /** Workloads to evict first (preemption); empty for an ordinary placement. */
  evict: string[];
  explain: Explain;
}

export interface PlacementOptions {
  nowMs: number;
  /** A node unheard of for longer than this is not fresh. */
  freshMs?: number;
  /** How many top candidates explain keeps. */
  topN?: number;
}
