import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../../agent/bench/cpu/backend.ts';
import { measureCpuGemm } from '../../../agent/bench/cpu/measure.ts';
import type { BenchTarget } from '../../../agent/bench/types.ts';
import { waitFor } from '../../helpers/wait.ts';

const cpu: BenchTarget = { id: 'cpu', kind: 'cpu', model: 'test CPU', cores: 2 };
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MEASURE_URL = pathToFileURL(`${ROOT}agent/bench/cpu/measure.ts`).href;

interface GemmWorkerProc {
  pid: number;
  argv: string[];
  nodeOptions: string | undefined;
}

/** The GEMM worker processes whose parent is `parentPid`, from /proc (Linux). */
/** A one-minute measurement with two throughput workers, once both are running; abort ctl to end it. */
async function longRunWithTwoWorkers() {
  const ctl = new AbortController();
  const run = measureCpuGemm({ budgetMs: 60_000, n: 64, latencyN: 16, workers: 2, signal: ctl.signal });
  run.catch(() => {});
  try {
    const pids = await waitFor('both throughput workers', () => {
      const w = gemmWorkersOf(process.pid);
      return w.length === 2 && w.map((p) => p.pid);
    });
    return { ctl, run, pids };
  } catch (e) {
    ctl.abort();
    throw e;
  }
}

function gemmWorkersOf(parentPid: number): GemmWorkerProc[] {
  const found: GemmWorkerProc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parentPid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (!argv.some((a) => a.endsWith('gemm-worker.mjs'))) continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      const nodeOptions = env.find((e) => e.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length);
      found.push({ pid: Number(name), argv, nodeOptions });
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Whether a process we started still exists (a child is reaped before its exit is reported). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

/** Whether any process is still running as pid; an orphan's zombie (nobody reaps it) counts as gone. */
function running(pid: number): boolean {
  try {
    return !/^[ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop() ?? '');
  } catch {
    return false;
  }
}

/** CPU time (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()!.split(' ');
  // After the command: state, ppid, ... utime and stime are fields 14 and 15 of stat, in clock ticks.
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Starts a Node process like the agent's (TypeScript via tsx) that runs one GEMM measurement and prints its result. */
function startAgentLike(nodeArgs: string[], env: NodeJS.ProcessEnv, options: string) {
  const script = `const { measureCpuGemm } = await import(${JSON.stringify(MEASURE_URL)});
const m = await measureCpuGemm(${options});
console.log(JSON.stringify({ execArgv: process.execArgv, roundGflops: m.roundGflops }));`;
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx/esm', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  // Without waiting for its pipes, which a stray worker could hold open.
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, closed, exited };
}

describe('cpu backend', () => {
  it('measures a positive FP32 figure and converts it by the fp32x2 rule, flagged weak', async () => {
    const phases = new Set<string>();
    const r = await cpuBackend({ kernel: 'js', n: 64, latencyN: 16, workers: 2, rounds: 3 }).run(cpu, {
      budgetMs: 600,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(r.backend).toBe('cpu');
    expect(r.precision).toBe('fp32');
    expect(r.rawTflops).toBeGreaterThan(0);
    expect(r.fp16).toMatchObject({ basis: 'fp32x2', weak: true, kind: 'measured', source: 'bench:cpu' });
    expect(r.fp16.tflops).toBeCloseTo(r.rawTflops * 2, 3);
    expect(r.latencyP50Ms).toBeGreaterThan(0);
    expect(r.latencyP99Ms).toBeGreaterThanOrEqual(r.latencyP50Ms);
    expect(r.shape).toMatch(/64x64x64 fp32 x2 processes, median of 3 rounds/);
    expect(r.versions.peak).toBeTruthy();
    expect(r.versions).toMatchObject({ kernel: 'js-scalar', kernelNote: expect.stringMatching(/^last resort/) });
    expect([...phases]).toEqual(['throughput', 'latency']);
  });

  it('sums every worker of a round', async () => {
    const m = await measureCpuGemm({ budgetMs: 300, n: 32, latencyN: 8, workers: 2, rounds: 2 });
    expect(m.roundGflops).toHaveLength(2);
    expect(m.roundGflops.every((g) => g > 0)).toBe(true);
    expect(m.latencySamplesMs.length).toBeGreaterThan(0);
  });

  it('stops its workers when cancelled', async () => {
    const ctl = new AbortController();
    let rounds = 0;
    // A minute of budget makes each timed round ~8 s: cancelling after 300 ms must end the run
    // before any round reports, which only happens if the workers are terminated.
    const run = cpuBackend({ kernel: 'js', n: 64, workers: 2 }).run(cpu, {
      budgetMs: 60_000,
      signal: ctl.signal,
      onProgress: () => rounds++,
    });
    setTimeout(() => ctl.abort(), 300);
    await expect(run).rejects.toMatchObject({ name: 'BenchError', code: 'aborted' });
    expect(rounds).toBe(0);
  });

  it('leaves no worker process alive once a cancelled run has settled', async () => {
    const { ctl, run, pids } = await longRunWithTwoWorkers();
    try {
      ctl.abort();
      await expect(run).rejects.toMatchObject({ name: 'BenchError', code: 'aborted' });
      expect(pids.filter(exists)).toEqual([]);
      expect(gemmWorkersOf(process.pid)).toEqual([]);
    } finally {
      ctl.abort();
    }
  });

  it('fails the run when a worker crashes, and the other workers are gone too', async () => {
    const { ctl, run, pids } = await longRunWithTwoWorkers(); // ctl only cleans up if the test fails
    try {
      process.kill(pids[0]!, 'SIGKILL');
      await expect(run).rejects.toMatchObject({
        name: 'BenchError',
        code: 'failed',
        message: expect.stringMatching(/cpu gemm worker was killed by SIGKILL before reporting/),
      });
      expect(pids.filter(exists)).toEqual([]);
      expect(gemmWorkersOf(process.pid)).toEqual([]);
    } finally {
      ctl.abort();
    }
  });

  it('starts its workers with a JIT when the agent runs --jitless (flags and NODE_OPTIONS)', async () => {
    // Flags reach a Node child only through its argv or NODE_OPTIONS, so the workers' /proc entries
    // say for certain whether they would inherit --jitless; no timing involved.
    const agent = startAgentLike(
      ['--jitless', '--max-semi-space-size=1'],
      { ...process.env, NODE_OPTIONS: '--jitless' },
      '{ budgetMs: 1500, n: 64, latencyN: 16, workers: 2, rounds: 2 }',
    );
    const seen = new Map<number, GemmWorkerProc>();
    const poll = setInterval(() => {
      for (const w of gemmWorkersOf(agent.child.pid!)) if (!seen.has(w.pid)) seen.set(w.pid, w);
    }, 20);
    const { code, stdout, stderr } = await agent.closed.finally(() => clearInterval(poll));
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { execArgv: string[]; roundGflops: number[] };
    expect(out.execArgv).toContain('--jitless');
    expect(out.roundGflops.every((g) => g > 0)).toBe(true);
    // Two throughput workers at least (the latency one may come and go between polls).
    expect(seen.size).toBeGreaterThanOrEqual(2);
    for (const w of seen.values()) {
      expect(w.argv[1], w.argv.join(' ')).toMatch(/gemm-worker\.mjs$/);
      expect(w.argv.join(' ')).not.toMatch(/--jitless|--max-semi-space-size|tsx/);
      expect(w.nodeOptions).toBeUndefined();
    }
  });

  it('workers stop by themselves when the agent is killed mid-round', async () => {
    // Two rounds of ~40 s each: no round ends (and no send fails) while the test runs, so only
    // noticing the lost parent can stop the workers within its 5 s.
    const agent = startAgentLike([], process.env, '{ budgetMs: 120_000, n: 64, latencyN: 16, workers: 2, rounds: 2 }');
    let pids: number[] = [];
    try {
      pids = await waitFor(
        'both throughput workers',
        () => {
          const w = gemmWorkersOf(agent.child.pid!);
          return w.length === 2 && w.map((p) => p.pid);
        },
        20_000,
        20,
      );
      // Start-up and a 64³ warm-up take far less than 0.5 s of CPU: past that, they are timing.
      await waitFor('both workers inside their timed rounds', () => pids.every((pid) => cpuSeconds(pid) > 0.5), 20_000, 20);
      agent.child.kill('SIGKILL');
      await agent.exited;
      await waitFor('orphaned workers to exit', () => pids.every((pid) => !running(pid)), 5000, 20);
    } finally {
      // A failing run must not leave ~40 s rounds burning the CI's CPUs.
      agent.child.kill('SIGKILL');
      for (const pid of pids.filter(running)) process.kill(pid, 'SIGKILL');
    }
  });

  it('refuses accelerators', async () => {
    const acc = { id: 'acc:0', kind: 'accelerator' } as unknown as BenchTarget;
    expect(await cpuBackend().available(acc)).toMatchObject({ ok: false });
  });
});
