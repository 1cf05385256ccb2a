// A private Mosquitto (own port, own temp dir) running exactly what `banyan creds init/add`
// generates, over TLS with a throwaway CA: node identity is bound to the MQTT username.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { addAccount, brokerPaths, initBrokerConfig } from '../../orchestrator/creds/broker-files.ts';
import { freePort, makeTestPki, startMosquitto, type PrivateMosquitto } from './fixtures.ts';
import { identityScenarios, type BrokerUnderTest } from './identity-scenarios.ts';

describe('production Mosquitto with generated TLS, password file and ACL', () => {
  let dir: string;
  let broker: PrivateMosquitto;
  let under: BrokerUnderTest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'banyan-mosq-'));
    const pki = makeTestPki(dir);
    const port = await freePort();
    const brokerDir = join(dir, 'broker');
    initBrokerConfig({
      dir: brokerDir,
      topicRoot: 'banyan/v1',
      port,
      bindAddress: '127.0.0.1',
      tls: { cafile: pki.caCert, certfile: pki.serverCert, keyfile: pki.serverKey },
    });
    addAccount(brokerDir, 'node-a');
    addAccount(brokerDir, 'node-b');
    broker = await startMosquitto(brokerPaths(brokerDir).conf, port);
    under = {
      url: `mqtts://localhost:${port}`,
      topicRoot: 'banyan/v1',
      orchestratorUser: 'banyan-orchestrator',
      caFile: pki.caCert,
      refusesInSuback: false,
      secretFile: (u) => brokerPaths(brokerDir).secretOf(u),
    };
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  identityScenarios(() => under);
});
