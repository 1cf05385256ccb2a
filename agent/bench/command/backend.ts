// The command backend: a site-provided benchmark program (a vendor's own GEMM tool wrapped in a
// script, say) for accelerators torch cannot drive, or when a site prefers its own figure.
//
// Invocation: argv as configured, with "{target}", "{index}", "{vendor}", "{budget_ms}"
// substituted in each argument; the same values are in the environment as BANYAN_BENCH_TARGET,
// BANYAN_BENCH_INDEX, BANYAN_BENCH_VENDOR, BANYAN_BENCH_BUDGET_MS. It must finish within the
// budget (it is killed, with its process group, a few seconds after).
//
// stdout: exactly one JSON object (see CommandOutput below; extra fields are ignored):
//   {
//     "precision": "fp16" | "bf16" | "int8" | "fp8" | "fp32" | "fp64",  // what the GEMM ran in
//     "tflops": 123.4,             // dense measured throughput in that precision (TOPS for int8/fp8), > 0
//     "latency_p50_ms": 0.21,      // small-GEMM latency percentiles, >= 0
//     "latency_p99_ms": 0.35,
//     "shape": "8192x8192x8192",   // optional, what was run
//     "versions": { "tool": "1.2" } // optional, string values only
//   }
// A non-zero exit or anything else on stdout is a failed benchmark, never a figure.
import { Type, type Static } from '@sinclair/typebox';
import type { BenchResult } from '../../../protocol/messages.ts';
import { toFp16Eq, type Precision } from '../../../protocol/fp16.ts';
import { runJsonChild } from '../child.ts';
import { ratioTo, roundTo } from '../flops.ts';
import { BenchError, type BenchBackend, type BenchRunOptions, type BenchTarget } from '../types.ts';
import { decodeJson } from '../validate.ts';

export const CommandOutput = Type.Object({
  precision: Type.Union(['fp16', 'bf16', 'int8', 'fp8', 'fp32', 'fp64'].map((p) => Type.Literal(p as Precision))),
  tflops: Type.Number({ exclusiveMinimum: 0 }),
  latency_p50_ms: Type.Number({ minimum: 0 }),
  latency_p99_ms: Type.Number({ minimum: 0 }),
  shape: Type.Optional(Type.String()),
  versions: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type CommandOutput = Static<typeof CommandOutput>;

export interface CommandBackendOptions {
  /** Program and arguments; never run through a shell. */
  argv: readonly string[];
  /** Target ids it measures ("acc:0", "cpu"); all accelerators when absent. */
  targets?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** How long past its budget the command may run before it is killed (default 5 s). */
  graceMs?: number;
}

const KILL_AFTER_BUDGET_MS = 5000;

export function commandBackend(config: CommandBackendOptions): BenchBackend {
  if (config.argv.length === 0 || !config.argv[0]) throw new RangeError('command backend needs a program in argv[0]');
  const covers = (t: BenchTarget) => (config.targets ? config.targets.includes(t.id) : t.kind === 'accelerator');
  return {
    name: 'command',
    async available(target) {
      return covers(target) ? { ok: true } : { ok: false, reason: `the site benchmark command is not configured for ${target.id}` };
    },
    async run(target: BenchTarget, opts: BenchRunOptions): Promise<BenchResult> {
      const started = Date.now();
      const vars: Record<string, string> = {
        target: target.id,
        index: target.kind === 'accelerator' ? String(target.accelerator.index) : '',
        vendor: target.kind === 'accelerator' ? target.accelerator.vendor : 'cpu',
        budget_ms: String(Math.round(opts.budgetMs)),
      };
      const [program, ...rest] = config.argv.map((a) => a.replace(/\{(target|index|vendor|budget_ms)\}/g, (_, k: string) => vars[k]!));
      opts.onProgress?.({ target: target.id, backend: 'command', phase: 'start', fraction: 0 });
      const { json, exitCode, stderrTail } = await runJsonChild(program!, rest, {
        label: 'site benchmark command',
        timeoutMs: opts.budgetMs + (config.graceMs ?? KILL_AFTER_BUDGET_MS),
        env: {
          ...(config.env ?? process.env),
          BANYAN_BENCH_TARGET: vars.target,
          BANYAN_BENCH_INDEX: vars.index,
          BANYAN_BENCH_VENDOR: vars.vendor,
          BANYAN_BENCH_BUDGET_MS: vars.budget_ms,
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (exitCode !== 0) {
        throw new BenchError('failed', `site benchmark command exited ${exitCode} for ${target.id}; stderr: ${stderrTail.trim().slice(-300)}`);
      }
      const out = decodeJson(CommandOutput, json, 'site benchmark command');
      opts.onProgress?.({ target: target.id, backend: 'command', phase: 'done', fraction: 1 });
      const fp16 = toFp16Eq({ [out.precision]: out.tflops }, { kind: 'measured', source: 'bench:command' });
      return {
        target: target.id,
        backend: 'command',
        fp16,
        rawTflops: roundTo(out.tflops, 6),
        precision: out.precision,
        latencyP50Ms: out.latency_p50_ms,
        latencyP99Ms: out.latency_p99_ms,
        ratioToNominal: target.kind === 'accelerator' ? ratioTo(fp16.tflops, target.accelerator.nominal.tflops) : 0,
        shape: out.shape ?? 'unstated by the site command',
        versions: { ...out.versions, command: config.argv[0]!, ...(target.kind === 'accelerator' ? { driver: target.accelerator.driverVersion } : {}) },
        atMs: started,
        durationMs: Date.now() - started,
      };
    },
  };
}
