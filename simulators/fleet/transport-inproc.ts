// An in-process MQTT stand-in for fleets too big for real sockets (100k agents in one process):
// agents' encoded envelopes go straight to the orchestrator's ingest, commands straight back.
// It keeps the broker semantics the protocol relies on — retained births and states, Last Wills
// on a dropped connection, per-client identity, clean sessions (a command to an absent node is
// dropped) — and counts what it could not deliver. Delivery is asynchronous and in order, one
// queue drained per macrotask, as a socket hop would be.
import { EventEmitter } from 'node:events';
import { Backoff } from '../../agent/backoff.ts';
import type { OrchestratorBus } from '../../orchestrator/orchestrator.ts';
import { orchestratorStateTopic, parseNodeTopic } from '../../protocol/topics.ts';
import type { Link, LinkEvents, LinkOptions } from './transport.ts';

export interface HubStats {
  /** Node publishes the hub took (PUBACKed). */
  fromNodes: number;
  /** Node publishes delivered to the orchestrator. */
  toOrchestrator: number;
  /** Node publishes with no orchestrator subscribed (clean session: gone). */
  noSubscriber: number;
  commands: number;
  /** Commands for a node that was not connected (clean session: gone). */
  commandsDropped: number;
  connects: number;
  wills: number;
}

type Delivery = () => void;

export class InProcessHub {
  readonly stats: HubStats = { fromNodes: 0, toOrchestrator: 0, noSubscriber: 0, commands: 0, commandsDropped: 0, connects: 0, wills: 0 };
  private readonly links = new Map<string, InProcessLink>();
  private readonly retained = new Map<string, { payload: Uint8Array; clientId: string }>();
  /** The orchestrator's retained ONLINE/OFFLINE state, which every agent subscribes to. */
  private presence: { topic: string; payload: Uint8Array } | null = null;
  private deliver: ((topic: string, payload: Uint8Array, clientId?: string) => void) | null = null;
  private running = true;
  private queue: Delivery[] = [];
  private scheduled = false;

  constructor(private readonly root: string) {}

  /** The agent side: pass as a fleet's link factory. */
  readonly link = (opts: LinkOptions): Link => new InProcessLink(this, opts);

  /** The orchestrator side: pass as OrchestratorOptions.bus. */
  bus(): OrchestratorBus {
    const hub = this;
    let open = false;
    return {
      get connected() {
        return open && hub.running;
      },
      async open(deliver) {
        open = true;
        hub.deliver = deliver;
        // A new subscriber gets the retained births and states first, as from a broker.
        for (const [topic, r] of hub.retained) hub.enqueue(() => hub.deliver?.(topic, r.payload, r.clientId));
        await hub.flushed();
      },
      async publish(topic, payload, _qos, retain) {
        if (!hub.running) throw new Error('in-process broker is down');
        if (topic === orchestratorStateTopic(hub.root)) hub.announce(topic, payload, retain);
        else hub.command(topic, payload);
      },
      async close() {
        open = false;
        hub.deliver = null;
      },
    };
  }

  get connectedCount(): number {
    return this.links.size;
  }

  /** A broker restart without persistence: every connection drops, retained messages are gone. */
  async restart(downMs: number): Promise<void> {
    this.running = false;
    this.retained.clear();
    this.presence = null;
    for (const l of [...this.links.values()]) l.dropped('broker restarted');
    this.links.clear();
    await new Promise((r) => setTimeout(r, downMs));
    this.running = true;
  }

  /** For the chaos layer: a message as if the given client had published it. */
  inject(topic: string, payload: Uint8Array, clientId: string): void {
    this.stats.fromNodes++;
    this.toOrchestrator(topic, payload, clientId);
  }

  accept(link: InProcessLink): boolean {
    if (!this.running) return false;
    this.links.get(link.clientId)?.dropped('session taken over');
    this.links.set(link.clientId, link);
    this.stats.connects++;
    return true;
  }

  gone(link: InProcessLink, will: boolean): void {
    if (this.links.get(link.clientId) !== link) return;
    this.links.delete(link.clientId);
    if (!will || !this.running) return;
    const w = link.will();
    this.stats.wills++;
    this.retained.set(w.topic, { payload: w.payload, clientId: link.clientId });
    this.toOrchestrator(w.topic, w.payload, link.clientId);
  }

  fromNode(link: InProcessLink, topic: string, payload: Uint8Array, retain: boolean): void {
    this.stats.fromNodes++;
    if (retain) this.retained.set(topic, { payload, clientId: link.clientId });
    // A retained message waits for the next subscriber: not lost.
    if (retain && !this.deliver) return;
    this.toOrchestrator(topic, payload, link.clientId);
  }

  private toOrchestrator(topic: string, payload: Uint8Array, clientId: string): void {
    // Routed when published, as a broker does: with nobody subscribed it is gone.
    const deliver = this.deliver;
    if (!deliver) {
      this.stats.noSubscriber++;
      return;
    }
    this.enqueue(() => {
      this.stats.toOrchestrator++;
      deliver(topic, payload, clientId);
    });
  }

  /** The orchestrator's state goes to every connected agent, and is kept for later ones. */
  private announce(topic: string, payload: Uint8Array, retain: boolean): void {
    if (retain) this.presence = { topic, payload };
    for (const link of this.links.values()) this.enqueue(() => link.receive(topic, payload));
  }

  /** What a broker sends a new subscriber: the retained orchestrator state. */
  retainedFor(link: InProcessLink): void {
    const p = this.presence;
    if (p) this.enqueue(() => link.receive(p.topic, p.payload));
  }

  private command(topic: string, payload: Uint8Array): void {
    this.stats.commands++;
    const t = parseNodeTopic(this.root, topic);
    const link = t ? this.links.get(t.node) : undefined;
    if (!link) {
      this.stats.commandsDropped++;
      return;
    }
    this.enqueue(() => link.receive(topic, payload));
  }

  private enqueue(d: Delivery): void {
    this.queue.push(d);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    for (const d of batch) d();
  }

  private async flushed(): Promise<void> {
    while (this.queue.length || this.scheduled) await new Promise((r) => setImmediate(r));
  }
}

class InProcessLink extends EventEmitter<LinkEvents> implements Link {
  readonly clientId: string;
  private isConnected = false;
  private closed = true;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly subscriptions = new Set<string>();
  private composedWill: { topic: string; payload: Uint8Array } | null = null;

  constructor(
    private readonly hub: InProcessHub,
    private readonly opts: LinkOptions,
  ) {
    super();
    this.clientId = opts.clientId;
    this.backoff = new Backoff(opts.reconnectMinMs, opts.reconnectMaxMs);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  open(): void {
    this.closed = false;
    // Composed at connect time, as mqtt.js sends it in CONNECT.
    this.composedWill = this.opts.will();
    if (!this.hub.accept(this)) return this.scheduleRetry();
    this.isConnected = true;
    this.backoff.reset();
    setImmediate(() => {
      if (!this.isConnected) return;
      this.emit('up');
      this.hub.retainedFor(this);
    });
  }

  will(): { topic: string; payload: Uint8Array } {
    return this.composedWill ?? this.opts.will();
  }

  subscribe(topic: string): void {
    this.subscriptions.add(topic);
  }

  publish(topic: string, payload: Uint8Array, _qos: 0 | 1, retain = false): Promise<void> {
    if (!this.isConnected) return Promise.reject(new Error('not connected'));
    this.hub.fromNode(this, topic, payload, retain);
    return Promise.resolve();
  }

  receive(topic: string, payload: Uint8Array): void {
    if (this.isConnected && this.subscriptions.has(topic)) this.emit('message', topic, payload);
  }

  async close(): Promise<void> {
    this.stop();
    this.hub.gone(this, false);
  }

  sever(): void {
    this.stop();
    this.hub.gone(this, true);
  }

  /** The hub dropped this connection (broker restart, take-over): retry with backoff. */
  dropped(reason: string): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.emit('down', reason);
    this.scheduleRetry();
  }

  private stop(): void {
    this.closed = true;
    this.isConnected = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.open();
    }, this.backoff.next());
    this.retryTimer.unref();
  }
}
