// Composes the orchestrator: an MQTT client on any broker (or the embedded one), ingest into the
// registry, liveness sweeps, persistence, and the HTTP API.
import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { encode } from '../protocol/codec.ts';
import { SCHEMA_VERSION, type CommandAction, type Envelope } from '../protocol/messages.ts';
import { DEFAULT_TOPIC_ROOT, isRetainedTopic, nodeSubscriptions, nodeTopic, orchestratorStateTopic, parseNodeTopic, parseRttProbeTopic } from '../protocol/topics.ts';
import { buildApi } from './api/server.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import { BrokerRefusals } from './broker-refusals.ts';
import { mqttSecurityOptions, type MqttSecuritySettings } from '../protocol/mqtt-tls.ts';
import { passwordFileAuth } from './creds/embedded-auth.ts';
import { banyanAclPolicy, DEFAULT_ORCHESTRATOR_USER } from './creds/acl.ts';
import { Ingest, type IngestHooks } from './ingest.ts';
import { Registry, type NodeRecord, type StatusChange } from './registry.ts';
import type { OrchestratorCore, OrchestratorEvents } from './core.ts';
import { LatencyModel } from './latency/model.ts';
import { LossClassifier } from './loss-cause.ts';
import { PeerProbeScheduler, type PeerProbeOptions } from './peers.ts';
import { FleetView } from './fleet/view.ts';
import type { KnownPlace } from './geo/place.ts';
import { WorkloadManager, type Workload } from './workloads/manager.ts';
import { workloadRoutes } from './api/workloads.ts';
import { ledgerRoutes } from './api/ledger.ts';
import { resolveRoutes } from './api/resolve.ts';
import { InstanceProbeScheduler } from './resolve/instance-probes.ts';
import { Books } from './ledger/books.ts';
import type { LedgerStore } from './ledger/store.ts';
import type { UsageNode } from './ledger/usage.ts';
import { LowdbStore } from './store/lowdb-store.ts';
import { SparkplugBridge, type SparkplugOptions } from './sparkplug/bridge.ts';
import { MemoryStore, type PersistedState, type StateStore } from './store/store.ts';
import { PostgresStore, redact } from './store/postgres/pg-store.ts';
import { PostgresLedgerStore } from './store/postgres/pg-ledger-store.ts';
import { PgLease, SoleLeader, type Leadership, type LeaseView } from './ha/lease.ts';
import { haRoutes } from './api/ha.ts';

export const ORCHESTRATOR_ID = '_orchestrator';

// Where they were declared before core.ts and geo/ existed; importers keep working.
export type { KnownPlace, OrchestratorEvents };

/**
 * Where node messages come from and commands go, instead of an MQTT client: an in-process bus for
 * simulated fleets of 100k nodes (simulators/fleet/transport-inproc.ts). Broker semantics
 * (retained births, Last Wills) are the bus's job.
 */
export interface OrchestratorBus {
  readonly connected: boolean;
  /** Starts delivering node messages (with the publisher's identity when known); resolves once subscribed. */
  open(deliver: (topic: string, payload: Uint8Array, clientId?: string) => void): Promise<void>;
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface OrchestratorOptions {
  /** Replaces the MQTT client (and the embedded broker) with an in-process bus. */
  bus?: OrchestratorBus;
  /** An external broker; when absent the orchestrator embeds one. */
  brokerUrl?: string;
  /** First port the embedded broker tries (the next free one is used when taken). */
  mqttPort?: number;
  httpPort?: number;
  httpHost?: string;
  topicRoot?: string;
  /** Where state is kept; null keeps it in memory (tests). */
  dataDir?: string | null;
  store?: StateStore;
  /**
   * postgres://… : state, ledger and the leader lease in PostgreSQL; several orchestrators may share
   * it, one leading (orchestrator/ha/). Wins over `store` and `dataDir`.
   */
  storeUrl?: string;
  /** How long a leader's lease lasts without renewal (PostgreSQL store only; default 10 s). */
  leaseMs?: number;
  /** Where the ledger lives; default a file beside the state (memory without a dataDir). */
  ledgerStore?: LedgerStore;
  /** The city's offset from UTC, for day ends and report periods (Fuzhou: +480). */
  utcOffsetMinutes?: number;
  log?: Logger;
  sweepMs?: number;
  silentIntervals?: number;
  minSilentMs?: number;
  persistMs?: number;
  hooks?: IngestHooks;
  onStatusChange?: (c: StatusChange) => void;
  /** Credentials and TLS for the orchestrator's own MQTT connection (protocol/mqtt-tls.ts). */
  mqttSecurity?: Omit<MqttSecuritySettings, 'brokerUrl'>;
  /**
   * Embedded broker only: accounts from this Mosquitto-format password file (`banyan creds`), the
   * ACL that binds node X to banyan/v1/+/X/…, and the orchestrator's own account name.
   */
  brokerPasswordFile?: string;
  orchestratorUser?: string;
  /** Landmarks and sites with coordinates, so SLOs can name them before any node stands there. */
  places?: KnownPlace[];
  ackTimeoutMs?: number;
  sloWindowMs?: number;
  /** Peer RTT rounds (interval, nodes per round, peers per node); `false` turns them off. */
  peerProbes?: PeerProbeOptions | false;
  /** Publish every node to SCADA as a Sparkplug B edge node (orchestrator/sparkplug/). */
  sparkplug?: SparkplugOptions;
  /** Extra HTTP routes (dashboard, metrics, workloads), registered before the server listens. */
  plugins?: ((app: FastifyInstance, orchestrator: Orchestrator) => void | Promise<void>)[];
}

export class Orchestrator implements OrchestratorCore {
  readonly registry: Registry;
  readonly ingest: Ingest;
  readonly api: FastifyInstance;
  readonly log: Logger;
  readonly topicRoot: string;
  /** This process's session: stamps the orchestrator's own envelopes. */
  readonly id = `${ORCHESTRATOR_ID}-${randomUUID().slice(0, 8)}`;
  /**
   * The MQTT client id is stable per topic root, and the session persistent: across a restart of
   * the orchestrator, a broker that keeps sessions queues what nodes sent meanwhile.
   */
  readonly clientId: string;
  readonly events = new EventEmitter<OrchestratorEvents>();
  readonly latency = new LatencyModel();
  /** The capacity placement reads: nodes' accelerators, freshness and reservations. */
  readonly fleet = new FleetView();
  readonly workloads: WorkloadManager;
  /** Tells a crash from a partition or a hang by asking a lost node's peers to probe it. */
  readonly losses: LossClassifier;
  /** Asks random nodes to probe random peers, so the latency model learns node↔node RTT. */
  readonly peerProbes: PeerProbeScheduler;
  /** Has the nodes running replicas probe the fleet, so nearest-instance answers are measured. */
  readonly instanceProbes: InstanceProbeScheduler;
  /** What the embedded broker refused, by reason (logged and announced rate-limited). */
  readonly brokerRefusals: BrokerRefusals;
  /** The compute ledger and its reports; open once boot has read the ledger. */
  books: Books | null = null;
  /** The Sparkplug B bridge, when asked for. */
  sparkplug: SparkplugBridge | null = null;
  private workloadsVersion = 0;
  httpUrl = '';
  mqttUrl = '';
  private broker: EmbeddedBroker | null = null;
  private client: MqttClient | null = null;
  private timers: NodeJS.Timeout[] = [];
  private savedVersion = '';
  /** Never write state back before it was read: a failed start must not clobber the file. */
  private stateLoaded = false;
  private seq = 0;
  /** Who leads; without a shared store always this process, epoch 0 (unfenced). */
  leadership: Leadership;
  /** Set once a new leader has re-read the store; until then it places and sends nothing. */
  private takenOver = false;
  /** Commands agents refused for a stale leader epoch (banyan_fenced_commands_total). */
  fencedCommands = 0;
  /** Whether a write is acknowledged only after the state it changed is committed. */
  private readonly commitBeforeAck: boolean;

  private constructor(
    private readonly opts: OrchestratorOptions,
    private readonly store: StateStore,
    leadership?: (o: Orchestrator) => Leadership,
  ) {
    this.log = opts.log ?? pino({ name: 'banyan-orchestrator', level: process.env.LOG_LEVEL ?? 'info' });
    this.topicRoot = opts.topicRoot ?? DEFAULT_TOPIC_ROOT;
    // Replicas sharing a store need their own MQTT sessions, or the broker kicks one for the other.
    this.clientId = leadership ? this.id : `${ORCHESTRATOR_ID}-${createHash('sha256').update(this.topicRoot).digest('hex').slice(0, 12)}`;
    this.registry = new Registry({
      silentIntervals: opts.silentIntervals,
      minSilentMs: opts.minSilentMs,
      onMassSilence: (held, online) => this.log.warn({ held, online }, 'most of the fleet went silent at once: held online for now, likelier this orchestrator\'s backlog or the broker than the nodes'),
      onChange: (c) => {
        this.log.info({ node: c.node.id, from: c.from, to: c.to, reason: c.reason }, 'node status changed');
        opts.onStatusChange?.(c);
        this.fleet.update(c.node);
        if (this.leads()) this.workloads?.nodeChanged(c.node);
        this.events.emit('status', c);
      },
    });
    this.ingest = new Ingest(this.topicRoot, this.registry, this.log, {
      accepted: (env, node) => {
        this.onAccepted(env, node);
        opts.hooks?.accepted?.(env, node);
        this.events.emit('accepted', env);
      },
      rejected: (reason, detail, topic) => {
        opts.hooks?.rejected?.(reason, detail, topic);
        this.events.emit('rejected', reason, detail, topic);
      },
    }, this.latency);
    this.brokerRefusals = new BrokerRefusals({ log: this.log, notice: (n) => this.events.emit('refused', n) });
    this.workloads = new WorkloadManager({
      dispatcher: this,
      fleet: this.fleet,
      latency: this.latency,
      log: this.log,
      ackTimeoutMs: opts.ackTimeoutMs,
      sloWindowMs: opts.sloWindowMs,
      onChange: (w) => {
        this.workloadsVersion++;
        // On a shared store a transition is committed at once: a successor must not re-dispatch it.
        if (this.commitBeforeAck) this.persistSoon();
        void this.books?.usage.observe(w);
        this.events.emit('workload', w);
      },
      onDecision: (ms, placed) => this.events.emit('decision', ms, placed),
      onOverflowWanted: (w) => this.events.emit('overflow-wanted', w),
    });
    this.losses = new LossClassifier(this, { log: this.log });
    this.peerProbes = new PeerProbeScheduler(this, { log: this.log, ...(opts.peerProbes || {}) });
    this.instanceProbes = new InstanceProbeScheduler(this, () => this.workloads.list(), { peersPerNode: 8 });
    this.losses.on('verdict', (v) => {
      const n = this.registry.get(v.nodeId);
      if (!n) return;
      n.loss = { ...v };
      this.registry.version++;
      this.log.info({ node: v.nodeId, cause: v.cause, evidence: v.evidence }, 'loss cause');
    });
    for (const p of opts.places ?? []) this.latency.setLocation(p.id, { lat: p.lat, lon: p.lon }, { place: true, sameSiteRttMs: p.sameSiteRttMs });
    this.api = buildApi({
      registry: this.registry,
      health: () => ({ ok: this.linkUp, mqtt: this.linkUp, nodes: this.registry.size }),
    });
    this.leadership = leadership ? leadership(this) : new SoleLeader(this.id);
    this.takenOver = !leadership;
    this.commitBeforeAck = Boolean(leadership);
    this.leadership.on('change', (v: LeaseView) => this.onLeadership(v));
  }

  /** Only the leader places, dispatches and writes. */
  leads(): boolean {
    return this.takenOver && this.leadership.leads();
  }

  private onLeadership(v: LeaseView): void {
    this.log.info({ role: v.role, epoch: v.epoch, leader: v.leaderId }, v.role === 'leader' ? 'leading' : 'standby');
    if (v.role !== 'leader') {
      this.takenOver = false;
      return;
    }
    void this.takeOver(v.epoch);
  }

  /** A new leader first reads what the last one committed, then starts placing. */
  private async takeOver(epoch: number): Promise<void> {
    try {
      await this.refreshFromStore();
      if (this.books) {
        await this.books.close();
        this.books = await this.openBooks();
      }
      // No reconcile against retained births here: they may predate what the last leader started.
      if (this.leadership.view.role === 'leader' && this.leadership.view.epoch === epoch) {
        this.takenOver = true;
        this.announceEpoch();
        // What the last leader dispatched, sent again as the same dispatch: each agent answers
        // where the work stands (running, or how it ended meanwhile) and never starts it twice.
        const resent = this.workloads.resendDispatches((id) => this.registry.get(id)?.status === 'online');
        if (resent) this.log.info({ resent }, 'asked the nodes where the last leader\'s dispatches stand');
      }
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'could not take over from the store; giving the lease up');
      await this.leadership.stop();
    }
  }

  /**
   * Tells every reachable node the new epoch at once (a ping carries it), so a deposed leader's
   * late commands are refused even by nodes this leader has nothing else to say to.
   */
  private announceEpoch(): void {
    this.assertPresence();
    for (const n of this.registry.all()) {
      if (n.status === 'offline') continue;
      this.command(n.id, { action: 'ping', ping: `epoch-${this.leadership.view.epoch}` }).catch((e: Error) => this.log.warn({ node: n.id, err: e.message }, 'could not announce the leader epoch'));
    }
  }

  /** Any replica's Last Will says OFFLINE on the one shared presence topic: the leader answers it. */
  private assertPresence(): void {
    const online = encode(this.presence('ONLINE'));
    const topic = orchestratorStateTopic(this.topicRoot);
    if (this.opts.bus) void this.opts.bus.publish(topic, online, 1, true).catch(() => undefined);
    else void this.client?.publishAsync(topic, Buffer.from(online), { qos: 1, retain: true }).catch(() => undefined);
  }

  /** A standby's (and a new leader's) view of the workloads: what the leader committed. */
  private async refreshFromStore(): Promise<void> {
    const state = await this.store.load();
    const r = this.workloads.replace(state.workloads);
    for (const p of r.problems) this.log.warn(p);
  }

  static async start(opts: OrchestratorOptions = {}): Promise<Orchestrator> {
    if (opts.storeUrl) return Orchestrator.startOnPostgres(opts, opts.storeUrl);
    const store = opts.store ?? (opts.dataDir ? new LowdbStore(join(opts.dataDir, 'orchestrator.json')) : new MemoryStore());
    return Orchestrator.boot(new Orchestrator(opts, store));
  }

  private static async startOnPostgres(opts: OrchestratorOptions, url: string): Promise<Orchestrator> {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error(`--store must be a postgres://user@host:port/db URL, not ${redact(url)}`);
    const log = opts.log ?? pino({ name: 'banyan-orchestrator', level: process.env.LOG_LEVEL ?? 'info' });
    let store: PostgresStore;
    try {
      store = await PostgresStore.open(url, (e) => log.warn({ err: e.message }, 'PostgreSQL connection error'));
    } catch (e) {
      throw new Error(`cannot open the PostgreSQL store ${redact(url)}: ${(e as Error).message}; is PostgreSQL running and the database created?`);
    }
    const leaseMs = opts.leaseMs ?? 10_000;
    const o = new Orchestrator({ ...opts, log, ledgerStore: new PostgresLedgerStore(store.pool) }, store, (self) =>
      new PgLease({ pool: store.pool, id: self.id, httpUrl: () => self.httpUrl, leaseMs, onError: (e) => log.warn({ err: e.message }, 'lease renewal failed') }),
    );
    return Orchestrator.boot(o);
  }

  private static async boot(o: Orchestrator): Promise<Orchestrator> {
    try {
      await o.boot();
    } catch (e) {
      // Whatever started (embedded broker, MQTT client, timers) must not keep the process alive.
      await o.stop().catch(() => undefined);
      throw e;
    }
    return o;
  }

  private async boot(): Promise<void> {
    const state = await this.store.load();
    this.stateLoaded = true;
    this.registry.restore(state.nodes);
    const restored = this.workloads.restore(state.workloads);
    for (const p of restored.problems) this.log.warn(p);
    for (const n of this.registry.all()) {
      this.ingest.locate(n);
      this.fleet.update(n);
      if (this.leads()) this.workloads.nodeChanged(n);
    }
    this.books = await this.openBooks();
    if (state.nodes.length) this.log.info({ nodes: state.nodes.length }, 'restored known nodes; they show as unknown until they speak');
    if (this.opts.bus) {
      this.mqttUrl = 'inproc://bus';
      await this.opts.bus.open((topic, payload, clientId) => this.ingest.handle(topic, payload, clientId));
      await this.opts.bus.publish(orchestratorStateTopic(this.topicRoot), encode(this.presence('ONLINE')), 1, true);
    } else if (this.opts.brokerUrl) {
      this.mqttUrl = this.opts.brokerUrl;
    } else {
      const file = this.opts.brokerPasswordFile;
      this.broker = await startEmbeddedBroker({
        port: this.opts.mqttPort ?? 1883,
        log: this.log,
        authorizePublish: (identity, topic) => this.authorize(identity, topic),
        mayRetain: (topic) => isRetainedTopic(this.topicRoot, topic),
        onRefusal: (r) => this.brokerRefusals.record(r),
        auth: file ? passwordFileAuth(file, banyanAclPolicy(this.topicRoot, this.ownIdentity())) : undefined,
      });
      this.mqttUrl = this.broker.url;
    }
    if (!this.opts.bus) await this.connectMqtt();
    haRoutes(this.api, this, this.commitBeforeAck ? () => this.persist(true, true) : null);
    workloadRoutes(this.api, this.workloads, this.latency, () => this.books!.ledger.settled());
    ledgerRoutes(this.api, () => this.books!);
    const landmarks = (this.opts.places ?? []).filter((p) => p.kind === 'landmark').map((p) => p.id);
    resolveRoutes(this.api, { manager: this.workloads, registry: this.registry, latency: this.latency, landmarks });
    for (const plugin of this.opts.plugins ?? []) await plugin(this.api, this);
    const httpPort = this.opts.httpPort ?? 8080;
    try {
      await this.api.listen({ port: httpPort, host: this.opts.httpHost ?? '127.0.0.1' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`HTTP port ${httpPort} is taken; pass --http-port N (or PORT=N), or 0 for any free port`);
      }
      throw e;
    }
    const addr = this.api.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.opts.httpPort;
    this.httpUrl = `http://${this.opts.httpHost ?? '127.0.0.1'}:${port}`;
    if (this.opts.sparkplug) await this.startSparkplug(this.opts.sparkplug);
    if (this.opts.peerProbes !== false) {
      this.peerProbes.start();
      this.every((this.opts.peerProbes || {}).intervalMs ?? 30_000, () => this.instanceProbes.round());
    }
    this.every(this.opts.sweepMs ?? 1000, () => {
      this.registry.sweep();
      if (this.leads()) this.workloads.tick();
    });
    this.every(this.opts.persistMs ?? 1000, () => void this.persist());
    await this.leadership.start();
    if (this.commitBeforeAck) {
      this.every(this.opts.leaseMs ?? 10_000, () => {
        if (this.leads()) this.assertPresence();
        if (this.leadership.view.role === 'standby') void this.refreshFromStore().catch((e: Error) => this.log.warn({ err: e.message }, 'standby could not read the store'));
      });
    }
  }

  private async startSparkplug(o: SparkplugOptions): Promise<void> {
    const own = !o.brokerUrl;
    if (own && this.opts.bus) throw new Error('the Sparkplug bridge needs an MQTT broker: pass its URL (--sparkplug-broker) when the orchestrator runs on an in-process bus');
    this.sparkplug = await SparkplugBridge.start(this, {
      ...o,
      brokerUrl: o.brokerUrl ?? this.mqttUrl,
      // On the orchestrator's own broker it speaks with the orchestrator's credentials.
      mqttSecurity: o.mqttSecurity ?? (own ? this.opts.mqttSecurity : undefined),
      log: this.log,
    });
  }

  private async openBooks(): Promise<Books> {
    const books = await Books.open({
      dataDir: this.opts.dataDir ?? null,
      store: this.opts.ledgerStore,
      nodes: () => this.registry.all(),
      node: (id) => usageNodeOf(this.registry.get(id)),
      utcOffsetMinutes: this.opts.utcOffsetMinutes,
      onError: (e) => this.log.error({ err: e.message }, 'ledger write failed; the entry is kept in memory and written with the next one'),
    });
    const check = books.ledger.loadCheck;
    if (!check.ok) this.log.error({ seq: check.brokenSeq, reason: check.reason }, 'the ledger does not verify; run `banyan ledger verify` and restore it from a backup');
    await books.start(this.workloads.list(), (w) => placedAtMs(w as Workload));
    return books;
  }

  private get linkUp(): boolean {
    return this.opts.bus ? this.opts.bus.connected : this.client?.connected === true;
  }

  private onAccepted(env: Envelope, node: NodeRecord): void {
    this.fleet.touch(node.id, node.lastSeenMs);
    switch (env.body) {
      case 'birth':
        this.fleet.update(node);
        if (!this.leads()) break;
        this.workloads.nodeChanged(node);
        this.workloads.reconcile(node);
        break;
      case 'bench':
        this.fleet.update(node);
        break;
      case 'event':
        if (env.event.kind === 'ack' && !env.event.ack.ok && (env.event.ack.fencedEpoch ?? 0) > 0) {
          this.fencedCommands++;
          this.log.warn({ node: node.id, reason: env.event.ack.error }, 'a node refused a command from a deposed leader');
        }
        // A standby learns workload states from the leader's commits, not from acks it did not ask for.
        if (this.leads()) this.workloads.onEvent(node.id, env.event);
        break;
    }
  }

  /** Identity binding at the embedded broker: only node X publishes under X's topics. */
  /** Who the orchestrator is to the broker: its account when accounts are on, else its client id. */
  private ownIdentity(): string {
    return this.opts.brokerPasswordFile ? (this.opts.orchestratorUser ?? DEFAULT_ORCHESTRATOR_USER) : this.clientId;
  }

  /** `identity` is the account's username when the broker has accounts, else the client id. */
  private authorize(identity: string, topic: string): string | null {
    const t = parseNodeTopic(this.topicRoot, topic);
    const me = this.ownIdentity();
    const prober = t ? null : parseRttProbeTopic(this.topicRoot, topic);
    if (!t && prober === null) {
      if (topic.startsWith(this.topicRoot + '/_orchestrator') && identity !== me) return 'only the orchestrator publishes its state';
      return null;
    }
    const ok = t ? (t.channel === 'cmd' ? identity === me : identity === t.node) : identity === prober;
    if (ok) return null;
    const why = `client ${identity} may not publish on ${topic}`;
    this.ingest.countRejection('identity_mismatch', why, topic);
    return why;
  }

  private async connectMqtt(): Promise<void> {
    const will = this.presence('OFFLINE');
    const client = mqtt.connect(this.mqttUrl, {
      ...mqttSecurityOptions({ brokerUrl: this.mqttUrl, ...this.opts.mqttSecurity }),
      clientId: this.clientId,
      clean: false,
      reconnectPeriod: 1000,
      queueQoSZero: false,
      will: { topic: orchestratorStateTopic(this.topicRoot), payload: Buffer.from(encode(will)), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => this.ingest.handle(topic, payload));
    client.on('connect', () => {
      client.subscribe(nodeSubscriptions(this.topicRoot), { qos: 1 });
      client.publish(orchestratorStateTopic(this.topicRoot), Buffer.from(encode(this.presence('ONLINE'))), { qos: 1, retain: true });
      this.log.info({ broker: this.mqttUrl }, 'orchestrator connected to broker');
    });
    client.on('error', (e) => this.log.warn({ err: e.message }, 'broker connection error'));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`cannot reach the MQTT broker at ${this.mqttUrl} within 10 s; is it running?`)), 10_000);
      client.once('connect', () => {
        clearTimeout(t);
        // Subscriptions must be in place before anyone is told we are up.
        client.subscribe(nodeSubscriptions(this.topicRoot), { qos: 1 }, () => resolve());
      });
    });
  }

  private presence(status: 'ONLINE' | 'OFFLINE'): Envelope {
    return {
      schemaVersion: SCHEMA_VERSION,
      msgId: randomUUID(),
      nodeId: ORCHESTRATOR_ID,
      sessionId: this.id,
      seq: status === 'OFFLINE' ? 0 : ++this.seq,
      sentAtMs: Date.now(),
      body: 'state',
      state: { status },
    };
  }

  /** Sends a command to a node; returns its correlation id. */
  async command(nodeId: string, action: CommandAction, correlationId: string = randomUUID()): Promise<string> {
    const node = this.registry.get(nodeId);
    if (!node) throw new Error(`no node "${nodeId}"`);
    if (!this.leads()) throw new Error(`this orchestrator is not the leader (leader: ${this.leadership.view.leaderId || 'none yet'}); it sends no commands`);
    const env: Envelope = {
      schemaVersion: SCHEMA_VERSION,
      msgId: randomUUID(),
      nodeId: ORCHESTRATOR_ID,
      sessionId: this.id,
      seq: ++this.seq,
      sentAtMs: Date.now(),
      body: 'cmd',
      cmd: { correlationId, leaderEpoch: this.leadership.view.epoch, ...action },
    };
    // On a shared store a run goes out only once the placement behind it (and the run's
    // correlation id) is committed: a successor then re-sends that very dispatch, which the agent
    // never runs twice, instead of placing work it does not know is running.
    if (this.commitBeforeAck && action.action === 'run') await this.commitNow();
    const topic = nodeTopic(this.topicRoot, node.site, nodeId, 'cmd');
    if (this.opts.bus) await this.opts.bus.publish(topic, encode(env), 1, false);
    else await this.client!.publishAsync(topic, Buffer.from(encode(env)), { qos: 1 });
    return correlationId;
  }

  snapshot(): PersistedState {
    const nodes = [...this.registry.all()].map(({ id, site, birth, lastSeenMs, bench }) => ({ id, site, birth, lastSeenMs, bench }));
    return { version: 1, nodes, workloads: this.workloads.snapshot() };
  }

  /** With `strict`, a failure is thrown to the caller (a write that must not be acknowledged). */
  private async persist(force = false, strict = false): Promise<void> {
    if (!this.stateLoaded || !this.leads()) return;
    const v = `${this.registry.version}:${this.workloadsVersion}`;
    if (!force && v === this.savedVersion) return;
    this.savedVersion = v;
    try {
      await this.store.save(this.snapshot());
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'could not save orchestrator state; will retry');
      this.savedVersion = '';
      if (strict) throw e;
    }
  }

  private commitQueued: Promise<void> | null = null;
  private commitChain: Promise<void> = Promise.resolve();
  /** Commits the state as it is when the save starts: one save for every caller until then, after any in flight. */
  private commitNow(): Promise<void> {
    if (!this.commitQueued) {
      this.commitQueued = this.commitChain.then(() => {
        this.commitQueued = null;
        return this.persist(true, true);
      });
      this.commitChain = this.commitQueued.catch(() => undefined);
    }
    return this.commitQueued;
  }

  private persistTimer: NodeJS.Timeout | null = null;
  private persistSoon(): void {
    this.persistTimer ??= setTimeout(() => {
      this.persistTimer = null;
      void this.persist();
    }, 0);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.workloads.close();
    this.losses.close();
    this.peerProbes.stop();
    // Before the broker goes: the bridge says each node's NDEATH itself.
    await this.sparkplug?.stop();
    await this.persist(true);
    await this.leadership.stop();
    if (this.client) {
      await this.client
        .publishAsync(orchestratorStateTopic(this.topicRoot), Buffer.from(encode(this.presence('OFFLINE'))), { qos: 1, retain: true })
        .catch(() => undefined);
      await this.client.endAsync().catch(() => undefined);
    }
    if (this.opts.bus) {
      await this.opts.bus.publish(orchestratorStateTopic(this.topicRoot), encode(this.presence('OFFLINE')), 1, true).catch(() => undefined);
      await this.opts.bus.close();
    }
    await this.api.close();
    await this.broker?.close();
    await this.books?.close();
    await this.store.close();
  }
}

/** The node as the ledger needs it; lost at its last message once it is offline. */
function usageNodeOf(n: NodeRecord | undefined): UsageNode | undefined {
  if (!n) return undefined;
  return {
    site: n.birth?.location.site || n.site,
    accelerators: n.birth?.accelerators ?? [],
    bench: n.bench?.results ?? [],
    lostAtMs: n.status === 'offline' ? (n.loss?.lostAtMs ?? n.lastSeenMs) : null,
  };
}

/** When the workload was last placed on its current node. */
function placedAtMs(w: Workload): number {
  for (let i = w.history.length - 1; i >= 0; i--) {
    const t = w.history[i]!;
    if (t.state === 'placed' && t.nodeId === w.nodeId) return t.atMs;
  }
  return w.createdAtMs;
}
