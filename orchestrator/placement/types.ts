// The placement inputs (a view of a node the registry can build from births, bench reports and
// allocations) and its output (a decision with an explanation).
import type { LatLon } from '../latency/geo.ts';
import type { AnchorState, Drift, LatencyTarget, RttEstimate } from '../latency/types.ts';

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
  accelerators: PlacementAccelerator[];
}

/** What placement needs from the latency model (LatencyModel satisfies it). */
export interface LatencyEstimator {
  estimateTo(nodeId: string, target: LatencyTarget): RttEstimate | undefined;
  /**
   * Optional spatial prefilter: ids in nondecreasing order of a lower bound on rttMs + errorMs
   * to the target; ids never yielded exceed limitMs. Without it placement scans every node.
   */
  nearestFirst?(target: LatencyTarget, limitMs: number): Iterable<{ id: string; lowerBoundMs: number }>;
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
}

export type FilterName = 'online-fresh' | 'labels' | 'accelerators' | 'fp16-capacity' | 'latency-slo';

export interface FilterReport {
  name: FilterName;
  removed: number;
  /** Up to a few example reasons, e.g. "n17: 1 free accelerator, needs 2". */
  reasons: string[];
}

export interface ScoreBreakdown {
  latency: number;
  packing: number;
  domestic: number;
}

export interface CandidateReport {
  nodeId: string;
  total: number;
  breakdown: ScoreBreakdown;
  rttMs: number | null;
  measured: boolean;
}

export interface Decision {
  nodeId: string | null;
  acceleratorIndexes: number[];
  rttMs: number | null;
  rttMeasured: boolean;
  /** Workloads to evict first (preemption); empty for an ordinary placement. */
  evict: string[];
  explain: {
    filters: FilterReport[];
    candidates: CandidateReport[];
    /** Nodes never examined because a bound proved they could not win or meet the SLO. */
    pruned: number;
    /** The filter that removed the most nodes when nothing fits; null when a node was chosen. */
    blockedBy: FilterName | null;
  };
}

export interface PlacementOptions {
  nowMs: number;
  /** A node unheard of for longer than this is not fresh. */
  freshMs?: number;
  /** Nodes this decision must not use (e.g. ones that failed to ack this workload). */
  exclude?: ReadonlySet<string>;
  /** How many top candidates explain keeps. */
  topN?: number;
  /** Score weights; latency applies only to workloads with an SLO. */
  weights?: Partial<ScoreBreakdown>;
}
