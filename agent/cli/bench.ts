// `banyan bench`: measure this node's CPU and accelerators, print a table (or --json).
import { parseArgs } from 'node:util';
import type { Accelerator } from '../../protocol/messages.ts';
import { BenchCache, defaultCachePath } from '../bench/cache.ts';
import { commandBackend } from '../bench/command/backend.ts';
import { cpuBackend } from '../bench/cpu/backend.ts';
import { DEFAULT_BUDGET_MS, runBenchmarks, type BenchOutcome } from '../bench/run.ts';
import { torchBackend } from '../bench/torch/backend.ts';
import { BACKEND_NAMES, type BackendName, type BenchBackend } from '../bench/types.ts';
import { cliIo, parseOrAnswer } from './io.ts';

const HELP = `usage: banyan bench [options]

Measures FP16-equivalent throughput and small-GEMM latency of the host CPU and each accelerator.

  --json               print {results, outcomes} as JSON for scripts
  --budget <seconds>   wall-clock budget for all targets together (default ${DEFAULT_BUDGET_MS / 1000})
  --backend <name>     use only this backend: ${BACKEND_NAMES.join(' | ')}
  --target <id>        only this target ("cpu", "acc:0"); repeatable
  --busy <i,j>         accelerator indexes running workloads (skipped unless --force)
  --force              benchmark busy accelerators too
  --rerun              ignore cached results and measure again
  --command <argv>     site benchmark program (space-separated argv, {index} {target} {vendor}
                       {budget_ms} substituted); its JSON schema is in agent/bench/command/backend.ts
  --cache <path>       result cache (default ${defaultCachePath()}); --no-cache disables
  --help               this text

Progress goes to stderr; exit status 1 when a target failed, 2 on a usage error.`;

export interface BenchCommandDeps {
  /** Accelerators to benchmark; detected on this machine when absent. */
  accelerators?: Accelerator[];
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

export async function benchCommand(argv: string[], deps: BenchCommandDeps = {}): Promise<number> {
  const io = cliIo(deps);
  const { out, err } = io;
  const args = parseOrAnswer('bench', HELP, io, () => parse(argv));
  if (typeof args === 'number') return args;

  const detected: Detected = deps.accelerators ? { accelerators: deps.accelerators, warnings: [] } : await detectLazily();
  for (const w of detected.warnings) err(`warning: ${w}\n`);

  const backends: BenchBackend[] = [
    ...(args.command ? [commandBackend({ argv: args.command })] : []),
    torchBackend(),
    cpuBackend(),
  ];
  const cache = args.cachePath === null ? null : await BenchCache.open(args.cachePath);
  if (cache?.warning) err(`warning: ${cache.warning}\n`);

  const ctl = new AbortController();
  const onSigint = () => {
    err('\ncancelling: stopping benchmark processes…\n');
    ctl.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const run = await runBenchmarks({
      accelerators: detected.accelerators,
      backends,
      budgetMs: args.budgetMs,
      busy: args.busy,
      force: args.force,
      rerun: args.rerun,
      cache,
      signal: ctl.signal,
      ...(args.backend ? { backend: args.backend } : {}),
      ...(args.targets.length ? { only: args.targets } : {}),
      ...(detected.powerOf ? { powerOf: detected.powerOf } : {}),
      onProgress: (p) => err(`bench ${p.target} [${p.backend}] ${p.phase} ${Math.round(p.fraction * 100)}%\n`),
    });
    out(args.json ? JSON.stringify(run, null, 2) + '\n' : table(run.outcomes));
    return run.outcomes.some((o) => o.status === 'failed') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      json: { type: 'boolean', default: false },
      budget: { type: 'string' },
      backend: { type: 'string' },
      target: { type: 'string', multiple: true, default: [] },
      busy: { type: 'string', default: '' },
      force: { type: 'boolean', default: false },
      rerun: { type: 'boolean', default: false },
      command: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const budgetS = values.budget === undefined ? DEFAULT_BUDGET_MS / 1000 : Number(values.budget);
  if (!(budgetS > 0 && budgetS <= 3600)) throw new Error(`--budget ${values.budget} must be seconds within 0..3600`);
  if (values.backend !== undefined && !BACKEND_NAMES.includes(values.backend as BackendName)) {
    throw new Error(`--backend ${values.backend} is not one of ${BACKEND_NAMES.join(', ')}`);
  }
  const busy = values.busy ? values.busy.split(',').map((s) => Number(s.trim())) : [];
  if (busy.some((i) => !Number.isInteger(i) || i < 0)) throw new Error(`--busy "${values.busy}" must be accelerator indexes like 0,2`);
  const command = values.command?.split(/\s+/).filter(Boolean);
  if (values.command !== undefined && !command?.length) throw new Error('--command needs a program');
  if (values.backend === 'command' && !command) throw new Error('--backend command needs --command <program …>');
  return {
    help: values.help,
    json: values.json,
    budgetMs: budgetS * 1000,
    backend: values.backend as BackendName | undefined,
    targets: values.target,
    busy,
    force: values.force,
    rerun: values.rerun,
    command,
    cachePath: values['no-cache'] ? null : (values.cache ?? defaultCachePath()),
  };
}

interface Detected {
  accelerators: Accelerator[];
  warnings: string[];
  /** The detected cards' power through their vendor tools, for the energy figures. */
  powerOf?: (index: number) => Promise<number | undefined>;
}

/** Loaded only when the CLI runs without given accelerators: detection spawns vendor tools. */
async function detectLazily(): Promise<Detected> {
  try {
    const { ToolAcceleratorSource } = await import('../detect/index.ts');
    const source = new ToolAcceleratorSource();
    const found = await source.detect();
    return { ...found, powerOf: async (index) => (await source.sample()).accelerators.find((a) => a.index === index)?.powerW };
  } catch (e) {
    return { accelerators: [], warnings: [`accelerator detection failed (${(e as Error).message.split('\n')[0]}); benchmarking the CPU only`] };
  }
}

function table(outcomes: BenchOutcome[]): string {
  const head = ['target', 'backend', 'status', 'fp16-eq TFLOPS', 'raw', 'p50 ms', 'p99 ms', 'vs nominal', 'note'];
  const rows = outcomes.map((o) => {
    if (!('result' in o)) return [o.target, o.backend ?? '-', o.status, '-', '-', '-', '-', '-', o.reason];
    const r = o.result;
    const fp16 = r.fp16.tflops === undefined ? 'unknown' : `${r.fp16.tflops} (${r.fp16.basis}${r.fp16.weak ? ', weak' : ''})`;
    return [
      o.target,
      o.backend,
      o.status,
      fp16,
      `${r.rawTflops} ${r.precision}`,
      String(r.latencyP50Ms),
      String(r.latencyP99Ms),
      r.ratioToNominal ? `${(r.ratioToNominal * 100).toFixed(1)}%` : 'n/a',
      // Which kernel measured: numpy's BLAS and the JS last resort differ 30-100x on one CPU.
      r.versions.kernel ? `[${r.versions.kernel}] ${r.shape}` : r.shape,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}
