// Replicated workloads: a spec with `replicas: N` becomes N workload records, one per replica, each
// with its own lifecycle (placed, dispatched, re-placed alone when its node is lost or breaks the
// SLO), tied together by their set id. Placement keeps them apart by the spec's `spread` rule.
// A replica that does not fit stays pending while the ones that fit run (partial placement is
// kept); it is retried whenever the fleet changes, like any pending workload.
import type { FleetView } from '../fleet/view.ts';
import { spreadKey } from '../placement/filters/spread.ts';
import type { Spread } from '../placement/request.ts';
import type { Explain } from '../placement/types.ts';
import { TERMINAL, holdsCapacity, type Workload } from './workload.ts';

export function replicaId(setId: string, index: number): string {
  return `${setId}-r${index}`;
}

/** The records of a set, each index's latest one, by index. */
export function currentReplicas(all: Iterable<Workload>, setId: string): Workload[] {
  const byIndex = new Map<number, Workload>();
  for (const w of all) {
    if (w.replica?.set !== setId) continue;
    const cur = byIndex.get(w.replica.index);
    // A live record beats an ended one; among equals the later one (a re-queued replacement).
    if (!cur || (TERMINAL.has(cur.state) && !TERMINAL.has(w.state)) || (TERMINAL.has(cur.state) === TERMINAL.has(w.state) && w.createdAtMs >= cur.createdAtMs)) byIndex.set(w.replica.index, w);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, w]) => w);
}

/** What w's siblings hold, as the spread filter reads it; null for a workload that is not a replica. */
export function spreadFor(w: Workload, siblings: readonly Workload[], fleet: Pick<FleetView, 'get'>): Spread | null {
  if (!w.replica) return null;
  const taken = new Map<string, string>();
  for (const s of siblings) {
    if (s === w || !holdsCapacity(s)) continue;
    const node = fleet.get(s.nodeId);
    const key = node ? spreadKey(node, w.spec.spread) : w.spec.spread === 'node' ? s.nodeId : '';
    if (key) taken.set(key, s.id);
  }
  return { by: w.spec.spread, taken };
}

/** Why a replica found no node: the filter's verdict, how many of the set are placed, and what spread ruled out. */
export function unplacedReplicaReason(w: Workload, siblings: readonly Workload[], explain: Explain): string {
  const placed = siblings.filter(holdsCapacity).length;
  const n = w.spec.replicas;
  const spread = explain.filters.find((f) => f.name === 'spread');
  const apart = spread && spread.removed > 0
    ? `; ${spread.removed} node(s) that fit every other rule share a ${w.spec.spread} with a placed replica (e.g. ${spread.reasons[0]})`
    : `; no node left that fits apart from the others by ${w.spec.spread}`;
  return `replica ${w.replica!.index + 1} of ${n}: ${placed} of ${n} replicas placed${apart}`;
}

/** One state for a set: the least advanced of its live replicas, or how they ended. */
export function setState(replicas: readonly Workload[]): string {
  const order = ['pending', 'placed', 'running'];
  const live = replicas.filter((r) => !TERMINAL.has(r.state));
  if (live.length === 0) return replicas.at(-1)?.state ?? 'pending';
  return order[Math.min(...live.map((r) => order.indexOf(r.state)))]!;
}
