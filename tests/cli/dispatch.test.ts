// The `banyan` entry as a user runs it (a real process): --version, and a reader that goes away early
// (`banyan nodes --json | head -c 10`) ends the command quietly with 0, as Unix tools do.
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANYAN_VERSION } from '../../protocol/version.ts';
import { startHarness, type Harness } from '../orchestrator/dashboard/harness.ts';

const BIN = new URL('../../bin/banyan.js', import.meta.url).pathname;
const run = promisify(execFile);

describe('banyan --version', () => {
  it('is the package version, on the program and on each command', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(BANYAN_VERSION).toBe(pkg.version);
    expect((await run('node', [BIN, '--version'])).stdout.trim()).toBe(`banyan ${pkg.version}`);
    expect((await run('node', [BIN, 'nodes', '--version'])).stdout.trim()).toBe(`banyan nodes ${pkg.version}`);
    expect((await run('node', [BIN, 'detect', '--version'])).stdout.trim()).toBe(`banyan detect ${pkg.version}`);
  });
});

describe('a closed stdout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([], 24);
  }, 60_000);
  afterAll(async () => h?.stop());

  it('ends `banyan nodes --json` quietly with 0 when the reader stops after 10 bytes', async () => {
    const env = { ...process.env, BANYAN_ORCHESTRATOR: h.orch.httpUrl };
    // More than a pipe buffer holds, or the write would finish before the reader goes.
    const full = await run('node', [BIN, 'nodes', '--json'], { env, maxBuffer: 64 * 2 ** 20 });
    expect(full.stdout.length).toBeGreaterThan(128 * 1024);

    const child = spawn('node', [BIN, 'nodes', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    let got = 0;
    child.stdout.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= 10) child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  }, 60_000);
});
