// Peer probes on a real network path (loopback, real sockets): real agents run their UDP probe
// responder and advertise it in the birth; the orchestrator asks peers to probe that address
// (never a guessed <node>:22), the latency model learns the pair by node id, and a node whose
// broker link died while its process lives is judged partitioned, not crashed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Agent } from '../../agent/agent.ts';
import type { AgentConfig } from '../../agent/config.ts';
import { MqttLink } from '../../agent/mqtt-link.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { decode } from '../../protocol/codec.ts';
import type { Command } from '../../protocol/messages.ts';
import { quietLog } from '../helpers/quiet-log.ts';
import { waitFor } from '../helpers/wait.ts';
import { tempDir, testAgent, testConfig } from '../agent/harness.ts';

const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
let broker: EmbeddedBroker;
let orch: Orchestrator;
let spy: MqttClient;
const commands: { nodeId: string; cmd: Command }[] = [];
const agents = new Map<string, Agent>();
const links = new Map<string, MqttLink>();
const state = tempDir('banyan-peer-probes-');

async function startAgent(nodeId: string, lat: number, over: Partial<AgentConfig> = {}): Promise<Agent> {
  const config = testConfig({
    ...over,
    nodeId,
    brokerUrl: broker.url,
    topicRoot: root,
    stateDir: `${state.dir}/${nodeId}`,
    probeCount: 3,
    probeTimeoutMs: 300,
    location: { lat, lon: 119.3, district: '', siteKind: 'factory' },
  });
  // Our own handle on the broker connection, to cut it while the process (and its responder) lives.
  const agent = testAgent(config, { link: (opts) => (links.set(nodeId, new MqttLink(opts)), links.get(nodeId)!) });
  agents.set(nodeId, agent);
  await agent.start();
  await waitFor(`${nodeId} online`, () => orch.registry.get(nodeId)?.status === 'online', 20_000);
  return agent;
}

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 });
  // Peer rounds by hand (round()), so the test says when the orchestrator asks.
  orch = await Orchestrator.start({ brokerUrl: broker.url, httpPort: 0, dataDir: null, log: quietLog, topicRoot: root, sweepMs: 200, peerProbes: false });
  spy = mqtt.connect(broker.url, { clientId: `spy-${randomUUID().slice(0, 8)}` });
  await new Promise<void>((r) => spy.once('connect', () => r()));
  await spy.subscribeAsync(`${root}/+/+/cmd`, { qos: 1 });
  spy.on('message', (topic, payload) => {
    const d = decode(payload);
    if (d.ok && d.envelope.body === 'cmd') commands.push({ nodeId: topic.split('/').at(-2)!, cmd: d.envelope.cmd });
  });
  await startAgent('peer-a', 26.0);
  await startAgent('peer-b', 26.01);
});

afterAll(async () => {
  for (const a of agents.values()) await a.stop().catch(() => undefined);
  await spy?.endAsync(true);
  await orch?.stop();
  await broker?.close();
  state.remove();
});

const probeAddressOf = (id: string) => orch.registry.get(id)?.birth?.probeAddress ?? '';

describe('peer probes between real agents', () => {
  it("advertises each agent's responder in its birth", () => {
    for (const id of ['peer-a', 'peer-b']) expect(probeAddressOf(id)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(probeAddressOf('peer-a')).not.toBe(probeAddressOf('peer-b'));
  });

  it("asks each node to probe the other at its advertised address and learns the pair's RTT by node id", async () => {
    expect(orch.peerProbes.round()).toBe(2);
    const sent = await waitFor('both probe commands', () => {
      const probes = commands.filter((c) => c.cmd.action === 'probe');
      return probes.length >= 2 && probes;
    });
    const toA = sent.find((c) => c.nodeId === 'peer-a')!.cmd;
    expect(toA.action === 'probe' && toA.probe).toMatchObject({ targets: [], peers: [{ nodeId: 'peer-b', address: probeAddressOf('peer-b') }] });
    const rtt = await waitFor('peer RTT from peer-a', () => orch.registry.get('peer-a')?.latency?.targets.find((t) => t.targetKind === 'peer'));
    expect(rtt).toMatchObject({ target: 'peer-b', sent: 3, received: 3, loss: 0 });
    await waitFor('the model has the pair measured', () => orch.latency.estimate('peer-a', 'peer-b')?.measured === true);
  });

  it('judges a node whose broker link died while it lives as partitioned, and a crashed one as crashed', async () => {
    await startAgent('peer-c', 26.02);
    // peer-b: the cable to the broker is cut, the process and its responder live on.
    links.get('peer-b')!.sever();
    const partitioned = await waitFor('a verdict on peer-b', () => {
      const v = orch.losses.get('peer-b');
      return v && v.cause !== 'unknown' && v;
    }, 15_000);
    expect(partitioned.cause).toBe('partitioned');
    expect(partitioned.evidence).toMatch(/reached it/);
    const asked = commands.filter((c) => c.cmd.action === 'probe' && c.cmd.probe.peers.some((p) => p.nodeId === 'peer-b' && p.address === probeAddressOf('peer-b')));
    expect(asked.length).toBeGreaterThan(0);

    // peer-c: the process dies (no goodbye, responder gone).
    agents.get('peer-c')!.sever();
    agents.delete('peer-c');
    const crashed = await waitFor('a verdict on peer-c', () => {
      const v = orch.losses.get('peer-c');
      return v && v.cause !== 'unknown' && v;
    }, 15_000);
    expect(crashed.cause).toBe('crashed');
  }, 40_000);

  it('starts an agent whose probe port is taken without a responder: no address in its birth, never a peer target', async () => {
    const taken = Number(probeAddressOf('peer-a').split(':')[1]);
    await startAgent('peer-d', 26.03, { probePort: taken });
    expect(orch.registry.get('peer-d')!.birth!.probeAddress).toBe('');
    commands.length = 0;
    // peer-a and peer-d are online, peer-a is the only target: peer-d probes it, peer-a has no one to probe.
    expect(orch.peerProbes.round()).toBe(1);
    expect(orch.peerProbes.unaddressable).toBe(1);
    const sent = await waitFor('the probe command', () => commands.length >= 1 && commands);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ nodeId: 'peer-d', cmd: { action: 'probe', probe: { peers: [{ nodeId: 'peer-a', address: probeAddressOf('peer-a') }] } } });
  });
});
