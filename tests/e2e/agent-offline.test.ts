// Issue 6 evidence: the broker goes away for 10 s while an agent produces workload events
// (≈1/s) and telemetry (5/s). After the broker is back, every event arrives exactly once and in
// production order, and no telemetry is lost (the default outbox bound holds far more than 10 s).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Agent } from '../../agent/agent.ts';
import type { WorkloadEvent } from '../../agent/exec/types.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { encode } from '../../protocol/codec.ts';
import { envelope } from '../helpers/envelopes.ts';
import { waitFor } from '../helpers/wait.ts';
import { Collector, tempDir, testAgent, testConfig } from '../agent/harness.ts';
import { nodeTopic } from '../../protocol/topics.ts';

const OUTAGE_MS = 10_000;

describe('agent across a 10 s broker outage', () => {
  const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
  const state = tempDir('banyan-offline-');
  let broker: EmbeddedBroker;
  let collector: Collector;
  let agent: Agent;
  const produced: WorkloadEvent[] = [];

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    collector = new Collector(broker.url, root);
    await collector.ready();
    agent = testAgent(testConfig({ nodeId: 'offline-1', brokerUrl: broker.url, topicRoot: root, stateDir: state.dir, telemetryIntervalMs: 200 }));
    agent.supervisor.on('event', (e) => produced.push(e));
    await agent.start();
    await waitFor('agent connected', () => agent.connected);
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.close();
    await broker?.close();
    state.remove();
  });

  it('delivers every event once, in order, and every telemetry report', async () => {
    // A simulated workload that fails every second and is restarted after a second: one event/s.
    const spec = {
      name: 'flappy',
      run: { runner: 'simulated', durationMs: 1000, exitCode: 1, restart: { mode: 'always', maxAttempts: 0, initialDelayMs: 1000, maxDelayMs: 1000, factor: 1 } },
    };
    const cmd = mqtt.connect(broker.url, { clientId: 'orch-test' });
    await new Promise<void>((r) => cmd.once('connect', () => r()));
    const run = envelope({ body: 'cmd', cmd: { correlationId: 'c-run', action: 'run', run: { workloadId: 'flappy', specJson: JSON.stringify(spec), acceleratorIndexes: [] } } }, { nodeId: 'orchestrator' });
    await cmd.publishAsync(nodeTopic(root, 'test-site', 'offline-1', 'cmd'), Buffer.from(encode(run)), { qos: 1 });
    await cmd.endAsync(true);
    await waitFor('3 workload events before the outage', () => produced.length >= 3);

    const port = broker.port;
    await broker.close();
    const eventsBefore = produced.length;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const storedDuringOutage = agent.stats.outbox.stored;
    broker = await startEmbeddedBroker({ port });
    expect(broker.port).toBe(port);

    await waitFor('agent back', () => agent.connected, 15_000);
    const producedTelemetry = agent.stats.reports.produced.telemetry;
    const producedEvents = produced.length;
    await waitFor(
      'all events and telemetry delivered',
      () => collector.of('event').length >= producedEvents && collector.of('telemetry').length >= producedTelemetry,
      20_000,
    );

    // The outage was real: ≈10 s of events and telemetry went to the outbox.
    expect(produced.length - eventsBefore).toBeGreaterThanOrEqual(8);
    expect(storedDuringOutage).toBeGreaterThanOrEqual(40);

    const received = collector.of('event').filter((e) => e.event.kind === 'workload');
    const got = received.map((e) => (e.event.kind === 'workload' ? `${e.event.workload.state}#${e.event.workload.attempt}` : ''));
    const want = produced.map((e) => `${e.status.state}#${e.status.attempt}`);
    expect(got.slice(0, producedEvents)).toEqual(want.slice(0, producedEvents));
    // Nothing arrived twice under a different msg_id (the same msg_id twice is allowed: de-dup).
    expect(new Set(got).size).toBe(got.length);

    const s = agent.stats;
    expect(s.outbox.dropped.telemetry + s.outbox.dropped.event).toBe(0);
    expect(s.reports.refused.telemetry + s.reports.refused.event).toBe(0);
    expect(collector.of('telemetry').length).toBeGreaterThanOrEqual(producedTelemetry);
    expect(s.outbox.replayed).toBeGreaterThanOrEqual(storedDuringOutage);

    // Birth and state were re-sent on the new connection, before the replay.
    const afterOutage = collector.envelopes.slice(collector.envelopes.findIndex((e) => e.body === 'birth' && e.seq > 2));
    expect(afterOutage[0]?.body).toBe('birth');
    expect(afterOutage[1]?.body).toBe('state');
  }, 60_000);
});
