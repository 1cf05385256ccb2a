// Who leads: replicas compete for one lease row in PostgreSQL (holder, epoch, expiry). The leader
// renews every leaseMs/3; a standby tries to take an expired lease, bumping the epoch, which every
// command then carries as its fencing token (protocol/fencing.ts). The leader trusts its lease only
// until the local clock passes the renewal's start + leaseMs, so a paused or cut-off leader stops
// dispatching at once, before anyone else may take over.
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { UNFENCED_EPOCH } from '../../protocol/fencing.ts';

export type Role = 'leader' | 'standby';

export interface LeaseView {
  role: Role;
  /** This lease holder's epoch while leading; the last one seen otherwise. */
  epoch: number;
  /** The current holder as last read, and where its API is. */
  leaderId: string;
  leaderUrl: string;
}

export interface Leadership {
  readonly view: LeaseView;
  /** True only while the lease is held and not past its local expiry. */
  leads(): boolean;
  on(event: 'change', fn: (v: LeaseView) => void): unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One orchestrator, no store to share: always the leader, commands unfenced. */
export class SoleLeader extends EventEmitter implements Leadership {
  readonly view: LeaseView;
  constructor(id: string) {
    super();
    this.view = { role: 'leader', epoch: UNFENCED_EPOCH, leaderId: id, leaderUrl: '' };
  }
  leads(): boolean {
    return true;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

export interface PgLeaseOptions {
  pool: pg.Pool;
  id: string;
  /** This replica's API, shown to clients a standby turns away. */
  httpUrl: () => string;
  leaseMs: number;
  onError?: (e: Error) => void;
}

export class PgLease extends EventEmitter implements Leadership {
  view: LeaseView;
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: PgLeaseOptions) {
    super();
    this.view = { role: 'standby', epoch: UNFENCED_EPOCH, leaderId: '', leaderUrl: '' };
  }

  leads(): boolean {
    if (this.view.role !== 'leader') return false;
    if (performance.now() < this.validUntil) return true;
    this.set({ ...this.view, role: 'standby' });
    return false;
  }

  /** Makes one attempt at once, then keeps trying/renewing every leaseMs/3. */
  async start(): Promise<void> {
    await this.tryOnce();
    this.timer = setInterval(() => void this.tryOnce(), Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    this.timer.unref();
  }

  /** Gives the lease up (expires it now) so a standby takes over without waiting. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.round;
    if (this.view.role === 'leader') {
      await this.opts.pool.query("UPDATE leader_lease SET expires_at = 'epoch' WHERE id = 1 AND holder = $1 AND epoch = $2", [this.opts.id, this.view.epoch]).catch(() => undefined);
      this.set({ ...this.view, role: 'standby' });
    }
  }

  private tryOnce(): Promise<void> {
    if (this.round || this.stopped) return this.round ?? Promise.resolve();
    this.round = this.attempt().finally(() => (this.round = null));
    return this.round;
  }

  private async attempt(): Promise<void> {
    const started = performance.now();
    const wasLeading = this.leads();
    try {
      // Renew while still ours (same epoch), or take it over once expired (next epoch).
      const r = await this.opts.pool.query<{ epoch: string }>(
        `UPDATE leader_lease SET
           epoch = CASE WHEN holder = $1 AND epoch = $4 AND expires_at > now() THEN epoch ELSE epoch + 1 END,
           holder = $1, http_url = $2, expires_at = now() + $3 * interval '1 millisecond'
         WHERE id = 1 AND (expires_at <= now() OR (holder = $1 AND epoch = $4))
         RETURNING epoch`,
        [this.opts.id, this.opts.httpUrl(), this.opts.leaseMs, wasLeading ? this.view.epoch : -1],
      );
      if (this.stopped) return;
      const row = r.rows[0];
      if (row) {
        this.validUntil = started + this.opts.leaseMs;
        const epoch = Number(row.epoch);
        if (!wasLeading || epoch !== this.view.epoch) this.set({ role: 'leader', epoch, leaderId: this.opts.id, leaderUrl: this.opts.httpUrl() });
        return;
      }
      const cur = await this.opts.pool.query<{ holder: string; http_url: string; epoch: string }>('SELECT holder, http_url, epoch FROM leader_lease WHERE id = 1');
      const c = cur.rows[0];
      this.validUntil = 0;
      const next: LeaseView = { role: 'standby', epoch: c ? Number(c.epoch) : this.view.epoch, leaderId: c?.holder ?? '', leaderUrl: c?.http_url ?? '' };
      if (next.role !== this.view.role || next.epoch !== this.view.epoch || next.leaderId !== this.view.leaderId) this.set(next);
    } catch (e) {
      // Cannot renew: leadership ends when the local expiry passes (leads() checks it).
      this.opts.onError?.(e as Error);
    }
  }

  private set(v: LeaseView): void {
    this.view = v;
    this.emit('change', v);
  }
}
