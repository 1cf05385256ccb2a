// A start that fails says what to do and leaves nothing behind: no listening broker, and the
// state file it could not read is left as it was.
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { quietLog } from '../helpers/quiet-log.ts';

const dir = mkdtempSync(join(tmpdir(), 'banyan-startfail-'));
let blocker: Server | null = null;
afterAll(() => {
  blocker?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('names the taken HTTP port and how to choose another, and frees the MQTT port it had taken', async () => {
  blocker = createServer();
  const httpPort = await new Promise<number>((r) => blocker!.listen(0, '127.0.0.1', () => r((blocker!.address() as { port: number }).port)));
  const mqttPort = 20000 + Math.floor(Math.random() * 20000);
  await expect(Orchestrator.start({ mqttPort, httpPort, dataDir: null, log: quietLog })).rejects.toThrow(`HTTP port ${httpPort} is taken; pass --http-port N`);
  // The embedded broker was closed again: the same port can be taken at once.
  const again = await Orchestrator.start({ mqttPort, httpPort: 0, dataDir: null, log: quietLog });
  try {
    expect(again.mqttUrl).toBe(`mqtt://127.0.0.1:${mqttPort}`);
  } finally {
    await again.stop();
  }
});

it('leaves a state file it cannot read untouched', async () => {
  const data = join(dir, 'state');
  mkdirSync(data, { recursive: true });
  const file = join(data, 'orchestrator.json');
  writeFileSync(file, '{"hello":1}');
  await expect(Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: data, log: quietLog })).rejects.toThrow(/move it aside/);
  expect(readFileSync(file, 'utf8')).toBe('{"hello":1}');
});
