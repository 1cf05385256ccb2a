// What the agent needs to run one workload: the workload's `run` section as protocol/run-spec.ts
// resolves it, plus whose accelerators were assigned (it decides how they are made visible).
// Everything below the supervisor sees only ExecSpec.
import type { WorkloadStatus } from '../../protocol/messages.ts';
import { resolveRun, type ResolvedRun, type RunSpec } from '../../protocol/run-spec.ts';
import type { VendorId } from '../../protocol/vendors.ts';

export { DEFAULT_RESTART, type RestartMode, type RestartPolicy, type RunnerKind } from '../../protocol/run-spec.ts';

export interface ExecSpec extends ResolvedRun {
  /** Whose accelerators the indexes refer to; decides how they are made visible. */
  vendor: VendorId | '';
}

/** Fills what a caller left out, so a partial spec is always complete. */
export function execSpec(partial: RunSpec & { vendor?: VendorId | '' }): ExecSpec {
  return { ...resolveRun(partial), vendor: partial.vendor ?? '' };
}

/** How one run of a workload ended. `code` is null when a signal ended it or it is unknown. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it ended when the runner, not the workload, decided (e.g. no container runtime). */
  error?: string;
  /** A failure that a restart cannot fix (missing runtime, bad spec): never restarted. */
  permanent?: boolean;
  /** Last ~4 KiB of stdout+stderr. */
  outputTail: string;
}

/** One running attempt, as a runner hands it to the supervisor. */
export interface RunHandle {
  /** 0 for simulated runs and for runs that never started. */
  readonly pid: number;
  /** A simulated run: running from launch though it has no pid. */
  readonly simulated?: boolean;
  /** /proc/<pid>/stat start time, so a recycled pid is never mistaken for this run. */
  readonly startTime: string;
  readonly exited: Promise<ExitInfo>;
  /** Signals the whole process group (or the simulated run). */
  signal(sig: NodeJS.Signals): void;
  /** Stops watching without touching the workload, so the agent can exit and adopt it later. */
  detach(): void;
}

export interface LaunchContext {
  workloadId: string;
  acceleratorIndexes: number[];
  /** Where stdout/stderr go; a file, not a pipe, so the workload outlives an agent restart. */
  logPath: string;
}

export interface Runner {
  launch(spec: ExecSpec, ctx: LaunchContext): RunHandle;
}

/** A state change, as the supervisor emits it: the protocol's WorkloadStatus plus routing. */
export interface WorkloadEvent {
  correlationId: string;
  status: WorkloadStatus;
  /** True on the final event of a run: its accelerators are free again. */
  released: boolean;
  atMs: number;
}

/** The timers the supervisor and simulated runner use; tests and fleets inject their own. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
