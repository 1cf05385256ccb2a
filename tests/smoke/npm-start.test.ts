// The public contract: `npm start` brings up the orchestrator, broker, local agent and the
// 24-node fleet; /v1/nodes lists 25 within 10 s; Ctrl-C stops every process it started.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'banyan-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

it('npm start lists 25 nodes, then stops cleanly on SIGINT with no orphans', async () => {
  const child = spawn('npm', ['start', '--', '--http-port', '0', '--json', '--data-dir', dataDir], {
    cwd: new URL('../..', import.meta.url).pathname,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // The local agent's peer-probe responder on loopback, any free port (never 7947 on every interface).
    env: { ...process.env, LOG_LEVEL: 'warn', BANYAN_PROBE_BIND_HOST: '127.0.0.1', BANYAN_PROBE_PORT: '0' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const pgid = child.pid!;
  try {
    const summary = await waitFor('the start-up line', () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      return line ? (JSON.parse(line) as { api: string; broker: string; simulatedNodes: number }) : undefined;
    }, 30_000);
    expect(summary.simulatedNodes).toBe(24);
    expect(summary.broker).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const started = Date.now();
    const nodes = await waitFor('25 nodes listed', async () => {
      const body = (await (await fetch(summary.api)).json()) as { nodes: { status: string }[] };
      return body.nodes.length === 25 && body.nodes;
    }, 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(nodes.every((n) => n.status === 'online')).toBe(true);
  } finally {
    process.kill(-pgid, 'SIGINT');
    // A terminal's Ctrl-C reaches the whole group: npm itself then ends by that signal.
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    await waitFor('every process of npm start to exit', () => !groupAlive(pgid), 10_000).catch((e: Error) => {
      process.kill(-pgid, 'SIGKILL');
      throw e;
    });
    expect(exit.code === 0 || exit.signal === 'SIGINT', err.slice(-2000)).toBe(true);
    expect(err).not.toMatch(/error while stopping/);
  }
}, 60_000);
