// A `run` command carries the orchestrator's workload spec as JSON (orchestrator/workloads/spec.ts:
// `run: { runner, command, args, env, image, durationMs, exitCode, restart }` among other fields).
// The agent reads only `run`, maps it to agent/exec's RunSpec and validates the result, so
// whatever crosses the wire reaches the supervisor as a checked value or as a reason.
import type { Accelerator } from '../protocol/messages.ts';
import { isVendorId } from '../protocol/vendors.ts';
import { decodeRunSpec, type Decoded } from './exec/decode.ts';
import { runSpec, type RestartPolicy, type RunSpec } from './exec/types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps specJson + the assigned accelerators to a RunSpec; the vendor decides device visibility. */
export function runSpecFromCommand(specJson: string, indexes: readonly number[], accelerators: readonly Accelerator[]): Decoded<RunSpec> {
  let doc: unknown;
  try {
    doc = JSON.parse(specJson);
  } catch (e) {
    return { ok: false, error: `specJson is not JSON: ${(e as Error).message}` };
  }
  if (!isObj(doc) || !isObj(doc.run)) return { ok: false, error: 'specJson must be an object with a "run" object (the workload spec)' };
  const vendor = vendorOf(indexes, accelerators);
  if (!vendor.ok) return vendor;
  const run = doc.run;
  const restart = restartOf(run.restart);
  if (!restart.ok) return restart;
  // Absent optional fields take RunSpec's defaults; present ones must have the right type,
  // which decodeRunSpec checks.
  const candidate = {
    ...runSpec({ runner: 'process' }),
    ...pick(run, ['runner', 'command', 'args', 'env', 'cwd', 'image', 'durationMs', 'exitCode', 'nominalLoadPct']),
    restart: restart.value,
    vendor: vendor.value,
  };
  return decodeRunSpec(candidate);
}

function pick(o: Obj, keys: readonly string[]): Obj {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** The orchestrator sends a mode ("on-failure"); a full policy object is accepted too. */
function restartOf(v: unknown): Decoded<Partial<RestartPolicy> & Pick<RestartPolicy, 'mode'>> {
  const base = runSpec({ runner: 'process' }).restart;
  if (v === undefined) return { ok: true, value: base };
  if (typeof v === 'string') return { ok: true, value: { ...base, mode: v as RestartPolicy['mode'] } };
  if (isObj(v)) return { ok: true, value: { ...base, ...(v as Partial<RestartPolicy>) } };
  return { ok: false, error: 'run.restart must be "never", "on-failure", "always" or a restart policy object' };
}

function vendorOf(indexes: readonly number[], accelerators: readonly Accelerator[]): Decoded<RunSpec['vendor']> {
  const vendors = new Set<string>();
  for (const i of indexes) {
    const acc = accelerators.find((a) => a.index === i);
    if (!acc) return { ok: false, error: `accelerator ${i} is not on this node (it has ${accelerators.map((a) => a.index).join(', ') || 'none'}); redetect or re-place the workload` };
    vendors.add(acc.vendor);
  }
  if (vendors.size > 1) return { ok: false, error: `accelerators ${indexes.join(', ')} mix vendors (${[...vendors].join(', ')}); a workload gets one vendor's devices` };
  const [v] = vendors;
  return { ok: true, value: v !== undefined && isVendorId(v) ? v : '' };
}
