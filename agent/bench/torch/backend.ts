// The torch backend: agent/bench/torch_gemm.py on the accelerator's PyTorch device (or on the
// CPU), its JSON output validated, converted to FP16-eq by the protocol rule.
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { BenchResult } from '../../../protocol/messages.ts';
import { toFp16Eq } from '../../../protocol/fp16.ts';
import { parseProgress, runJsonChild } from '../child.ts';
import { cpuPeak, readCpuFacts } from '../cpu/peak.ts';
import { ratioTo, roundTo } from '../flops.ts';
import { BenchError, type BenchBackend, type BenchRunOptions, type BenchTarget } from '../types.ts';
import { decodeJson } from '../validate.ts';
import { ordinalEnv, torchDeviceFor, type TorchDevice } from './devices.ts';
import { findTorchPython } from './python.ts';

export { parseProgress };

export const TORCH_SCRIPT = fileURLToPath(new URL('../torch_gemm.py', import.meta.url));

export type TorchDtype = 'fp16' | 'bf16' | 'fp32';

export interface TorchShape {
  size: number;
  latencySize: number;
  dtype: TorchDtype;
  /** Cache-flush buffer written before each timed iteration, larger than the last-level cache. */
  flushMib: number;
}

export interface TorchBackendOptions {
  accelerator?: Partial<TorchShape>;
  /** torch fp16 matmul is unsupported or slow on CPUs: fp32 by default, FP16-eq then weak. */
  cpu?: Partial<TorchShape>;
  env?: NodeJS.ProcessEnv;
}

const ACCELERATOR_DEFAULTS: TorchShape = { size: 8192, latencySize: 1024, dtype: 'fp16', flushMib: 512 };
const CPU_DEFAULTS: TorchShape = { size: 1024, latencySize: 128, dtype: 'fp32', flushMib: 64 };
/** Python start-up and `import torch` are not in the script's own budget accounting. */
const STARTUP_ALLOWANCE_MS = 15_000;

const Gemm = { m: Type.Integer({ minimum: 1 }), n: Type.Integer({ minimum: 1 }), k: Type.Integer({ minimum: 1 }), iterations: Type.Integer({ minimum: 1 }) };
const TorchOk = Type.Object({
  ok: Type.Literal(true),
  device: Type.String(),
  device_name: Type.String(),
  dtype: Type.Union([Type.Literal('fp16'), Type.Literal('bf16'), Type.Literal('fp32')]),
  timing: Type.String(),
  threads: Type.Integer({ minimum: 1 }),
  throughput: Type.Object({ ...Gemm, median_ms: Type.Number({ exclusiveMinimum: 0 }), tflops: Type.Number({ exclusiveMinimum: 0 }) }),
  latency: Type.Object({ ...Gemm, p50_ms: Type.Number({ minimum: 0 }), p99_ms: Type.Number({ minimum: 0 }) }),
  versions: Type.Record(Type.String(), Type.String()),
  duration_ms: Type.Number({ minimum: 0 }),
});
const TorchFail = Type.Object({ ok: Type.Literal(false), error: Type.String(), hint: Type.String() });
const TorchOutput = Type.Union([TorchOk, TorchFail]);

export function torchBackend(config: TorchBackendOptions = {}): BenchBackend {
  const env = config.env ?? process.env;
  const plan = (target: BenchTarget): { device: TorchDevice; index: number; shape: TorchShape } | { reason: string } => {
    if (target.kind === 'cpu') return { device: 'cpu', index: 0, shape: { ...CPU_DEFAULTS, ...config.cpu } };
    const device = torchDeviceFor(target.accelerator.vendor);
    if (!device) return { reason: `no PyTorch device type is known for vendor '${target.accelerator.vendor}'; configure a command backend` };
    return { device, index: target.accelerator.index, shape: { ...ACCELERATOR_DEFAULTS, ...config.accelerator } };
  };

  return {
    name: 'torch',
    async available(target) {
      const p = plan(target);
      if ('reason' in p) return { ok: false, reason: p.reason };
      const py = await findTorchPython(p.device, env);
      return py.ok ? { ok: true } : { ok: false, reason: py.reason };
    },
    async run(target: BenchTarget, opts: BenchRunOptions): Promise<BenchResult> {
      const started = Date.now();
      const p = plan(target);
      if ('reason' in p) throw new BenchError('unavailable', p.reason);
      const py = await findTorchPython(p.device, env);
      if (!py.ok) throw new BenchError('unavailable', py.reason);
      const args = [
        TORCH_SCRIPT,
        '--device', p.device,
        '--index', String(p.index),
        '--dtype', p.shape.dtype,
        '--size', String(p.shape.size),
        '--latency-size', String(p.shape.latencySize),
        '--flush-mib', String(p.shape.flushMib),
        '--budget-ms', String(Math.max(1000, opts.budgetMs)),
        // Some torch builds default to one thread; the CPU figure is for the whole host.
        ...(target.kind === 'cpu' ? ['--threads', String(target.cores)] : []),
      ];
      const { json } = await runJsonChild(py.python, args, {
        label: 'torch_gemm.py',
        timeoutMs: opts.budgetMs + STARTUP_ALLOWANCE_MS,
        env: { ...env, ...ordinalEnv(p.device), PYTHONUNBUFFERED: '1' },
        ...(opts.signal ? { signal: opts.signal } : {}),
        onStderrLine: (line) => {
          const prog = parseProgress(line);
          if (prog) opts.onProgress?.({ target: target.id, backend: 'torch', ...prog });
        },
      });
      const out = decodeJson(TorchOutput, json, 'torch_gemm.py');
      if (!out.ok) throw new BenchError('failed', `torch_gemm.py on ${p.device}:${p.index}: ${out.error}; ${out.hint}`);

      const raw = out.throughput.tflops;
      const fp16 = toFp16Eq({ [out.dtype]: raw }, { kind: 'measured', source: 'bench:torch' });
      const nominalRatio =
        target.kind === 'cpu' ? ratioTo(raw * 1000, cpuPeak(await readCpuFacts(), target.cores)?.gflops) : ratioTo(fp16.tflops, target.accelerator.nominal.tflops);
      const t = out.throughput;
      const l = out.latency;
      return {
        target: target.id,
        backend: 'torch',
        fp16,
        rawTflops: roundTo(raw, 6),
        precision: out.dtype,
        latencyP50Ms: roundTo(l.p50_ms, 4),
        latencyP99Ms: roundTo(l.p99_ms, 4),
        ratioToNominal: nominalRatio,
        shape: `throughput ${t.m}x${t.n}x${t.k} ${out.dtype}, median of ${t.iterations} (${out.timing}); latency ${l.m}x${l.n}x${l.k}, ${l.iterations} iterations`,
        versions: {
          ...out.versions,
          device: `${out.device} ${out.device_name}`,
          ...(target.kind === 'accelerator' ? { driver: target.accelerator.driverVersion } : { threads: String(out.threads) }),
        },
        atMs: started,
        durationMs: Date.now() - started,
      };
    },
  };
}
