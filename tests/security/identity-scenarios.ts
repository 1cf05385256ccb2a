// "No node can speak for another": the same checks against any broker that enforces Banyan's
// policy (a private Mosquitto with the generated files, the embedded broker with the same files).
// "Nothing arrived" is proven without timing: the orchestrator account publishes a barrier message
// after the forbidden one and reads it back; anything routed earlier would have been delivered first.
import { afterEach, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { decode, MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES } from '../../protocol/codec.ts';
import { mqttSecurityOptions } from '../../protocol/mqtt-tls.ts';
import { rttProbeTopic } from '../../protocol/topics.ts';
import { waitFor } from '../helpers/wait.ts';
import { tempDir, testAgent, testConfig } from '../agent/harness.ts';

export interface BrokerUnderTest {
  url: string;
  topicRoot: string;
  orchestratorUser: string;
  caFile?: string;
  /** Refuses a forbidden subscription in the SUBACK (aedes); Mosquitto 2.0 grants it and filters on delivery. */
  refusesInSuback: boolean;
  /** Path of the account's 0600 password file. */
  secretFile(user: string): string;
}

interface Seen {
  client: MqttClient;
  messages: { topic: string; text: string; payload: Buffer }[];
}

let counter = 0;

export async function login(b: BrokerUnderTest, user: string, extra: { password?: string; clientId?: string } = {}): Promise<Seen> {
  const security = mqttSecurityOptions({
    brokerUrl: b.url,
    username: user,
    ...(extra.password !== undefined ? { password: extra.password } : { passwordFile: b.secretFile(user) }),
    caFile: b.caFile,
  });
  const client = await mqtt.connectAsync(b.url, {
    ...security,
    clientId: extra.clientId ?? `${user}-${++counter}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  const seen: Seen = { client, messages: [] };
  client.on('message', (topic, payload) => seen.messages.push({ topic, text: payload.toString(), payload }));
  return seen;
}

/** Publishes, tolerating a broker that answers a forbidden publish by closing the connection. */
async function publishMaybeRefused(c: MqttClient, topic: string, text: string): Promise<void> {
  if (!c.connected) return;
  await Promise.race([c.publishAsync(topic, text, { qos: 1 }).catch(() => undefined), new Promise<void>((r) => c.once('close', () => r()))]);
}

async function barrier(orch: Seen, root: string): Promise<void> {
  const id = `barrier-${++counter}`;
  await orch.client.publishAsync(`${root}/barrier-site/barrier-node/cmd`, id, { qos: 1 });
  await waitFor(`barrier ${id}`, () => orch.messages.some((m) => m.text === id));
}

export function identityScenarios(get: () => BrokerUnderTest): void {
  const clients: MqttClient[] = [];
  const open = async (...args: Parameters<typeof login>) => {
    const s = await login(...args);
    clients.push(s.client);
    return s;
  };
  const topic = (node: string, channel: string) => `${get().topicRoot}/site-1/${node}/${channel}`;
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  it('node A publishes its own telemetry and the orchestrator account receives it', async () => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    await orch.client.subscribeAsync(`${b.topicRoot}/#`, { qos: 1 });
    const a = await open(b, 'node-a');
    await a.client.publishAsync(topic('node-a', 'telemetry'), 'a-own', { qos: 1 });
    await waitFor('A telemetry at the orchestrator', () => orch.messages.some((m) => m.topic === topic('node-a', 'telemetry') && m.text === 'a-own'));
  });

  it.each([
    { how: 'its own client id', clientId: undefined },
    { how: "B's client id", clientId: 'node-b' },
  ])("node A (with $how) cannot publish on B's topics", async ({ clientId }) => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    await orch.client.subscribeAsync(`${b.topicRoot}/#`, { qos: 1 });
    const a = await open(b, 'node-a', { clientId });
    for (const ch of ['telemetry', 'birth', 'state']) await publishMaybeRefused(a.client, topic('node-b', ch), `forged-${ch}`);
    await publishMaybeRefused(a.client, topic('node-a', 'cmd'), 'self-cmd');
    await barrier(orch, b.topicRoot);
    expect(orch.messages.filter((m) => m.text.startsWith('forged') || m.text === 'self-cmd')).toEqual([]);
  });

  it("node A cannot subscribe to B's commands, nor to everything", async () => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    const a = await open(b, 'node-a');
    const granted = await a.client.subscribeAsync([topic('node-b', 'cmd'), `${b.topicRoot}/+/+/cmd`, `${b.topicRoot}/#`], { qos: 1 }).then(
      (g) => g.map((x) => x.qos),
      (e: { packet?: { granted?: number[] } }) => e.packet?.granted,
    );
    expect(granted).toEqual(b.refusesInSuback ? [128, 128, 128] : [1, 1, 1]);
    const own = await a.client.subscribeAsync(topic('node-a', 'cmd'), { qos: 1 });
    expect(own.map((g) => g.qos)).toEqual([1]);
    await orch.client.publishAsync(topic('node-b', 'cmd'), 'for-b', { qos: 1 });
    await orch.client.publishAsync(topic('node-a', 'cmd'), 'for-a', { qos: 1 });
    await waitFor('A receives its own command', () => a.messages.some((m) => m.text === 'for-a'));
    expect(a.messages.filter((m) => m.text !== 'for-a')).toEqual([]);
  });

  it("node A's agent stays connected across probe rounds: its own RTT probe topic is allowed", async () => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    await orch.client.subscribeAsync(`${b.topicRoot}/#`, { qos: 1 });
    const state = tempDir('banyan-acl-probe-');
    const agent = testAgent(
      testConfig({
        nodeId: 'node-a',
        site: 'site-1',
        brokerUrl: b.url,
        topicRoot: b.topicRoot,
        stateDir: state.dir,
        username: 'node-a',
        passwordFile: b.secretFile('node-a'),
        ...(b.caFile ? { caFile: b.caFile } : {}),
        awaitOrchestrator: false,
        probeIntervalMs: 1000,
        probeCount: 2,
      }),
    );
    let drops = 0;
    agent.on('disconnected', () => drops++);
    const rounds: number[] = [];
    agent.on('probed', (targets) => rounds.push(targets.find((t) => t.targetKind === 'orchestrator')?.received ?? 0));
    try {
      await agent.start();
      await waitFor('three probe rounds', () => rounds.length >= 3, 15_000);
      // The probe publishes went through the broker (Mosquitto on 3.1.1 acks a refused one
      // silently and drops it; aedes closes the connection), and their RTT was reported.
      const probes = () => orch.messages.filter((m) => m.topic === rttProbeTopic(b.topicRoot, 'node-a')).length;
      await waitFor('the probe publishes at the orchestrator account', () => probes() >= 3 * 2);
      const latencies = await waitFor('three latency reports', () => {
        const l = orch.messages.flatMap((m) => {
          if (m.topic !== topic('node-a', 'latency')) return [];
          const d = decode(m.payload);
          return d.ok && d.envelope.body === 'latency' ? [d.envelope.latency] : [];
        });
        return l.length >= 3 && l;
      });
      for (const l of latencies.slice(0, 3)) expect(l.targets.find((t) => t.targetKind === 'orchestrator')).toMatchObject({ sent: 2, received: 2 });
      expect(rounds.slice(0, 3)).toEqual([2, 2, 2]);
      expect(drops).toBe(0);
      expect(agent.connected).toBe(true);
      const offline = orch.messages.filter((m) => {
        if (m.topic !== topic('node-a', 'state')) return false;
        const d = decode(m.payload);
        return d.ok && d.envelope.body === 'state' && d.envelope.state.status === 'OFFLINE';
      });
      expect(offline).toEqual([]);
    } finally {
      await agent.stop();
      state.remove();
    }
  }, 30_000);

  it('a packet above the maximum packet size closes the connection and reaches nobody; one at the payload limit passes', async () => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    await orch.client.subscribeAsync(`${b.topicRoot}/#`, { qos: 1 });
    const a = await open(b, 'node-a');
    const closed = new Promise<void>((r) => a.client.once('close', () => r()));
    a.client.publish(topic('node-a', 'telemetry'), Buffer.alloc(MAX_PACKET_BYTES + 1, 0x41), { qos: 1 });
    await closed;
    const a2 = await open(b, 'node-a');
    await a2.client.publishAsync(topic('node-a', 'telemetry'), Buffer.alloc(MAX_PAYLOAD_BYTES, 0x42), { qos: 1 });
    await waitFor('the payload at the limit', () => orch.messages.some((m) => m.payload.length === MAX_PAYLOAD_BYTES));
    expect(orch.messages.filter((m) => m.payload.length > MAX_PAYLOAD_BYTES)).toEqual([]);
  });

  it("node A cannot publish on B's RTT probe topic", async () => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    await orch.client.subscribeAsync(`${b.topicRoot}/#`, { qos: 1 });
    const a = await open(b, 'node-a');
    await publishMaybeRefused(a.client, rttProbeTopic(b.topicRoot, 'node-b'), 'forged-rtt');
    await publishMaybeRefused(a.client, `${b.topicRoot}/_rtt/node-a/extra`, 'forged-deeper');
    await publishMaybeRefused(a.client, `${b.topicRoot}/_rtt`, 'forged-bare');
    await barrier(orch, b.topicRoot);
    expect(orch.messages.filter((m) => m.text.startsWith('forged'))).toEqual([]);
  });

  it('the orchestrator account hears both nodes and commands each', async () => {
    const b = get();
    const orch = await open(b, b.orchestratorUser);
    await orch.client.subscribeAsync(`${b.topicRoot}/+/+/telemetry`, { qos: 1 });
    const nodes = { 'node-a': await open(b, 'node-a'), 'node-b': await open(b, 'node-b') };
    for (const [id, n] of Object.entries(nodes)) {
      await n.client.subscribeAsync(topic(id, 'cmd'), { qos: 1 });
      await n.client.publishAsync(topic(id, 'telemetry'), `t-${id}`, { qos: 1 });
    }
    await waitFor('both nodes heard', () => ['node-a', 'node-b'].every((id) => orch.messages.some((m) => m.text === `t-${id}`)));
    for (const id of Object.keys(nodes)) await orch.client.publishAsync(topic(id, 'cmd'), `c-${id}`, { qos: 1 });
    for (const [id, n] of Object.entries(nodes)) await waitFor(`${id} commanded`, () => n.messages.some((m) => m.text === `c-${id}`));
    expect(nodes['node-a'].messages.map((m) => m.text)).toEqual(['c-node-a']);
  });

  it.each([
    { who: 'a wrong password', user: 'node-a', password: 'not-the-password' },
    { who: 'an unknown account', user: 'node-z', password: 'whatever' },
    { who: "another node's name with A's password", user: 'node-b', password: '' },
  ])('a client with $who is refused', async ({ user, password }) => {
    const b = get();
    const pw = password || (await import('node:fs')).readFileSync(b.secretFile('node-a'), 'utf8').trim();
    await expect(login(b, user, { password: pw })).rejects.toThrow(/not authori[sz]ed|bad user ?name or password/i);
  });

  it('a client without credentials is refused', async () => {
    const b = get();
    const opts = b.caFile ? { ca: (await import('node:fs')).readFileSync(b.caFile) } : {};
    await expect(mqtt.connectAsync(b.url, { ...opts, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/not authori[sz]ed|bad user ?name or password/i);
  });
}
