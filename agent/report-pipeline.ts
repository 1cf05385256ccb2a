// Every report the agent sends except birth and state (telemetry, latency, events, bench) goes
// through here, one at a time and in the order it was produced. While the link is up and nothing
// is stored, a report goes straight to the broker; when the link is down, a publish fails or the
// outbox still holds older reports, it is appended to the outbox, which is drained in order
// (after birth + state) before anything newer goes out.
//
// Replayed envelopes keep their msg_id (the orchestrator de-duplicates by it: a report whose
// PUBACK was lost is sent again) but get the current session and the next seq, because the
// orchestrator rejects a seq that goes backwards within a session and the re-sent birth has
// already taken a newer one.
import { decode, encode } from '../protocol/codec.ts';
import type { Envelope } from '../protocol/messages.ts';
import type { Channel } from '../protocol/topics.ts';
import type { EnvelopeFactory } from './envelopes.ts';
import type { Outbox, OutboxKind, OutboxItem, StoredItem } from './outbox.ts';

export interface ReportSink {
  /** True once the link is up and birth + state went out on this connection. */
  readonly ready: boolean;
  publish(topic: string, payload: Uint8Array, qos: 0 | 1, retain: boolean): Promise<void>;
}

export interface PipelineOptions {
  outbox: Outbox;
  envelopes: EnvelopeFactory;
  sink: ReportSink;
  retained: ReadonlySet<Channel>;
  /** A publish with no answer in this time counts as failed (the report is stored); default 10 s. */
  publishTimeoutMs?: number;
  warn?: (message: string, err?: Error) => void;
}

export interface PipelineStats {
  /** Reports produced, by kind. */
  produced: Record<OutboxKind, number>;
  /** Sent straight to the broker, by kind. */
  sentDirect: Record<OutboxKind, number>;
  /** Reports the outbox refused (full of must-keep items) by kind: these are lost. */
  refused: Record<OutboxKind, number>;
  /** Reports waiting in memory for their turn (bounded by the publish timeout). */
  queued: number;
}

const zero = (): Record<OutboxKind, number> => ({ telemetry: 0, latency: 0, event: 0, bench: 0 });

export class ReportPipeline {
  private readonly queue: OutboxItem[] = [];
  private working = false;
  /** A reconnect's kick that arrived while the previous connection's send was still failing. */
  private kickedWhileWorking = false;
  private readonly counters = { produced: zero(), sentDirect: zero(), refused: zero() };
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: PipelineOptions) {}

  /** Queues one encoded report; never throws and never blocks on the network. */
  submit(item: OutboxItem): void {
    this.counters.produced[item.kind]++;
    // Behind whatever waits in memory; else straight out when nothing older is stored.
    if (this.queue.length > 0 || (this.opts.sink.ready && this.opts.outbox.size().items === 0)) this.queue.push(item);
    else this.store(item);
    this.kick();
  }

  /** Starts sending: the outbox first, then what is queued. Call after birth + state. */
  kick(): void {
    if (this.working) {
      this.kickedWhileWorking = true;
      return;
    }
    if (!this.opts.sink.ready) return;
    this.working = true;
    this.kickedWhileWorking = false;
    void this.work().then((done) => {
      const ok = done || this.kickedWhileWorking;
      this.working = false;
      for (const w of this.idleWaiters.splice(0)) w();
      // Something may have arrived between the loop's last check and now. After a failure the
      // next submit or reconnect retries, so a broker that refuses cannot make this spin.
      if (ok && this.opts.sink.ready && (this.queue.length > 0 || this.opts.outbox.size().items > 0)) this.kick();
    });
  }

  /** Resolves when nothing is being sent (what could not go out is in the outbox). */
  idle(): Promise<void> {
    return this.working ? new Promise((r) => this.idleWaiters.push(r)) : Promise.resolve();
  }

  /** Moves what waits in memory to the outbox, e.g. before the agent exits. */
  flushToOutbox(): void {
    for (const item of this.queue.splice(0)) this.store(item);
  }

  stats(): PipelineStats {
    return {
      produced: { ...this.counters.produced },
      sentDirect: { ...this.counters.sentDirect },
      refused: { ...this.counters.refused },
      queued: this.queue.length,
    };
  }

  /** False when a send failed. */
  private async work(): Promise<boolean> {
    const { outbox, sink } = this.opts;
    while (sink.ready) {
      if (outbox.size().items > 0) {
        // New reports land in the outbox behind the replay (the queue is empty here), and the
        // drain goes on until they are out too.
        const r = await outbox.drain((stored) => this.replay(stored));
        if (r.error) {
          this.opts.warn?.(`outbox replay paused with ${r.remaining} reports stored; it resumes on reconnect`, r.error);
          this.flushToOutbox();
          return false;
        }
        continue;
      }
      const head = this.queue[0];
      if (!head) return true;
      try {
        await this.send(head.topic, head.payload, head.channel);
        this.queue.shift();
        this.counters.sentDirect[head.kind]++;
      } catch {
        // The head and everything behind it go to the outbox, in order.
        this.flushToOutbox();
        return false;
      }
    }
    this.flushToOutbox();
    return true;
  }

  private async replay(stored: StoredItem): Promise<void> {
    const d = decode(stored.payload);
    if (!d.ok) {
      // Cannot happen for what this agent wrote; skipping beats blocking the outbox forever.
      this.opts.warn?.(`dropping an unreadable stored ${stored.kind} report: ${d.error.detail}`);
      return;
    }
    const env: Envelope = this.opts.envelopes.restamp(d.envelope);
    await this.send(stored.topic, encode(env), stored.channel);
  }

  private send(topic: string, payload: Uint8Array, channel: string): Promise<void> {
    const ms = this.opts.publishTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PUBACK within ${ms} ms`)), ms);
    });
    // QoS 1 for every report: the PUBACK is what lets a report leave the outbox.
    return Promise.race([this.opts.sink.publish(topic, payload, 1, this.opts.retained.has(channel as Channel)), timeout]).finally(() =>
      clearTimeout(timer),
    );
  }

  private store(item: OutboxItem): void {
    const r = this.opts.outbox.append(item);
    if (!r.stored) {
      this.counters.refused[item.kind]++;
      this.opts.warn?.(`could not store a ${item.kind} report: ${r.reason}`);
    }
  }
}
