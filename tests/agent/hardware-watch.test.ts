// A card plugged into a running node: the agent notices the PCI tree change, detects again
// through the (fake) vendor tool, and re-announces itself with the new card.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '../../agent/agent.ts';
import { ToolAcceleratorSource } from '../../agent/detect/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { prepareSimulatedHost, writeFakeSysfs, type SimulatedHost } from '../../simulators/hardware/host.ts';
import { waitFor } from '../helpers/wait.ts';
import { Collector, tempDir, testAgent, testConfig } from './harness.ts';

const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
const state = tempDir('banyan-hwwatch-');
let broker: EmbeddedBroker;
let collector: Collector;
let host: SimulatedHost;
let agent: Agent;

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  collector = new Collector(broker.url, root);
  await collector.ready();
  host = await prepareSimulatedHost({ vendors: { huawei: { count: 1 } } });
  agent = testAgent(testConfig({ nodeId: 'hw-1', brokerUrl: broker.url, topicRoot: root, stateDir: state.dir, hardwareWatchMs: 200 }), {
    accelerators: new ToolAcceleratorSource({ env: host.env, sysfsRoot: host.sysfsRoot }),
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

it('re-detects and sends a new birth when a card appears on the PCI bus', async () => {
  const first = await waitFor('the first birth', () => collector.of('birth').at(-1));
  expect(first.birth.accelerators).toHaveLength(1);

  const scenario = { vendors: { huawei: { count: 2 } } };
  writeFileSync(host.scenarioPath, JSON.stringify(scenario));
  await writeFakeSysfs(host.sysfsRoot, scenario);

  const second = await waitFor('a birth with two cards', () => collector.of('birth').find((b) => b.birth.accelerators.length === 2));
  expect(second.birth.accelerators.map((a) => a.vendor)).toEqual(['huawei', 'huawei']);
  expect(second.seq).toBeGreaterThan(first.seq);
});
