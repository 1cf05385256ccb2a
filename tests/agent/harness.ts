// Builds real Agents for tests: a fixed host, accelerators given by the test, a temp state dir,
// fast reconnects, and no benchmarks or probes unless the test asks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Agent, type AgentDeps } from '../../agent/agent.ts';
import { defaultAgentConfig, validateAgentConfig, type AgentConfig } from '../../agent/config.ts';
import type { AcceleratorSource, HostSource } from '../../agent/hardware.ts';
import { decode, encode } from '../../protocol/codec.ts';
import { orchestratorStateTopic } from '../../protocol/topics.ts';
import { envelope } from '../helpers/envelopes.ts';
import type { Accelerator, Envelope } from '../../protocol/messages.ts';
import { quietLog } from '../helpers/quiet-log.ts';

export const fixedHost: HostSource = {
  facts: async () => ({ hostname: 'test-host', os: 'Debian 12', arch: 'x64', cpuModel: 'test cpu', cpuCores: 4, memoryMib: 8192 }),
  sample: async () => ({ cpuPct: 5, memoryUsedPct: 20, load1: 0.1, accelerators: [], acceleratorErrors: [] }),
};

export function fixedAccelerators(accelerators: Accelerator[] = []): AcceleratorSource {
  return { detect: async () => ({ accelerators, warnings: [] }) };
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(over: Partial<AgentConfig> & Pick<AgentConfig, 'nodeId' | 'brokerUrl' | 'topicRoot' | 'stateDir'>): AgentConfig {
  return validateAgentConfig({
    ...defaultAgentConfig(),
    site: 'test-site',
    telemetryIntervalMs: 1000,
    reconnectMinMs: 100,
    reconnectMaxMs: 500,
    benchBudgetMs: 0,
    probeIntervalMs: 3_600_000,
    // The peer-probe responder on loopback, any free port: tests never take 7947 nor listen outside.
    probeBindHost: '127.0.0.1',
    probePort: 0,
    ...over,
  });
}

export function testAgent(config: AgentConfig, deps: Partial<AgentDeps> = {}): Agent {
  return new Agent(config, { host: fixedHost, accelerators: fixedAccelerators(), log: quietLog, ...deps });
}

/** A subscriber that decodes every envelope under root and keeps the first copy of each msg_id. */
export class Collector {
  readonly envelopes: Envelope[] = [];
  duplicates = 0;
  private readonly seen = new Set<string>();
  readonly client: MqttClient;
  private readonly subscribed: Promise<void>;

  constructor(url: string, root: string) {
    this.client = mqtt.connect(url, { clientId: `collector-${Math.random().toString(16).slice(2)}`, reconnectPeriod: 100, clean: true });
    // Subscribes again on every reconnect (clean session), then says ONLINE as the orchestrator
    // does, so agents release their reports; ready() waits for the first SUBACK.
    this.subscribed = new Promise((resolve) => {
      this.client.on('connect', () =>
        this.client.subscribe(`${root}/#`, { qos: 1 }, () => {
          const online = envelope({ body: 'state', state: { status: 'ONLINE' } }, { nodeId: '_orchestrator', sessionId: 'collector' });
          this.client.publish(orchestratorStateTopic(root), Buffer.from(encode(online)), { qos: 1, retain: true }, () => resolve());
        }),
      );
    });
    this.client.on('message', (_topic, payload) => {
      const d = decode(payload);
      if (!d.ok) return;
      if (this.seen.has(d.envelope.msgId)) {
        this.duplicates++;
        return;
      }
      this.seen.add(d.envelope.msgId);
      this.envelopes.push(d.envelope);
    });
  }

  ready(): Promise<void> {
    return this.subscribed;
  }

  of<B extends Envelope['body']>(body: B): Extract<Envelope, { body: B }>[] {
    return this.envelopes.filter((e): e is Extract<Envelope, { body: B }> => e.body === body);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
