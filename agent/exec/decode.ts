// Decode-and-validate for what the supervisor reads back from disk (and what a cmd's spec maps
// to): anything malformed becomes a reason, never a half-typed object.
import { decodeRun, decodeWith, isNonNeg, isObj, isStr, need, type Decoded, type Obj } from '../../protocol/run-spec.ts';
import { isVendorId } from '../../protocol/vendors.ts';
import type { ExecSpec } from './types.ts';

export type { Decoded };


/** The run section by the protocol's rules, plus the vendor the agent chose for the assigned accelerators. */
function execSpecOf(v: unknown): ExecSpec {
  const run = decodeRun(v);
  need(run.ok, run.ok ? '' : run.error);
  const vendor = (v as Obj).vendor ?? '';
  need(isStr(vendor) && (vendor === '' || isVendorId(vendor)), `spec.vendor "${String(vendor)}" is not a known vendor id`);
  return { ...run.value, vendor };
}

export function decodeExecSpec(v: unknown): Decoded<ExecSpec> {
  return decodeWith(execSpecOf, v);
}

/** What the state directory keeps per workload, enough to adopt or restart it. */
export interface WorkloadRecord {
  version: 1;
  workloadId: string;
  correlationId: string;
  spec: ExecSpec;
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
    spec: execSpecOf(v.spec),
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
