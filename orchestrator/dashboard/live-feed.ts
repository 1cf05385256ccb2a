// The live feed behind GET /v1/events: what changes in the orchestrator, as server-sent events.
// Status changes, rejected messages, broker refusals and workload changes go out as they happen; fleet summaries
// and nodes whose reports changed (birth, bench) are batched into at most one flush per interval,
// since a large fleet's benchmarks would otherwise flood every open dashboard. Telemetry changes
// only the summary's power figure: it re-sends the summary at most every energyFlushMs; per-card
// readings are not streamed (the page fetches the nodes an operator has open).
import type { ServerResponse } from 'node:http';
import type { Envelope } from '../../protocol/messages.ts';
import type { Orchestrator } from '../orchestrator.ts';
import type { StatusChange } from '../registry.ts';
import type { RefusalNotice } from '../broker-refusals.ts';
import { fleetSummary, nodeView, type FleetSummary, type NodeView } from '../views.ts';
import { workloadView, type WorkloadView } from '../api/workloads.ts';
import type { Workload } from '../workloads/manager.ts';

/** Every event the feed sends, by SSE event name. */
export interface FeedEvents {
  snapshot: { nodes: NodeView[]; summary: FleetSummary; atMs: number };
  node: NodeView;
  status: { nodeId: string; from: string; to: string; reason: string; atMs: number };
  summary: FleetSummary;
  rejected: { reason: string; detail: string; topic: string; atMs: number };
  /** A refusal at the embedded broker, at most one per reason and client per window. */
  refused: RefusalNotice;
  /** The same shape as GET /v1/workloads/:id. */
  workload: WorkloadView;
  /** Sent once after the snapshot: the last events worth a line in "Recent events", oldest first. */
  recent: RecentEvent[];
}

/** The events a person reads as a log line; the feed keeps the last RECENT_EVENTS of them. */
export type LoggedEventName = 'status' | 'rejected' | 'refused' | 'workload';
export type RecentEvent = { [E in LoggedEventName]: { event: E; data: FeedEvents[E] } }[LoggedEventName];

/** How many past events a page gets when it opens, so "Recent events" is never empty on load. */
export const RECENT_EVENTS = 100;

export type FeedEventName = keyof FeedEvents;

export interface LiveFeedOptions {
  /** Minimum spacing of summary / node-detail flushes. */
  flushMs?: number;
  /** Minimum spacing of summaries re-sent only because telemetry (the fleet's power) changed. */
  energyFlushMs?: number;
  /** SSE comment lines keep proxies from closing an idle stream. */
  keepAliveMs?: number;
  /** Streams beyond this are refused (503), so a misbehaving page cannot exhaust the server. */
  maxClients?: number;
  /** A client this far behind (bytes buffered) is dropped; it reconnects and gets a snapshot. */
  maxBufferedBytes?: number;
}

export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly recent: RecentEvent[] = [];
  private readonly dirtyNodes = new Set<string>();
  private flushedVersion = -1;
  private telemetrySince = false;
  private summarySentMs = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly opts: Required<LiveFeedOptions>;

  constructor(
    private readonly orchestrator: Orchestrator,
    opts: LiveFeedOptions = {},
  ) {
    this.opts = { flushMs: 1000, energyFlushMs: 5000, keepAliveMs: 15_000, maxClients: 200, maxBufferedBytes: 4 * 1024 * 1024, ...opts };
    const events = orchestrator.events;
    const onStatus = (c: StatusChange) => {
      this.broadcast('status', { nodeId: c.node.id, from: c.from, to: c.to, reason: c.reason, atMs: Date.now() });
      this.broadcast('node', nodeView(c.node));
    };
    const onRejected = (reason: string, detail: string, topic: string) =>
      this.broadcast('rejected', { reason, detail, topic, atMs: Date.now() });
    const onRefused = (n: RefusalNotice) => this.broadcast('refused', n);
    const onAccepted = (env: Envelope) => {
      if (env.body === 'birth' || env.body === 'bench') this.dirtyNodes.add(env.nodeId);
      else if (env.body === 'telemetry') this.telemetrySince = true;
    };
    const onWorkload = (w: Workload) => this.broadcast('workload', workloadView(w));
    events.on('status', onStatus);
    events.on('workload', onWorkload);
    events.on('rejected', onRejected);
    events.on('refused', onRefused);
    events.on('accepted', onAccepted);
    this.unsubscribe.push(
      () => events.off('status', onStatus),
      () => events.off('rejected', onRejected),
      () => events.off('refused', onRefused),
      () => events.off('accepted', onAccepted),
      () => events.off('workload', onWorkload),
    );
    this.every(this.opts.flushMs, () => this.flush());
    this.every(this.opts.keepAliveMs, () => this.writeAll(': keep-alive\n\n'));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Takes over an HTTP response as an event stream, starting with a full snapshot. */
  attach(res: ServerResponse): boolean {
    if (this.clients.size >= this.opts.maxClients) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.send(res, 'snapshot', { nodes: this.nodes(), summary: fleetSummary(this.orchestrator.registry.all()), atMs: Date.now() });
    this.send(res, 'recent', [...this.recent]);
    return true;
  }

  private nodes(): NodeView[] {
    return [...this.orchestrator.registry.all()].sort((a, b) => a.id.localeCompare(b.id)).map(nodeView);
  }

  private flush(): void {
    const registry = this.orchestrator.registry;
    for (const id of this.dirtyNodes) {
      const n = registry.get(id);
      if (n) this.broadcast('node', nodeView(n));
    }
    this.dirtyNodes.clear();
    const now = Date.now();
    const energyDue = this.telemetrySince && now - this.summarySentMs >= this.opts.energyFlushMs;
    if (registry.version === this.flushedVersion && !energyDue) return;
    this.flushedVersion = registry.version;
    this.telemetrySince = false;
    if (this.clients.size === 0) return;
    this.summarySentMs = now;
    this.broadcast('summary', fleetSummary(registry.all()));
  }

  private broadcast<E extends FeedEventName>(event: E, data: FeedEvents[E]): void {
    if (event === 'status' || event === 'rejected' || event === 'refused' || event === 'workload') {
      // Kept with no page open too: the first page to open shows what happened before it.
      this.recent.push({ event, data } as RecentEvent);
      if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    }
    if (this.clients.size === 0) return;
    this.writeAll(frame(event, data));
  }

  private send<E extends FeedEventName>(res: ServerResponse, event: E, data: FeedEvents[E]): void {
    this.write(res, frame(event, data));
  }

  private writeAll(chunk: string): void {
    for (const res of this.clients) this.write(res, chunk);
  }

  private write(res: ServerResponse, chunk: string): void {
    if (res.writableLength > this.opts.maxBufferedBytes) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  /** Ends every stream (so the HTTP server can close) and stops following the orchestrator. */
  close(): void {
    for (const t of this.timers) clearInterval(t);
    for (const u of this.unsubscribe) u();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
