// A `run` command carries the orchestrator's workload spec as JSON; the agent reads its `run`
// section by the protocol's rules (protocol/run-spec.ts) and adds the vendor of the assigned
// accelerators, so whatever crosses the wire reaches the supervisor as a checked value or as a reason.
import type { Accelerator } from '../protocol/messages.ts';
import { decodeSpecJson, type Decoded } from '../protocol/run-spec.ts';
import { isVendorId } from '../protocol/vendors.ts';
import type { ExecSpec } from './exec/types.ts';

/** Maps specJson + the assigned accelerators to an ExecSpec; the vendor decides device visibility. */
export function execSpecFromCommand(specJson: string, indexes: readonly number[], accelerators: readonly Accelerator[]): Decoded<ExecSpec> {
  const run = decodeSpecJson(specJson);
  if (!run.ok) return run;
  const vendor = vendorOf(indexes, accelerators);
  if (!vendor.ok) return vendor;
  return { ok: true, value: { ...run.value, vendor: vendor.value } };
}

function vendorOf(indexes: readonly number[], accelerators: readonly Accelerator[]): Decoded<ExecSpec['vendor']> {
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
