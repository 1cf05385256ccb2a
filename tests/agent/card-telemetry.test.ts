// The real agent on a simulated box (fake vendor CLIs on PATH): per-card telemetry arrives every
// interval; when one vendor's tool hangs, telemetry keeps coming on time, carries the error, and
// still reports the other vendor's cards.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '../../agent/agent.ts';
import { ToolAcceleratorSource } from '../../agent/detect/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { prepareSimulatedHost, type HardwareScenario, type SimulatedHost } from '../../simulators/hardware/host.ts';
import { waitFor } from '../helpers/wait.ts';
import { Collector, tempDir, testAgent, testConfig } from './harness.ts';

const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
const state = tempDir('banyan-cardtel-');
const scenario: HardwareScenario = { vendors: { nvidia: { count: 2, utilPct: 61, powerW: 250 }, huawei: { count: 1, powerW: 90 } } };
const INTERVAL_MS = 3000;
let broker: EmbeddedBroker;
let collector: Collector;
let host: SimulatedHost;
let agent: Agent;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  collector = new Collector(broker.url, root);
  await collector.ready();
  host = await prepareSimulatedHost(scenario);
  agent = testAgent(testConfig({ nodeId: 'cards-1', brokerUrl: broker.url, topicRoot: root, stateDir: state.dir, telemetryIntervalMs: INTERVAL_MS }), {
    accelerators: new ToolAcceleratorSource({ env: host.env, sysfsRoot: host.sysfsRoot, timeoutMs: 8000, telemetryTimeoutMs: 1500 }),
  });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await collector?.close();
  await broker?.close();
  state.remove();
  if (host) rmSync(host.dir, { recursive: true, force: true });
});

it('reports every card, then keeps reporting on time through a hung npu-smi', { timeout: 60_000 }, async () => {
  const full = await waitFor('telemetry with three cards', () => collector.of('telemetry').find((t) => t.telemetry.accelerators.length === 3), 20_000);
  expect(full.telemetry.acceleratorErrors).toEqual([]);
  expect(full.telemetry.accelerators.map((a) => [a.index, a.utilPct, a.powerW])).toEqual([[0, 61, 250], [1, 61, 250], [2, 0, 90]]);
  expect(full.telemetry.accelerators[0]).toMatchObject({ memoryTotalMib: 143771, temperatureC: 28, powerLimitW: 700, health: 'ok' });

  writeFileSync(host.scenarioPath, JSON.stringify({ ...scenario, faults: { 'npu-smi': 'hang' } }));
  const hungAt = Date.now();
  const hung = await waitFor(
    'three telemetry reports carrying the npu-smi error',
    () => {
      const withError = collector.of('telemetry').filter((t) => t.telemetry.acceleratorErrors.length > 0);
      return withError.length >= 3 ? withError : null;
    },
    30_000,
  );
  for (const t of hung) {
    expect(t.telemetry.acceleratorErrors).toEqual(['npu-smi timed out after 1.5 s; is the driver loaded, or is a device hung?']);
    expect(t.telemetry.accelerators.map((a) => a.index)).toEqual([0, 1]);
  }
  // Still every interval: the hang costs at most its timeout per report, never a stall.
  const gaps = hung.slice(1).map((t, i) => t.sentAtMs - hung[i]!.sentAtMs);
  for (const gap of gaps) expect(gap).toBeLessThan(INTERVAL_MS * 1.75);
  expect(hung[0]!.sentAtMs - hungAt).toBeLessThan(INTERVAL_MS + 1500 + 1500);
});
