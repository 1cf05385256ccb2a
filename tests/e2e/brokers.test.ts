// One end-to-end suite over every broker Banyan is tested against (simulators/brokers/catalog.ts):
// aedes (the embedded default, run on its own so it outlives an orchestrator), a private
// Mosquitto, a private 3-node NATS cluster with JetStream and MQTT (agents on one node, the
// orchestrator on another), and a private RabbitMQ node with its MQTT plugin. Each broker starts
// on its own loopback ports within a bound and is killed in afterAll even when a test failed.
// A broker whose binary is missing fails its suite, saying what to install: every machine this
// project targets has Mosquitto, NATS and RabbitMQ (.ci/run installs any that is not there).
// What a broker does differently is asserted as what it does, under the test's name (README,
// "Scaling out": which broker needs what).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../agent/catalog/catalog.ts';
import { MqttLink } from '../../agent/mqtt-link.ts';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { decode, encode } from '../../protocol/codec.ts';
import { nodeSubscriptions, nodeTopic } from '../../protocol/topics.ts';
import { BROKERS, type RunningBroker } from '../../simulators/brokers/catalog.ts';
import { ChaosLink } from '../../simulators/chaos/chaos-link.ts';
import { Fleet } from '../../simulators/fleet/fleet.ts';
import { validateScenario } from '../../simulators/fleet/scenario.ts';
import { CatalogAcceleratorSource } from '../../simulators/fleet/sim-accelerators.ts';
import { birth, envelope } from '../helpers/envelopes.ts';
import { quietLog } from '../helpers/quiet-log.ts';
import { waitFor } from '../helpers/wait.ts';

const NODES = 4;
const scenario = validateScenario({
  name: 'brokers',
  seed: 16,
  nodes: NODES,
  telemetryIntervalMs: 500,
  mix: [
    { vendor: 'huawei', model: 'Ascend 910B', count: 2, weight: 1 },
    { vendor: 'nvidia', model: 'NVIDIA L20', count: 2, weight: 1 },
  ],
});

describe.each(BROKERS.map((kind) => ({ kind, name: kind.name, missing: kind.missing() })))('end to end via $name', ({ kind, missing }) => {
  describe('orchestrator, 4 agents and a plain observer', () => {
    const tag = randomUUID().slice(0, 8);
    const root = `test-${tag}/banyan/v1`;
    const stateRoot = mkdtempSync(join(tmpdir(), 'banyan-brokers-'));
    const links = new Map<string, ChaosLink>();
    let broker: RunningBroker | null = null;
    let orch: Orchestrator | null = null;
    let fleet: Fleet | null = null;

    const startOrchestrator = () =>
      Orchestrator.start({ brokerUrl: broker!.orchestratorUrl, topicRoot: root, httpPort: 0, dataDir: null, log: quietLog, sweepMs: 200, peerProbes: false });
    const o = () => orch!;
    const online = () => [...o().registry.all()].filter((n) => n.status === 'online' && fleet!.specs.some((s) => s.id === n.id));

    beforeAll(async () => {
      if (missing) throw new Error(`cannot run this suite: ${missing}`);
      broker = await kind.start();
      orch = await startOrchestrator();
      const catalog = await loadCatalog();
      fleet = new Fleet({
        brokerUrl: broker.agentUrl,
        topicRoot: root,
        scenario,
        nodePrefix: `b${tag}-`,
        stateRoot,
        accelerators: (spec) => new CatalogAcceleratorSource(catalog, spec.pack, spec.id),
        log: quietLog,
        agentConfig: { benchBudgetMs: 0, probeIntervalMs: 600_000, reconnectMinMs: 200, reconnectMaxMs: 1000 },
        link: (spec) => (opts) => {
          const l = new ChaosLink(spec.id, new MqttLink(opts));
          links.set(spec.id, l);
          return l;
        },
      });
      await fleet.start();
    }, 60_000);

    afterAll(async () => {
      const bounded = (p: Promise<unknown> | undefined) => Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      await bounded(fleet?.stop());
      await bounded(orch?.stop());
      await broker?.stop();
      rmSync(stateRoot, { recursive: true, force: true });
    }, 45_000);

    it('births: every node is ONLINE with its accelerators', async () => {
      await waitFor(`${NODES} nodes online`, () => online().length === NODES, 20_000);
      for (const spec of fleet!.specs) expect(o().registry.get(spec.id)!.birth!.accelerators).toHaveLength(spec.pack.count);
    });

    it("telemetry: every node's QoS 1 telemetry reaches the orchestrator", async () => {
      const since = Date.now();
      await waitFor('fresh telemetry from every node', () => fleet!.specs.every((s) => (o().registry.get(s.id)?.telemetry?.atMs ?? 0) > since), 10_000);
    });

    it('workload: the command goes out with QoS 1, its node acks it and runs it', async () => {
      const acks: string[] = [];
      const onAccepted = (env: { body: string; event?: { correlationId: string } }) => env.body === 'event' && acks.push(env.event!.correlationId);
      o().events.on('accepted', onAccepted);
      try {
        const r = await fetch(`${o().httpUrl}/v1/workloads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'brokers-e2e', tenant: 't', class: 'batch', run: { runner: 'simulated', durationMs: 600_000 }, needs: { accelerators: 1 } }),
        });
        expect(r.status).toBe(201);
        const { id } = (await r.json()) as { id: string };
        const w = await waitFor('the workload running', () => {
          const w = o().workloads.get(id);
          return w?.state === 'running' && w;
        }, 15_000);
        expect(fleet!.specs.map((s) => s.id)).toContain(w.nodeId);
        expect(acks).toContain(w.correlationId);
      } finally {
        o().events.off('accepted', onAccepted);
      }
    });

    it('Last Will: a node whose process dies without goodbye turns OFFLINE (will)', async () => {
      const victim = fleet!.specs[0]!.id;
      fleet!.crash(victim);
      const n = await waitFor('the victim offline', () => {
        const n = o().registry.get(victim);
        return n?.status === 'offline' && n;
      }, 15_000);
      expect(n.statusReason).toBe('will');
    });

    it('reconnect: a cut link fires the Will, heals, and the node is ONLINE again with fresh telemetry', async () => {
      const id = fleet!.specs[1]!.id;
      const link = links.get(id)!;
      const before = { backwards: o().ingest.rejected.get('seq_backwards') ?? 0, session: o().registry.get(id)!.sessionId };
      link.cut('test cut');
      // Offline by its Will, or by silence when a loaded broker (RabbitMQ's Erlang VM on 2 shared cores) sends
      // the Will after the orchestrator's own staleness sweep: the Will itself is the previous test's subject.
      await waitFor('offline (will or silence)', () => o().registry.get(id)?.status === 'offline', 30_000);
      const healedAt = Date.now();
      link.heal();
      await waitFor('online again with fresh telemetry', () => {
        const n = o().registry.get(id);
        return n?.status === 'online' && (n.telemetry?.atMs ?? 0) > healedAt;
      }, 15_000);
      // Same agent process, same session: what it queued while cut came in order.
      expect(o().registry.get(id)!.sessionId).toBe(before.session);
      expect(o().ingest.rejected.get('seq_backwards') ?? 0).toBe(before.backwards);
    }, 60_000);

    it(`retained: a late subscriber to <root>/+/+/birth ${kind.retainedToWildcards ? 'gets' : 'does NOT get (broker limitation)'} every node's retained birth`, async () => {
      const late = await mqtt.connectAsync(broker!.orchestratorUrl, { clientId: `late-${tag}`, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
      try {
        const births = new Set<string>();
        late.on('message', (_topic, payload, packet) => {
          const d = decode(payload);
          if (packet.retain && d.ok && d.envelope.body === 'birth') births.add(d.envelope.nodeId);
        });
        await late.subscribeAsync(nodeSubscriptions(root)[0]!, { qos: 1 });
        const every = fleet!.specs.map((s) => s.id);
        if (kind.retainedToWildcards) {
          await waitFor('every retained birth', () => every.every((id) => births.has(id)), 10_000);
        } else {
          // RabbitMQ (through 4.x): retained messages only for filters without wildcards (rabbitmq-server#8824).
          await new Promise((r) => setTimeout(r, 2000));
          expect([...births]).toEqual([]);
        }
      } finally {
        await late.endAsync(true);
      }
    });

    it(`session: a restarted orchestrator with no stored state gets what its persistent session queued and ${kind.retainedToWildcards ? 'knows the fleet again from retained births' : 'does NOT know the fleet (no retained births on wildcards)'}`, async () => {
      await o().stop();
      orch = null;
      // While it is away, a node it never saw is born (QoS 1, not retained): only its session keeps it.
      const lateId = `b${tag}-late`;
      const site = fleet!.specs[2]!.site.id;
      const pub = await mqtt.connectAsync(broker!.agentUrl, { clientId: lateId, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
      const b = envelope({ body: 'birth', birth: birth({ location: { lat: 26, lon: 119.3, site, district: 'gulou', siteKind: 'factory' } }) }, { nodeId: lateId, sessionId: 's1', seq: 1 });
      await pub.publishAsync(nodeTopic(root, site, lateId, 'birth'), Buffer.from(encode(b)), { qos: 1 });
      await pub.endAsync();
      orch = await startOrchestrator();
      await waitFor('the birth its session queued', () => o().registry.get(lateId)?.birth, 10_000);
      const alive = fleet!.specs.filter((s) => !fleet!.isDown(s.id)).map((s) => s.id);
      if (kind.retainedToWildcards) {
        await waitFor('every live node online again', () => alive.every((id) => o().registry.get(id)?.status === 'online'), 15_000);
      } else {
        // No retained births on a wildcard filter: without stored state (dataDir, --store) the fleet
        // stays unknown until each agent reconnects; its telemetry is refused as no_birth meanwhile.
        await waitFor('telemetry refused for want of a birth', () => (o().ingest.rejected.get('no_birth') ?? 0) > 0, 10_000);
        expect(alive.filter((id) => o().registry.get(id)?.birth)).toEqual([]);
      }
    });

    it(`topics: a "." in a site id is ${{ 'nats-cluster': 'carried from NATS 2.10 on; before, the connection is dropped', rabbitmq: 'NOT routed to a + filter by RabbitMQ 3.10' }[kind.name as string] ?? 'carried'}`, async () => {
      const id = `b${tag}-dot`;
      const sub = await mqtt.connectAsync(broker!.orchestratorUrl, { clientId: `dots-sub-${tag}`, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
      const pub = await mqtt.connectAsync(broker!.agentUrl, { clientId: id, clean: true, reconnectPeriod: 0, connectTimeout: 5000 });
      try {
        let got = false;
        let dropped = false;
        pub.on('close', () => (dropped = true));
        pub.on('error', () => undefined);
        sub.on('message', () => (got = true));
        await sub.subscribeAsync(`${root}/+/${id}/telemetry`, { qos: 1 });
        const env = envelope({ body: 'state', state: { status: 'ONLINE' } }, { nodeId: id, sessionId: 's', seq: 1 });
        // QoS 0: a broker that refuses drops the connection instead of answering.
        await pub.publishAsync(`${root}/fz.site.1/${id}/telemetry`, Buffer.from(encode(env)), { qos: 0 });
        if (broker!.dotsInTopics) await waitFor('the message on a dotted topic', () => got, 10_000);
        else {
          // NATS before 2.10 drops the connection; RabbitMQ 3.10 keeps it and routes nothing.
          if (kind.name === 'nats-cluster') await waitFor('the connection dropped', () => dropped, 10_000);
          else await new Promise((r) => setTimeout(r, 2000));
          expect(got).toBe(false);
        }
      } finally {
        await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
      }
    });
  });
});
