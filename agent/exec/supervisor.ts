// Runs the workloads pinned to this node, keeps them running per their restart policy while the
// orchestrator is away, and survives its own restart: the state directory says what runs, and
// a restarted agent adopts live workloads (same pid, same start time) instead of starting twice.
import { EventEmitter } from 'node:events';
import type { WorkloadState, WorkloadStatus } from '../../protocol/messages.ts';
import { UNKNOWN_EXIT_MESSAGE, watchAdopted } from './adopted.ts';
import { ContainerRunner } from './container-runner.ts';
import { decodeExecSpec, WORKLOAD_ID, type WorkloadRecord } from './decode.ts';
import { isSameProcessAlive } from './proc.ts';
import { ProcessRunner } from './process-runner.ts';
import { restartDelayMs, shouldRestart } from './restart-policy.ts';
import { SimulatedRunner } from './simulated-runner.ts';
import { StateDir } from './state-dir.ts';
import { systemClock, type Clock, type ExitInfo, type RunHandle, type Runner, type RunnerKind, type ExecSpec, type WorkloadEvent } from './types.ts';

/** Ended workloads remembered for a re-sent run (a leader's takeover is seconds; this is many). */
const ENDED_KEPT = 1024;

export interface SupervisorOptions {
  stateDir: string;
  clock?: Clock;
  runners?: Partial<Record<RunnerKind, Runner>>;
  /** How often an adopted pid (not our child) is checked; default 1 s. */
  adoptPollMs?: number;
  /** A run that lasted this long resets the backoff streak; default 10 min (as systemd, k8s). */
  backoffResetMs?: number;
}

export interface RecoverReport {
  adopted: string[];
  restarted: string[];
  ended: string[];
  problems: string[];
}

interface Entry {
  id: string;
  correlationId: string;
  spec: ExecSpec;
  indexes: number[];
  attempt: number;
  streak: number;
  startedAtMs: number;
  handle: RunHandle | null;
  restartTimer: unknown;
  graceTimer: unknown;
  stopping: { graceMs: number; waiters: Array<() => void> } | null;
  last: WorkloadStatus;
}

export interface SupervisorEvents {
  event: [WorkloadEvent];
}

export class WorkloadSupervisor extends EventEmitter<SupervisorEvents> {
  private readonly state: StateDir;
  private readonly clock: Clock;
  private readonly runners: Record<RunnerKind, Runner>;
  private readonly simulated: SimulatedRunner | null;
  private readonly adoptPollMs: number;
  private readonly backoffResetMs: number;
  private readonly entries = new Map<string, Entry>();
  /**
   * How the last workloads to end here ended, with the dispatch (correlation id) that started
   * them: that dispatch sent again (a new leader re-sending what its predecessor sent) is answered
   * with how it ended, never run twice. A new dispatch of the same id (moved back here) runs.
   */
  private readonly ended = new Map<string, { correlationId: string; status: WorkloadStatus }>();

  constructor(opts: SupervisorOptions) {
    super();
    this.state = new StateDir(opts.stateDir);
    this.clock = opts.clock ?? systemClock;
    const simulated = opts.runners?.simulated ?? new SimulatedRunner(this.clock);
    this.simulated = simulated instanceof SimulatedRunner ? simulated : null;
    this.runners = {
      process: opts.runners?.process ?? new ProcessRunner(),
      container: opts.runners?.container ?? new ContainerRunner(),
      simulated,
    };
    this.adoptPollMs = opts.adoptPollMs ?? 1_000;
    this.backoffResetMs = opts.backoffResetMs ?? 600_000;
  }

  /** Ids of the workloads this node holds (running or waiting to restart), for the birth. */
  running(): string[] {
    return [...this.entries.keys()].sort();
  }

  status(workloadId: string): WorkloadStatus | undefined {
    return this.entries.get(workloadId)?.last;
  }

  /** Nominal load of simulated runs, for a simulated node's telemetry. */
  simulatedLoadPct(): number {
    return this.simulated?.loadPct() ?? 0;
  }

  start(workloadId: string, spec: ExecSpec, acceleratorIndexes: number[], correlationId: string): void {
    const existing = this.entries.get(workloadId);
    if (existing) {
      // A redelivered run cmd (QoS 1): answer with where it stands, never run it twice.
      existing.correlationId = correlationId;
      this.emitStatus(existing, existing.last.state, { message: 'already running on this node' });
      return;
    }
    const ended = this.ended.get(workloadId);
    if (ended?.correlationId === correlationId) {
      const message = `${ended.status.message ? `${ended.status.message}; ` : ''}already ended on this node (the same run sent again)`;
      this.emit('event', { correlationId, status: { ...ended.status, message }, released: true, atMs: this.clock.now() });
      return;
    }
    const problem = invalidStart(workloadId, spec, acceleratorIndexes);
    if (problem) {
      this.emit('event', {
        correlationId,
        status: { workloadId, state: 'failed', exitCode: -1, pid: 0, message: problem, attempt: 0, outputTail: '' },
        released: true,
        atMs: this.clock.now(),
      });
      return;
    }
    const entry = this.newEntry(workloadId, spec, acceleratorIndexes, correlationId, 1);
    this.entries.set(workloadId, entry);
    this.emitStatus(entry, 'accepted', {});
    this.launch(entry);
  }

  /** SIGTERM to the group, SIGKILL after graceMs. Resolves once stopped; false if unknown. */
  stop(workloadId: string, graceMs: number, correlationId?: string): Promise<boolean> {
    const entry = this.entries.get(workloadId);
    if (!entry) return Promise.resolve(false);
    if (correlationId) entry.correlationId = correlationId;
    return new Promise((resolve) => {
      if (entry.stopping) {
        entry.stopping.waiters.push(() => resolve(true));
        return;
      }
      entry.stopping = { graceMs, waiters: [() => resolve(true)] };
      if (!entry.handle) {
        this.finish(entry, 'stopped', { exitCode: -1, message: 'stopped while waiting to restart' });
        return;
      }
      const handle = entry.handle;
      handle.signal('SIGTERM');
      entry.graceTimer = this.clock.setTimeout(() => handle.signal('SIGKILL'), graceMs);
    });
  }

  /** After an agent restart: adopt what still runs, restart per policy what died meanwhile. */
  recover(): RecoverReport {
    const { records, problems } = this.state.load();
    const report: RecoverReport = { adopted: [], restarted: [], ended: [], problems };
    for (const rec of records) {
      if (this.entries.has(rec.workloadId)) continue;
      const entry = this.newEntry(rec.workloadId, rec.spec, rec.acceleratorIndexes, rec.correlationId, rec.attempt);
      entry.startedAtMs = rec.startedAtMs;
      this.entries.set(rec.workloadId, entry);
      const handle = this.readopt(rec);
      if (handle) {
        report.adopted.push(rec.workloadId);
        this.attach(entry, handle);
        this.emitStatus(entry, 'running', { message: 'adopted after agent restart' });
        continue;
      }
      const exit: ExitInfo = { code: null, signal: null, error: 'the workload ended while the agent was down; exit code unknown', outputTail: '' };
      if (shouldRestart(entry.spec.restart, exit, entry.attempt)) report.restarted.push(rec.workloadId);
      else report.ended.push(rec.workloadId);
      this.afterExit(entry, exit);
    }
    return report;
  }

  /** Stops watching; the workloads keep running for the next agent to adopt. */
  close(): void {
    for (const entry of this.entries.values()) {
      entry.handle?.detach();
      this.clock.clearTimeout(entry.restartTimer);
      this.clock.clearTimeout(entry.graceTimer);
    }
    this.entries.clear();
  }

  private readopt(rec: WorkloadRecord): RunHandle | null {
    if (rec.spec.runner === 'simulated') {
      return this.simulated && rec.startedAtMs > 0 ? this.simulated.resume(rec.spec, rec.startedAtMs) : null;
    }
    if (rec.pid > 0 && rec.startTime && isSameProcessAlive(rec.pid, rec.startTime)) {
      return watchAdopted(rec.pid, rec.startTime, this.state.logPath(rec.workloadId), this.clock, this.adoptPollMs);
    }
    return null;
  }

  private newEntry(id: string, spec: ExecSpec, indexes: number[], correlationId: string, attempt: number): Entry {
    return {
      id,
      correlationId,
      spec,
      indexes: [...indexes],
      attempt,
      streak: 0,
      startedAtMs: 0,
      handle: null,
      restartTimer: null,
      graceTimer: null,
      stopping: null,
      last: { workloadId: id, state: 'accepted', exitCode: 0, pid: 0, message: '', attempt, outputTail: '' },
    };
  }

  private launch(entry: Entry): void {
    entry.restartTimer = null;
    entry.startedAtMs = this.clock.now();
    const handle = this.runners[entry.spec.runner].launch(entry.spec, {
      workloadId: entry.id,
      acceleratorIndexes: entry.indexes,
      logPath: this.state.logPath(entry.id),
    });
    this.attach(entry, handle);
    if (handle.pid > 0 || handle.simulated) this.emitStatus(entry, 'running', {});
  }

  private attach(entry: Entry, handle: RunHandle): void {
    entry.handle = handle;
    this.persist(entry);
    void handle.exited.then((exit) => {
      if (entry.handle === handle && this.entries.get(entry.id) === entry) this.afterExit(entry, exit);
    });
  }

  private afterExit(entry: Entry, exit: ExitInfo): void {
    entry.handle = null;
    this.clock.clearTimeout(entry.graceTimer);
    const exitCode = exit.code ?? -1;
    const tail = exit.outputTail;
    if (entry.stopping) {
      const how = exit.signal ? `stopped by ${exit.signal}` : `stopped; exited with code ${exitCode}`;
      this.finish(entry, 'stopped', { exitCode, message: how, outputTail: tail });
      return;
    }
    const ended = describeExit(exit);
    if (!shouldRestart(entry.spec.restart, exit, entry.attempt)) {
      const state: WorkloadState = exit.code === 0 ? 'completed' : 'failed';
      this.finish(entry, state, { exitCode, message: ended, outputTail: tail });
      return;
    }
    const ranMs = entry.startedAtMs > 0 ? this.clock.now() - entry.startedAtMs : 0;
    entry.streak = ranMs >= this.backoffResetMs ? 1 : entry.streak + 1;
    const delay = restartDelayMs(entry.spec.restart, entry.streak);
    this.emitStatus(entry, 'restarting', {
      exitCode,
      pid: 0,
      message: `${ended}; attempt ${entry.attempt + 1} starts in ${delay} ms`,
      outputTail: tail,
    });
    entry.attempt += 1;
    this.persist(entry);
    entry.restartTimer = this.clock.setTimeout(() => this.launch(entry), delay);
  }

  private finish(entry: Entry, state: WorkloadState, fields: Partial<WorkloadStatus>): void {
    this.clock.clearTimeout(entry.restartTimer);
    this.clock.clearTimeout(entry.graceTimer);
    this.entries.delete(entry.id);
    this.state.remove(entry.id);
    this.emitStatus(entry, state, { pid: 0, ...fields }, true);
    this.ended.delete(entry.id);
    this.ended.set(entry.id, { correlationId: entry.correlationId, status: entry.last });
    if (this.ended.size > ENDED_KEPT) this.ended.delete(this.ended.keys().next().value!);
    for (const w of entry.stopping?.waiters ?? []) w();
  }

  private persist(entry: Entry): void {
    this.state.save({
      version: 1,
      workloadId: entry.id,
      correlationId: entry.correlationId,
      spec: entry.spec,
      acceleratorIndexes: entry.indexes,
      pid: entry.handle?.pid ?? 0,
      startTime: entry.handle?.startTime ?? '',
      startedAtMs: entry.handle ? entry.startedAtMs : 0,
      attempt: entry.attempt,
    });
  }

  private emitStatus(entry: Entry, state: WorkloadState, fields: Partial<WorkloadStatus>, released = false): void {
    const status: WorkloadStatus = {
      workloadId: entry.id,
      state,
      exitCode: 0,
      pid: entry.handle?.pid ?? 0,
      message: '',
      attempt: entry.attempt,
      outputTail: '',
      ...fields,
    };
    entry.last = status;
    this.emit('event', { correlationId: entry.correlationId, status, released, atMs: this.clock.now() });
  }
}

function describeExit(exit: ExitInfo): string {
  if (exit.error) return exit.error;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

function invalidStart(workloadId: string, spec: ExecSpec, indexes: number[]): string | null {
  if (!WORKLOAD_ID.test(workloadId)) return `workload id "${workloadId}" must be 1-128 of [A-Za-z0-9._:-]`;
  if (!indexes.every((i) => Number.isInteger(i) && i >= 0)) return 'accelerator indexes must be whole numbers ≥ 0';
  const decoded = decodeExecSpec(spec);
  return decoded.ok ? null : `invalid run spec: ${decoded.error}`;
}

export { UNKNOWN_EXIT_MESSAGE };

/** The event body the agent publishes on its `event` channel for a supervisor event. */
export function toProtocolEvent(e: WorkloadEvent): import('../../protocol/messages.ts').Event {
  return { correlationId: e.correlationId, kind: 'workload', workload: e.status };
}
