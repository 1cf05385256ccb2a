// The fleet as placement reads it: each node's accelerators (healthy ones, nominal and measured
// FP16-eq), whether it is online and fresh, and which accelerators are reserved by whom. The
// reservations are kept here, apart from the node views, so a node that re-announces itself (or
// one that is not back yet after a restart) gets its reservations applied again.
import { parseBenchTarget } from '../../protocol/targets.ts';
import { PlacementIndex } from '../placement/place.ts';
import { nodeEfficiency } from './efficiency.ts';
import type { Allocation, PlacementNode } from '../placement/types.ts';
import type { NodeRecord } from '../registry.ts';

export class FleetView {
  /** What placement walks. Change it only through this class, so reservations stay consistent. */
  readonly index = new PlacementIndex();
  /** node id -> accelerator index -> holder */
  private readonly reservations = new Map<string, Map<number, Allocation>>();
  /** Bumped whenever capacity or membership changes: a decision that failed needs a change to succeed. */
  version = 0;

  get(nodeId: string): PlacementNode | undefined {
    return this.index.get(nodeId);
  }

  get size(): number {
    return this.index.size;
  }

  /** The registry's view of a node changed (birth, bench, status): refresh its placement view. */
  update(n: NodeRecord): void {
    if (!n.birth) return;
    const view = placementNode(n);
    const held = this.reservations.get(n.id);
    if (held) for (const a of view.accelerators) {
      const holder = held.get(a.index);
      if (holder) a.allocatedTo = { ...holder };
    }
    this.index.upsert(view);
    this.version++;
  }

  /** One node alone, as if `workloadId` held nothing there: for checking an operator's move. */
  alone(nodeId: string, workloadId: string): PlacementIndex | undefined {
    const node = this.index.get(nodeId);
    if (!node) return undefined;
    const only = new PlacementIndex([structuredClone(node)]);
    only.release(workloadId, nodeId);
    return only;
  }

  /** Any message from a node: it is fresh for placement. */
  touch(nodeId: string, lastSeenMs: number): void {
    const v = this.index.get(nodeId);
    if (v) v.lastSeenMs = lastSeenMs;
  }

  /** Reserves accelerators for a workload; on a node not (yet) in view it applies when the node appears. */
  reserve(nodeId: string, acceleratorIndexes: readonly number[], holder: Allocation): void {
    let held = this.reservations.get(nodeId);
    if (!held) this.reservations.set(nodeId, (held = new Map()));
    for (const i of acceleratorIndexes) held.set(i, { ...holder });
    if (this.index.get(nodeId)) this.index.allocate(nodeId, acceleratorIndexes, holder);
    this.version++;
  }

  /** Frees whatever the workload holds on the node. */
  release(workloadId: string, nodeId: string): void {
    const held = this.reservations.get(nodeId);
    if (held) {
      for (const [i, h] of held) if (h.workload === workloadId) held.delete(i);
      if (held.size === 0) this.reservations.delete(nodeId);
    }
    this.index.release(workloadId, nodeId);
    this.version++;
  }
}

/** The placement view of a registry node: healthy accelerators with nominal and measured FP16. */
export function placementNode(n: NodeRecord): PlacementNode {
  const birth = n.birth!;
  const measured = new Map<number, number>();
  for (const r of n.bench?.results ?? []) {
    const index = parseBenchTarget(r.target);
    if (index !== null && r.fp16.tflops !== undefined) measured.set(index, r.fp16.tflops);
  }
  return {
    id: n.id,
    site: n.site,
    online: n.status === 'online',
    lastSeenMs: n.lastSeenMs,
    labels: birth.labels,
    location: { lat: birth.location.lat, lon: birth.location.lon },
    district: birth.location.district,
    accelerators: birth.accelerators
      .filter((a) => a.health !== 'error')
      .map((a) => ({
        index: a.index,
        vendor: a.vendor,
        domestic: a.domestic,
        memoryMib: a.memoryMib,
        nominalTflops: a.nominal.tflops,
        measuredTflops: measured.get(a.index),
      })),
    tflopsPerWatt: nodeEfficiency(birth, n.bench)?.tflopsPerWatt,
  };
}
