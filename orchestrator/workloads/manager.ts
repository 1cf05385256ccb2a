// The workload lifecycle: pending → placed → running → (completed | failed | stopped | evicted).
// Placement reserves capacity in the fleet view, dispatch sends a `cmd` and waits for the agent's
// ack, and a placed workload is pinned: it moves only when its node is lost past the grace period
// (policy `replace`), when its measured RTT breaks the SLO for a sustained window, or when an
// operator moves it. Every transition is timestamped and kept.
import type { Logger } from 'pino';
import { FINAL_RUN_STATES, type OverflowAssignment, type OverflowOutcome } from '../../protocol/federation.ts';
import type { Event as AgentEvent } from '../../protocol/messages.ts';
import type { FleetView } from '../fleet/view.ts';
import type { LatencyModel } from '../latency/model.ts';
import { place, placementRequest } from '../placement/place.ts';
import type { Decision } from '../placement/types.ts';
import type { NodeRecord } from '../registry.ts';
import { Dispatch, type Dispatcher } from './dispatch.ts';
import { restoreWorkloads, snapshotWorkloads } from './persist.ts';
import { checkSlo } from './slo.ts';
import { parseWorkloadSpec, type SpecError } from './spec.ts';
import { TERMINAL, holderOf, holdsCapacity, newWorkload, newWorkloadId, type Workload, type WorkloadState } from './workload.ts';
import { currentReplicas, replicaId, spreadFor, unplacedReplicaReason } from './replicas.ts';
import { foreignInput } from './overflow.ts';

export { TERMINAL, type Transition, type Workload, type WorkloadState } from './workload.ts';
export type { Dispatcher } from './dispatch.ts';

export interface ManagerOptions {
  dispatcher: Dispatcher;
  /** The capacity placement reads and reservations go to; kept current by whoever hears the nodes. */
  fleet: FleetView;
  /** Read for placement and SLO checks; ingest feeds it. */
  latency: LatencyModel;
  log?: Logger;
  clock?: () => number;
  /** No ack within this → the next candidate. */
  ackTimeoutMs?: number;
  /** Measured RTT above the SLO for this long → re-placed. */
  sloWindowMs?: number;
  /** Nodes unheard of for longer than this are not placement candidates. */
  freshMs?: number;
  onChange?: (w: Workload) => void;
  onDecision?: (ms: number, placed: boolean) => void;
  onSloViolation?: (w: Workload, rttMs: number) => void;
  /** A workload fits nowhere here and its spec lets it overflow to another city. */
  onOverflowWanted?: (w: Workload) => void;
}

/** `replicas`: every replica's record when the spec asks for more than one (workload is the first). */
export type SubmitResult = { ok: true; workload: Workload; replicas?: Workload[] } | { ok: false; errors: SpecError[] };

export class WorkloadManager {
  private readonly workloads = new Map<string, Workload>();
  private readonly clock: () => number;
  private readonly fleet: FleetView;
  private readonly dispatch: Dispatch;
  /** The fleet (and latency model) a pending workload last failed to fit, so it is not re-tried in vain. */
  private readonly failedAt = new Map<string, string>();
  private readonly sloWindowMs: number;

  constructor(private readonly opts: ManagerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.fleet = opts.fleet;
    this.dispatch = new Dispatch(opts.dispatcher, opts.ackTimeoutMs ?? 5000);
    this.sloWindowMs = opts.sloWindowMs ?? 10_000;
  }

  get(id: string): Workload | undefined {
    return this.workloads.get(id);
  }

  list(): Workload[] {
    return [...this.workloads.values()].sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  }

  submit(input: unknown): SubmitResult {
    const parsed = parseWorkloadSpec(input);
    if (!parsed.ok) return parsed;
    if (parsed.spec.replicas > 1) return this.submitReplicas(input, parsed.spec);
    const w = newWorkload(input, parsed.spec, this.clock());
    this.workloads.set(w.id, w);
    this.tryPlace(w, 'submitted');
    return { ok: true, workload: w };
  }

  private submitReplicas(input: unknown, spec: Workload['spec']): SubmitResult {
    const set = newWorkloadId();
    const now = this.clock();
    const replicas = Array.from({ length: spec.replicas }, (_, i) => newWorkload(input, spec, now, { set, index: i }, replicaId(set, i)));
    for (const r of replicas) this.workloads.set(r.id, r);
    // One at a time, in index order: each is kept apart from the ones placed before it.
    for (const r of replicas) this.tryPlace(r, 'submitted');
    return { ok: true, workload: replicas[0]!, replicas };
  }

  /** The replicas of a set (each index's current record), or [] when no set has that id. */
  replicas(setId: string): Workload[] {
    return currentReplicas(this.workloads.values(), setId);
  }

  /** Re-computes the placement explanation now, without changing anything. */
  explain(id: string): (Decision['explain'] & { evaluatedAtMs: number; chosen: string | null }) | undefined {
    const w = this.workloads.get(id);
    if (!w) return undefined;
    if (w.state !== 'pending' && w.explain) return { ...w.explain, evaluatedAtMs: this.clock(), chosen: w.nodeId };
    const d = this.decide(w);
    return { ...d.explain, evaluatedAtMs: this.clock(), chosen: d.nodeId };
  }

  /** Operator stop: the node is told to stop it, capacity is released at once. */
  stop(id: string, reason = 'stopped by operator'): Workload | undefined {
    const set = this.workloads.has(id) ? [] : this.replicas(id);
    for (const r of set) this.stop(r.id, reason);
    if (set.length) return set[0];
    const w = this.workloads.get(id);
    if (!w) return undefined;
    if (TERMINAL.has(w.state)) return w;
    this.sendStop(w);
    this.transition(w, 'stopped', reason);
    return w;
  }

  /** Operator move: place on the named node if it satisfies every filter, else explain why not. */
  move(id: string, toNode: string): { ok: true; workload: Workload } | { ok: false; status: 404 | 409; message: string; explain?: Decision['explain'] } {
    const w = this.workloads.get(id);
    if (!w) return { ok: false, status: 404, message: `no workload "${id}"` };
    if (TERMINAL.has(w.state)) return { ok: false, status: 409, message: `workload ${id} is ${w.state}; submit it again instead` };
    // Its own reservation on the target must not count against it.
    const only = this.fleet.alone(toNode, w.id);
    if (!only) return { ok: false, status: 404, message: `no node "${toNode}"` };
    const d = place(placementRequest(w.spec, { spread: this.spreadOf(w) }), only, this.opts.latency, { nowMs: this.clock(), freshMs: this.opts.freshMs, topN: 1 });
    if (d.nodeId === null || d.evict.length) {
      return { ok: false, status: 409, message: `node ${toNode} cannot take ${id}: ${d.explain.filters.find((f) => f.removed)?.reasons[0] ?? 'it does not fit'}`, explain: d.explain };
    }
    this.unpin(w, `moved by operator to ${toNode}`);
    this.commit(w, d, `moved by operator to ${toNode}`);
    return { ok: true, workload: w };
  }

  /** A node's status changed: start (or end) the grace period of what is pinned to it. */
  nodeChanged(n: NodeRecord): void {
    if (!n.birth) return;
    const now = this.clock();
    for (const w of this.workloads.values()) {
      if (w.nodeId !== n.id || TERMINAL.has(w.state)) continue;
      if (n.status === 'online') {
        if (w.nodeLostAtMs !== null) this.note(w, `node ${n.id} is back`);
        w.nodeLostAtMs = null;
      } else if (w.nodeLostAtMs === null) {
        w.nodeLostAtMs = now;
        this.note(w, `node ${n.id} lost (${n.statusReason}); policy ${w.spec.disconnect.policy}, grace ${w.spec.disconnect.graceMs} ms`);
      }
    }
  }

  /** A node announced what it runs: pin what matches, stop what was re-placed elsewhere. */
  reconcile(n: NodeRecord): void {
    const running = new Set(n.birth?.runningWorkloads ?? []);
    for (const id of running) {
      const w = this.workloads.get(id);
      if (!w) continue;
      if (w.nodeId === n.id && (w.state === 'placed' || w.state === 'running')) {
        if (w.state === 'placed') this.transition(w, 'running', `node ${n.id} reports it running`);
      } else {
        // It was re-placed (or ended) while this node was away: the copy here is stale.
        this.opts.log?.info({ workload: id, node: n.id, now: w.nodeId, state: w.state }, 'stopping a stale copy on a returning node');
        this.dispatch.stop(n.id, id);
        this.note(w, `stale copy on returning node ${n.id} told to stop`);
      }
    }
    for (const w of this.workloads.values()) {
      if (w.nodeId === n.id && w.state === 'running' && !running.has(w.id) && n.birth) {
        // The node came back without it (e.g. rebooted with a lost state dir): run it again there.
        this.note(w, `node ${n.id} no longer runs it; dispatching again`);
        this.send(w);
      }
    }
  }

  /** An agent's event: an ack by correlation id, or a workload state change. */
  onEvent(nodeId: string, e: AgentEvent): void {
    if (e.kind === 'ack') {
      const w = this.byCorrelation(e.correlationId);
      if (!w || w.nodeId !== nodeId) return;
      this.dispatch.clearAck(w.id);
      if (!e.ack.ok) this.failDispatch(w, `node ${nodeId} refused: ${e.ack.error}`);
      return;
    }
    if (e.kind !== 'workload') return;
    const w = this.workloads.get(e.workload.workloadId);
    if (!w || w.nodeId !== nodeId || TERMINAL.has(w.state)) return;
    this.dispatch.clearAck(w.id);
    const s = e.workload;
    w.exitCode = s.state === 'completed' || s.state === 'failed' ? s.exitCode : w.exitCode;
    w.message = s.message || w.message;
    switch (s.state) {
      case 'accepted':
        return;
      case 'running':
      case 'restarting':
        if (w.state !== 'running') this.transition(w, 'running', s.state === 'running' ? `pid ${s.pid}` : `restarting (attempt ${s.attempt})`);
        else if (s.state === 'restarting') this.note(w, `restarting (attempt ${s.attempt}): ${s.message}`);
        return;
      case 'completed':
        this.transition(w, 'completed', `exit ${s.exitCode}`);
        return;
      case 'failed':
        this.transition(w, 'failed', s.message || `exit ${s.exitCode}`);
        return;
      case 'stopped':
        this.transition(w, 'stopped', s.message || 'stopped on the node');
        return;
    }
  }

  /** Periodic work: grace periods, sustained SLO breaches, and pending workloads. */
  tick(): void {
    const now = this.clock();
    for (const w of this.workloads.values()) {
      if (TERMINAL.has(w.state) || w.state === 'overflowed') continue;
      if (w.state === 'pending') {
        if (this.failedAt.get(w.id) !== this.fitKey(w)) this.tryPlace(w, 'retry');
        continue;
      }
      if (w.nodeLostAtMs !== null && now - w.nodeLostAtMs >= w.spec.disconnect.graceMs) {
        if (w.spec.disconnect.policy === 'replace') {
          this.unpin(w, `node ${w.nodeId} lost past grace ${w.spec.disconnect.graceMs} ms`);
          this.tryPlace(w, 're-placed after node loss');
        }
        continue;
      }
      this.applySlo(w, now);
    }
  }

  private applySlo(w: Workload, now: number): void {
    const v = checkSlo(w, this.opts.latency, now, this.sloWindowMs);
    if (v.kind === 'breached') {
      this.opts.onSloViolation?.(w, v.rttMs);
      this.note(w, `measured RTT ${v.rttMs.toFixed(2)} ms breaks the ${w.spec.latency!.maxRttMs} ms SLO`);
    } else if (v.kind === 'sustained') {
      const from = w.nodeId!;
      this.unpin(w, `SLO broken for ${this.sloWindowMs} ms on ${from}`);
      w.excluded.push(from);
      this.tryPlace(w, 're-placed after a sustained SLO breach');
    }
  }

  private decide(w: Workload): Decision {
    return place(placementRequest(w.spec, { exclude: w.excluded, spread: this.spreadOf(w) }), this.fleet.index, this.opts.latency, { nowMs: this.clock(), freshMs: this.opts.freshMs });
  }

  private spreadOf(w: Workload) {
    return w.replica ? spreadFor(w, this.replicas(w.replica.set), this.fleet) : null;
  }

  private tryPlace(w: Workload, why: string): void {
    const t0 = performance.now();
    const d = this.decide(w);
    this.opts.onDecision?.(performance.now() - t0, d.nodeId !== null);
    w.explain = d.explain;
    if (d.nodeId === null) {
      this.failedAt.set(w.id, this.fitKey(w));
      const last = w.history.at(-1)!;
      const blocked = `no node fits: ${d.explain.blockedBy ?? 'empty fleet'}`;
      const reason = w.replica ? `${blocked}; ${unplacedReplicaReason(w, this.replicas(w.replica.set), d.explain)}` : blocked;
      if (w.origin) {
        // Work for another city does not wait here: the upstream offers it to the next city.
        w.origin.refusedReason = reason;
        this.transition(w, 'stopped', `refused overflow from ${w.origin.city}: ${reason}`);
        return;
      }
      if (last.reason !== reason) this.note(w, reason);
      if (w.spec.overflow.allowed && !w.replica) this.opts.onOverflowWanted?.(w);
      return;
    }
    const victims = d.evict.map((id) => this.workloads.get(id)).filter((v): v is Workload => v !== undefined);
    for (const v of victims) {
      this.sendStop(v);
      this.transition(v, 'evicted', `preempted by ${w.id} (priority ${w.spec.priority})`);
    }
    this.commit(w, d, why);
    // Only after the winner holds the freed capacity may the evicted work look for a place.
    for (const v of victims) this.requeue(v);
  }

  private commit(w: Workload, d: Decision, why: string): void {
    w.nodeId = d.nodeId;
    w.acceleratorIndexes = d.acceleratorIndexes;
    w.rttMs = d.rttMs;
    w.rttMeasured = d.rttMeasured;
    w.explain = d.explain;
    w.sloBreachSinceMs = null;
    w.nodeLostAtMs = null;
    this.fleet.reserve(d.nodeId!, d.acceleratorIndexes, holderOf(w));
    this.failedAt.delete(w.id);
    const rtt = d.rttMs === null ? '' : `, RTT ${d.rttMs.toFixed(2)} ms ${d.rttMeasured ? 'measured' : 'estimated'}`;
    this.transition(w, 'placed', `${why}: on ${d.nodeId}${rtt}`);
    this.send(w);
  }

  /** Evicted work goes back in the queue as a new pending workload with the same spec. */
  private requeue(v: Workload): void {
    if (v.origin) {
      v.origin.refusedReason = `evicted here by ${v.history.at(-1)?.reason ?? 'higher-priority work'}`;
      this.opts.onChange?.(v);
      return;
    }
    if (v.replica) {
      // A replica comes back as the same replica of its set (a fresh record), not as a new set.
      const again = newWorkload(v.input, v.spec, this.clock(), v.replica, `${replicaId(v.replica.set, v.replica.index)}-${newWorkloadId().slice(2, 6)}`);
      this.workloads.set(again.id, again);
      this.note(v, `re-queued as ${again.id}`);
      this.tryPlace(again, `re-queued after eviction of ${v.id}`);
      return;
    }
    const r = this.submit(v.input);
    if (!r.ok) return;
    this.note(r.workload, `re-queued after eviction of ${v.id}`);
    this.note(v, `re-queued as ${r.workload.id}`);
  }

  private send(w: Workload): void {
    this.dispatch.run(w, (why) => this.failDispatch(w, why));
  }

  private failDispatch(w: Workload, why: string): void {
    this.dispatch.clearAck(w.id);
    if (w.state !== 'placed' || !w.nodeId) return;
    const node = w.nodeId;
    w.excluded.push(node);
    this.unpin(w, why);
    this.tryPlace(w, `next candidate after ${node} failed`);
  }

  /** Releases the reservation and sends the workload back to pending. */
  private unpin(w: Workload, why: string): void {
    this.dispatch.clearAck(w.id);
    if (w.nodeId) {
      this.fleet.release(w.id, w.nodeId);
      if (w.state === 'running' || w.state === 'placed') this.sendStop(w);
    }
    w.nodeId = null;
    w.acceleratorIndexes = [];
    w.rttMs = null;
    this.transition(w, 'pending', why);
  }

  private sendStop(w: Workload): void {
    if (w.nodeId) this.dispatch.stop(w.nodeId, w.id);
  }

  private transition(w: Workload, state: WorkloadState, reason: string): void {
    w.state = state;
    w.history.push({ state, atMs: this.clock(), reason, nodeId: w.nodeId });
    if (TERMINAL.has(state)) {
      this.dispatch.clearAck(w.id);
      if (w.nodeId) this.fleet.release(w.id, w.nodeId);
      this.dispatch.forget(w);
      this.failedAt.delete(w.id);
    }
    this.opts.log?.info({ workload: w.id, state, node: w.nodeId, reason }, 'workload');
    this.opts.onChange?.(w);
  }

  /** A fact worth keeping that is not a state change. */
  private note(w: Workload, reason: string): void {
    w.history.push({ state: w.state, atMs: this.clock(), reason, nodeId: w.nodeId });
    this.opts.onChange?.(w);
  }

  private byCorrelation(id: string): Workload | undefined {
    const w = this.workloads.get(this.dispatch.workloadFor(id) ?? '');
    return w?.correlationId === id ? w : undefined;
  }

  /** What a decision for w depends on besides the clock: the fleet, and the model if it has an SLO. */
  private fitKey(w: Workload): string {
    return w.spec.latency ? `${this.fleet.version}:${this.opts.latency.version}` : String(this.fleet.version);
  }

  /**
   * This city's work for the upstream to place elsewhere: pending work that fits nowhere here and
   * may overflow, and work that runs elsewhere now; and stopped work whose last usage is awaited.
   */
  overflowAsks(): { asks: Workload[]; cancels: Workload[] } {
    const asks: Workload[] = [];
    const cancels: Workload[] = [];
    for (const w of this.workloads.values()) {
      if (w.state === 'overflowed' || (w.state === 'pending' && w.spec.overflow.allowed && !w.replica && !w.origin && this.failedAt.has(w.id))) asks.push(w);
      else if (TERMINAL.has(w.state) && w.overflow && !w.overflow.final) cancels.push(w);
    }
    return { asks, cancels };
  }

  /** The upstream's word on one of this city's asks. */
  applyOverflow(o: OverflowOutcome): void {
    const w = this.workloads.get(o.id);
    if (!w || w.origin) return;
    const final = FINAL_RUN_STATES.has(o.state);
    const before = w.overflow;
    w.overflow = { ...o, final };
    const where = o.city ? `in ${o.city}${o.site ? ` (site ${o.site})` : ''}` : 'elsewhere';
    if (TERMINAL.has(w.state)) {
      // Stopped here while it ran elsewhere: this is its last usage, nothing changes state.
      if (final && !before?.final) this.note(w, `${where} ${o.state}: ${o.reason}`);
      return;
    }
    if (w.state === 'placed' || w.state === 'running') return; // placed here meanwhile: the upstream cancels its copy
    const running = o.state === 'assigned' || o.state === 'placed' || o.state === 'running';
    if (w.state === 'pending') {
      if (running || final) this.transition(w, 'overflowed', `overflowed to ${o.city}: ${o.reason}`);
      else if (before?.reason !== o.reason) this.note(w, `upstream: ${o.reason}`);
      if (!final) return;
    }
    if (final) {
      w.exitCode = o.state === 'completed' ? 0 : w.exitCode;
      this.transition(w, o.state as WorkloadState, `${where}: ${o.reason}`);
    } else if (o.state === 'unplaced') {
      this.transition(w, 'pending', `upstream: ${o.reason}`);
    } else if (before?.state !== o.state || before.city !== o.city) {
      this.note(w, `${where} ${o.state}: ${o.reason}`);
    } else {
      this.opts.onChange?.(w);
    }
  }

  /**
   * Work another city asked for through the upstream: placed here by the same rules under the
   * spec's cross-city SLO, or refused (stopped at once, the reason kept) so the upstream tries
   * the next city. The same id twice is the same work.
   */
  acceptForeign(a: OverflowAssignment): Workload | { refused: string } {
    const had = this.workloads.get(a.id);
    if (had && had.origin?.city !== a.origin) return { refused: `id ${a.id} is in use here` };
    if (had?.origin && TERMINAL.has(had.state)) {
      // Offered again: a refusal is retried (capacity may have freed); an end is reported again.
      had.origin.acked = false;
      if (had.origin.refusedReason !== null) {
        had.origin.refusedReason = null;
        had.excluded = [];
        this.transition(had, 'pending', `offered again by the upstream for ${a.origin}`);
        this.tryPlace(had, `overflow from ${a.origin} via the upstream`);
      }
      return had;
    }
    if (had) return had;
    const input = foreignInput(a);
    const parsed = parseWorkloadSpec(input);
    if (!parsed.ok) return { refused: `its spec does not validate here: ${parsed.errors.map((e) => `${e.path} ${e.message}`).join('; ')}` };
    const w = newWorkload(input, parsed.spec, this.clock(), null, a.id);
    w.origin = { city: a.origin, workloadId: a.id, refusedReason: null, acked: false };
    this.workloads.set(w.id, w);
    this.tryPlace(w, `overflow from ${a.origin} via the upstream`);
    return w;
  }

  /** Work run for another city whose final report the upstream has taken: kept, no longer reported. */
  acknowledgeForeign(id: string): void {
    const w = this.workloads.get(id);
    if (!w?.origin || w.origin.acked) return;
    w.origin.acked = true;
    this.opts.onChange?.(w);
  }

  snapshot(): Workload[] {
    return snapshotWorkloads(this.list());
  }

  /**
   * Restores workloads after an orchestrator restart. Specs are re-validated; reservations are
   * re-made in the fleet view (applied as nodes re-announce themselves), and reconcile() matches
   * what they run.
   */
  restore(items: unknown[]): { restored: number; problems: string[] } {
    const { workloads, problems } = restoreWorkloads(items);
    for (const w of workloads) {
      this.workloads.set(w.id, w);
      this.dispatch.remember(w);
      if (holdsCapacity(w)) this.fleet.reserve(w.nodeId, w.acceleratorIndexes, holderOf(w));
    }
    return { restored: this.workloads.size, problems };
  }

  /**
   * A new leader: every workload pinned to an online node is sent its last dispatch again (same
   * correlation id). The agent answers with its state, or how the work ended meanwhile, and never
   * runs one dispatch twice, so an ack or an end the last leader took with it is not lost.
   */
  resendDispatches(online: (nodeId: string) => boolean): number {
    let n = 0;
    for (const w of this.workloads.values()) {
      if (!holdsCapacity(w) || !w.correlationId || !online(w.nodeId)) continue;
      this.dispatch.resend(w, (why) => this.failDispatch(w, why));
      n++;
    }
    return n;
  }

  /** Drops what is held in memory and restores `items` (a standby following the leader's commits). */
  replace(items: unknown[]): { restored: number; problems: string[] } {
    for (const w of this.workloads.values()) {
      if (holdsCapacity(w)) this.fleet.release(w.id, w.nodeId);
      this.dispatch.forget(w);
    }
    this.workloads.clear();
    return this.restore(items);
  }

  close(): void {
    this.dispatch.close();
  }
}
