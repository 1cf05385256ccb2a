// The Sparkplug B bridge on a real (private) Mosquitto, heard as a SCADA host hears it and decoded
// with the bridge's proto: births for a simulated fleet, metric names/aliases/datatypes, the seq
// rule across a 255 -> 0 wrap, NDEATH's bdSeq matching NBIRTH's, rebirth on NCMD, and births held
// until the primary host's STATE says online.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, encodeHostState, encodeSpb, hostStateTopic, spbTopic } from '../../../protocol/sparkplug/codec.ts';
import type { Telemetry } from '../../../protocol/messages.ts';
import type { OrchestratorCore, OrchestratorEvents } from '../../../orchestrator/core.ts';
import { Registry, type NodeRecord } from '../../../orchestrator/registry.ts';
import { SparkplugBridge } from '../../../orchestrator/sparkplug/bridge.ts';
import { validateScenario } from '../../../simulators/fleet/scenario.ts';
import { PrivateMosquitto } from '../../../simulators/chaos/mosquitto.ts';
import { birth } from '../../helpers/envelopes.ts';
import { startTestFleet, type TestFleet } from '../../helpers/fleet.ts';
import { quietLog } from '../../helpers/quiet-log.ts';
import { waitFor } from '../../helpers/wait.ts';
import { metric, seqViolations, SpbListener, type Heard } from './spb-listener.ts';

let mosq: PrivateMosquitto;
let cmd: MqttClient;

beforeAll(async () => {
  mosq = await PrivateMosquitto.start();
  cmd = await mqtt.connectAsync(mosq.url, { clientId: `spb-host-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0 });
});

afterAll(async () => {
  await cmd?.endAsync();
  await mosq?.stop();
});

const group = () => `g-${randomUUID().slice(0, 8)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODE_METRICS: [string, number][] = [
  ['bdSeq', DataType.Int64],
  ['Node Control/Rebirth', DataType.Boolean],
  ['Status', DataType.String],
  ['Status Reason', DataType.String],
  ['Properties/Site', DataType.String],
  ['Properties/District', DataType.String],
  ['Properties/Site Kind', DataType.String],
  ['Properties/Latitude', DataType.Double],
  ['Properties/Longitude', DataType.Double],
  ['Properties/Hostname', DataType.String],
  ['Properties/Agent Version', DataType.String],
  ['Properties/Accelerators', DataType.Int32],
  ['FP16 TFLOPS/Nominal', DataType.Double],
  ['FP16 TFLOPS/Measured', DataType.Double],
  ['CPU/Utilisation %', DataType.Float],
  ['Memory/Used %', DataType.Float],
  ['Running Workloads', DataType.Int32],
];

const DEVICE_METRICS: [string, number][] = [
  ['Properties/Vendor', DataType.String],
  ['Properties/Model', DataType.String],
  ['Properties/UUID', DataType.String],
  ['Properties/PCI Bus Id', DataType.String],
  ['Properties/Memory MiB', DataType.UInt32],
  ['Properties/Domestic', DataType.Boolean],
  ['Properties/TDP W', DataType.Float],
  ['Health', DataType.String],
  ['FP16 TFLOPS/Nominal', DataType.Double],
  ['FP16 TFLOPS/Measured', DataType.Double],
  ['Utilisation %', DataType.Float],
  ['Temperature C', DataType.Float],
  ['Power W', DataType.Float],
  ['Memory Used MiB', DataType.UInt32],
];

const bdSeq = (h: Heard) => metric(h, 'bdSeq')!.value;

async function rebirthCommand(g: string, edgeNode: string): Promise<void> {
  const payload = encodeSpb({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true }] });
  await cmd.publishAsync(spbTopic(g, 'NCMD', edgeNode), Buffer.from(payload), { qos: 1 });
}

describe('Sparkplug bridge with a simulated fleet', () => {
  const g = group();
  let ear: SpbListener;
  let t: TestFleet;
  const packs: Record<string, { count: number; tflops: number }> = { 'Ascend 910B': { count: 2, tflops: 280 }, 'NVIDIA L20': { count: 1, tflops: 119.5 } };

  beforeAll(async () => {
    ear = await SpbListener.start(mosq.url, g);
    const scenario = validateScenario({
      name: 'spb',
      seed: 11,
      nodes: 3,
      telemetryIntervalMs: 300,
      mix: [
        { vendor: 'huawei', model: 'Ascend 910B', count: 2, weight: 1 },
        { vendor: 'nvidia', model: 'NVIDIA L20', count: 1, weight: 1 },
      ],
    });
    t = await startTestFleet({ scenario, brokerUrl: mosq.url, orchestrator: { sparkplug: { group: g } } });
  });

  afterAll(async () => {
    await t?.stop();
    await ear?.close();
  });

  it('births every node (NBIRTH seq 0 with bdSeq) and then one DBIRTH per card, with names, aliases and datatypes', async () => {
    for (const spec of t.fleet.specs) {
      const pack = packs[spec.pack.model]!;
      await waitFor(`births of ${spec.id}`, () => ear.of(spec.id, 'DBIRTH').length >= pack.count);
      const msgs = ear.of(spec.id);
      const nb = msgs[0]!;
      expect(nb.t.type).toBe('NBIRTH');
      expect(nb.payload.seq).toBe(0);
      expect(nb.payload.metrics.map((m) => [m.name, m.datatype])).toEqual(expect.arrayContaining(NODE_METRICS));
      expect(bdSeq(nb)).toBe(0);
      expect(metric(nb, 'Status')!.value).toBe('online');
      expect(metric(nb, 'Properties/Accelerators')!.value).toBe(pack.count);
      expect(metric(nb, 'FP16 TFLOPS/Nominal')!.value).toBeCloseTo(pack.count * pack.tflops, 6);
      expect(metric(nb, 'Properties/Site')!.value).toBe(spec.site.id);
      const dbirths = msgs.slice(1, 1 + pack.count);
      expect(dbirths.map((h) => [h.t.type, h.t.device, h.payload.seq])).toEqual(dbirths.map((_, i) => ['DBIRTH', `acc${i}`, i + 1]));
      for (const d of dbirths) {
        expect(d.payload.metrics.map((m) => [m.name, m.datatype])).toEqual(DEVICE_METRICS);
        expect(metric(d, 'Properties/Model')!.value).toContain(spec.pack.model);
        expect(metric(d, 'FP16 TFLOPS/Nominal')!.value).toBeCloseTo(pack.tflops, 6);
      }
      // Aliases: every born metric but bdSeq has one, unique across the edge node and its devices.
      const born = [nb, ...dbirths].flatMap((h) => h.payload.metrics.filter((m) => m.name !== 'bdSeq'));
      const aliases = born.map((m) => m.alias);
      expect(aliases.every((a) => typeof a === 'number')).toBe(true);
      expect(new Set(aliases).size).toBe(aliases.length);
    }
    const bridge = await waitFor('the bridge node NBIRTH', () => ear.of('_banyan', 'NBIRTH')[0]);
    expect(metric(bridge, 'Nodes/Known')!.datatype).toBe(DataType.Int32);
  });

  it('sends telemetry changes as NDATA/DDATA by alias only, in seq order per edge node', async () => {
    const spec = t.fleet.specs[0]!;
    const data = await waitFor('data from telemetry', () => {
      const d = ear.of(spec.id).filter((h) => h.t.type === 'NDATA' || h.t.type === 'DDATA');
      return d.length >= 3 && d;
    });
    for (const h of data) for (const m of h.payload.metrics) {
      expect(m.name).toBeUndefined();
      expect(m.alias).toBeTypeOf('number');
    }
    expect(data.some((h) => h.t.type === 'DDATA' && h.payload.metrics.length > 0)).toBe(true);
    for (const s of t.fleet.specs) expect(seqViolations(ear.of(s.id))).toEqual([]);
    expect(ear.problems).toEqual([]);
  });

  it('rebirths a node on NCMD Node Control/Rebirth = true, keeping its bdSeq', async () => {
    const spec = t.fleet.specs[1]!;
    const before = ear.of(spec.id, 'NBIRTH').length;
    const first = ear.of(spec.id, 'NBIRTH')[0]!;
    await rebirthCommand(g, spec.id);
    const nb = await waitFor('a second NBIRTH', () => ear.of(spec.id, 'NBIRTH')[before]);
    expect(nb.payload.seq).toBe(0);
    expect(bdSeq(nb)).toBe(bdSeq(first));
    const all = ear.of(spec.id);
    const i = all.indexOf(nb);
    await waitFor('its DBIRTHs', () => ear.of(spec.id).slice(i + 1).filter((h) => h.t.type === 'DBIRTH').length >= packs[spec.pack.model]!.count);
    expect(ear.of(spec.id)[i + 1]!.t.type).toBe('DBIRTH');
    expect(ear.of(spec.id)[i + 1]!.payload.seq).toBe(1);
    expect(seqViolations(ear.of(spec.id))).toEqual([]);
  });

  it('publishes NDEATH with the NBIRTH\'s bdSeq when a node goes offline, and the next life takes the next bdSeq', async () => {
    const spec = t.fleet.specs[2]!;
    const lastBirth = ear.of(spec.id, 'NBIRTH').at(-1)!;
    t.fleet.get(spec.id)!.sever();
    const death = await waitFor('NDEATH', () => ear.of(spec.id, 'NDEATH')[0]);
    expect(death.payload.seq).toBeUndefined();
    expect(death.payload.metrics.map((m) => [m.name, m.datatype])).toEqual([['bdSeq', DataType.Int64]]);
    expect(bdSeq(death)).toBe(bdSeq(lastBirth));
    const onlineAlias = metric(ear.of('_banyan', 'NBIRTH').at(-1)!, 'Nodes/Online')!.alias;
    await waitFor('the bridge node counts 2 online', () => ear.of('_banyan', 'NDATA').some((h) => h.payload.metrics.some((m) => m.alias === onlineAlias && m.value === 2)));
  });

  it('on a clean stop says every node\'s NDEATH and its own', async () => {
    const alive = t.fleet.specs.slice(0, 2).map((s) => s.id);
    await t.orch.sparkplug!.stop();
    for (const id of [...alive, '_banyan']) {
      const d = await waitFor(`NDEATH of ${id}`, () => ear.of(id, 'NDEATH').at(-1));
      expect(bdSeq(d)).toBe(bdSeq(ear.of(id, 'NBIRTH').at(-1)!));
    }
  });
});

/** A registry and events without an orchestrator: the bridge's whole view of one. */
function fakeCore(): OrchestratorCore {
  const events = new EventEmitter<OrchestratorEvents>();
  const registry = new Registry({ onChange: (c) => events.emit('status', c) });
  return { events, registry, command: async () => 'unused' };
}

function telemetry(cpuPct: number): Telemetry & { atMs: number } {
  return {
    cpuPct,
    memoryUsedPct: 40,
    load1: 1,
    runningWorkloads: 0,
    accelerators: [{ index: 0, utilPct: 50, temperatureC: 60, powerW: 200, health: 'ok' }, { index: 1, health: 'ok' }],
    acceleratorErrors: [],
    atMs: Date.now(),
  };
}

function bornNode(core: OrchestratorCore, id: string): NodeRecord {
  const n = core.registry.touch(id, 'fz-mawei-plant-3', 's1');
  core.registry.setBirth(n, birth());
  return n;
}

describe('Sparkplug bridge on its own registry', () => {
  it('wraps seq 255 -> 0 over 300+ messages of one node, in order, and the NDEATH matches', async () => {
    const g = group();
    const ear = await SpbListener.start(mosq.url, g);
    const core = fakeCore();
    const n = bornNode(core, 'wrap-1');
    const bridge = await SparkplugBridge.start(core, { group: g, brokerUrl: mosq.url, log: quietLog });
    try {
      await waitFor('births', () => ear.of('wrap-1', 'DBIRTH').length === 2);
      for (let i = 1; i <= 300; i++) {
        n.telemetry = telemetry(i);
        bridge.refresh(n.id);
      }
      const msgs = await waitFor('300 NDATA', () => ear.of('wrap-1', 'NDATA').length >= 300 && ear.of('wrap-1'));
      // The first refresh also brings the cards' first readings (DDATA); the rest change CPU only.
      const seqs = msgs.map((h) => h.payload.seq);
      expect(seqs.length).toBeGreaterThan(300);
      expect(seqViolations(msgs)).toEqual([]);
      expect(seqs.filter((s) => s === 0)).toHaveLength(2); // the NBIRTH and one wrap
      expect(seqs.indexOf(255)).toBeLessThan(seqs.lastIndexOf(0));
      const cpu = ear.of('wrap-1', 'NDATA').map((h) => h.payload.metrics.find((m) => typeof m.value === 'number' && m.value >= 1 && m.value <= 300)?.value);
      expect(cpu.slice(0, 300)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(ear.of('wrap-1', 'NBIRTH')).toHaveLength(1);
      core.registry.setStatus(n, 'offline', 'will');
      const d = await waitFor('NDEATH', () => ear.of('wrap-1', 'NDEATH')[0]);
      expect(bdSeq(d)).toBe(bdSeq(ear.of('wrap-1', 'NBIRTH')[0]!));
      // Back again: a new life, the next bdSeq.
      core.registry.setBirth(n, birth());
      const again = await waitFor('second NBIRTH', () => ear.of('wrap-1', 'NBIRTH')[1]);
      expect(bdSeq(again)).toBe(1);
      expect(ear.problems).toEqual([]);
    } finally {
      await bridge.stop();
      await ear.close();
    }
  });

  it('holds births until the primary host\'s STATE says online, goes quiet when it says offline, ignores a stale STATE', async () => {
    const g = group();
    const host = `scada-${randomUUID().slice(0, 8)}`;
    const ear = await SpbListener.start(mosq.url, g);
    const core = fakeCore();
    const n = bornNode(core, 'gated-1');
    const bridge = await SparkplugBridge.start(core, { group: g, brokerUrl: mosq.url, primaryHostId: host, log: quietLog });
    const state = (online: boolean, timestamp: number) => cmd.publishAsync(hostStateTopic(host), Buffer.from(encodeHostState({ online, timestamp })), { qos: 1, retain: true });
    try {
      await sleep(400);
      n.telemetry = telemetry(5);
      bridge.refresh(n.id);
      await sleep(200);
      expect(ear.heard).toEqual([]);
      const t0 = Date.now();
      await state(true, t0);
      const nb = await waitFor('NBIRTH after STATE online', () => ear.of('gated-1', 'NBIRTH')[0]);
      expect(bdSeq(nb)).toBe(0);
      await waitFor('bridge NBIRTH', () => ear.of('_banyan', 'NBIRTH')[0]);
      await state(false, t0 + 1);
      await sleep(300);
      const heard = ear.heard.length;
      n.telemetry = telemetry(6);
      bridge.refresh(n.id);
      await state(true, t0 - 5); // older than the last STATE: stale
      await sleep(300);
      expect(ear.heard.length).toBe(heard);
      await state(true, t0 + 2);
      const nb2 = await waitFor('rebirth when the host is back', () => ear.of('gated-1', 'NBIRTH')[1]);
      expect(nb2.payload.seq).toBe(0);
      expect(bdSeq(nb2)).toBe(bdSeq(nb));
      expect(metric(nb2, 'CPU/Utilisation %')!.value).toBe(6);
      expect(seqViolations(ear.of('gated-1'))).toEqual([]);
    } finally {
      await cmd.publishAsync(hostStateTopic(host), Buffer.alloc(0), { qos: 1, retain: true });
      await bridge.stop();
      await ear.close();
    }
  });

  it('the bridge\'s Will is its own NDEATH with its NBIRTH\'s bdSeq; after reconnecting it is born with the next one', async () => {
    const g = group();
    const ear = await SpbListener.start(mosq.url, g);
    const core = fakeCore();
    bornNode(core, 'will-1');
    const bridge = await SparkplugBridge.start(core, { group: g, brokerUrl: mosq.url, log: quietLog });
    try {
      const nb = await waitFor('bridge NBIRTH', () => ear.of('_banyan', 'NBIRTH')[0]);
      await waitFor('node NBIRTH', () => ear.of('will-1', 'NBIRTH')[0]);
      // Kill the bridge's connection under it: the broker publishes the Will.
      const client = (bridge as unknown as { client: MqttClient }).client;
      client.stream.destroy();
      const will = await waitFor('the Will', () => ear.of('_banyan', 'NDEATH')[0]);
      expect(bdSeq(will)).toBe(bdSeq(nb));
      const nb2 = await waitFor('bridge NBIRTH after reconnect', () => ear.of('_banyan', 'NBIRTH')[1], 8000);
      expect(bdSeq(nb2)).toBe(1);
      const node2 = await waitFor('node reborn after reconnect', () => ear.of('will-1', 'NBIRTH')[1]);
      expect(bdSeq(node2)).toBe(1);
    } finally {
      await bridge.stop();
      await ear.close();
    }
  });

  it('refuses a group id that is not one topic level', async () => {
    await expect(SparkplugBridge.start(fakeCore(), { group: 'a/b', brokerUrl: mosq.url, log: quietLog })).rejects.toThrow(/group id "a\/b" must be/);
  });
});
