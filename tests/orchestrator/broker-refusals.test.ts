// Hostile clients at the orchestrator's embedded broker: every refusal is counted by reason in
// /metrics and announced on the live feed (rate-limited); nothing oversized is buffered or
// forwarded; nothing but the protocol's own topics is retained.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, MAX_PACKET_BYTES, MAX_PAYLOAD_BYTES } from '../../protocol/codec.ts';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { metricsPlugin } from '../../orchestrator/metrics.ts';
import { createDashboardPlugin } from '../../orchestrator/dashboard/plugin.ts';
import { addAccount, brokerPaths, initBrokerConfig } from '../../orchestrator/creds/broker-files.ts';
import { DEFAULT_ORCHESTRATOR_USER } from '../../orchestrator/creds/acl.ts';
import { BrokerRefusals, type RefusalNotice } from '../../orchestrator/broker-refusals.ts';
import { PacketSizeScanner } from '../../orchestrator/broker-packet-guard.ts';
import { birth, envelope } from '../helpers/envelopes.ts';
import { quietLog } from '../helpers/quiet-log.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = 'banyan/v1';

async function refusedMetric(orch: Orchestrator, reason: string): Promise<number> {
  const text = await (await fetch(`${orch.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`banyan_broker_refused_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function connect(url: string, clientId: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, ...extra });
}

/** Retained messages a fresh subscriber to `filter` gets, read until a barrier message comes back. */
async function retainedUnder(url: string, filter: string): Promise<string[]> {
  // The reader is a node of its own: its barrier goes on its own topic.
  const c = await connect(url, 'reader');
  const seen: string[] = [];
  const barrier = `${ROOT}/site-1/reader/event`;
  let done = false;
  c.on('message', (topic, _p, packet) => {
    if (topic === barrier) done = true;
    else if (packet.retain) seen.push(topic);
  });
  await c.subscribeAsync([filter, barrier], { qos: 1 });
  await c.publishAsync(barrier, 'x', { qos: 1 });
  await waitFor('barrier', () => done);
  await c.endAsync();
  return seen;
}

describe('embedded broker in open mode', () => {
  let orch: Orchestrator;
  const notices: RefusalNotice[] = [];

  beforeAll(async () => {
    orch = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, peerProbes: false, plugins: [metricsPlugin] });
    orch.events.on('refused', (n) => notices.push(n));
  });
  afterAll(async () => {
    await orch?.stop();
  });

  it('closes a connection that sends a packet above the maximum packet size, counts it, and forwards nothing', async () => {
    expect(MAX_PACKET_BYTES).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    const watcher = await connect(orch.mqttUrl, 'watcher');
    const got: number[] = [];
    watcher.on('message', (_t, p) => got.push(p.length));
    await watcher.subscribeAsync(`${ROOT}/+/big/#`, { qos: 1 });
    const big = await connect(orch.mqttUrl, 'big');
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
    big.publish(`${ROOT}/site-1/big/telemetry`, Buffer.alloc(10 * 1024 * 1024, 7), { qos: 1 });
    await closed;
    await waitFor('refusal counted', async () => (await refusedMetric(orch, 'packet_too_large')) === 1);
    expect(notices.find((n) => n.reason === 'packet_too_large')).toMatchObject({ clientId: 'big' });
    // A payload at the protocol's limit still passes the broker (the codec judges it).
    const ok = await connect(orch.mqttUrl, 'big-ok');
    await ok.publishAsync(`${ROOT}/site-1/big-ok/telemetry`, Buffer.alloc(MAX_PAYLOAD_BYTES, 1), { qos: 1 });
    await ok.endAsync();
    await watcher.endAsync();
    expect(got).toEqual([]);
    big.end(true);
  });

  it('keeps retained messages only on topics the protocol defines', async () => {
    const junk = await connect(orch.mqttUrl, 'junk');
    const closed = new Promise<void>((resolve) => junk.once('close', () => resolve()));
    junk.publish(`${ROOT}/site/../../x/birth`, 'junk', { qos: 1, retain: true });
    await closed;
    for (const bad of [`${ROOT}/../node-r/birth`, `${ROOT}/site-1/node-r/telemetry`]) {
      const again = await connect(orch.mqttUrl, 'node-r');
      const gone = new Promise<void>((resolve) => again.once('close', () => resolve()));
      again.publish(bad, 'junk', { qos: 1, retain: true });
      await gone;
    }
    const node = await connect(orch.mqttUrl, 'node-r');
    await node.publishAsync(`${ROOT}/site-1/node-r/birth`, Buffer.from(encode(envelope({ body: 'birth', birth: birth() }, { nodeId: 'node-r' }))), { qos: 1, retain: true });
    await node.endAsync();
    expect(await retainedUnder(orch.mqttUrl, '#')).toEqual(expect.arrayContaining([`${ROOT}/site-1/node-r/birth`, `${ROOT}/_orchestrator/state`]));
    expect((await retainedUnder(orch.mqttUrl, '#')).filter((t) => !t.endsWith('/birth') && !t.endsWith('/state'))).toEqual([]);
    expect(await retainedUnder(orch.mqttUrl, '#')).not.toContain(`${ROOT}/site/../../x/birth`);
    expect(await refusedMetric(orch, 'retain_not_allowed')).toBe(3);
  });

  it('counts a spoofed topic and a wildcard publish', async () => {
    const spoof = await connect(orch.mqttUrl, 'node-x');
    const closed = new Promise<void>((resolve) => spoof.once('close', () => resolve()));
    spoof.publish(`${ROOT}/site-1/node-y/telemetry`, 'x', { qos: 1 });
    await closed;
    expect(await refusedMetric(orch, 'identity_mismatch')).toBe(1);
    // mqtt.js refuses to send a wildcard topic itself, so the packet is written by hand.
    const raw = await connect(orch.mqttUrl, 'node-w');
    const gone = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    const topic = Buffer.from(`${ROOT}/+/node-w/telemetry`);
    const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, Buffer.from('x')]);
    (raw as unknown as { stream: NodeJS.WritableStream }).stream.write(Buffer.concat([Buffer.from([0x30, body.length]), body]));
    await gone;
    await waitFor('protocol error counted', async () => (await refusedMetric(orch, 'protocol_error')) === 1);
    raw.end(true);
  });
});

describe('embedded broker with accounts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'banyan-refusals-'));
  let orch: Orchestrator;
  const paths = brokerPaths(join(dir, 'broker'));

  beforeAll(async () => {
    initBrokerConfig({ dir: join(dir, 'broker'), topicRoot: ROOT, port: 0 });
    addAccount(join(dir, 'broker'), 'node-a');
    orch = await Orchestrator.start({
      mqttPort: 0,
      httpPort: 0,
      dataDir: null,
      log: quietLog,
      peerProbes: false,
      brokerPasswordFile: paths.passwd,
      mqttSecurity: { username: DEFAULT_ORCHESTRATOR_USER, passwordFile: paths.secretOf(DEFAULT_ORCHESTRATOR_USER) },
      plugins: [metricsPlugin, createDashboardPlugin()],
    });
  });
  afterAll(async () => {
    await orch?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts ACL refusals (another node's topic, another node's cmd, a wildcard) and streams them to the dashboard", async () => {
    const ac = new AbortController();
    const res = await fetch(`${orch.httpUrl}/v1/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    const a = await connect(orch.mqttUrl, 'node-a-1', { username: 'node-a', password: readFileSync(paths.secretOf('node-a'), 'utf8').trim() });
    // Both refused in the SUBACK (mqtt.js turns that into an error).
    await expect(a.subscribeAsync([`${ROOT}/+/node-b/cmd`, `${ROOT}/#`], { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish(`${ROOT}/site-1/node-b/telemetry`, 'x', { qos: 1 });
    await closed;
    a.end(true);
    expect(await refusedMetric(orch, 'acl_subscribe')).toBe(2);
    expect(await refusedMetric(orch, 'acl_publish')).toBe(1);
    await waitFor('refusal on the live feed', async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes('event: refused') && text.includes('acl_publish');
    });
    expect(text).toContain('"username":"node-a"');
    ac.abort();
  });

  it('counts a failed login', async () => {
    await expect(connect(orch.mqttUrl, 'intruder', { username: 'node-a', password: 'wrong' })).rejects.toThrow();
    expect(await refusedMetric(orch, 'bad_login')).toBe(1);
  });
});

describe('broker refusal accounting', () => {
  it('counts every refusal but logs and announces one per reason and client per window, with the number held back', () => {
    const now = { t: 0 };
    const notices: RefusalNotice[] = [];
    const r = new BrokerRefusals({ windowMs: 1000, clock: () => now.t, notice: (n) => notices.push(n) });
    const spoof = { reason: 'acl_publish' as const, clientId: 'c1', topic: 't', detail: 'no' };
    for (let i = 0; i < 1000; i++) r.record(spoof);
    r.record({ ...spoof, clientId: 'c2' });
    now.t = 1500;
    r.record(spoof);
    expect(r.counts.get('acl_publish')).toBe(1002);
    expect(notices.map((n) => [n.clientId, n.suppressed])).toEqual([['c1', 0], ['c2', 0], ['c1', 999]]);
  });

  it('remembers a bounded number of clients', () => {
    const notices: RefusalNotice[] = [];
    const r = new BrokerRefusals({ maxKeys: 10, notice: (n) => notices.push(n) });
    for (let i = 0; i < 10_000; i++) r.record({ reason: 'bad_login', clientId: `c${i}`, topic: '', detail: '' });
    expect((r as unknown as { lastNotice: Map<string, unknown> }).lastNotice.size).toBe(10);
    expect(notices).toHaveLength(10_000);
  });

  it('reads packet sizes from fixed headers split across chunks', () => {
    const s = new PacketSizeScanner(300);
    // PINGREQ, then a PUBLISH announcing 16384 bytes, its length split over two chunks
    expect(s.scan(Uint8Array.from([0xc0, 0x00, 0x30, 0x80]))).toBeNull();
    expect(s.scan(Uint8Array.from([0x80, 0x01]))).toBe(1 + 3 + 16384);
    const ok = new PacketSizeScanner(300);
    const body = new Uint8Array(200);
    expect(ok.scan(Uint8Array.from([0x30, 0xc8, 0x01, ...body.slice(0, 50)]))).toBeNull();
    expect(ok.scan(body.slice(50))).toBeNull();
    expect(ok.scan(Uint8Array.from([0x30, 0xc8, 0x03]))).toBe(1 + 2 + 456);
  });
});
