// The placement pipeline: host filters (cheap first) → latency SLO → weighted scores →
// deterministic tie-break (node id). With a nearest-first latency estimator, latency workloads
// are placed by branch and bound over the spatial index instead of a scan (see place()).
import type { WorkloadSpec } from '../workloads/spec.ts';
import { isLatencyClass } from '../workloads/presets.ts';
import type { RttEstimate } from '../latency/types.ts';
import {
  DEFAULT_WEIGHTS, HOST_FILTERS, chooseAccelerators, filterLatency, scoreNode, totalUpperBound, weightedTotal, type FilterContext,
} from './plugins.ts';
import type {
  CandidateReport, Decision, FilterName, FilterReport, LatencyEstimator, PlacementAccelerator, PlacementNode, PlacementOptions, ScoreBreakdown,
} from './types.ts';

const REASON_SAMPLES = 3;
const FILTER_ORDER: readonly FilterName[] = ['online-fresh', 'labels', 'accelerators', 'fp16-capacity', 'latency-slo'];

interface Evaluated {
  node: PlacementNode;
  chosen: PlacementAccelerator[];
  est: RttEstimate | undefined;
  breakdown: ScoreBreakdown;
  total: number;
}

class Tally {
  readonly reports = new Map<FilterName, FilterReport>(FILTER_ORDER.map((n) => [n, { name: n, removed: 0, reasons: [] }]));
  reject(name: FilterName, reason: string): void {
    const r = this.reports.get(name)!;
    r.removed++;
    if (r.reasons.length < REASON_SAMPLES) r.reasons.push(reason);
  }
  list(): FilterReport[] {
    return [...this.reports.values()];
  }
  worst(): FilterName | null {
    let worst: FilterReport | null = null;
    for (const r of this.reports.values()) if (r.removed > 0 && (!worst || r.removed > worst.removed)) worst = r;
    return worst?.name ?? null;
  }
}

/** Keeps the best candidate plus a short top-N list, ordered by total desc then id asc. */
class TopN {
  readonly items: Evaluated[] = [];
  constructor(private readonly n: number) {}
  get best(): Evaluated | undefined {
    return this.items[0];
  }
  offer(e: Evaluated): void {
    const i = this.items.findIndex((x) => better(e, x));
    if (i === -1) {
      if (this.items.length < this.n) this.items.push(e);
      return;
    }
    this.items.splice(i, 0, e);
    if (this.items.length > this.n) this.items.pop();
  }
}

export function better(a: { total: number; node: { id: string } }, b: { total: number; node: { id: string } }): boolean {
  return a.total > b.total || (a.total === b.total && a.node.id < b.node.id);
}

/** Nodes by id, so a decision can look candidates up from the latency index in O(1). */
export class PlacementIndex {
  private readonly nodes = new Map<string, PlacementNode>();
  private sorted: PlacementNode[] | null = null;

  constructor(nodes: Iterable<PlacementNode> = []) {
    for (const n of nodes) this.nodes.set(n.id, n);
  }

  upsert(node: PlacementNode): void {
    if (!this.nodes.has(node.id)) this.sorted = null;
    this.nodes.set(node.id, node);
    if (this.sorted) this.sorted = null;
  }

  remove(id: string): void {
    if (this.nodes.delete(id)) this.sorted = null;
  }

  get(id: string): PlacementNode | undefined {
    return this.nodes.get(id);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Every node in id order (cached until the set of nodes changes). */
  all(): readonly PlacementNode[] {
    this.sorted ??= [...this.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.sorted;
  }

  /** Records an allocation in the node view, so the next decision sees the capacity gone. */
  allocate(nodeId: string, acceleratorIndexes: readonly number[], allocation: { workload: string; priority: number; preemptible: boolean }): void {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`allocate: unknown node ${nodeId}; upsert it before allocating`);
    for (const a of node.accelerators) if (acceleratorIndexes.includes(a.index)) a.allocatedTo = { ...allocation };
  }

  /** Frees the workload's accelerators; pass its node to skip the fleet-wide search. */
  release(workload: string, nodeId?: string): void {
    const nodes = nodeId !== undefined ? [this.nodes.get(nodeId)].filter((n) => n !== undefined) : this.nodes.values();
    for (const n of nodes) for (const a of n.accelerators) if (a.allocatedTo?.workload === workload) delete a.allocatedTo;
  }
}

/**
 * Chooses a node for the spec.
 * Cost: a latency workload with a nearest-first estimator visits nodes in order of a lower bound
 * on RTT and stops once no unvisited node can beat the best total: O(k·a + c) for k visited nodes
 * with a accelerators each and c grid cells within the SLO radius, independent of fleet size N
 * for a city fleet. Without an SLO or such an estimator: a scan, O(N·a). When nothing fits: one
 * full scan for the explanation and, for latency classes, the preemption search (O(N·a log a)).
 */
export function place(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, opts: PlacementOptions): Decision {
  const w: ScoreBreakdown = { ...DEFAULT_WEIGHTS, ...opts.weights };
  const ctx: FilterContext = { spec, nowMs: opts.nowMs, freshMs: opts.freshMs ?? 30_000 };
  const topN = opts.topN ?? 5;
  if (spec.latency && latency.nearestFirst) {
    const fast = placeNearestFirst(spec, index, latency, ctx, w, topN);
    if (fast.nodeId !== null) return fast;
  }
  const scanned = placeByScan(spec, index, latency, ctx, w, topN);
  if (scanned.nodeId !== null || !spec.latency || !isLatencyClass(spec.class)) return scanned;
  const p = preempt(spec, index, latency, ctx, w);
  if (!p) return scanned;
  return {
    ...scanned,
    nodeId: p.e.node.id,
    acceleratorIndexes: p.e.chosen.map((a) => a.index),
    rttMs: p.e.est?.rttMs ?? null,
    rttMeasured: p.e.est?.measured ?? false,
    evict: p.evict,
    explain: { ...scanned.explain, candidates: [report(p.e)] },
  };
}

function evaluate(node: PlacementNode, spec: WorkloadSpec, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, tally: Tally): Evaluated | null {
  for (const f of HOST_FILTERS) {
    const why = f.run(node, ctx);
    if (why !== null) {
      tally.reject(f.name, why);
      return null;
    }
  }
  const est = spec.latency ? latency.estimateTo(node.id, spec.latency.to) : undefined;
  const why = filterLatency(node, est, spec);
  if (why !== null) {
    tally.reject('latency-slo', why);
    return null;
  }
  const chosen = chooseAccelerators(node, spec, (a) => !a.allocatedTo);
  const used = node.accelerators.reduce((n, a) => n + (a.allocatedTo ? 1 : 0), 0);
  const breakdown = scoreNode(node, chosen, est, spec, used);
  return { node, chosen, est, breakdown, total: weightedTotal(breakdown, w, spec) };
}

function placeNearestFirst(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, topN: number): Decision {
  const tally = new Tally();
  const top = new TopN(topN);
  let visited = 0;
  for (const c of latency.nearestFirst!(spec.latency!.to, spec.latency!.maxRttMs)) {
    const best = top.best;
    // Strictly below: a later node could still tie the best and win on id. The top-N list in
    // explain then holds the candidates examined up to this point.
    if (best && totalUpperBound(c.lowerBoundMs, w, spec) < best.total) break;
    const node = index.get(c.id);
    if (!node) continue;
    visited++;
    const e = evaluate(node, spec, latency, ctx, w, tally);
    if (e) top.offer(e);
  }
  return decision(top, tally, index.size - visited);
}

function placeByScan(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown, topN: number): Decision {
  const tally = new Tally();
  const top = new TopN(topN);
  for (const node of index.all()) {
    const e = evaluate(node, spec, latency, ctx, w, tally);
    if (e) top.offer(e);
  }
  return decision(top, tally, 0);
}

function decision(top: TopN, tally: Tally, pruned: number): Decision {
  const best = top.best;
  return {
    nodeId: best?.node.id ?? null,
    acceleratorIndexes: best ? best.chosen.map((a) => a.index) : [],
    rttMs: best?.est?.rttMs ?? null,
    rttMeasured: best?.est?.measured ?? false,
    evict: [],
    explain: {
      filters: tally.list(),
      candidates: top.items.map(report),
      pruned,
      blockedBy: best ? null : tally.worst(),
    },
  };
}

function report(e: Evaluated): CandidateReport {
  return { nodeId: e.node.id, total: e.total, breakdown: e.breakdown, rttMs: e.est?.rttMs ?? null, measured: e.est?.measured ?? false };
}

/**
 * Nothing fits: look for a node where evicting lower-priority preemptible allocations makes room.
 * Prefers the fewest evicted workloads, then the lowest evicted priority, then the best score.
 */
function preempt(spec: WorkloadSpec, index: PlacementIndex, latency: LatencyEstimator, ctx: FilterContext, w: ScoreBreakdown): { e: Evaluated; evict: string[] } | null {
  const evictable = (a: PlacementAccelerator) => !a.allocatedTo || (a.allocatedTo.preemptible && a.allocatedTo.priority < spec.priority);
  let best: { e: Evaluated; evict: string[]; maxPriority: number } | null = null;
  for (const node of index.all()) {
    const hostWhy = HOST_FILTERS[0]!.run(node, ctx) ?? HOST_FILTERS[1]!.run(node, ctx);
    if (hostWhy !== null) continue;
    const est = latency.estimateTo(node.id, spec.latency!.to);
    if (filterLatency(node, est, spec) !== null) continue;
    // Free accelerators first, then those of the lowest-priority victims.
    const pool = chooseAccelerators(node, { ...spec, needs: { ...spec.needs, accelerators: node.accelerators.length } }, evictable);
    pool.sort((a, b) => (a.allocatedTo?.priority ?? -1) - (b.allocatedTo?.priority ?? -1) || Number(b.domestic) - Number(a.domestic) || a.index - b.index);
    const chosen = pool.slice(0, spec.needs.accelerators);
    if (chosen.length < spec.needs.accelerators) continue;
    const evict = [...new Set(chosen.flatMap((a) => (a.allocatedTo ? [a.allocatedTo.workload] : [])))].sort();
    if (evict.length === 0) continue;
    const maxPriority = Math.max(...chosen.map((a) => a.allocatedTo?.priority ?? -1));
    const used = node.accelerators.reduce((n, a) => n + (a.allocatedTo && !chosen.includes(a) ? 1 : 0), 0);
    const breakdown = scoreNode(node, chosen, est, spec, used);
    const e: Evaluated = { node, chosen, est, breakdown, total: weightedTotal(breakdown, w, spec) };
    const wins = !best
      || evict.length < best.evict.length
      || (evict.length === best.evict.length && (maxPriority < best.maxPriority || (maxPriority === best.maxPriority && better(e, best.e))));
    if (wins) best = { e, evict, maxPriority };
  }
  return best && { e: best.e, evict: best.evict };
}
