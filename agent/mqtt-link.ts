// One MQTT connection owned by the agent: our own backoff instead of mqtt.js's fixed period, no
// buffering inside mqtt.js (the agent's outbox owns offline data), a Last Will per connection.
import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import { Backoff } from './backoff.ts';
import type { MqttSecurityOptions } from '../protocol/mqtt-tls.ts';

export interface LinkOptions {
  url: string;
  clientId: string;
  /** Credentials and TLS material, checked and read once at start-up (protocol/mqtt-tls.ts). */
  security?: MqttSecurityOptions;
  will: () => { topic: string; payload: Uint8Array };
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export interface LinkEvents {
  up: [];
  down: [reason: string];
  message: [topic: string, payload: Uint8Array];
}

/** What the agent needs of its connection; simulated fleets pass an in-process one instead. */
export interface Link extends EventEmitter<LinkEvents> {
  readonly connected: boolean;
  open(): void;
  subscribe(topic: string): void;
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain?: boolean): Promise<void>;
  /** Clean close: no Last Will. */
  close(): Promise<void>;
  /** A crash or a cut cable: the Last Will fires. */
  sever(): void;
}

export class MqttLink extends EventEmitter<LinkEvents> implements Link {
  private client: MqttClient | null = null;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private subscriptions = new Set<string>();

  constructor(private readonly opts: LinkOptions) {
    super();
    this.backoff = new Backoff(opts.reconnectMinMs, opts.reconnectMaxMs);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  open(): void {
    this.closed = false;
    const will = this.opts.will();
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.clientId,
      ...this.opts.security,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      keepalive: 15,
      queueQoSZero: false,
      // mqtt-packet otherwise pre-builds 65,536 two-byte buffers for packet ids: ~6 MB of heap.
      writeCache: false,
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      this.backoff.reset();
      if (this.subscriptions.size) client.subscribe([...this.subscriptions], { qos: 1 });
      this.emit('up');
    });
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
    client.on('error', () => {
      // 'close' follows and schedules the retry; errors are reported through 'down'.
    });
    client.on('close', () => {
      if (this.client !== client) return;
      this.emit('down', 'connection closed');
      this.scheduleRetry();
    });
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = this.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.closed) return;
      this.client?.removeAllListeners();
      this.client?.end(true);
      this.open();
    }, delay);
    this.retryTimer.unref();
  }

  subscribe(topic: string): void {
    this.subscriptions.add(topic);
    if (this.connected) this.client!.subscribe(topic, { qos: 1 });
  }

  /** Resolves once the broker has it (QoS 1) or it left the socket (QoS 0); rejects when offline. */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain = false): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(topic, Buffer.from(payload), { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Clean close: the broker does not fire the Last Will. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync(false).catch(() => undefined);
  }

  /** Drops the socket without DISCONNECT, as a crash or a cut cable would: the Last Will fires. */
  sever(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    client?.removeAllListeners();
    client?.stream?.destroy();
    client?.end(true);
  }
}
