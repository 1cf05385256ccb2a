// bench/runner.ts: each module in its own process with a limit; a module that hangs, throws or
// dies is failed with the reason and its figures left out, and the run goes on.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench } from '../../bench/runner.ts';
import { waitFor } from '../helpers/wait.ts';

const dir = fileURLToPath(new URL('../fixtures/bench/modules/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'banyan-runner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('bench runner', () => {
  it('keeps the figures of modules that finish and fails the others with the reason', async () => {
    const pidFile = join(scratch, 'sleeper.pid');
    process.env.BANYAN_TEST_PIDFILE = pidFile;
    let stderr = '';
    try {
      const outcomes = await runBench({
        dir,
        files: ['hang.bench.ts', 'crash.bench.ts', 'killed.bench.ts', 'ok.bench.ts'],
        totalBudgetMs: 120_000,
        defaultBudgetMs: 25_000,
        minModuleMs: 1000,
        stderr: (d) => (stderr += d.toString()),
      });
      expect(outcomes.map((o) => [o.file, o.status])).toEqual([
        ['hang.bench.ts', 'failed'],
        ['crash.bench.ts', 'failed'],
        ['killed.bench.ts', 'failed'],
        ['ok.bench.ts', 'ok'],
      ]);
      expect(outcomes[0]!.reason).toBe('timed out: no result within its 8 s limit');
      expect(outcomes[1]!.reason).toBe('exited with code 1: no broker answered on 127.0.0.1:1');
      expect(outcomes[2]!.reason).toMatch(/^killed by SIGKILL/);
      expect(outcomes.slice(0, 3).every((o) => o.figures.length === 0)).toBe(true);
      // The value-less figure is left out, and the run says so.
      expect(outcomes[3]!.figures).toEqual([{ name: 'test.ok', value: 1.5, unit: 'x', note: 'measured' }]);
      expect(stderr).toMatch(/ok.bench.ts: left out 1 figure\(s\) without a finite value/);
      // What the hung module started went with it.
      const sleeper = Number(readFileSync(pidFile, 'utf8'));
      expect(sleeper).toBeGreaterThan(0);
      await waitFor('the hung module\'s child to be gone', () => !alive(sleeper), 5000);
    } finally {
      delete process.env.BANYAN_TEST_PIDFILE;
    }
  });

  it('skips the modules the run has no time left for', async () => {
    const outcomes = await runBench({ dir, files: ['hang.bench.ts', 'ok.bench.ts'], totalBudgetMs: 10_000, minModuleMs: 5000, stderr: () => {} });
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'skipped']);
    expect(outcomes[1]!.reason).toMatch(/not started: the run's 10 s budget is spent/);
  });

  it('takes the figures of a module whose escaped child still holds its stderr', async () => {
    const pidFile = join(scratch, 'escaped.pid');
    process.env.BANYAN_TEST_PIDFILE = pidFile;
    try {
      const outcomes = await runBench({ dir, files: ['escaped.bench.ts'], totalBudgetMs: 120_000, defaultBudgetMs: 25_000, stderr: () => {} });
      expect(outcomes).toMatchObject([{ status: 'ok', figures: [{ name: 'test.escaped', value: 2 }] }]);
    } finally {
      delete process.env.BANYAN_TEST_PIDFILE;
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('ends the brokers a timed-out module started in process groups of their own', async () => {
    const pidFile = join(scratch, 'broker.pid');
    process.env.BANYAN_TEST_PIDFILE = pidFile;
    let pid = 0;
    try {
      const outcomes = await runBench({ dir, files: ['broker-left.bench.ts'], totalBudgetMs: 60_000, stderr: () => {} });
      expect(outcomes).toMatchObject([{ status: 'failed', reason: expect.stringMatching(/timed out/) }]);
      pid = Number(readFileSync(pidFile, 'utf8'));
      expect(pid).toBeGreaterThan(0);
      await waitFor('the broker gone with its module', () => !alive(pid), 5000);
    } finally {
      delete process.env.BANYAN_TEST_PIDFILE;
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
