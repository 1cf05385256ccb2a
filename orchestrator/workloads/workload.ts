// One workload's record: its state, where it is pinned, and every transition with its reason.
// pending → placed → running → (completed | failed | stopped | evicted); a workload that overflows
// to another city goes pending → overflowed → (completed | failed | stopped).
import { randomUUID } from 'node:crypto';
import type { OverflowOutcome } from '../../protocol/federation.ts';
import type { Allocation, Decision } from '../placement/types.ts';
import type { WorkloadSpec } from './spec.ts';

export type WorkloadState = 'pending' | 'placed' | 'running' | 'overflowed' | 'completed' | 'failed' | 'stopped' | 'evicted';
export const TERMINAL: ReadonlySet<WorkloadState> = new Set(['completed', 'failed', 'stopped', 'evicted']);

export interface Transition {
  state: WorkloadState;
  atMs: number;
  reason: string;
  nodeId: string | null;
}

export interface Workload {
  id: string;
  /** What the client sent, kept so a restart re-validates it with the current rules. */
  input: unknown;
  spec: WorkloadSpec;
  state: WorkloadState;
  nodeId: string | null;
  acceleratorIndexes: number[];
  rttMs: number | null;
  rttMeasured: boolean;
  correlationId: string | null;
  createdAtMs: number;
  history: Transition[];
  explain: Decision['explain'] | null;
  /** When its node was lost (orchestrator clock); null while the node is fine. */
  nodeLostAtMs: number | null;
  /** Since when measured RTT has broken the SLO; null while it holds. */
  sloBreachSinceMs: number | null;
  /** Nodes that did not ack a dispatch in time: skipped when re-placing. */
  excluded: string[];
  exitCode: number | null;
  message: string;
  /** One replica of a replicated workload (spec.replicas > 1): the set's id and its index; null otherwise. */
  replica: ReplicaRef | null;
  /** This city's work sent to another member city (README "Federation"): the upstream's last word on it. */
  overflow: RemoteRun | null;
  /** Work this city runs for another member city: who asked. */
  origin: OriginRef | null;
}

/** The upstream's latest outcome for work this city asked it to place elsewhere. */
export type RemoteRun = OverflowOutcome & {
  /** True once the outcome is final and its usage is the runner's last word. */
  final: boolean;
};

export interface OriginRef {
  city: string;
  workloadId: string;
  /** Why this city gave it back (no node fits, evicted); null while it runs or ran here. */
  refusedReason: string | null;
  /** The upstream has its final report. */
  acked: boolean;
}

export interface ReplicaRef {
  set: string;
  index: number;
}

/** A fresh workload id (also a replica set's id). */
export function newWorkloadId(): string {
  return `w-${randomUUID().slice(0, 12)}`;
}

export function newWorkload(input: unknown, spec: WorkloadSpec, nowMs: number, replica: ReplicaRef | null = null, id = newWorkloadId()): Workload {
  return {
    id,
    input,
    spec,
    state: 'pending',
    nodeId: null,
    acceleratorIndexes: [],
    rttMs: null,
    rttMeasured: false,
    correlationId: null,
    createdAtMs: nowMs,
    history: [{ state: 'pending', atMs: nowMs, reason: 'submitted', nodeId: null }],
    explain: null,
    nodeLostAtMs: null,
    sloBreachSinceMs: null,
    excluded: [],
    exitCode: null,
    message: '',
    replica,
    overflow: null,
    origin: null,
  };
}

/** Who holds the accelerators a workload is pinned to, as the fleet view records it. */
export function holderOf(w: Workload): Allocation {
  return { workload: w.id, priority: w.spec.priority, preemptible: w.spec.preemptible };
}

/** Pinned to a node (placed or running): it holds a reservation there. */
export function holdsCapacity(w: Workload): w is Workload & { nodeId: string } {
  return w.nodeId !== null && !TERMINAL.has(w.state);
}
