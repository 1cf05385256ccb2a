import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandBackend } from '../../../agent/bench/command/backend.ts';
import { targetOf } from '../../../agent/bench/types.ts';
import { accelerator } from './accelerators.ts';

const SCRIPT = fileURLToPath(new URL('../../fixtures/bench/site-bench.mjs', import.meta.url));
const argv = [process.execPath, SCRIPT, '{index}'];
const env = (mode: string, extra: Record<string, string> = {}) => ({ ...process.env, FAKE_BENCH_MODE: mode, ...extra });

describe('command backend', () => {
  it('runs the site command with the target substituted and validates its JSON', async () => {
    const target = targetOf(accelerator({ index: 3, nominal: 206 }));
    const r = await commandBackend({ argv, env: env('ok') }).run(target, { budgetMs: 4000 });
    expect(r).toMatchObject({
      target: 'acc:3',
      backend: 'command',
      precision: 'fp16',
      rawTflops: 103,
      latencyP50Ms: 0.25,
      latencyP99Ms: 0.5,
      ratioToNominal: 0.5,
      shape: '8192x8192x8192',
      fp16: { tflops: 103, basis: 'fp16', kind: 'measured', weak: false },
    });
    expect(r.versions).toMatchObject({ tool: 'site-bench 1.0', budget_ms: '4000', target: 'acc:3', driver: '550.54.15' });
  });

  it('converts other precisions by the protocol rule', async () => {
    const r = await commandBackend({ argv, env: env('ok', { FAKE_BENCH_PRECISION: 'int8' }) }).run(targetOf(accelerator({ index: 0 })), { budgetMs: 4000 });
    expect(r.fp16).toMatchObject({ tflops: 50, basis: 'int8/2' });
  });

  it.each([
    ['garbage', /without a JSON object/],
    ['schema', /does not match its schema \(\/tflops/],
    ['exit', /exited 3 .*device lost/],
  ])('turns %s output into a BenchError, never a figure', async (mode, message) => {
    const run = commandBackend({ argv, env: env(mode) }).run(targetOf(accelerator({ index: 0 })), { budgetMs: 4000 });
    await expect(run).rejects.toThrow(message);
  });

  it('kills a command that outlives its budget', async () => {
    const run = commandBackend({ argv, env: env('hang'), graceMs: 100 }).run(targetOf(accelerator({ index: 0 })), { budgetMs: 200 });
    await expect(run).rejects.toMatchObject({ code: 'timeout' });
  });

  it('kills the command when cancelled', async () => {
    const ctl = new AbortController();
    const run = commandBackend({ argv, env: env('hang') }).run(targetOf(accelerator({ index: 0 })), { budgetMs: 60_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 200);
    await expect(run).rejects.toMatchObject({ code: 'aborted' });
  });

  it('covers only the targets it is configured for', async () => {
    const b = commandBackend({ argv, targets: ['acc:1'] });
    expect(await b.available(targetOf(accelerator({ index: 1 })))).toEqual({ ok: true });
    expect(await b.available(targetOf(accelerator({ index: 0 })))).toMatchObject({ ok: false });
  });
});
