// Wraps any agent link (MQTT or in-process) so the chaos layer can cut it (the broker sees the
// connection die and fires the Last Will; reconnects wait until the cut heals), freeze it (a hung
// process: connected, silent, deaf, resuming where it stopped) and watch what it sends.
import { EventEmitter } from 'node:events';
import type { Link, LinkEvents } from '../fleet/transport.ts';

export interface LinkTap {
  /** A publish the transport accepted (PUBACK or in-process hand-over). */
  sent(nodeId: string, topic: string, payload: Uint8Array): void;
}

type Held = { topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean; resolve: () => void; reject: (e: Error) => void };

export class ChaosLink extends EventEmitter<LinkEvents> implements Link {
  private cutReason: string | null = null;
  private frozen = false;
  private wantOpen = false;
  private held: Held[] = [];
  private heldIn: [string, Uint8Array][] = [];

  constructor(
    readonly nodeId: string,
    private readonly inner: Link,
    private readonly tap?: LinkTap,
  ) {
    super();
    inner.on('up', () => {
      if (!this.cutReason) this.emit('up');
    });
    inner.on('down', (reason) => {
      if (!this.cutReason) this.emit('down', reason);
    });
    inner.on('message', (topic, payload) => {
      if (this.frozen) this.heldIn.push([topic, payload]);
      else this.emit('message', topic, payload);
    });
  }

  get connected(): boolean {
    return this.cutReason === null && this.inner.connected;
  }

  get isCut(): boolean {
    return this.cutReason !== null;
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  open(): void {
    this.wantOpen = true;
    if (!this.cutReason) this.inner.open();
  }

  subscribe(topic: string): void {
    this.inner.subscribe(topic);
  }

  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain = false): Promise<void> {
    if (this.cutReason) return Promise.reject(new Error(`not connected (${this.cutReason})`));
    if (this.frozen) return new Promise((resolve, reject) => this.held.push({ topic, payload, qos, retain, resolve, reject }));
    return this.send(topic, payload, qos, retain);
  }

  async close(): Promise<void> {
    this.wantOpen = false;
    this.release(new Error('link closed'));
    await this.inner.close();
  }

  sever(): void {
    this.wantOpen = false;
    this.release(new Error('link severed'));
    this.inner.sever();
  }

  /** The connection dies without goodbye and cannot come back until heal(). */
  cut(reason: string): void {
    if (this.cutReason) return;
    this.cutReason = reason;
    this.release(new Error(`not connected (${reason})`));
    this.inner.sever();
    this.emit('down', reason);
  }

  heal(): void {
    if (!this.cutReason) return;
    this.cutReason = null;
    if (this.wantOpen) this.inner.open();
  }

  freeze(): void {
    this.frozen = true;
  }

  /** Thaws: what the process had started sending goes out, what it was sent is heard, in order. */
  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    const out = this.held;
    const inbound = this.heldIn;
    this.held = [];
    this.heldIn = [];
    for (const h of out) this.send(h.topic, h.payload, h.qos, h.retain).then(h.resolve, h.reject);
    for (const [topic, payload] of inbound) this.emit('message', topic, payload);
  }

  private async send(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Promise<void> {
    await this.inner.publish(topic, payload, qos, retain);
    this.tap?.sent(this.nodeId, topic, payload);
  }

  private release(err: Error): void {
    this.frozen = false;
    for (const h of this.held) h.reject(err);
    this.held = [];
    this.heldIn = [];
  }
}
