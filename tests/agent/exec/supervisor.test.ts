import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WorkloadSupervisor } from '../../../agent/exec/supervisor.ts';
import { isSameProcessAlive, readProcStat } from '../../../agent/exec/proc.ts';
import { execSpec, type WorkloadEvent } from '../../../agent/exec/types.ts';

let dir: string;
const pids = new Set<number>();
const sups: WorkloadSupervisor[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'banyan-sup-'));
});
afterEach(() => {
  for (const s of sups.splice(0)) s.close();
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  pids.clear();
  rmSync(dir, { recursive: true, force: true });
});

function supervisor(opts: { adoptPollMs?: number } = {}): { sup: WorkloadSupervisor; events: WorkloadEvent[] } {
  const sup = new WorkloadSupervisor({ stateDir: dir, adoptPollMs: opts.adoptPollMs ?? 50 });
  sups.push(sup);
  const events: WorkloadEvent[] = [];
  sup.on('event', (e) => {
    events.push(e);
    if (e.status.pid > 0) pids.add(e.status.pid);
  });
  return { sup, events };
}

function until(events: WorkloadEvent[], pred: (e: WorkloadEvent) => boolean, ms = 10_000): Promise<WorkloadEvent> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const hit = events.find(pred);
      if (hit) return resolve(hit);
      if (Date.now() - started > ms) return reject(new Error(`no matching event in ${ms} ms: ${JSON.stringify(events.map((e) => e.status.state))}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('WorkloadSupervisor', () => {
  it('restarts a failing process on-failure with exponential backoff, reporting each attempt, then gives up', async () => {
    const { sup, events } = supervisor();
    const restart = { mode: 'on-failure' as const, maxAttempts: 3, initialDelayMs: 40, maxDelayMs: 1_000, factor: 2 };
    sup.start('w-fail', execSpec({ runner: 'process', command: 'sh', args: ['-c', 'echo boom >&2; exit 1'], restart }), [], 'c1');
    const final = await until(events, (e) => e.status.state === 'failed');
    const states = events.map((e) => `${e.status.state}:${e.status.attempt}`);
    expect(states).toEqual(['accepted:1', 'running:1', 'restarting:1', 'running:2', 'restarting:2', 'running:3', 'failed:3']);
    const restarting = events.filter((e) => e.status.state === 'restarting');
    expect(restarting.map((e) => e.status.message)).toEqual([
      'exited with code 1; attempt 2 starts in 40 ms',
      'exited with code 1; attempt 3 starts in 80 ms',
    ]);
    expect(final.status).toMatchObject({ exitCode: 1, outputTail: 'boom\n' });
    expect(final.released).toBe(true);
    expect(events.every((e) => e.correlationId === 'c1')).toBe(true);
    expect(sup.running()).toEqual([]);
  });

  it('completes a process that exits 0 and passes env, cwd and the vendor visibility variable', async () => {
    const { sup, events } = supervisor();
    const spec = execSpec({
      runner: 'process',
      command: 'sh',
      args: ['-c', 'echo "$MLU_VISIBLE_DEVICES $GREETING $(pwd)"'],
      env: { GREETING: 'hi' },
      cwd: dir,
      vendor: 'cambricon',
    });
    sup.start('w-ok', spec, [2, 3], 'c2');
    const done = await until(events, (e) => e.status.state === 'completed');
    expect(done.status.outputTail).toBe(`2,3 hi ${dir}\n`);
    expect(done.status.exitCode).toBe(0);
  });

  it('stops with SIGTERM to the group and SIGKILLs what ignores it after the grace period', async () => {
    const { sup, events } = supervisor();
    sup.start('w-stubborn', execSpec({ runner: 'process', command: 'sh', args: ['-c', 'trap "" TERM; while :; do sleep 0.05; done'] }), [], 'c3');
    const running = await until(events, (e) => e.status.state === 'running');
    await expect(sup.stop('w-stubborn', 300, 'c4')).resolves.toBe(true);
    const stopped = events.at(-1)!;
    expect(stopped).toMatchObject({ correlationId: 'c4', released: true });
    expect(stopped.status).toMatchObject({ state: 'stopped', message: 'stopped by SIGKILL' });
    expect(readProcStat(running.status.pid)).toBeNull();
  });

  it('a process that honours SIGTERM is stopped by it, before the grace runs out', async () => {
    const { sup, events } = supervisor();
    sup.start('w-polite', execSpec({ runner: 'process', command: 'sleep', args: ['30'] }), [], 'c5');
    await until(events, (e) => e.status.state === 'running');
    await sup.stop('w-polite', 5_000);
    expect(events.at(-1)!.status).toMatchObject({ state: 'stopped', message: 'stopped by SIGTERM' });
  });

  it('adopts the same pid after its host process is SIGKILLed, instead of starting it again', async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'supervisor-host.ts'), dir, 'w-adopt'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: host.stdout! }).once('line', resolve);
        host.once('exit', (c) => reject(new Error(`host exited early with ${c}`)));
      });
      const { pid } = JSON.parse(line) as { pid: number };
      pids.add(pid);
      const startTime = readProcStat(pid)!.startTime;
      host.kill('SIGKILL');
      await new Promise((r) => host.once('exit', r));
      expect(isSameProcessAlive(pid, startTime)).toBe(true);

      const { sup, events } = supervisor();
      const report = sup.recover();
      expect(report).toMatchObject({ adopted: ['w-adopt'], restarted: [], ended: [] });
      expect(events).toHaveLength(1);
      expect(events[0]!.status).toMatchObject({ state: 'running', pid, message: 'adopted after agent restart' });
      expect(events[0]!.correlationId).toBe('corr-host');

      // The adopted process dies: exit code unknown, said so, and restarted per policy.
      process.kill(-pid, 'SIGKILL');
      const restarting = await until(events, (e) => e.status.state === 'restarting');
      expect(restarting.status.exitCode).toBe(-1);
      expect(restarting.status.message).toContain('exit code unknown');
      const again = await until(events, (e) => e.status.state === 'running' && e.status.pid !== pid);
      expect(again.status.attempt).toBe(2);
      await sup.stop('w-adopt', 1_000);
    } finally {
      host.kill('SIGKILL');
    }
  });

  it('restarts per policy a workload whose process died while the agent was down', async () => {
    const first = supervisor();
    first.sup.start('w-died', execSpec({ runner: 'process', command: 'sleep', args: ['30'], restart: { mode: 'always', maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 10, factor: 1 } }), [], 'c6');
    const running = await until(first.events, (e) => e.status.state === 'running');
    first.sup.close(); // the agent goes away; the workload keeps running
    process.kill(-running.status.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));

    const second = supervisor();
    expect(second.sup.recover()).toMatchObject({ adopted: [], restarted: ['w-died'] });
    const again = await until(second.events, (e) => e.status.state === 'running');
    expect(again.status.pid).not.toBe(running.status.pid);
    expect(second.sup.running()).toEqual(['w-died']);
  });

  it('does not run a redelivered start twice', async () => {
    const { sup, events } = supervisor();
    const spec = execSpec({ runner: 'process', command: 'sleep', args: ['30'] });
    sup.start('w-once', spec, [], 'c7');
    await until(events, (e) => e.status.state === 'running');
    sup.start('w-once', spec, [], 'c8');
    expect(events.filter((e) => e.status.state === 'running').map((e) => e.status.pid)).toHaveLength(2);
    expect(new Set(events.filter((e) => e.status.state === 'running').map((e) => e.status.pid)).size).toBe(1);
    expect(events.at(-1)!.correlationId).toBe('c8');
  });

  it('answers a dispatch sent again after its work ended with how it ended, and runs a new dispatch of the same id', async () => {
    const { sup, events } = supervisor();
    const spec = execSpec({ runner: 'process', command: 'sh', args: ['-c', 'exit 3'], restart: 'never' });
    sup.start('w-ended', spec, [0], 'c-first');
    await until(events, (e) => e.status.state === 'failed');
    const before = events.length;
    // A new leader re-sends its predecessor's dispatch: the same correlation id.
    sup.start('w-ended', spec, [0], 'c-first');
    const replay = events.slice(before);
    expect(replay.map((e) => e.status.state)).toEqual(['failed']);
    expect(replay[0]).toMatchObject({ correlationId: 'c-first', released: true, status: { exitCode: 3, message: 'exited with code 3; already ended on this node (the same run sent again)' } });
    expect(sup.running()).toEqual([]);
    // A new dispatch (the work moved back here) runs.
    sup.start('w-ended', spec, [0], 'c-second');
    await until(events, (e) => e.correlationId === 'c-second' && e.status.state === 'failed');
    expect(events.filter((e) => e.status.state === 'accepted').map((e) => e.correlationId)).toEqual(['c-first', 'c-second']);
  });

  it('runs simulated workloads on the clock and resumes them after a restart with the time left', async () => {
    const { sup } = supervisor();
    sup.start('w-sim', execSpec({ runner: 'simulated', durationMs: 150, exitCode: 3, nominalLoadPct: 40, restart: { mode: 'never', maxAttempts: 0, initialDelayMs: 0, maxDelayMs: 0, factor: 1 } }), [], 'c9');
    expect(sup.simulatedLoadPct()).toBe(40);
    sup.close();
    const again = supervisor();
    expect(again.sup.recover().adopted).toEqual(['w-sim']);
    const failed = await until(again.events, (e) => e.status.state === 'failed');
    expect(failed.status.exitCode).toBe(3);
    expect(failed.released).toBe(true);
  });

  it('fails a container workload with a clear message when no runtime is on PATH', async () => {
    const { ContainerRunner } = await import('../../../agent/exec/container-runner.ts');
    const sup = new WorkloadSupervisor({ stateDir: dir, runners: { container: new ContainerRunner(join(dir, 'empty-bin')) } });
    sups.push(sup);
    const events: WorkloadEvent[] = [];
    sup.on('event', (e) => events.push(e));
    sup.start('w-ctr', execSpec({ runner: 'container', image: 'busybox', command: 'true' }), [0], 'c10');
    const failed = await until(events, (e) => e.status.state === 'failed', 2_000);
    expect(failed.status.message).toMatch(/neither docker nor podman is on PATH/);
    expect(events.map((e) => e.status.state)).toEqual(['accepted', 'failed']);
  });

  it('rejects a malformed spec with the reason instead of running it', () => {
    const { sup, events } = supervisor();
    sup.start('w-bad', execSpec({ runner: 'process', command: 'true', vendor: 'acme' as never }), [], 'c11');
    expect(events[0]!.status).toMatchObject({ state: 'failed' });
    expect(events[0]!.status.message).toContain('"acme" is not a known vendor id');
  });
});
