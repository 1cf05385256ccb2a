// The workload record as the workloads API and the orchestrator's 'workload' event carry it: the
// one shape the dashboard, the metrics and the operator CLI read. Validated at the boundary
// because it arrives over HTTP or through an untyped event.
import type { EventEmitter } from 'node:events';
import type { WorkloadSpec } from '../workloads/spec.ts';

export const WORKLOAD_STATES = ['pending', 'placed', 'running', 'completed', 'failed', 'stopped', 'evicted'] as const;
export type WorkloadState = (typeof WORKLOAD_STATES)[number];

export interface WorkloadHistoryEntry {
  state: WorkloadState;
  atMs: number;
  reason: string;
}

export interface WorkloadRecord {
  id: string;
  spec: WorkloadSpec;
  state: WorkloadState;
  nodeId: string | null;
  acceleratorIndexes: number[];
  rttMs: number | null;
  rttMeasured: boolean;
  history: WorkloadHistoryEntry[];
  createdAtMs: number;
}

export function isWorkloadState(v: unknown): v is WorkloadState {
  return typeof v === 'string' && (WORKLOAD_STATES as readonly string[]).includes(v);
}

/** Structural check of the fields the views read; the spec itself was validated when submitted. */
export function isWorkloadRecord(v: unknown): v is WorkloadRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const spec = r.spec as Record<string, unknown> | null | undefined;
  return (
    typeof r.id === 'string' &&
    isWorkloadState(r.state) &&
    (r.nodeId === null || typeof r.nodeId === 'string') &&
    typeof spec === 'object' && spec !== null && typeof spec.name === 'string' && typeof spec.class === 'string' &&
    Array.isArray(r.history)
  );
}

/** The SLO is violated when a latency-bound workload runs farther away than its maxRttMs. */
export function violatesSlo(w: WorkloadRecord): boolean {
  const slo = w.spec.latency;
  return slo !== null && slo !== undefined && w.rttMs !== null && w.nodeId !== null && w.rttMs > slo.maxRttMs;
}

export const ACTIVE_STATES: ReadonlySet<WorkloadState> = new Set(['placed', 'running']);

/**
 * Follows the orchestrator's 'workload' event (a record changed). Through the untyped emitter
 * interface, so this compiles whether or not the event is declared yet; bad payloads are dropped.
 */
export function onWorkloadChange(events: EventEmitter, fn: (w: WorkloadRecord) => void): () => void {
  const listener = (w: unknown) => {
    if (isWorkloadRecord(w)) fn(w);
  };
  events.on('workload', listener);
  return () => events.off('workload', listener);
}
