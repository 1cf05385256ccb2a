// `banyan orchestrator --sparkplug GROUP` as an operator runs it: the bridge node is born on the
// broker given, and the Sparkplug flags refuse to run without a group.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateMosquitto } from '../../../simulators/chaos/mosquitto.ts';
import { serveCommand } from '../../../orchestrator/cli/serve.ts';
import { waitFor } from '../../helpers/wait.ts';
import { metric, SpbListener } from '../sparkplug/spb-listener.ts';

describe('banyan orchestrator --sparkplug', () => {
  let mosq: PrivateMosquitto;
  let dir: string;
  beforeAll(async () => {
    mosq = await PrivateMosquitto.start();
    dir = mkdtempSync(join(tmpdir(), 'banyan-spb-cli-'));
  });
  afterAll(async () => {
    await mosq?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('births the bridge node under the group, and its NDEATH on SIGTERM', async () => {
    const group = `cli-${randomUUID().slice(0, 8)}`;
    const ear = await SpbListener.start(mosq.url, group);
    const args = ['bin/banyan.js', 'orchestrator', '--sparkplug', group, '--sparkplug-node', 'city-bridge', '--broker', mosq.url, '--http-port', '0', '--data-dir', dir];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const nb = await waitFor(`bridge NBIRTH (output: ${out})`, () => ear.of('city-bridge', 'NBIRTH')[0], 30_000);
      expect(nb.payload.seq).toBe(0);
      expect(metric(nb, 'Nodes/Known')!.value).toBe(0);
      expect(out).toContain(`sparkplug: group ${group}`);
      child.kill('SIGTERM');
      const death = await waitFor('bridge NDEATH', () => ear.of('city-bridge', 'NDEATH')[0], 15_000);
      expect(metric(death, 'bdSeq')!.value).toBe(metric(nb, 'bdSeq')!.value);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await ear.close();
    }
  }, 60_000);

  it('refuses --sparkplug-host without --sparkplug (exit 2), starting nothing', async () => {
    const err: string[] = [];
    const orig = console.error;
    console.error = (t: string) => err.push(t);
    try {
      expect(await serveCommand(['--sparkplug-host', 'scada-1'])).toBe(2);
    } finally {
      console.error = orig;
    }
    expect(err.join('\n')).toMatch(/--sparkplug-host needs --sparkplug GROUP/);
  });
});
