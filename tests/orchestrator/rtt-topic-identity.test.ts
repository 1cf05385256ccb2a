// Without accounts the embedded broker binds identity to the client id: node X may time its
// broker RTT on its own probe topic, never on another node's.
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { rttProbeTopic } from '../../protocol/topics.ts';
import { quietLog } from '../helpers/quiet-log.ts';
import { waitFor } from '../helpers/wait.ts';

const root = `test-${randomUUID().slice(0, 8)}/banyan/v1`;
let orch: Orchestrator;

beforeAll(async () => {
  orch = await Orchestrator.start({ mqttPort: 0, httpPort: 0, dataDir: null, log: quietLog, topicRoot: root, peerProbes: false });
});

afterAll(async () => {
  await orch?.stop();
});

it("accepts node X's publish on its own RTT probe topic and refuses it on another node's", async () => {
  const x = await mqtt.connectAsync(orch.mqttUrl, { clientId: 'node-x', reconnectPeriod: 0 });
  try {
    await x.publishAsync(rttProbeTopic(root, 'node-x'), '', { qos: 1 });
    expect(x.connected).toBe(true);
    expect(orch.ingest.rejected.get('identity_mismatch') ?? 0).toBe(0);
    const closed = new Promise<void>((r) => x.once('close', () => r()));
    void x.publishAsync(rttProbeTopic(root, 'node-y'), '', { qos: 1 }).catch(() => undefined);
    await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
    await waitFor('identity_mismatch counted', () => (orch.ingest.rejected.get('identity_mismatch') ?? 0) === 1);
  } finally {
    await x.endAsync(true);
  }
});
