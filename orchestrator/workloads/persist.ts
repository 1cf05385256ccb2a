// Workloads across an orchestrator restart: what is stored, and the decode-and-validate of what
// comes back. A stored spec is re-validated with the current rules; one that no longer passes is
// named, not restored.
import { parseWorkloadSpec } from './spec.ts';
import type { ReplicaRef, Workload } from './workload.ts';

export function snapshotWorkloads(list: readonly Workload[]): Workload[] {
  return list.map((w) => ({ ...w }));
}

export function restoreWorkloads(items: readonly unknown[]): { workloads: Workload[]; problems: string[] } {
  const problems: string[] = [];
  const workloads: Workload[] = [];
  for (const raw of items) {
    const w = raw as Partial<Workload>;
    if (typeof w?.id !== 'string' || typeof w.state !== 'string' || !Array.isArray(w.history)) {
      problems.push('a stored workload without id/state/history was skipped');
      continue;
    }
    const parsed = parseWorkloadSpec(w.input);
    if (!parsed.ok) {
      problems.push(`stored workload ${w.id} no longer validates: ${parsed.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
      continue;
    }
    workloads.push({ ...(w as Workload), spec: parsed.spec, correlationId: w.correlationId ?? null, excluded: w.excluded ?? [], replica: replicaRefOf(w.replica), overflow: w.overflow ?? null, origin: w.origin ?? null });
  }
  return { workloads, problems };
}

/** A stored replica reference, if it is one (records from before replicas have none). */
function replicaRefOf(v: unknown): ReplicaRef | null {
  const r = v as Partial<ReplicaRef> | null | undefined;
  return typeof r?.set === 'string' && Number.isInteger(r.index) ? { set: r.set, index: r.index! } : null;
}
