// Turns workload placements into usage entries. An allocation opens when a workload is placed on
// a node and closes when it leaves it: stopped, finished, moved, evicted, or its node lost — then
// at the time the node was lost, not when the loss was noticed. Long runs are cut at each local
// midnight so every entry lies within one day. Open allocations are not entries yet; after a
// restart they are re-opened from the persisted workloads, from where the ledger last closed them.
import type { Accelerator, BenchResult } from '../../protocol/messages.ts';
import { feeFor, type CloseReason, type UsageAccelerator, type UsageEntry } from './entries.ts';
import type { Ledger } from './ledger.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** What the tracker needs of a node. */
export interface UsageNode {
  site: string;
  accelerators: readonly Accelerator[];
  bench: readonly BenchResult[];
  /** When it was lost (its last message), null while it is fine. */
  lostAtMs: number | null;
}

/** What the tracker needs of a workload: structural, so any lifecycle module can feed it. */
export interface UsageWorkload {
  id: string;
  spec: { tenant: string };
  state: string;
  nodeId: string | null;
  acceleratorIndexes: readonly number[];
  /** Set when it runs here for another city (federation overflow). */
  origin?: { city: string; workloadId: string } | null;
  /** Its transitions; the last one's time is when this change happened (else the clock's now). */
  history?: readonly { atMs: number }[];
}

interface Open {
  tenant: string;
  nodeId: string;
  indexes: number[];
  startMs: number;
  site: string;
  accelerators: UsageAccelerator[];
  origin: { city: string; workloadId: string } | null;
}

export interface UsageTrackerOptions {
  ledger: Ledger;
  node: (id: string) => UsageNode | undefined;
  clock?: () => number;
  /** The city's offset from UTC for day ends; Fuzhou is UTC+8. */
  utcOffsetMinutes?: number;
  /** Where a failed write is reported (the entry stays in memory and the chain). */
  onError?: (e: Error) => void;
}

const ACTIVE = new Set(['placed', 'running']);

export class UsageTracker {
  private readonly open = new Map<string, Open>();
  private readonly clock: () => number;
  private readonly offsetMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: UsageTrackerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.offsetMs = (opts.utcOffsetMinutes ?? 480) * 60_000;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Whether the workload holds an allocation not yet closed into an entry. */
  isOpen(workloadId: string): boolean {
    return this.open.has(workloadId);
  }

  /** After a restart: re-open what the persisted workloads hold, from where the ledger last closed each. */
  restore(workloads: Iterable<UsageWorkload>, placedAtMs: (w: UsageWorkload) => number): Promise<void> {
    const lastEnd = new Map<string, number>();
    for (const e of this.opts.ledger.entries()) if (e.kind === 'usage') lastEnd.set(`${e.workloadId}@${e.nodeId}`, e.endMs);
    for (const w of workloads) {
      if (!ACTIVE.has(w.state) || !w.nodeId) continue;
      const from = Math.max(placedAtMs(w), lastEnd.get(`${w.id}@${w.nodeId}`) ?? -Infinity);
      this.openAllocation(w, from);
    }
    return this.rollover(this.clock());
  }

  /** Feed every workload change; returns when what it closed is durable. */
  observe(w: UsageWorkload): Promise<void> {
    const now = w.history?.at(-1)?.atMs ?? this.clock();
    const cur = this.open.get(w.id);
    const active = ACTIVE.has(w.state) && w.nodeId !== null;
    const same = cur && active && cur.nodeId === w.nodeId && sameIndexes(cur.indexes, w.acceleratorIndexes);
    if (same) return Promise.resolve();
    let written: Promise<unknown> = Promise.resolve();
    if (cur) {
      const lost = this.opts.node(cur.nodeId)?.lostAtMs ?? null;
      const reason: CloseReason = lost !== null ? 'node-lost' : closeReasonFor(w.state, active);
      const end = lost !== null ? Math.max(cur.startMs, Math.min(lost, now)) : now;
      written = this.close(w.id, cur, end, reason);
    }
    if (active) this.openAllocation(w, now);
    return written.then(() => undefined);
  }

  /** Closes every allocation at each local midnight passed since it opened, and re-opens it there. */
  rollover(nowMs: number): Promise<void> {
    const closed: UsageEntry[] = [];
    for (const [id, o] of this.open) {
      let boundary = this.nextMidnight(o.startMs);
      while (boundary <= nowMs) {
        closed.push(this.entry(id, o, boundary, 'day-end'));
        o.startMs = boundary;
        boundary += DAY_MS;
      }
    }
    return this.write(closed);
  }

  /** Rolls over at each local midnight while running. */
  start(): void {
    const arm = (): void => {
      const now = this.clock();
      this.timer = setTimeout(() => {
        void this.rollover(this.clock());
        arm();
      }, Math.max(1000, this.nextMidnight(now) - now + 50));
      this.timer.unref();
    };
    arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The first local midnight strictly after t. */
  nextMidnight(t: number): number {
    return Math.floor((t + this.offsetMs) / DAY_MS) * DAY_MS + DAY_MS - this.offsetMs;
  }

  private openAllocation(w: UsageWorkload, startMs: number): void {
    const node = this.opts.node(w.nodeId!);
    const byIndex = new Map((node?.accelerators ?? []).map((a) => [a.index, a]));
    const measured = new Map((node?.bench ?? []).map((b) => [b.target, b.fp16?.tflops]));
    const accelerators = w.acceleratorIndexes.map((i): UsageAccelerator => {
      const a = byIndex.get(i);
      const m = measured.get(`acc:${i}`);
      return {
        index: i,
        vendor: a?.vendor ?? 'unknown',
        model: a?.model ?? 'unknown',
        domestic: a?.domestic ?? false,
        nominalTflops: a?.nominal.tflops ?? 0,
        measuredTflops: typeof m === 'number' ? m : null,
      };
    });
    const origin = w.origin ? { city: w.origin.city, workloadId: w.origin.workloadId } : null;
    this.open.set(w.id, { tenant: w.spec.tenant, nodeId: w.nodeId!, indexes: [...w.acceleratorIndexes], startMs, site: node?.site ?? '', accelerators, origin });
  }

  private close(id: string, o: Open, endMs: number, reason: CloseReason): Promise<void> {
    this.open.delete(id);
    // A run cut at midnights first: the part before each one is its own entry.
    const entries: UsageEntry[] = [];
    let boundary = this.nextMidnight(o.startMs);
    while (boundary < endMs) {
      entries.push(this.entry(id, o, boundary, 'day-end'));
      o.startMs = boundary;
      boundary += DAY_MS;
    }
    entries.push(this.entry(id, o, endMs, reason));
    return this.write(entries);
  }

  private entry(workloadId: string, o: Open, endMs: number, closedBy: CloseReason): UsageEntry {
    const hours = Math.max(0, endMs - o.startMs) / HOUR_MS;
    const nominalTflops = sum(o.accelerators.map((a) => a.nominalTflops));
    const measuredTflops = o.accelerators.every((a) => a.measuredTflops !== null) ? sum(o.accelerators.map((a) => a.measuredTflops!)) : null;
    const pflopsHoursNominal = (nominalTflops / 1000) * hours;
    const acceleratorHours = o.accelerators.length * hours;
    const plan = o.origin ? null : (this.opts.ledger.tenant(o.tenant)?.plan ?? null);
    return {
      kind: 'usage',
      workloadId,
      tenant: o.tenant,
      site: o.site,
      nodeId: o.nodeId,
      accelerators: o.accelerators,
      startMs: o.startMs,
      endMs,
      closedBy,
      nominalTflops,
      measuredTflops,
      pflopsHoursNominal,
      pflopsHoursMeasured: measuredTflops === null ? null : (measuredTflops / 1000) * hours,
      acceleratorHours,
      plan,
      feeCny: feeFor(plan, pflopsHoursNominal, acceleratorHours),
      ...(o.origin ? { origin: o.origin } : {}),
    };
  }

  private write(entries: UsageEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.opts.ledger.append(...entries).then(
      () => undefined,
      (e: Error) => this.opts.onError?.(e),
    );
  }
}

function closeReasonFor(state: string, stillActive: boolean): CloseReason {
  if (stillActive) return 'moved';
  switch (state) {
    case 'stopped':
    case 'completed':
    case 'failed':
    case 'evicted':
      return state;
    default:
      return 'moved';
  }
}

function sameIndexes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sum(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}
