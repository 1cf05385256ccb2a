// The Sparkplug B bridge: every Banyan node as an edge node of one group, each accelerator as a
// device, for SCADA/MES hosts (Ignition and others) on the same MQTT broker or another.
//
// One MQTT connection carries all of them, and MQTT gives a connection one Last Will, so:
// - a node's NDEATH is published by the bridge when the registry sees the node go offline, with
//   the bdSeq of that node's NBIRTH;
// - the bridge is itself an edge node (default `_banyan`) whose NDEATH is the connection's Will:
//   when it dies, every node of the group is stale (hosts see that edge node go offline). After a
//   lost connection every node is born again with the next bdSeq.
// With a primary host id, nothing is born until the host's STATE says online (Sparkplug 3.0), and
// the bridge goes quiet when it says offline, to rebirth everything when it is back.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { mqttSecurityOptions, type MqttSecuritySettings } from '../../protocol/mqtt-tls.ts';
import {
  DataType,
  decodeSpb,
  encodeSpb,
  hostStateTopic,
  isSpbId,
  parseHostState,
  parseSpbTopic,
  SPB_NAMESPACE,
} from '../../protocol/sparkplug/codec.ts';
import type { OrchestratorCore } from '../core.ts';
import type { StatusChange } from '../registry.ts';
import type { Envelope } from '../../protocol/messages.ts';
import { EdgeNode, type Outgoing } from './edge-node.ts';
import { deviceMetrics, nodeMetrics, REBIRTH_METRIC, type MetricSpec } from './metrics.ts';

export const DEFAULT_BRIDGE_NODE_ID = '_banyan';

/** How an orchestrator is asked to run the bridge (`--sparkplug GROUP`). */
export interface SparkplugOptions {
  /** The Sparkplug group id every node is published under. */
  group: string;
  /** Another broker; default the orchestrator's own (embedded or --broker). */
  brokerUrl?: string;
  /** A primary host application id: births wait for spBv1.0/STATE/<id> to say online. */
  primaryHostId?: string;
  /** The bridge's own edge node, whose death is the connection's Will. */
  bridgeNodeId?: string;
  /** Credentials and TLS for the bridge's connection; default the orchestrator's when on its broker. */
  mqttSecurity?: Omit<MqttSecuritySettings, 'brokerUrl'>;
}

export interface SparkplugBridgeOptions extends SparkplugOptions {
  brokerUrl: string;
  log: Logger;
  clock?: () => number;
  connectTimeoutMs?: number;
}

export class SparkplugBridge {
  readonly group: string;
  readonly bridgeNodeId: string;
  /** Messages sent, by Sparkplug type. */
  readonly sent: Record<string, number> = {};
  private readonly nodes = new Map<string, EdgeNode>();
  private readonly self: EdgeNode;
  private readonly clock: () => number;
  private readonly log: Logger;
  private hostOnline: boolean;
  private hostStateAt = -Infinity;
  private online = 0;
  private client: MqttClient | null = null;
  private stopped = false;
  private readonly onStatus = (c: StatusChange) => this.statusChanged(c);
  private readonly onAccepted = (env: Envelope) => {
    if (env.body === 'telemetry' || env.body === 'bench' || env.body === 'latency' || env.body === 'birth') this.refresh(env.nodeId);
  };

  private constructor(
    private readonly core: OrchestratorCore,
    private readonly opts: SparkplugBridgeOptions,
  ) {
    for (const [what, id] of [['group', opts.group], ['primary host', opts.primaryHostId], ['bridge node', opts.bridgeNodeId]] as const) {
      if (id !== undefined && !isSpbId(id)) throw new Error(`Sparkplug ${what} id ${JSON.stringify(id)} must be non-empty without '/', '+' or '#'`);
    }
    this.group = opts.group;
    this.bridgeNodeId = opts.bridgeNodeId ?? DEFAULT_BRIDGE_NODE_ID;
    this.self = new EdgeNode(this.group, this.bridgeNodeId);
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log.child({ part: 'sparkplug', group: this.group });
    this.hostOnline = opts.primaryHostId === undefined;
  }

  /** Connects, subscribes (NCMD, the primary host's STATE) and births what is online once allowed. */
  static async start(core: OrchestratorCore, opts: SparkplugBridgeOptions): Promise<SparkplugBridge> {
    const b = new SparkplugBridge(core, opts);
    for (const n of core.registry.all()) if (n.status === 'online') b.online++;
    await b.connect();
    core.events.on('status', b.onStatus);
    core.events.on('accepted', b.onAccepted);
    return b;
  }

  /** Whether births may go out: connected, and the primary host (if one is named) is online. */
  get ready(): boolean {
    return this.client?.connected === true && this.hostOnline && !this.stopped;
  }

  /** The edge node kept for a Banyan node (for inspection). */
  edgeNode(nodeId: string): EdgeNode | undefined {
    return this.nodes.get(nodeId);
  }

  /**
   * Publishes what changed for one node from its registry record: NBIRTH and DBIRTHs if it is
   * online and not born, NDATA/DDATA with the changes if it is. The path every report takes.
   */
  refresh(nodeId: string): void {
    const n = this.core.registry.get(nodeId);
    if (!n || !this.ready || !isSpbId(n.id) || n.id === this.bridgeNodeId) return;
    if (n.status !== 'online' || !n.birth) return;
    const edge = this.edgeOf(n.id);
    const now = this.clock();
    this.send(edge.isBorn ? edge.update(nodeMetrics(n), deviceMetrics(n), now) : edge.birth(nodeMetrics(n), deviceMetrics(n), now));
  }

  /** NBIRTH and DBIRTHs again for one edge node (an NCMD Rebirth), keeping its bdSeq. */
  rebirth(edgeNodeId: string): void {
    if (!this.ready) return;
    if (edgeNodeId === this.bridgeNodeId) {
      this.send(this.self.birth(this.selfMetrics(), [], this.clock()));
      return;
    }
    const n = this.core.registry.get(edgeNodeId);
    const edge = this.nodes.get(edgeNodeId);
    if (!n || !edge || n.status !== 'online' || !n.birth) return;
    this.send(edge.birth(nodeMetrics(n), deviceMetrics(n), this.clock()));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.core.events.off('status', this.onStatus);
    this.core.events.off('accepted', this.onAccepted);
    const c = this.client;
    if (c?.connected && this.hostOnline) {
      // A clean stop says each node's death itself, then the bridge's own (the Will never fires).
      const now = this.clock();
      for (const edge of this.nodes.values()) this.send([edge.death(now)]);
      this.send([this.self.death(now)]);
    }
    this.stopped = true;
    await c?.endAsync().catch(() => undefined);
  }

  private edgeOf(id: string): EdgeNode {
    let e = this.nodes.get(id);
    if (!e) this.nodes.set(id, (e = new EdgeNode(this.group, id)));
    return e;
  }

  private selfMetrics(): MetricSpec[] {
    const known = this.core.registry.size;
    return [
      { name: REBIRTH_METRIC, datatype: DataType.Boolean, value: false },
      { name: 'Nodes/Online', datatype: DataType.Int32, value: this.online },
      { name: 'Nodes/Known', datatype: DataType.Int32, value: known },
    ];
  }

  private statusChanged(c: StatusChange): void {
    if (c.to === 'online' && c.from !== 'online') this.online++;
    if (c.from === 'online' && c.to !== 'online') this.online--;
    if (!this.ready) {
      // Its NDEATH cannot go out now; when it is back it is a new session all the same.
      if (c.to !== 'online') this.nodes.get(c.node.id)?.unborn(true);
      return;
    }
    const now = this.clock();
    this.send(this.self.update(this.selfMetrics(), [], now));
    if (c.to === 'online') this.refresh(c.node.id);
    else this.send([this.nodes.get(c.node.id)?.death(now) ?? null]);
  }

  /** Everything online, born (after a connect or the primary host coming online). */
  private birthAll(): void {
    if (!this.ready) return;
    const now = this.clock();
    if (!this.self.isBorn) this.send(this.self.birth(this.selfMetrics(), [], now));
    for (const n of this.core.registry.all()) if (n.status === 'online') this.refresh(n.id);
  }

  private async connect(): Promise<void> {
    const url = this.opts.brokerUrl;
    const client = mqtt.connect(url, {
      ...mqttSecurityOptions({ brokerUrl: url, ...this.opts.mqttSecurity }),
      clientId: `banyan-spb-${randomUUID().slice(0, 12)}`,
      // Sparkplug 3.0: edge nodes use clean sessions; the Will is the bridge node's NDEATH.
      clean: true,
      reconnectPeriod: 1000,
      queueQoSZero: false,
      will: this.willOption(),
    });
    this.client = client;
    client.on('connect', () => {
      const subs = [`${SPB_NAMESPACE}/${this.group}/NCMD/+`, ...(this.opts.primaryHostId ? [hostStateTopic(this.opts.primaryHostId)] : [])];
      client.subscribe(subs, { qos: 1 }, (err) => {
        if (err) this.log.warn({ err: err.message }, 'Sparkplug subscribe failed; NCMD and STATE are not heard until the next connect');
        this.birthAll();
      });
    });
    client.on('close', () => {
      if (this.stopped) return;
      // Whatever was born went stale with the Will; the next connection is a new session.
      this.self.unborn(true);
      for (const e of this.nodes.values()) e.unborn(true);
      client.options.will = this.willOption();
      // The host may have gone meanwhile: wait for its (retained) STATE again before any birth.
      if (this.opts.primaryHostId) this.hostOnline = false;
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (e) => this.log.warn({ err: e.message, broker: url }, 'Sparkplug broker connection error'));
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        client.end(true);
        reject(new Error(`Sparkplug bridge: cannot reach the MQTT broker at ${url} within ${timeoutMs / 1000} s; is it running (see --sparkplug-broker)?`));
      }, timeoutMs);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.log.info({ broker: url, primaryHost: this.opts.primaryHostId ?? null }, 'Sparkplug bridge connected');
  }

  private willOption() {
    const w = this.self.will(this.clock());
    return { topic: w.topic, payload: Buffer.from(encodeSpb(w.payload)), qos: 1 as const, retain: false };
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.opts.primaryHostId && topic === hostStateTopic(this.opts.primaryHostId)) return this.hostState(payload);
    const t = parseSpbTopic(topic);
    if (!t || t.type !== 'NCMD' || t.group !== this.group) return;
    const edge = t.edgeNode === this.bridgeNodeId ? this.self : this.nodes.get(t.edgeNode);
    // Commands carry aliases or names; only the Rebirth control is understood.
    const d = decodeSpb(payload, (m) => (m.alias !== undefined && edge?.aliasIs(REBIRTH_METRIC, m.alias) ? DataType.Boolean : undefined));
    if (!d.ok) {
      this.log.warn({ topic, detail: d.detail }, 'NCMD ignored: not a Sparkplug B payload; send a protobuf Payload with "Node Control/Rebirth" = true');
      return;
    }
    const wantsRebirth = d.payload.metrics.some(
      (m) => (m.name === REBIRTH_METRIC || (m.alias !== undefined && edge?.aliasIs(REBIRTH_METRIC, m.alias))) && m.value === true,
    );
    if (!wantsRebirth) {
      this.log.info({ topic }, 'NCMD ignored: the bridge acts on "Node Control/Rebirth" = true only');
      return;
    }
    this.log.info({ edgeNode: t.edgeNode }, 'rebirth requested');
    this.rebirth(t.edgeNode);
  }

  private hostState(payload: Buffer): void {
    const s = parseHostState(payload);
    if (!s) {
      this.log.warn('primary host STATE ignored: expected JSON {"online": true|false, "timestamp": ms}');
      return;
    }
    // A STATE older than one already seen is a stale retained message or a late duplicate.
    if (s.timestamp < this.hostStateAt) return;
    this.hostStateAt = s.timestamp;
    const was = this.hostOnline;
    this.hostOnline = s.online;
    if (s.online && !was) {
      this.log.info({ host: this.opts.primaryHostId }, 'primary host online; publishing births');
      this.birthAll();
    } else if (!s.online && was) {
      this.log.info({ host: this.opts.primaryHostId }, 'primary host offline; quiet until it is back');
      this.self.unborn(false);
      for (const e of this.nodes.values()) e.unborn(false);
    }
  }

  private send(out: (Outgoing | null)[]): void {
    const c = this.client;
    if (!c) return;
    for (const o of out) {
      if (!o) continue;
      let bytes: Uint8Array;
      try {
        bytes = encodeSpb(o.payload, (m) => m.datatype ?? (m.alias === undefined ? undefined : o.datatypes.get(m.alias)));
      } catch (e) {
        this.log.error({ topic: o.topic, err: (e as Error).message }, 'Sparkplug message not encodable; skipped');
        continue;
      }
      c.publish(o.topic, Buffer.from(bytes), { qos: o.type === 'NDEATH' ? 1 : 0, retain: false });
      this.sent[o.type] = (this.sent[o.type] ?? 0) + 1;
    }
  }
}

