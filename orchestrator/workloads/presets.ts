// Class presets: the defaults each workload class of the city plan gets unless its spec overrides them.

export type WorkloadClass = 'industrial-control' | 'grid-protection' | 'trading' | 'cloud-gaming' | 'batch';
export type DisconnectPolicy = 'keep' | 'replace';
export type PlacementStrategy = 'binpack' | 'spread';

export interface ClassPreset {
  /** null: no latency SLO (the class is throughput work). */
  maxRttMs: number | null;
  disconnect: { policy: DisconnectPolicy; graceMs: number };
  priority: number;
  preemptible: boolean;
  strategy: PlacementStrategy;
  /** Weight of the `green` score (prefer the most FP16-eq TFLOPS per watt); 0: off. */
  greenWeight: number;
}

export const CLASS_PRESETS: Readonly<Record<WorkloadClass, ClassPreset>> = {
  // IEC 61850 protection signalling budgets are a few ms end to end; 5 ms RTT keeps a
  // protection function inside the substation's metro ring. Never moved while it runs offline.
  'grid-protection': { maxRttMs: 5, disconnect: { policy: 'keep', graceMs: 300_000 }, priority: 900, preemptible: false, strategy: 'spread', greenWeight: 0 },
  // Supervisory PLC / motion loops cycle at 10–100 ms: a 10 ms RTT fits within one fast cycle.
  'industrial-control': { maxRttMs: 10, disconnect: { policy: 'keep', graceMs: 120_000 }, priority: 800, preemptible: false, strategy: 'spread', greenWeight: 0 },
  // Order entry competes on co-location: 2 ms RTT means the venue's own metro, no detours.
  // A stale trading engine is worse than a restarted one, so it is replaced quickly.
  trading: { maxRttMs: 2, disconnect: { policy: 'replace', graceMs: 5_000 }, priority: 850, preemptible: false, strategy: 'spread', greenWeight: 0 },
  // Motion-to-photon ≈ 50–60 ms total; 20 ms of network RTT leaves the rest to encode/render/decode.
  'cloud-gaming': { maxRttMs: 20, disconnect: { policy: 'replace', graceMs: 10_000 }, priority: 500, preemptible: false, strategy: 'spread', greenWeight: 0 },
  // Throughput work: no SLO, packed tightly, first to make room for latency-critical work, and
  // steered to the most energy-efficient cards (a modest weight: it decides among nodes that pack
  // alike, it does not spread work over half-empty nodes).
  batch: { maxRttMs: null, disconnect: { policy: 'replace', graceMs: 60_000 }, priority: 100, preemptible: true, strategy: 'binpack', greenWeight: 0.5 },
};

/** Classes whose SLO is about latency: placement scores latency first, and they may preempt. */
export function isLatencyClass(c: WorkloadClass): boolean {
  return CLASS_PRESETS[c].maxRttMs !== null;
}
