// A member city's side of overflow: before each summary POST, what it asks the upstream to place
// elsewhere and what it runs (or gave back) for other cities; after each reply, the work it is
// to run, the work to stop, and how its own asks fare. Usage reported for work run here is what
// this city's ledger holds for it (closed allocations), so both cities show the same figures.
import {
  FINAL_RUN_STATES,
  noOverflowUsage,
  type MemberOverflow,
  type OverflowReport,
  type OverflowUsage,
  type UpstreamOverflow,
} from '../../protocol/federation.ts';
import type { LatLon } from '../latency/geo.ts';
import type { LatencyTarget } from '../latency/types.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { WorkloadManager } from '../workloads/manager.ts';
import { overflowWork } from '../workloads/overflow.ts';
import type { Workload } from '../workloads/workload.ts';

export interface OverflowMemberSources {
  manager: Pick<WorkloadManager, 'overflowAsks' | 'applyOverflow' | 'acceptForeign' | 'acknowledgeForeign' | 'stop' | 'list' | 'get'>;
  locate: (t: LatencyTarget) => LatLon | undefined;
  /** The city's ledger once open (null before), and whether a workload still has an allocation open. */
  ledger: () => Ledger | null;
  isOpen: (workloadId: string) => boolean;
  /** Where a node stands (site, district), for reports. */
  where: (nodeId: string) => { site: string; district: string } | undefined;
  clock?: () => number;
  log?: { info: (o: object, msg: string) => void; warn: (o: object, msg: string) => void };
}

export class OverflowMember {
  /** Usage entries of work run for other cities, summed per workload as the ledger grows. */
  private readonly usage = new Map<string, OverflowUsage>();
  private scanned = 0;
  /** Assignments refused before a workload record existed (a spec that does not validate here), and cancels of ids never held. */
  private readonly refusals = new Map<string, OverflowReport>();
  private readonly clock: () => number;

  constructor(private readonly src: OverflowMemberSources) {
    this.clock = src.clock ?? Date.now;
  }

  /** What goes up with the next POST. */
  async body(): Promise<MemberOverflow> {
    const ledger = this.src.ledger();
    // A report's usage must be on disk: a final one is the runner's last word on it.
    await ledger?.settled();
    this.scan(ledger);
    const { asks, cancels } = this.src.manager.overflowAsks();
    const reports: OverflowReport[] = [...this.refusals.values()];
    for (const w of this.src.manager.list()) {
      if (!w.origin || w.origin.acked) continue;
      const r = this.reportOf(w);
      if (r) reports.push(r);
    }
    // Sent even when empty: the reply is where work assigned to this city arrives.
    return { asks: asks.map((w) => overflowWork(w, this.src.locate)), cancels: cancels.map((w) => w.id), reports };
  }

  /** The upstream's answer: run what is assigned here, stop what was cancelled, learn how asks fare. */
  apply(reply: UpstreamOverflow, sent: MemberOverflow | undefined): void {
    const m = this.src.manager;
    const assigned = new Set(reply.assignments.map((a) => a.id));
    // A final report the upstream took: it no longer assigns (or cancels) that id here.
    const cancelled = new Set(reply.cancels.map((c) => c.id));
    for (const r of sent?.reports ?? []) {
      if (!FINAL_RUN_STATES.has(r.state) || assigned.has(r.id) || cancelled.has(r.id)) continue;
      this.refusals.delete(r.id);
      m.acknowledgeForeign(r.id);
    }
    for (const a of reply.assignments) {
      if (this.refusals.has(a.id)) continue;
      const had = m.get(a.id);
      if (had && !had.origin?.acked && had.origin?.refusedReason === null) continue;
      const got = m.acceptForeign(a);
      if ('refused' in got) {
        this.refusals.set(a.id, this.refusal(a.id, a.origin, got.refused));
        this.src.log?.warn({ workload: a.id, origin: a.origin, reason: got.refused }, 'overflow refused');
      } else {
        this.src.log?.info({ workload: a.id, origin: a.origin, state: got.state, node: got.nodeId }, 'overflow from another city');
      }
    }
    for (const c of reply.cancels) {
      const w = m.get(c.id);
      if (w?.origin?.city === c.origin) m.stop(c.id, `stopped by ${c.origin}, its city`);
      else if (!w && !this.refusals.has(c.id)) this.refusals.set(c.id, this.refusal(c.id, c.origin, 'never started here', 'stopped'));
    }
    for (const o of reply.outcomes) m.applyOverflow(o);
  }

  /** Null while a final state's usage is not yet in the ledger (its allocation is still closing). */
  private reportOf(w: Workload): OverflowReport | null {
    const origin = w.origin!;
    const final = w.state === 'completed' || w.state === 'failed' || w.state === 'stopped' || w.state === 'evicted';
    if (final && this.src.isOpen(w.id)) return null;
    const state = origin.refusedReason !== null ? 'refused' : w.state === 'evicted' ? 'stopped' : w.state === 'pending' ? 'placed' : w.state;
    const node = w.nodeId ?? w.history.findLast((h) => h.nodeId !== null)?.nodeId ?? null;
    const at = node ? this.src.where(node) : undefined;
    return {
      id: w.id,
      origin: origin.city,
      state: state as OverflowReport['state'],
      reason: origin.refusedReason ?? w.history.at(-1)!.reason,
      site: at?.site ?? null,
      district: at?.district ?? null,
      rttMs: w.rttMs,
      usage: this.usage.get(w.id) ?? noOverflowUsage(),
      atMs: w.history.at(-1)!.atMs,
    };
  }

  private refusal(id: string, origin: string, reason: string, state: 'refused' | 'stopped' = 'refused'): OverflowReport {
    return { id, origin, state, reason, site: null, district: null, rttMs: null, usage: noOverflowUsage(), atMs: this.clock() };
  }

  private scan(ledger: Ledger | null): void {
    if (!ledger) return;
    const entries = ledger.entries();
    for (; this.scanned < entries.length; this.scanned++) {
      const e = entries[this.scanned]!;
      if (e.kind !== 'usage' || !e.origin) continue;
      const u = this.usage.get(e.workloadId) ?? noOverflowUsage();
      u.acceleratorHours += e.acceleratorHours;
      u.pflopsHoursNominal += e.pflopsHoursNominal;
      u.pflopsHoursMeasured = u.pflopsHoursMeasured === null || e.pflopsHoursMeasured === null ? null : u.pflopsHoursMeasured + e.pflopsHoursMeasured;
      u.entries++;
      this.usage.set(e.workloadId, u);
    }
  }
}
