// Intel and Kunlunxin both ship a tool named `xpu-smi`. Which one is installed is decided by
// what it prints to each vendor's own invocation, never by its name. Both invocations run once
// per detection (the runner shares them), so asking costs nothing extra.
import type { ToolRunner } from './exec.ts';

export const INTEL_DISCOVERY_ARGS = ['discovery', '-j'] as const;
export const KUNLUNXIN_QUERY_ARGS = ['-q'] as const;

// Case matters: our own error messages say "xpu-smi".
export const KUNLUNXIN_BANNER = /XPUSMI LOG|XPU-SMI|KUNLUNXIN|XPU-RT Version/;

export type XpuSmiFlavour = 'intel' | 'kunlunxin' | 'missing' | 'unknown';

export async function xpuSmiFlavour(run: ToolRunner): Promise<XpuSmiFlavour> {
  const [intel, kunlun] = await Promise.all([run('xpu-smi', INTEL_DISCOVERY_ARGS), run('xpu-smi', KUNLUNXIN_QUERY_ARGS)]);
  if (!intel.ok && intel.missing) return 'missing';
  if (KUNLUNXIN_BANNER.test(kunlun.stdout)) return 'kunlunxin';
  if (intel.ok && /"device_list"/.test(intel.stdout)) return 'intel';
  return 'unknown';
}
