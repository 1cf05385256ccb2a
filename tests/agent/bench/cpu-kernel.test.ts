// Which kernel the cpu backend measures with: numpy's BLAS when a candidate Python has it, the JS
// kernel as a labelled last resort. The numpy path runs for real with the Python found here;
// locally it skips, saying why, when none has numpy on an optimised BLAS; in CI that is a failure.
// Fake Pythons (shell scripts) stand for the hosts this machine is not: no numpy, netlib BLAS,
// a numpy that prints garbage or hangs.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BenchCache } from '../../../agent/bench/cache.ts';
import { cpuBackend } from '../../../agent/bench/cpu/backend.ts';
import { findNumpyPython } from '../../../agent/bench/cpu/numpy.ts';
import { runBenchmarks } from '../../../agent/bench/run.ts';
import type { BenchTarget } from '../../../agent/bench/types.ts';
import { waitFor } from '../../helpers/wait.ts';

const cpu: BenchTarget = { id: 'cpu', kind: 'cpu', model: 'test CPU', cores: 2 };
const tinyJs = { n: 32, latencyN: 8, workers: 1, rounds: 2 } as const;

const real = await findNumpyPython();
if (!real.ok) console.warn(`numpy kernel tests skipped: ${real.reason}`);

const dir = mkdtempSync(join(tmpdir(), 'banyan-fakepy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An executable that answers like numpy_gemm.py would: `probe` for --probe, `run` otherwise. */
function fakePython(name: string, probe: string, run = probe): string {
  const path = join(dir, name);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(path, `#!/bin/sh\ncase " $* " in *" --probe "*) ${probe.startsWith('exec ') ? probe : `echo ${q(probe)}`} ;; *) ${run.startsWith('exec ') ? run : `echo ${q(run)}`} ;; esac\n`);
  chmodSync(path, 0o755);
  return path;
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const probeOf = (blas: string) =>
  JSON.stringify({
    ok: true,
    numpy: '2.4.6',
    python: '3.11.7',
    blas: { name: blas, version: blas === 'openblas' ? '0.3.31' : 'netlib', core: 'Haswell', threads: 1, config: '', library: `/lib/lib${blas}.so` },
    env: {},
  });
const noNumpy = fakePython('no-numpy', JSON.stringify({ ok: false, error: "cannot import numpy: No module named 'numpy'", hint: 'install numpy' }));
const netlib = fakePython('netlib', probeOf('reference'));
const garbage = fakePython('garbage', probeOf('openblas'), 'Segmentation fault');
const hangPid = join(dir, 'hangs.pid');
const hangs = fakePython('hangs', probeOf('openblas'), `exec sh -c 'echo $$ > ${hangPid}; exec sleep 30'`);
const missing = join(dir, 'not-installed', 'python3');

describe('cpu kernel choice', () => {
  it('finds numpy on an optimised BLAS in CI (pyenv or Debian python3-numpy with OpenBLAS)', () => {
    if (process.env.CI) expect(real, 'CI needs a Python with numpy on OpenBLAS').toMatchObject({ ok: true });
    else expect(typeof real.ok).toBe('boolean');
  });

  it.skipIf(!real.ok)('measures with numpy when a candidate has it, and says so', async () => {
    const python = real.ok ? real.python : '';
    const phases = new Set<string>();
    const backend = cpuBackend({ pythons: [noNumpy, netlib, python], workers: 2 });
    const r = await backend.run(cpu, { budgetMs: 1500, onProgress: (p) => phases.add(p.phase) });
    expect(r.backend).toBe('cpu');
    expect(r.versions.kernel).toMatch(/^numpy-(openblas|mkl|blis|unknown) \S+$/);
    expect(r.versions).toMatchObject({ threads: '2', numpy: expect.any(String), python: expect.stringContaining(`(${python})`) });
    expect(r.versions.blas).toMatch(/core \S+/);
    expect(r.versions.peak).toBeTruthy();
    expect(Number.isFinite(r.rawTflops) && r.rawTflops > 0).toBe(true);
    expect(r.fp16).toMatchObject({ basis: 'fp32x2', weak: true, kind: 'measured', source: 'bench:cpu' });
    expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms);
    expect(r.shape).toMatch(/^throughput (\d+)x\1x\1 fp32 on 2 BLAS threads, median of \d+; latency 64x64x64/);
    expect(phases.has('throughput')).toBe(true);
    expect(await backend.cacheTag!(cpu)).toContain(python);
  });

  it('falls back to the JS kernel, labelled with why, when no candidate has numpy on an optimised BLAS', async () => {
    const backend = cpuBackend({ ...tinyJs, pythons: [noNumpy, netlib, missing] });
    expect(await backend.available(cpu)).toEqual({ ok: true });
    const r = await backend.run(cpu, { budgetMs: 400 });
    expect(r.versions.kernel).toBe('js-scalar');
    expect(r.versions.kernelNote).toMatch(/^last resort/);
    expect(r.versions.kernelNote).toContain(`${noNumpy}: No module named 'numpy'`);
    expect(r.versions.kernelNote).toContain(`${netlib}: numpy 2.4.6 runs the netlib reference BLAS`);
    expect(r.versions.kernelNote).toContain(`${missing}: ${missing} numpy check: ${missing} not found`);
    expect(r.rawTflops).toBeGreaterThan(0);
    expect(await backend.cacheTag!(cpu)).toBe('js-scalar');
  });

  it('with kernel numpy and no numpy, is unavailable and says what to install', async () => {
    const backend = cpuBackend({ kernel: 'numpy', pythons: [noNumpy] });
    const a = await backend.available(cpu);
    expect(a.ok).toBe(false);
    expect(!a.ok && a.reason).toMatch(/no Python with numpy on an optimised BLAS .*apt-get install python3-numpy libopenblas0/);
  });

  it('rejects a numpy run that prints no valid JSON, and in auto mode falls back to JS saying so', async () => {
    await expect(cpuBackend({ kernel: 'numpy', pythons: [garbage] }).run(cpu, { budgetMs: 1000 })).rejects.toMatchObject({
      name: 'BenchError',
      code: 'bad_output',
      message: expect.stringMatching(/numpy_gemm.py exited 0 without a JSON object/),
    });
    const r = await cpuBackend({ ...tinyJs, pythons: [garbage] }).run(cpu, { budgetMs: 1000 });
    expect(r.versions.kernel).toBe('js-scalar');
    expect(r.versions.kernelNote).toMatch(/numpy with .*garbage failed: numpy_gemm.py exited 0 without a JSON object/);
  });

  it('kills a hung numpy child when cancelled', async () => {
    const ctl = new AbortController();
    const run = cpuBackend({ pythons: [hangs] }).run(cpu, { budgetMs: 20_000, signal: ctl.signal });
    run.catch(() => {});
    const pid = await waitFor('the numpy child to start', () => Number(readFileOr(hangPid)) || false);
    ctl.abort();
    await expect(run).rejects.toMatchObject({ name: 'BenchError', code: 'aborted' });
    expect(alive(pid)).toBe(false);
  });

  it('measures again, not from the cache, once the kernel changes', async () => {
    const cache = await BenchCache.open(join(dir, 'cache.json'));
    const js = cpuBackend({ ...tinyJs, kernel: 'js' });
    const first = await runBenchmarks({ accelerators: [], backends: [js], budgetMs: 1000, cache });
    expect(first.outcomes[0]).toMatchObject({ status: 'measured' });
    const again = await runBenchmarks({ accelerators: [], backends: [js], budgetMs: 1000, cache });
    expect(again.outcomes[0]).toMatchObject({ status: 'cached' });
    // The node gained a numpy (here one whose run fails, so the figure is the JS one again, measured anew).
    const gained = cpuBackend({ ...tinyJs, pythons: [garbage] });
    const after = await runBenchmarks({ accelerators: [], backends: [gained], budgetMs: 1000, cache });
    expect(after.outcomes[0]).toMatchObject({ status: 'measured' });
  });
});
