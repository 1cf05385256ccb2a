// The security pieces as the running system uses them: the orchestrator's embedded broker with
// `banyan creds` accounts, a real agent logging in from a 0600 password file, and an agent that
// refuses to start on a world-readable one.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent } from '../../agent/agent.ts';
import { Orchestrator } from '../../orchestrator/orchestrator.ts';
import { addAccount, brokerPaths, initBrokerConfig } from '../../orchestrator/creds/broker-files.ts';
import { DEFAULT_ORCHESTRATOR_USER } from '../../orchestrator/creds/acl.ts';
import { fixedAccelerators, fixedHost, testConfig } from '../agent/harness.ts';
import { quietLog } from '../helpers/quiet-log.ts';
import { waitFor } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'banyan-wired-'));
const root = 'banyan/v1';
let orch: Orchestrator;

beforeAll(async () => {
  const creds = join(dir, 'broker');
  initBrokerConfig({ dir: creds, topicRoot: root, port: 0 });
  addAccount(creds, 'node-a');
  const paths = brokerPaths(creds);
  orch = await Orchestrator.start({
    mqttPort: 0,
    httpPort: 0,
    dataDir: null,
    log: quietLog,
    brokerPasswordFile: paths.passwd,
    mqttSecurity: { username: DEFAULT_ORCHESTRATOR_USER, passwordFile: paths.secretOf(DEFAULT_ORCHESTRATOR_USER) },
  });
});

afterAll(async () => {
  await orch?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function agentWith(nodeId: string, passwordFile: string): Agent {
  const config = testConfig({ nodeId, brokerUrl: orch.mqttUrl, topicRoot: root, stateDir: join(dir, nodeId), username: nodeId, passwordFile });
  return new Agent(config, { host: fixedHost, accelerators: fixedAccelerators([]), log: quietLog });
}

it('lists an agent that logs in with its own account', async () => {
  const agent = agentWith('node-a', brokerPaths(join(dir, 'broker')).secretOf('node-a'));
  await agent.start();
  try {
    await waitFor('node-a online', () => orch.registry.get('node-a')?.status === 'online');
  } finally {
    await agent.stop();
  }
});

it('never lists an agent whose account does not exist', async () => {
  // node-b has node-a's password file: the broker refuses the login, so it never appears.
  const agent = agentWith('node-b', brokerPaths(join(dir, 'broker')).secretOf('node-a'));
  await agent.start();
  try {
    await new Promise((r) => setTimeout(r, 1500));
    expect(orch.registry.get('node-b')).toBeUndefined();
    expect(agent.connected).toBe(false);
  } finally {
    await agent.stop();
  }
});

it('refuses to start with a world-readable password file, saying how to fix it', () => {
  const secret = brokerPaths(join(dir, 'broker')).secretOf('node-a');
  chmodSync(secret, 0o644);
  try {
    expect(() => agentWith('node-a', secret)).toThrow(/chmod 600/);
  } finally {
    chmodSync(secret, 0o600);
  }
});
