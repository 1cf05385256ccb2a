// A rehearsal: an orchestrator, a broker (a private Mosquitto, a given one, or the in-process hub),
// a simulated fleet running the real agent code, the scenario's workloads and its fault timeline,
// watched from both ends; at the end, a report (simulators/fleet/report.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadCatalog } from '../../agent/catalog/catalog.ts';
import { MqttLink } from '../../agent/mqtt-link.ts';
import { Orchestrator, type OrchestratorOptions } from '../../orchestrator/orchestrator.ts';
import { MemoryStore } from '../../orchestrator/store/store.ts';
import type { Workload } from '../../orchestrator/workloads/manager.ts';
import { DEFAULT_TOPIC_ROOT } from '../../protocol/topics.ts';
import { Fleet } from '../fleet/fleet.ts';
import { KNOWN_PLACES, SITES, siteById } from '../../orchestrator/geo/city.ts';
import { NetworkModel, netPointAt, type NetPoint } from '../fleet/network.ts';
import { buildReport, type SimReport, type Timing } from '../fleet/report.ts';
import { Rng, deriveSeed } from '../fleet/rng.ts';
import type { Scenario } from '../fleet/scenario.ts';
import { CatalogAcceleratorSource } from '../fleet/sim-accelerators.ts';
import { InProcessHub } from '../fleet/transport-inproc.ts';
import { ChaosLink } from './chaos-link.ts';
import type { Fault } from './faults.ts';
import { ChaosInjector, type FaultRecord } from './injector.ts';
import { PrivateMosquitto } from './mosquitto.ts';
import { Observer } from './observer.ts';
import { planTimeline, resolveNodes, type PlannedFault } from './timeline.ts';

export type TransportKind = 'inproc' | 'mqtt';

export interface RehearsalOptions {
  scenario: Scenario;
  nodes?: number;
  /** Overrides the scenario's seed: the fleet, the network and the fault timeline follow it. */
  seed?: number;
  transport: TransportKind;
  /** mqtt: this broker instead of a private Mosquitto (broker-restart faults are then skipped). */
  brokerUrl?: string;
  topicRoot?: string;
  log?: Logger;
  timing?: Partial<Timing>;
  /** Agents started at once. */
  concurrency?: number;
  /** Decode every message agents send into a ledger (messages lost); off for very big fleets. */
  ledger?: boolean;
}

export const DEFAULT_TIMING: Timing = {
  sweepMs: 500,
  silentIntervals: 3,
  minSilentMs: 3000,
  ackTimeoutMs: 3000,
  sloWindowMs: 5000,
  probeIntervalMs: 2000,
  warmupProbeRounds: 4,
  reconnectMinMs: 200,
  reconnectMaxMs: 2000,
  settleMs: 4000,
};

export class Rehearsal {
  readonly observer: Observer;
  readonly injector: ChaosInjector;
  readonly fleet: Fleet;
  readonly network: NetworkModel;
  readonly timing: Timing;
  readonly seed: number;
  orchestrator!: Orchestrator;
  plan: PlannedFault[] = [];
  private readonly links = new Map<string, ChaosLink>();
  private readonly skew = new Map<string, number>();
  private readonly store = new MemoryStore();
  private readonly stateRoot = mkdtempSync(join(tmpdir(), 'banyan-sim-'));
  private readonly points = new Map<string, NetPoint>();
  private readonly siteOf = new Map<string, string>();
  private readonly log: Logger;
  private readonly topicRoot: string;
  private hub: InProcessHub | null = null;
  private mosquitto: PrivateMosquitto | null = null;
  private brokerUrl = '';
  private startedAtMs = 0;
  private orchestratorDown = false;

  private constructor(private readonly opts: RehearsalOptions, catalog: Awaited<ReturnType<typeof loadCatalog>>) {
    this.seed = opts.seed ?? opts.scenario.seed;
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.log = opts.log ?? pino({ level: process.env.LOG_LEVEL ?? 'silent' });
    this.topicRoot = opts.topicRoot ?? DEFAULT_TOPIC_ROOT;
    this.network = new NetworkModel({ seed: this.seed });
    const scenario = { ...opts.scenario, seed: this.seed };
    this.observer = new Observer({ truth: (nodeId, w) => this.trueRtt(nodeId, w) });
    if (opts.transport === 'inproc') this.hub = new InProcessHub(this.topicRoot);
    this.fleet = new Fleet({
      brokerUrl: 'mqtt://in-process.invalid:1883',
      topicRoot: this.topicRoot,
      scenario,
      nodes: opts.nodes,
      accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
      log: this.log.child({ part: 'sim' }),
      concurrency: opts.concurrency ?? 32,
      stateRoot: this.stateRoot,
      network: this.network,
      agentConfig: {
        probeIntervalMs: this.timing.probeIntervalMs,
        benchBudgetMs: 1000,
        reconnectMinMs: this.timing.reconnectMinMs,
        reconnectMaxMs: this.timing.reconnectMaxMs,
      },
      link: (spec) => (linkOpts) => {
        const inner = this.hub ? this.hub.link(linkOpts) : new MqttLink({ ...linkOpts, url: this.brokerUrl });
        const link = new ChaosLink(spec.id, inner, opts.ledger === false ? undefined : this.observer.tap);
        this.links.set(spec.id, link);
        return link;
      },
      clockSkewMs: (id) => this.skew.get(id) ?? 0,
    });
    for (const s of this.fleet.specs) {
      this.points.set(s.id, netPointAt(s.site, s.id));
      this.siteOf.set(s.id, s.site.id);
    }
    this.injector = new ChaosInjector({
      fleet: this.fleet,
      network: this.network,
      topicRoot: this.topicRoot,
      link: (id) => this.links.get(id),
      recent: (id) => this.observer.recent(id),
      inject: (topic, payload, clientId) => this.inject(topic, payload, clientId),
      restartBroker: opts.brokerUrl ? null : (downMs) => this.restartBroker(downMs),
      restartOrchestrator: (downMs) => this.restartOrchestrator(downMs),
      skew: this.skew,
    });
  }

  /** Starts broker, orchestrator and fleet, and waits until every node is online with RTTs reported. */
  static async start(opts: RehearsalOptions): Promise<Rehearsal> {
    const r = new Rehearsal(opts, await loadCatalog());
    try {
      await r.boot();
    } catch (e) {
      await r.stop();
      throw e;
    }
    return r;
  }

  private async boot(): Promise<void> {
    if (this.opts.transport === 'mqtt') {
      if (this.opts.brokerUrl) this.brokerUrl = this.opts.brokerUrl;
      else {
        this.mosquitto = await PrivateMosquitto.start();
        this.brokerUrl = this.mosquitto.url;
      }
    }
    await this.startOrchestrator();
    await this.fleet.start();
    const n = this.fleet.specs.length;
    const bootMs = 30_000 + n * 5;
    await until(`${n} nodes online`, () => this.onlineCount() === n, bootMs);
    await until('every node reported RTTs', () => [...this.orchestrator.registry.all()].every((x) => x.latency !== null), bootMs);
    // Vivaldi needs several rounds of samples to settle; placements before that test the warm-up.
    await sleep(this.timing.warmupProbeRounds * this.timing.probeIntervalMs);
    this.startedAtMs = Date.now();
  }

  onlineCount(): number {
    let k = 0;
    for (const x of this.orchestrator.registry.all()) if (x.status === 'online') k++;
    return k;
  }

  /** Submits the scenario's workloads (SLO targets drawn from the seed) and waits until none is being dispatched. */
  async submitWorkloads(): Promise<Workload[]> {
    const rng = new Rng(deriveSeed(this.seed, 'workloads'));
    const out: Workload[] = [];
    for (const mix of this.opts.scenario.workloads ?? []) {
      const kinds = mix.toSiteKind ? SITES.filter((s) => s.kind === mix.toSiteKind) : SITES;
      for (let i = 0; i < mix.count; i++) {
        const to = rng.pick(kinds).id;
        const r = this.orchestrator.workloads.submit({
          name: `${mix.class}-${out.length + 1}`,
          tenant: 'rehearsal',
          class: mix.class,
          // Runs until stopped: the rehearsal watches where it lives, not when it ends.
          run: { runner: 'simulated', durationMs: 86_400_000 },
          needs: { accelerators: mix.accelerators ?? 1, ...(mix.domesticOnly ? { domesticOnly: true } : {}) },
          ...(mix.class === 'batch' ? {} : { latency: { to: { site: to } } }),
          ...(mix.disconnect ? { disconnect: mix.disconnect } : {}),
        });
        if (!r.ok) throw new Error(`scenario workload ${mix.class} does not validate: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
        out.push(r.workload);
      }
    }
    await until('workloads dispatched', () => this.orchestrator.workloads.list().every((w) => w.state !== 'placed'), 20_000).catch(() => undefined);
    return out;
  }

  /** Where the orchestrator has work of a class placed or running now (a fault's `select.running`). */
  private readonly runningOf = (workloadClass: string): ReadonlySet<string> =>
    new Set(this.orchestrator.workloads.list().flatMap((w) => (w.spec.class === workloadClass && w.nodeId && (w.state === 'placed' || w.state === 'running') ? [w.nodeId] : [])));

  /** Plans the scenario's timeline and schedules it from now. */
  scheduleFaults(durationMs: number): PlannedFault[] {
    this.plan = planTimeline({ ...this.opts.scenario, seed: this.seed }, this.fleet.specs, this.seed, durationMs, this.runningOf);
    this.injector.schedule(this.plan);
    return this.plan;
  }

  /** A live fault (CLI): resolved against the fleet like a timeline entry, applied now. */
  applyNow(f: Fault): Promise<FaultRecord> {
    const id = `live${this.injector.records.length + 1}-${f.kind}`;
    return this.injector.apply({ id, fault: f, nodes: resolveNodes(f, this.fleet.specs, deriveSeed(this.seed, id), this.runningOf), random: false });
  }

  /** Runs for durationMs, lets faults finish and the fleet settle, then reports. */
  async run(durationMs: number): Promise<SimReport> {
    this.scheduleFaults(durationMs);
    await sleep(durationMs);
    return this.finish(durationMs);
  }

  async finish(durationMs: number): Promise<SimReport> {
    this.injector.stop();
    await this.injector.settle();
    // Heal what the timeline left on, so outboxes drain and the ledger can be closed.
    for (const l of this.links.values()) {
      l.thaw();
      l.heal();
    }
    const n = this.fleet.specs.filter((s) => !this.fleet.isDown(s.id)).length;
    await until('the fleet back online', () => this.onlineCount() >= n, 30_000).catch(() => undefined);
    await sleep(this.timing.settleMs);
    return buildReport({
      scenario: this.opts.scenario.name,
      seed: this.seed,
      transport: this.opts.transport,
      durationMs,
      nodes: this.fleet.specs.length,
      timing: this.timing,
      telemetryIntervalMs: this.opts.scenario.telemetryIntervalMs,
      orchestrator: this.orchestrator,
      observer: this.observer,
      faults: this.injector.records,
      points: this.points,
      network: this.network,
      hub: this.hub?.stats ?? null,
      ledger: this.opts.ledger !== false,
    });
  }

  private async startOrchestrator(): Promise<void> {
    const t = this.timing;
    const o: OrchestratorOptions = {
      ...(this.hub ? { bus: this.hub.bus() } : { brokerUrl: this.brokerUrl }),
      httpPort: 0,
      topicRoot: this.topicRoot,
      store: this.store,
      log: this.log.child({ part: 'orchestrator' }),
      sweepMs: t.sweepMs,
      silentIntervals: t.silentIntervals,
      minSilentMs: t.minSilentMs,
      ackTimeoutMs: t.ackTimeoutMs,
      sloWindowMs: t.sloWindowMs,
      persistMs: 500,
      // Peer RTT rounds as often as agents probe landmarks, so the compressed run still learns
      // node↔node distances (process.env lets a run compare with them off).
      peerProbes: process.env.BANYAN_SIM_NO_PEER_PROBES ? false : { intervalMs: t.probeIntervalMs, nodesPerRound: 64 },
      places: [...KNOWN_PLACES],
    };
    this.orchestrator = await Orchestrator.start(o);
    this.observer.attach(this.orchestrator);
  }

  private async restartOrchestrator(downMs: number): Promise<void> {
    this.orchestratorDown = true;
    await this.orchestrator.stop();
    await sleep(downMs);
    await this.startOrchestrator();
    this.orchestratorDown = false;
  }

  private async restartBroker(downMs: number): Promise<void> {
    if (this.hub) await this.hub.restart(downMs);
    else await this.mosquitto!.restart(downMs);
  }

  private chaosClient: import('mqtt').MqttClient | null = null;

  private async inject(topic: string, payload: Uint8Array, clientId: string): Promise<void> {
    if (this.hub) return this.hub.inject(topic, payload, clientId);
    if (!this.chaosClient) {
      const mqtt = (await import('mqtt')).default;
      this.chaosClient = await mqtt.connectAsync(this.brokerUrl, { clientId: `chaos-${this.seed}`, reconnectPeriod: 500 });
    }
    await this.chaosClient.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  }

  /** The network model's RTT from a node to a workload's SLO target, with any injected spike. */
  private trueRtt(nodeId: string, w: Workload): number | null {
    const to = w.spec.latency?.to;
    const a = this.points.get(nodeId);
    if (!to || !a) return null;
    let b: NetPoint | undefined;
    if ('site' in to || 'landmark' in to) {
      const site = siteById('site' in to ? to.site : to.landmark);
      b = site ? netPointAt(site) : undefined;
    }
    if (!b) return null;
    // A node at the target site is on the site's own LAN: none of the metro path applies.
    if (this.siteOf.get(nodeId) === b.id) return 0;
    const spike = (this.injector.spikes.get(a.district) ?? 0) + (a.district === b.district ? 0 : (this.injector.spikes.get(b.district) ?? 0));
    return this.network.baseRttMs(a, b) + spike;
  }

  get elapsedMs(): number {
    return Date.now() - this.startedAtMs;
  }

  get orchestratorRestarting(): boolean {
    return this.orchestratorDown;
  }

  async stop(): Promise<void> {
    this.injector.stop();
    this.observer.close();
    await this.fleet.stop().catch(() => undefined);
    if (!this.orchestratorDown) await this.orchestrator?.stop().catch(() => undefined);
    await this.chaosClient?.endAsync().catch(() => undefined);
    await this.mosquitto?.stop();
    rmSync(this.stateRoot, { recursive: true, force: true });
  }
}

async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`rehearsal: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
