// Prometheus metrics at GET /metrics, on a Registry of our own (never prom-client's global one, so
// two orchestrators in one process — tests — never share series). Fleet gauges are computed from
// the node registry at scrape time; counters of messages mirror the ingest's own counts; placement
// and SLO figures follow the orchestrator's 'workload' events plus recordPlacement().
import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Orchestrator } from './orchestrator.ts';
import { nodeView } from './views.ts';
import { onWorkloadChange, violatesSlo, WORKLOAD_STATES, type WorkloadRecord, type WorkloadState } from './dashboard/workload-record.ts';

/** What a placement attempt came to; the label of banyan_placements_total. */
export type PlacementOutcome = 'placed' | 'unschedulable' | 'preempted' | 'error';

export interface BanyanMetrics {
  readonly registry: Registry;
  /** Times one placement decision; the workloads lifecycle calls it around the pipeline. */
  recordPlacement(durationSeconds: number, outcome: PlacementOutcome): void;
  /** Stops following the orchestrator's events. */
  close(): void;
}

const NODE_STATES = ['online', 'offline', 'unknown'] as const;

export function createMetrics(orchestrator: Orchestrator): BanyanMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { ingest } = orchestrator;
  const nodes = () => orchestrator.registry.all();

  new Gauge({
    name: 'banyan_nodes',
    help: 'Known nodes by liveness state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts: Record<string, number> = Object.fromEntries(NODE_STATES.map((s) => [s, 0]));
      for (const n of nodes()) counts[n.status] = (counts[n.status] ?? 0) + 1;
      for (const [state, v] of Object.entries(counts)) this.set({ state }, v);
    },
  });

  new Gauge({
    name: 'banyan_accelerators',
    help: 'Accelerators reported by online and offline nodes, by vendor and whether the vendor is domestic.',
    labelNames: ['vendor', 'domestic'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const n of nodes()) {
        for (const a of n.birth?.accelerators ?? []) this.inc({ vendor: a.vendor, domestic: String(a.domestic) });
      }
    },
  });

  new Gauge({
    name: 'banyan_fp16_tflops',
    help: 'FP16-equivalent TFLOPS of the fleet: kind=nominal (catalogue) or measured (benchmark); unknown figures count as 0.',
    labelNames: ['kind', 'domestic'] as const,
    registers: [registry],
    collect() {
      const sums = { nominal: { true: 0, false: 0 }, measured: { true: 0, false: 0 } };
      for (const n of nodes()) {
        for (const a of nodeView(n).accelerators) {
          const d = a.domestic ? 'true' : 'false';
          sums.nominal[d] += a.nominal.tflops ?? 0;
          sums.measured[d] += a.measured?.tflops ?? 0;
        }
      }
      for (const kind of ['nominal', 'measured'] as const) {
        for (const domestic of ['true', 'false'] as const) this.set({ kind, domestic }, sums[kind][domestic]);
      }
    },
  });

  new Counter({
    name: 'banyan_messages_received_total',
    help: 'MQTT messages from nodes that reached ingest.',
    registers: [registry],
    collect() {
      mirror(this, {}, ingest.received.total);
    },
  });
  new Counter({
    name: 'banyan_messages_accepted_total',
    help: 'MQTT messages from nodes that passed validation and reached the registry.',
    registers: [registry],
    collect() {
      mirror(this, {}, ingest.received.accepted);
    },
  });
  new Counter({
    name: 'banyan_messages_rejected_total',
    help: 'MQTT messages rejected, by reason (see DESIGN.md, Protocol).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of ingest.rejected) this.inc({ reason }, n);
    },
  });

  const placements = new Counter({
    name: 'banyan_placements_total',
    help: 'Placement decisions by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const decisionSeconds = new Histogram({
    name: 'banyan_placement_decision_seconds',
    help: 'Time to decide one placement (filter, score, pin).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const sloViolations = new Counter({
    name: 'banyan_slo_violations_total',
    help: 'Times a workload began running farther than its latency SLO (rttMs > maxRttMs), by class.',
    labelNames: ['class'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'banyan_workload_transitions_total',
    help: 'Workload state changes, by the state entered.',
    labelNames: ['state'] as const,
    registers: [registry],
  });

  const workloads = new Map<string, WorkloadRecord>();
  new Gauge({
    name: 'banyan_workloads',
    help: 'Workloads by lifecycle state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<WorkloadState, number>(WORKLOAD_STATES.map((s) => [s, 0]));
      for (const w of workloads.values()) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
      for (const [state, v] of counts) this.set({ state }, v);
    },
  });
  new Gauge({
    name: 'banyan_workloads_violating_slo',
    help: 'Placed or running workloads whose current RTT exceeds their SLO.',
    registers: [registry],
    collect() {
      this.set([...workloads.values()].filter((w) => isActive(w) && violatesSlo(w)).length);
    },
  });

  const stopFollowing = onWorkloadChange(orchestrator.events as unknown as EventEmitter, (w) => {
    const before = workloads.get(w.id);
    workloads.set(w.id, w);
    if (before?.state !== w.state) transitions.inc({ state: w.state });
    const wasViolating = before !== undefined && isActive(before) && violatesSlo(before);
    if (isActive(w) && violatesSlo(w) && !wasViolating) sloViolations.inc({ class: w.spec.class });
  });

  return {
    registry,
    recordPlacement(durationSeconds, outcome) {
      placements.inc({ outcome });
      decisionSeconds.observe(durationSeconds);
    },
    close: stopFollowing,
  };
}

function isActive(w: WorkloadRecord): boolean {
  return w.state === 'placed' || w.state === 'running';
}

/** A counter whose count lives elsewhere (ingest): set it to that count at scrape. */
function mirror(c: Counter, labels: Record<string, string>, value: number): void {
  c.reset();
  c.inc(labels, value);
}

const byOrchestrator = new WeakMap<Orchestrator, BanyanMetrics>();

/** The metrics of an orchestrator started with metricsPlugin (so its lifecycle can recordPlacement). */
export function metricsOf(orchestrator: Orchestrator): BanyanMetrics | undefined {
  return byOrchestrator.get(orchestrator);
}

/** Orchestrator plugin: GET /metrics in the Prometheus text format. */
export function metricsPlugin(app: FastifyInstance, orchestrator: Orchestrator): void {
  const metrics = createMetrics(orchestrator);
  byOrchestrator.set(orchestrator, metrics);
  app.addHook('onClose', async () => metrics.close());
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
