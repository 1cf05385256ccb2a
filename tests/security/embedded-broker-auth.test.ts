// The embedded broker with the same generated password file and the same policy as Mosquitto:
// identity is the username an account proved, not the client id it chose.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../orchestrator/broker.ts';
import { banyanAclPolicy } from '../../orchestrator/creds/acl.ts';
import { addAccount, brokerPaths, initBrokerConfig } from '../../orchestrator/creds/broker-files.ts';
import { passwordFileAuth } from '../../orchestrator/creds/embedded-auth.ts';
import { identityScenarios, login, type BrokerUnderTest } from './identity-scenarios.ts';
import { waitFor } from '../helpers/wait.ts';

describe('embedded broker with password-file accounts and the Banyan ACL', () => {
  let dir: string;
  let broker: EmbeddedBroker;
  let under: BrokerUnderTest;
  const refusals: { identity: string; topic: string }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'banyan-aedes-'));
    initBrokerConfig({ dir, topicRoot: 'banyan/v1' });
    addAccount(dir, 'node-a');
    addAccount(dir, 'node-b');
    broker = await startEmbeddedBroker({
      port: 0,
      auth: passwordFileAuth(brokerPaths(dir).passwd, banyanAclPolicy('banyan/v1')),
      authorizePublish: (identity, topic) => {
        refusals.push({ identity, topic });
        return null;
      },
    });
    under = { url: broker.url, topicRoot: 'banyan/v1', orchestratorUser: 'banyan-orchestrator', refusesInSuback: true, secretFile: (u) => brokerPaths(dir).secretOf(u) };
  });

  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  identityScenarios(() => under);

  it('hands the orchestrator the username as identity, whatever client id was chosen', async () => {
    const a = await login(under, 'node-a', { clientId: 'node-b' });
    await a.client.publishAsync('banyan/v1/site-1/node-a/event', 'x', { qos: 1 });
    await a.client.endAsync();
    expect(refusals.filter((r) => r.topic === 'banyan/v1/site-1/node-a/event')).toEqual([{ identity: 'node-a', topic: 'banyan/v1/site-1/node-a/event' }]);
  });

  it('accepts an account added while it runs, without a restart', async () => {
    addAccount(dir, 'node-late');
    const late = await waitFor('late account accepted', () => login(under, 'node-late'));
    await late.client.endAsync();
  });
});
