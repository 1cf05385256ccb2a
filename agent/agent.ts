// The agent's lifecycle: learn the machine, connect with a Last Will, announce itself (birth +
// retained state) on every connect, then replay what the outbox holds before anything new;
// report telemetry, benchmarks and RTTs; run the workloads the orchestrator pins here and keep
// them running while it is away. Hardware, benchmarks and the network come in through seams
// (hardware.ts, bench-source.ts, probe-source.ts), so simulators run this same code.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { encode, decode } from '../protocol/codec.ts';
import type { Accelerator, BenchResult, Birth, Body, Command, Envelope, EventKind, HostInventory, RttStats } from '../protocol/messages.ts';
import { isValidSegment, nodeTopic, orchestratorStateTopic, rttProbeTopic, type Channel } from '../protocol/topics.ts';
import { NodeBenchSource, type BenchSource } from './bench-source.ts';
import type { AgentConfig } from './config.ts';
import { EnvelopeFactory } from './envelopes.ts';
import { StateDir } from './exec/state-dir.ts';
import { LeaderEpoch } from './leader-epoch.ts';
import { toProtocolEvent, WorkloadSupervisor } from './exec/supervisor.ts';
import type { Clock, Runner, RunnerKind } from './exec/types.ts';
import type { AcceleratorReadings, AcceleratorSource, HostSource } from './hardware.ts';
import type { InventoryResult } from './inventory/index.ts';
import { mqttSecurityOptions } from '../protocol/mqtt-tls.ts';
import { MqttLink, type Link, type LinkOptions } from './mqtt-link.ts';
import { Outbox, type OutboxKind, type OutboxStats } from './outbox.ts';
import { parseHostPort, UdpProbeResponder, type ProbeResponderHandle } from './probe/index.ts';
import { NodeProbeSource, type ProbeRound, type ProbeSource } from './probe-source.ts';
import { ReportPipeline, type PipelineStats } from './report-pipeline.ts';
import { execSpecFromCommand } from './run-cmd.ts';
import { BANYAN_VERSION } from '../protocol/version.ts';

export const AGENT_VERSION = BANYAN_VERSION;

export interface AgentDeps {
  host: HostSource;
  accelerators: AcceleratorSource;
  log?: Logger;
  clock?: () => number;
  /** Measured figures; default: this machine's benchmarks (agent/bench), cached in stateDir. */
  bench?: BenchSource;
  /** RTTs; default: TCP connects to the configured landmarks, the UDP probe protocol to peers. */
  probe?: ProbeSource;
  /** The peer-probe responder; default: UDP per config (probeResponder…), null for none. Simulated nodes bind nothing. */
  responder?: ProbeResponderHandle | null;
  /** Workload runners; simulated nodes pass the simulated runner for every kind. */
  runners?: Partial<Record<RunnerKind, Runner>>;
  /** The supervisor's timers (a fleet's clock). */
  execClock?: Clock;
  /** The broker connection; default mqtt.js. Simulated fleets pass an in-process or chaos-wrapped link. */
  link?: (opts: LinkOptions) => Link;
  /**
   * The one-shot host inventory (agent/inventory: systeminformation in a child process), taken at
   * start and on a hardware change and carried in the birth; none when absent.
   */
  inventory?: (signal: AbortSignal) => Promise<InventoryResult>;
}

/**
 * What a command handler returns becomes the reply event; throwing acks with the error's message;
 * null means the handler has answered already (a run is acked by its `accepted` event).
 */
export type CommandHandler = (cmd: Command, agent: Agent) => Promise<void | null | EventKind>;

export interface AgentEvents {
  connected: [];
  disconnected: [reason: string];
  command: [cmd: Command];
  /** A command refused for a stale leader epoch (protocol/fencing.ts). */
  fenced: [cmd: Command];
  published: [channel: Channel];
  /** A benchmark run finished and its report was handed to the outbox path. */
  benched: [results: BenchResult[]];
  /** A probe round finished and its report was handed to the outbox path. */
  probed: [targets: RttStats[]];
}

export interface AgentStats {
  outbox: OutboxStats;
  reports: PipelineStats;
}

const RETAINED: ReadonlySet<Channel> = new Set(['birth', 'state', 'bench']);
const STOP_GRACE_MS = 10_000;
const PROBE_MAX_COUNT = 100;
/** How long the first birth waits for the host inventory (agent.inventory.child_ms: ~3 s on a loaded 2-core test box). */
const INVENTORY_GRACE_MS = 2000;

export class Agent extends EventEmitter<AgentEvents> {
  readonly log: Logger;
  readonly envelopes: EnvelopeFactory;
  readonly supervisor: WorkloadSupervisor;
  private readonly link: Link;
  private readonly outbox: Outbox;
  private readonly pipeline: ReportPipeline;
  private readonly bench: BenchSource | null;
  private readonly probes: ProbeSource;
  private readonly responder: ProbeResponderHandle | null;
  /** Where peers reach this node's responder, as the birth advertises it; '' when none runs. */
  private probeAddress = '';
  private accelerators: Accelerator[] = [];
  private detectWarnings: string[] = [];
  private birthHost: Birth['host'] | null = null;
  private inventory: HostInventory | undefined;
  /** The inventory the last birth carried. */
  private inventoryInBirth: HostInventory | undefined;
  private telemetryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private hardwareTimer: NodeJS.Timeout | null = null;
  private hardwareFingerprint: string | null = null;
  private readonly handlers = new Map<Command['action'], CommandHandler>();
  /** Fencing: the newest orchestrator leader epoch seen; older ones are refused. */
  readonly leaderEpoch: LeaderEpoch;
  /** Birth + state went out on the current connection. */
  private announced = false;
  /** Whether the orchestrator's retained state says ONLINE on this connection. */
  private orchestratorOnline = false;
  private everAnnounced = false;
  private readyThisConnection = false;
  private readonly work = new AbortController();
  private benchRun: Promise<void> | null = null;
  private benchAgain = false;
  private readonly benchResults = new Map<string, BenchResult>();
  private probing = false;
  /** The accelerator telemetry errors of the last sample: each is logged when it starts, not every interval. */
  private reportedCardErrors = new Set<string>();
  /** Accelerator indexes per workload this node holds, for the benchmark's busy set. */
  private readonly workloadIndexes = new Map<string, number[]>();

  constructor(
    readonly config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    super();
    this.log = deps.log ?? pino({ name: 'banyan-agent', level: process.env.LOG_LEVEL ?? 'info' });
    this.envelopes = new EnvelopeFactory(config.nodeId, deps.clock);
    const linkOptions: LinkOptions = {
      url: config.brokerUrl,
      clientId: config.nodeId,
      reconnectMinMs: config.reconnectMinMs,
      reconnectMaxMs: config.reconnectMaxMs,
      will: () => ({ topic: this.topic('state'), payload: encode(this.envelopes.will()) }),
    };
    // A world-readable secret or TLS material on a plain mqtt:// URL stops the agent here.
    this.link = deps.link
      ? deps.link(linkOptions)
      : new MqttLink({ ...linkOptions, security: mqttSecurityOptions(config) });
    this.leaderEpoch = new LeaderEpoch(config.stateDir, (m) => this.log.warn(m));
    this.outbox = new Outbox({
      dir: join(config.stateDir, 'outbox'),
      maxBytes: config.outboxMaxBytes,
      warn: (m) => this.log.warn(m),
    });
    const self = this;
    this.pipeline = new ReportPipeline({
      outbox: this.outbox,
      envelopes: this.envelopes,
      retained: RETAINED,
      sink: {
        get ready() {
          return self.announced && self.link.connected && (self.orchestratorOnline || !self.config.awaitOrchestrator);
        },
        publish: (topic, payload, qos, retain) => this.link.publish(topic, payload, qos, retain),
      },
      warn: (m, err) => this.log.warn({ err: err?.message }, m),
    });
    this.supervisor = new WorkloadSupervisor({
      stateDir: join(config.stateDir, 'workloads'),
      ...(deps.execClock ? { clock: deps.execClock } : {}),
      ...(deps.runners ? { runners: deps.runners } : {}),
    });
    this.supervisor.on('event', (e) => {
      if (e.released) this.workloadIndexes.delete(e.status.workloadId);
      this.log.info({ workload: e.status.workloadId, state: e.status.state, attempt: e.status.attempt, pid: e.status.pid }, e.status.message || 'workload state');
      this.report({ body: 'event', event: toProtocolEvent(e) });
    });
    this.bench = config.benchBudgetMs > 0 ? (deps.bench ?? NodeBenchSource.inStateDir(config.stateDir, config.benchBudgetMs)) : null;
    this.probes =
      deps.probe ?? new NodeProbeSource({ landmarks: config.landmarks, count: config.probeCount, timeoutMs: config.probeTimeoutMs });
    this.responder =
      deps.responder !== undefined
        ? deps.responder
        : config.probeResponder
          ? new UdpProbeResponder({ nodeId: config.nodeId, bindHost: config.probeBindHost, port: config.probePort, advertise: config.probeAdvertise })
          : null;

    this.link.on('up', () => void this.onConnected());
    this.link.on('down', (reason) => {
      // Warn once per lost connection, not on every failed retry.
      if (this.announced) this.log.warn({ reason }, 'broker connection lost; reports go to the outbox; retrying with backoff');
      else this.log.debug({ reason }, 'broker not reachable; retrying with backoff');
      this.announced = false;
      // A restarted broker may have lost the orchestrator's retained state: learn it anew.
      this.orchestratorOnline = false;
      this.readyThisConnection = false;
      this.emit('disconnected', reason);
    });
    this.link.on('message', (topic, payload) => void this.onMessage(topic, payload));
    this.registerHandlers();
  }

  get connected(): boolean {
    return this.link.connected;
  }

  get detected(): { accelerators: Accelerator[]; warnings: string[] } {
    return { accelerators: this.accelerators, warnings: this.detectWarnings };
  }

  /** Counters for metrics: what the outbox stored, dropped and replayed; what went out directly. */
  get stats(): AgentStats {
    return { outbox: this.outbox.stats(), reports: this.pipeline.stats() };
  }

  /** The latest measured figure per target ("cpu", "acc:0"). */
  get benchmarks(): BenchResult[] {
    return [...this.benchResults.values()];
  }

  /** Registers the code that answers one kind of command. */
  handle(action: Command['action'], handler: CommandHandler): void {
    this.handlers.set(action, handler);
  }

  async start(): Promise<void> {
    // The inventory child runs while the vendor tools do. The first birth waits for it a little;
    // one that comes later goes out in a new birth, so a slow host never delays the announcement.
    const inventory = this.takeInventory(true);
    this.birthHost = await this.deps.host.facts();
    await this.redetect(false);
    await Promise.race([inventory, new Promise((r) => setTimeout(r, INVENTORY_GRACE_MS).unref())]);
    this.recoverWorkloads();
    await this.startResponder();
    this.link.subscribe(this.topic('cmd'));
    this.link.subscribe(orchestratorStateTopic(this.config.topicRoot));
    this.link.open();
    this.telemetryTimer = setInterval(() => void this.sendTelemetry(), this.config.telemetryIntervalMs);
    this.telemetryTimer.unref();
    this.probeTimer = setInterval(() => void this.probeRound(), this.config.probeIntervalMs);
    this.probeTimer.unref();
    if (this.deps.accelerators.fingerprint && this.config.hardwareWatchMs > 0) {
      this.hardwareFingerprint = await this.deps.accelerators.fingerprint();
      this.hardwareTimer = setInterval(() => void this.watchHardware(), this.config.hardwareWatchMs);
      this.hardwareTimer.unref();
    }
  }

  /** Graceful stop: says OFFLINE itself; workloads keep running for the next agent to adopt. */
  async stop(): Promise<void> {
    this.quiesce();
    if (this.announced && this.link.connected) {
      await this.pipeline.idle();
      await this.publish({ body: 'state', state: { status: 'OFFLINE' } }).catch(() => undefined);
    }
    this.pipeline.flushToOutbox();
    await this.link.close();
    await this.responder?.close();
    await this.benchRun?.catch(() => undefined);
    this.outbox.close();
  }

  /** Simulates a crash or a cut cable: no goodbye, the broker publishes the Last Will. */
  sever(): void {
    this.quiesce();
    this.link.sever();
    void this.responder?.close();
    this.pipeline.flushToOutbox();
    this.outbox.close();
  }

  async redetect(announce = true): Promise<void> {
    const result = await this.deps.accelerators.detect();
    this.accelerators = result.accelerators;
    this.detectWarnings = result.warnings;
    for (const w of result.warnings) this.log.warn({ detect: w }, 'accelerator detection warning');
    if (announce && this.announced) await this.publishBirth();
  }

  /**
   * Runs the inventory child (if any); with announce, a new birth carries it if the node has
   * announced itself already. A failure keeps the last inventory and says what to do.
   */
  private async takeInventory(announce: boolean): Promise<void> {
    if (!this.deps.inventory) return;
    const r = await this.deps.inventory(this.work.signal);
    if (this.work.signal.aborted) return;
    if (r.ok) {
      this.inventory = r.inventory;
      this.log.debug({ wallMs: r.wallMs }, 'host inventory taken');
      if (announce && this.announced && !this.work.signal.aborted) await this.publishBirth();
    } else {
      this.log.warn({ wallMs: r.wallMs }, r.error);
    }
  }

  birth(): Birth {
    const c = this.config;
    return {
      host: this.inventory ? { ...this.birthHost!, inventory: this.inventory } : this.birthHost!,
      labels: c.labels,
      location: { lat: c.location.lat, lon: c.location.lon, site: c.site, district: c.location.district, siteKind: c.location.siteKind },
      accelerators: this.accelerators,
      agentVersion: AGENT_VERSION,
      runningWorkloads: this.supervisor.running(),
      telemetryIntervalMs: c.telemetryIntervalMs,
      probeAddress: this.probeAddress,
    };
  }

  /** Sends birth or state now; resolves true when it reached the broker (never stored). */
  async publish(body: Body): Promise<boolean> {
    const channel = body.body;
    const env = this.envelopes.next(body);
    try {
      await this.link.publish(this.topic(channel), encode(env), 1, RETAINED.has(channel));
      this.emit('published', channel);
      return true;
    } catch {
      return false;
    }
  }

  /** Telemetry, latency, events and bench: in order, through the outbox when the link is down. */
  report(body: Extract<Body, { body: OutboxKind }>): void {
    const channel = body.body;
    const env = this.envelopes.next(body);
    this.pipeline.submit({ channel, topic: this.topic(channel), payload: encode(env), kind: channel });
  }

  topic(channel: Channel): string {
    return nodeTopic(this.config.topicRoot, this.config.site, this.config.nodeId, channel);
  }

  /** Runs the benchmarks (cached per driver unless rerun) and publishes every known result. */
  benchmark(rerun = false): Promise<void> {
    const bench = this.bench;
    if (!bench) return Promise.reject(new Error('benchmarks are off on this node (benchBudgetMs is 0); set benchBudgetMs > 0'));
    if (this.benchRun) {
      this.benchAgain ||= rerun;
      return this.benchRun;
    }
    this.benchRun = (async () => {
      try {
        const run = await bench.run({ accelerators: this.accelerators, busy: this.busyAccelerators(), rerun, signal: this.work.signal, ...this.powerReader() });
        for (const s of run.skipped) this.log.info({ bench: s }, 'benchmark target skipped');
        for (const r of run.results) this.benchResults.set(r.target, r);
        if (this.work.signal.aborted) return;
        this.report({ body: 'bench', bench: { results: this.benchmarks } });
        this.emit('benched', run.results);
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'benchmark run failed');
      } finally {
        this.benchRun = null;
      }
      if (this.benchAgain && !this.work.signal.aborted) {
        this.benchAgain = false;
        await this.benchmark(true);
      }
    })();
    return this.benchRun;
  }

  /** Power during a benchmark comes from the same vendor call as telemetry; none without one. */
  private powerReader(): { powerOf?: (index: number) => Promise<number | undefined> } {
    const source = this.deps.accelerators;
    if (!source.sample) return {};
    return { powerOf: async (index) => (await source.sample!()).accelerators.find((a) => a.index === index)?.powerW };
  }

  /** One scheduled probe round (landmarks + orchestrator); skipped while one runs or offline. */
  async probeRound(): Promise<void> {
    if (this.probing || !this.announced) return;
    this.probing = true;
    const started = Date.now();
    try {
      const targets = await this.probes.scheduled(this.probeContext());
      if (targets.length && !this.work.signal.aborted) this.reportLatency(targets, Date.now() - started);
    } catch (e) {
      // A round cut short by a clean stop is no failure worth a warning.
      if (!this.work.signal.aborted) this.log.warn({ err: (e as Error).message }, 'probe round failed');
    } finally {
      this.probing = false;
    }
  }

  private reportLatency(targets: RttStats[], windowMs: number): void {
    this.report({ body: 'latency', latency: { targets, windowMs: Math.max(1, Math.round(windowMs)) } });
    this.emit('probed', targets);
  }

  private probeContext(): ProbeRound {
    const topic = rttProbeTopic(this.config.topicRoot, this.config.nodeId);
    const empty = new Uint8Array(0);
    return {
      signal: this.work.signal,
      // Agent ↔ broker: a QoS 1 publish nobody subscribes to, timed to its PUBACK.
      brokerRtt: async () => {
        const t0 = performance.now();
        await this.link.publish(topic, empty, 1, false);
        return performance.now() - t0;
      },
    };
  }

  private busyAccelerators(): Set<number> {
    const running = new Set(this.supervisor.running());
    return new Set([...this.workloadIndexes].filter(([id]) => running.has(id)).flatMap(([, idx]) => idx));
  }

  private recoverWorkloads(): void {
    // Read first to learn each recorded workload's accelerators (the busy set for benchmarks).
    const loaded = new StateDir(join(this.config.stateDir, 'workloads')).load();
    for (const r of loaded.records) this.workloadIndexes.set(r.workloadId, r.acceleratorIndexes);
    const report = this.supervisor.recover();
    const problems = [...loaded.problems, ...report.problems];
    if (report.adopted.length || report.restarted.length || report.ended.length || problems.length) {
      this.log.info({ adopted: report.adopted, restarted: report.restarted, ended: report.ended, problems }, 'workloads recovered after agent restart');
    }
  }

  private registerHandlers(): void {
    this.handle('ping', async (cmd) => ({ kind: 'pong', pong: cmd.action === 'ping' ? cmd.ping : '' }));
    this.handle('redetect', async () => {
      await this.redetect();
      return undefined;
    });
    this.handle('run', async (cmd) => {
      if (cmd.action !== 'run') return undefined;
      const { workloadId, specJson, acceleratorIndexes } = cmd.run;
      const spec = execSpecFromCommand(specJson, acceleratorIndexes, this.accelerators);
      if (!spec.ok) {
        return { kind: 'workload', workload: { workloadId, state: 'failed', exitCode: -1, pid: 0, message: `invalid run spec: ${spec.error}`, attempt: 0, outputTail: '' } };
      }
      if (!this.supervisor.status(workloadId)) this.workloadIndexes.set(workloadId, [...acceleratorIndexes]);
      this.supervisor.start(workloadId, spec.value, acceleratorIndexes, cmd.correlationId);
      return null;
    });
    this.handle('stop', async (cmd) => {
      if (cmd.action !== 'stop') return undefined;
      const { workloadId, graceMs } = cmd.stop;
      if (!this.supervisor.status(workloadId)) throw new Error(`no workload "${workloadId}" runs on this node`);
      // The `stopped` event answers, once the workload is gone.
      void this.supervisor.stop(workloadId, graceMs > 0 ? graceMs : STOP_GRACE_MS, cmd.correlationId);
      return null;
    });
    this.handle('rebench', async () => {
      if (!this.bench) throw new Error('benchmarks are off on this node (benchBudgetMs is 0); set benchBudgetMs > 0');
      // Results follow on the bench channel; the ack says the run was started.
      void this.benchmark(true);
      return undefined;
    });
    this.handle('probe', async (cmd) => {
      if (cmd.action !== 'probe') return undefined;
      const { targets: landmarks, peers } = cmd.probe;
      for (const t of landmarks) parseHostPort(t); // throws a TargetFormatError naming it
      for (const p of peers) {
        if (!isValidSegment(p.nodeId)) throw new Error(`peer node id "${p.nodeId}" must be 1-64 of [A-Za-z0-9._-]`);
        parseHostPort(p.address);
      }
      const count = Math.min(PROBE_MAX_COUNT, cmd.probe.count > 0 ? cmd.probe.count : this.config.probeCount);
      const started = Date.now();
      const targets = await this.probes.requested({ targets: landmarks, peers }, count, this.probeContext());
      this.reportLatency(targets, Date.now() - started);
      return undefined;
    });
  }

  /** A responder that cannot start costs peer probes of this node, never the agent itself. */
  private async startResponder(): Promise<void> {
    if (!this.responder) return;
    try {
      this.probeAddress = await this.responder.start();
      if (this.probeAddress) this.log.info({ probeAddress: this.probeAddress }, 'probe responder answering peers');
      else this.log.warn('probe responder runs but this host has no non-loopback IPv4 to advertise; set probeAdvertise so peers can probe it');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'probe responder not started; peers cannot probe this node');
    }
  }

  private async publishBirth(): Promise<boolean> {
    this.inventoryInBirth = this.inventory;
    return this.publish({ body: 'birth', birth: this.birth() });
  }

  private async onConnected(): Promise<void> {
    this.log.info({ broker: this.config.brokerUrl, session: this.envelopes.sessionId, stored: this.outbox.size().items }, 'connected');
    if (!(await this.publishBirth())) return;
    if (!(await this.publish({ body: 'state', state: { status: 'ONLINE' } }))) return;
    this.announced = true;
    // An inventory that came while this connection's birth was on its way gets its own birth.
    if (this.inventory !== this.inventoryInBirth) void this.publishBirth();
    this.emit('connected');
    this.onReady();
  }

  /**
   * Once announced and the orchestrator listens: stored reports first, in order (anything
   * produced meanwhile queues behind them), then a first telemetry report, and on the first
   * connection the start-up benchmark and probe round. Reports made before the orchestrator's
   * state arrives would only land in the outbox.
   */
  private onReady(): void {
    if (!this.announced || !this.link.connected || (this.config.awaitOrchestrator && !this.orchestratorOnline)) return;
    this.pipeline.kick();
    if (this.readyThisConnection) return;
    this.readyThisConnection = true;
    void this.sendTelemetry();
    if (!this.everAnnounced) {
      this.everAnnounced = true;
      if (this.bench) void this.benchmark(false);
      void this.probeRound();
    }
  }

  private async sendTelemetry(): Promise<void> {
    try {
      const [s, cards] = await Promise.all([this.deps.host.sample(), this.sampleAccelerators()]);
      if (this.work.signal.aborted) return;
      const telemetry = cards
        ? { ...s, accelerators: cards.accelerators, acceleratorErrors: [...s.acceleratorErrors, ...cards.errors] }
        : s;
      this.report({ body: 'telemetry', telemetry: { ...telemetry, runningWorkloads: this.supervisor.running().length } });
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'telemetry sample failed');
    }
  }

  /** The vendor tools' per-card readings; null when the source has none (the host sample's stand). */
  private async sampleAccelerators(): Promise<AcceleratorReadings | null> {
    const source = this.deps.accelerators;
    if (!source.sample) return null;
    try {
      const r = await source.sample();
      for (const e of r.errors) if (!this.reportedCardErrors.has(e)) this.log.warn({ telemetry: e }, 'accelerator readings missing');
      this.reportedCardErrors = new Set(r.errors);
      return r;
    } catch (e) {
      return { accelerators: [], errors: [`accelerator readings failed: ${(e as Error).message}`] };
    }
  }

  private async onMessage(topic: string, payload: Uint8Array): Promise<void> {
    if (topic === orchestratorStateTopic(this.config.topicRoot)) return this.onOrchestratorState(payload);
    if (topic !== this.topic('cmd')) return;
    const d = decode(payload);
    if (!d.ok) {
      this.log.warn({ reason: d.error.reason, detail: d.error.detail }, 'rejected a malformed command');
      return;
    }
    const env: Envelope = d.envelope;
    if (env.body !== 'cmd') return;
    const cmd = env.cmd;
    const fence = this.leaderEpoch.admit(cmd.leaderEpoch);
    if (!fence.ok) {
      this.log.warn({ epoch: cmd.leaderEpoch, highest: fence.highest, action: cmd.action }, 'refused a command from a deposed orchestrator');
      this.emit('fenced', cmd);
      this.report({ body: 'event', event: { correlationId: cmd.correlationId, kind: 'ack', ack: { ok: false, error: fence.reason, fencedEpoch: fence.highest } } });
      return;
    }
    this.emit('command', cmd);
    const handler = this.handlers.get(cmd.action);
    let reply: EventKind | null;
    if (!handler) {
      reply = { kind: 'ack', ack: { ok: false, error: `this agent does not handle "${cmd.action}" commands` } };
    } else {
      try {
        const r = await handler(cmd, this);
        reply = r === null ? null : (r ?? { kind: 'ack', ack: { ok: true, error: '' } });
      } catch (e) {
        reply = { kind: 'ack', ack: { ok: false, error: (e as Error).message } };
      }
    }
    if (reply && !this.work.signal.aborted) this.report({ body: 'event', event: { correlationId: cmd.correlationId, ...reply } });
  }

  /**
   * The orchestrator publishes ONLINE (retained) once its subscriptions are in place, and its Last
   * Will says OFFLINE. Reports wait in the outbox while it is away, so a broker restart that the
   * orchestrator has not yet recovered from loses nothing; births and states are retained anyway.
   */
  private onOrchestratorState(payload: Uint8Array): void {
    const d = decode(payload);
    if (!d.ok || d.envelope.body !== 'state') {
      this.log.warn({ detail: d.ok ? d.envelope.body : d.error.detail }, 'ignored a malformed orchestrator state');
      return;
    }
    const online = d.envelope.state.status === 'ONLINE';
    if (online === this.orchestratorOnline) return;
    this.orchestratorOnline = online;
    this.log.info({ orchestrator: d.envelope.sessionId, online }, online ? 'orchestrator is online; sending reports' : 'orchestrator is offline; reports wait in the outbox');
    if (online) this.onReady();
  }

  /** Stops timers, background runs and workload watching; workloads themselves keep running. */
  /** A card added, removed or re-seated: detect again and tell the orchestrator (a new birth). */
  private async watchHardware(): Promise<void> {
    try {
      const now = await this.deps.accelerators.fingerprint!();
      if (now === this.hardwareFingerprint) return;
      this.log.info({ before: this.hardwareFingerprint, now }, 'accelerators changed on the PCI bus; detecting again');
      this.hardwareFingerprint = now;
      await Promise.all([this.takeInventory(false), this.redetect(false)]);
      if (this.announced) await this.publishBirth();
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not check the PCI tree');
    }
  }

  private quiesce(): void {
    if (this.telemetryTimer) clearInterval(this.telemetryTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.hardwareTimer) clearInterval(this.hardwareTimer);
    this.telemetryTimer = this.probeTimer = this.hardwareTimer = null;
    this.work.abort();
    this.supervisor.close();
  }
}
