// What the embedded broker refused before ingest could see it: counted by reason (the metric's
// label; client ids are unbounded, so they go only into the log), and logged and announced at most
// once per reason and client per window, with how many were held back meanwhile. A client that
// hammers the broker with refused publishes costs a counter increment, not a log line each.
import type { Logger } from 'pino';

export type BrokerRefusalReason =
  /** Unknown account or wrong password. */
  | 'bad_login'
  /** A publish or subscribe from a connection that has not authenticated. */
  | 'not_authenticated'
  /** The account's ACL does not allow publishing on the topic. */
  | 'acl_publish'
  /** The account's ACL does not allow subscribing to the filter. */
  | 'acl_subscribe'
  /** A client publishing under another node's topics (or the orchestrator's). */
  | 'identity_mismatch'
  /** A retained publish on a topic the protocol does not define. */
  | 'retain_not_allowed'
  /** A packet above the protocol's maximum packet size; the connection is closed. */
  | 'packet_too_large'
  /** Anything else the broker closed a connection for (wildcards in a publish topic, malformed packets). */
  | 'protocol_error';

export interface BrokerRefusal {
  reason: BrokerRefusalReason;
  /** The MQTT client id (or the remote address before CONNECT); '' when unknown. */
  clientId: string;
  /** The account's username, when accounts are on and it logged in. */
  username?: string;
  /** The topic or filter refused; '' for connection-level refusals. */
  topic: string;
  detail: string;
}

export interface RefusalNotice extends BrokerRefusal {
  /** Refusals of the same reason and client not logged since the previous notice. */
  suppressed: number;
  atMs: number;
}

export interface BrokerRefusalsOptions {
  log?: Logger;
  /** Called when a refusal is logged (rate-limited), e.g. to show it on the dashboard. */
  notice?: (n: RefusalNotice) => void;
  /** At most one notice per reason and client per this many ms. */
  windowMs?: number;
  /** Reason+client keys remembered for rate limiting; the oldest are forgotten past this. */
  maxKeys?: number;
  clock?: () => number;
}

export class BrokerRefusals {
  readonly counts = new Map<BrokerRefusalReason, number>();
  private readonly lastNotice = new Map<string, { atMs: number; suppressed: number }>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly clock: () => number;

  constructor(private readonly opts: BrokerRefusalsOptions = {}) {
    this.windowMs = opts.windowMs ?? 10_000;
    this.maxKeys = opts.maxKeys ?? 1024;
    this.clock = opts.clock ?? Date.now;
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  record(r: BrokerRefusal): void {
    this.counts.set(r.reason, (this.counts.get(r.reason) ?? 0) + 1);
    const now = this.clock();
    const key = `${r.reason}\u0000${r.clientId}`;
    const last = this.lastNotice.get(key);
    if (last && now - last.atMs < this.windowMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastNotice.delete(key);
    this.lastNotice.set(key, { atMs: now, suppressed: 0 });
    if (this.lastNotice.size > this.maxKeys) this.lastNotice.delete(this.lastNotice.keys().next().value!);
    const notice: RefusalNotice = { ...r, suppressed, atMs: now };
    this.opts.log?.warn(
      { reason: r.reason, clientId: r.clientId, username: r.username, topic: r.topic, detail: r.detail, suppressed },
      'broker refused a client',
    );
    this.opts.notice?.(notice);
  }
}
