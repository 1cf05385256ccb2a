// Prometheus metrics at GET /metrics, on a Registry of our own (never prom-client's global one, so
// two orchestrators in one process — tests — never share series). Fleet and workload gauges are
// computed at scrape time from the registry and the workload manager; message counters mirror the
// ingest's own counts; transitions and SLO violations follow the orchestrator's 'workload' events;
// decision latency follows its 'decision' events. Per-card series are rendered beside the registry
// (accelerator-metrics.ts), for speed at fleet scale.
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { renderAcceleratorMetrics } from './accelerator-metrics.ts';
import type { Orchestrator } from './orchestrator.ts';
import { cardBenches, fleetEnergy } from './views.ts';
import type { Workload, WorkloadState } from './workloads/manager.ts';

/** What one placement decision came to; the label of banyan_placement_decisions_total. */
export type PlacementOutcome = 'placed' | 'unschedulable';

export interface BanyanMetrics {
  readonly registry: Registry;
  /** The whole exposition: the registry's families and, unless cards is false, the per-card ones. */
  render(opts?: { cards?: boolean }): Promise<Buffer>;
  /** One placement decision and how long it took (the orchestrator's 'decision' events feed it). */
  recordPlacement(durationSeconds: number, outcome: PlacementOutcome): void;
  /** Stops following the orchestrator's events. */
  close(): void;
}

const NODE_STATES = ['online', 'offline', 'unknown'] as const;
const WORKLOAD_STATES: readonly WorkloadState[] = ['pending', 'placed', 'running', 'overflowed', 'completed', 'failed', 'stopped', 'evicted'];

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
      // Counted here, set once per vendor: a labelled inc per card costs a label hash each.
      const counts = new Map<string, { vendor: string; domestic: string; n: number }>();
      for (const n of nodes()) {
        for (const a of n.birth?.accelerators ?? []) {
          const key = `${a.vendor}\0${a.domestic}`;
          const c = counts.get(key) ?? { vendor: a.vendor, domestic: String(a.domestic), n: 0 };
          c.n++;
          counts.set(key, c);
        }
      }
      this.reset();
      for (const { vendor, domestic, n } of counts.values()) this.set({ vendor, domestic }, n);
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
        const bench = cardBenches(n);
        for (const a of n.birth?.accelerators ?? []) {
          const d = a.domestic ? 'true' : 'false';
          sums.nominal[d] += a.nominal.tflops ?? 0;
          sums.measured[d] += bench(a.index)?.fp16.tflops ?? 0;
        }
      }
      for (const kind of ['nominal', 'measured'] as const) {
        for (const domestic of ['true', 'false'] as const) this.set({ kind, domestic }, sums[kind][domestic]);
      }
    },
  });

  new Gauge({
    name: 'banyan_fleet_accelerator_power_watts',
    help: "Sum of the power every online node's cards report in their latest telemetry, watts; cards that do not report power are not in it.",
    registers: [registry],
    collect() {
      this.set(fleetEnergy(nodes()).powerW);
    },
  });
  new Gauge({
    name: 'banyan_fleet_tflops_per_watt',
    help:
      "The fleet's FP16-equivalent TFLOPS per watt: total TFLOPS over the watts they draw at each card's efficiency (measured where " +
      'benchmarked, else nominal catalogue TFLOPS over TDP). basis is measured, nominal or mixed; no series when no card has a figure.',
    labelNames: ['basis'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const e = fleetEnergy(nodes()).efficiency;
      if (e.tflopsPerWatt !== null) this.set({ basis: e.basis }, e.tflopsPerWatt);
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
    help:
      'MQTT messages rejected, by reason: a payload that does not decode, a topic, envelope node or MQTT identity that disagree, ' +
      'a duplicate msg_id, a seq that goes backwards on its channel within a session, or a stale Last Will.',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of ingest.rejected) this.inc({ reason }, n);
    },
  });

  new Counter({
    name: 'banyan_nodes_held_silent_total',
    help: 'Silent nodes a liveness sweep held online because most of the fleet went quiet at once (the orchestrator\'s backlog or the broker, not theirs); they go offline at 3x their silence limit.',
    registers: [registry],
    collect() {
      mirror(this, {}, orchestrator.registry.heldSilent);
    },
  });
  new Counter({
    name: 'banyan_fenced_commands_total',
    help: 'Commands nodes refused because they carried a deposed leader\'s epoch (fencing; see GET /v1/ha).',
    registers: [registry],
    collect() {
      mirror(this, {}, orchestrator.fencedCommands);
    },
  });
  new Counter({
    name: 'banyan_broker_refused_total',
    help: 'Publishes, subscriptions, logins and connections the embedded broker refused, by reason (client ids are in the log).',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of orchestrator.brokerRefusals.counts) this.inc({ reason }, n);
    },
  });

  const placements = new Counter({
    name: 'banyan_placement_decisions_total',
    help: 'Placement decisions by outcome: placed (a node was chosen) or unschedulable (no node fits).',
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
    help: 'Times a placed workload began breaking its latency SLO (measured RTT above maxRttMs), by class.',
    labelNames: ['class'] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'banyan_workload_transitions_total',
    help: 'Workload state changes, by the state entered (state="placed" counts placements and re-placements).',
    labelNames: ['state'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'banyan_workloads',
    help: 'Workloads by lifecycle state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<WorkloadState, number>(WORKLOAD_STATES.map((s) => [s, 0]));
      for (const w of orchestrator.workloads.list()) counts.set(w.state, (counts.get(w.state) ?? 0) + 1);
      for (const [state, v] of counts) this.set({ state }, v);
    },
  });
  new Gauge({
    name: 'banyan_latency_error_scale',
    help: "What the latency model multiplies Vivaldi's error estimates by so that estimate + error bounds pairs it never measured (1: not calibrated yet).",
    registers: [registry],
    collect() {
      this.set(orchestrator.latency.errorScale);
    },
  });
  new Gauge({
    name: 'banyan_workloads_breaking_slo',
    help: 'Placed or running workloads whose measured RTT is above their SLO right now.',
    registers: [registry],
    collect() {
      this.set(orchestrator.workloads.list().filter(breaksSlo).length);
    },
  });

  // The manager mutates one record in place, so what a workload was is kept here to see edges.
  const last = new Map<string, { state: WorkloadState; breaking: boolean }>();
  const onWorkload = (w: Workload) => {
    const before = last.get(w.id);
    const now = { state: w.state, breaking: breaksSlo(w) };
    last.set(w.id, now);
    if (before?.state !== now.state) transitions.inc({ state: now.state });
    if (now.breaking && !before?.breaking) sloViolations.inc({ class: w.spec.class });
  };
  orchestrator.events.on('workload', onWorkload);
  const recordPlacement = (durationSeconds: number, outcome: PlacementOutcome) => {
    placements.inc({ outcome });
    decisionSeconds.observe(durationSeconds);
  };
  const onDecision = (ms: number, placed: boolean) => recordPlacement(ms / 1000, placed ? 'placed' : 'unschedulable');
  orchestrator.events.on('decision', onDecision);

  return {
    registry,
    render: async ({ cards = true } = {}) => {
      const head = Buffer.from(await registry.metrics());
      return cards ? Buffer.concat([head, Buffer.from('\n'), await renderAcceleratorMetrics(nodes())]) : head;
    },
    recordPlacement,
    close: () => {
      orchestrator.events.off('workload', onWorkload);
      orchestrator.events.off('decision', onDecision);
    },
  };
}

function breaksSlo(w: Workload): boolean {
  return (w.state === 'placed' || w.state === 'running') && w.sloBreachSinceMs !== null;
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

/**
 * Orchestrator plugin: GET /metrics in the Prometheus text format. GET /metrics?cards=false leaves
 * the per-card series out: at 10k nodes × 8 cards they are ~100 MiB a scrape, so a big fleet can
 * scrape the fleet figures often and the cards in a slower job of their own.
 */
export function metricsPlugin(app: FastifyInstance, orchestrator: Orchestrator): void {
  const metrics = createMetrics(orchestrator);
  byOrchestrator.set(orchestrator, metrics);
  app.addHook('onClose', async () => metrics.close());
  app.get('/metrics', { schema: { querystring: Type.Object({ cards: Type.Optional(Type.Boolean()) }) } }, async (req, reply) => {
    const { cards } = req.query as { cards?: boolean };
    const text = await metrics.render({ cards });
    return reply.header('content-type', metrics.registry.contentType).send(text);
  });
}
