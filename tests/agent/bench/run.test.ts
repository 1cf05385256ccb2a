// The runner with real backends: the built-in cpu backend (tiny) and a site command fixture.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BenchCache } from '../../../agent/bench/cache.ts';
import { commandBackend } from '../../../agent/bench/command/backend.ts';
import { cpuBackend } from '../../../agent/bench/cpu/backend.ts';
import { runBenchmarks } from '../../../agent/bench/run.ts';
import { accelerator } from './accelerators.ts';

const SCRIPT = fileURLToPath(new URL('../../fixtures/bench/site-bench.mjs', import.meta.url));
const site = () => commandBackend({ argv: [process.execPath, SCRIPT, '{index}'], env: { ...process.env, FAKE_BENCH_MODE: 'ok' } });
const tinyCpu = () => cpuBackend({ kernel: 'js', n: 32, latencyN: 8, workers: 1, rounds: 2 });

const dirs: string[] = [];
function cachePath(): string {
  const d = mkdtempSync(join(tmpdir(), 'banyan-bench-'));
  dirs.push(d);
  return join(d, 'cache.json');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('runBenchmarks', () => {
  it('measures every target with its preferred backend and skips busy accelerators', async () => {
    const run = await runBenchmarks({
      accelerators: [accelerator({ index: 0 }), accelerator({ index: 1 })],
      backends: [site(), tinyCpu()],
      busy: [1],
      budgetMs: 3000,
    });
    expect(run.outcomes.map((o) => [o.target, o.status, o.backend])).toEqual([
      ['cpu', 'measured', 'cpu'],
      ['acc:0', 'measured', 'command'],
      ['acc:1', 'skipped', undefined],
    ]);
    expect(run.outcomes[2]).toMatchObject({ reason: expect.stringMatching(/busy.*--force/) });
    expect(run.results.map((r) => r.target)).toEqual(['cpu', 'acc:0']);
  });

  it('benchmarks a busy accelerator when forced', async () => {
    const run = await runBenchmarks({ accelerators: [accelerator({ index: 1 })], includeCpu: false, backends: [site()], busy: [1], force: true });
    expect(run.results).toMatchObject([{ target: 'acc:1', rawTflops: 101 }]);
  });

  it('says why a target has no usable backend', async () => {
    const run = await runBenchmarks({ accelerators: [accelerator({ index: 0 })], includeCpu: false, backends: [tinyCpu()] });
    expect(run.outcomes).toMatchObject([{ target: 'acc:0', status: 'skipped', reason: 'no benchmark backend selected for this target' }]);
  });

  it('serves results from the cache until the driver changes or a re-run is asked', async () => {
    const path = cachePath();
    const accs = [accelerator({ index: 0, driverVersion: '550.54.15' })];
    const opts = { includeCpu: false, backends: [site()] } as const;
    const first = await runBenchmarks({ ...opts, accelerators: accs, cache: await BenchCache.open(path) });
    expect(first.outcomes[0]!.status).toBe('measured');

    const second = await runBenchmarks({ ...opts, accelerators: accs, cache: await BenchCache.open(path) });
    expect(second.outcomes[0]!.status).toBe('cached');
    expect(second.results).toEqual(first.results);

    const rerun = await runBenchmarks({ ...opts, accelerators: accs, cache: await BenchCache.open(path), rerun: true });
    expect(rerun.outcomes[0]!.status).toBe('measured');

    const newDriver = [accelerator({ index: 0, driverVersion: '560.28.03' })];
    const third = await runBenchmarks({ ...opts, accelerators: newDriver, cache: await BenchCache.open(path) });
    expect(third.outcomes[0]!.status).toBe('measured');
  });

  it('ignores a corrupt cache file with a warning', async () => {
    const path = cachePath();
    writeFileSync(path, '{"version": 1, "entries": {"x": {"target": 1}}}');
    const cache = await BenchCache.open(path);
    expect(cache.warning).toMatch(/not a valid cache file/);
    const run = await runBenchmarks({ accelerators: [accelerator({ index: 0 })], includeCpu: false, backends: [site()], cache });
    expect(run.outcomes[0]!.status).toBe('measured');
  });

  it('records a failing target and still measures the others', async () => {
    const broken = commandBackend({ argv: [process.execPath, SCRIPT], env: { ...process.env, FAKE_BENCH_MODE: 'exit' }, targets: ['acc:0'] });
    const run = await runBenchmarks({ accelerators: [accelerator({ index: 0 }), accelerator({ index: 1 })], includeCpu: false, backends: [broken, site()] });
    expect(run.outcomes.map((o) => o.status)).toEqual(['failed', 'measured']);
    expect(run.outcomes[0]).toMatchObject({ reason: expect.stringMatching(/exited 3/) });
  });

  it('stops when cancelled', async () => {
    const ctl = new AbortController();
    ctl.abort();
    const run = await runBenchmarks({ accelerators: [accelerator({ index: 0 })], backends: [site(), tinyCpu()], signal: ctl.signal });
    expect(run.results).toEqual([]);
    expect(run.outcomes.every((o) => o.status === 'skipped' && /cancelled/.test(o.reason))).toBe(true);
  });
});
