// The city's books as the orchestrator keeps them: the ledger (a file beside the state file, or
// memory for tests), usage from workload placements, and one capacity snapshot a day.
import { join } from 'node:path';
import { localDay } from '../reports/period.ts';
import { siteCapacity, snapshotOf, type CapacityNode } from './capacity.ts';
import { Ledger } from './ledger.ts';
import { FileLedgerStore, MemoryLedgerStore, type LedgerStore } from './store.ts';
import { UsageTracker, type UsageNode, type UsageWorkload } from './usage.ts';

export interface BooksOptions {
  dataDir: string | null;
  store?: LedgerStore;
  nodes: () => Iterable<CapacityNode & { id: string }>;
  node: (id: string) => UsageNode | undefined;
  clock?: () => number;
  utcOffsetMinutes?: number;
  /** The day's snapshot waits this long after start, so the fleet has announced itself. */
  snapshotDelayMs?: number;
  onError?: (e: Error) => void;
}

export class Books {
  private timer: NodeJS.Timeout | null = null;
  private readonly startedAtMs: number;
  private lastSnapshotDay: string | null = null;

  private constructor(
    readonly ledger: Ledger,
    readonly usage: UsageTracker,
    private readonly opts: BooksOptions,
  ) {
    this.startedAtMs = this.clock();
    for (const e of ledger.entries()) if (e.kind === 'snapshot') this.lastSnapshotDay = e.day;
  }

  static async open(opts: BooksOptions): Promise<Books> {
    const store = opts.store ?? (opts.dataDir ? new FileLedgerStore(join(opts.dataDir, 'ledger.jsonl')) : new MemoryLedgerStore());
    const ledger = await Ledger.open(store, opts.clock);
    const usage = new UsageTracker({ ledger, node: opts.node, clock: opts.clock, utcOffsetMinutes: opts.utcOffsetMinutes, onError: opts.onError });
    return new Books(ledger, usage, opts);
  }

  get utcOffsetMinutes(): number {
    return this.opts.utcOffsetMinutes ?? 480;
  }

  /** Re-opens the allocations of the restored workloads, then keeps day ends and snapshots going. */
  async start(restored: Iterable<UsageWorkload>, placedAtMs: (w: UsageWorkload) => number): Promise<void> {
    await this.usage.restore(restored, placedAtMs);
    this.usage.start();
    this.timer = setInterval(() => void this.snapshotIfDue(), 60_000);
    this.timer.unref();
  }

  /** Takes today's snapshot once the fleet has had time to announce itself; true when it wrote one. */
  async snapshotIfDue(force = false): Promise<boolean> {
    const now = this.clock();
    const day = localDay(now, this.utcOffsetMinutes);
    if (!force && (this.lastSnapshotDay === day || now - this.startedAtMs < (this.opts.snapshotDelayMs ?? 60_000))) return false;
    this.lastSnapshotDay = day;
    await this.ledger.append(snapshotOf(day, siteCapacity(this.opts.nodes())));
    return true;
  }

  liveCapacity() {
    return siteCapacity(this.opts.nodes());
  }

  async close(): Promise<void> {
    this.usage.stop();
    if (this.timer) clearInterval(this.timer);
    await this.ledger.close();
  }

  private clock(): number {
    return (this.opts.clock ?? Date.now)();
  }
}
