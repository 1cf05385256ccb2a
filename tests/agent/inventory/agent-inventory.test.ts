// The inventory in the agent's birth: taken by the real child at start (in the first birth, or a
// new birth when it comes after the first) and again when the PCI tree changes; a hung child
// leaves it out with a warning that says what to do, and the agent announces itself and reports
// all the same, without waiting for it past a short grace.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../agent/agent.ts';
import { collectInventory, type InventoryResult } from '../../../agent/inventory/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../orchestrator/broker.ts';
import { waitFor } from '../../helpers/wait.ts';
import { Collector, fixedAccelerators, tempDir, testAgent, testConfig } from '../harness.ts';

const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
const state = tempDir('banyan-inventory-agent-');
let broker: EmbeddedBroker;
let collector: Collector;
const agents: Agent[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  collector = new Collector(broker.url, root);
  await collector.ready();
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  await collector?.close();
  await broker?.close();
  state.remove();
});

const births = (node: string) => collector.of('birth').filter((e) => e.nodeId === node);

describe('host inventory in the birth', () => {
  it('carries the inventory the child took at start, and a fresh one after a hardware change', async () => {
    let fingerprint = 'one card';
    let taken = 0;
    const agent = testAgent(testConfig({ nodeId: 'inv-1', brokerUrl: broker.url, topicRoot: root, stateDir: `${state.dir}/1`, hardwareWatchMs: 200 }), {
      accelerators: { ...fixedAccelerators(), fingerprint: async () => fingerprint },
      inventory: async () => {
        taken++;
        return collectInventory({ timeoutMs: 60_000 });
      },
    });
    agents.push(agent);
    await agent.start();
    // From source the child runs through tsx: often past the grace, so maybe in a second birth.
    const first = await waitFor('a birth with the inventory', () => births('inv-1').find((b) => b.birth.host.inventory), 60_000);
    const inv = first.birth.host.inventory;
    expect(inv?.source).toMatch(/^systeminformation@5\./);
    expect(inv?.cpuThreads).toBeGreaterThan(0);
    expect(inv?.memoryMib).toBeGreaterThan(0);
    expect(taken).toBe(1);

    const before = births('inv-1').length;
    fingerprint = 'two cards';
    const second = await waitFor('a birth after the hardware change', () => births('inv-1')[before], 60_000);
    expect(taken).toBe(2);
    expect(second.birth.host.inventory?.collectedAtMs).toBeGreaterThan(inv!.collectedAtMs);
    expect(births('inv-1')).toHaveLength(before + 1); // one birth for the change, carrying both
  }, 120_000);

  it('goes on without it when the child hangs, and warns with what to do', async () => {
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
    let result: InventoryResult | undefined;
    const agent = testAgent(testConfig({ nodeId: 'inv-2', brokerUrl: broker.url, topicRoot: root, stateDir: `${state.dir}/2` }), {
      log,
      inventory: async () => (result = await collectInventory({ timeoutMs: 8000, child: { command: 'sleep', args: ['300'] } })),
    });
    agents.push(agent);
    const t0 = Date.now();
    await agent.start();
    expect(Date.now() - t0).toBeLessThan(5000); // the grace, not the child's 60 s timeout
    const birth = await waitFor('a birth without inventory', () => births('inv-2')[0], 20_000);
    expect(birth.birth.host.inventory).toBeUndefined();
    expect(birth.birth.host.hostname).toBe('test-host');
    await waitFor('the hung child killed', () => result, 20_000);
    expect(result?.ok).toBe(false);
    expect(warnings).toContain(
      'host inventory took longer than 8 s and was killed with its process group; the agent carries on without it (run `banyan detect --host` to see the error, or set inventoryTimeoutMs: 0 to stop trying)',
    );
    await waitFor('telemetry after the failed inventory', () => collector.of('telemetry').find((e) => e.nodeId === 'inv-2'), 10_000);
  }, 60_000);
});
