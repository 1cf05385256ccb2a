// The city side: on each period, take a summary and send it upward with whatever earlier ones an
// outage held back (oldest first, in batches). An unreachable upstream changes nothing locally:
// the summary waits in a bounded backlog and the next period tries again.
import { Value } from '@sinclair/typebox/value';
import { MAX_BACKLOG, MAX_SUMMARIES_PER_POST, SummariesReplySchema, type CitySummary, type Landmark, type MemberOverflow, type UpstreamOverflow } from '../../protocol/federation.ts';

const NUDGE_GAP_MS = 1000;

export interface UpstreamOptions {
  city: string;
  url: string;
  token: string;
  periodMs: number;
  /** Builds this period's summary with the landmarks the upstream last published. */
  summarize: (seq: number, atMs: number, landmarks: readonly Landmark[]) => CitySummary;
  clock?: () => number;
  timeoutMs?: number;
  log?: { warn: (o: object, msg: string) => void; info: (o: object, msg: string) => void };
  /** Overflow rides on each POST: what to send (built just before it), and what to do with the answer. */
  overflow?: { body: () => Promise<MemberOverflow | undefined>; apply: (reply: UpstreamOverflow, sent: MemberOverflow | undefined) => void };
}

export interface UpstreamStatus {
  url: string;
  city: string;
  periodMs: number;
  reachable: boolean;
  lastOkMs: number | null;
  lastError: string | null;
  backlog: number;
  /** Summaries dropped because the backlog was full (an outage longer than MAX_BACKLOG periods). */
  dropped: number;
  sent: number;
  landmarks: Landmark[];
}

export class UpstreamLink {
  private seq = 0;
  private readonly backlog: CitySummary[] = [];
  private landmarks: Landmark[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastTickMs = -Infinity;
  private readonly status: UpstreamStatus;
  private readonly clock: () => number;

  constructor(private readonly opts: UpstreamOptions) {
    this.clock = opts.clock ?? Date.now;
    this.status = { url: opts.url, city: opts.city, periodMs: opts.periodMs, reachable: false, lastOkMs: null, lastError: null, backlog: 0, dropped: 0, sent: 0, landmarks: [] };
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.opts.periodMs);
    this.timer.unref();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.flushing ?? Promise.resolve();
  }

  view(): UpstreamStatus {
    return { ...this.status, backlog: this.backlog.length, landmarks: [...this.landmarks] };
  }

  /** An exchange now rather than at the next period (work to overflow); one at a time, as ticks are. */
  nudge(): void {
    // At most one a second: work that fits nowhere is re-tried on every fleet change.
    if (this.timer && !this.flushing && this.clock() - this.lastTickMs >= NUDGE_GAP_MS) void this.tick();
  }

  /** One period: a new summary, then send what is waiting. */
  async tick(): Promise<void> {
    this.lastTickMs = this.clock();
    this.backlog.push(this.opts.summarize(++this.seq, this.clock(), this.landmarks));
    if (this.backlog.length > MAX_BACKLOG) this.status.dropped += this.backlog.splice(0, this.backlog.length - MAX_BACKLOG).length;
    // A flush still running (a slow upstream) sends the new summary too; never two at once.
    this.flushing ??= this.flush().finally(() => (this.flushing = null));
    await this.flushing;
  }

  private async flush(): Promise<void> {
    while (this.backlog.length > 0) {
      const batch = this.backlog.slice(0, MAX_SUMMARIES_PER_POST);
      const ok = await this.post(batch);
      if (!ok) return;
      this.backlog.splice(0, batch.length);
      this.status.sent += batch.length;
    }
  }

  private async post(summaries: CitySummary[]): Promise<boolean> {
    const url = `${this.opts.url.replace(/\/+$/, '')}/v1/federation/summaries`;
    try {
      const overflow = await this.opts.overflow?.body();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(overflow ? { summaries, overflow } : { summaries }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? Math.min(10_000, this.opts.periodMs)),
      });
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) {
        const said = (body as { message?: string } | null)?.message ?? '';
        return this.failed(`upstream answered HTTP ${res.status}${said ? `: ${said}` : ''}`);
      }
      if (!Value.Check(SummariesReplySchema, body)) return this.failed('upstream reply is not a federation summaries reply');
      this.landmarks = body.landmarks;
      if (body.overflow) {
        try {
          this.opts.overflow?.apply(body.overflow, overflow);
        } catch (e) {
          this.opts.log?.warn({ upstream: this.opts.url, err: (e as Error).message }, 'the upstream\'s overflow answer could not be applied; the next exchange carries it again');
        }
      }
      if (!this.status.reachable) this.opts.log?.info({ upstream: this.opts.url, backlog: this.backlog.length }, 'upstream reachable; sending held-back summaries');
      this.status.reachable = true;
      this.status.lastOkMs = this.clock();
      this.status.lastError = null;
      return true;
    } catch (e) {
      const cause = (e as Error & { cause?: { code?: string } }).cause;
      return this.failed(`cannot reach upstream ${this.opts.url} (${cause?.code ?? (e as Error).message}); summaries wait (${this.backlog.length} held) and go with the next period`);
    }
  }

  private failed(why: string): false {
    if (this.status.reachable || this.status.lastError === null) this.opts.log?.warn({ upstream: this.opts.url }, why);
    this.status.reachable = false;
    this.status.lastError = why;
    return false;
  }
}
