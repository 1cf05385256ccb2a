// The workload lifecycle: pending → placed → running → (completed | failed | stopped | evicted).
// Placement reserves capacity, dispatch sends a `cmd` and waits for the agent's ack, and a
// placed workload is pinned: it moves only when its node is lost past the grace period (policy
// `replace`), when its measured RTT breaks the SLO for a sustained window, or when an operator
// moves it. Every transition is timestamped and kept.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Event as AgentEvent, CommandAction } from '../../protocol/messages.ts';
import type { LatencyModel } from '../latency/model.ts';
import { nodeEfficiency } from '../fleet/efficiency.ts';
import { PlacementIndex, place, placementRequest } from '../placement/place.ts';
import type { Decision, PlacementNode } from '../placement/types.ts';
import type { NodeRecord } from '../registry.ts';
import { parseWorkloadSpec, type SpecError, type WorkloadSpec } from './spec.ts';

export type WorkloadState = 'pending' | 'placed' | 'running' | 'completed' | 'failed' | 'stopped' | 'evicted';
export const TERMINAL: ReadonlySet<WorkloadState> = new Set(['completed', 'failed', 'stopped', 'evicted']);

export interface Transition {
  state: WorkloadState;
  atMs: number;
  reason: string;
  nodeId: string | null;
}

export interface Workload {
  id: string;
  /** What the client sent, kept so a restart re-validates it with the current rules. */
  input: unknown;
  spec: WorkloadSpec;
  state: WorkloadState;
  nodeId: string | null;
  acceleratorIndexes: number[];
  rttMs: number | null;
  rttMeasured: boolean;
  correlationId: string | null;
  createdAtMs: number;
  history: Transition[];
  explain: Decision['explain'] | null;
  /** When its node was lost (orchestrator clock); null while the node is fine. */
  nodeLostAtMs: number | null;
  /** Since when measured RTT has broken the SLO; null while it holds. */
  sloBreachSinceMs: number | null;
  /** Nodes that did not ack a dispatch in time: skipped when re-placing. */
  excluded: string[];
  exitCode: number | null;
  message: string;
}

export interface Dispatcher {
  command(nodeId: string, action: CommandAction, correlationId?: string): Promise<string>;
}

export interface ManagerOptions {
  dispatcher: Dispatcher;
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
}

export type SubmitResult = { ok: true; workload: Workload } | { ok: false; errors: SpecError[] };

export class WorkloadManager {
  readonly index = new PlacementIndex();
  private readonly workloads = new Map<string, Workload>();
  private readonly clock: () => number;
  private readonly ackTimers = new Map<string, NodeJS.Timeout>();
  private readonly byCorrelationId = new Map<string, string>();
  /** Bumped whenever the fleet's capacity or membership changes: a pending retry needs a change. */
  private fleetVersion = 0;
  /** The fleet (and latency model) a pending workload last failed to fit, so it is not re-tried in vain. */
  private readonly failedAt = new Map<string, string>();
  private readonly ackTimeoutMs: number;
  private readonly sloWindowMs: number;

  constructor(private readonly opts: ManagerOptions) {
    this.clock = opts.clock ?? Date.now;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
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
    const now = this.clock();
    const w: Workload = {
      id: `w-${randomUUID().slice(0, 12)}`,
      input,
      spec: parsed.spec,
      state: 'pending',
      nodeId: null,
      acceleratorIndexes: [],
      rttMs: null,
      rttMeasured: false,
      correlationId: null,
      createdAtMs: now,
      history: [{ state: 'pending', atMs: now, reason: 'submitted', nodeId: null }],
      explain: null,
      nodeLostAtMs: null,
      sloBreachSinceMs: null,
      excluded: [],
      exitCode: null,
      message: '',
    };
    this.workloads.set(w.id, w);
    this.tryPlace(w, 'submitted');
    return { ok: true, workload: w };
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
    const target = this.index.get(toNode);
    if (!target) return { ok: false, status: 404, message: `no node "${toNode}"` };
    const only = new PlacementIndex([structuredClone(target)]);
    // Its own reservation on the target must not count against it.
    only.release(w.id, toNode);
    const d = place(placementRequest(w.spec), only, this.opts.latency, { nowMs: this.clock(), freshMs: this.opts.freshMs, topN: 1 });
    if (d.nodeId === null || d.evict.length) {
      return { ok: false, status: 409, message: `node ${toNode} cannot take ${id}: ${d.explain.filters.find((f) => f.removed)?.reasons[0] ?? 'it does not fit'}`, explain: d.explain };
    }
    this.unpin(w, `moved by operator to ${toNode}`);
    this.commit(w, d, `moved by operator to ${toNode}`);
    return { ok: true, workload: w };
  }

  /** The registry's view of a node changed (birth, bench, status): refresh its placement view. */
  nodeChanged(n: NodeRecord): void {
    if (!n.birth) return;
    const view = placementNode(n);
    for (const w of this.workloads.values()) {
      if (w.nodeId !== n.id || TERMINAL.has(w.state)) continue;
      for (const a of view.accelerators) {
        if (w.acceleratorIndexes.includes(a.index)) a.allocatedTo = { workload: w.id, priority: w.spec.priority, preemptible: w.spec.preemptible };
      }
    }
    this.index.upsert(view);
    this.fleetVersion++;
    const { lat, lon } = n.birth.location;
    this.opts.latency.setLocation(n.id, { lat, lon });
    // The latency model names places and landmarks by their bare ids.
    if (n.birth.location.site) this.opts.latency.setLocation(n.birth.location.site, { lat, lon }, { place: true });
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

  /** Any message from a node: it is fresh for placement. */
  touch(nodeId: string, lastSeenMs: number): void {
    const v = this.index.get(nodeId);
    if (v) v.lastSeenMs = lastSeenMs;
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
        void this.opts.dispatcher.command(n.id, { action: 'stop', stop: { workloadId: id, graceMs: 5000 } }).catch(() => undefined);
        this.note(w, `stale copy on returning node ${n.id} told to stop`);
      }
    }
    for (const w of this.workloads.values()) {
      if (w.nodeId === n.id && w.state === 'running' && !running.has(w.id) && n.birth) {
        // The node came back without it (e.g. rebooted with a lost state dir): run it again there.
        this.note(w, `node ${n.id} no longer runs it; dispatching again`);
        this.dispatch(w);
      }
    }
  }

  /** An agent's event: an ack by correlation id, or a workload state change. */
  onEvent(nodeId: string, e: AgentEvent): void {
    if (e.kind === 'ack') {
      const w = this.byCorrelation(e.correlationId);
      if (!w || w.nodeId !== nodeId) return;
      this.clearAck(w.id);
      if (!e.ack.ok) this.failDispatch(w, `node ${nodeId} refused: ${e.ack.error}`);
      return;
    }
    if (e.kind !== 'workload') return;
    const w = this.workloads.get(e.workload.workloadId);
    if (!w || w.nodeId !== nodeId || TERMINAL.has(w.state)) return;
    this.clearAck(w.id);
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
      if (TERMINAL.has(w.state)) continue;
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
      this.checkSlo(w, now);
    }
  }

  private checkSlo(w: Workload, now: number): void {
    if (!w.spec.latency || !w.nodeId) return;
    const est = this.opts.latency.estimateTo(w.nodeId, w.spec.latency.to);
    if (!est) return;
    w.rttMs = est.rttMs;
    w.rttMeasured = est.measured;
    if (!est.measured || est.rttMs <= w.spec.latency.maxRttMs) {
      w.sloBreachSinceMs = null;
      return;
    }
    if (w.sloBreachSinceMs === null) {
      w.sloBreachSinceMs = now;
      this.opts.onSloViolation?.(w, est.rttMs);
      this.note(w, `measured RTT ${est.rttMs.toFixed(2)} ms breaks the ${w.spec.latency.maxRttMs} ms SLO`);
    } else if (now - w.sloBreachSinceMs >= this.sloWindowMs) {
      const from = w.nodeId;
      this.unpin(w, `SLO broken for ${this.sloWindowMs} ms on ${from}`);
      w.excluded.push(from);
      this.tryPlace(w, 're-placed after a sustained SLO breach');
    }
  }

  private decide(w: Workload): Decision {
    return place(placementRequest(w.spec, { exclude: w.excluded }), this.index, this.opts.latency, { nowMs: this.clock(), freshMs: this.opts.freshMs });
  }

  private tryPlace(w: Workload, why: string): void {
    const t0 = performance.now();
    const d = this.decide(w);
    this.opts.onDecision?.(performance.now() - t0, d.nodeId !== null);
    w.explain = d.explain;
    if (d.nodeId === null) {
      this.failedAt.set(w.id, this.fitKey(w));
      const last = w.history.at(-1)!;
      const reason = `no node fits: ${d.explain.blockedBy ?? 'empty fleet'}`;
      if (last.reason !== reason) this.note(w, reason);
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
    this.index.allocate(d.nodeId!, d.acceleratorIndexes, { workload: w.id, priority: w.spec.priority, preemptible: w.spec.preemptible });
    this.fleetVersion++;
    this.failedAt.delete(w.id);
    const rtt = d.rttMs === null ? '' : `, RTT ${d.rttMs.toFixed(2)} ms ${d.rttMeasured ? 'measured' : 'estimated'}`;
    this.transition(w, 'placed', `${why}: on ${d.nodeId}${rtt}`);
    this.dispatch(w);
  }

  /** Evicted work goes back in the queue as a new pending workload with the same spec. */
  private requeue(v: Workload): void {
    const r = this.submit(v.input);
    if (!r.ok) return;
    this.note(r.workload, `re-queued after eviction of ${v.id}`);
    this.note(v, `re-queued as ${r.workload.id}`);
  }

  private dispatch(w: Workload): void {
    const nodeId = w.nodeId!;
    const correlationId = randomUUID();
    if (w.correlationId) this.byCorrelationId.delete(w.correlationId);
    w.correlationId = correlationId;
    this.byCorrelationId.set(correlationId, w.id);
    this.clearAck(w.id);
    const timer = setTimeout(() => this.failDispatch(w, `node ${nodeId} did not ack within ${this.ackTimeoutMs} ms`), this.ackTimeoutMs);
    timer.unref();
    this.ackTimers.set(w.id, timer);
    const run = { workloadId: w.id, specJson: JSON.stringify(w.spec), acceleratorIndexes: w.acceleratorIndexes };
    this.opts.dispatcher.command(nodeId, { action: 'run', run }, correlationId).catch((e: Error) => {
      this.failDispatch(w, `could not send to ${nodeId}: ${e.message}`);
    });
  }

  private failDispatch(w: Workload, why: string): void {
    this.clearAck(w.id);
    if (w.state !== 'placed' || !w.nodeId) return;
    const node = w.nodeId;
    w.excluded.push(node);
    this.unpin(w, why);
    this.tryPlace(w, `next candidate after ${node} failed`);
  }

  /** Releases the reservation and sends the workload back to pending. */
  private unpin(w: Workload, why: string): void {
    this.clearAck(w.id);
    if (w.nodeId) {
      this.index.release(w.id, w.nodeId);
      this.fleetVersion++;
      if (w.state === 'running' || w.state === 'placed') this.sendStop(w);
    }
    w.nodeId = null;
    w.acceleratorIndexes = [];
    w.rttMs = null;
    this.transition(w, 'pending', why);
  }

  private sendStop(w: Workload): void {
    if (!w.nodeId) return;
    void this.opts.dispatcher.command(w.nodeId, { action: 'stop', stop: { workloadId: w.id, graceMs: 5000 } }).catch(() => undefined);
  }

  private transition(w: Workload, state: WorkloadState, reason: string): void {
    w.state = state;
    w.history.push({ state, atMs: this.clock(), reason, nodeId: w.nodeId });
    if (TERMINAL.has(state)) {
      this.clearAck(w.id);
      if (w.nodeId) {
        this.index.release(w.id, w.nodeId);
        this.fleetVersion++;
      }
      if (w.correlationId) this.byCorrelationId.delete(w.correlationId);
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
    const w = this.workloads.get(this.byCorrelationId.get(id) ?? '');
    return w?.correlationId === id ? w : undefined;
  }

  /** What a decision for w depends on besides the clock: the fleet, and the model if it has an SLO. */
  private fitKey(w: Workload): string {
    return w.spec.latency ? `${this.fleetVersion}:${this.opts.latency.version}` : String(this.fleetVersion);
  }

  private clearAck(id: string): void {
    const t = this.ackTimers.get(id);
    if (t) clearTimeout(t);
    this.ackTimers.delete(id);
  }

  snapshot(): Workload[] {
    return this.list().map((w) => ({ ...w }));
  }

  /**
   * Restores workloads after an orchestrator restart. Specs are re-validated; reservations are
   * re-made as nodes re-announce themselves (nodeChanged), and reconcile() matches what they run.
   */
  restore(items: unknown[]): { restored: number; problems: string[] } {
    const problems: string[] = [];
    for (const raw of items) {
      const w = raw as Partial<Workload>;
      if (typeof w?.id !== 'string' || typeof w.state !== 'string' || !Array.isArray(w.history)) {
        problems.push('a stored workload without id/state/history was skipped');
        continue;
      }
      const parsed = parseWorkloadSpec(w.input);
      if (!parsed.ok) {
        problems.push(`stored workload ${w.id} no longer validates: ${parsed.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
        continue;
      }
      this.workloads.set(w.id, { ...(w as Workload), spec: parsed.spec, correlationId: w.correlationId ?? null, excluded: w.excluded ?? [] });
      if (w.correlationId) this.byCorrelationId.set(w.correlationId, w.id);
    }
    return { restored: this.workloads.size, problems };
  }

  close(): void {
    for (const t of this.ackTimers.values()) clearTimeout(t);
    this.ackTimers.clear();
  }
}

/** The placement view of a registry node: healthy accelerators with nominal and measured FP16. */
export function placementNode(n: NodeRecord): PlacementNode {
  const birth = n.birth!;
  const measured = new Map<string, number>();
  for (const r of n.bench?.results ?? []) if (r.fp16.tflops !== undefined) measured.set(r.target, r.fp16.tflops);
  return {
    id: n.id,
    site: n.site,
    online: n.status === 'online',
    lastSeenMs: n.lastSeenMs,
    labels: birth.labels,
    location: { lat: birth.location.lat, lon: birth.location.lon },
    accelerators: birth.accelerators
      .filter((a) => a.health !== 'error')
      .map((a) => ({
        index: a.index,
        vendor: a.vendor,
        domestic: a.domestic,
        memoryMib: a.memoryMib,
        nominalTflops: a.nominal.tflops,
        measuredTflops: measured.get(`acc:${a.index}`),
      })),
    tflopsPerWatt: nodeEfficiency(birth, n.bench)?.tflopsPerWatt,
  };
}
