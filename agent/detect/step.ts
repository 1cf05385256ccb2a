// One tool invocation turned into devices or a warning that names the tool and what went wrong.
import type { ToolRunner } from './exec.ts';
import { FormatError, type ParseResult, type VendorOutcome } from './types.ts';

export type StepResult =
  | { kind: 'ok'; result: ParseResult; stdout: string }
  | { kind: 'missing' }
  | { kind: 'failed'; warning: string; stdout: string };

export async function runStep(
  run: ToolRunner,
  tool: string,
  args: readonly string[],
  parse: (stdout: string) => ParseResult,
): Promise<StepResult> {
  const r = await run(tool, args);
  if (!r.ok) return r.missing ? { kind: 'missing' } : { kind: 'failed', warning: r.message, stdout: r.stdout };
  try {
    return { kind: 'ok', result: parse(r.stdout), stdout: r.stdout };
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { kind: 'failed', warning: formatWarning(tool, args, e.message), stdout: r.stdout };
  }
}

export function formatWarning(tool: string, args: readonly string[], why: string): string {
  const cmd = [tool, ...args].join(' ');
  return `${cmd}: output not understood (${why}); has the tool changed format? Its devices are listed from PCI only`;
}

/** The outcome of a detector that runs a single tool. */
export function outcomeOf(tool: string, s: StepResult): VendorOutcome {
  if (s.kind === 'ok') return { devices: s.result.devices, warnings: s.result.warnings, toolMissing: false, tool };
  if (s.kind === 'missing') return { devices: [], warnings: [], toolMissing: true, tool };
  return { devices: [], warnings: [s.warning], toolMissing: false, tool };
}
