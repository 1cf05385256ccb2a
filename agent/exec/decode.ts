// Decode-and-validate for what the supervisor reads back from disk (and what a cmd's spec maps
// to): anything malformed becomes a reason, never a half-typed object.
import { isVendorId } from '../../protocol/vendors.ts';
import type { RestartMode, RestartPolicy, RunnerKind, RunSpec } from './types.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const RUNNERS: readonly RunnerKind[] = ['process', 'container', 'simulated'];
const MODES: readonly RestartMode[] = ['never', 'on-failure', 'always'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNonNeg = (v: unknown): v is number => isNum(v) && v >= 0;

class Invalid extends Error {}
function need(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Invalid(what);
}

function restartOf(v: unknown): RestartPolicy {
  need(isObj(v), 'restart must be an object');
  const { mode, maxAttempts, initialDelayMs, maxDelayMs, factor } = v;
  need(isStr(mode) && (MODES as readonly string[]).includes(mode), `restart.mode must be one of ${MODES.join(', ')}`);
  need(isNonNeg(maxAttempts) && Number.isInteger(maxAttempts), 'restart.maxAttempts must be a whole number ≥ 0');
  need(isNonNeg(initialDelayMs) && isNonNeg(maxDelayMs), 'restart delays must be numbers ≥ 0');
  need(isNum(factor) && factor >= 1, 'restart.factor must be ≥ 1');
  return { mode: mode as RestartMode, maxAttempts, initialDelayMs, maxDelayMs, factor };
}

function runSpecOf(v: unknown): RunSpec {
  need(isObj(v), 'spec must be an object');
  const { runner, command, args, env, cwd, image, durationMs, exitCode, nominalLoadPct, vendor } = v;
  need(isStr(runner) && (RUNNERS as readonly string[]).includes(runner), `spec.runner must be one of ${RUNNERS.join(', ')}`);
  need(isStr(command) && isStr(cwd) && isStr(image), 'spec.command, cwd and image must be strings');
  need(Array.isArray(args) && args.every(isStr), 'spec.args must be a list of strings');
  need(isObj(env) && Object.values(env).every(isStr), 'spec.env must map names to strings');
  need(isNonNeg(durationMs) && isNum(exitCode) && isNonNeg(nominalLoadPct), 'spec.durationMs, exitCode, nominalLoadPct must be numbers');
  need(isStr(vendor) && (vendor === '' || isVendorId(vendor)), `spec.vendor "${String(vendor)}" is not a known vendor id`);
  return {
    runner: runner as RunnerKind,
    command,
    args: [...args] as string[],
    env: { ...(env as Record<string, string>) },
    cwd,
    image,
    durationMs,
    exitCode,
    nominalLoadPct,
    restart: restartOf(v.restart),
    vendor: vendor as RunSpec['vendor'],
  };
}

function decodeWith<T>(f: (v: unknown) => T, v: unknown): Decoded<T> {
  try {
    return { ok: true, value: f(v) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

export function decodeRunSpec(v: unknown): Decoded<RunSpec> {
  return decodeWith(runSpecOf, v);
}

/** What the state directory keeps per workload, enough to adopt or restart it. */
export interface WorkloadRecord {
  version: 1;
  workloadId: string;
  correlationId: string;
  spec: RunSpec;
  acceleratorIndexes: number[];
  /** 0 while no process runs (simulated, or waiting to restart). */
  pid: number;
  startTime: string;
  startedAtMs: number;
  attempt: number;
}

export const WORKLOAD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function recordOf(v: unknown): WorkloadRecord {
  need(isObj(v), 'record must be an object');
  need(v.version === 1, `record version ${String(v.version)} is not 1`);
  const { workloadId, correlationId, acceleratorIndexes, pid, startTime, startedAtMs, attempt } = v;
  need(isStr(workloadId) && WORKLOAD_ID.test(workloadId), 'workloadId must be 1-128 of [A-Za-z0-9._:-]');
  need(isStr(correlationId), 'correlationId must be a string');
  need(Array.isArray(acceleratorIndexes) && acceleratorIndexes.every((i) => Number.isInteger(i) && i >= 0), 'acceleratorIndexes must be whole numbers ≥ 0');
  need(Number.isInteger(pid) && (pid as number) >= 0, 'pid must be a whole number ≥ 0');
  need(isStr(startTime) && /^\d*$/.test(startTime), 'startTime must be digits');
  need(isNonNeg(startedAtMs) && Number.isInteger(attempt) && (attempt as number) >= 1, 'startedAtMs and attempt are required');
  return {
    version: 1,
    workloadId,
    correlationId,
    spec: runSpecOf(v.spec),
    acceleratorIndexes: [...acceleratorIndexes] as number[],
    pid: pid as number,
    startTime,
    startedAtMs,
    attempt: attempt as number,
  };
}

export function decodeWorkloadRecord(v: unknown): Decoded<WorkloadRecord> {
  return decodeWith(recordOf, v);
}
