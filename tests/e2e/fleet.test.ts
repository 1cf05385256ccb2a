// End to end through a real broker: the orchestrator and 5 simulated agents, on the machine's
// Mosquitto (own topic root per run) and on the embedded broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Orchestrator } from '../../orchestrator/orchestrator.ts';
import type { Fleet } from '../../simulators/fleet/fleet.ts';
import { validateScenario } from '../../simulators/fleet/scenario.ts';
import { encode } from '../../protocol/codec.ts';
import { nodeTopic } from '../../protocol/topics.ts';
import { envelope } from '../helpers/envelopes.ts';
import { startTestFleet, type TestFleet } from '../helpers/fleet.ts';
import { waitFor } from '../helpers/wait.ts';

const scenario = validateScenario({
  name: 'e2e',
  seed: 7,
  nodes: 5,
  telemetryIntervalMs: 500,
  mix: [
    { vendor: 'huawei', model: 'Ascend 910B', count: 8, weight: 1 },
    { vendor: 'nvidia', model: 'NVIDIA L20', count: 2, weight: 1 },
    { vendor: 'cambricon', model: 'MLU370-X8', count: 2, weight: 1 },
  ],
});

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

describe.each([
  { broker: 'mosquitto', url: MOSQUITTO as string | undefined },
  { broker: 'embedded', url: undefined },
])('orchestrator + 5 agents via $broker', ({ url }) => {
  let orch: Orchestrator;
  let fleet: Fleet;
  let root: string;
  let t: TestFleet;

  beforeAll(async () => {
    t = await startTestFleet({ scenario, brokerUrl: url });
    ({ orch, fleet, root } = t);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('lists all 5 ONLINE with the right FP16 totals', async () => {
    const nodes = await waitFor('5 online nodes', async () => {
      const r = await fetch(`${orch.httpUrl}/v1/nodes`);
      const body = (await r.json()) as { nodes: { id: string; status: string; nominalTflops: number; accelerators: unknown[] }[] };
      return body.nodes.filter((n) => n.status === 'online').length === 5 && body.nodes;
    });
    expect(nodes).toHaveLength(5);
    // Expected from the catalogue's own figures: 910B 280, L20 119.5, MLU370-X8 unknown.
    const perPack: Record<string, number> = { 'Ascend 910B': 280 * 8, 'NVIDIA L20': 119.5 * 2, 'MLU370-X8': 0 };
    for (const spec of fleet.specs) {
      const n = nodes.find((x) => x.id === spec.id)!;
      expect(n.nominalTflops).toBeCloseTo(perPack[spec.pack.model]!, 6);
      expect(n.accelerators).toHaveLength(spec.pack.count);
    }
    const summary = (await (await fetch(`${orch.httpUrl}/v1/fleet/summary`)).json()) as {
      nominal: { pflops: number; domesticPflops: number; unknownCount: number };
      nodes: { online: number };
    };
    const want = fleet.specs.reduce((s, x) => s + perPack[x.pack.model]!, 0) / 1000;
    const wantDomestic = fleet.specs.filter((x) => x.pack.vendor !== 'nvidia').reduce((s, x) => s + perPack[x.pack.model]!, 0) / 1000;
    expect(summary.nominal.pflops).toBeCloseTo(want, 6);
    expect(summary.nominal.domesticPflops).toBeCloseTo(wantDomestic, 6);
    expect(summary.nominal.unknownCount).toBe(fleet.specs.filter((x) => x.pack.vendor === 'cambricon').length * 2);
    expect(summary.nodes.online).toBe(5);
  });

  it('turns a node OFFLINE via its Last Will when its connection dies without goodbye', async () => {
    const victim = fleet.specs[0]!.id;
    fleet.get(victim)!.sever();
    const n = await waitFor('victim offline', async () => {
      const r = (await (await fetch(`${orch.httpUrl}/v1/nodes/${victim}`)).json()) as { status: string; statusReason: string };
      return r.status === 'offline' && r;
    });
    expect(n.statusReason).toBe('will');
    const others = (await (await fetch(`${orch.httpUrl}/v1/nodes?status=online`)).json()) as { nodes: unknown[] };
    expect(others.nodes).toHaveLength(4);
  });

  it("rejects and counts node A's payload on node B's topic", async () => {
    const [a, b] = [fleet.specs[1]!, fleet.specs[2]!];
    // The spoofer claims B's MQTT identity, so only the envelope check can catch it.
    const spoofer = await mqtt.connectAsync(orch.mqttUrl, { clientId: `${b.id}-spoof` });
    const before = orch.ingest.rejected.get('node_mismatch') ?? 0;
    const fake = envelope({ body: 'state', state: { status: 'OFFLINE' } }, { nodeId: a.id, sessionId: 'spoof', seq: 5 });
    // QoS 0: a broker that refuses the publish may drop the connection instead of acking it.
    await spoofer.publishAsync(nodeTopic(root, b.site.id, b.id, 'state'), Buffer.from(encode(fake)), { qos: 0 });
    await Promise.race([spoofer.endAsync(), new Promise((r) => setTimeout(r, 2000))]);
    if (url) {
      await waitFor('node_mismatch counted', () => (orch.ingest.rejected.get('node_mismatch') ?? 0) > before);
    } else {
      // The embedded broker binds identity to the client id and refuses the publish outright.
      await waitFor('identity_mismatch counted', () => (orch.ingest.rejected.get('identity_mismatch') ?? 0) > 0);
    }
    const nb = (await (await fetch(`${orch.httpUrl}/v1/nodes/${b.id}`)).json()) as { status: string };
    expect(nb.status).toBe('online');
  });

  it('answers 404 with a message for an unknown node', async () => {
    const r = await fetch(`${orch.httpUrl}/v1/nodes/nope`);
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: 'not_found', message: expect.stringContaining('nope') });
  });
});
